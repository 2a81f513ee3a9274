// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { dspApplies } from './dsp_common.ts';
import { selectVariant } from '../variant.ts';
import { compileGraph } from '../../compile.ts';
import type { Prefer } from '../op.ts';
import { depthwiseCase, depthwiseSweep } from '../../../../test/helpers/depthwise_variant_sweep.ts';
import type { Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, rng, runCasesInC } from '../../../../test/helpers/op_harness.ts';

describe('DEPTHWISE_CONV_2D, Arm DSP variant (host C twins)', () => {
  it('runs every depth multiplier and channel count (no portable fallback) and matches the reference byte for byte', function () {
    const cases = depthwiseSweep(404, 60, { dsp: true });
    let fewChannels = 0;
    let leftShiftedLanes = 0;
    for (const c of cases) {
      const p = depthwise.prepare(c.graph, c.op);
      expect(dspApplies(p), JSON.stringify(c.op.attrs)).to.equal(true);
      expect(selectVariant(depthwise, p, c.isa).family).to.equal('arm-dsp');
      if (p.inC === 2 || p.inC === 3) fewChannels++;
      // the 4-lane kernels' pre-scaled accumulators (channels whose requantization shifts left)
      if (p.inC >= 4 && p.shift.some((s) => s > 0)) leftShiftedLanes++;
    }
    // the row kernel on 2 and 3 channels, and the lane scaling, are both among the generated layers
    expect(fewChannels).to.be.above(3);
    expect(leftShiftedLanes).to.be.above(3);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });
});

/**
 * Three input channels under 3x3 (tf_dwk_multm's nc = 3: a pixel's word holds the next pixel's first
 * byte): strides 1..3, SAME and VALID (VALID windows end in place on the image's last pixel, whose
 * word would read past the tensor: ASan's redzone after the harness's input array catches that),
 * images down to 1x1, batches, multipliers 1..5, every requantization mode drawn.
 */
describe('DEPTHWISE_CONV_2D, Arm DSP three-channel 3x3 kernel (host C twins)', () => {
  it('reads 3-channel pixels in place and matches the reference byte for byte', function () {
    const rand = rng(77);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
      const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [rand() < 0.2 ? 2 : 1, randomInt(rand, 1, 9), randomInt(rand, 1, 9), 3];
      const outH = outputSize(padding, input[1], 3, stride[0], 1);
      const outW = outputSize(padding, input[2], 3, stride[1], 1);
      if (outH < 1 || outW < 1) continue;
      const mult = rand() < 0.6 ? 1 : randomInt(rand, 2, 5);
      cases.push(depthwiseCase(rand, { mult, k: [3, 3], stride, dilation: [1, 1], padding, input, outH, outW }, { dsp: true }));
    }
    let valid = 0;
    for (const c of cases) {
      const p = depthwise.prepare(c.graph, c.op);
      expect(selectVariant(depthwise, p, c.isa).family).to.equal('arm-dsp');
      if (p.padTop === 0 && p.padLeft === 0) valid++;
    }
    expect(valid).to.be.above(5);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });
});

/**
 * 3x3 at stride 1 on rows of 20 pixels and more (tf_dwk_plane_body, int16 planes): odd and even
 * widths, SAME and VALID, images of one to five rows, batches, 4 to 24 channels, every
 * requantization mode drawn.
 */
describe('DEPTHWISE_CONV_2D, Arm DSP int16-plane kernel (host C twins)', () => {
  it('widens rows into planes and matches the reference byte for byte', function () {
    const rand = rng(91);
    const cases: CCase[] = [];
    while (cases.length < 30) {
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [rand() < 0.2 ? 2 : 1, randomInt(rand, 1, 5), randomInt(rand, 20, 33), 4 * randomInt(rand, 1, 6)];
      const outH = outputSize(padding, input[1], 3, 1, 1);
      const outW = outputSize(padding, input[2], 3, 1, 1);
      if (outH < 1 || outW < 20) continue;
      cases.push(depthwiseCase(rand, { mult: 1, k: [3, 3], stride: [1, 1], dilation: [1, 1], padding, input, outH, outW }, { dsp: true }));
    }
    for (const c of cases) expect(selectVariant(depthwise, depthwise.prepare(c.graph, c.op), c.isa).family).to.equal('arm-dsp');
    // --prefer size keeps the compact weights (9 bytes a channel, not the planes' 24)
    const source = (prefer: Prefer) =>
      compileGraph(cases[0]!.graph, 'plane.tflite', { isa: cases[0]!.isa, prefer }).generated.files.find((f) => f.role === 'source')!.text;
    expect(source('speed')).to.match(/tf_dwk_plane_/);
    expect(source('size')).to.not.match(/tf_dwk_plane_/);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });

  it("widens four channels' whole images into planes (rows of 8 to 19 pixels) and matches the reference byte for byte", function () {
    const rand = rng(97);
    const cases: CCase[] = [];
    while (cases.length < 30) {
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [rand() < 0.2 ? 2 : 1, randomInt(rand, 1, 12), randomInt(rand, 8, 21), 4 * randomInt(rand, 1, 6)];
      const outH = outputSize(padding, input[1], 3, 1, 1);
      const outW = outputSize(padding, input[2], 3, 1, 1);
      if (outH < 1 || outW < 8 || outW >= 20) continue;
      cases.push(depthwiseCase(rand, { mult: 1, k: [3, 3], stride: [1, 1], dilation: [1, 1], padding, input, outH, outW }, { dsp: true }));
    }
    for (const c of cases) expect(selectVariant(depthwise, depthwise.prepare(c.graph, c.op), c.isa).family).to.equal('arm-dsp');
    const source = compileGraph(cases[0]!.graph, 'gplane.tflite', { isa: cases[0]!.isa }).generated.files.find((f) => f.role === 'source')!.text;
    expect(source).to.match(/tf_dwk_plane_k\d+_\d+_g\d+_/);
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });

  it("widens four channels' planes in bands of rows (rows of 20 pixels and more over 16 rows and more) and matches the reference byte for byte", function () {
    const rand = rng(98);
    const cases: CCase[] = [];
    while (cases.length < 16) {
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [1, randomInt(rand, 16, 80), randomInt(rand, 20, 30), 4 * randomInt(rand, 1, 3)];
      const outH = outputSize(padding, input[1], 3, 1, 1);
      const outW = outputSize(padding, input[2], 3, 1, 1);
      if (outH < 16 || outW < 20) continue;
      cases.push(depthwiseCase(rand, { mult: 1, k: [3, 3], stride: [1, 1], dilation: [1, 1], padding, input, outH, outW }, { dsp: true }));
    }
    // some images take more than one band: more rows than 6 KiB of planes hold
    expect(cases.some((c) => c.graph.tensors[c.op.outputs[0]!]!.shape[1]! > 40)).to.equal(true);
    cases.forEach((c, i) => {
      const text = compileGraph(c.graph, `gplane_wide${i}.tflite`, { isa: c.isa }).generated.files.find((f) => f.role === 'source')!.text;
      expect(text).to.match(/tf_dwk_plane_k\d+_\d+_g\d+_/);
    });
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });
});
