// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import * as tfl from '../../src/core/model/tflite/generated/schema_generated.ts';
import { parseTflite, readTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { kindsWithOptions, optionsSlotOf } from '../../src/core/model/tflite/options.ts';
import { Graph, Op, OpAttrs, Tensor } from '../../src/core/ir/graph.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { SHARED_MODEL_NAMES, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

type TableView = { bb: flatbuffers.ByteBuffer | null; bb_pos: number };

/** The element count of vector/string field `id` of a table, or undefined if the field is absent. */
function vectorLength(table: TableView, id: number): number | undefined {
  const bb = table.bb!;
  const field = bb.__offset(table.bb_pos, 4 + 2 * id);
  return field ? bb.__vector_len(table.bb_pos + field) : undefined;
}

/**
 * Every vector and string of the tables the writer produces: none may be present with length 0.
 * Field ids are the schema's positions (a union takes two: its type, then its value).
 */
function zeroLengthVectors(bytes: Uint8Array): string[] {
  const found: string[] = [];
  const check = (where: string, table: TableView, ids: number[]) => {
    for (const id of ids) if (vectorLength(table, id) === 0) found.push(`${where} field ${id}`);
  };
  const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
  check('model', model, [1, 2, 3, 4, 5, 6, 7]);
  for (let i = 0; i < model.operatorCodesLength(); i++) check(`operator code ${i}`, model.operatorCodes(i)!, [1]);
  for (let i = 0; i < model.buffersLength(); i++) check(`buffer ${i}`, model.buffers(i)!, [0]);
  const subgraph = model.subgraphs(0)!;
  check('subgraph', subgraph, [0, 1, 2, 3, 4]);
  for (let i = 0; i < subgraph.tensorsLength(); i++) {
    const t = subgraph.tensors(i)!;
    check(`tensor ${i}`, t, [0, 3, 7, 9]);
    if (t.quantization()) check(`tensor ${i} quantization`, t.quantization()!, [0, 1, 2, 3]);
  }
  for (let i = 0; i < subgraph.operatorsLength(); i++) {
    const op = subgraph.operators(i)!;
    check(`operator ${i}`, op, [1, 2, 5, 7, 8]);
    // the options tables with vectors: RESHAPE new_shape, SQUEEZE squeeze_dims (both field 0)
    const options = op.builtinOptions(new tfl.ReshapeOptions()) as tfl.ReshapeOptions | null;
    if (options && [tfl.BuiltinOptions.ReshapeOptions, tfl.BuiltinOptions.SqueezeOptions].includes(op.builtinOptionsType())) {
      check(`operator ${i} options`, options, [0]);
    }
  }
  return found;
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(TinyforgeError);
    expect((e as Error).message).to.not.include('\n');
    return (e as Error).message;
  }
  expect.fail('expected an error');
}

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint], axis: 0 });

/** A graph of one tensor per op input/output; the writer does not check op semantics. */
function graphOf(ops: { kind: string; attrs: OpAttrs }[], extraTensors: Tensor[] = []): Graph {
  const tensors: Tensor[] = [
    { index: 0, name: 'x', shape: [1, 4], dtype: 'int8', quant: q(0.5, -1) },
    { index: 1, name: 'y', shape: [1, 4], dtype: 'int8', quant: q(0.25, 3) },
    ...extraTensors,
  ];
  return {
    name: 'synthetic',
    tensors,
    ops: ops.map((op, index): Op => ({ index, kind: op.kind, inputs: [0], outputs: [1], attrs: op.attrs })),
    inputs: [0],
    outputs: [1],
  };
}

