// SPDX-License-Identifier: Apache-2.0
/**
 * The narrow 1x1 DSP variant (dsp_narrow.ts, conv_2d_dsp_narrow.h) on the host, through arm_dsp.h's C twins
 * under ASan+UBSan: random layers of 1..8 input channels and 1..64 output channels (non-multiples of
 * 4), images and batches (the tail pixels whose word reads would pass the input's end), per-tensor
 * and per-channel scales (right and left shifts: the FAST path with weights scaled at compile time,
 * and the exact 64-bit one), zero points and activations, byte for byte against the TS reference.
 */
import { expect } from 'chai';
import conv from './index.ts';
import type { Conv2DParams } from './contract.ts';
import { selectVariant } from '../variant.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { accumulatorBounds } from '../common/isa/dsp.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { narrowFastScales, narrowHalves, narrowRecords } from './dsp_narrow.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';

const DSP = { dsp: true } as const;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function randomNarrow(rand: () => number): CCase {
  const inC = randomInt(rand, 1, 8);
  const outC = rand() < 0.3 ? randomInt(rand, 1, 7) : randomInt(rand, 1, 64);
  const input: [number, number, number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
  const sIn = 0.001 + rand() * 0.1;
  const perChannel = rand() < 0.7;
  const scales = Array.from({ length: perChannel ? outC : 1 }, () => 0.0005 + rand() * 0.05);
  // effective multipliers s_in s_w / s_out from ~1/500 to ~4: right and left shifts
  const sOut = sIn * scales[0]! * 2 ** (rand() * 11 - 2) * (rand() < 0.1 ? 1e-3 : 1);
  const limit = rand() < 0.3 ? 2_000_000_000 : 5000;
  const bias = rand() < 0.9 ? Int32Array.from({ length: outC }, () => randomInt(rand, -limit, limit)) : undefined;
  const limits = rand() < 0.5 ? [-128, 127] : [-20, 20];
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: input, scale: sIn, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      { shape: [outC, 1, 1, inC], scale: perChannel ? scales : scales[0]!, data: randomInt8(rand, outC * inC, limits[0], limits[1]) },
      bias ? { shape: [outC], dtype: 'int32', data: bias } : null,
    ],
    [{ shape: [input[0], input[1], input[2], outC], scale: sOut, zeroPoint: randomInt(rand, -128, 127) }],
    { padding: rand() < 0.5 ? 'SAME' : 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: ACTIVATIONS[randomInt(rand, 0, 3)]! },
  );
  return {
    def: conv,
    graph,
    op,
    inputs: [
      randomInt8(
        rand,
        input.reduce((a, v) => a * v, 1),
      ),
    ],
    isa: DSP,
  };
}

describe('CONV_2D, Arm DSP narrow 1x1 variant (1..8 input channels)', () => {
  it('takes 1x1 stride-1 layers of up to 8 input channels, and no others', () => {
    const rand = rng(77);
    for (let i = 0; i < 20; i++) {
      const c = randomNarrow(rand);
      expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), DSP).name).to.equal('arm-dsp narrow');
    }
    const p = {
      batches: 1,
      inH: 4,
      inW: 4,
      outH: 4,
      outW: 4,
      dilationH: 1,
      dilationW: 1,
      kH: 1,
      kW: 1,
      strideH: 1,
      strideW: 1,
      groups: 1,
      padTop: 0,
      padLeft: 0,
      outC: 8,
      inC: 9,
      filterInC: 9,
    };
    expect(selectVariant(conv, p as unknown as Conv2DParams, DSP).name).to.equal('arm-dsp');
    expect(selectVariant(conv, { ...p, inC: 3, filterInC: 3, kH: 3, kW: 3 } as unknown as Conv2DParams, DSP).name).to.equal('arm-dsp');
  });

  it('lays out weights as SMLAD halves: (w0, w2), (w1, w3), a lone last input in one half', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(narrowHalves)).to.deep.equal([1, 2, 2, 2, 3, 4, 4, 4]);
    const rec = narrowRecords(Int8Array.from([1, -2, 3, -4, 5]), Int32Array.from([100, 7, 9]), 1, 5, [2]);
    expect(Array.from(rec)).to.deep.equal([100, (2 & 0xffff) | (6 << 16), (-4 & 0xffff) | (-8 << 16), 10, 7, 9]);
  });

  it('matches the reference kernel byte for byte (random layers: channels, tails, batches, scales, shifts, zero points, activations)', function () {
    const rand = rng(9051);
    const cases = Array.from({ length: 60 }, () => randomNarrow(rand));
    // both requantization paths and left-shifted FAST channels are exercised
    let fast = 0;
    let leftFast = 0;
    for (const c of cases) {
      const p = c.def.prepare(c.graph, c.op) as Conv2DParams;
      const filter = constInt8(c.graph.tensors[c.op.inputs[1]!]!);
      const bias = p.hasBias ? constInt32(c.graph.tensors[c.op.inputs[2]!]!) : undefined;
      const scales = narrowFastScales(filter, p, accumulatorBounds(filter, p.outC, p.inC, p.inputOffset, bias));
      if (scales) fast++;
      if (scales?.some((s) => s > 1)) leftFast++;
    }
    expect(fast).to.be.within(10, cases.length - 3);
    expect(leftFast).to.be.greaterThan(3);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shapes = c.op.inputs.map((t) => (t >= 0 ? JSON.stringify(c.graph.tensors[t]!.shape) : '-')).join(' ');
      expect(firstDifference(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength), results[i]![0]!), `case ${i} ${shapes}`).to.equal(
        undefined,
      );
    });
  });
});
