// SPDX-License-Identifier: Apache-2.0
/**
 * SignalWindow (TFLite Micro's signal/micro/kernels/window.cc): each frame of the int16 input is
 * multiplied element by element by the int16 window and shifted right, saturated to int16:
 * y[i] = sat16((x[i] * w[i]) >> shift). The input holds whole frames of the window's length along
 * its flattened elements. Option `shift` (0..31).
 */
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalWindowParams {
  size: number;
  frameSize: number;
  shift: number;
}

function prepareWindow(graph: Parameters<OpDef['check']>[0], op: Parameters<OpDef['check']>[1]): SignalWindowParams {
  requireArity(op, 2, 1);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const weights = signalInput(graph, op, 1, 'window', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  if (!weights.data) throw new OpError(op.index, op.kind, `window ${tensorLabel(weights)} must be a constant`);
  if (weights.shape.length !== 1) throw new OpError(op.index, op.kind, `window ${tensorLabel(weights)} must have one dimension`);
  if (input.shape.length < 1 || input.shape.length !== output.shape.length || elements(input) !== elements(output))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have the input's shape`);
  const frameSize = weights.shape[0]!;
  if (frameSize === 0 || elements(input) % frameSize !== 0)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} of ${elements(input)} elements is not whole frames of the window's ${frameSize}`);
  return { size: elements(input), frameSize, shift: intOption(op, signalOptions(op), 'shift', 0, 31) };
}

/** One element: the product shifted, saturated to int16 (the shift is arithmetic on the int32 product). */
export function windowValue(x: number, w: number, shift: number): number {
  const raw = (x * w) >> shift;
  return raw < -32768 ? -32768 : raw > 32767 ? 32767 : raw;
}

const signalWindow: OpDef<SignalWindowParams> = {
  kind: signalKind('SignalWindow'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareWindow(graph, op),
  prepare: prepareWindow,
  macs: (graph, op) => elements(graph.tensors[op.inputs[0]!]!),
  // each element is read before it is written
  overlap: () => ({ input: 0, gap: 0 }),
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const w = inputs[1] as Int16Array;
    const y = outputs[0] as Int16Array;
    for (let i = 0; i < p.size; i++) y[i] = windowValue(x[i]!, w[i % p.frameSize]!, p.shift);
  },
  emitC(p, ctx) {
    return ctx.render('signal_window.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      window: ctx.input(1),
      output: ctx.output(0),
      frames: p.size / p.frameSize,
    });
  },
};

export default signalWindow;
