// SPDX-License-Identifier: Apache-2.0
/**
 * SignalDelay (TFLite Micro's signal/micro/kernels/delay.cc): delays each row of int16 samples (the
 * input's innermost dimension) by `delay_length` samples across invocations: the output is the
 * row's last delay_length samples of before, then the row's samples but the last delay_length.
 * The delay starts as zeros, after init and after a reset.
 *
 * State: per row the delay_length samples still to come out, oldest first (TFLite Micro keeps the
 * row in a circular buffer of frame_size + delay_length; only these survive an invocation).
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { elements, innerSize, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalDelayParams {
  rows: number;
  frameSize: number;
  delay: number;
}

function delayLength(op: Op): number {
  return intOption(op, signalOptions(op), 'delay_length', 0, 1 << 20);
}

function rowsOf(graph: Graph, op: Op): number {
  const input = graph.tensors[op.inputs[0]!];
  return input && input.shape.length > 0 && innerSize(input) > 0 ? elements(input) / innerSize(input) : 1;
}

function prepareDelay(graph: Graph, op: Op): SignalDelayParams {
  const delay = delayLength(op);
  requireArity(op, 1, 1, delay > 0 ? 1 : 0);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have at least one dimension`);
  if (output.shape.length !== input.shape.length || output.shape.some((d, i) => d !== input.shape[i]))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must have the input's shape`);
  return { rows: rowsOf(graph, op), frameSize: innerSize(input), delay };
}

const signalDelay: OpDef<SignalDelayParams> = {
  kind: signalKind('SignalDelay'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareDelay(graph, op),
  prepare: prepareDelay,
  macs: () => 0,
  state(graph, op) {
    const delay = delayLength(op);
    return delay > 0 ? [{ name: 'delayed', dtype: 'int16', shape: [rowsOf(graph, op), delay] }] : [];
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const delayed = inputs[1] as Int16Array | undefined;
    const y = outputs[0] as Int16Array;
    const { frameSize: n, delay: d } = p;
    for (let r = 0; r < p.rows; r++) {
      const row = r * n;
      const kept = r * d;
      // the row's stream is [delayed..., x...]: out takes its first n, the state its last d
      for (let i = 0; i < n; i++) y[row + i] = i < d ? delayed![kept + i]! : x[row + i - d]!;
      for (let j = 0; j < d; j++) delayed![kept + j] = n + j < d ? delayed![kept + n + j]! : x[row + n + j - d]!;
    }
  },
  emitC(p, ctx) {
    return ctx.render('signal_delay.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      delayed: p.delay > 0 ? ctx.input(1) : undefined,
      output: ctx.output(0),
      // the parts of the row's stream [delayed..., x...] each copy takes from
      outFromDelayed: Math.min(p.delay, p.frameSize),
      keptFromDelayed: Math.max(0, p.delay - p.frameSize),
      keptFromInputAt: Math.max(0, p.frameSize - p.delay),
    });
  },
};

export default signalDelay;
