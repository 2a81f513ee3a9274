// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import * as tfl from '../../src/core/model/tflite/generated/schema_generated.ts';
import { parseTflite, readTflite } from '../../src/core/model/tflite/reader.ts';
import { Graph } from '../../src/core/ir/graph.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { SHARED_MODEL_NAMES, sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { rawModel } from './raw_model.ts';

/** Runs `fn`, which must fail with a one-line TinyforgeError; returns its message. */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e, `expected a TinyforgeError, got ${String(e)}`).to.be.instanceOf(TinyforgeError);
    const message = (e as Error).message;
    expect(message).to.not.include('\n');
    return message;
  }
  expect.fail('expected an error');
}

/** Parses bytes that may be damaged: a one-line TinyforgeError naming the file, or a Graph. */
function parseOrUserError(bytes: Uint8Array, file: string): Graph | string {
  try {
    return parseTflite(bytes, file);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw new Error(`non-user error escaped: ${(e as Error).stack}`);
    expect(e.message).to.not.include('\n');
    expect(e.message.startsWith(`${file}: `), e.message).to.equal(true);
    return e.message;
  }
}

/** A deterministic generator (xorshift32), so a failing corruption case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** The golden activation index: idx, name, type, shape, bytes, scale, zero point per tensor. */
function goldenTensorTable(model: string): { idx: number; name: string; type: string; shape: number[]; scale: number; zeroPoint: number }[] {
  const lines = readFileSync(sharedFile('golden', model, 'act0', 'index.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines.map((line) => {
    const [idx, name, type, shape, , scale, zeroPoint] = line.split('\t');
    return { idx: Number(idx), name: name!, type: type!, shape: JSON.parse(shape!) as number[], scale: Number(scale), zeroPoint: Number(zeroPoint) };
  });
}