describe('model/tflite writer', () => {
  describe('the shared models', () => {
    it('read -> write -> read gives the same graph (tensors, data, ops, attrs, io)', function () {
      if (!sharedModelsAvailable(this)) return;
      for (const model of SHARED_MODEL_NAMES) {
        const graph = readTflite(sharedModelPath(model));
        const again = parseTflite(writeTflite(graph), `${model}.tflite`);
        expect(again, model).to.deep.equal(graph);
      }
    });

    it('writes version 3, TFL3, buffer 0 as the empty sentinel and 16-byte aligned data', function () {
      if (!sharedModelsAvailable(this)) return;
      for (const name of SHARED_MODEL_NAMES) {
        const bytes = writeTflite(readTflite(sharedModelPath(name)));
        expect(String.fromCharCode(...bytes.subarray(4, 8))).to.equal('TFL3');
        const bb = new flatbuffers.ByteBuffer(bytes);
        const model = tfl.Model.getRootAsModel(bb);
        expect(model.version()).to.equal(3);
        expect(model.buffers(0)!.dataLength(), `${name} sentinel`).to.equal(0);
        expect(vectorLength(model.buffers(0)!, 0), `${name} sentinel has no data field`).to.equal(undefined);
        let withData = 0;
        for (let i = 1; i < model.buffersLength(); i++) {
          const buffer = model.buffers(i)!;
          const start = bb.__vector(buffer.bb_pos + bb.__offset(buffer.bb_pos, 4));
          expect(start % 16, `${name} buffer ${i} at ${start}`).to.equal(0);
          withData++;
        }
        const constants = new Set(
          readTflite(sharedModelPath(name))
            .tensors.filter((t) => t.data)
            .map((t) => t.name),
        );
        expect(withData, name).to.equal(constants.size);
      }
    });

    it('writes no zero-length vectors', function () {
      if (!sharedModelsAvailable(this)) return;
      for (const name of SHARED_MODEL_NAMES) {
        expect(zeroLengthVectors(writeTflite(readTflite(sharedModelPath(name)))), name).to.deep.equal([]);
      }
    });

    it('deduplicates operator codes and sets both the byte and the 32-bit code', function () {
      if (!sharedModelsAvailable(this)) return;
      const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(writeTflite(readTflite(sharedModelPath('person_detect')))));
      const codes = Array.from({ length: model.operatorCodesLength() }, (_, i) => model.operatorCodes(i)!);
      expect(codes.map((c) => tfl.BuiltinOperator[c.builtinCode()]).sort()).to.deep.equal([
        'AVERAGE_POOL_2D',
        'CONV_2D',
        'DEPTHWISE_CONV_2D',
        'RESHAPE',
        'SOFTMAX',
      ]);
      for (const c of codes) expect(c.deprecatedBuiltinCode()).to.equal(c.builtinCode());
    });
  });

  describe('synthetic graphs', () => {
    const attributed: { kind: string; attrs: OpAttrs }[] = [
      { kind: 'CONV_2D', attrs: { padding: 'VALID', strideH: 2, strideW: 3, dilationH: 2, dilationW: 1, activation: 'RELU6' } },
      {
        kind: 'DEPTHWISE_CONV_2D',
        attrs: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 2, activation: 'RELU_N1_TO_1', depthMultiplier: 2 },
      },
      { kind: 'MAX_POOL_2D', attrs: { padding: 'SAME', strideH: 2, strideW: 2, filterH: 3, filterW: 2, activation: 'NONE' } },
      { kind: 'AVERAGE_POOL_2D', attrs: { padding: 'VALID', strideH: 1, strideW: 1, filterH: 5, filterW: 5, activation: 'RELU' } },
      { kind: 'FULLY_CONNECTED', attrs: { activation: 'TANH', keepNumDims: true } },
      { kind: 'ADD', attrs: { activation: 'RELU', potScaleInt16: false } },
      { kind: 'SUB', attrs: { activation: 'SIGN_BIT' } },
      { kind: 'MUL', attrs: { activation: 'RELU6' } },
      { kind: 'RESHAPE', attrs: { newShape: [1, -1] } },
      { kind: 'RESHAPE', attrs: {} },
      { kind: 'SOFTMAX', attrs: { beta: 0.5 } },
      { kind: 'CONCATENATION', attrs: { axis: 3, activation: 'RELU' } },
      { kind: 'PAD', attrs: {} },
      { kind: 'MEAN', attrs: { keepDims: true } },
      { kind: 'STRIDED_SLICE', attrs: { beginMask: 1, endMask: 2, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 4, offset: true } },
      { kind: 'TRANSPOSE', attrs: {} },
      { kind: 'LEAKY_RELU', attrs: { alpha: Math.fround(0.2) } },
      {
        kind: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
        attrs: { activation: 'TANH', cellClip: 10, projClip: 0, timeMajor: true, asymmetricQuantizeInputs: false, diagonalRecurrentTensors: false },
      },
      { kind: 'SVDF', attrs: { rank: 2, activation: 'RELU', asymmetricQuantizeInputs: false } },
      { kind: 'SPLIT', attrs: { numSplits: 3 } },
      { kind: 'PACK', attrs: { valuesCount: 2, axis: 1 } },
      { kind: 'SQUEEZE', attrs: { squeezeDims: [1, 2] } },
      { kind: 'SQUEEZE', attrs: { squeezeDims: [] } },
      { kind: 'RESIZE_BILINEAR', attrs: { alignCorners: false, halfPixelCenters: true } },
      { kind: 'RESIZE_NEAREST_NEIGHBOR', attrs: { alignCorners: true, halfPixelCenters: false } },
      { kind: 'TRANSPOSE_CONV', attrs: { padding: 'VALID', strideW: 2, strideH: 2, activation: 'NONE', quantizedBiasType: 'INT64' } },
      { kind: 'BATCH_MATMUL', attrs: { adjX: true, adjY: false, asymmetricQuantizeInputs: false } },
      { kind: 'ARG_MAX', attrs: { outputType: 'INT32' } },
      { kind: 'GATHER', attrs: { axis: 1, batchDims: 0 } },
      { kind: 'MIRROR_PAD', attrs: { mode: 'SYMMETRIC' } },
      { kind: 'CUMSUM', attrs: { exclusive: true, reverse: false } },
      { kind: 'STABLEHLO_CONCATENATE', attrs: { dimension: 2n } },
      { kind: 'RELU', attrs: {} },
      { kind: 'CUSTOM:MyOp', attrs: { customOptions: new Uint8Array([1, 2, 3]) } },
      { kind: 'CUSTOM:Plain', attrs: {} },
      { kind: 'BUILTIN_250', attrs: {} },
      {
        kind: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
        attrs: {
          activation: 'NONE',
          cellClip: 0,
          projClip: 0,
          timeMajor: false,
          asymmetricQuantizeInputs: false,
          diagonalRecurrentTensors: true,
          intermediates: [1, 0],
        },
      },
    ];

    it('writes back the options of every mapped op kind', () => {
      const graph = graphOf(attributed);
      const again = parseTflite(writeTflite(graph), 'synthetic.tflite');
      expect(again.ops).to.deep.equal(graph.ops);
      expect(zeroLengthVectors(writeTflite(graph))).to.deep.equal([]);
    });

    it('writes every op kind that has an options table, under the right union member', () => {
      const kinds = kindsWithOptions();
      expect(kinds.length).to.be.greaterThan(140);
      const bytes = writeTflite(graphOf(kinds.map((kind) => ({ kind, attrs: {} }))));
      const subgraph = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes)).subgraphs(0)!;
      kinds.forEach((kind, i) => {
        const op = subgraph.operators(i)!;
        const slot = optionsSlotOf(kind)!;
        expect(slot.union === 1 ? op.builtinOptionsType() : op.builtinOptions2Type(), kind).to.equal(slot.tag);
      });
      // and reading them gives attrs that survive another round trip unchanged
      const read = parseTflite(bytes, 'all.tflite');
      expect(parseTflite(writeTflite(read), 'all.tflite')).to.deep.equal(read);
    });

    it('keeps codes above 127 in the 32-bit field, with the byte field saturated', () => {
      const bytes = writeTflite(
        graphOf([
          { kind: 'CUMSUM', attrs: { exclusive: false, reverse: false } },
          { kind: 'ADD', attrs: { activation: 'NONE' } },
          { kind: 'CUMSUM', attrs: { exclusive: false, reverse: true } },
        ]),
      );
      const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
      expect(model.operatorCodesLength()).to.equal(2);
      const cumsum = model.operatorCodes(0)!;
      expect([cumsum.deprecatedBuiltinCode(), cumsum.builtinCode(), cumsum.version()]).to.deep.equal([127, 128, 1]);
      const add = model.operatorCodes(1)!;
      expect([add.deprecatedBuiltinCode(), add.builtinCode()]).to.deep.equal([0, 0]);
    });

    it('writes scalars, unnamed tensors and variables without empty vectors', () => {
      const graph = graphOf(
        [{ kind: 'ADD', attrs: { activation: 'NONE' } }],
        [
          { index: 2, name: '', shape: [], dtype: 'int32', data: new Uint8Array([1, 0, 0, 0]) },
          { index: 3, name: 'state', shape: [1, 2], dtype: 'int16', quant: { scale: [1, 2], zeroPoint: [0, 0], axis: 1 }, isVariable: true },
        ],
      );
      graph.ops[0]!.inputs = [0, 2, 3, -1];
      const bytes = writeTflite(graph);
      expect(zeroLengthVectors(bytes)).to.deep.equal([]);
      expect(parseTflite(bytes, 'synthetic.tflite')).to.deep.equal(graph);
    });

    it('shares one buffer between tensors that share their data, and keeps distinct ones apart', () => {
      const shared = new Uint8Array([1, 2, 3, 4]);
      const graph = graphOf(
        [{ kind: 'ADD', attrs: { activation: 'NONE' } }],
        [
          { index: 2, name: 'a', shape: [4], dtype: 'int8', data: shared },
          { index: 3, name: 'b', shape: [4], dtype: 'int8', data: shared },
          { index: 4, name: 'c', shape: [4], dtype: 'int8', data: new Uint8Array([1, 2, 3, 4]) },
        ],
      );
      const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(writeTflite(graph)));
      expect(model.buffersLength()).to.equal(3);
      const tensors = model.subgraphs(0)!;
      expect([2, 3, 4].map((i) => tensors.tensors(i)!.buffer())).to.deep.equal([1, 1, 2]);
    });

    it("writes the description: given, else the graph's, else none", () => {
      const graph = graphOf([{ kind: 'RELU', attrs: {} }]);
      expect(parseTflite(writeTflite(graph), 'm.tflite').description).to.equal(undefined);
      expect(parseTflite(writeTflite({ ...graph, description: 'from graph' }), 'm.tflite').description).to.equal('from graph');
      expect(parseTflite(writeTflite({ ...graph, description: 'from graph' }, 'tinyforge'), 'm.tflite').description).to.equal('tinyforge');
    });

    it('saves to a file that reads back, and names the path it cannot write', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-writer-'));
      const graph = graphOf([{ kind: 'RELU', attrs: {} }]);
      saveTflite(join(dir, 'out.tflite'), graph);
      // the description marks the file as tinyforge's, so a later save may replace it
      expect(readTflite(join(dir, 'out.tflite'))).to.deep.equal({ ...graph, name: 'out', description: 'written by tinyforge' });
      saveTflite(join(dir, 'out.tflite'), { ...graph, description: 'second' });
      expect(readTflite(join(dir, 'out.tflite')).description).to.equal('second (written by tinyforge)');
      expect(userError(() => saveTflite(join(dir, 'missing', 'out.tflite'), graph))).to.match(/missing\/out\.tflite: the folder .* does not exist/);
      expect(readdirSync(dir), 'no temporary file left').to.deep.equal(['out.tflite']);
    });

    it("never overwrites a file it did not write: a user's model or any other file is refused, unchanged", () => {
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-writer-'));
      const graph = graphOf([{ kind: 'RELU', attrs: {} }]);
      const theirs = join(dir, 'theirs.tflite');
      writeFileSync(theirs, writeTflite({ ...graph, description: 'TOCO Converted.' }));
      const before = readFileSync(theirs);
      expect(userError(() => saveTflite(theirs, graph))).to.match(/theirs\.tflite: exists and is not a file tinyforge wrote/);
      expect(readFileSync(theirs).equals(before)).to.equal(true);
      const notes = join(dir, 'notes.txt');
      writeFileSync(notes, 'mine');
      expect(userError(() => saveTflite(notes, graph))).to.match(/notes\.txt: exists and is not a file tinyforge wrote/);
      expect(readFileSync(notes, 'utf8')).to.equal('mine');
    });
  });

  describe('bad graphs', () => {
    it('names the op and attribute at fault', () => {
      expect(userError(() => writeTflite(graphOf([{ kind: 'NOT_AN_OP', attrs: {} }])))).to.equal(
        'synthetic: op 0 (NOT_AN_OP): NOT_AN_OP is not a TFLite operator',
      );
      expect(userError(() => writeTflite(graphOf([{ kind: 'CUSTOM', attrs: {} }])))).to.match(/CUSTOM is not a TFLite operator/);
      expect(userError(() => writeTflite(graphOf([{ kind: 'CONV_2D', attrs: { padding: 'FULL' } }])))).to.equal(
        'synthetic: op 0 (CONV_2D): padding "FULL" is not one of SAME, VALID',
      );
      expect(userError(() => writeTflite(graphOf([{ kind: 'CONV_2D', attrs: { strideH: '2' } }])))).to.equal(
        'synthetic: op 0 (CONV_2D): attribute strideH is a string, expected a number',
      );
      expect(userError(() => writeTflite(graphOf([{ kind: 'SQUEEZE', attrs: { squeezeDims: { 0: 1 } } }])))).to.equal(
        'synthetic: op 0 (SQUEEZE): attribute squeezeDims is an object, expected an array',
      );
      expect(userError(() => writeTflite(graphOf([{ kind: 'ADD', attrs: { activation: 'GELU' } }])))).to.match(
        /^synthetic: op 0 \(ADD\): activation "GELU" is not one of NONE, RELU/,
      );
      expect(userError(() => writeTflite(graphOf([{ kind: 'CUSTOM:x', attrs: { customOptions: [1, 2] } }])))).to.equal(
        'synthetic: op 0 (CUSTOM:x): attribute customOptions must be a Uint8Array',
      );
    });

    it('rejects out-of-range tensor indices and data of the wrong size', () => {
      const graph = graphOf([{ kind: 'RELU', attrs: {} }]);
      graph.ops[0]!.inputs = [7];
      expect(userError(() => writeTflite(graph))).to.equal('synthetic: op 0 (RELU) input 0: tensor index 7 is out of range (2 tensors)');
      expect(userError(() => writeTflite({ ...graphOf([]), outputs: [-1] }))).to.equal(
        'synthetic: graph output 0: tensor index -1 is out of range (2 tensors)',
      );
      const wrongSize = graphOf([], [{ index: 2, name: 'w', shape: [2, 2], dtype: 'int8', data: new Uint8Array(3) }]);
      expect(userError(() => writeTflite(wrongSize))).to.equal("synthetic: tensor 2 'w': 3 data bytes, but int8[2,2] needs 4");
    });
  });
});
