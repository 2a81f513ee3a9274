// SPDX-License-Identifier: Apache-2.0
/**
 * The ONNX importer: QDQ and float models built here (test/helpers/onnx_builder.ts) are lowered,
 * compiled and run; the compiled C on the host must equal the TS interpreter, and the interpreter
 * must agree with ONNX Runtime (native onnxruntime-node, when it loads): exactly, or within the steps a
 * case states where an op keeps TFLite's fixed-point kernel.
 * Malformed and unsupported models each end in one TinyforgeError line.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TinyforgeError } from '../../errors.ts';
import { compileGraph } from '../../compile.ts';
import { type Graph, elementCount } from '../../ir/graph.ts';
import { bytesToOnnxLayout, bytesToTensorLayout, onnxShapeOf } from '../../ir/onnx_layout.ts';
import { interpret } from '../../ops/interpreter.ts';
import { parseOnnx } from './reader.ts';
import { decodeModelProto, decodeTensorProto, encodeModelProto } from './schema.ts';
import { tensorValues } from './tensors.ts';
import { runModel } from '../../../lab/run/run.ts';
import { loadOnnxRuntime } from '../../../lab/run/onnxruntime.ts';
import { ORT_SATURATES_NOTICE, ortSaturatesU8S8 } from '../../../../test/helpers/ort_platform.ts';
import { OnnxBuilder, attrFloat, attrInt, attrInts, attrString, randomInts, seeded, tensorProto } from '../../../../test/helpers/onnx_builder.ts';

type Ort = typeof import('onnxruntime-web');
let ortModule: Ort | undefined | null;
async function loadOrt(): Promise<Ort | undefined> {
  if (ortModule === undefined) {
    try {
      ortModule = await loadOnnxRuntime('node');
    } catch {
      ortModule = null;
    }
  }
  return ortModule ?? undefined;
}

/** ONNX Runtime's float outputs of a model with one float input. */
async function ortOutputs(ort: Ort, bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
  return session.outputNames.map((n) => result[n]!.data as Float32Array);
}

/** The interpreter's outputs of a compiled graph with one float input, as floats, both in ONNX's layout. */
function ourOutputs(graph: Graph, input: Float32Array): Float32Array[] {
  const compiled = compileGraph(graph);
  const bytes = bytesToTensorLayout(graph.tensors[graph.inputs[0]!]!, new Uint8Array(input.buffer.slice(0)));
  return interpret(compiled.prepared, [bytes]).outputs.map(
    (out, k) => new Float32Array(bytesToOnnxLayout(graph.tensors[graph.outputs[k]!]!, new Uint8Array(out)).slice().buffer),
  );
}

function inputOf(graph: Graph, seed: number, range = 2): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: elementCount(graph.tensors[graph.inputs[0]!]!.shape) }, () => (rand() * 2 - 1) * range);
}

/** Builds a QDQ model around `body`, which gets the dequantized input and returns the float value to output. */
function qdqModel(
  inputShape: (number | string)[],
  body: (b: OnnxBuilder, x: string) => string,
  outputScale: number,
  outputZeroPoint = 0,
  opset = 13,
): OnnxBuilder {
  const b = new OnnxBuilder(opset);
  const x = b.input('x', 'float', inputShape);
  const y = body(b, b.qdq(x, 0.02, 3));
  b.output(b.qdq(y, outputScale, outputZeroPoint), 'float');
  return b;
}

let rand = seeded(7);
/** Each case's weights from its own seed, whichever cases run before it. */
function built(c: { name: string; build: () => OnnxBuilder }): OnnxBuilder {
  rand = seeded([...c.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));
  return c.build();
}
const weights = (count: number) => randomInts(rand, count, -127, 127);
const scales = (count: number, base: number) => Array.from({ length: count }, (_, i) => base * (1 + 0.1 * i));

/**
 * The QDQ cases: each an ONNX model and how far (in output steps) our int8 result may be from ONNX
 * Runtime's: 0 (exact) unless an op keeps TFLite's fixed-point kernel (docs/onnx.md, Arithmetic).
 */
