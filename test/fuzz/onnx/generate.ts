// SPDX-License-Identifier: Apache-2.0
/**
 * Seeded ONNX models for the differential fuzzer against ONNX Runtime: QDQ models (QuantizeLinear /
 * DequantizeLinear around float ops, the layout ONNX Runtime's quantizer writes) and QOperator
 * models (QLinearConv, QLinearMatMul, the com.microsoft QLinear ops, ConvInteger, MatMulInteger),
 * one op or a short chain each, sweeping shapes, channels, kernel sizes, strides, pads, dilations,
 * groups and depthwise, per-tensor and per-channel weights, uint8 and int8 activations.
 *
 * Scales are calibrated as ONNX Runtime's quantizer calibrates them: the float network runs in ONNX
 * Runtime on inputs drawn from the input range, every activation's min/max gives its asymmetric
 * parameters, weights are symmetric int8 (qmin -127) from their float values, biases int32 at
 * sx*sw. The models' inputs and outputs are the integer tensors (the float edges a quantizer leaves
 * would only add a QuantizeLinear and a DequantizeLinear to every comparison).
 */
import { encodeModelProto } from '../../../src/core/model/onnx/schema.ts';
import { runOnnxModel } from '../../../src/lab/run/onnxruntime.ts';
import { rng } from '../../helpers/op_harness.ts';
import { type Rand, chance, int, pick } from '../draw.ts';
import { ACT_RANGE, type ActType, type OnnxForm, OnnxEmitter, type QParams, type Value } from './emitter.ts';

export type QuantForm = Exclude<OnnxForm, 'float'>;

export interface OnnxGenerator {
  name: string;
  forms: QuantForm[];
  /** the opset the model declares (13 unless an op needs later) */
  opset?: number;
  /** writes the network; called once per form with the same draws */
  build(e: OnnxEmitter, rand: Rand, form: QuantForm): void;
}

export interface OnnxCaseTensor {
  name: string;
  type: ActType | 'int32';
  shape: number[];
  scale: number;
  zeroPoint: number;
}

export interface OnnxCase {
  /** `${generator}-${form}-${act}-${seed}` */
  label: string;
  generator: string;
  form: QuantForm;
  act: ActType;
  seed: number;
  /** the ONNX ops the model holds (QuantizeLinear and DequantizeLinear left out) */
  ops: string[];
  model: Uint8Array;
  inputs: (OnnxCaseTensor & { data: Uint8Array | Int8Array })[];
  outputs: OnnxCaseTensor[];
}

