// SPDX-License-Identifier: Apache-2.0
/**
 * float32 kernels of elementwise ops that use no libm function, as TFLite Micro's reference kernels
 * compute them, one IEEE float32 operation per step (so the C gives TFLite Micro's bits on every
 * target):
 *
 * - ABS: std::abs, the sign bit cleared (done on the bits: -0 becomes +0).
 * - LEAKY_RELU: `x > 0 ? x : x * alpha` (reference LeakyRelu; alpha the option as a float).
 * - SQUARED_DIFFERENCE: `d = x1 - x2; d * d`, broadcasting.
 * - PRELU: `x >= 0.0f ? x : x * alpha` (BroadcastPrelu4DSlowFloat), broadcasting up to rank 4.
 * - ADD_N: per element `x = 0; x += in_j` over the inputs in order (-0 + 0 gives +0).
 * - CUMSUM: per run along the axis an accumulator from 0, `acc = acc + x` (exclusive: the output
 *   before the add), from the end when reversed.
 */
import { OpError } from '../../../errors.ts';
import { type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, sameShape, unaryTensors } from './elementwise.ts';
import { forEachBroadcast } from './broadcast.ts';
import { type FloatKernel, type FloatTagged, cFloatLiteral, fround, requireFloat } from './float_variant.ts';
import { inputTensors } from './shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';
import { type CumsumGeometry, cumsumGeometry } from './cumsum_geometry.ts';

/** Loops of the broadcast C, one per output dimension (as the integer binary kernels emit them). */
function broadcastC(ctx: LayerEmitContext, layout: BinaryLayout, what: string, body: string): string {
  const v = binaryEmitView(layout, ctx);
  const open = v.loops.map((l) => `${'  '.repeat(l.k + 1)}for (i${l.k} = 0; i${l.k} < ${l.extent}; ++i${l.k}) {`).join('\n');
  const close = v.loops.map((l) => `${'  '.repeat(v.loops.length - l.k)}}`).join('\n');
  const pad = '  '.repeat(v.loops.length + 1);
  return `/* ${ctx.op.kind} float32 [${v.shape}], ${v.size} elements${v.broadcast ? ', broadcast' : ''}: ${what} */
static void ${ctx.fnName}(void) {
  const float *in1 = ${v.input1};
  const float *in2 = ${v.input2};
  float *out = ${v.output};
${v.loopVars ? `  int ${v.loopVars};\n` : ''}${open}
${pad}{
${pad}  const float x1 = in1[${v.indexA}];
${pad}  const float x2 = in2[${v.indexB}];
${pad}  ${body}
${pad}}
${close}
}
`.replace(/\n\n+/g, '\n');
}

// ---- ABS, LEAKY_RELU ----

export interface FloatPointwiseParams extends FloatTagged {
  size: number;
  shape: number[];
  alpha: number;
}

function preparePointwise(graph: Graph, op: Op): FloatPointwiseParams {
  const { input, output } = unaryTensors(graph, op);
  requireFloat(op, [
    [input, 'input'],
    [output, 'output'],
  ]);
  const alpha = op.kind === 'LEAKY_RELU' ? Number(op.attrs.alpha ?? 0.2) : 0;
  if (!Number.isFinite(alpha)) throw new OpError(op.index, op.kind, `alpha ${String(op.attrs.alpha)} is not a finite number`);
  return { float32: true, size: elementCount(input.shape), shape: [...input.shape], alpha: fround(alpha) };
}

/** What one pointwise op gives: its formula for the C comment, the TypeScript loop and the C loop's body. */
interface PointwiseOp {
  /** the C comment's text after the element count */
  what(p: FloatPointwiseParams): string;
  evaluate(p: FloatPointwiseParams, x: Float32Array, y: Float32Array): void;
  /** the C statements for element i (indented four spaces), from in[i] to out[i] */
  cBody(p: FloatPointwiseParams): string;
}

