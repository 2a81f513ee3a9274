// SPDX-License-Identifier: Apache-2.0
/**
 * The Xtensa variants (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) on the host: the C an ESP32 or ESP32-S3 build
 * compiles, with the MAC16 dot product's C fallback (xtensa.h: the assembly is behind __XTENSA__), on
 * random shapes and quantizations, byte for byte against the TypeScript reference. The same variants
 * on the emulated cores: xtensa_emulated.test.ts.
 */
import { expect } from 'chai';
import conv from '../../conv_2d/index.ts';
import depthwise from '../../depthwise_conv_2d/index.ts';
import fc from '../../fully_connected/index.ts';
import { selectVariant } from '../../variant.ts';
import { type CCase, evaluateOp, firstDifference, rng, runCasesInC } from '../../../../../test/helpers/op_harness.ts';
import { randomConv, randomDepthwise, randomFc, randomPointwise } from '../../../../../test/helpers/rv32_cases.ts';
import { xtensaDepth, xtensaWeights } from './xtensa_matmul.ts';
import { ESP32, randomDepthwise3x3 } from '../../../../../test/helpers/xtensa_cases.ts';

/** Every case (retargeted to the ESP32) runs the Xtensa variant and equals the reference. */
function expectXtensaBitExact(cases: CCase[]): void {
  const onEsp32 = cases.map((c) => ({ ...c, isa: ESP32 }));
  for (const c of onEsp32) expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), ESP32).family).to.equal('xtensa');
  const results = runCasesInC(onEsp32);
  onEsp32.forEach((c, i) => {
    const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
    const shapes = c.op.inputs.map((t) => (t >= 0 ? JSON.stringify(c.graph.tensors[t]!.shape) : '-')).join(' ');
    expect(firstDifference(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength), results[i]![0]!), `case ${i} ${shapes}`).to.equal(
      undefined,
    );
  });
}

describe('Xtensa variants (ESP32, ESP32-S3) on the host', () => {
  it('re-lays weights as int16 rows padded with zeros to a multiple of 4', () => {
    expect([1, 4, 5, 8, 9].map(xtensaDepth)).to.deep.equal([4, 4, 8, 8, 12]);
    expect(Array.from(xtensaWeights(Int8Array.of(1, -2, 3, -128, 5, 6), 2, 3))).to.deep.equal([1, -2, 3, 0, -128, 5, 6, 0]);
  });

  it('FULLY_CONNECTED matches the reference byte for byte (random batches, depths, zero points, scales)', function () {
    const rand = rng(4301);
    expectXtensaBitExact(Array.from({ length: 30 }, () => randomFc(fc, rand)));
  });

  it('1x1 CONV_2D matches the reference byte for byte (pixel rows, per-channel scales)', function () {
    const rand = rng(4302);
    expectXtensaBitExact(Array.from({ length: 30 }, () => randomPointwise(conv, rand)));
  });

  it('k x k CONV_2D (im2col) matches the reference byte for byte (kernels 1-7, strides, dilation, padding)', function () {
    const rand = rng(4303);
    const cases: CCase[] = [];
    while (cases.length < 40) {
      const c = randomConv(conv, rand);
      if (c && c.graph.tensors[c.op.inputs[0]!]!.shape[3] === c.graph.tensors[c.op.inputs[1]!]!.shape[3]) cases.push(c);
    }
    expectXtensaBitExact(cases);
  });

  it('DEPTHWISE_CONV_2D (the channel-group C, its own requantization) matches the reference byte for byte', function () {
    const rand = rng(4305);
    const cases: CCase[] = [];
    while (cases.length < 30) {
      const c = randomDepthwise(depthwise, rand);
      if (c) cases.push(c);
    }
    expectXtensaBitExact(cases);
  });

  it('3x3 DEPTHWISE_CONV_2D at multiplier 1 (the MAC16 row kernel) matches the reference byte for byte', function () {
    const rand = rng(4306);
    const cases = Array.from({ length: 30 }, () => randomDepthwise3x3(depthwise, rand));
    for (const c of cases) expect(selectVariant(depthwise, depthwise.prepare(c.graph, c.op), ESP32).name).to.equal('xtensa 3x3');
    expectXtensaBitExact(cases);
  });

  it('runs grouped CONV_2D in the portable C', () => {
    const rand = rng(4304);
    for (;;) {
      const c = randomConv(conv, rand);
      if (!c || c.graph.tensors[c.op.inputs[0]!]!.shape[3] === c.graph.tensors[c.op.inputs[1]!]!.shape[3]) continue;
      expect(selectVariant(conv, conv.prepare(c.graph, c.op), ESP32).family).to.equal('portable');
      return;
    }
  });
});
