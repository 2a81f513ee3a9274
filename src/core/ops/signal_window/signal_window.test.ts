// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';
import { windowValue } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function windowCase(k: number, frameSize: number, frames: number, shift: number, seed: number): FrameCase {
  const rand = rng(seed);
  const b = new GraphBuilder(`window${k}`);
  const x = b.input({ shape: [frames, frameSize], dtype: 'int16' });
  const w = b.constant({ shape: [frameSize], dtype: 'int16' }, randomInt16(rand, frameSize));
  const [y] = b.op('CUSTOM:SignalWindow', [x, w], [{ shape: [frames, frameSize], dtype: 'int16' }], { customOptions: encodeCustomOptions({ shift }) });
  b.output(y!);
  const sequence = [0, 1, 2].map(() => [new Uint8Array(randomInt16(rand, frames * frameSize).buffer)]);
  return { name: `SignalWindow ${frames}x${frameSize} >> ${shift}`, graph: b.build(), frames: sequence, isa: ISAS[k % ISAS.length] };
}

describe('SignalWindow', () => {
  it('multiplies, shifts and saturates as TFLite Micro (hand-checked)', () => {
    expect(windowValue(32767, 32767, 0)).to.equal(32767);
    expect(windowValue(-32768, 32767, 0)).to.equal(-32768);
    expect(windowValue(-3, 1, 1)).to.equal(-2); // arithmetic shift rounds toward -inf
    expect(windowValue(1000, 4096, 12)).to.equal(1000);
  });

  it('refuses a window that does not tile the input, in one line naming the op', () => {
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [1, 10], dtype: 'int16' });
    const w = b.constant({ shape: [3], dtype: 'int16' }, new Int16Array(3));
    const [y] = b.op('CUSTOM:SignalWindow', [x, w], [{ shape: [1, 10], dtype: 'int16' }], { customOptions: encodeCustomOptions({ shift: 1 }) });
    b.output(y!);
    expect(() => compileGraph(b.build())).to.throw(/SignalWindow.*not whole frames of the window's 3/);
  });

  it('equals TFLite Micro and its C equals the reference on 12 generated cases (every kernel family)', () => {
    const cases = [
      [480, 1, 12],
      [16, 3, 0],
      [7, 2, 31],
      [64, 1, 15],
      [1, 5, 3],
      [33, 4, 14],
    ].flatMap(([n, f, s], k) => [windowCase(2 * k, n!, f!, s!, 100 + k), windowCase(2 * k + 1, n!, f!, s!, 200 + k)]);
    expectFramesAgree(cases);
  });
});
