// SPDX-License-Identifier: Apache-2.0
/**
 * Ops whose whole int8 kernel is replaced when a layer must match ONNX Runtime (attrs.arithmetic
 * 'onnxruntime'): ADD and MUL compute as QLinearAdd / QLinearMul, AVERAGE_POOL_2D as QLinearAveragePool,
 * MEAN over H and W as QLinearGlobalAveragePool (common/numerics/requant_f32.ts).
 * `withOrtArithmetic` puts a dispatcher in front of the op's definition, as int16_variant.ts does
 * for 16x8 layers: such layers get the ONNX Runtime kernel's check, prepare, reference and portable
 * C (no target variant implements it yet); every other layer goes to the op as before.
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../../op.ts';
import { f32Bits, opArithmetic, ortAveragePool, ortBinary, ortGlobalAveragePoolScale, requantF32, roundHalfEven } from '../numerics/requant_f32.ts';
import { denseStrides, renderCopy } from './strided_copy.ts';
import { type PoolParams, checkPool, forEachPoolWindow, preparePool } from './pool.ts';
import { reductionAxes, reductionTensors, requireReducedShape } from './reduce.ts';
import { clamp, f32 } from '../numerics/fixedpoint.ts';
import { selectVariant } from '../../variant.ts';
import { cTerm } from './weighted.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout } from './elementwise.ts';
import { float32Scales, forEachPair, fusedActivationBounds, inPlaceOverlap, int8BinaryTensors } from './binary_elementwise.ts';

/** Prepared parameters of an ONNX Runtime kernel carry this tag. */
export interface OrtTagged {
  readonly onnxRuntime: true;
}

