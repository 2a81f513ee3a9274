// SPDX-License-Identifier: Apache-2.0
/**
 * SignalOverlapAdd (TFLite Micro's signal/micro/kernels/overlap_add.cc and signal/src/overlap_add.cc):
 * the inverse of framing. Each frame of frame_size int16 samples is added, saturating to int16,
 * onto a running buffer of frame_size; the buffer's first frame_step samples go out and the buffer
 * moves on by frame_step, zeros coming in at its end. Input [..., n_frames, frame_size], output
 * [..., n_frames * frame_step]; each leading index has its own buffer. Options `T` (the tensor type
 * TFLite's converter records) and `frame_step`. float32 layers (`T` 0) add in float32, one rounded
 * `buffer[i] + input[i]` per sample, as TFLite Micro's float OverlapAdd: the same bits everywhere.
 *
 * State: per row the running buffer (int16 or float32, the input's type), zero at init and after a
 * reset as in TFLite Micro.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import * as tfl from '../../model/tflite/generated/schema_generated.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import { elements, intOption, requireArity, requireDType, signalKind, signalOptions, signalOutput } from '../common/families/signal.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';

export interface SignalOverlapAddParams {
  /** float32 samples and sums (else int16) */
  float: boolean;
  rows: number;
  frames: number;
  frameSize: number;
  frameStep: number;
}

const STATE_TENSORS = 1;

function prepareOverlapAdd(graph: Graph, op: Op): SignalOverlapAddParams {
  requireArity(op, 1, 1, STATE_TENSORS);
  const input = requireInput(graph, op, 0, 'input');
  const float = input.dtype === 'float32';
  const dtype = float ? 'float32' : 'int16';
  requireDType(op, input, 'input', dtype);
  const output = signalOutput(graph, op, 0, 'output', dtype);
  const options = signalOptions(op);
  const code = float ? tfl.TensorType.FLOAT32 : tfl.TensorType.INT16;
  if (options.T !== undefined && options.T !== code)
    throw new OpError(
      op.index,
      op.kind,
      `custom option 'T' is ${JSON.stringify(options.T)}; the ${dtype} kernel takes ${code} (${float ? 'FLOAT32' : 'INT16'})`,
    );
  if (input.shape.length < 2) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} must be [..., frames, frame_size]`);
  const frameSize = input.shape[input.shape.length - 1]!;
  const frames = input.shape[input.shape.length - 2]!;
  // TFLite Micro would move a negative count of samples
  const frameStep = intOption(op, options, 'frame_step', 1, Math.max(1, frameSize));
  const expected = [...input.shape.slice(0, -2), frames * frameStep];
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i]))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} must be [${expected.join(', ')}]`);
  if (frameSize === 0 || frames === 0) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} holds no frame`);
  return { float, rows: elements(input) / (frames * frameSize), frames, frameSize, frameStep };
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
  applies: (p) => !p.float && p.frameSize % 2 === 0 && p.frameStep % 2 === 0,
  cFiles: ['signal_overlap_add/overlap_add_dsp.h'],
  emit: (p, ctx) => ctx.render('signal_overlap_add_dsp.c.hbs', view(p, ctx)),
};

const signalOverlapAdd: OpDef<SignalOverlapAddParams> = {
  kind: signalKind('SignalOverlapAdd'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareOverlapAdd(graph, op),
  prepare: prepareOverlapAdd,
  floatKernel: true,
  macs: (graph, op) => elements(graph.tensors[op.inputs[0]!]!),
  state(graph, op) {
    const input = graph.tensors[op.inputs[0]!];
    const frameSize = input && input.shape.length >= 2 ? input.shape[input.shape.length - 1]! : 1;
    const rows = input && input.shape.length >= 2 && frameSize > 0 ? elements(input) / (input.shape[input.shape.length - 2]! * frameSize) || 1 : 1;
    return [{ name: 'sums', dtype: input?.dtype === 'float32' ? 'float32' : 'int16', shape: [rows, Math.max(1, frameSize)] }];
  },
  evaluate(p, inputs, outputs) {
    const x = inputs[0] as Int16Array | Float32Array;
    const sums = inputs[1] as Int16Array | Float32Array;
    const y = outputs[0] as Int16Array | Float32Array;
    const { frameSize: n, frameStep: s } = p;
    // float32: one rounded sum (the store rounds); int16: saturated
    const add = p.float ? (a: number, b: number) => a + b : (a: number, b: number) => Math.min(32767, Math.max(-32768, a + b));
    for (let r = 0; r < p.rows; r++) {
      const row = r * n;
      for (let f = 0; f < p.frames; f++) {
        const from = (r * p.frames + f) * n;
        const to = (r * p.frames + f) * s;
        for (let i = 0; i < n; i++) sums[row + i] = add(sums[row + i]!, x[from + i]!);
        for (let i = 0; i < s; i++) y[to + i] = sums[row + i]!;
        for (let i = 0; i < n - s; i++) sums[row + i] = sums[row + s + i]!;
        for (let i = n - s; i < n; i++) sums[row + i] = 0;
      }
    }
  },
  emitC: (p, ctx) => ctx.render(p.float ? 'signal_overlap_add_float.c.hbs' : 'signal_overlap_add.c.hbs', view(p, ctx)),
  variants: [overlapAddDspVariant],
};

export default signalOverlapAdd;