const QDQ_CASES: { name: string; build: () => OnnxBuilder; shape: number[]; steps?: number }[] = [
  {
    name: 'conv 3x3 per-channel + relu + maxpool + flatten + gemm',
    shape: [1, 3, 8, 8],
    build: () =>
      qdqModel(
        ['N', 3, 8, 8],
        (b, x) => {
          const w = b.dqConst([4, 3, 3, 3], weights(108), scales(4, 0.01));
          const bias = b.dqConst(
            [4],
            [100, -50, 0, 20],
            scales(4, 0.01).map((s) => s * 0.02),
            0,
            'int32',
          );
          const c = b.one('Conv', [x, w, bias], [attrInts('pads', [1, 1, 1, 1])]);
          const r = b.qdq(b.one('Relu', [c]), 0.05, -128);
          const p = b.one('MaxPool', [r], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]);
          const f = b.one('Flatten', [p]);
          return b.one('Gemm', [f, b.dqConst([5, 64], weights(320), [0.004])], [attrInt('transB', 1)]);
        },
        0.5,
      ),
  },
  {
    name: 'depthwise conv stride 2 with asymmetric pads',
    shape: [1, 4, 7, 7],
    build: () =>
      qdqModel(
        [1, 4, 7, 7],
        (b, x) => {
          const w = b.dqConst([4, 1, 3, 3], weights(36), scales(4, 0.01));
          return b.one('Conv', [x, w], [attrInt('group', 4), attrInts('strides', [2, 2]), attrInts('pads', [0, 0, 1, 1])]);
        },
        0.04,
        -5,
      ),
  },
  {
    name: 'grouped conv (2 groups of 3 channels) per-channel with bias and relu, then a grouped 1x1',
    shape: [1, 6, 6, 6],
    build: () =>
      qdqModel(
        [1, 6, 6, 6],
        (b, x) => {
          const w = b.dqConst([4, 3, 3, 3], weights(108), scales(4, 0.01));
          const bias = b.dqConst(
            [4],
            [300, -200, 50, 0],
            scales(4, 0.01).map((s) => s * 0.02),
            0,
            'int32',
          );
          const c = b.one('Conv', [x, w, bias], [attrInt('group', 2), attrInts('pads', [1, 0, 1, 2]), attrInts('strides', [1, 2])]);
          const r = b.qdq(b.one('Relu', [c]), 0.05, -128);
          return b.one('Conv', [r, b.dqConst([6, 2, 1, 1], weights(12), [0.02])], [attrInt('group', 2)]);
        },
        0.1,
        4,
      ),
  },
  {
    name: 'grouped conv 1-D (3 groups)',
    shape: [1, 6, 10],
    build: () => qdqModel([1, 6, 10], (b, x) => b.one('Conv', [x, b.dqConst([3, 2, 3], weights(18), scales(3, 0.01))], [attrInt('group', 3)]), 0.05),
  },
  {
    name: 'conv 1-D dilated, explicit pads',
    shape: [1, 3, 16],
    build: () =>
      qdqModel(
        [1, 3, 16],
        (b, x) => b.one('Conv', [x, b.dqConst([5, 3, 3], weights(45), [0.01])], [attrInts('dilations', [2]), attrInts('pads', [2, 1])]),
        0.05,
      ),
  },
  {
    name: 'average pools and global average pool',
    shape: [1, 3, 6, 6],
    build: () =>
      qdqModel(
        [1, 3, 6, 6],
        (b, x) => {
          const a = b.qdq(b.one('AveragePool', [x], [attrInts('kernel_shape', [3, 3]), attrString('auto_pad', 'SAME_UPPER')]), 0.02, 3);
          const c = b.qdq(
            b.one('AveragePool', [a], [attrInts('kernel_shape', [2, 2]), attrInts('pads', [1, 1, 1, 1]), attrInt('count_include_pad', 1)]),
            0.02,
            3,
          );
          return b.one('GlobalAveragePool', [c]);
        },
        0.01,
      ),
  },
  {
    name: 'max pool ceil_mode 1 with a partial last window, then an average leaving out pads placed as SAME',
    shape: [1, 3, 12, 12],
    build: () =>
      qdqModel(
        [1, 3, 12, 12],
        (b, x) => {
          const m = b.qdq(
            b.one('MaxPool', [x], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 0, 0]), attrInt('ceil_mode', 1)]),
            0.02,
            3,
          );
          return b.one('AveragePool', [m], [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 2, 2])]);
        },
        0.02,
        3,
      ),
    // the average's windows cut by the image edge: one value is 1 step off ONNX Runtime's, as it is
    // with the same geometry written as TFLite SAME pads (AVERAGE_POOL_2D's arithmetic, not the lowering)
    steps: 1,
  },
  {
    name: 'average leaving out end pads no window reaches (VALID places)',
    shape: [1, 3, 12, 12],
    build: () =>
      qdqModel(
        [1, 3, 12, 12],
        (b, x) => b.one('AveragePool', [x], [attrInts('kernel_shape', [3, 3]), attrInts('strides', [3, 3]), attrInts('pads', [0, 0, 2, 1])]),
        0.02,
        3,
      ),
  },
  {
    name: 'add of two branches with a broadcast constant, mul, concat, softmax',
    shape: [1, 2, 4, 4],
    build: () =>
      qdqModel(
        [1, 2, 4, 4],
        (b, x) => {
          const c1 = b.qdq(b.one('Conv', [x, b.dqConst([3, 2, 1, 1], weights(6), [0.01])]), 0.03, 1);
          const c2 = b.qdq(b.one('Conv', [x, b.dqConst([3, 2, 1, 1], weights(6), [0.012])]), 0.025, -2);
          const sum = b.qdq(b.one('Add', [c1, c2]), 0.05, 0);
          const bias = b.dqConst([3, 1, 1], [10, -20, 30], [0.01]);
          const shifted = b.qdq(b.one('Add', [sum, bias]), 0.05, 0);
          const scaled = b.qdq(b.one('Mul', [shifted, c1]), 0.02, 0);
          const cat = b.qdq(b.one('Concat', [scaled, c2], [attrInt('axis', 1)]), 0.04, 0);
          return b.one('Softmax', [cat], [attrInt('axis', 1)]);
        },
        1 / 256,
        -128,
      ),
    // SOFTMAX is TFLite's fixed-point softmax, ONNX Runtime's a float one (docs/onnx.md, Arithmetic)
    steps: 2,
  },
  {
    name: 'sigmoid, leaky relu, hard swish, pad, transpose, reshape, matmul',
    shape: [1, 2, 3, 4],
    build: () =>
      qdqModel(
        [1, 2, 3, 4],
        (b, x) => {
          const s = b.qdq(b.one('Sigmoid', [x]), 1 / 256, -128);
          const l = b.qdq(b.one('LeakyRelu', [x], [attrFloat('alpha', 0.2)]), 0.02, 10);
          const h = b.qdq(b.one('HardSwish', [l]), 0.02, -20);
          const sum = b.qdq(b.one('Add', [s, h]), 0.03, 0);
          const p = b.qdq(b.one('Pad', [sum, b.init('pads', 'int64', [8], [0, 0, 1, 0, 0, 0, 0, 1])]), 0.03, 0);
          const t = b.qdq(b.one('Transpose', [p], [attrInts('perm', [0, 2, 3, 1])]), 0.03, 0);
          const r = b.qdq(b.one('Reshape', [t, b.init('shape', 'int64', [2], [4, -1])]), 0.03, 0);
          return b.one('MatMul', [r, b.dqConst([10, 3], weights(30), scales(3, 0.01), 1)]);
        },
        0.05,
        0,
        14,
      ),
    // LOGISTIC and LEAKY_RELU are ONNX Runtime's tables; HARD_SWISH is TFLite's fixed-point kernel
    steps: 1,
  },
  {
    name: 'resize nearest and bilinear (half_pixel), transposed convolutions SAME and VALID',
    shape: [1, 2, 3, 4],
    build: () =>
      qdqModel(
        [1, 2, 3, 4],
        (b, x) => {
          const none = b.init('roi', 'float', [0], []);
          const up = b.init('scales', 'float', [4], [1, 1, 2, 2]);
          const n = b.qdq(b.one('Resize', [x, none, up], [attrString('mode', 'nearest')]), 0.02, 3);
          const l = b.qdq(b.one('Resize', [n, none, none, b.init('sizes', 'int64', [4], [1, 2, 12, 16])], [attrString('mode', 'linear')]), 0.02, 3);
          const same = b.dqConst([2, 3, 4, 4], weights(96), scales(3, 0.01), 1);
          const t = b.qdq(b.one('ConvTranspose', [l, same], [attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1])]), 0.1, 0);
          const valid = b.dqConst([3, 2, 2, 2], weights(24), [0.01]);
          return b.one('ConvTranspose', [t, valid], [attrInts('strides', [2, 2])]);
        },
        0.1,
      ),
    // nearest and the transposed convolutions alone are exact; bilinear is TFLite's fixed-point
    // interpolation (within 1 step of ONNX Runtime's float one), which the convolutions amplify
    steps: 3,
  },
  {
    name: 'transposed convolutions with pads and output_padding TFLite cannot place: the full output cropped',
    shape: [1, 2, 4, 5],
    build: () =>
      qdqModel(
        [1, 2, 4, 5],
        (b, x) => {
          const w1 = b.dqConst([2, 3, 3, 3], weights(54), scales(3, 0.01), 1);
          const bias = b.dqConst(
            [3],
            [40, -30, 20],
            scales(3, 0.01).map((s) => s * 0.02),
            0,
            'int32',
          );
          const t = b.qdq(
            b.one('ConvTranspose', [x, w1, bias], [attrInts('strides', [2, 2]), attrInts('pads', [0, 1, 2, 1]), attrInts('output_padding', [1, 0])]),
            0.05,
            -3,
          );
          // the output size of TFLite's SAME, placed otherwise
          return b.one('ConvTranspose', [t, b.dqConst([3, 2, 4, 4], weights(96), [0.01])], [attrInts('strides', [2, 2]), attrInts('pads', [2, 2, 0, 0])]);
        },
        0.1,
      ),
    // the crop moves values only; the transposed convolution itself is 1 step off ONNX Runtime's at a
    // few values, as it is with its full (VALID) output uncropped
    steps: 1,
  },
  {
    name: 'Clip with bounds no fused activation has (-0.37 and 0.9, then a min alone) as clamps',
    shape: [1, 3, 4, 4],
    build: () =>
      qdqModel(
        [1, 3, 4, 4],
        (b, x) => {
          const c = b.qdq(b.one('Clip', [x, b.init('lo', 'float', [], [-0.37]), b.init('hi', 'float', [], [0.9])]), 0.03, 5);
          return b.one('Clip', [c, b.init('lo', 'float', [], [-0.2])]);
        },
        0.02,
        -7,
      ),
  },
  {
    name: "an average pool leaving out pads neither SAME nor VALID places: ONNX Runtime's own pool",
    shape: [1, 2, 7, 6],
    build: () =>
      qdqModel(
        [1, 2, 7, 6],
        (b, x) => b.one('AveragePool', [x], [attrInts('kernel_shape', [3, 2]), attrInts('strides', [2, 2]), attrInts('pads', [0, 1, 2, 1])]),
        0.01,
        3,
      ),
  },
  {
    name: 'grouped transposed convolutions (2 groups, then one per channel): a SPLIT, one per group, a CONCATENATION',
    shape: [1, 4, 3, 3],
    build: () =>
      qdqModel(
        [1, 4, 3, 3],
        (b, x) => {
          const t = b.qdq(
            b.one('ConvTranspose', [x, b.dqConst([4, 3, 2, 2], weights(48), [0.01])], [attrInt('group', 2), attrInts('strides', [2, 2])]),
            0.05,
            -3,
          );
          return b.one('ConvTranspose', [t, b.dqConst([6, 1, 3, 3], weights(54), [0.02])], [attrInt('group', 6), attrInts('pads', [1, 1, 1, 1])]);
        },
        0.1,
      ),
    // int8 QDQ transposed convolutions run unfused in ONNX Runtime (float sums)
    steps: 1,
  },
  {
    name: 'matmul of two activations (the input by its transpose, batch 2)',
    shape: [1, 2, 3, 4],
    build: () => qdqModel([1, 2, 3, 4], (b, x) => b.one('MatMul', [x, b.one('Transpose', [x], [attrInts('perm', [0, 1, 3, 2])])]), 0.02),
  },
];

