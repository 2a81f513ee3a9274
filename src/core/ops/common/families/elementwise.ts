// SPDX-License-Identifier: Apache-2.0
/**
 * What the elementwise ops share: the shape rules of unary ops (output shaped like the input) and of
 * binary ops with numpy broadcasting, and the C loop nest that walks a broadcast (see broadcast.ts).
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type BroadcastLoop, broadcastLoops, broadcastShape } from './broadcast.ts';
import { requireInt16Activation } from './int16_variant.ts';
import { requireInput, requireInt8Activation, requireOutput, tensorLabel } from './weighted.ts';

/** TFLite's broadcasting kernels go up to 6 dimensions. */
export const MAX_BROADCAST_RANK = 6;

const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Input 0 and the output of a one-input elementwise op; the output must have the input's shape. */
export function unaryTensors(graph: Graph, op: Op): { input: Tensor; output: Tensor } {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  if (!sameShape(input.shape, output.shape)) {
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape ${shapeText(output.shape)}; expected the input's ${shapeText(input.shape)}`);
  }
  return { input, output };
}

/** An int8 layer's input and output: int16 refused (no 16x8 kernel), both int8 activations. */
export function requireInt8InOut(op: Op, input: Tensor, output: Tensor): void {
  rejectInt16(op, input, 'input');
  requireInt8Activation(op, input, 'input');
  requireInt8Activation(op, output, 'output');
}

/** The input and output of a one-input int8 layer (unaryTensors, then requireInt8InOut). */
export function int8UnaryTensors(graph: Graph, op: Op): { input: Tensor; output: Tensor } {
  const t = unaryTensors(graph, op);
  requireInt8InOut(op, t.input, t.output);
  return t;
}

/**
 * Inputs 0 and 1 and the output of a two-input op with broadcasting: the shapes must broadcast to
 * the output's shape, at most MAX_BROADCAST_RANK dimensions.
 */
export function binaryTensors(graph: Graph, op: Op, names: [string, string] = ['input 1', 'input 2']): { a: Tensor; b: Tensor; out: Tensor } {
  const a = requireInput(graph, op, 0, names[0]);
  const b = requireInput(graph, op, 1, names[1]);
  const out = requireOutput(graph, op);
  for (const [t, role] of [
    [a, names[0]],
    [b, names[1]],
    [out, 'output'],
  ] as const) {
    if (t.shape.length > MAX_BROADCAST_RANK) {
      throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; at most ${MAX_BROADCAST_RANK} is supported`);
    }
  }
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new OpError(op.index, op.kind, `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not broadcast`);
  if (!sameShape(shape, out.shape)) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(out)} has shape ${shapeText(out.shape)}; ${shapeText(a.shape)} and ${shapeText(b.shape)} broadcast to ${shapeText(shape)}`,
    );
  }
  return { a, b, out };
}

/** Inputs 0 and 1 and the output of a broadcasting binary op, all int16 activations. */
export function int16BinaryTensors(graph: Graph, op: Op) {
  const t = binaryTensors(graph, op);
  requireInt16Activation(op, t.a, 'input 1');
  requireInt16Activation(op, t.b, 'input 2');
  requireInt16Activation(op, t.out, 'output');
  return t;
}

/** The broadcast walk of a binary op's inputs over its output (one flat loop when no broadcast). */
export function binaryLoops(graph: Graph, op: Op): BroadcastLoop[] {
  const a = graph.tensors[op.inputs[0]!]!;
  const b = graph.tensors[op.inputs[1]!]!;
  const out = graph.tensors[op.outputs[0]!]!;
  return broadcastLoops(a.shape, b.shape, out.shape);
}

/** What a C template needs to walk a broadcast: the loop nest and each operand's index expression. */
export interface BroadcastCView {
  /** outermost first; `k` names the loop variable `i<k>` */
  loops: { k: number; extent: number }[];
  /** `i0, i1` for the declaration; empty when there is no loop (a single element) */
  loopVars: string;
  /** C expressions of the element offsets into input 1 and input 2, e.g. `i0 * 16 + i1` */
  indexA: string;
  indexB: string;
}

export function broadcastCView(loops: readonly BroadcastLoop[]): BroadcastCView {
  const index = (stride: (l: BroadcastLoop) => number) =>
    loops
      .map((l, k) => ({ k, s: stride(l) }))
      .filter(({ s }) => s !== 0)
      .map(({ k, s }) => (s === 1 ? `i${k}` : `i${k} * ${s}`))
      .join(' + ') || '0';
  return {
    loops: loops.map((l, k) => ({ k, extent: l.extent })),
    loopVars: loops.map((_, k) => `i${k}`).join(', '),
    indexA: index((l) => l.strideA),
    indexB: index((l) => l.strideB),
  };
}