function uniform(rand: Rand, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** Weights as training leaves them, about 1/sqrt(fan-in), sometimes with a channel far larger. */
function weights(rand: Rand, shape: number[], fanIn: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const s = (chance(rand, 0.5) ? 1 : 3) / Math.sqrt(Math.max(1, fanIn));
  const w = uniform(rand, n, -s, s);
  if (chance(rand, 0.2)) {
    const per = n / shape[0]!;
    for (let i = 0; i < per; i++) w[i]! *= 8;
  }
  return w;
}

function inputRange(rand: Rand): [number, number] {
  const m = pick(rand, [0.5, 1, 2, 6, 20]);
  return chance(rand, 0.3) ? [0, m] : [-m * (0.3 + 0.7 * rand()), m];
}

const outSize = (size: number, k: number, stride: number, padBegin: number, padEnd: number, dilation = 1) =>
  Math.floor((size + padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1;

/** A window along one axis whose output has at least one element. */
function window(rand: Rand, size: number, maxK = 5): { k: number; s: number; d: number; pb: number; pe: number; out: number } {
  for (;;) {
    const k = int(rand, 1, maxK);
    const d = k > 1 && chance(rand, 0.25) ? 2 : 1;
    const s = pick(rand, [1, 1, 2, 3]);
    const pb = chance(rand, 0.5) ? int(rand, 0, k - 1) : 0;
    const pe = chance(rand, 0.7) ? pb : int(rand, 0, k - 1);
    const out = outSize(size, k, s, pb, pe, d);
    if (out >= 1) return { k, s, d, pb, pe, out };
  }
}

/** A convolution of `x` [1, C, ...spatial]: plain, grouped or depthwise. */
function conv(e: OnnxEmitter, rand: Rand, x: Value, options: { cout?: number; maxK?: number } = {}): Value {
  const cin = x.shape[1]!;
  const kind = cin > 1 ? pick(rand, ['plain', 'plain', 'depthwise', 'grouped']) : 'plain';
  let group = 1;
  let cout = options.cout ?? pick(rand, [1, 2, 3, 4, 5, 8, 12, 16]);
  if (kind === 'depthwise') {
    group = cin;
    cout = cin * pick(rand, [1, 1, 2]);
  } else if (kind === 'grouped') {
    const divisors = [2, 3, 4].filter((g) => cin % g === 0);
    if (divisors.length > 0) {
      group = pick(rand, divisors);
      cout = group * int(rand, 1, 3);
    }
  }
  const windows = x.shape.slice(2).map((size) => window(rand, size, options.maxK));
  const wShape = [cout, cin / group, ...windows.map((w) => w.k)];
  const w = weights(rand, wShape, (cin / group) * windows.reduce((n, x) => n * x.k, 1));
  const b = chance(rand, 0.85) ? uniform(rand, cout, -0.5, 0.5) : undefined;
  const perChannel = chance(rand, 0.5);
  return e.conv(
    x,
    w,
    wShape,
    b,
    {
      strides: windows.map((w) => w.s),
      pads: [...windows.map((w) => w.pb), ...windows.map((w) => w.pe)],
      dilations: windows.map((w) => w.d),
      group,
    },
    [1, cout, ...windows.map((w) => w.out)],
    perChannel,
  );
}

function image(e: OnnxEmitter, rand: Rand, channels?: number): Value {
  const c = channels ?? pick(rand, [1, 2, 3, 4, 5, 8, 16]);
  return e.input([1, c, int(rand, 1, 12), int(rand, 1, 12)], inputRange(rand));
}

function pool(e: OnnxEmitter, rand: Rand, x: Value, op: 'MaxPool' | 'AveragePool'): Value {
  const windows = x.shape.slice(2).map((size) => {
    for (;;) {
      const k = int(rand, 1, Math.min(4, size + 1));
      const s = pick(rand, [1, 2, 2, 3]);
      const pb = chance(rand, 0.3) ? int(rand, 0, k - 1) : 0;
      const pe = chance(rand, 0.7) ? pb : int(rand, 0, k - 1);
      const out = outSize(size, k, s, pb, pe);
      if (out >= 1 && pb < k && pe < k) return { k, s, pb, pe, out };
    }
  });
  const attrs: Record<string, number | number[]> = {
    kernel_shape: windows.map((w) => w.k),
    strides: windows.map((w) => w.s),
    pads: [...windows.map((w) => w.pb), ...windows.map((w) => w.pe)],
  };
  if (op === 'AveragePool' && chance(rand, 0.3)) attrs.count_include_pad = 1;
  // the default written out: with pads SAME and VALID do not place, only ONNX Runtime's own pool computes it
  else if (op === 'AveragePool' && chance(rand, 0.4)) attrs.count_include_pad = 0;
  const shape = [1, x.shape[1]!, ...windows.map((w) => w.out)];
  return op === 'MaxPool' ? e.keep('MaxPool', x, attrs, shape) : e.unary('AveragePool', x, attrs, shape);
}

/** Clip's bounds: ReLU6-like ones and any others, sometimes only one of the two. */
function clipBounds(e: OnnxEmitter, rand: Rand): string[] {
  const lo = pick(rand, [0, -1, -0.5, -0.37, 0.25, -2.5]);
  const hi = lo + pick(rand, [1, 2, 6, 0.7, 3.3]);
  const which = pick(rand, ['both', 'both', 'min', 'max']);
  return [which === 'max' ? '' : e.constant('min', 'float', [], [lo]), ...(which === 'min' ? [] : [e.constant('max', 'float', [], [hi])])];
}

const flat = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

export const ONNX_GENERATORS: OnnxGenerator[] = [
  {
    name: 'conv2d',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      e.output(conv(e, rand, image(e, rand)));
    },
  },
  {
    name: 'conv1d',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const x = e.input([1, pick(rand, [1, 2, 3, 4, 8]), int(rand, 1, 24)], inputRange(rand));
      e.output(conv(e, rand, x, { maxK: 7 }));
    },
  },
  {
    name: 'conv-relu',
    forms: ['qdq'],
    build(e, rand) {
      const y = conv(e, rand, image(e, rand));
      const op = pick(rand, ['Relu', 'Relu6', 'Clip']);
      if (op === 'Relu') e.output(e.unary('Relu', y, {}, y.shape));
      else if (op === 'Relu6') e.output(e.unary('Clip', y, {}, y.shape, [e.constant('min', 'float', [], [0]), e.constant('max', 'float', [], [6])]));
      else e.output(e.unary('Clip', y, {}, y.shape, clipBounds(e, rand)));
    },
  },
  {
    name: 'conv-transpose',
    forms: ['qdq'],
    build(e, rand) {
      const x = image(e, rand, pick(rand, [1, 2, 3, 4]));
      const cin = x.shape[1]!;
      // grouped sometimes, depthwise-style (group = C) among them
      const groups = [1, 2, 3, 4].filter((g) => cin % g === 0);
      const group = chance(rand, 0.4) ? pick(rand, groups) : 1;
      const cout = group === 1 ? pick(rand, [1, 2, 3, 4]) : group * int(rand, 1, 2);
      const k = int(rand, 1, 4);
      const s = int(rand, 1, 3);
      const p = chance(rand, 0.5) ? int(rand, 0, k - 1) : 0;
      const out = x.shape.slice(2).map((size) => (size - 1) * s - 2 * p + k);
      if (out.some((o) => o < 1)) {
        e.output(conv(e, rand, x));
        return;
      }
      const wShape = [cin, cout / group, k, k];
      const y = e.convTranspose(
        x,
        weights(rand, wShape, (cin / group) * k * k),
        wShape,
        uniform(rand, cout, -0.5, 0.5),
        { strides: [s, s], pads: [p, p, p, p], group },
        [1, cout, ...out],
        chance(rand, 0.5),
      );
      e.output(y);
    },
  },
  {
    name: 'gemm',
    forms: ['qdq'],
    build(e, rand) {
      const k = int(rand, 1, 64);
      const n = int(rand, 1, 32);
      const x = e.input([1, k], inputRange(rand));
      const y = e.gemm(x, weights(rand, [n, k], k), n, k, uniform(rand, n, -0.5, 0.5), chance(rand, 0.5));
      e.output(chance(rand, 0.3) ? e.unary('Relu', y, {}, y.shape) : y);
    },
  },
  {
    name: 'matmul',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const m = int(rand, 1, 4);
      const k = int(rand, 1, 48);
      const n = int(rand, 1, 24);
      const x = e.input([m, k], inputRange(rand));
      e.output(e.matmul(x, weights(rand, [k, n], k), k, n, chance(rand, 0.5)));
    },
  },
  {
    name: 'add',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const shape = [1, pick(rand, [1, 3, 4, 8]), int(rand, 1, 8), int(rand, 1, 8)];
      e.output(e.binary('Add', e.input(shape, inputRange(rand)), e.input(shape, inputRange(rand)), shape));
    },
  },
  {
    name: 'mul',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const shape = [1, pick(rand, [1, 3, 4, 8]), int(rand, 1, 8), int(rand, 1, 8)];
      e.output(e.binary('Mul', e.input(shape, inputRange(rand)), e.input(shape, inputRange(rand)), shape));
    },
  },
  {
    name: 'concat',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const h = int(rand, 1, 8);
      const w = int(rand, 1, 8);
      const parts = Array.from({ length: int(rand, 2, 3) }, () => e.input([1, pick(rand, [1, 2, 3, 5, 8]), h, w], inputRange(rand)));
      e.output(e.concat(parts, 1, [1, parts.reduce((n, p) => n + p.shape[1]!, 0), h, w]));
    },
  },
  {
    name: 'maxpool',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      e.output(pool(e, rand, image(e, rand), 'MaxPool'));
    },
  },
  {
    name: 'averagepool',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      e.output(pool(e, rand, image(e, rand), 'AveragePool'));
    },
  },
  {
    name: 'globalaveragepool',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const x = image(e, rand);
      e.output(e.unary('GlobalAveragePool', x, {}, [1, x.shape[1]!, 1, 1]));
    },
  },
  {
    name: 'activation',
    forms: ['qdq', 'qop'],
    opset: 14,
    build(e, rand, form) {
      const x = image(e, rand);
      const op = form === 'qop' ? pick(rand, ['Sigmoid', 'LeakyRelu']) : pick(rand, ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'HardSwish', 'Softmax']);
      if (op === 'LeakyRelu') e.output(e.unary(op, x, { alpha: { f: pick(rand, [0.01, 0.1, 0.2, 0.3]) } }, x.shape));
      else if (op === 'Clip') e.output(e.unary(op, x, {}, x.shape, clipBounds(e, rand)));
      else if (op === 'Softmax') e.output(e.unary(op, x, { axis: -1 }, x.shape, [], e.softmaxOutput()));
      else e.output(e.unary(op, x, {}, x.shape));
    },
  },
  {
    name: 'shape',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const x = image(e, rand);
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const op = pick(rand, ['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Pad']);
      if (op === 'Reshape') e.output(e.keep(op, x, {}, [n, h, c * w], () => [e.int64('shape', [n, h, c * w])]));
      else if (op === 'Flatten') e.output(e.keep(op, x, { axis: 1 }, [n, c * h * w]));
      else if (op === 'Transpose') e.output(e.keep(op, x, { perm: [0, 2, 3, 1] }, [n, h, w, c]));
      else if (op === 'Squeeze') e.output(e.keep(op, x, {}, [c, h, w], () => [e.int64('axes', [0])]));
      else if (op === 'Unsqueeze') e.output(e.keep(op, x, {}, [n, c, 1, h, w], () => [e.int64('axes', [2])]));
      else {
        const p = [0, 0, int(rand, 0, 2), int(rand, 0, 2), 0, 0, int(rand, 0, 2), int(rand, 0, 2)];
        e.output(
          e.keep(op, x, { mode: 'constant' }, [n, c, h + p[2]! + p[6]!, w + p[3]! + p[7]!], (q) => [
            e.int64('pads', p),
            q ? e.constant('pad_value', q.type as ActType, [], q.zeroPoint) : e.constant('pad_value', 'float', [], [0]),
          ]),
        );
      }
    },
  },
  {
    name: 'chain',
    forms: ['qdq', 'qop'],
    build(e, rand, form) {
      const x = e.input([1, pick(rand, [1, 3]), int(rand, 6, 12), int(rand, 6, 12)], inputRange(rand));
      let y = conv(e, rand, x, { cout: pick(rand, [4, 8]), maxK: 3 });
      if (form === 'qdq') y = e.unary('Relu', y, {}, y.shape);
      if (y.shape[2]! >= 2 && y.shape[3]! >= 2)
        y = e.keep('MaxPool', y, { kernel_shape: [2, 2], strides: [2, 2] }, [1, y.shape[1]!, Math.floor(y.shape[2]! / 2), Math.floor(y.shape[3]! / 2)]);
      y = e.keep('Flatten', y, { axis: 1 }, [1, flat(y.shape)]);
      const k = y.shape[1]!;
      const n = int(rand, 2, 10);
      e.output(
        form === 'qdq'
          ? e.gemm(y, weights(rand, [n, k], k), n, k, uniform(rand, n, -0.5, 0.5), chance(rand, 0.5))
          : e.matmul(y, weights(rand, [k, n], k), k, n, chance(rand, 0.5)),
      );
    },
  },
  {
    name: 'branches',
    forms: ['qdq', 'qop'],
    build(e, rand) {
      const x = image(e, rand);
      const cout = pick(rand, [2, 4, 8]);
      const pointwise = (v: Value) => {
        const wShape = [cout, v.shape[1]!, 1, 1];
        return e.conv(
          v,
          weights(rand, wShape, v.shape[1]!),
          wShape,
          uniform(rand, cout, -0.5, 0.5),
          { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
          [1, cout, v.shape[2]!, v.shape[3]!],
          chance(rand, 0.5),
        );
      };
      const a = pointwise(x);
      const b = pointwise(x);
      e.output(chance(rand, 0.5) ? e.binary('Add', a, b, a.shape) : e.concat([a, b], 1, [1, 2 * cout, a.shape[2]!, a.shape[3]!]));
    },
  },
  {
    name: 'integer',
    forms: ['qop'],
    build(e, rand) {
      if (chance(rand, 0.5)) {
        const x = image(e, rand, pick(rand, [1, 2, 3, 4]));
        const cout = pick(rand, [1, 2, 4]);
        const windows = x.shape.slice(2).map((size) => window(rand, size, 3));
        const wShape = [cout, x.shape[1]!, ...windows.map((w) => w.k)];
        const attrs = {
          kernel_shape: windows.map((w) => w.k),
          strides: windows.map((w) => w.s),
          pads: [...windows.map((w) => w.pb), ...windows.map((w) => w.pe)],
          dilations: windows.map((w) => w.d),
        };
        e.output(e.integerOp('ConvInteger', x, weights(rand, wShape, 9), wShape, attrs, [1, cout, ...windows.map((w) => w.out)]));
      } else {
        const m = int(rand, 1, 4);
        const k = int(rand, 1, 32);
        const n = int(rand, 1, 16);
        const x = e.input([m, k], inputRange(rand));
        e.output(e.integerOp('MatMulInteger', x, weights(rand, [k, n], k), [k, n], {}, [m, n]));
      }
    },
  },
];

