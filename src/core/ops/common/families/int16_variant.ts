// SPDX-License-Identifier: Apache-2.0
/**
 * 16x8 quantization (int16 activations, int8 weights) as a separate kernel variant of an int8 op. The
 * op's int8 definition stays as it is; `withInt16Variant` puts a dispatcher in front of it that sends
 * layers with int16 activations to the variant (picked in check/prepare by dtype) and, afterwards,
 * their prepared parameters (tagged `activationBits: 16`) to the variant's evaluate and emitC, and to
 * its target variants (`Int16Variant.variants`, picked per ISA family like `OpDef.variants`).
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';
import { type KernelVariant, type LayerEmitContext, type OpDef, familyChain } from '../../op.ts';
import { selectVariant } from '../../variant.ts';
import { tensorLabel } from './weighted.ts';

/** Prepared parameters of an int16 variant carry this tag. */
export interface Int16Tagged {
  readonly activationBits: 16;
}

export interface Int16Variant<P extends Int16Tagged> {
  check(graph: Graph, op: Op): void;
  prepare(graph: Graph, op: Op): P;
  /** default: the int8 definition's count */
  macs?(graph: Graph, op: Op): number;
  scratchBytes?(p: P): number;
  evaluate(p: P, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void;
  emitC(p: P, ctx: LayerEmitContext): string;
  /** the target variants of 16x8 layers, in order of preference (as `OpDef.variants`); else portable C */
  variants?: readonly KernelVariant<P>[];
}

export function isInt16Params(p: unknown): p is Int16Tagged {
  return typeof p === 'object' && p !== null && (p as { activationBits?: unknown }).activationBits === 16;
}

/** Whether the op's first input is an int16 tensor (the usual way to recognise a 16x8 layer). */
export function firstInputIsInt16(graph: Graph, op: Op): boolean {
  const index = op.inputs[0];
  return index !== undefined && index >= 0 && graph.tensors[index]?.dtype === 'int16';
}

/** Layers where any operand is int16 are 16x8 layers (the check then wants all three int16). */
export function anyOperandInt16(graph: Graph, op: Op): boolean {
  return [...op.inputs, ...op.outputs].some((i) => i >= 0 && graph.tensors[i]?.dtype === 'int16');
}

/**
 * The int8 definition with the int16 variant in front. Typed as the int8 definition, so that code
 * written against the int8 parameters (tests, target variants) keeps its types: `prepare` returns the
 * int16 variant's (tagged) parameters only for int16 layers, which only the dispatcher consumes.
 */
export function withInt16Variant<P8, P16 extends Int16Tagged>(
  base: OpDef<P8>,
  variant: Int16Variant<P16>,
  selects: (graph: Graph, op: Op) => boolean = firstInputIsInt16,
): OpDef<P8> {
  // the portable C, where no target variant of the family applies
  const int16Kernel: KernelVariant<P16> = {
    name: 'portable int16',
    family: 'portable',
    applies: () => true,
    scratchBytes: variant.scratchBytes ? (p) => variant.scratchBytes!(p) : undefined,
    emit: (p, ctx) => variant.emitC(p, ctx),
  };
  const dispatcher: OpDef<P8 | P16> = {
    ...(base as OpDef<P8 | P16>),
    check: (graph, op) => (selects(graph, op) ? variant.check(graph, op) : base.check(graph, op)),
    prepare: (graph, op, kernels, facts) => (selects(graph, op) ? variant.prepare(graph, op) : base.prepare(graph, op, kernels, facts)),
    macs: (graph, op) => (selects(graph, op) && variant.macs ? variant.macs(graph, op) : base.macs(graph, op)),
    selectVariant: (p, isa, prefer, kernels) =>
      (isInt16Params(p)
        ? (familyChain(isa)
            .map((family) => variant.variants?.find((v) => v.family === family && v.applies(p as P16, { isa, prefer: prefer ?? 'speed' })))
            .find((v) => v) ?? int16Kernel)
        : selectVariant(base, p as P8, isa, prefer, kernels)) as KernelVariant<P8 | P16>,
    // the int8 dense price is not the int16 kernel's: an int16 layer is priced by its MACs
    ...(base.denseCost ? { denseCost: (p, isa, prefer) => (isInt16Params(p) ? undefined : base.denseCost!(p as P8, isa, prefer)) } : {}),
    evaluate: (p, inputs, outputs) => (isInt16Params(p) ? variant.evaluate(p as P16, inputs, outputs) : base.evaluate(p as P8, inputs, outputs)),
    emitC: (p, ctx) => (isInt16Params(p) ? variant.emitC(p as P16, ctx) : base.emitC(p as P8, ctx)),
  };
  return dispatcher as OpDef<P8>;
}

/**
 * An int16 activation as TFLite's 16x8 scheme defines it: one scale, zero point 0 (symmetric).
 */
export function requireInt16Activation(op: Op, t: Tensor, role: string): void {
  if (t.dtype !== 'int16') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; this int16 layer needs int16 activations throughout`);
  const q = t.quant;
  if (!q || q.scale.length === 0) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has no quantization parameters`);
  if (q.scale.length !== 1) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is quantized per channel; activations must be per tensor`);
  if (!(q.scale[0]! > 0)) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has scale ${q.scale[0]}; it must be positive`);
  if (q.zeroPoint[0] !== 0)
    throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has zero point ${q.zeroPoint[0]}; int16 activations must be symmetric (zero point 0)`);
}

/** The bias of a 16x8 layer: absent, int32 or int64, one value per output channel, constant. */
export function int16BiasKind(op: Op, t: Tensor | undefined, channels: number, allowed: readonly ('int32' | 'int64')[]): 'none' | 'int32' | 'int64' {
  if (!t) return 'none';
  if (!(allowed as readonly string[]).includes(t.dtype)) {
    throw new OpError(op.index, op.kind, `bias ${tensorLabel(t)} is ${t.dtype}; int16 layers of this op take a ${allowed.join(' or ')} bias`);
  }
  const count = t.shape.reduce((n, d) => n * d, 1);
  if (count !== channels) throw new OpError(op.index, op.kind, `bias ${tensorLabel(t)} has ${count} elements; expected ${channels} (one per output channel)`);
  if (!t.data) throw new OpError(op.index, op.kind, `bias ${tensorLabel(t)} is not a constant tensor; only constant biases are supported`);
  return t.dtype as 'int32' | 'int64';
}