/** A one-input float32 kernel over every element in order (the input's shape, `preparePointwise`). */
function pointwiseKernel(k: PointwiseOp): FloatKernel<FloatPointwiseParams> {
  return {
    check: (graph, op) => void preparePointwise(graph, op),
    prepare: preparePointwise,
    macs: (graph, op) => elementCount(graph.tensors[op.inputs[0]!]!.shape),
    evaluate: (p, inputs, outputs) => k.evaluate(p, inputs[0] as Float32Array, outputs[0] as Float32Array),
    emitC: (p, ctx) => `/* ${ctx.op.kind} float32 [${p.shape.join('x')}], ${p.size} elements: ${k.what(p)} */
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.size}; ++i) {
${k.cBody(p)}  }
}
`,
  };
}

/** ABS on float32: the sign bit cleared. */
export const floatAbs = pointwiseKernel({
  what: () => 'std::abs, the sign bit cleared',
  evaluate(p, x, y) {
    const xu = new Uint32Array(x.buffer, x.byteOffset, p.size);
    const yu = new Uint32Array(y.buffer, y.byteOffset, p.size);
    for (let i = 0; i < p.size; i++) yu[i] = xu[i]! & 0x7fffffff;
  },
  cBody: () => `    uint32_t u;
    memcpy(&u, &in[i], 4);
    u &= 0x7fffffffu;
    memcpy(&out[i], &u, 4);
`,
});

/** LEAKY_RELU on float32: x > 0 ? x : x * alpha. */
export const floatLeakyRelu = pointwiseKernel({
  what: (p) => `x > 0 ? x : x * ${cFloatLiteral(p.alpha)}`,
  evaluate(p, x, y) {
    for (let i = 0; i < p.size; i++) {
      const v = x[i]!;
      y[i] = v > 0 ? v : fround(v * p.alpha);
    }
  },
  cBody: (p) => `    const float v = in[i];
    out[i] = (v > 0.0f) ? v : v * ${cFloatLiteral(p.alpha)};
`,
});

// ---- SQUARED_DIFFERENCE, PRELU ----

export interface FloatBinaryParams extends FloatTagged, BinaryLayout {}

function prepareBinary(graph: Graph, op: Op, maxRank: number): FloatBinaryParams {
  const { a, b, out } = binaryTensors(graph, op);
  requireFloat(op, [
    [a, 'input'],
    [b, 'input'],
    [out, 'output'],
  ]);
  if (out.shape.length > maxRank) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(out)} has rank ${out.shape.length}; TFLite Micro's float ${op.kind} takes rank ${maxRank} at most`,
    );
  }
  return { float32: true, ...binaryLayout(graph, op) };
}

function binaryKernel(maxRank: number, f: (x1: number, x2: number) => number, what: string, body: string): FloatKernel<FloatBinaryParams> {
  return {
    check: (graph, op) => void prepareBinary(graph, op, maxRank),
    prepare: (graph, op) => prepareBinary(graph, op, maxRank),
    macs: (graph, op) => elementCount(graph.tensors[op.outputs[0]!]!.shape),
    evaluate(p, inputs, outputs) {
      const a = inputs[0] as Float32Array;
      const b = inputs[1] as Float32Array;
      const out = outputs[0] as Float32Array;
      let o = 0;
      forEachBroadcast(p.loops, (ia, ib) => {
        out[o++] = f(a[ia]!, b[ib]!);
      });
    },
    emitC: (p, ctx) => broadcastC(ctx, p, what, body),
  };
}

/** SQUARED_DIFFERENCE on float32: (x1 - x2) squared, the difference rounded first. */
export const floatSquaredDifference = binaryKernel(
  6,
  (x1, x2) => {
    const d = fround(x1 - x2);
    return fround(d * d);
  },
  'd = x1 - x2, d * d',
  'const float d = x1 - x2;\n    *out++ = d * d;',
);

/** PRELU on float32: x >= 0 ? x : x * alpha. */
export const floatPrelu = binaryKernel(4, (x, alpha) => (x >= 0 ? x : fround(x * alpha)), 'x >= 0.0f ? x : x * alpha', '*out++ = (x1 >= 0.0f) ? x1 : x1 * x2;');

// ---- ADD_N ----

export interface FloatAddNParams extends FloatTagged {
  inputs: number;
  size: number;
  shape: number[];
}

