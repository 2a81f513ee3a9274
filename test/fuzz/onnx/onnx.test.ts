// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph, Tensor } from '../../../src/core/ir/graph.ts';
import { compileGraph } from '../../../src/core/compile.ts';
import { TinyforgeError } from '../../../src/core/errors.ts';
import { OnnxDataType, TensorProtoType, decodeModelProto, decodeTensorProto, encodeModelProto } from '../../../src/core/model/onnx/schema.ts';
import { type OnnxValue, exposeNodeOutputs, inferElemTypes, onnxRuntimeAvailable, runOnnxModel } from '../../../src/lab/run/onnxruntime.ts';
import {
  dumpFromOnnxTensors,
  inversePermutation,
  onnxValueAsTensor,
  readOnnxTensorDir,
  tensorProtoValue,
  transposeValues,
} from '../../../src/lab/run/onnx_reference.ts';
import { matchReference } from '../../../src/lab/run/reference.ts';
import { referenceOutputs } from '../../../src/lab/run/run.ts';
import { outputValues } from '../../../src/lab/data/bytes.ts';
import { ACT_RANGE } from './emitter.ts';
import { ONNX_GENERATORS, generateOnnxCase } from './generate.ts';
import { OnnxImporterAbsent, compareOutputs, irInputs, loadOnnxGraph, runOnnxCampaign } from './campaign.ts';
import { loadRecordedCases } from './recorded.ts';
import { REPRO_DIR } from '../repro.ts';
import { PROJECT_ROOT, tinyforge } from '../../helpers/cli.ts';
import { skipAbsent } from '../../helpers/absent.ts';
import { skipUnlessOrtExact } from '../../helpers/ort_platform.ts';

const BACKEND_TESTS = '/usr/share/libonnx-testdata/data/node';

async function requireOrt(ctx: Mocha.Context): Promise<void> {
  if (await onnxRuntimeAvailable()) return;
  console.warn('  NOTICE: onnxruntime-node is not installed (npm install onnxruntime-node): the ONNX Runtime checks are skipped');
  ctx.skip();
}

/** The first recorded model read into the IR, or a skip with one line while tinyforge reads no .onnx. */
function requireImporter(ctx: Mocha.Context, path: string): Graph {
  try {
    return loadOnnxGraph(path);
  } catch (e) {
    if (!(e instanceof OnnxImporterAbsent)) throw e;
    console.warn(`  NOTICE: ${e.message}: the comparisons with tinyforge are skipped`);
    ctx.skip();
  }
}

/** A one-layer IR graph whose int8 NHWC input and output hold uint8 NCHW ONNX values. */
function nhwcGraph(): Graph {
  const tensor = (index: number, name: string): Tensor => ({
    index,
    name,
    shape: [1, 3, 4, 2],
    dtype: 'int8',
    quant: { scale: [0.5], zeroPoint: [-118], axis: 0 },
    onnx: { name, perm: [0, 2, 3, 1] },
  });
  return {
    name: 'nhwc',
    tensors: [tensor(0, 'x_q'), tensor(1, 'y_q')],
    ops: [{ index: 0, kind: 'RELU', inputs: [0], outputs: [1], attrs: {} }],
    inputs: [0],
    outputs: [1],
  };
}

