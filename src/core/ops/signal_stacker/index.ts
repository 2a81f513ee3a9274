// SPDX-License-Identifier: Apache-2.0
/**
 * SignalStacker (TFLite Micro's signal/micro/kernels/stacker.cc): stacks the last
 * left_context + 1 + right_context frames of num_channels int16 values into one vector. Each
 * invocation appends one frame; the first frame after a reset is repeated left_context more times
 * (the past it has not seen). Once the buffer holds all the frames the stack is out, oldest first,
 * and the oldest stacker_step frames are dropped. Outputs: the stack [num_channels * (left + 1 +
 * right)] and a bool that is true when this invocation put a stack out.
 *
 * State: the pending values, oldest first (a linear buffer of TFLite Micro's circular one), their
 * count and whether the first frame came; all zero at init and reset, as TFLite Micro's Reset.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { elements, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalStackerParams {
  channels: number;
  leftContext: number;
  /** values of a whole stack: what the buffer holds at most */
  stackSize: number;
  /** values dropped after a stack is out: num_channels * stacker_step */
  stepSize: number;
}

const STATE_TENSORS = 2;

function stackerOptions(op: Op): SignalStackerParams {
  const options = signalOptions(op);
  const channels = intOption(op, options, 'num_channels', 1, 1 << 20);
  const leftContext = intOption(op, options, 'stacker_left_context', 0, 1 << 10);
  const rightContext = intOption(op, options, 'stacker_right_context', 0, 1 << 10);
  const frames = leftContext + 1 + rightContext;
  // TFLite Micro would drop more frames than its buffer holds (an assertion its release build skips)
  const step = intOption(op, options, 'stacker_step', 1, frames);
  return { channels, leftContext, stackSize: channels * frames, stepSize: channels * step };
}

function prepareStacker(graph: Graph, op: Op): SignalStackerParams {
  requireArity(op, 1, 2, STATE_TENSORS);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  const valid = signalOutput(graph, op, 1, 'valid output', 'bool');
  const p = stackerOptions(op);
  if (input.shape.length !== 1 || elements(input) !== p.channels)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must be [${p.channels}] (num_channels)`);
  if (output.shape.length !== 1 || elements(output) !== p.stackSize)
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must be [${p.stackSize}] (num_channels x the stacked frames)`);
  if (valid.shape.length !== 0) throw new OpError(op.index, op.kind, `valid output ${tensorLabel(valid)} must be a scalar`);
  return p;
}

const signalStacker: OpDef<SignalStackerParams> = {
  kind: signalKind('SignalStacker'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareStacker(graph, op),
  prepare: prepareStacker,
  macs: () => 0,
  state(_graph, op) {
    return [
      { name: 'values', dtype: 'int16', shape: [stackerOptions(op).stackSize] },
      // [0]: values pending, [1]: 1 once the first frame came
      { name: 'count', dtype: 'int32', shape: [2] },
    ];
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const buffer = inputs[1] as Int16Array;
    const count = inputs[2] as Int32Array;
    const y = outputs[0] as Int16Array;
    const valid = outputs[1] as Uint8Array;
    let pending = count[0]!;
    for (let i = 0; i < p.channels; i++) buffer[pending + i] = x[i]!;
    pending += p.channels;
    if (count[1] === 0) {
      for (let k = 0; k < p.leftContext; k++, pending += p.channels) for (let i = 0; i < p.channels; i++) buffer[pending + i] = x[i]!;
      count[1] = 1;
    }
    if (pending >= p.stackSize) {
      for (let i = 0; i < p.stackSize; i++) y[i] = buffer[i]!;
      pending -= p.stepSize;
      for (let i = 0; i < pending; i++) buffer[i] = buffer[p.stepSize + i]!;
      valid[0] = 1;
    } else {
      // TFLite Micro leaves the output unwritten (the last stack, or whatever its arena held): ours is zeros
      for (let i = 0; i < p.stackSize; i++) y[i] = 0;
      valid[0] = 0;
    }
    count[0] = pending;
  },
  emitC(p, ctx) {
    return ctx.render('signal_stacker.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      buffer: ctx.input(1),
      count: ctx.input(2),
      output: ctx.output(0),
      valid: ctx.output(1),
    });
  },
};

export default signalStacker;
