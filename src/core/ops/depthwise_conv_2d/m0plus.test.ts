// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { edgeTables, m0plusApplies, m0plusOverlap, tapPairWeights, thresholdTables } from './m0plus.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import type { Padding } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { outputSize } from '../common/families/padding.ts';
import { selectVariant } from '../variant.ts';
import { depthwiseCase, depthwiseSweep } from '../../../../test/helpers/depthwise_variant_sweep.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../targets/targets.ts';

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };

describe('DEPTHWISE_CONV_2D, Armv6-M variant (RP2040)', () => {
  it('is chosen for every depth multiplier and channel count', () => {
    const base = {
      batches: 1,
      inH: 5,
      inW: 5,
      inC: 8,
      outH: 5,
      outW: 5,
      outC: 8,
      kH: 3,
      kW: 3,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      depthMultiplier: 1,
      multiplier: [1 << 30],
      shift: [-3],
    } as unknown as Parameters<typeof m0plusApplies>[0];
    expect(m0plusApplies(base)).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 1, depthMultiplier: 8 })).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 1, outC: 12, depthMultiplier: 12 })).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 2, depthMultiplier: 4 })).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 4, depthMultiplier: 2 })).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 6, outC: 6 })).to.equal(true);
    // one input channel off multiples of 4: CONV_2D's packed im2col loop
    expect(m0plusApplies({ ...base, inC: 1, outC: 6, depthMultiplier: 6 })).to.equal(true);
    expect(m0plusApplies({ ...base, inC: 1, outC: 1, depthMultiplier: 1 })).to.equal(true);
    // what the 16x16 requantization cannot take: a negative multiplier
    expect(m0plusApplies({ ...base, inC: 6, outC: 12, depthMultiplier: 2, multiplier: [-1] })).to.equal(false);
  });

  it('plans the output over the input for one input channel and multiplier 1, by the rows its window still needs', () => {
    const base = {
      batches: 1,
      inH: 49,
      inW: 40,
      inC: 1,
      outH: 25,
      outW: 20,
      outC: 8,
      kH: 10,
      kW: 8,
      strideH: 2,
      strideW: 2,
      dilationH: 1,
      dilationW: 1,
      padTop: 4,
      padLeft: 3,
      depthMultiplier: 8,
      multiplier: [1 << 30],
      shift: [-3],
    } as unknown as Parameters<typeof m0plusApplies>[0];
    // output row oy (160 bytes) ends before input row 2 oy - 4 (40 bytes) starts: 24 * 2 - 4 = 44 rows in at oy 24
    expect(m0plusOverlap(base)).to.deep.equal({ input: 0, gap: 25 * 160 - 44 * 40 });
    expect(m0plusOverlap({ ...base, batches: 2 })).to.equal(undefined);
    // multiplier 1 (the tf_m0dw_mult1 loop) walks rows the same way; multiplier 2 (tf_m0dw_multm's passes) declares none
    expect(m0plusOverlap({ ...base, inC: 8, outC: 8, depthMultiplier: 1 })).to.deep.equal({ input: 0, gap: 3 * 160 });
    // (8 channels: input rows of 320 bytes; output row 2 ends 480 bytes in, while input row 0 is still needed)
    expect(m0plusOverlap({ ...base, inC: 8, outC: 16, depthMultiplier: 2 })).to.equal(undefined);
  });

  it('matches the reference kernel byte for byte (random shapes, paddings, strides, dilations, zero points)', function () {
    const rand = rng(2040);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const mult = [1, 4, 8, 12][randomInt(rand, 0, 3)]!;
      const inC = mult === 1 ? 4 * randomInt(rand, 1, 3) : randomInt(rand, 1, 2);
      const k = [randomInt(rand, 1, 5), randomInt(rand, 1, 5)];
      const stride: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const dilation: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [1, randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
      const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
      const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
      if (outH < 1 || outW < 1) continue;
      cases.push(depthwiseCase(rand, { mult, k, stride, dilation, padding, input, outH, outW }, ARMV6M));
    }
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify(c.op.attrs)}`).to.equal(undefined);
    });
  });

  it('runs every depth multiplier and channel count (no portable fallback) and matches the reference byte for byte', function () {
    const cases = depthwiseSweep(2041, 60, ARMV6M);
    for (const c of cases) {
      const p = depthwise.prepare(c.graph, c.op);
      expect(selectVariant(depthwise, p, c.isa).family, JSON.stringify(c.op.attrs)).to.equal('armv6m');
    }
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });

  it('one input channel: the tap-pair table holds each channel pair as w_a + 65536 w_b per tap, refusing odd k_w, fewer than 8 channels and -128 on both taps of a pair', () => {
    const shape = (kH: number, kW: number, outC: number) => ({ kH, kW, outC }) as DepthwiseConv2DParams;
    const rand = rng(7);
    const filter = Int8Array.from({ length: 2 * 4 * 16 }, () => randomInt(rand, -128, 127));
    // a -128 on one tap of a pair only: kept
    for (let c = 0; c < 16; c++) if (filter[c] === -128 && filter[16 + c] === -128) filter[16 + c] = 0;
    filter[3] = -128;
    const table = tapPairWeights(filter, shape(2, 4, 16))!;
    expect(table).to.have.length(2 * 4 * 16 * 2);
    const view = new DataView(table.buffer);
    let at = 0;
    for (let g = 0; g < 2; g++) {
      for (let t = 0; t < 8; t += 2) {
        for (let j = 0; j < 8; j += 2) {
          for (const tap of [t, t + 1]) {
            const word = view.getInt32(at, true);
            const a = (((word & 0xffff) << 16) >> 16) as number;
            expect([a, (word - a) / 65536], `group ${g} tap ${tap} pair ${j}`).to.deep.equal([filter[tap * 16 + 8 * g + j], filter[tap * 16 + 8 * g + j + 1]]);
            at += 4;
          }
        }
      }
    }
    expect(tapPairWeights(filter.subarray(0, 3 * 16), shape(1, 3, 16)), 'odd k_w').to.equal(undefined);
    expect(tapPairWeights(filter.subarray(0, 8 * 4), shape(2, 4, 4)), 'a group of 4').to.equal(undefined);
    const both = Int8Array.from(filter);
    both[5] = -128;
    both[16 + 5] = -128;
    expect(tapPairWeights(both, shape(2, 4, 16)), '-128 on both taps of a pair').to.equal(undefined);
    // a pair across a row boundary is no pair: taps 3 and 4 of 2x4 lie in different rows
    const across = Int8Array.from(filter);
    for (let c = 0; c < 16; c++) [across[3 * 16 + c], across[4 * 16 + c], across[2 * 16 + c], across[5 * 16 + c]] = [-128, -128, 0, 0];
    expect(tapPairWeights(across, shape(2, 4, 16)), '-128 on taps 3 and 4').to.not.equal(undefined);
  });

  it('one input channel: the edge columns take tap-pair tables over their columns in the image, zero-weight padded to whole pairs, with their row sums', () => {
    // micro_speech's layer: 49x40, 10x8 stride 2 SAME (pad_left 3): columns 0, 1, 18, 19 outside [2, 18)
    const p = {
      inH: 49,
      inW: 40,
      inC: 1,
      outH: 25,
      outW: 20,
      outC: 8,
      kH: 10,
      kW: 8,
      strideH: 2,
      strideW: 2,
      dilationH: 1,
      dilationW: 1,
      padTop: 4,
      padLeft: 3,
      inputOffset: 5,
    } as DepthwiseConv2DParams;
    const rand = rng(7302);
    const filter = randomInt8(rand, 10 * 8 * 8, -127, 127);
    const recs = Int32Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 1000 + i : i));
    const edges = edgeTables(filter, recs, p, { oxLo: 2, oxHi: 18 })!;
    // { ox, first input column, taps a row, offset }: every read inside the image
    expect(Array.from(edges.info)).to.deep.equal([4, 0, 0, 6, 0, 1, 0, 8, 960, 18, 32, 8, 2240, 19, 34, 6, 3520]);
    expect(edges.weights.length).to.equal(4480);
    const word = (at: number) => new DataView(edges.weights.buffer).getInt32(at, true);
    // column 0 (ix0 -3): kernel columns 3..7 and a zero-weight eighth; its first pair is kernel columns 3, 4 of channels 0, 1
    expect(word(0)).to.equal(filter[3 * 8]! + 65536 * filter[3 * 8 + 1]!);
    expect(word(4)).to.equal(filter[4 * 8]! + 65536 * filter[4 * 8 + 1]!);
    expect(word(2 * 32 + 4)).to.equal(0);
    // the starts drop the padded columns' share of the fold (off * their weights)
    let cut = 0;
    for (let ky = 0; ky < 10; ky++) for (let kx = 0; kx < 3; kx++) cut += filter[(ky * 8 + kx) * 8]!;
    expect(edges.records[0]).to.equal(recs[0]! - 5 * cut);
    expect(Array.from(edges.records.subarray(1, 3))).to.deep.equal([1, 2]);
    // rows cut by the padding: per kernel row boundary and channel, the sum of the column's weights in the image above it
    expect(edges.rowSums.length).to.equal(4 * 11 * 8);
    let above = 0;
    for (let ky = 0; ky < 4; ky++) for (let kx = 3; kx < 8; kx++) above += filter[(ky * 8 + kx) * 8 + 2]!;
    expect(edges.rowSums[4 * 8 + 2]).to.equal(above);
    expect(Array.from(edges.rowSums.subarray(0, 8))).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
    // with the inside rows [2, 22): a block of records for each of the 5 cut rows; row 0 skips kernel rows 0..3
    const cut5 = edgeTables(filter, recs, p, { oxLo: 2, oxHi: 18, oyLo: 2, oyHi: 22 })!;
    expect(cut5.records.length).to.equal(6 * 4 * 8 * 3);
    expect(cut5.records[4 * 8 * 3 + 3 * 2]).to.equal(cut5.records[3 * 2]! - 5 * cut5.rowSums[4 * 8 + 2]!);
    expect(cut5.records[4 * 8 * 3 + 3 * 2 + 1]).to.equal(cut5.records[3 * 2 + 1]);
    // -128 on both taps of kernel columns 1, 2 (a pair of columns 1, 18 and 19, not of the natural table): those keep the gathered pixel
    const bad = Int8Array.from(filter);
    bad[1 * 8] = -128;
    bad[2 * 8] = -128;
    expect(Array.from(edgeTables(bad, recs, p, { oxLo: 2, oxHi: 18 })!.info.subarray(0, 2))).to.deep.equal([1, 0]);
  });

  it('one input channel: the threshold form gives TFLite Micro requantization and clamp at every accumulator in the bound (random layers)', () => {
    const rand = rng(7303);
    let tables = 0;
    for (let trial = 0; trial < 40; trial++) {
      const taps = 1 + randomInt(rand, 0, 79);
      const byChannel = randomInt8(rand, 8 * taps, -127, 127);
      const bias = Int32Array.from({ length: 8 }, () => randomInt(rand, -20000, 20000));
      const relu = trial % 3 === 0;
      const zp = randomInt(rand, -128, 127);
      // right shifts that map the accumulators' bound to some 2^4..2^12 output steps
      const shift = Array.from({ length: 8 }, (_, c) => {
        let sumAbs = 0;
        for (let k = 0; k < taps; k++) sumAbs += Math.abs(byChannel[c * taps + k]!);
        return -Math.max(0, Math.floor(Math.log2(Math.abs(bias[c]!) + 255 * sumAbs)) - randomInt(rand, 4, 12));
      });
      const p = {
        outC: 8,
        multiplier: Array.from({ length: 8 }, () => 1073741824 + randomInt(rand, 0, 1073741823)),
        shift,
        outputZeroPoint: zp,
        actMin: relu ? zp : trial % 3 === 1 ? Math.max(-128, zp) : -128,
        actMax: trial % 5 === 0 ? Math.min(127, zp + 6 * 16) : 127,
      } as unknown as DepthwiseConv2DParams;
      const t = thresholdTables(byChannel, taps, bias, p);
      if (!t) continue;
      tables++;
      const n = p.actMax - p.actMin + 1;
      for (let c = 0; c < 8; c++) {
        let sumAbs = 0;
        for (let k = 0; k < taps; k++) sumAbs += Math.abs(byChannel[c * taps + k]!);
        const bound = Math.abs(bias[c]!) + 255 * sumAbs;
        const rec = t.subarray(c * (n + 2), (c + 1) * (n + 2));
        expect(rec[0]! * bound).to.be.below(2 ** 31);
        for (let i = 0; i < 3000; i++) {
          const acc = i < 2 ? (i ? bound : -bound) : randomInt(rand, -bound, bound);
          const want = clamp(mbqm(acc, p.multiplier[c]!, p.shift[c]!) + zp, p.actMin, p.actMax);
          let q0 = Math.floor((acc * rec[0]!) / 2 ** rec[1]!) + rec[2]!;
          q0 = q0 < 0 ? 0 : q0 > n - 2 ? n - 1 : acc >= rec[3 + q0]! ? q0 + 1 : q0;
          expect(q0 + p.actMin, `channel ${c} acc ${acc}`).to.equal(want);
        }
      }
    }
    expect(tables).to.be.above(30);
  });

  it('one input channel: --prefer size keeps the rows on the one weight table (no tap-pair copy, tf_m0dw_row8)', () => {
    const rp2040 = loadTarget('rp2040').isa;
    const rand = rng(7301);
    let checked = 0;
    for (let i = 0; i < 12; i++) {
      // micro_speech's first layer: 10x8 windows over one input channel, 8 output channels
      const { graph } = depthwiseCase(
        rand,
        { mult: 8, k: [10, 8], stride: [2, 2], dilation: [1, 1], padding: 'SAME', input: [1, 49, 40, 1], outH: 25, outW: 20 },
        rp2040,
      );
      const text = (prefer?: 'size') =>
        compileGraph(graph, `${graph.name}.tflite`, { isa: rp2040, ...(prefer ? { prefer } : {}) }).generated.files.find((f) => f.role === 'source')!.text;
      const fast = text();
      // the tap pairs need right shifts on every channel: layers of a tiny output scale keep the one table anyway
      if (!fast.includes('w_m0_pairs')) continue;
      expect(fast).to.include('two products per multiply inside the image');
      const small = text('size');
      expect(small).to.not.include('w_m0_pairs');
      expect(small).to.not.include('two products per multiply');
      expect(small).to.include('one input load per tap for 8 channels');
      checked++;
    }
    expect(checked).to.be.greaterThan(3);
  });

  it('one input channel: channel pairs hold every int8 weight that fits their halfword (-128 included), other filters take another loop', function () {
    const rand = rng(2042);
    const cases: CCase[] = [];
    const fits: boolean[] = [];
    while (cases.length < 24) {
      const mult = [4, 8, 12, 16][randomInt(rand, 0, 3)]!;
      const k = [randomInt(rand, 1, 10), randomInt(rand, 1, 8)];
      const stride: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const padding: Padding = rand() < 0.7 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [1, randomInt(rand, 1, 14), randomInt(rand, 1, 12), 1];
      const outH = outputSize(padding, input[1], k[0]!, stride[0], 1);
      const outW = outputSize(padding, input[2], k[1]!, stride[1], 1);
      if (outH < 1 || outW < 1) continue;
      const c = depthwiseCase(rand, { mult, k, stride, dilation: [1, 1], padding, input, outH, outW }, ARMV6M);
      // the full int8 range: -128 on even channels anywhere, on odd ones over a non-negative partner,
      // and in every third layer one pair that does not fit (-128 over a negative partner)
      const filter = c.graph.tensors[c.op.inputs[1]!]!.data!;
      const w = new Int8Array(filter.buffer, filter.byteOffset, filter.length);
      for (let i = 0; i < w.length; i++) {
        if (rand() < 0.15) w[i] = i % 2 === 0 || w[i - 1]! >= 0 ? -128 : 127;
      }
      const misfit = cases.length % 3 === 2;
      if (misfit) {
        w[0] = -1;
        w[1] = -128;
      }
      cases.push(c);
      fits.push(!misfit);
    }
    cases.forEach((c, i) => {
      const p = depthwise.prepare(c.graph, c.op);
      expect(p.channelPairsFit, `case ${i}`).to.equal(fits[i]);
      expect(selectVariant(depthwise, p, c.isa).family).to.equal('armv6m');
    });
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify(c.op.attrs)}`).to.equal(undefined);
    });
  });

  it('one input channel, out_c 1..15 (the CONV_2D packed loop) and multiples of 4, and every loop with per-channel left shifts 1..30 mixed with right shifts (random layers)', function () {
    const rand = rng(2043);
    const cases: CCase[] = [];
    let refused = 0;
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    while (cases.length < 60) {
      const single = cases.length % 2 === 0;
      const inC = single ? 1 : randomInt(rand, 2, 12);
      const mult = single ? randomInt(rand, 1, 15) : randomInt(rand, 1, 4);
      const outC = inC * mult;
      const k = rand() < 0.4 ? [3, 3] : [randomInt(rand, 1, 6), randomInt(rand, 1, 6)];
      const stride: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const dilation: [number, number] = rand() < 0.8 ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [rand() < 0.15 ? 2 : 1, randomInt(rand, 1, 12), randomInt(rand, 1, 12), inC];
      const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
      const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
      if (outH < 1 || outW < 1) continue;
      const inScale = 0.01 + rand() * 0.05;
      const outScale = 0.01 + rand() * 0.1;
      // half the layers right shifts only (one input channel: the assembly rows), the others per channel
      // effective scales 2^u with u up to 8 or 29: TFLite shifts from -31 up to 30, mixed
      const maxU = [-1, -1, 8, 29][randomInt(rand, 0, 3)]!;
      const wScales = Array.from({ length: outC }, () => (outScale * 2 ** (-31 + rand() * (maxU + 31))) / inScale);
      const zp = rand() < 0.2 ? 0 : randomInt(rand, -128, 127);
      const spread = rand() < 0.5 ? randomInt(rand, 0, 3) : 255;
      const { graph, op } = singleOpGraph(
        'DEPTHWISE_CONV_2D',
        [
          { shape: input, scale: inScale, zeroPoint: zp },
          { shape: [1, k[0]!, k[1]!, outC], scale: wScales, axis: 3, data: randomInt8(rand, k[0]! * k[1]! * outC, -127, 127) },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) } : null,
        ],
        [{ shape: [input[0], outH, outW, outC], scale: outScale, zeroPoint: randomInt(rand, -128, 127) }],
        {
          padding,
          strideH: stride[0],
          strideW: stride[1],
          dilationH: dilation[0],
          dilationW: dilation[1],
          activation: activations[randomInt(rand, 0, 2)]!,
          depthMultiplier: mult,
        },
      );
      try {
        depthwise.check(graph, op);
      } catch {
        continue;
      }
      // one input channel off multiples of 4 runs CONV_2D's packed loop; two -128 weights in one of its
      // steps (channel 0, taps 0 and 1) make it refuse (convStepsFit): the portable C runs
      if (single && outC % 4 !== 0 && k[0]! * k[1]! >= 2 && rand() < 0.4) {
        const data = graph.tensors[op.inputs[1]!]!.data!;
        const w = new Int8Array(data.buffer, data.byteOffset, data.length);
        w[0] = -128;
        w[outC] = -128;
        if (outC > 1) w[1] = w[outC + 1] = 5;
        refused++;
      }
      const size = input.reduce((a, b) => a * b, 1);
      const x = Int8Array.from({ length: size }, () => Math.max(-128, Math.min(127, zp + randomInt(rand, -spread, spread))));
      cases.push({ def: depthwise, graph, op, inputs: [x], isa: ARMV6M });
    }
    const params = cases.map((c) => depthwise.prepare(c.graph, c.op));
    for (const p of params) expect(selectVariant(depthwise, p, ARMV6M).family).to.equal(p.convStepsFit === false ? 'portable' : 'armv6m');
    expect(params.filter((p) => p.inC === 1 && p.outC % 4 !== 0).length).to.be.greaterThan(15);
    expect(params.filter((p) => p.convStepsFit === false).length)
      .to.equal(refused)
      .and.be.greaterThan(3);
    const shifts = params.flatMap((p) => p.shift);
    expect(Math.max(...shifts)).to.be.greaterThan(20);
    expect(shifts.filter((v) => v > 0).length).to.be.greaterThan(60);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });
});