export interface OrtKernel<P extends OrtTagged> {
  check(graph: Graph, op: Op): void;
  prepare(graph: Graph, op: Op): P;
  evaluate(p: P, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void;
  emitC(p: P, ctx: LayerEmitContext): string;
  overlap?(p: P): { input: number; gap: number } | undefined;
}

export function isOrtParams(p: unknown): p is OrtTagged {
  return typeof p === 'object' && p !== null && (p as { onnxRuntime?: unknown }).onnxRuntime === true;
}

/** A layer to compute as ONNX Runtime does: asked for, and all its tensors int8. */
export function ortInt8Layer(graph: Graph, op: Op): boolean {
  if (opArithmetic(op.attrs) !== 'onnxruntime') return false;
  return [...op.inputs, ...op.outputs].every((i) => i < 0 || graph.tensors[i]!.dtype === 'int8');
}

export function withOrtArithmetic<P, Q extends OrtTagged>(base: OpDef<P>, kernel: OrtKernel<Q>, selects = ortInt8Layer): OpDef<P> {
  const portable: KernelVariant<Q> = {
    name: 'portable onnxruntime',
    family: 'portable',
    applies: () => true,
    overlap: kernel.overlap ? (p) => kernel.overlap!(p) : undefined,
    emit: (p, ctx) => kernel.emitC(p, ctx),
  };
  const dispatcher: OpDef<P | Q> = {
    ...(base as OpDef<P | Q>),
    check: (graph, op) => (selects(graph, op) ? kernel.check(graph, op) : base.check(graph, op)),
    prepare: (graph, op, kernels, facts) => (selects(graph, op) ? kernel.prepare(graph, op) : base.prepare(graph, op, kernels, facts)),
    selectVariant: (p, isa, prefer, kernels) => (isOrtParams(p) ? portable : selectVariant(base, p as P, isa, prefer, kernels)) as KernelVariant<P | Q>,
    evaluate: (p, inputs, outputs) => (isOrtParams(p) ? kernel.evaluate(p as Q, inputs, outputs) : base.evaluate(p as P, inputs, outputs)),
    emitC: (p, ctx) => (isOrtParams(p) ? kernel.emitC(p as Q, ctx) : base.emitC(p as P, ctx)),
    overlap: (p) => (isOrtParams(p) ? kernel.overlap?.(p as Q) : base.overlap?.(p as P)),
  };
  return dispatcher as OpDef<P>;
}

export interface OrtBinaryParams extends OrtTagged, BinaryLayout {
  kind: 'add' | 'mul';
  scales: { s1: number; z1: number; s2: number; z2: number; so: number; zo: number };
  actMin: number;
  actMax: number;
}

/** ADD and MUL as QLinearAdd and QLinearMul (ONNX Runtime's portable MLAS kernels). */
export function ortBinaryKernel(kind: 'add' | 'mul'): OrtKernel<OrtBinaryParams> {
  return {
    check(graph, op) {
      int8BinaryTensors(graph, op);
      fusedActivationBounds(graph, op);
    },
    prepare(graph, op) {
      const { s1, s2, so } = float32Scales(graph, op);
      const zero = (i: number) => graph.tensors[i]!.quant!.zeroPoint[0] ?? 0;
      return {
        onnxRuntime: true,
        kind,
        ...binaryLayout(graph, op),
        scales: { s1, z1: zero(op.inputs[0]!), s2, z2: zero(op.inputs[1]!), so, zo: zero(op.outputs[0]!) },
        ...fusedActivationBounds(graph, op),
      };
    },
    evaluate(p, inputs, outputs) {
      forEachPair(p.loops, inputs, outputs, (q1, q2) => clamp(ortBinary(p.kind, q1, q2, p.scales, -128, 127), p.actMin, p.actMax));
    },
    overlap: inPlaceOverlap,
    emitC(p, ctx) {
      const view = binaryEmitView(p, ctx);
      const { s1, z1, s2, z2, so, zo } = p.scales;
      const f = (v: number) => `tf_f32_from_bits(${f32Bits(v)})`;
      const open = view.loops.map((l) => `${'  '.repeat(l.k + 1)}for (i${l.k} = 0; i${l.k} < ${l.extent}; ++i${l.k}) {\n`).join('');
      const close = view.loops
        .map((l) => `${'  '.repeat(l.k + 1)}}\n`)
        .reverse()
        .join('');
      const operator = kind === 'add' ? '+' : '*';
      const activation = p.actMin > -128 || p.actMax < 127 ? `tf_clamp(r, ${p.actMin}, ${p.actMax})` : 'r';
      return (
        `/* ${kind === 'add' ? 'ADD' : 'MUL'} int8 [${view.shape}]${view.broadcast ? ', broadcast' : ''} as ONNX Runtime's ${kind === 'add' ? 'QLinearAdd' : 'QLinearMul'}\n` +
        ` * (portable MLAS): (s1 (q1 ${cTerm(-z1)}) ${operator} s2 (q2 ${cTerm(-z2)})) / so in float32, s1 = ${s1}, s2 = ${s2}, so = ${so},\n` +
        ` * clamped, + ${zo}, rounded half to even (requant_f32.h) */\n` +
        `static void ${ctx.fnName}(void) {\n` +
        `  const int8_t *in1 = ${view.input1};\n` +
        `  const int8_t *in2 = ${view.input2};\n` +
        `  int8_t *out = ${view.output};\n` +
        `  const float s1 = ${f(s1)}, s2 = ${f(s2)}, so = ${f(so)};\n` +
        (view.loops.length ? `  int ${view.loopVars};\n` : '') +
        open +
        `    const float a = s1 * (float)((int32_t)in1[${view.indexA}] ${cTerm(-z1)});\n` +
        `    const float b = s2 * (float)((int32_t)in2[${view.indexB}] ${cTerm(-z2)});\n` +
        `    const int32_t r = tf_ort_finish_f32(a ${operator} b, so, ${zo}, -128, 127);\n` +
        `    *out++ = (int8_t)${activation};\n` +
        close +
        `}\n`
      );
    },
  };
}

/** The first input and the output int8, asked to match ONNX Runtime (MEAN's axes are an int32 input). */
export function ortInt8Activations(graph: Graph, op: Op): boolean {
  if (opArithmetic(op.attrs) !== 'onnxruntime') return false;
  return graph.tensors[op.inputs[0]!]?.dtype === 'int8' && graph.tensors[op.outputs[0]!]?.dtype === 'int8';
}

export interface OrtAveragePoolParams extends OrtTagged, PoolParams {
  scales: { sx: number; zx: number; sy: number; zy: number };
}

/** The graph as checkPool sees it with the output quantized like the input: every rule but that one. */
function withOutputQuantOfInput(graph: Graph, op: Op): Graph {
  const input = graph.tensors[op.inputs[0]!]!;
  const tensors = graph.tensors.slice();
  tensors[op.outputs[0]!] = { ...tensors[op.outputs[0]!]!, quant: input.quant };
  return { ...graph, tensors };
}

/** AVERAGE_POOL_2D as QLinearAveragePool (ONNX Runtime's float kernel): input and output may be quantized differently. */
export const ortAveragePoolKernel: OrtKernel<OrtAveragePoolParams> = {
  check: (graph, op) => checkPool(withOutputQuantOfInput(graph, op), op, 8, true),
  prepare(graph, op) {
    const q = (i: number) => graph.tensors[i]!.quant!;
    const input = q(op.inputs[0]!);
    const output = q(op.outputs[0]!);
    return {
      onnxRuntime: true,
      ...preparePool(graph, op),
      scales: { sx: f32(input.scale[0]!), zx: input.zeroPoint[0] ?? 0, sy: f32(output.scale[0]!), zy: output.zeroPoint[0] ?? 0 },
    };
  },
  evaluate: (p, inputs, outputs) => forEachPoolWindow(p, inputs[0] as Int8Array, outputs[0] as Int8Array, (taps) => ortAveragePool(taps, p.scales)),
  emitC(p, ctx) {
    const { sx, zx, sy, zy } = p.scales;
    const f = (v: number) => `tf_f32_from_bits(${f32Bits(v)})`;
    const activation = p.actMin > -128 || p.actMax < 127 ? `tf_clamp(q, ${p.actMin}, ${p.actMax})` : 'q';
    return `/* AVERAGE_POOL_2D int8 ${p.filterH}x${p.filterW} stride ${p.strideH}x${p.strideW} as ONNX Runtime's QLinearAveragePool: the taps
 * inside the image dequantized (sx = ${sx}, zx = ${zx}) and summed in float32 in window order, divided by
 * their count, / sy (${sy}) + ${zy} in float32, clamped, rounded half to even (requant_f32.h) */
static void ${ctx.fnName}(void) {
  const int8_t *in = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  const float sx = ${f(sx)}, sy = ${f(sy)};
  int b, oy, ox, c, y, x;
  for (b = 0; b < ${p.batches}; ++b) {
    const int8_t *image = in + b * ${p.inH * p.inW * p.depth};
    for (oy = 0; oy < ${p.outH}; ++oy) {
      const int y_origin = oy * ${p.strideH} - ${p.padTop};
      const int y0 = y_origin < 0 ? 0 : y_origin;
      const int y1 = y_origin + ${p.filterH} < ${p.inH} ? y_origin + ${p.filterH} : ${p.inH};
      for (ox = 0; ox < ${p.outW}; ++ox) {
        const int x_origin = ox * ${p.strideW} - ${p.padLeft};
        const int x0 = x_origin < 0 ? 0 : x_origin;
        const int x1 = x_origin + ${p.filterW} < ${p.inW} ? x_origin + ${p.filterW} : ${p.inW};
        const float count = (float)((y1 - y0) * (x1 - x0));
        for (c = 0; c < ${p.depth}; ++c) {
          float sum = 0.0f;
          int32_t q;
          for (y = y0; y < y1; ++y) {
            for (x = x0; x < x1; ++x) {
              const float tap = sx * (float)((int32_t)image[(y * ${p.inW} + x) * ${p.depth} + c] ${cTerm(-zx)});
              sum += tap;
            }
          }
          q = tf_ort_quantize_f32((sum / count) / sy, ${zy}, -128, 127);
          *out++ = (int8_t)${activation};
        }
      }
    }
  }
}
`;
  },
};

export interface OrtMeanParams extends OrtTagged {
  batches: number;
  /** H * W: the elements each output averages */
  size: number;
  depth: number;
  /** -zx * size, added to the int32 sum */
  bias: number;
  scale: number;
  zy: number;
}

/** MEAN over the two spatial axes of NHWC (ONNX's GlobalAveragePool), as QLinearGlobalAveragePool. */
function spatialMean(graph: Graph, op: Op): boolean {
  const input = graph.tensors[op.inputs[0]!]!;
  if (input.shape.length !== 4) return false;
  const axes = reductionAxes(graph, op, input);
  return axes.length === 2 && axes[0] === 1 && axes[1] === 2;
}

export const ortMeanSelects = (graph: Graph, op: Op): boolean => ortInt8Activations(graph, op) && spatialMean(graph, op);

export const ortMeanKernel: OrtKernel<OrtMeanParams> = {
  check(graph, op) {
    const { input, output, axes } = reductionTensors(graph, op);
    requireReducedShape(op, input, output, axes);
  },
  prepare(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const [batches, h, w, depth] = input.shape as [number, number, number, number];
    const size = h * w;
    return {
      onnxRuntime: true,
      batches,
      size,
      depth,
      bias: -(input.quant!.zeroPoint[0] ?? 0) * size,
      scale: ortGlobalAveragePoolScale(input.quant!.scale[0]!, output.quant!.scale[0]!, size),
      zy: output.quant!.zeroPoint[0] ?? 0,
    };
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let b = 0; b < p.batches; b++) {
      for (let c = 0; c < p.depth; c++) {
        let acc = p.bias;
        for (let i = 0; i < p.size; i++) acc += x[(b * p.size + i) * p.depth + c]!;
        out[b * p.depth + c] = requantF32(acc, p.scale, p.zy, -128, 127);
      }
    }
  },
  emitC(p, ctx) {
    return `/* MEAN int8 over H, W (${p.size} elements, ${p.depth} channels) as ONNX Runtime's QLinearGlobalAveragePool: the int32
 * sum ${cTerm(p.bias)} (the input zero point), requantized by sx / (sy * ${p.size}) = ${p.scale} in float32 (requant_f32.h) */
static void ${ctx.fnName}(void) {
  const int8_t *in = ${ctx.input(0)};
  int8_t *out = ${ctx.output(0)};
  const float scale = tf_f32_from_bits(${f32Bits(p.scale)});
  int b, c, i;
  for (b = 0; b < ${p.batches}; ++b) {
    const int8_t *image = in + b * ${p.size * p.depth};
    for (c = 0; c < ${p.depth}; ++c) {
      int32_t acc = ${p.bias};
      for (i = 0; i < ${p.size}; ++i) acc += image[i * ${p.depth} + c];
      *out++ = (int8_t)tf_requant_f32(acc, scale, ${p.zy}, -128, 127);
    }
  }
}
`;
  },
};
