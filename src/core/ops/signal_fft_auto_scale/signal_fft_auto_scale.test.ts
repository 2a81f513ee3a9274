// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';
import { autoScaleBits, maxAbs16 } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function frame(kind: number, size: number, rand: () => number): Int16Array {
  const bound = [32767, 1, 0, 1000, 16384, 16383, 3, 200][kind % 8]!;
  const x = randomInt16(rand, size, -bound, bound);
  if (kind === 8) x.fill(-32768);
  if (kind === 9) x[size >> 1] = -32768; // the running maximum wraps, later samples may replace it
  if (kind === 10) x.fill(-16384);
  return x;
}

function autoScaleCase(k: number, size: number, seed: number, isa = ISAS[k % ISAS.length]): FrameCase {
  const rand = rng(seed);
  const b = new GraphBuilder(`autoscale${k}`);
  const x = b.input({ shape: [size], dtype: 'int16' });
  const [y, s] = b.op(
    'CUSTOM:SignalFftAutoScale',
    [x],
    [
      { shape: [size], dtype: 'int16' },
      { shape: [], dtype: 'int32' },
    ],
  );
  b.output(y!, s!);
  const sequence = Array.from({ length: 11 }, (_, kind) => [new Uint8Array(frame(kind, size, rand).buffer)]);
  return { name: `SignalFftAutoScale ${size}`, graph: b.build(), frames: sequence, isa };
}

describe('SignalFftAutoScale', () => {
  it('shifts by 15 minus the bits of the largest magnitude (hand-checked)', () => {
    expect(autoScaleBits(maxAbs16([0, 0], 2))).to.equal(0);
    expect(autoScaleBits(maxAbs16([1, -1], 2))).to.equal(14);
    expect(autoScaleBits(maxAbs16([100, -1000], 2))).to.equal(5);
    expect(autoScaleBits(maxAbs16([16384], 1))).to.equal(0);
    expect(autoScaleBits(maxAbs16([-32768], 1))).to.equal(0);
    // -32768 leaves a negative running maximum, which the next sample above it replaces
    expect(maxAbs16([-32768, 5], 2)).to.equal(5);
  });

  it('refuses a scale that is not a scalar, in one line naming the op', () => {
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [8], dtype: 'int16' });
    const [y, s] = b.op(
      'CUSTOM:SignalFftAutoScale',
      [x],
      [
        { shape: [8], dtype: 'int16' },
        { shape: [1], dtype: 'int32' },
      ],
    );
    b.output(y!, s!);
    expect(() => compileGraph(b.build())).to.throw(/SignalFftAutoScale.*must be a scalar/);
  });

  it('equals TFLite Micro and its C equals the reference on 8 cases (every kernel family)', () => {
    expectFramesAgree([480, 7, 1, 512, 64, 33, 256, 100].map((n, k) => autoScaleCase(k, n, 700 + k)));
  });

  it('equals TFLite Micro on Armv6-M, two samples a step: odd and even sizes', () => {
    expectFramesAgree([480, 7, 2, 3, 33].map((n, k) => autoScaleCase(k, n, 720 + k, ISAS[2])));
  });
});
