// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from './index.ts';
import { m0plusApplies } from './m0plus.ts';
import { packedBlob, packedConvScratchBytes as m0plusScratchBytes, packedHolds } from '../common/isa/m0plus_conv.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import {
  type CCase,
  compileAndRun,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import type { Conv2DParams } from './contract.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { cFilesFor } from '../../codegen/c_files.ts';

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };

interface Layer {
  pixels: [number, number, number];
  inC: number;
  outC: number;
  /** weights in [-limit, limit] (128: the last weight -128, which the packed loop takes) */
  limit?: number;
  /** the last channel's last two weights -128, one step of two 2^14 products: the packed loop refuses it */
  pair128?: boolean;
  /** inputs only at the int8 ends (largest products) */
  extremes?: boolean;
  bias?: number;
  perChannel?: boolean;
  outScale?: number;
  inZp?: number;
  activation?: FusedActivation;
}

function layerCase(l: Layer, rand: () => number): CCase {
  const input: [number, number, number, number] = [...l.pixels, l.inC];
  const limit = l.limit ?? 127;
  const weights = randomInt8(rand, l.outC * l.inC, -limit, Math.min(limit, 127));
  if (limit === 127) weights.fill(127, 0, Math.min(4, weights.length));
  else if (limit === 128) weights[weights.length - 1] = -128;
  if (l.pair128) weights.fill(-128, weights.length - 2);
  const bias = l.bias ?? 5000;
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: input, scale: 0.02, zeroPoint: l.inZp ?? randomInt(rand, -128, 127) },
      {
        shape: [l.outC, 1, 1, l.inC],
        scale: (l.perChannel ?? true) ? Array.from({ length: l.outC }, () => 0.001 + rand() * 0.05) : 0.01,
        data: weights,
      },
      bias > 0 ? { shape: [l.outC], dtype: 'int32', data: Int32Array.from({ length: l.outC }, () => randomInt(rand, -bias, bias)) } : null,
    ],
    [{ shape: [...l.pixels, l.outC], scale: l.outScale ?? 0.02 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
    { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: l.activation ?? 'NONE' },
  );
  const n = input.reduce((a, b) => a * b, 1);
  const x = l.extremes ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127)) : randomInt8(rand, n);
  return { def: conv, graph, op, inputs: [x], isa: ARMV6M };
}

