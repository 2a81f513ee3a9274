// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import type { DType } from '../../ir/graph.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { FLOAT_FRAME_KINDS, floatSamples } from '../../../../test/helpers/fft_frames.ts';
import { compileGraph } from '../../compile.ts';
import signalOverlapAdd from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
const INT16 = 7;
const FLOAT32 = 0;

function overlapAddGraph(name: string, rows: number[], frames: number, frameSize: number, frameStep: number, dtype: DType = 'int16') {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [...rows, frames, frameSize], dtype });
  const [y] = b.op('CUSTOM:SignalOverlapAdd', [x], [{ shape: [...rows, frames * frameStep], dtype }], {
    customOptions: encodeCustomOptions({ T: dtype === 'int16' ? INT16 : FLOAT32, frame_step: frameStep }),
  });
  b.output(y!);
  return b.build();
}

function overlapAddCase(k: number, rows: number[], frames: number, frameSize: number, frameStep: number, invocations: number): FrameCase {
  const rand = rng(900 + k);
  const n = rows.reduce((a, d) => a * d, 1) * frames * frameSize;
  const sequence = Array.from({ length: invocations }, (_, j) => {
    const kind = (j + k) % 4;
    // full scale of one sign saturates the running sums; alternating ones cancel
    const v =
      kind === 1
        ? new Int16Array(n).fill(j % 2 ? 32767 : -32768)
        : kind === 2
          ? Int16Array.from({ length: n }, (_, i) => (i % 2 ? 32767 : -32768))
          : randomInt16(rand, n);
    return [new Uint8Array(v.buffer)];
  });
  return {
    name: `SignalOverlapAdd [${rows.join(',')}${rows.length ? ',' : ''}${frames},${frameSize}] step ${frameStep}`,
    graph: overlapAddGraph(`overlap_add${k}`, rows, frames, frameSize, frameStep),
    frames: sequence,
    isa: ISAS[k % ISAS.length],
  };
}

/** float32 frames of every kind in turn (random, large, tiny, subnormal, signed zeros, ...), state carried across them. */
function floatOverlapAddCase(k: number, rows: number[], frames: number, frameSize: number, frameStep: number, invocations: number): FrameCase {
  const rand = rng(1900 + k);
  const n = rows.reduce((a, d) => a * d, 1) * frames * frameSize;
  const sequence = Array.from({ length: invocations }, (_, j) => [
    new Uint8Array(floatSamples(FLOAT_FRAME_KINDS[(j + k) % FLOAT_FRAME_KINDS.length]!, n, rand).buffer),
  ]);
  return {
    name: `SignalOverlapAdd float32 [${rows.join(',')}${rows.length ? ',' : ''}${frames},${frameSize}] step ${frameStep}`,
    graph: overlapAddGraph(`overlap_add_f${k}`, rows, frames, frameSize, frameStep, 'float32'),
    frames: sequence,
  };
}

describe('SignalOverlapAdd', () => {
  it('adds overlapping frames as TFLite Micro (hand-checked: frames of 4, step 2, saturating)', () => {
    const frames = [
      [1, 2, 3, 4],
      [10, 20, 30, 32767],
      [100, 200, 300, 400],
    ].map((v) => [new Uint8Array(Int16Array.from(v).buffer)]);
    const out = referenceOverFrames({ name: 'hand', graph: overlapAddGraph('hand', [], 1, 4, 2), frames });
    expect(out.map(([y]) => [...new Int16Array(y!.buffer.slice(y!.byteOffset, y!.byteOffset + y!.byteLength))])).to.deep.equal([
      [1, 2],
      [13, 24],
      [130, 32767],
    ]);
  });

  it('refuses a float32 layer whose T says int16 and a step past the frame, in one line naming the op', () => {
    const b = new GraphBuilder('t');
    const x = b.input({ shape: [2, 8], dtype: 'float32' });
    const [y] = b.op('CUSTOM:SignalOverlapAdd', [x], [{ shape: [8], dtype: 'float32' }], { customOptions: encodeCustomOptions({ T: INT16, frame_step: 4 }) });
    b.output(y!);
    const float = b.build();
    expect(() => signalOverlapAdd.check(float, float.ops[0]!)).to.throw(/SignalOverlapAdd.*custom option 'T' is 7; the float32 kernel takes 0 \(FLOAT32\)/);
    expect(() => compileGraph(overlapAddGraph('s', [], 2, 4, 5))).to.throw(/SignalOverlapAdd.*'frame_step' is 5; expected an integer in 1\.\.4/);
  });

  it('equals TFLite Micro and its C equals the reference, frame after frame, on 14 cases (every kernel family; QADD16 pairs on Arm DSP)', () => {
    expectFramesAgree([
      overlapAddCase(0, [], 1, 4, 2, 4),
      overlapAddCase(1, [], 3, 8, 4, 4),
      overlapAddCase(2, [], 2, 5, 5, 3),
      overlapAddCase(3, [3], 2, 6, 1, 4),
      overlapAddCase(4, [], 1, 512, 256, 4),
      overlapAddCase(5, [], 2, 480, 160, 3),
      overlapAddCase(6, [2, 2], 1, 7, 2, 5),
      overlapAddCase(7, [], 4, 3, 2, 4),
      overlapAddCase(8, [], 1, 1, 1, 3),
      overlapAddCase(9, [5], 3, 16, 6, 4),
      overlapAddCase(13, [], 2, 17, 4, 4),
      overlapAddCase(17, [2], 3, 8, 3, 3),
      overlapAddCase(10, [], 2, 64, 16, 6),
      overlapAddCase(11, [2], 1, 33, 11, 5),
    ]);
  });

  it('float32: equals TFLite Micro and its C equals the reference, frame after frame, on 12 cases (buffer + input, one rounding)', () => {
    expectFramesAgree([
      floatOverlapAddCase(0, [], 1, 4, 2, 8),
      floatOverlapAddCase(1, [], 3, 8, 4, 8),
      floatOverlapAddCase(2, [], 2, 5, 5, 4),
      floatOverlapAddCase(3, [3], 2, 6, 1, 8),
      floatOverlapAddCase(4, [], 1, 512, 256, 8),
      floatOverlapAddCase(5, [], 2, 480, 160, 5),
      floatOverlapAddCase(6, [2, 2], 1, 7, 2, 8),
      floatOverlapAddCase(7, [], 4, 3, 2, 8),
      floatOverlapAddCase(8, [], 1, 1, 1, 4),
      floatOverlapAddCase(9, [5], 3, 16, 6, 8),
      floatOverlapAddCase(10, [], 2, 64, 16, 9),
      floatOverlapAddCase(11, [2], 1, 33, 11, 8),
    ]);
  });
});
