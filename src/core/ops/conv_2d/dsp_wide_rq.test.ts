// SPDX-License-Identifier: Apache-2.0
/**
 * dsp_requant.h's WIDE requantization (common/isa/dsp.ts wideRequantHolds, RQ_WIDE): the FAST record
 * without the zero point, scaled by 2^8, which holds where FAST's rounding word overflows (output
 * zero point -128 at shifts of -14 and below, h up to 2^23), and FAST records of shift 1 (m < 3 *
 * 2^29, stored as 4m - 2^32), and LONG (longRequantHolds, RQ_LONG: FULLY_CONNECTED's eight-row block
 * over long rows, whatever h). Each encoding over random normalized multipliers, shifts, zero points
 * and accumulators up to the proven bound (and at it),
 * against TFLite's MultiplyByQuantizedMultiplier; then random CONV_2D layers that take it, through
 * the DSP kernels' host C twins under ASan+UBSan against the TS reference. (The inline assembly runs
 * in dsp_emulated.test.ts on the emulated boards.)
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import conv, { type Conv2DParams } from './index.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import {
  RQ_EXACT,
  RQ_FAST,
  RQ_LONG,
  RQ_WIDE,
  accumulatorBounds,
  fastRequantHolds,
  longRequantHolds,
  requantKind,
  requantRecords,
  wideRequantHolds,
} from '../common/isa/dsp.ts';
import { mbqm } from '../common/numerics/fixedpoint.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { type CCase, compileAndRun, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

const ops = join(import.meta.dirname, '..');
const headers = ['common/isa/arm_dsp.h', 'common/numerics/fixedpoint.h', 'common/isa/dsp_requant.h'].map((path) => ({
  name: path.split('/').pop()!,
  path,
  text: readFileSync(join(ops, path), 'utf8'),
}));

const cInt = (v: number) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v));

describe('DSP WIDE requantization (zero point after the shift, scaled by 2^8)', () => {
  for (const kind of [RQ_WIDE, RQ_FAST, RQ_LONG] as const) {
    const what = {
      [RQ_WIDE]: 'WIDE (shifts -1..-23)',
      [RQ_FAST]: 'FAST with shift-1 records (shifts 1..-20)',
      [RQ_LONG]: 'LONG (shifts -1..-16, accumulators to 2^30)',
    }[kind];
    it(`${what} equals MultiplyByQuantizedMultiplier + zero point + clamp over random multipliers, shifts and accumulators up to the bound`, function () {
      const rand = rng(20261123 + kind);
      const holds = (b: number, mm: { multiplier: number[]; shift: number[] }, z: number) =>
        kind === RQ_WIDE ? wideRequantHolds([b], mm) : kind === RQ_LONG ? longRequantHolds([b], mm, z) : fastRequantHolds([b], mm, z, true);
      let doubled = 0;
      const acc: number[] = [];
      const m: number[] = [];
      const p: number[] = [];
      const zp: number[] = [];
      const expected: number[] = [];
      let atBound = 0;
      while (acc.length < 16000) {
        const multiplier = 2 ** 30 + Math.floor(rand() * 2 ** 30);
        const shift = kind === RQ_WIDE ? -randomInt(rand, 1, 23) : kind === RQ_LONG ? -randomInt(rand, 1, 17) : rand() < 0.5 ? 1 : -randomInt(rand, 0, 20);
        const z = rand() < 0.4 ? -128 : randomInt(rand, -128, 127);
        if (!holds(1, { multiplier: [multiplier], shift: [shift] }, z)) continue;
        if (shift === 1) doubled++;
        // the largest bound the proof allows for this channel, then anything below it
        let lo = 1;
        let hi = 2 ** 30;
        while (lo < hi) {
          const mid = Math.floor((lo + hi + 1) / 2);
          if (holds(mid, { multiplier: [multiplier], shift: [shift] }, z)) lo = mid;
          else hi = mid - 1;
        }
        const bound = rand() < 0.3 ? lo : Math.floor(lo * rand() ** 3);
        if (!holds(bound, { multiplier: [multiplier], shift: [shift] }, z)) continue;
        const rec = requantRecords([0], { multiplier: [multiplier], shift: [shift] }, 1, z, kind);
        for (let i = 0; i < 8; i++) {
          const a = i === 0 ? bound : i === 1 ? -bound : Math.round((rand() * 2 - 1) * bound);
          if (i < 2 && bound === lo) atBound++;
          acc.push(a);
          m.push(rec[1]!);
          p.push(rec[2]!);
          zp.push(z);
          expected.push(Math.max(-128, Math.min(127, mbqm(a, multiplier, shift) + z)));
        }
      }
      expect(atBound).to.be.greaterThan(400);
      if (kind === RQ_FAST) expect(doubled).to.be.greaterThan(400);
      const arr = (name: string, v: number[]) => `static const int32_t ${name}[] = { ${v.map(cInt).join(', ')} };`;
      const program = `#include <stdio.h>
#include "dsp_requant.h"
${arr('acc', acc)}
${arr('mul', m)}
${arr('pk', p)}
${arr('zp', zp)}
int main(void) {
  for (int i = 0; i < ${acc.length}; ++i) {
    const tf_rq_t full = { .out_zp = zp[i], .act_min = -128, .act_max = 127 };
    const tf_rq_t relu = { .out_zp = zp[i], .act_min = zp[i], .act_max = 127 };
    putchar((uint8_t)tf_dsp_rq(acc[i], mul[i], pk[i], &full, ${kind}, 1));
    putchar((uint8_t)tf_dsp_rq(acc[i], mul[i], pk[i], &relu, ${kind}, 0));
  }
  return 0;
}
`;
      const out = compileAndRun(program, headers);
      expect(out.length).to.equal(2 * acc.length);
      for (let i = 0; i < acc.length; i++) {
        const got = ((out[2 * i]! << 24) >> 24) as number;
        const gotRelu = ((out[2 * i + 1]! << 24) >> 24) as number;
        expect(got, `acc ${acc[i]} m' ${m[i]} P ${p[i]} zp ${zp[i]}`).to.equal(expected[i]);
        expect(gotRelu, `relu: acc ${acc[i]} m' ${m[i]} P ${p[i]} zp ${zp[i]}`).to.equal(Math.max(zp[i]!, expected[i]!));
      }
    });
  }

  it('holds only for shifts <= -1, normalized multipliers and h < 2^23 (FAST taken first where it holds); LONG for shifts -1..-16', () => {
    const one = (multiplier: number, shift: number) => ({ multiplier: [multiplier], shift: [shift] });
    expect(wideRequantHolds([1000], one(2 ** 30, 0))).to.equal(false);
    expect(wideRequantHolds([1000], one(2 ** 30 - 1, -3))).to.equal(false);
    expect(wideRequantHolds([1000], one(2 ** 30, -1))).to.equal(true);
    expect(wideRequantHolds([2 ** 24], one(2 ** 31 - 1, -5))).to.equal(false);
    // zp -128 at shift -15: FAST's word overflows, WIDE holds
    expect(requantKind([200000], one(1.5 * 2 ** 30, -15), -128, true)).to.equal(RQ_WIDE);
    expect(requantKind([200000], one(1.5 * 2 ** 30, -15), -128, false)).to.equal(RQ_EXACT);
    expect(requantKind([200000], one(1.5 * 2 ** 30, -8), -128, true)).to.equal(RQ_FAST);
    // shift 1: FAST (as 4m - 2^32) below m = 3 * 2^29 where the kernel takes it, else exact
    expect(requantKind([2000], one(1.4 * 2 ** 30, 1), 5, true)).to.equal(RQ_FAST);
    expect(requantKind([2000], one(1.4 * 2 ** 30, 1), 5, false)).to.equal(RQ_EXACT);
    expect(requantKind([2000], one(1.6 * 2 ** 30, 1), 5, true)).to.equal(RQ_EXACT);
    // LONG: shifts -1..-16, any accumulator short of 2^31 less the rounding word
    expect(longRequantHolds([2 ** 30], one(2 ** 30, -10), 0)).to.equal(true);
    expect(longRequantHolds([2 ** 30], one(2 ** 30, 0), 0)).to.equal(false);
    expect(longRequantHolds([2 ** 30], one(2 ** 30, -17), 0)).to.equal(false);
    expect(longRequantHolds([2 ** 30], one(2 ** 30 - 1, -10), 0)).to.equal(false);
    expect(longRequantHolds([2 ** 31 - 2 ** 9], one(2 ** 30, -10), 0)).to.equal(false);
    expect(longRequantHolds([1000], one(2 ** 30, -16), -128)).to.equal(true);
  });

  it('random CONV_2D layers (1x1 and kxk, zero point -128, shifts 1 and down to -22) taking them match the reference', function () {
    const rand = rng(1123);
    const cases: CCase[] = [];
    const kinds = [0, 0, 0];
    let fastShiftOne = 0;
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    while (cases.length < 24) {
      const k = rand() < 0.5 ? 1 : randomInt(rand, 2, 5);
      const inC = rand() < 0.5 ? 4 * randomInt(rand, 1, 40) : randomInt(rand, 1, 70);
      const outC = randomInt(rand, 1, 11);
      const [h, w] = [randomInt(rand, k, k + 5), randomInt(rand, k, k + 5)];
      const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
      const stride = randomInt(rand, 1, 2);
      const [oh, ow] = [outputSize(padding, h, k, stride, 1), outputSize(padding, w, k, stride, 1)];
      const inScale = 0.02 + rand() * 0.05;
      const wScale = Array.from({ length: outC }, () => (0.002 + rand() * 0.02) * (rand() < 0.5 ? 1 : 2 ** -randomInt(rand, 1, 4)));
      // per-channel multipliers 2^-6 .. 2^-22 (shifts -6 .. -22; the sweep's 1x1 and 3x3 layers reach -17)
      // or multipliers near 1..2: channels of shift 1 (FAST as 4m - 2^32 where m < 3 * 2^29)
      const nearOne = rand() < 0.25;
      const outScale = inScale * wScale[0]! * (nearOne ? 2 ** -rand() : 2 ** (randomInt(rand, 5, 20) + rand()));
      const filter = randomInt8(rand, outC * k * k * inC, -127, 127);
      const bias = rand() < 0.8 ? Int32Array.from({ length: outC }, () => randomInt(rand, -50000, 50000)) : undefined;
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: [1, h, w, inC], scale: inScale, zeroPoint: randomInt(rand, -128, 127) },
          { shape: [outC, k, k, inC], scale: wScale, zeroPoint: wScale.map(() => 0), data: filter },
          bias ? { shape: [outC], dtype: 'int32', data: bias } : null,
        ],
        [{ shape: [1, oh, ow, outC], scale: outScale, zeroPoint: rand() < 0.7 ? -128 : randomInt(rand, -128, 127) }],
        { padding, strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: activations[randomInt(rand, 0, 2)]! },
      );
      const p = conv.prepare(graph, op) as Conv2DParams;
      const f = constInt8(graph.tensors[op.inputs[1]!]!);
      const b = p.hasBias ? constInt32(graph.tensors[op.inputs[2]!]!) : undefined;
      const kind = requantKind(accumulatorBounds(f, p.outC, k * k * inC, p.inputOffset, b), p, p.outputZeroPoint, true);
      // mostly the new encodings, a few of the others beside them
      const shiftOne = kind === RQ_FAST && p.shift.some((sh) => sh === 1);
      if (kind !== RQ_WIDE && !shiftOne && kinds[kind]! >= 4) continue;
      if (shiftOne) fastShiftOne++;
      else kinds[kind]!++;
      cases.push({ def: conv, graph, op, inputs: [randomInt8(rand, h * w * inC)], isa: { dsp: true } });
    }
    expect(kinds[RQ_WIDE]).to.be.greaterThan(10);
    expect(fastShiftOne).to.be.greaterThan(1);
    expectCMatchesReference(cases);
  });
});