/** Inputs drawn uniformly from the input range (the calibration set): several per input. */
function drawFloatInputs(rand: Rand, inputs: { shape: number[]; range: [number, number] }[], runs: number): Float32Array[][] {
  return Array.from({ length: runs }, () =>
    inputs.map((i) =>
      uniform(
        rand,
        i.shape.reduce((a, b) => a * b, 1),
        i.range[0],
        i.range[1],
      ),
    ),
  );
}

export interface GenerateOptions {
  /** only these generators (by name) */
  only?: string[];
  /** only these forms */
  forms?: QuantForm[];
}

/** The generators a campaign draws from; an unknown name is the caller's error. */
export function selectGenerators(options: GenerateOptions = {}): OnnxGenerator[] {
  for (const name of options.only ?? [])
    if (!ONNX_GENERATORS.some((g) => g.name === name)) throw new Error(`no ONNX generator "${name}" (${ONNX_GENERATORS.map((g) => g.name).join(', ')})`);
  return ONNX_GENERATORS.filter((g) => (!options.only || options.only.includes(g.name)) && g.forms.some((f) => !options.forms || options.forms.includes(f)));
}

/**
 * One model of the campaign: generator, form and activation type drawn from `seed`, the float
 * network calibrated in ONNX Runtime, the quantized model written, and an input drawn over the
 * whole integer range (with the zero point and both ends among its values).
 */