describe('ONNX importer', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of QDQ_CASES) {
    it(`QDQ ${c.name}: quantized ops marked for ONNX Runtime's arithmetic, ${c.steps ? `within ${c.steps} output steps of` : `equal to`} ONNX Runtime`, async function () {
      const bytes = built(c).bytes();
      const graph = parseOnnx(bytes, `${c.name}.onnx`);
      expect(onnxShapeOf(graph.tensors[graph.inputs[0]!]!)).to.deep.equal(c.shape);
      for (const op of graph.ops) {
        if (['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'QUANTIZE', 'DEQUANTIZE'].includes(op.kind))
          expect(op.attrs.arithmetic, op.kind).to.equal('onnxruntime');
      }
      const x = inputOf(graph, 3);
      const ours = ourOutputs(graph, x);
      const ort = await loadOrt();
      if (!ort) return void console.log('      (onnxruntime-node does not load: ONNX Runtime comparison skipped)');
      const theirs = await ortOutputs(ort, bytes, x, c.shape);
      const out = graph.tensors[graph.ops.at(-1)!.inputs[0]!]!;
      const step = out.quant!.scale[0]!;
      const worst = Math.max(...Array.from(ours[0]!, (v, i) => Math.abs(v - theirs[0]![i]!) / step));
      expect(ours[0]!.length).to.equal(theirs[0]!.length);
      // where this CPU's ONNX Runtime saturates u8 x s8 pairs, its fused integer ops are not exact
      if (worst > (c.steps ?? 0) + 1e-3 && (await ortSaturatesU8S8(ort as never))) return void console.log(ORT_SATURATES_NOTICE);
      expect(worst, 'largest difference from ONNX Runtime, in output steps').to.be.at.most((c.steps ?? 0) + 1e-3);
    });
  }

  it('the compiled C of QDQ models equals the interpreter on the host', async function () {
    const names = [
      QDQ_CASES[0]!.name,
      'add of two branches with a broadcast constant, mul, concat, softmax',
      QDQ_CASES[2]!.name,
      'transposed convolutions with pads and output_padding TFLite cannot place: the full output cropped',
      "an average pool leaving out pads neither SAME nor VALID places: ONNX Runtime's own pool",
      'Clip with bounds no fused activation has (-0.37 and 0.9, then a min alone) as clamps',
    ];
    for (const c of names.map((name) => QDQ_CASES.find((k) => k.name === name)!)) {
      const path = join(dir, `${c.name.replace(/\W+/g, '_')}.onnx`);
      writeFileSync(path, built(c).bytes());
      const graph = parseOnnx(readFileSync(path), path);
      const cases = [1, 2].map((seed) => [new Uint8Array(inputOf(graph, seed).buffer)]);
      const report = await runModel(path, { target: 'host', cases, sanitize: true });
      expect(
        report.cases.map((k) => k.matchesReference),
        c.name,
      ).to.deep.equal([true, true]);
    }
  });

  it('a uint8 graph input that two DequantizeLinears read is converted to int8 once', function () {
    const b = new OnnxBuilder();
    const x = b.input('x', 'uint8', [1, 2, 3, 3]);
    const dq = () => b.one('DequantizeLinear', [x, b.init('s', 'float', [], [0.1]), b.init('z', 'uint8', [], [130])]);
    b.output(b.qdq(b.one('Add', [dq(), dq()]), 0.2, 128, 'uint8'), 'float');
    const graph = parseOnnx(b.bytes(), 'two_dq.onnx');
    expect(graph.ops.filter((op) => op.kind === 'QUANTIZE' && graph.tensors[op.inputs[0]!]!.dtype === 'uint8')).to.have.length(1);
    const add = graph.ops.find((op) => op.kind === 'ADD')!;
    expect(add.inputs[0]).to.equal(add.inputs[1]);
  });

  it('a uint8 QDQ model becomes int8 inside, with the zero points moved by 128', function () {
    const b = new OnnxBuilder();
    const x = b.input('x', 'float', [1, 2, 4, 4]);
    const xq = b.qdq(x, 0.02, 131, 'uint8');
    const w = b.dqConst([3, 2, 1, 1], [128 + 5, 128 - 7, 128 + 20, 128, 128 - 127, 128 + 127], [0.01], 0, 'uint8', [128]);
    const c = b.one('Conv', [xq, w]);
    b.output(b.qdq(c, 0.05, 100, 'uint8'), 'float');
    const graph = parseOnnx(b.bytes(), 'u8.onnx');
    const conv = graph.ops.find((op) => op.kind === 'CONV_2D')!;
    expect(graph.tensors[conv.inputs[0]!]!.quant!.zeroPoint).to.deep.equal([3]);
    expect(graph.tensors[conv.inputs[1]!]!.quant!.zeroPoint).to.deep.equal([0]);
    expect(Array.from(new Int8Array(graph.tensors[conv.inputs[1]!]!.data!.buffer.slice(0)))).to.deep.equal([5, -7, 20, 0, -127, 127]);
    expect(graph.tensors[conv.outputs[0]!]!.quant!.zeroPoint).to.deep.equal([-28]);
  });

  it('asymmetric weights that fit int8 once their zero point is taken off are stored centred', async function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [1, 2, 4, 4]), 0.02, 3);
    // per channel: uint8 zero points 100 and 30, int8 -5 and 0; every w - zw within [-127, 127]
    const wu8 = b.dqConst([2, 2, 1, 1], [0, 227, 30, 157], [0.01, 0.02], 0, 'uint8', [100, 30]);
    const wi8 = b.dqConst([2, 2, 3, 1], [-128, 100, 0, 7, -5, 122, 1, 2, 3, -4, -5, -6], [0.01, 0.03], 0, 'int8', [-5, 0]);
    const c = b.qdq(b.one('Conv', [x, wu8]), 0.05, -2);
    const y = b.one('Conv', [c, wi8], [attrInts('pads', [1, 0, 1, 0])]);
    b.output(b.qdq(y, 0.04, 1), 'float');
    const bytes = b.bytes();
    const graph = parseOnnx(bytes, 'asymmetric.onnx');
    const convs = graph.ops.filter((op) => op.kind === 'CONV_2D');
    const stored = convs.map((op) => Array.from(new Int8Array(graph.tensors[op.inputs[1]!]!.data!.buffer.slice(0))));
    expect(stored[0]).to.deep.equal([-100, 127, 0, 127]);
    // OHWI in the IR
    expect(stored[1]).to.deep.equal([-123, 12, 105, 0, 5, 127, 1, -4, 2, -5, 3, -6]);
    for (const op of convs) expect(graph.tensors[op.inputs[1]!]!.quant!.zeroPoint).to.deep.equal([0, 0]);
    const input = inputOf(graph, 5);
    const ours = ourOutputs(graph, input);
    const path = join(dir, 'asymmetric.onnx');
    writeFileSync(path, bytes);
    const report = await runModel(path, { target: 'host', cases: [[new Uint8Array(input.buffer)]] });
    expect(report.matchesReference, 'the compiled C equals the interpreter').to.equal(true);
    const ort = await loadOrt();
    if (!ort) return void console.log('      (onnxruntime-node does not load: ONNX Runtime comparison skipped)');
    expect(Array.from(ours[0]!)).to.deep.equal(Array.from((await ortOutputs(ort, bytes, input, [1, 2, 4, 4]))[0]!));
  });

  it('a Gemm keeps a weight zero point its weights do not fit without, and equals ONNX Runtime', async function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [2, 6]), 0.02, 3);
    // uint8 zero point 20: w - zw reaches 235
    const w = b.dqConst(
      [4, 6],
      Array.from({ length: 24 }, (_, i) => (i * 53) % 256),
      [0.004],
      0,
      'uint8',
      [20],
    );
    b.output(b.qdq(b.one('Gemm', [x, w], [attrInt('transB', 1)]), 0.1, -7), 'float');
    const bytes = b.bytes();
    const graph = parseOnnx(bytes, 'gemm_zero_point.onnx');
    const fc = graph.ops.find((op) => op.kind === 'FULLY_CONNECTED')!;
    expect(graph.tensors[fc.inputs[1]!]!.quant!.zeroPoint).to.deep.equal([20 - 128]);
    const input = inputOf(graph, 9);
    const ours = ourOutputs(graph, input);
    const path = join(dir, 'gemm_zero_point.onnx');
    writeFileSync(path, bytes);
    const report = await runModel(path, { target: 'host', cases: [[new Uint8Array(input.buffer)]] });
    expect(report.matchesReference, 'the compiled C equals the interpreter').to.equal(true);
    const ort = await loadOrt();
    if (!ort) return void console.log('      (onnxruntime-node does not load: ONNX Runtime comparison skipped)');
    expect(Array.from(ours[0]!)).to.deep.equal(Array.from((await ortOutputs(ort, bytes, input, [2, 6]))[0]!));
  });

  it('a pointwise conv whose weights keep a zero point becomes FULLY_CONNECTED, equal to ONNX Runtime', async function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [1, 2, 4, 4]), 0.02, 3, 'uint8');
    const c = b.one('Conv', [x, b.dqConst([3, 2, 1, 1], [0, 200, 255, 17, 90, 130], [0.01], 0, 'uint8', [130])]);
    b.output(b.qdq(c, 0.05, 120, 'uint8'), 'float');
    const bytes = b.bytes();
    const graph = parseOnnx(bytes, 'pointwise.onnx');
    expect(graph.ops.map((op) => op.kind))
      .to.include('FULLY_CONNECTED')
      .and.not.include('CONV_2D');
    const input = inputOf(graph, 4);
    const ours = ourOutputs(graph, input);
    const path = join(dir, 'pointwise.onnx');
    writeFileSync(path, bytes);
    const report = await runModel(path, { target: 'host', cases: [[new Uint8Array(input.buffer)]] });
    expect(report.matchesReference, 'the compiled C equals the interpreter').to.equal(true);
    const ort = await loadOrt();
    if (!ort) return void console.log('      (onnxruntime-node does not load: ONNX Runtime comparison skipped)');
    expect(Array.from(ours[0]!)).to.deep.equal(Array.from((await ortOutputs(ort, bytes, input, [1, 2, 4, 4]))[0]!));
  });

  it('asymmetric weights that do not fit int8 once centred are refused in one line', function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [1, 2, 4, 4]), 0.02, 3);
    const c = b.one('Conv', [x, b.dqConst([1, 2, 3, 1], [0, 200, 1, 2, 3, 4], [0.01], 0, 'uint8', [130])]);
    b.output(b.qdq(c, 0.05, 0), 'float');
    expect(() => parseOnnx(b.bytes(), 'wide.onnx'))
      .to.throw(TinyforgeError, /\(Conv\): the weights have zero point 130; .* do not fit in \[-127, 127\]$/)
      .with.property('message')
      .that.does.not.include('\n');
  });

  it('a Relu between two equal quantizations fuses into the conv; tensors name their ONNX values', function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [1, 2, 4, 4]), 0.1, 0);
    const c = b.qdq(b.one('Conv', [x, b.dqConst([3, 2, 1, 1], weights(6), [0.01])]), 0.05, -128);
    const r = b.qdq(b.one('Relu', [c]), 0.05, -128);
    const clipped = b.one('Clip', [r, b.init('lo', 'float', [], [0]), b.init('hi', 'float', [], [6])]);
    b.output(b.qdq(clipped, 0.05, -128), 'float');
    const graph = parseOnnx(b.bytes(), 'fuse.onnx');
    expect(graph.ops.map((op) => op.kind)).to.deep.equal(['QUANTIZE', 'CONV_2D', 'RELU6', 'DEQUANTIZE']);
    const conv = graph.ops[1]!;
    expect(conv.attrs.activation).to.equal('RELU');
    const out = graph.tensors[conv.outputs[0]!]!;
    expect(out.onnx!.perm).to.deep.equal([0, 2, 3, 1]);
    // the value the tensor holds is the Relu's quantized output, not the conv's
    const relu = b.nodes.find((n) => n.opType === 'Relu')!;
    const reluQ = b.nodes.find((n) => n.input?.[0] === relu.output![0])!;
    expect(out.onnx!.name).to.equal(reluQ.output![0]);
    // channels last at both edges: the input and the output are NHWC, no transpose runs
    expect(graph.tensors[graph.inputs[0]!]!.onnx).to.deep.equal({ name: 'x', perm: [0, 2, 3, 1] });
    expect(graph.tensors[graph.inputs[0]!]!.shape).to.deep.equal([1, 4, 4, 2]);
    expect(graph.tensors[graph.outputs[0]!]!.shape).to.deep.equal([1, 4, 4, 3]);
    const exported = parseOnnx(b.bytes(), 'fuse.onnx', { layout: 'as-exported' });
    expect(exported.ops.map((op) => op.kind)).to.deep.equal(['QUANTIZE', 'TRANSPOSE', 'CONV_2D', 'RELU6', 'TRANSPOSE', 'DEQUANTIZE']);
    expect(exported.tensors[exported.inputs[0]!]!.onnx).to.deep.equal({ name: 'x' });
  });

  it('a float model lowers to float ops in NHWC, with the flatten absorbed at compile time', function () {
    const b = new OnnxBuilder();
    const x = b.input('x', 'float', [1, 2, 5, 5]);
    const c = b.one('Conv', [
      x,
      b.init(
        'w',
        'float',
        [3, 2, 3, 3],
        weights(54).map((v) => v / 100),
      ),
      b.init('b', 'float', [3], [0.1, -0.2, 0.3]),
    ]);
    const r = b.one('Relu', [c]);
    const f = b.one('Flatten', [r]);
    b.output(
      b.one('Gemm', [
        f,
        b.init(
          'fc',
          'float',
          [27, 4],
          weights(108).map((v) => v / 100),
        ),
      ]),
      'float',
    );
    const graph = parseOnnx(b.bytes(), 'float.onnx');
    expect(graph.ops.map((op) => op.kind)).to.deep.equal(['CONV_2D', 'TRANSPOSE', 'RESHAPE', 'FULLY_CONNECTED']);
    expect(graph.ops[0]!.attrs.activation).to.equal('RELU');
    expect(graph.onnx!.nodes[0]!.kinds, "the input transpose is no longer the Conv node's").to.deep.equal(['CONV_2D']);
    expect(graph.tensors.every((t) => t.dtype !== 'int8')).to.equal(true);
    expect(graph.onnx!.nodes.map((n) => n.opType)).to.deep.equal(['Conv', 'Relu', 'Flatten', 'Gemm']);
  });

  describe('refusals: one line naming the file and the node or tensor', function () {
    const refuse = (bytes: Uint8Array, pattern: RegExp) => {
      let error: unknown;
      try {
        parseOnnx(bytes, 'bad.onnx');
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(TinyforgeError);
      const message = (error as Error).message;
      expect(message).to.match(/^bad\.onnx: /);
      expect(message).to.not.include('\n');
      expect(message).to.match(pattern);
    };
    const simple = (opset = 13) => {
      const b = new OnnxBuilder(opset);
      const x = b.input('x', 'float', [1, 4]);
      b.output(b.one('Softmax', [x]), 'float');
      return b;
    };

    it('corrupt and empty bytes', () => {
      refuse(new Uint8Array(), /empty file/);
      refuse(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]), /not an ONNX model/);
      const good = simple().bytes();
      refuse(good.subarray(0, good.length - 3), /not an ONNX model/);
    });
    it('an old opset for an op whose definition changed since', () => {
      refuse(simple(9).bytes(), /node 0 .*\(Softmax\): opset 9: tinyforge reads Softmax from opset 13 on/);
    });
    it('external data', () => {
      const b = simple();
      const model = b.model();
      model.graph!.initializer = [{ name: 'w', dims: [4], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }];
      refuse(encodeModelProto(model), /initializer 'w': .*external data/);
    });
    it('a symbolic dimension other than the batch', () => {
      const b = new OnnxBuilder();
      const x = b.input('x', 'float', [1, 'len']);
      b.output(b.one('Relu', [x]), 'float');
      refuse(b.bytes(), /graph input 'x': dimension 1 is symbolic \('len'\)/);
    });
    it('an unknown op, with its opset', () => {
      const b = new OnnxBuilder();
      const x = b.input('x', 'float', [1, 4]);
      b.output(b.one('Einsum', [x], [attrString('equation', 'ij->ji')]), 'float');
      refuse(b.bytes(), /node 0 'n_Einsum_\d+' \(Einsum\): op Einsum \(opset 13\) is not supported/);
    });
    it('a com.microsoft op without a lowering', () => {
      const b = new OnnxBuilder();
      const x = b.input('x', 'float', [1, 4]);
      b.output(b.node('FusedGemm', [x], [], 1, 'com.microsoft')[0]!, 'float');
      const model = b.model();
      model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
      refuse(encodeModelProto(model), /op com\.microsoft\.FusedGemm \(opset 1\) is not supported/);
    });
    it('a float average pool leaving out pads that place its windows unlike SAME and VALID', () => {
      const b = new OnnxBuilder();
      const p = b.one(
        'AveragePool',
        [b.input('x', 'float', [1, 2, 6, 6])],
        [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2]), attrInts('pads', [1, 1, 1, 1])],
      );
      b.output(p, 'float');
      refuse(
        b.bytes(),
        /\(AveragePool\): pads \[1,1,1,1\] with count_include_pad 0 place the windows where neither TFLite's SAME nor VALID does; a float average/,
      );
    });
    it('a transposed convolution whose output_padding reaches past the full output', () => {
      const b = new OnnxBuilder();
      const x = b.qdq(b.input('x', 'float', [1, 2, 3, 3]), 0.1, 0);
      const t = b.one('ConvTranspose', [x, b.dqConst([2, 2, 3, 3], weights(36), [0.01])], [attrInts('strides', [2, 2]), attrInts('output_padding', [1, 1])]);
      b.output(b.qdq(t, 0.1, 0), 'float');
      refuse(b.bytes(), /\(ConvTranspose\): pads \[0,0,0,0\] and output_padding \[1,1\] give an output 8x8 reaching past the full 7x7 one/);
    });
    it('a quantized op whose output is not quantized again', () => {
      const b = new OnnxBuilder();
      const x = b.qdq(b.input('x', 'float', [1, 2, 3, 3]), 0.1, 0);
      b.output(b.one('Conv', [x, b.dqConst([2, 2, 1, 1], [1, 2, 3, 4], [0.1])]), 'float');
      refuse(b.bytes(), /\(Conv\): its inputs are quantized .* not quantized by one QuantizeLinear/);
    });
  });

  describe("ONNX's backend node tests", function () {
    const root = '/usr/share/libonnx-testdata/data/node';
    for (const name of ['test_quantizelinear', 'test_dequantizelinear']) {
      it(`${name} imports (scale and zero point bound as constants)`, function () {
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(join(root, name, 'model.onnx'));
        } catch {
          return this.skip();
        }
        const model = decodeModelProto(bytes);
        const graph = model.graph!;
        // inputs 1 and 2 (scale, zero point) become initializers from the test's own data
        for (const k of [1, 2]) {
          const tensor = decodeModelTensor(readFileSync(join(root, name, 'test_data_set_0', `input_${k}.pb`)));
          tensor.name = graph.input![k]!.name!;
          graph.initializer = [...(graph.initializer ?? []), tensor];
        }
        graph.input = graph.input!.slice(0, 1);
        const lowered = parseOnnx(encodeModelProto(model), `${name}.onnx`);
        const input = tensorValues(decodeTensorProto(readFileSync(join(root, name, 'test_data_set_0', 'input_0.pb'))));
        const expected = tensorValues(decodeTensorProto(readFileSync(join(root, name, 'test_data_set_0', 'output_0.pb'))));
        const inputBytes = input.dtype === 'float32' ? new Uint8Array(Float32Array.from(input.values).buffer) : Uint8Array.from(input.values);
        const out = interpret(compileGraph(lowered).prepared, [inputBytes]).outputs[0]!;
        const got = expected.dtype === 'float32' ? Array.from(new Float32Array(new Uint8Array(out).buffer)) : Array.from(out);
        expect(got).to.deep.equal(expected.values);
      });
    }

    // the QOperator tests run through the whole pipeline in test/onnx/backend_node.test.ts
  });
});

/** A backend test's TensorProto `.pb` file as a TensorProto the builder writes (raw data). */
function decodeModelTensor(bytes: Uint8Array) {
  const t = decodeTensorProto(bytes);
  const { dtype, dims, values } = tensorValues(t);
  return tensorProto(t.name ?? '', dtype === 'float32' ? 'float' : (dtype as 'int8' | 'uint8' | 'int32' | 'int64'), dims, values);
}