describe('ONNX reference: layouts and dumps', () => {
  it('transposes by a permutation and back', () => {
    const data = Array.from({ length: 24 }, (_, i) => i);
    const nhwc = transposeValues(data, [1, 2, 3, 4], [0, 2, 3, 1]);
    // NHWC element [0, h=0, w=1, c=1] is NCHW element [0, 1, 0, 1] = 12 + 1
    expect(nhwc[1 * 2 + 1]).to.equal(13);
    expect(transposeValues(nhwc, [1, 3, 4, 2], inversePermutation([0, 2, 3, 1]))).to.deep.equal(data);
  });

  it('brings a uint8 NCHW value to an int8 NHWC tensor (perm, shift of 128) and refuses another shape', () => {
    const g = nhwcGraph();
    const v: OnnxValue = { name: 'y_q', dtype: 'uint8', shape: [1, 2, 3, 4], data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) };
    const got = onnxValueAsTensor(g.tensors[1]!, v);
    expect('data' in got && Array.from(new Int8Array(got.data.buffer))).to.deep.equal(
      transposeValues(v.data, v.shape, [0, 2, 3, 1]).map((x) => Number(x) - 128),
    );
    expect(onnxValueAsTensor(g.tensors[1]!, { ...v, shape: [1, 4, 3, 2] }))
      .to.have.property('reason')
      .that.matches(/not the IR's/);
  });

  it('compares our outputs with ORT in output LSBs, whatever the layout and 8-bit type', () => {
    const g = nhwcGraph();
    const ort: OnnxValue = { name: 'y_q', dtype: 'uint8', shape: [1, 2, 3, 4], data: Uint8Array.from({ length: 24 }, (_, i) => 100 + i) };
    const c = {
      label: 'nhwc',
      outputs: [{ name: 'y_q', type: 'uint8' as const, shape: [1, 2, 3, 4], scale: 0.5, zeroPoint: 10 }],
      inputs: [{ name: 'x_q', type: 'uint8' as const, shape: [1, 2, 3, 4], scale: 0.5, zeroPoint: 10, data: Uint8Array.from({ length: 24 }, (_, i) => i) }],
    } as unknown as Parameters<typeof compareOutputs>[1];
    // ours, as a run report gives them (read back NHWC, permuted to ONNX's NCHW): the same real values
    // at zero point -118 (= 10 - 128), one element 1 LSB up
    const nhwc = new Int8Array(transposeValues(ort.data, ort.shape, [0, 2, 3, 1]).map((x) => Number(x) - 128));
    const ours = outputValues(g, 0, new Uint8Array(nhwc.buffer));
    expect(ours).to.deep.equal(Array.from(ort.data as Uint8Array, (x) => x - 128));
    ours[5]! += 1;
    const r = compareOutputs(g, c, [ours], [ort]);
    expect(r).to.include({ elements: 24, exact: 23, maxDiff: 1 });
    expect(Array.from(new Int8Array(irInputs(g, c)[0]!.buffer))).to.deep.equal(
      transposeValues(c.inputs[0]!.data, [1, 2, 3, 4], [0, 2, 3, 1]).map((x) => Number(x) - 128),
    );
  });

  it('reads a directory of TensorProto files (ORT node I/O dump) into a reference the IR matches', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-dump-'));
    try {
      const write = (file: string, name: string, values: number[]) =>
        writeFileSync(
          join(dir, file),
          TensorProtoType.encode(
            TensorProtoType.fromObject({ name, dataType: OnnxDataType.UINT8, dims: [1, 2, 3, 4], rawData: Uint8Array.from(values) }),
          ).finish(),
        );
      write(
        'x_q.tensorproto',
        'x_q',
        Array.from({ length: 24 }, (_, i) => i),
      );
      write(
        'y_q.tensorproto',
        'y_q',
        Array.from({ length: 24 }, (_, i) => 200 - i),
      );
      const tensors = readOnnxTensorDir(dir);
      expect([...tensors.keys()]).to.deep.equal(['x_q', 'y_q']);
      const g = nhwcGraph();
      const { dump, unmatched } = dumpFromOnnxTensors(g, tensors, dir);
      expect(unmatched).to.deep.equal([]);
      expect(matchReference(g, dump, 'nhwc').map((m) => [m.tensor, m.by])).to.deep.equal([
        [0, 'index'],
        [1, 'index'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('types the node outputs it exposes; the integer dump leaves the float values out', () => {
    const c = loadRecordedCases().find((r) => r.case.generator === 'chain' && r.case.form === 'qdq')!;
    const model = decodeModelProto(c.case.model);
    const types = inferElemTypes(model.graph!);
    const exposed = exposeNodeOutputs(model, 'integer').graph!.output!;
    expect(exposed.length).to.be.greaterThan(model.graph!.output!.length);
    for (const o of exposed) expect([OnnxDataType.UINT8, OnnxDataType.INT8, OnnxDataType.INT32]).to.include(o.type?.tensorType?.elemType ?? types.get(o.name!));
    expect(exposeNodeOutputs(model, 'all').graph!.output!.length).to.be.greaterThan(exposed.length);
  });
});

describe('ONNX models: generator and writer', () => {
  it('every recorded model decodes and encodes to the same bytes', () => {
    const recorded = loadRecordedCases();
    expect(recorded.length).to.be.greaterThanOrEqual(ONNX_GENERATORS.reduce((n, g) => n + g.forms.length, 0));
    for (const r of recorded)
      expect(Buffer.from(encodeModelProto(decodeModelProto(r.case.model))).equals(Buffer.from(r.case.model)), r.case.label).to.equal(true);
  });

  it('generated models load and run in ONNX Runtime, with scales that use the integer range', async function () {
    await requireOrt(this);
    const seen = new Set<string>();
    let saturated = 0;
    let values = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const c = await generateOnnxCase(seed);
      seen.add(`${c.generator}/${c.form}`);
      // the writer's bytes are what protobufjs reads back
      expect(Buffer.from(encodeModelProto(decodeModelProto(c.model))).equals(Buffer.from(c.model))).to.equal(true);
      const run = await runOnnxModel(
        c.model,
        c.inputs.map((i) => i.data),
      );
      run.outputs.forEach((o, k) => {
        expect(o.dtype, c.label).to.equal(c.outputs[k]!.type);
        if (o.dtype === 'int32') return;
        const [qmin, qmax] = ACT_RANGE[o.dtype as 'uint8'];
        for (const v of o.data as Uint8Array) if (v === qmin || v === qmax) saturated++;
        values += o.data.length;
      });
    }
    expect(seen.size).to.be.greaterThan(15);
    // calibrated scales: inputs span the whole range, so some outputs clip, but not most
    expect(saturated / values).to.be.lessThan(0.25);
  });

  it("the integer dump gives every quantized activation and leaves the model's outputs as they were", async function () {
    await requireOrt(this);
    await skipUnlessOrtExact(this);
    for (const r of loadRecordedCases().filter((x) => ['chain', 'branches'].includes(x.case.generator))) {
      const run = await runOnnxModel(
        r.case.model,
        r.case.inputs.map((i) => i.data),
        { dump: 'integer', level: r.level },
      );
      run.outputs.forEach((o, k) => expect(Array.from(o.data as Uint8Array), r.case.label).to.deep.equal(Array.from(r.expected[k]!.data as Uint8Array)));
      expect(run.tensors.size, r.case.label).to.be.greaterThan(r.case.inputs.length + r.case.outputs.length);
    }
  });

  it('ONNX Runtime still gives the recorded answers (test/data/onnx, npm run oracle:record:onnx)', async function () {
    await requireOrt(this);
    await skipUnlessOrtExact(this);
    for (const r of loadRecordedCases()) {
      const run = await runOnnxModel(
        r.case.model,
        r.case.inputs.map((i) => i.data),
        { level: r.level },
      );
      run.outputs.forEach((o, k) => expect(Array.from(o.data as Uint8Array), r.case.label).to.deep.equal(Array.from(r.expected[k]!.data as Uint8Array)));
    }
  });

  it("ONNX's backend node tests of the quantized ops run in the reference with their own answers", async function () {
    await requireOrt(this);
    if (!existsSync(BACKEND_TESTS)) skipAbsent(`${BACKEND_TESTS} not found (apt install libonnx-testdata)`, 'skipped', this);
    const names = [
      'test_qlinearconv',
      'test_qlinearmatmul_2D',
      'test_qlinearmatmul_3D',
      'test_convinteger_with_padding',
      'test_matmulinteger',
      'test_quantizelinear',
      'test_dequantizelinear',
    ];
    for (const name of names) {
      const dir = join(BACKEND_TESTS, name);
      const set = join(dir, 'test_data_set_0');
      const read = (prefix: string) =>
        readdirSync(set)
          .filter((f) => f.startsWith(prefix))
          .sort()
          .map((f) => tensorProtoValue(decodeTensorProto(new Uint8Array(readFileSync(join(set, f)))), f));
      const inputs = read('input_');
      const run = await runOnnxModel(
        join(dir, 'model.onnx'),
        inputs.map((i) => i.data),
      );
      read('output_').forEach((o, k) =>
        expect(Array.from(run.outputs[k]!.data as ArrayLike<number>), name).to.deep.equal(Array.from(o.data as ArrayLike<number>)),
      );
    }
  });
});

describe('CLI: validate --reference onnxruntime', function () {
  it('refuses a model that is not ONNX in one line', () => {
    const model = join(PROJECT_ROOT, 'examples', 'mnist', 'mnist_cnn_int8.tflite');
    const notOnnx = tinyforge(['validate', model, '--reference', 'onnxruntime', '--target', 'host']);
    expect(notOnnx.status).to.equal(1);
    expect(notOnnx.stderr.trim()).to.match(/^error: --reference onnxruntime is for an ONNX model \(\.onnx\), not mnist_cnn_int8\.tflite$/);
  });
});

/** Ops whose layers run TFLite's fixed point, ORT's being a float kernel not reproduced: within 1 step of ORT (docs/onnx.md). */
const WITHIN_ONE_STEP = new Set(['HardSwish', 'Softmax']);
/** Ops whose ORT kernels are float arithmetic that tinyforge reproduces (recorded on their own by record.ts). */
const FLOAT_KERNEL_OPS = new Set(['Sigmoid', 'LeakyRelu', 'QLinearSigmoid', 'QLinearLeakyRelu', 'ConvTranspose']);

describe('ONNX models: tinyforge against ONNX Runtime', function () {
  it("every recorded model and ONNX reproducer, through tinyforge's TS reference, is within 1 LSB of ORT's answers, and exact but for HardSwish and Softmax", function () {
    // the fuzzer's reproducers (the same format) stay fixed too
    const reproducers = join(REPRO_DIR, 'onnx');
    const recorded = [...loadRecordedCases(), ...(existsSync(reproducers) ? loadRecordedCases(reproducers) : [])];
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-recorded-'));
    try {
      const first = join(dir, `${recorded[0]!.case.label}.onnx`);
      writeFileSync(first, recorded[0]!.case.model);
      requireImporter(this, first);
      const refused: string[] = [];
      const off: string[] = [];
      let exact = 0;
      let elements = 0;
      const floatKernelModels: string[] = [];
      for (const r of recorded) {
        const path = join(dir, `${r.case.label}.onnx`);
        writeFileSync(path, r.case.model);
        let graph: Graph;
        let compiled: ReturnType<typeof compileGraph>;
        try {
          graph = loadOnnxGraph(path);
          compiled = compileGraph(graph, path);
        } catch (e) {
          if (!(e instanceof TinyforgeError)) throw e;
          refused.push(r.case.label);
          continue;
        }
        const [outputs] = referenceOutputs(compiled.prepared, [irInputs(graph, r.case)], false);
        const ours = outputs!.map((bytes, k) => outputValues(graph, k, bytes));
        const m = compareOutputs(graph, r.case, ours, r.expected);
        exact += m.exact;
        elements += m.elements;
        if (m.maxDiff > 1) off.push(`${r.case.label}: ${m.exact}/${m.elements} exact, max ${m.maxDiff} LSB`);
        // a model of ops tinyforge computes as ONNX Runtime does must equal ORT's answers exactly
        if (r.case.ops.every((op) => !WITHIN_ONE_STEP.has(op)) && m.exact !== m.elements)
          off.push(`${r.case.label} (${r.case.ops.join(', ')}): ${m.exact}/${m.elements} exact; every op of it is ONNX Runtime's own arithmetic`);
        if (r.case.ops.some((op) => FLOAT_KERNEL_OPS.has(op))) floatKernelModels.push(`${r.case.label} ${m.exact}/${m.elements}`);
      }
      console.log(
        `  ${recorded.length - refused.length} of ${recorded.length} recorded models compiled: ${exact}/${elements} output values equal ORT's${refused.length ? `; refused: ${refused.join(', ')}` : ''}`,
      );
      expect(floatKernelModels.length, 'recorded models of the ops whose ORT kernels are float arithmetic').to.be.at.least(FLOAT_KERNEL_OPS.size);
      expect(off).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CI slice: generated models compiled for the host (C, ASan+UBSan) against ONNX Runtime live', async function () {
    await requireOrt(this);
    await skipUnlessOrtExact(this);
    try {
      const r = await runOnnxCampaign({ seed: 42, count: 12, targets: ['host'], budgetMs: 15_000 });
      const refused = r.findings.filter((f) => f.kind === 'refused');
      if (refused.length) console.log(`  ${refused.length} of ${r.models} models refused: ${refused.map((f) => f.label).join(', ')}`);
      expect(r.findings.filter((f) => f.kind !== 'refused').map((f) => `${f.kind}: ${f.label}: ${f.detail}`)).to.deep.equal([]);
      expect(r.models).to.be.greaterThan(0);
    } catch (e) {
      if (!(e instanceof OnnxImporterAbsent)) throw e;
      console.warn(`  NOTICE: ${e.message}: the CI slice is skipped`);
      this.skip();
    }
  });
});