export async function generateOnnxCase(seed: number, options: GenerateOptions = {}): Promise<OnnxCase> {
  const rand = rng(seed * 7919 + 17);
  const generators = selectGenerators(options);
  if (generators.length === 0) throw new Error('no ONNX generator left by the selection');
  const generator = pick(rand, generators);
  const form = pick(
    rand,
    generator.forms.filter((f) => !options.forms || options.forms.includes(f)),
  );
  const act: ActType = chance(rand, 0.6) ? 'uint8' : 'int8';
  const buildSeed = Math.floor(rand() * 2 ** 31);

  const float = new OnnxEmitter('float', act, new Map());
  generator.build(float, rng(buildSeed), form);
  const ranges = new Map<string, [number, number]>();
  for (const inputs of drawFloatInputs(rand, float.inputs, 6)) {
    const run = await runOnnxModel(float.model(generator.opset), inputs, { dump: 'all', level: 'disabled' });
    for (const [name, v] of run.tensors) {
      if (v.dtype !== 'float32') continue;
      let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
      for (const x of v.data as Float32Array) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      ranges.set(name, [lo, hi]);
    }
  }
  const e = new OnnxEmitter(form, act, ranges);
  generator.build(e, rng(buildSeed), form);
  const model = encodeModelProto(e.model(generator.opset));
  const tensorOf = (name: string, type: ActType | 'int32', shape: number[], q: QParams | undefined): OnnxCaseTensor => ({
    name,
    type,
    shape,
    scale: q?.scale[0] ?? 1,
    zeroPoint: q?.zeroPoint[0] ?? 0,
  });
  const inputs = e.inputs.map((i) => {
    const [qmin, qmax] = ACT_RANGE[i.type as ActType];
    const n = i.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, k) => (k === 0 ? qmin : k === 1 ? qmax : k === 2 ? i.q!.zeroPoint[0]! : int(rand, qmin, qmax)));
    const data = i.type === 'int8' ? Int8Array.from(values) : Uint8Array.from(values);
    return { ...tensorOf(i.name, i.type as ActType, i.shape, i.q), data };
  });
  // output shapes are ONNX Runtime's: the generators need not know them all
  const run = await runOnnxModel(
    model,
    inputs.map((i) => i.data),
  );
  const outputs = e.outputs.map((o, k) => tensorOf(o.name, o.type as ActType | 'int32', run.outputs[k]!.shape, o.q));
  return {
    label: `${generator.name}-${form}-${act}-${seed}`,
    generator: generator.name,
    form,
    act,
    seed,
    ops: [...e.ops].sort(),
    model,
    inputs,
    outputs,
  };
}
