// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { expectValidFramesAgree } from '../../../../test/helpers/valid_frames.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function stackerGraph(name: string, channels: number, left: number, right: number, step: number) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [channels], dtype: 'int16' });
  const [y, valid] = b.op(
    'CUSTOM:SignalStacker',
    [x],
    [
      { shape: [channels * (left + 1 + right)], dtype: 'int16' },
      { shape: [], dtype: 'bool' },
    ],
    { customOptions: encodeCustomOptions({ num_channels: channels, stacker_left_context: left, stacker_right_context: right, stacker_step: step }) },
  );
  b.output(y!);
  b.output(valid!);
  return b.build();
}

function values(out: Uint8Array[][]): number[][] {
  return out.map(([y, valid]) => [...new Int16Array(y!.buffer.slice(y!.byteOffset, y!.byteOffset + y!.byteLength))].concat(valid![0]!));
}

function stackerCase(k: number, channels: number, left: number, right: number, step: number, frames: number): FrameCase {
  const rand = rng(500 + k);
  const sequence = Array.from({ length: frames }, (_, j) => {
    const kind = (j + k) % 5;
    const v =
      kind === 1
        ? new Int16Array(channels).fill(j % 2 ? 32767 : -32768)
        : kind === 2
          ? new Int16Array(channels)
          : kind === 3
            ? Int16Array.from({ length: channels }, (_, i) => (i % 2 ? 32767 : -32768))
            : randomInt16(rand, channels);
    return [new Uint8Array(v.buffer)];
  });
  return {
    name: `SignalStacker ${channels} channel(s), context ${left}+${right}, step ${step}`,
    graph: stackerGraph(`stacker${k}`, channels, left, right, step),
    frames: sequence,
    isa: ISAS[k % ISAS.length],
  };
}

describe('SignalStacker', () => {
  it('stacks frames as TFLite Micro (hand-checked: 2 channels, context 1+1, step 1)', () => {
    const frames = [1, 2, 3, 4].map((v) => [new Uint8Array(Int16Array.of(v, -v).buffer)]);
    expect(values(referenceOverFrames({ name: 'hand', graph: stackerGraph('hand', 2, 1, 1, 1), frames }))).to.deep.equal([
      [0, 0, 0, 0, 0, 0, 0],
      [1, -1, 1, -1, 2, -2, 1],
      [1, -1, 2, -2, 3, -3, 1],
      [2, -2, 3, -3, 4, -4, 1],
    ]);
  });

  it('puts a stack out every stacker_step frames (hand-checked: 1 channel, context 2+0, step 2)', () => {
    const frames = [1, 2, 3, 4, 5].map((v) => [new Uint8Array(Int16Array.of(v).buffer)]);
    expect(values(referenceOverFrames({ name: 'hand', graph: stackerGraph('hand', 1, 2, 0, 2), frames }))).to.deep.equal([
      [1, 1, 1, 1],
      [0, 0, 0, 0],
      [1, 2, 3, 1],
      [0, 0, 0, 0],
      [3, 4, 5, 1],
    ]);
  });

  it('refuses a step past the stacked frames and an input of another width, in one line naming the op', () => {
    expect(() => compileGraph(stackerGraph('bad', 2, 1, 0, 3))).to.throw(/SignalStacker.*'stacker_step' is 3; expected an integer in 1\.\.2/);
    const b = new GraphBuilder('bad2');
    const x = b.input({ shape: [3], dtype: 'int16' });
    const [y, v] = b.op(
      'CUSTOM:SignalStacker',
      [x],
      [
        { shape: [4], dtype: 'int16' },
        { shape: [], dtype: 'bool' },
      ],
      { customOptions: encodeCustomOptions({ num_channels: 2, stacker_left_context: 1, stacker_right_context: 0, stacker_step: 1 }) },
    );
    b.output(y!);
    b.output(v!);
    expect(() => compileGraph(b.build())).to.throw(/SignalStacker.*must be \[2\] \(num_channels\)/);
  });

  it('equals TFLite Micro and its C equals the reference, frame after frame, on 12 cases (every kernel family)', () => {
    const cases = [
      stackerCase(0, 3, 0, 0, 1, 4),
      stackerCase(1, 3, 1, 1, 1, 6),
      stackerCase(2, 10, 2, 1, 2, 8),
      stackerCase(3, 40, 3, 0, 3, 9),
      stackerCase(4, 40, 0, 3, 1, 7),
      stackerCase(5, 1, 5, 5, 11, 16),
      stackerCase(6, 7, 2, 2, 5, 12),
      stackerCase(7, 16, 1, 0, 2, 6),
      stackerCase(8, 2, 0, 1, 2, 8),
      stackerCase(9, 17, 4, 2, 3, 10),
      stackerCase(10, 5, 0, 0, 1, 3),
      stackerCase(11, 32, 2, 2, 1, 7),
    ];
    expectValidFramesAgree(cases, [{ data: 0, flag: 1 }]);
  });
});
