// SPDX-License-Identifier: Apache-2.0
/**
 * SignalFramer (TFLite Micro's signal/micro/kernels/framer.cc): cuts a stream of int16 samples into
 * overlapping frames. Each row of the input (its innermost dimension, n_frames * frame_step samples
 * per invocation) feeds its own buffer, frame_step samples at a time; once the buffer holds
 * frame_size samples the oldest frame_size are a frame out and the oldest frame_step are dropped.
 * Options `frame_size`, `frame_step`, `prefill` (the buffer starts with frame_size - frame_step
 * zeros, so the first frame is out at once). Outputs: the frames [..., n_frames, frame_size] and a
 * bool that is false while a frame of this invocation was not yet full.
 *
 * State: per row the pending samples, oldest first (TFLite Micro keeps them in a circular buffer; a
 * linear one holds the same samples in the same order), and the count of pending samples, stored
 * less the prefill so that the zeroed state of init and reset is the prefilled buffer.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { boolOption, elements, innerSize, intOption, requireArity, signalInput, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { tensorLabel } from '../common/families/weighted.ts';

export interface SignalFramerParams {
  /** rows: the input's elements over its innermost dimension */
  rows: number;
  frames: number;
  frameSize: number;
  frameStep: number;
  /** samples the buffer starts with (zeros): frame_size - frame_step with prefill, else 0 */
  prefill: number;
  /** samples one row's buffer holds at most: frame_size rounded up to whole steps, as TFLite Micro sizes it */
  capacity: number;
}

const STATE_TENSORS = 2;

function framerOptions(op: Op): { frameSize: number; frameStep: number; prefill: boolean } {
  const options = signalOptions(op);
  const frameSize = intOption(op, options, 'frame_size', 1, 1 << 20);
  const frameStep = intOption(op, options, 'frame_step', 1, 1 << 20);
  const prefill = boolOption(op, options, 'prefill');
  // TFLite Micro would write frame_size - frame_step zeros: a negative count it does not check
  if (prefill && frameSize < frameStep) throw new OpError(op.index, op.kind, `prefill needs frame_size (${frameSize}) >= frame_step (${frameStep})`);
  return { frameSize, frameStep, prefill };
}

function capacityOf(frameSize: number, frameStep: number): number {
  return Math.ceil(frameSize / frameStep) * frameStep;
}

function prepareFramer(graph: Graph, op: Op): SignalFramerParams {
  requireArity(op, 1, 2, STATE_TENSORS);
  const input = signalInput(graph, op, 0, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  const valid = signalOutput(graph, op, 1, 'valid output', 'bool');
  const { frameSize, frameStep, prefill } = framerOptions(op);
  if (input.shape.length < 1) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must have at least one dimension`);
  const inner = innerSize(input);
  if (inner < frameStep || inner % frameStep !== 0)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)}: its innermost dimension ${inner} is not whole steps of frame_step ${frameStep}`);
  const frames = inner / frameStep;
  const expected = [...input.shape.slice(0, -1), frames, frameSize];
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i]))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must be [${expected.join(', ')}]`);
  if (valid.shape.length !== 0) throw new OpError(op.index, op.kind, `valid output ${tensorLabel(valid)} must be a scalar`);
  return {
    rows: elements(input) / inner,
    frames,
    frameSize,
    frameStep,
    prefill: prefill ? frameSize - frameStep : 0,
    capacity: capacityOf(frameSize, frameStep),
  };
}

const signalFramer: OpDef<SignalFramerParams> = {
  kind: signalKind('SignalFramer'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareFramer(graph, op),
  prepare: prepareFramer,
  macs: () => 0,
  state(graph, op) {
    const { frameSize, frameStep } = framerOptions(op);
    const input = graph.tensors[op.inputs[0]!];
    const rows = input && input.shape.length > 0 ? elements(input) / innerSize(input) : 1;
    return [
      { name: 'samples', dtype: 'int16', shape: [rows, capacityOf(frameSize, frameStep)] },
      { name: 'count', dtype: 'int32', shape: [1] },
    ];
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const buffer = inputs[1] as Int16Array;
    const count = inputs[2] as Int32Array;
    const y = outputs[0] as Int16Array;
    const valid = outputs[1] as Uint8Array;
    let allFull = 1;
    let pending = count[0]! + p.prefill;
    for (let r = 0; r < p.rows; r++) {
      const row = r * p.capacity;
      pending = count[0]! + p.prefill;
      for (let f = 0; f < p.frames; f++) {
        const from = (r * p.frames + f) * p.frameStep;
        const to = (r * p.frames + f) * p.frameSize;
        for (let i = 0; i < p.frameStep; i++) buffer[row + pending + i] = x[from + i]!;
        pending += p.frameStep;
        if (pending >= p.frameSize) {
          for (let i = 0; i < p.frameSize; i++) y[to + i] = buffer[row + i]!;
          pending -= p.frameStep;
          for (let i = 0; i < pending; i++) buffer[row + i] = buffer[row + p.frameStep + i]!;
        } else {
          // TFLite Micro leaves a frame it cannot fill unwritten (whatever its arena held): ours is zeros
          for (let i = 0; i < p.frameSize; i++) y[to + i] = 0;
          allFull = 0;
        }
      }
    }
    count[0] = pending - p.prefill;
    valid[0] = allFull;
  },
  emitC(p, ctx) {
    return ctx.render('signal_framer.c.hbs', {
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

export default signalFramer;
