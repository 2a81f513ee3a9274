// SPDX-License-Identifier: Apache-2.0
/**
 * SignalOverlapAdd (TFLite Micro's signal/micro/kernels/overlap_add.cc and signal/src/overlap_add.cc):
 * the inverse of framing. Each frame of frame_size int16 samples is added, saturating to int16,
 * onto a running buffer of frame_size; the buffer's first frame_step samples go out and the buffer
 * moves on by frame_step, zeros coming in at its end. Input [..., n_frames, frame_size], output
 * [..., n_frames * frame_step]; each leading index has its own buffer. Options `T` (the tensor type
 * TFLite's converter records) and `frame_step`. TFLite Micro's float32 variant is refused.
 *
 * State: per row the running buffer, zero at init and after a reset as in TFLite Micro.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import * as tfl from '../../model/tflite/generated/schema_generated.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import { elements, intOption, requireArity, requireDType, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

export interface SignalOverlapAddParams {
  rows: number;
  frames: number;
  frameSize: number;
  frameStep: number;
}

const STATE_TENSORS = 1;

function prepareOverlapAdd(graph: Graph, op: Op): SignalOverlapAddParams {
  requireArity(op, 1, 1, STATE_TENSORS);
  const input = requireInput(graph, op, 0, 'input');
  if (input.dtype === 'float32') throw new OpError(op.index, op.kind, 'float32 SignalOverlapAdd is not supported: tinyforge compiles the int16/int32 kernels');
  requireDType(op, input, 'input', 'int16');
  const output = signalOutput(graph, op, 0, 'output', 'int16');
  const options = signalOptions(op);
  if (options.T !== undefined && options.T !== tfl.TensorType.INT16)
    throw new OpError(op.index, op.kind, `custom option 'T' is ${JSON.stringify(options.T)}; the int16 kernel takes ${tfl.TensorType.INT16} (INT16)`);
  if (input.shape.length < 2) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must be [..., frames, frame_size]`);
  const frameSize = input.shape[input.shape.length - 1]!;
  const frames = input.shape[input.shape.length - 2]!;
  // TFLite Micro would move a negative count of samples
  const frameStep = intOption(op, options, 'frame_step', 1, Math.max(1, frameSize));
  const expected = [...input.shape.slice(0, -2), frames * frameStep];
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i]))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must be [${expected.join(', ')}]`);
  if (frameSize === 0 || frames === 0) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} holds no frame`);
  return { rows: elements(input) / (frames * frameSize), frames, frameSize, frameStep };
}

function view(p: SignalOverlapAddParams, ctx: LayerEmitContext) {
  return { ...p, fnName: ctx.fnName, input: ctx.input(0), sums: ctx.input(1), output: ctx.output(0), kept: p.frameSize - p.frameStep };
}

/**
 * Arm DSP (Armv7E-M, Armv8-M Mainline): QADD16 adds and saturates two samples at once, a word load of
 * each operand and a word store, where the frame and the step are whole pairs.
 */
export const overlapAddDspVariant: KernelVariant<SignalOverlapAddParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: (p) => p.frameSize % 2 === 0 && p.frameStep % 2 === 0,
  cFiles: ['signal_overlap_add/overlap_add_dsp.h'],
  emit: (p, ctx) => ctx.render('signal_overlap_add_dsp.c.hbs', view(p, ctx)),
};

const signalOverlapAdd: OpDef<SignalOverlapAddParams> = {
  kind: signalKind('SignalOverlapAdd'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareOverlapAdd(graph, op),
  prepare: prepareOverlapAdd,
  macs: (graph, op) => elements(graph.tensors[op.inputs[0]!]!),
  state(graph, op) {
    const input = graph.tensors[op.inputs[0]!];
    const frameSize = input && input.shape.length >= 2 ? input.shape[input.shape.length - 1]! : 1;
    const rows = input && input.shape.length >= 2 && frameSize > 0 ? elements(input) / (input.shape[input.shape.length - 2]! * frameSize) || 1 : 1;
    return [{ name: 'sums', dtype: 'int16', shape: [rows, Math.max(1, frameSize)] }];
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array;
    const sums = inputs[1] as Int16Array;
    const y = outputs[0] as Int16Array;
    const { frameSize: n, frameStep: s } = p;
    for (let r = 0; r < p.rows; r++) {
      const row = r * n;
      for (let f = 0; f < p.frames; f++) {
        const from = (r * p.frames + f) * n;
        const to = (r * p.frames + f) * s;
        for (let i = 0; i < n; i++) {
          const v = x[from + i]! + sums[row + i]!;
          sums[row + i] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
        }
        for (let i = 0; i < s; i++) y[to + i] = sums[row + i]!;
        for (let i = 0; i < n - s; i++) sums[row + i] = sums[row + s + i]!;
        for (let i = n - s; i < n; i++) sums[row + i] = 0;
      }
    }
  },
  emitC: (p, ctx) => ctx.render('signal_overlap_add.c.hbs', view(p, ctx)),
  variants: [overlapAddDspVariant],
};

export default signalOverlapAdd;
