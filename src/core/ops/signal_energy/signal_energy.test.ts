// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, referenceOverFrames, tflmOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';
import { binEnergy } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function energyGraph(name: string, bins: number, start: number, end: number, inputBins = bins) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [2 * inputBins], dtype: 'int16' });
  const [y] = b.op('CUSTOM:SignalEnergy', [x], [{ shape: [bins], dtype: 'uint32' }], {
    customOptions: encodeCustomOptions({ end_index: end, start_index: start }),
  });
  b.output(y!);
  return b.build();
}

function energyCase(k: number, bins: number, start: number, end: number, seed: number): FrameCase {
  const rand = rng(seed);
  const n = 2 * bins;
  const frames = [
    randomInt16(rand, n),
    Int16Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -32768 : 32767)),
    new Int16Array(n),
    randomInt16(rand, n, -300, 300),
  ].map((f) => [new Uint8Array(f.buffer)]);
  return { name: `SignalEnergy ${bins} bins [${start}, ${end})`, graph: energyGraph(`energy${k}`, bins, start, end), frames, isa: ISAS[k % ISAS.length] };
}

/** A window before the energy: the energy's input then dies there and the planner may run it in place. */
function windowedEnergyCase(k: number, bins: number): FrameCase {
  const rand = rng(900 + k);
  const b = new GraphBuilder(`wenergy${k}`);
  const x = b.input({ shape: [2 * bins], dtype: 'int16' });
  const w = b.constant({ shape: [2 * bins], dtype: 'int16' }, randomInt16(rand, 2 * bins));
  const [windowed] = b.op('CUSTOM:SignalWindow', [x, w], [{ shape: [2 * bins], dtype: 'int16' }], { customOptions: encodeCustomOptions({ shift: 14 }) });
  const [y] = b.op('CUSTOM:SignalEnergy', [windowed!], [{ shape: [bins], dtype: 'uint32' }], {
    customOptions: encodeCustomOptions({ end_index: bins, start_index: 0 }),
  });
  b.output(y!);
  const frames = [0, 1, 2].map(() => [new Uint8Array(randomInt16(rand, 2 * bins).buffer)]);
  return { name: `SignalWindow then SignalEnergy, ${bins} bins`, graph: b.build(), frames, isa: ISAS[k % ISAS.length] };
}

describe('SignalEnergy', () => {
  it('sums the squares as TFLite Micro (hand-checked)', () => {
    expect(binEnergy(3, -4)).to.equal(25);
    expect(binEnergy(-32768, -32768)).to.equal(2 ** 31);
    expect(binEnergy(32767, -32768)).to.equal(32767 * 32767 + 2 ** 30);
  });

  it('refuses an end_index past the input, in one line naming the op', () => {
    expect(() => compileGraph(energyGraph('bad', 8, 0, 8, 6))).to.throw(/SignalEnergy.*end_index 8 reads past the input.*6 complex bins/);
  });

  it('equals TFLite Micro and its C equals the reference on 8 generated cases (every kernel family)', () => {
    const cases = [
      [257, 5, 241],
      [257, 0, 257],
      [16, 3, 3],
      [33, 0, 1],
      [9, 8, 9],
      [64, 10, 50],
      [1, 0, 1],
      [129, 2, 128],
    ].map(([n, s, e], k) => energyCase(k, n!, s!, e!, 300 + k));
    // TFLite Micro leaves the bins outside [start, end) as the arena held them: compare the range only
    for (const c of cases) {
      const [start, end] = c.name
        .match(/\[(\d+), (\d+)\)/)!
        .slice(1)
        .map(Number) as [number, number];
      const expected = tflmOverFrames(c);
      referenceOverFrames(c).forEach((frame, j) =>
        expect(Array.from(new Uint32Array(frame[0]!.slice().buffer).slice(start, end)), `${c.name}, frame ${j}`).to.deep.equal(
          Array.from(new Uint32Array(expected[j]![0]!.slice().buffer).slice(start, end)),
        ),
      );
    }
    expectFramesAgree(cases, { tflm: false });
  });

  it('runs after a window (its input an intermediate tensor) as TFLite Micro on every kernel family', () => {
    expectFramesAgree([257, 16, 5, 64].map((n, k) => windowedEnergyCase(k, n)));
  });
});