function prepareAddN(graph: Graph, op: Op): FloatAddNParams {
  const inputs = inputTensors(graph, op);
  const output = requireOutput(graph, op);
  requireFloat(op, [...inputs.map((t) => [t, 'input'] as [typeof t, string]), [output, 'output']]);
  if (inputs.length < 1) throw new OpError(op.index, op.kind, 'has no inputs');
  for (const t of inputs) {
    if (!sameShape(t.shape, output.shape))
      throw new OpError(
        op.index,
        op.kind,
        `input ${tensorLabel(t)} has shape [${t.shape.join(',')}]; every input has the output's [${output.shape.join(',')}]`,
      );
  }
  return { float32: true, inputs: inputs.length, size: elementCount(output.shape), shape: [...output.shape] };
}

/** ADD_N on float32: per element, 0 plus each input in order. */
export const floatAddN: FloatKernel<FloatAddNParams> = {
  check: (graph, op) => void prepareAddN(graph, op),
  prepare: prepareAddN,
  macs: (graph, op) => prepareAddN(graph, op).size * prepareAddN(graph, op).inputs,
  evaluate(p, inputs, outputs) {
    const out = outputs[0] as Float32Array;
    const xs = inputs.slice(0, p.inputs) as Float32Array[];
    for (let i = 0; i < p.size; i++) {
      let x = 0;
      for (const t of xs) x = fround(x + t[i]!);
      out[i] = x;
    }
  },
  emitC(p, ctx) {
    const terms = Array.from({ length: p.inputs }, (_, j) => `    x = x + ${ctx.input(j)}[i];`).join('\n');
    return `/* ADD_N float32 [${p.shape.join('x')}], ${p.inputs} inputs: per element 0.0f + in_0 + in_1 + ... in order (TFLite Micro's AddN) */
static void ${ctx.fnName}(void) {
  float *out = ${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.size}; ++i) {
    float x = 0.0f;
${terms}
    out[i] = x;
  }
}
`;
  },
};

// ---- CUMSUM ----

export interface FloatCumsumParams extends FloatTagged, CumsumGeometry {}

/** The integer kernel's geometry (cumsum_geometry.ts), float32 tensors required first. */
function prepareCumsum(graph: Graph, op: Op): FloatCumsumParams {
  const input = requireInput(graph, op, 0, 'input');
  requireInput(graph, op, 1, 'axis');
  requireFloat(op, [
    [input, 'input'],
    [requireOutput(graph, op), 'output'],
  ]);
  return { float32: true, ...cumsumGeometry(graph, op) };
}

/** CUMSUM on float32: running sums from 0 along the axis. */
export const floatCumsum: FloatKernel<FloatCumsumParams> = {
  check: (graph, op) => void prepareCumsum(graph, op),
  prepare: prepareCumsum,
  macs: (graph, op) => elementCount(graph.tensors[op.inputs[0]!]!.shape),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Float32Array;
    const out = outputs[0] as Float32Array;
    for (let o = 0; o < p.outer; o++) {
      for (let i = 0; i < p.inner; i++) {
        let acc = 0;
        for (let d = 0; d < p.depth; d++) {
          const k = p.reverse ? p.depth - 1 - d : d;
          const at = (o * p.depth + k) * p.inner + i;
          if (p.exclusive) {
            out[at] = acc;
            acc = fround(acc + x[at]!);
          } else {
            acc = fround(acc + x[at]!);
            out[at] = acc;
          }
        }
      }
    }
  },
  emitC(p, ctx) {
    const k = p.reverse ? `${p.depth - 1} - d` : 'd';
    const body = p.exclusive ? `out[at] = acc;\n        acc = acc + in[at];` : `acc = acc + in[at];\n        out[at] = acc;`;
    return `/* CUMSUM float32 [${p.shape.join('x')}] along axis ${p.axis}${p.exclusive ? ', exclusive' : ''}${p.reverse ? ', reverse' : ''}: running sums from 0.0f (TFLite Micro's CumSum) */
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  int o, i, d;
  for (o = 0; o < ${p.outer}; ++o) {
    for (i = 0; i < ${p.inner}; ++i) {
      float acc = 0.0f;
      for (d = 0; d < ${p.depth}; ++d) {
        const int at = (o * ${p.depth} + (${k})) * ${p.inner} + i;
        ${body}
      }
    }
  }
}
`;
  },
};