describe('model/tflite reader', () => {
  describe('the shared models', () => {
    it('reads every model with the io and ops its manifest states', function () {
      if (!sharedModelsAvailable(this)) return;
      const kinds = (g: Graph) => g.ops.map((op) => op.kind);
      const count = (g: Graph, kind: string) => kinds(g).filter((k) => k === kind).length;
      const io = (g: Graph, indices: number[]) => indices.map((i) => `${g.tensors[i]!.dtype}[${g.tensors[i]!.shape.join(',')}]`);

      const hello = readTflite(sharedModelPath('hello_world_int8'));
      expect(hello.name).to.equal('hello_world_int8');
      expect(kinds(hello)).to.deep.equal(['FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED']);
      expect(io(hello, hello.inputs)).to.deep.equal(['int8[1,1]']);
      expect(io(hello, hello.outputs)).to.deep.equal(['int8[1,1]']);

      const speech = readTflite(sharedModelPath('micro_speech'));
      expect(kinds(speech)).to.deep.equal(['RESHAPE', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
      expect(io(speech, speech.inputs)).to.deep.equal(['int8[1,1960]']);
      expect(io(speech, speech.outputs)).to.deep.equal(['int8[1,4]']);

      const person = readTflite(sharedModelPath('person_detect'));
      expect([
        count(person, 'CONV_2D'),
        count(person, 'DEPTHWISE_CONV_2D'),
        count(person, 'AVERAGE_POOL_2D'),
        count(person, 'RESHAPE'),
        count(person, 'SOFTMAX'),
      ]).to.deep.equal([14, 14, 1, 1, 1]);
      expect(io(person, person.inputs)).to.deep.equal(['int8[1,96,96,1]']);
      expect(io(person, person.outputs)).to.deep.equal(['int8[1,2]']);

      const add = readTflite(sharedModelPath('simple_add'));
      expect(kinds(add)).to.deep.equal(['ADD']);
      expect(io(add, add.inputs)).to.deep.equal(['int8[1,128,128,1]', 'int8[1,128,128,1]']);

      const lstm = readTflite(sharedModelPath('mnist_lstm_int8'));
      expect(kinds(lstm)).to.deep.equal(['UNIDIRECTIONAL_SEQUENCE_LSTM', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX']);
      expect(io(lstm, lstm.inputs)).to.deep.equal(['int8[1,28,28]']);
      expect(io(lstm, lstm.outputs)).to.deep.equal(['int8[1,10]']);
    });

    it('agrees with the tensor table recorded beside the golden data (name, type, shape, quantization)', function () {
      if (!sharedModelsAvailable(this)) return;
      for (const model of SHARED_MODEL_NAMES) {
        const g = readTflite(sharedModelPath(model));
        const table = goldenTensorTable(model);
        expect(table.length, model).to.be.greaterThan(0);
        for (const row of table) {
          const t = g.tensors[row.idx]!;
          expect(t.index).to.equal(row.idx);
          expect(t.name, `${model} t${row.idx}`).to.equal(row.name);
          expect(t.dtype.toUpperCase(), `${model} t${row.idx}`).to.equal(row.type);
          expect(t.shape, `${model} t${row.idx}`).to.deep.equal(row.shape);
          expect(t.data, `${model} t${row.idx} is an activation`).to.equal(undefined);
          expect(t.quant!.scale[0]).to.be.closeTo(row.scale, row.scale * 1e-6);
          expect(t.quant!.zeroPoint[0]).to.equal(row.zeroPoint);
        }
      }
    });

    it('maps options onto the IR attribute interfaces', function () {
      if (!sharedModelsAvailable(this)) return;
      const speech = readTflite(sharedModelPath('micro_speech'));
      expect(speech.ops[0]!.attrs).to.deep.equal({ newShape: [-1, 49, 40, 1] });
      expect(speech.ops[1]!.attrs).to.deep.equal({
        padding: 'SAME',
        strideH: 2,
        strideW: 2,
        dilationH: 1,
        dilationW: 1,
        activation: 'RELU',
        depthMultiplier: 8,
      });
      expect(speech.ops[2]!.attrs).to.deep.equal({ activation: 'NONE', keepNumDims: false });
      expect(speech.ops[3]!.attrs).to.deep.equal({ beta: 1 });

      const person = readTflite(sharedModelPath('person_detect'));
      expect(person.ops[2]!.attrs).to.deep.equal({ padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU6' });
      const pool = person.ops.find((op) => op.kind === 'AVERAGE_POOL_2D')!;
      expect(pool.attrs).to.deep.equal({ padding: 'VALID', strideH: 2, strideW: 2, filterH: 3, filterW: 3, activation: 'NONE' });

      expect(readTflite(sharedModelPath('hello_world_int8')).ops[0]!.attrs).to.deep.equal({ activation: 'RELU', keepNumDims: false });
      expect(readTflite(sharedModelPath('simple_add')).ops[0]!.attrs).to.deep.equal({ activation: 'NONE' });
    });

    it('keeps the full options of other ops as camelCase fields, and the LSTM intermediates', function () {
      if (!sharedModelsAvailable(this)) return;
      const lstm = readTflite(sharedModelPath('mnist_lstm_int8'));
      expect(lstm.ops[0]!.attrs).to.deep.equal({
        activation: 'TANH',
        cellClip: 10,
        projClip: 0,
        timeMajor: false,
        asymmetricQuantizeInputs: false,
        diagonalRecurrentTensors: false,
        intermediates: [18, 19, 20, 21, 22],
      });
      expect(lstm.ops[0]!.inputs).to.include(-1); // absent optional inputs (no peepholes, no projection)
      // a RESHAPE without options: no newShape (the shape input tensor and the output decide)
      expect(lstm.ops[1]!.attrs).to.deep.equal({});
      // the LSTM's two state tensors are variables
      expect(lstm.tensors.filter((t) => t.isVariable).map((t) => [t.index, t.dtype])).to.deep.equal([
        [16, 'int8'],
        [17, 'int16'],
      ]);
      expect(lstm.tensors[0]!.isVariable).to.equal(undefined);
    });

    it('reads constant data and per-channel quantization', function () {
      if (!sharedModelsAvailable(this)) return;
      const speech = readTflite(sharedModelPath('micro_speech'));
      const weights = speech.tensors[8]!;
      expect(weights.shape).to.deep.equal([1, 10, 8, 8]);
      expect(weights.data!.length).to.equal(640);
      expect(weights.quant!.scale).to.have.length(8);
      expect(weights.quant!.zeroPoint).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(weights.quant!.axis).to.equal(3);
      const fc = speech.tensors[7]!;
      expect(fc.data!.length).to.equal(4 * 4000);
      // the data is a copy of the file's bytes, not a view that pins the whole file
      expect(fc.data!.byteOffset).to.equal(0);
      expect(fc.data!.buffer.byteLength).to.equal(16000);
      // the shape tensor of the RESHAPE: int32 [-1, 49, 40, 1], no quantization
      const shape = speech.tensors[5]!;
      expect(shape.quant).to.equal(undefined);
      expect([...new Int32Array(shape.data!.slice().buffer)]).to.deep.equal([-1, 49, 40, 1]);
      expect(speech.description).to.equal('TOCO Converted.');
    });
  });

  describe('structure', () => {
    it('reads a minimal model built field by field', () => {
      const g = parseTflite(rawModel({ description: 'tiny' }), 'dir/my-model.v2.tflite');
      expect(g).to.deep.equal({
        name: 'my_model_v2',
        tensors: [
          { index: 0, name: 'in', shape: [1, 4], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [-3], axis: 0 } },
          { index: 1, name: 'out', shape: [1, 4], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [-3], axis: 0 } },
        ],
        ops: [{ index: 0, kind: 'RELU', inputs: [0], outputs: [1], attrs: {} }],
        inputs: [0],
        outputs: [1],
        description: 'tiny',
      });
    });

    it('takes the larger of the byte and 32-bit operator codes', () => {
      const old = parseTflite(rawModel({ codes: [{ deprecated: tfl.BuiltinOperator.RELU }] }), 'm.tflite');
      expect(old.ops[0]!.kind).to.equal('RELU');
      const extended = parseTflite(rawModel({ codes: [{ deprecated: 127, builtin: tfl.BuiltinOperator.GELU }] }), 'm.tflite');
      expect(extended.ops[0]!.kind).to.equal('GELU');
      const custom = parseTflite(rawModel({ codes: [{ deprecated: 32, builtin: 32, custom: 'TFLite_Detection_PostProcess' }] }), 'm.tflite');
      expect(custom.ops[0]!.kind).to.equal('CUSTOM:TFLite_Detection_PostProcess');
      const future = parseTflite(rawModel({ codes: [{ deprecated: 127, builtin: 999 }] }), 'm.tflite');
      expect(future.ops[0]!.kind).to.equal('BUILTIN_999');
    });

    it('treats absent or empty quantization and buffer 0 or empty buffers as none', () => {
      const g = parseTflite(
        rawModel({
          tensors: [
            { shape: [2], scale: [] },
            { shape: [2], buffer: 1 },
            { shape: [2], buffer: 2 },
          ],
          buffers: [null, new Uint8Array(0), new Uint8Array([1, 2])],
          inputs: [0],
          outputs: [1],
          ops: [{ opcode: 0, inputs: [0, 2], outputs: [1] }],
        }),
        'm.tflite',
      );
      expect(g.tensors[0]!.quant).to.equal(undefined);
      expect(g.tensors[1]!.data).to.equal(undefined);
      expect([...g.tensors[2]!.data!]).to.deep.equal([1, 2]);
      expect(g.tensors[2]!.quant).to.equal(undefined);
    });

    it('refuses scales without zero points (TFLite Micro then leaves the tensor unquantized: no implicit 0)', () => {
      const bytes = rawModel({
        tensors: [{ shape: [2] }, { shape: [2], buffer: 1, scale: [0.25], zeroPoint: [] }, { shape: [2] }],
        buffers: [null, new Uint8Array([1, 2])],
        inputs: [0],
        outputs: [2],
        ops: [{ opcode: 0, inputs: [0, 1], outputs: [2] }],
      });
      expect(() => parseTflite(bytes, 'm.tflite')).to.throw(/1 quantization scales but no zero points/);
    });

    it("reads a float model (rejecting float is the compiler's job)", () => {
      const g = parseTflite(
        rawModel({
          tensors: [
            { shape: [3], type: tfl.TensorType.FLOAT32 },
            { shape: [3], type: tfl.TensorType.FLOAT32 },
          ],
        }),
        'float.tflite',
      );
      expect(g.tensors.map((t) => t.dtype)).to.deep.equal(['float32', 'float32']);
    });

    it('gives tensors that share a buffer the same data array', () => {
      const g = parseTflite(
        rawModel({
          tensors: [{ shape: [2] }, { shape: [2] }, { shape: [2], buffer: 1 }, { shape: [2], buffer: 1 }],
          buffers: [null, new Uint8Array([7, 8])],
          ops: [{ opcode: 0, inputs: [0, 2, 3], outputs: [1] }],
        }),
        'm.tflite',
      );
      expect(g.tensors[2]!.data).to.equal(g.tensors[3]!.data);
    });
  });

  describe('bad input', () => {
    it('names a missing file', () => {
      expect(userError(() => readTflite('/nonexistent/model.tflite'))).to.equal('/nonexistent/model.tflite: no such file');
    });

    it('names a directory given as the model', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-reader-'));
      expect(userError(() => readTflite(dir))).to.match(/: is a directory/);
    });

    it('rejects an empty file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-reader-'));
      const path = join(dir, 'empty.tflite');
      writeFileSync(path, new Uint8Array(0));
      expect(userError(() => readTflite(path))).to.equal(`${path}: empty file, not a TFLite model`);
    });

    it('rejects files shorter than the 8-byte header', () => {
      const model = rawModel();
      for (let n = 1; n < 8; n++) {
        expect(userError(() => parseTflite(model.subarray(0, n), 'model.tflite'))).to.match(/^model\.tflite: truncated flatbuffer \(\d bytes/);
      }
    });

    it('reads a model with another file identifier, or none, as TFLite Micro does; refuses what does not read as one', () => {
      const graph = parseTflite(rawModel(), 'model.tflite');
      expect(parseTflite(rawModel({ identifier: 'TFL2' }), 'model.tflite')).to.deep.equal(graph);
      const bare = rawModel();
      bare.fill(0, 4, 8);
      expect(parseTflite(bare, 'model.tflite')).to.deep.equal(graph);
      expect(userError(() => parseTflite(rawModel({ identifier: 'TFL2', version: 2 }), 'model.tflite'))).to.equal(
        'model.tflite: not a TFLite model (file identifier "TFL2" instead of "TFL3", and its schema version reads as 2)',
      );
      const text = new TextEncoder().encode('{"format": "layers-model", "modelTopology": {}}');
      expect(userError(() => parseTflite(text, 'model.json'))).to.match(/^model\.json: not a TFLite model/);
    });

    it('rejects another schema version', () => {
      expect(userError(() => parseTflite(rawModel({ version: 2 }), 'model.tflite'))).to.equal('model.tflite: schema version 2 is not supported (expected 3)');
    });

    it('rejects control-flow subgraphs and models without subgraphs', () => {
      expect(userError(() => parseTflite(rawModel({ subgraphs: 2 }), 'cf.tflite'))).to.match(
        /^cf\.tflite: has 2 subgraphs: control-flow subgraphs .* are unsupported$/,
      );
      expect(userError(() => parseTflite(rawModel({ subgraphs: 0 }), 'none.tflite'))).to.equal('none.tflite: the model has no subgraphs');
    });

    it('rejects out-of-range tensor, buffer and opcode indices', () => {
      expect(userError(() => parseTflite(rawModel({ ops: [{ opcode: 0, inputs: [5], outputs: [1] }] }), 'm.tflite'))).to.equal(
        'm.tflite: op 0 (RELU) input 0: tensor index 5 is out of range (2 tensors)',
      );
      expect(userError(() => parseTflite(rawModel({ ops: [{ opcode: 0, inputs: [0], outputs: [-1] }] }), 'm.tflite'))).to.equal(
        'm.tflite: op 0 (RELU) output 0: tensor index -1 is out of range (2 tensors)',
      );
      expect(userError(() => parseTflite(rawModel({ outputs: [2] }), 'm.tflite'))).to.equal(
        'm.tflite: subgraph output 0: tensor index 2 is out of range (2 tensors)',
      );
      expect(userError(() => parseTflite(rawModel({ ops: [{ opcode: 3, inputs: [0], outputs: [1] }] }), 'm.tflite'))).to.equal(
        'm.tflite: op 0: opcode index 3 is out of range (1 operator codes)',
      );
      expect(userError(() => parseTflite(rawModel({ tensors: [{ shape: [1], buffer: 9 }, { shape: [1] }] }), 'm.tflite'))).to.equal(
        "m.tflite: tensor 0 '': buffer index 9 is out of range (1 buffers)",
      );
      expect(userError(() => parseTflite(rawModel({ ops: [{ opcode: 0, inputs: [0], outputs: [1], intermediates: [7] }] }), 'm.tflite'))).to.equal(
        'm.tflite: op 0 (RELU) intermediate 0: tensor index 7 is out of range (2 tensors)',
      );
    });

    it('rejects unsupported tensors and inconsistent data', () => {
      expect(
        userError(() => parseTflite(rawModel({ tensors: [{ shape: [1], type: tfl.TensorType.FLOAT16, name: 'h' }, { shape: [1] }] }), 'm.tflite')),
      ).to.equal("m.tflite: tensor 0 'h': tensor type FLOAT16 is not supported");
      expect(userError(() => parseTflite(rawModel({ tensors: [{ shape: [1], sparse: true }, { shape: [1] }] }), 'm.tflite'))).to.equal(
        "m.tflite: tensor 0 '': sparse tensors are not supported",
      );
      expect(
        userError(() => parseTflite(rawModel({ tensors: [{ shape: [1], type: tfl.TensorType.STRING, name: 'two\nlines' }, { shape: [1] }] }), 'm.tflite')),
      ).to.equal("m.tflite: tensor 0 'two?lines': tensor type STRING is not supported");
      expect(userError(() => parseTflite(rawModel({ tensors: [{ shape: [1, -1] }, { shape: [1] }] }), 'm.tflite'))).to.match(/negative dimension -1/);
      expect(
        userError(() =>
          parseTflite(
            rawModel({ tensors: [{ shape: [4], buffer: 1, type: tfl.TensorType.INT32 }, { shape: [1] }], buffers: [null, new Uint8Array(3)] }),
            'm.tflite',
          ),
        ),
      ).to.equal("m.tflite: tensor 0 '': buffer 1 holds 3 bytes, but int32[4] needs 16");
      expect(userError(() => parseTflite(rawModel({ tensors: [{ shape: [2], scale: [1, 2], zeroPoint: [0n] }, { shape: [1] }] }), 'm.tflite'))).to.equal(
        "m.tflite: tensor 0 '': 2 quantization scales but 1 zero points",
      );
    });

    it('rejects options of the wrong table and unknown enum values', () => {
      const poolOptions = {
        type: tfl.BuiltinOptions.Pool2DOptions,
        build: (b: import('flatbuffers').Builder) => tfl.Pool2DOptions.createPool2DOptions(b, 0, 1, 1, 2, 2, 0),
      };
      expect(
        userError(() =>
          parseTflite(
            rawModel({ codes: [{ deprecated: tfl.BuiltinOperator.SOFTMAX }], ops: [{ opcode: 0, inputs: [0], outputs: [1], options: poolOptions }] }),
            'm.tflite',
          ),
        ),
      ).to.equal('m.tflite: op 0 (SOFTMAX): carries Pool2DOptions, expected SoftmaxOptions');
      const badActivation = {
        type: tfl.BuiltinOptions.AddOptions,
        build: (b: import('flatbuffers').Builder) => tfl.AddOptions.createAddOptions(b, 9 as tfl.ActivationFunctionType, true),
      };
      expect(
        userError(() =>
          parseTflite(
            rawModel({ codes: [{ deprecated: tfl.BuiltinOperator.ADD }], ops: [{ opcode: 0, inputs: [0, 0], outputs: [1], options: badActivation }] }),
            'm.tflite',
          ),
        ),
      ).to.equal('m.tflite: op 0 (ADD): unknown activation value 9');
    });

    it('gives a one-line error for every truncation of a real model, never a wrong graph', function () {
      if (!sharedModelsAvailable(this)) return;
      for (const model of ['hello_world_int8', 'simple_add', 'micro_speech']) {
        const bytes = new Uint8Array(readFileSync(sharedModelPath(model)));
        const full = parseTflite(bytes, `${model}.tflite`);
        const step = bytes.length > 4000 ? 13 : 1;
        let errors = 0;
        for (let n = 8; n < bytes.length; n += step) {
          const result = parseOrUserError(bytes.slice(0, n), `${model}.tflite`);
          if (typeof result === 'string') {
            errors++;
            expect(result).to.match(/truncated or corrupt flatbuffer \(|buffer \d+ holds/);
          } else {
            // only unreferenced trailing bytes (metadata) may go missing without an error
            expect(result).to.deep.equal(full);
          }
        }
        expect(errors, model).to.be.greaterThan(bytes.length / step / 2);
      }
    });

    it('gives a one-line error or a graph for randomly corrupted copies, never a crash or hang', function () {
      if (!sharedModelsAvailable(this)) return;
      const random = prng(20240611);
      let failures = 0;
      let trials = 0;
      for (const [model, count] of [
        ['hello_world_int8', 1500],
        ['micro_speech', 300],
        ['mnist_lstm_int8', 300],
      ] as const) {
        const original = new Uint8Array(readFileSync(sharedModelPath(model)));
        for (let trial = 0; trial < count; trial++) {
          const bytes = original.slice();
          const flips = 1 + Math.floor(random() * 8);
          // bias towards the tables (the start of the file) where the structure lives
          for (let k = 0; k < flips; k++) bytes[Math.floor(random() ** 2 * bytes.length)] = Math.floor(random() * 256);
          const started = Date.now();
          if (typeof parseOrUserError(bytes, `${model}.tflite`) === 'string') failures++;
          trials++;
          expect(Date.now() - started, `${model} trial ${trial}`).to.be.lessThan(2000);
        }
      }
      // most corruptions are caught; some land in weights or names and still read
      expect(failures).to.be.greaterThan(trials / 10);
    });

    it('stays linear in the file size when many tables share one large vector', () => {
      // 20000 tensor entries all pointing at one tensor whose shape has 20000 dimensions: without a
      // work bound, reading them would take 4e8 reads from a 160 kB file
      const b = new flatbuffers.Builder(1 << 18);
      const shape = tfl.Tensor.createShapeVector(b, new Array<number>(20000).fill(1));
      tfl.Tensor.startTensor(b);
      tfl.Tensor.addShape(b, shape);
      const tensor = tfl.Tensor.endTensor(b);
      const tensors = tfl.SubGraph.createTensorsVector(b, new Array<number>(20000).fill(tensor));
      tfl.SubGraph.startSubGraph(b);
      tfl.SubGraph.addTensors(b, tensors);
      const subgraphs = tfl.Model.createSubgraphsVector(b, [tfl.SubGraph.endSubGraph(b)]);
      tfl.Model.startModel(b);
      tfl.Model.addVersion(b, 3);
      tfl.Model.addSubgraphs(b, subgraphs);
      b.finish(tfl.Model.endModel(b), 'TFL3');
      const started = Date.now();
      expect(userError(() => parseTflite(b.asUint8Array(), 'bomb.tflite'))).to.match(
        /^bomb\.tflite: truncated or corrupt flatbuffer \(its tables refer to far more data than the \d+-byte file holds/,
      );
      expect(Date.now() - started).to.be.lessThan(3000);
    });

    it('rejects corrupt offsets pointing outside the file', () => {
      const bytes = rawModel();
      const view = new DataView(bytes.buffer);
      view.setUint32(0, bytes.length + 100, true); // root table offset
      expect(userError(() => parseTflite(bytes, 'm.tflite'))).to.match(
        /^m\.tflite: truncated or corrupt flatbuffer \(read of \d+ bytes at offset \d+ is outside the \d+-byte file\)$/,
      );
      // a tensors vector claiming 2^31-1 elements: refused up front, not looped over
      const huge = rawModel();
      const bb = new flatbuffers.ByteBuffer(huge);
      const subgraph = tfl.Model.getRootAsModel(bb).subgraphs(0)!;
      const field = subgraph.bb_pos + bb.__offset(subgraph.bb_pos, 4);
      new DataView(huge.buffer).setInt32(field + bb.readInt32(field), 0x7fffffff, true);
      expect(userError(() => parseTflite(huge, 'm.tflite'))).to.match(
        /^m\.tflite: truncated or corrupt flatbuffer \(vector of 2147483647 elements at offset \d+ runs past the end of the \d+-byte file\)$/,
      );
    });
  });
});