function expectBitExact(cases: CCase[]): void {
  const results = runCasesInC(cases);
  cases.forEach((c, i) => {
    const expected = evaluateOp(conv, c.graph, c.op, c.inputs)[0] as Int8Array;
    expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify(c.graph.tensors[1]!.shape)}`).to.equal(undefined);
  });
}

function params(c: CCase): Conv2DParams {
  return conv.prepare(c.graph, c.op) as Conv2DParams;
}

function packed(c: CCase): boolean {
  const bias = c.op.inputs[2]! >= 0 ? constInt32(c.graph.tensors[c.op.inputs[2]!]!) : undefined;
  return packedHolds(params(c), constInt8(c.graph.tensors[c.op.inputs[1]!]!), bias);
}

describe('CONV_2D, Armv6-M variant (Cortex-M0/M0+)', () => {
  it('covers every ungrouped layer: 1x1 at stride 1 with even channels as a matrix product, the rest by im2col', () => {
    const geometry = { inH: 8, inW: 8, outH: 8, outW: 8, dilationH: 1, dilationW: 1 };
    const pointwise = { ...geometry, kH: 1, kW: 1, strideH: 1, strideW: 1, groups: 1, padTop: 0, padLeft: 0, outC: 8, inC: 6 } as Conv2DParams;
    expect(m0plusApplies(pointwise)).to.equal(true);
    expect(m0plusApplies({ ...pointwise, outC: 7 })).to.equal(true);
    expect(m0plusApplies({ ...pointwise, kH: 3, kW: 3 })).to.equal(true);
    expect(m0plusApplies({ ...pointwise, strideH: 2 })).to.equal(true);
    expect(m0plusApplies({ ...pointwise, groups: 2 })).to.equal(false);
    expect(m0plusApplies({ ...pointwise, kH: 3, inW: 40000 })).to.equal(false);
    expect(m0plusScratchBytes(pointwise)).to.equal(24);
    // im2col: the packed row (taps rounded up to even), a zero-point row and two gathered rows of a kernel row's bytes
    expect(m0plusScratchBytes({ ...pointwise, inC: 7 })).to.equal(4 * 8 + 3 * 8);
    expect(m0plusScratchBytes({ ...pointwise, kH: 3, kW: 3, inC: 1 })).to.equal(4 * 10 + 3 * 4);
    expect(m0plusScratchBytes({ ...pointwise, kH: 10, kW: 8, inC: 1, strideH: 2, strideW: 2 })).to.equal(4 * 80 + 3 * 8);
  });

  it('lays the packed blob out as the loop reads it, no larger than weights plus 12 bytes per channel', () => {
    const rand = rng(7);
    const c = layerCase({ pixels: [1, 2, 3], inC: 4, outC: 4 }, rand);
    const p = params(c);
    const filter = constInt8(c.graph.tensors[c.op.inputs[1]!]!);
    const blob = packedBlob(p, filter, undefined);
    expect(blob.length).to.equal(4 * 4 + 4 * 12);
    // channels 0 and 1, input channels 0..1 then 2..3, after the two start words
    expect(Array.from(blob.subarray(8, 16))).to.deep.equal([filter[0], filter[1], filter[4], filter[5], filter[2], filter[3], filter[6], filter[7]]);
  });

  it('matches the reference kernel byte for byte (random 1x1 layers, biases, zero points, per-channel scales)', function () {
    const rand = rng(133);
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    const cases: CCase[] = [];
    for (let k = 0; k < 20; k++) {
      const inC = randomInt(rand, 1, 40);
      const outC = 2 * randomInt(rand, 1, 12);
      const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 6), randomInt(rand, 1, 6), inC];
      const perChannel = rand() < 0.7;
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
          {
            shape: [outC, 1, 1, inC],
            scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
            data: randomInt8(rand, outC * inC, -127, 127),
          },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -5000, 5000)) } : null,
        ],
        [{ shape: [input[0], input[1], input[2], outC], scale: 0.002 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) }],
        { padding: rand() < 0.5 ? 'SAME' : 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: activations[randomInt(rand, 0, 2)]! },
      );
      cases.push({
        def: conv,
        graph,
        op,
        inputs: [
          randomInt8(
            rand,
            input.reduce((a, b) => a * b, 1),
          ),
        ],
        isa: ARMV6M,
      });
    }
    expectBitExact(cases);
  });

  it('packed loop: extreme products, odd pixel counts, one pixel, wide layers, tiny and huge scales, and its fallbacks', function () {
    const rand = rng(71);
    const layers: Layer[] = [
      { pixels: [1, 3, 3], inC: 2, outC: 2, extremes: true }, // one chunk, 9 pixels (odd)
      { pixels: [1, 1, 1], inC: 8, outC: 4 }, // one pixel alone
      { pixels: [2, 2, 3], inC: 16, outC: 6, extremes: true, activation: 'RELU' },
      { pixels: [1, 5, 5], inC: 64, outC: 10, extremes: true, perChannel: false }, // accumulators near the +-127 * 128 * 64 bound
      { pixels: [1, 2, 2], inC: 256, outC: 4, extremes: true, outScale: 4 }, // large shifts
      { pixels: [1, 3, 2], inC: 12, outC: 8, outScale: 0.0005, activation: 'RELU6' }, // left shifts: the accumulator pre-shifted
      { pixels: [1, 4, 3], inC: 6, outC: 2, bias: 0, inZp: -128 },
      { pixels: [1, 2, 3], inC: 10, outC: 4, bias: 2_000_000 }, // large starts
      { pixels: [1, 3, 3], inC: 8, outC: 4, limit: 128, extremes: true }, // a -128 weight beside a +-127 one: still packed
      { pixels: [1, 3, 3], inC: 8, outC: 4, extremes: true, pair128: true }, // two -128 in one step: the two-channel loop
      { pixels: [1, 3, 1], inC: 9, outC: 4 }, // odd input channels: im2col with a zero-weight tap
    ];
    const cases = layers.map((l) => layerCase(l, rand));
    expect(cases.map(packed)).to.deep.equal([true, true, true, true, true, true, true, true, true, false, true]);
    expectBitExact(cases);
  });

  it('im2col: random kernels 1-7, strides 1-3, dilations 1-2, SAME and VALID, odd channels, one input channel', function () {
    const rand = rng(2026);
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    const cases: CCase[] = [];
    // the last three: two -128 weights in one step (the packed loop refuses it: portable C); starts
    // near 2^30 over k = 576 taps (partial sums could leave +-2^30) and a left shift (tiny output
    // scale), which the packed loop's C twin takes (tf_m0_requant_wide)
    for (let n = 0; n < 39; n++) {
      const refuse = n - 36;
      const kH = refuse === 1 || refuse === 0 ? 3 : randomInt(rand, 1, 7);
      const kW = refuse === 1 || refuse === 0 || rand() < 0.7 ? kH : randomInt(rand, 1, 7);
      const strideH = randomInt(rand, 1, 3);
      const strideW = rand() < 0.7 ? strideH : randomInt(rand, 1, 3);
      const dilationH = rand() < 0.25 ? 2 : 1;
      const dilationW = rand() < 0.25 ? 2 : 1;
      const same = rand() < 0.5;
      const inC = refuse === 1 ? 64 : rand() < 0.3 ? 1 : randomInt(rand, 1, 24);
      const outC = randomInt(rand, 1, 13);
      const spanH = (kH - 1) * dilationH + 1;
      const spanW = (kW - 1) * dilationW + 1;
      const inH = randomInt(rand, same ? 1 : spanH, spanH + 9);
      const inW = randomInt(rand, same ? 1 : spanW, spanW + 9);
      const outH = same ? Math.ceil(inH / strideH) : Math.ceil((inH - spanH + 1) / strideH);
      const outW = same ? Math.ceil(inW / strideW) : Math.ceil((inW - spanW + 1) / strideW);
      const batches = rand() < 0.2 ? 2 : 1;
      const perChannel = rand() < 0.7;
      const weights = randomInt8(rand, outC * kH * kW * inC, -127, 127);
      weights.fill(rand() < 0.5 ? 127 : -127, 0, Math.min(3, weights.length));
      if (refuse === 0) weights.fill(-128, 0, 2);
      const biasRange = refuse === 1 ? 1_070_000_000 : 5000;
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: [batches, inH, inW, inC], scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
          {
            shape: [outC, kH, kW, inC],
            scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
            data: weights,
          },
          refuse === 1 || rand() < 0.7
            ? {
                shape: [outC],
                dtype: 'int32',
                data: Int32Array.from({ length: outC }, () => (rand() < 0.5 ? -1 : 1) * randomInt(rand, biasRange - 5000, biasRange)),
              }
            : null,
        ],
        [{ shape: [batches, outH, outW, outC], scale: refuse === 2 ? 0.00001 : 0.05 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
        { padding: same ? 'SAME' : 'VALID', strideH, strideW, dilationH, dilationW, activation: activations[randomInt(rand, 0, 2)]! },
      );
      const size = batches * inH * inW * inC;
      const x = rand() < 0.3 ? Int8Array.from({ length: size }, () => (rand() < 0.5 ? -128 : 127)) : randomInt8(rand, size);
      cases.push({ def: conv, graph, op, inputs: [x], isa: ARMV6M });
    }
    // nearly all of them packed (the rest portable C, also compared)
    expect(cases.slice(0, 36).filter(packed).length).to.be.greaterThan(30);
    expect(cases.slice(36).map(packed)).to.deep.equal([false, true, true]);
    expectBitExact(cases);
  });

  it('left shifts (an effective scale of 1 to 128 on some channels): the packed loops C twin (tf_m0_requant_wide), on random layers', function () {
    const rand = rng(2027);
    const cases: CCase[] = [];
    for (let n = 0; n < 30; n++) {
      const pointwise = n % 3 === 0;
      const k = pointwise ? 1 : randomInt(rand, 1, 5);
      const stride = pointwise ? 1 : randomInt(rand, 1, 2);
      const same = rand() < 0.5;
      const inC = pointwise ? 2 * randomInt(rand, 1, 8) : randomInt(rand, 1, 12);
      const outC = pointwise ? 2 * randomInt(rand, 1, 6) : randomInt(rand, 1, 9);
      const inH = randomInt(rand, k, k + 6);
      const inW = randomInt(rand, k, k + 6);
      const outH = same ? Math.ceil(inH / stride) : Math.ceil((inH - k + 1) / stride);
      const outW = same ? Math.ceil(inW / stride) : Math.ceil((inW - k + 1) / stride);
      const inScale = 0.01 + rand() * 0.05;
      const wScales = Array.from({ length: outC }, () => 0.002 + rand() * 0.02);
      // effective scales s_in s_w / s_out from 1/4 to 128: left shifts 0-7, mixed with right shifts per channel
      const outScale = (inScale * wScales[0]!) / 2 ** (-2 + rand() * 9);
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: [1, inH, inW, inC], scale: inScale, zeroPoint: randomInt(rand, -128, 127) },
          { shape: [outC, k, k, inC], scale: wScales, data: randomInt8(rand, outC * k * k * inC, -127, 127) },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -300, 300)) } : null,
        ],
        [{ shape: [1, outH, outW, outC], scale: outScale, zeroPoint: randomInt(rand, -128, 127) }],
        { padding: same ? 'SAME' : 'VALID', strideH: stride, strideW: stride, dilationH: 1, dilationW: 1, activation: 'NONE' },
      );
      try {
        conv.check(graph, op);
      } catch {
        continue;
      }
      // inputs near the zero point: the outputs spread over int8 rather than saturate
      const zp = graph.tensors[0]!.quant!.zeroPoint[0]!;
      const x = Int8Array.from({ length: inH * inW * inC }, () => Math.max(-128, Math.min(127, zp + randomInt(rand, -3, 3))));
      cases.push({ def: conv, graph, op, inputs: [x], isa: ARMV6M });
    }
    const shifted = cases.filter((c) => conv.prepare(c.graph, c.op).shift.some((sh) => sh > 0));
    expect(shifted.length).to.be.greaterThan(15);
    expect(shifted.filter(packed).length).to.be.greaterThan(shifted.length * 0.8);
    expectBitExact(cases);
  });

  it('any requantization: left shifts 1..30 mixed per channel with right shifts 0..31, wide accumulators, zero points (random layers)', function () {
    const rand = rng(2028);
    const cases: CCase[] = [];
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    while (cases.length < 48) {
      const pointwise = rand() < 0.35;
      const kH = pointwise ? 1 : randomInt(rand, 1, 5);
      const kW = pointwise || rand() < 0.6 ? kH : randomInt(rand, 1, 5);
      const stride = pointwise ? 1 : randomInt(rand, 1, 2);
      const dilation = pointwise || rand() < 0.8 ? 1 : 2;
      const same = rand() < 0.5;
      const inC = pointwise ? 2 * randomInt(rand, 1, 10) : randomInt(rand, 1, 12);
      const outC = pointwise ? 2 * randomInt(rand, 1, 6) : randomInt(rand, 1, 9);
      const spanH = (kH - 1) * dilation + 1;
      const spanW = (kW - 1) * dilation + 1;
      const inH = randomInt(rand, spanH, spanH + 5);
      const inW = randomInt(rand, spanW, spanW + 5);
      const outH = same ? Math.ceil(inH / stride) : Math.ceil((inH - spanH + 1) / stride);
      const outW = same ? Math.ceil(inW / stride) : Math.ceil((inW - spanW + 1) / stride);
      const batches = rand() < 0.2 ? 2 : 1;
      const inScale = 0.01 + rand() * 0.05;
      const outScale = 0.01 + rand() * 0.1;
      // per channel an effective scale 2^u: u in [-31, 30) gives TFLite shifts -31..30, left and right mixed
      const maxU = rand() < 0.5 ? 8 : 30;
      const wScales = Array.from({ length: outC }, () => (outScale * 2 ** (-31 + rand() * (maxU + 31))) / inScale);
      // a few channels with huge biases: accumulators past +-2^30 (the fast form refuses them)
      const bigBias = rand() < 0.3;
      const weights = randomInt8(rand, outC * kH * kW * inC, rand() < 0.2 ? -128 : -127, 127);
      // inputs near the zero point (small accumulators: left-shifted outputs spread over int8) or anywhere
      const zp = rand() < 0.2 ? 0 : randomInt(rand, -128, 127);
      const spread = rand() < 0.5 ? randomInt(rand, 0, 3) : 255;
      const { graph, op } = singleOpGraph(
        'CONV_2D',
        [
          { shape: [batches, inH, inW, inC], scale: inScale, zeroPoint: zp },
          { shape: [outC, kH, kW, inC], scale: wScales, data: weights },
          rand() < 0.8
            ? {
                shape: [outC],
                dtype: 'int32',
                data: Int32Array.from({ length: outC }, () =>
                  bigBias && rand() < 0.5 ? randomInt(rand, -2_100_000_000, 2_100_000_000) : randomInt(rand, -300, 300),
                ),
              }
            : null,
        ],
        [{ shape: [batches, outH, outW, outC], scale: outScale, zeroPoint: randomInt(rand, -128, 127) }],
        {
          padding: same ? 'SAME' : 'VALID',
          strideH: stride,
          strideW: stride,
          dilationH: dilation,
          dilationW: dilation,
          activation: activations[randomInt(rand, 0, 2)]!,
        },
      );
      try {
        conv.check(graph, op);
      } catch {
        continue;
      }
      const size = batches * inH * inW * inC;
      const x = Int8Array.from({ length: size }, () => Math.max(-128, Math.min(127, zp + randomInt(rand, -spread, spread))));
      cases.push({ def: conv, graph, op, inputs: [x], isa: ARMV6M });
    }
    const shifts = cases.flatMap((c) => params(c).shift);
    expect(Math.max(...shifts)).to.be.greaterThan(20);
    expect(shifts.filter((s) => s > 0).length).to.be.greaterThan(60);
    // every layer packed (a -128 pair in one step is a 1 in 2^16 event per step)
    expect(cases.filter(packed).length).to.be.greaterThan(cases.length - 2);
    expectBitExact(cases);
  });

  it('the requantization without a 64-bit multiply equals tf_mbqm on random and edge accumulators', function () {
    // every shift 0..-30, multipliers at the ends of [2^30, 2^31) and 0, accumulators to +-(2^30 - 1),
    // zero points at the ends; v compared before the clamp (an open range)
    const program = `
#include <stdint.h>
#include <stdio.h>
#include "fixedpoint.h"
#include "conv_2d_m0plus.h"
static uint32_t s = 12345u;
static uint32_t next(void) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }
int main(void) {
  const int32_t ms[] = { 0, 1073741824, 1073741825, 2147483647, 2147483646, 1518500250, 1288490189 };
  const int32_t zps[] = { -128, 0, 127, -5 };
  long bad = 0, n = 0;
  for (int e = 0; e <= 30; ++e) {
    for (int z = 0; z < 4; ++z) {
      for (int t = 0; t < 20000; ++t) {
        const int32_t m = t < 7 ? ms[t] : (int32_t)(next() >> 1);
        int32_t acc;
        const uint32_t r = next();
        switch (t % 4) {
          case 0: acc = (int32_t)(r % 2147483647u) - 1073741823; acc /= (int32_t)(1 + next() % 65536u); break;
          case 1: acc = (int32_t)(r & 0x3fffffffu) - (int32_t)((next() & 1u) << 30) + (int32_t)(next() & 1u); break;
          case 2: acc = (int32_t)(r % 2000001u) - 1000000; break;
          default: acc = (int32_t)(r % 129u) - 64; break;
        }
        if (acc >= 1073741824 || acc <= -1073741824) continue;
        const int32_t rnd = (int32_t)((1u << e) + (uint32_t)(zps[z] * 2) * (1u << e));
        if (rnd >= (1 << 22) || rnd <= -(1 << 22)) continue;
        const int64_t h = (int64_t)acc * m / 2147483648LL;
        if (2 * (h < 0 ? -h : h) + 4 + (rnd < 0 ? -rnd : rnd) + (1 << 19) >= 2147483647LL) continue;
        const int32_t p = (rnd - 65536) * 256 + e + 1;
        const int32_t want = tf_mbqm(acc, m, -e) + zps[z];
        const int32_t got = tf_m0_requant_raw(acc, m, p);
        ++n;
        if (got != want) ++bad;
      }
    }
  }
  printf("%ld %ld", n, bad);
  return 0;
}
`;
    const [n, bad] = new TextDecoder()
      .decode(compileAndRun(program, cFilesFor(['conv_2d/conv_2d_m0plus.h'], 'tf_mbqm').files))
      .split(' ')
      .map(Number);
    expect(n).to.be.greaterThan(1_000_000);
    expect(bad).to.equal(0);
  });
});