/**
 * The C of a 16x8 binary elementwise layer's family kernel: the broadcast loop nest over int16 in1,
 * in2 and out, `q1` and `q2` loaded per element, then `body` (C statements ending in an int32 `r`),
 * clamped to the activation (SSAT on the DSP cores when the range is all of int16) and stored.
 */
export function int16BinaryLoopC(
  fnName: string,
  comment: string,
  pointers: { in1: string; in2: string; out: string },
  loops: readonly BroadcastLoop[],
  body: readonly string[],
  clamp: { dsp: boolean; actMin: number; actMax: number },
): string {
  const view = broadcastCView(loops);
  const full = clamp.actMin <= -32768 && clamp.actMax >= 32767;
  const clampExpr = clamp.dsp && full ? 'tf_ssat16(r)' : `r < ${clamp.actMin} ? ${clamp.actMin} : (r > ${clamp.actMax} ? ${clamp.actMax} : r)`;
  const open = view.loops.map((l) => `${'  '.repeat(l.k + 1)}for (i${l.k} = 0; i${l.k} < ${l.extent}; ++i${l.k}) {\n`).join('');
  const close = view.loops
    .map((l) => `${'  '.repeat(l.k + 1)}}\n`)
    .reverse()
    .join('');
  return (
    `/* ${comment} */\n` +
    `static void ${fnName}(void) {\n` +
    `  const int16_t *in1 = ${pointers.in1};\n` +
    `  const int16_t *in2 = ${pointers.in2};\n` +
    `  int16_t *out = ${pointers.out};\n` +
    (view.loops.length ? `  int ${view.loopVars};\n` : '') +
    open +
    `    const int32_t q1 = in1[${view.indexA}], q2 = in2[${view.indexB}];\n` +
    body.map((line) => `    ${line}\n`).join('') +
    `    *out++ = (int16_t)(${clampExpr});\n` +
    close +
    `}\n`
  );
}

/** `[1x8x8x16]`: a shape as the layer comments print it. */
export function shapeComment(t: Tensor): string {
  return `[${t.shape.join('x')}]`;
}

/**
 * Ops whose int8 output has a fixed quantization in TFLite (LOGISTIC: 1/256 and -128; TANH and
 * L2_NORMALIZATION: 1/128 and 0): the kernels produce that scale whatever the tensor says.
 */
export function requireOutputQuantization(op: Op, output: Tensor, scale: number, zeroPoint: number, scaleText: string): void {
  const s = output.quant?.scale[0];
  const z = output.quant?.zeroPoint[0];
  if (s === undefined || Math.fround(s) !== scale || z !== zeroPoint) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has scale ${s}, zero point ${z}; TFLite requires scale ${scaleText} and zero point ${zeroPoint}`,
    );
  }
}

/** An int16 tensor where only int8 is implemented: the message says int16 is not supported yet. */
export function rejectInt16(op: Op, t: Tensor, role: string): void {
  if (t.dtype === 'int16') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is int16; int16 ${op.kind} is not supported yet`);
}

/** A binary op's prepared broadcast, with the input (if any) its output may share memory with. */
export interface BinaryLayout {
  size: number;
  loops: BroadcastLoop[];
  /**
   * An input with the output's shape that is not a constant: the kernel reads its element o before
   * writing output element o, so the two can share one buffer.
   */
  inPlaceInput?: number;
}

export function binaryLayout(graph: Graph, op: Op): BinaryLayout {
  const out = graph.tensors[op.outputs[0]!]!;
  const candidate = [0, 1].find((i) => {
    const t = graph.tensors[op.inputs[i]!]!;
    return !t.data && t.dtype === out.dtype && sameShape(t.shape, out.shape);
  });
  return {
    size: out.shape.reduce((n, d) => n * d, 1),
    loops: binaryLoops(graph, op),
    ...(candidate === undefined ? {} : { inPlaceInput: candidate }),
  };
}

/** The view fields every broadcasting binary template uses. */
export function binaryEmitView(
  layout: BinaryLayout,
  ctx: LayerEmitContext,
): BroadcastCView & { fnName: string; input1: string; input2: string; output: string; shape: string; size: number; broadcast: boolean } {
  const out = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  const a = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  const b = ctx.graph.tensors[ctx.op.inputs[1]!]!;
  return {
    ...broadcastCView(layout.loops),
    fnName: ctx.fnName,
    input1: ctx.input(0),
    input2: ctx.input(1),
    output: ctx.output(0),
    shape: out.shape.join('x'),
    size: layout.size,
    broadcast: !(sameShape(a.shape, out.shape) && sameShape(b.shape, out.shape)),
  };
}
