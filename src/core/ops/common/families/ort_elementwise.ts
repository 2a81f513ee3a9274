// SPDX-License-Identifier: Apache-2.0
/**
 * Ops whose whole int8 kernel is replaced when a layer must match ONNX Runtime (attrs.arithmetic
 * 'onnxruntime'): ADD and MUL compute as QLinearAdd / QLinearMul (common/numerics/requant_f32.ts).
 * `withOrtArithmetic` puts a dispatcher in front of the op's definition, as int16_variant.ts does
 * for 16x8 layers: such layers get the ONNX Runtime kernel's check, prepare, reference and portable
 * C (no target variant implements it yet); every other layer goes to the op as before.
 */
import type { Graph, Op } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../../op.ts';
import { opArithmetic, ortBinary, f32Bits } from '../numerics/requant_f32.ts';
import { clamp } from '../numerics/fixedpoint.ts';
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
    prepare: (graph, op, kernels) => (selects(graph, op) ? kernel.prepare(graph, op) : base.prepare(graph, op, kernels)),
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
