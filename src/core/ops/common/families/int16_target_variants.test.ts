// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 target variants of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (Arm DSP, Armv6-M,
 * RV32) against the TS int16 reference, on the host under ASan + UBSan (the DSP kernel through arm_dsp.h's
 * C twins): the int16 fuzz generators' random layers (strides, padding, dilation, depth multipliers,
 * per-channel scales, int64 / int32 / no bias, fused activations), and random long rows (more inputs
 * per output than one int32 partial sum takes, extreme values) for the int32-chunk bound.
 */
import { expect } from 'chai';
import conv from '../../conv_2d/index.ts';
import depthwise from '../../depthwise_conv_2d/index.ts';
import fc from '../../fully_connected/index.ts';
import type { KernelIsa, OpDef } from '../../op.ts';
import { selectVariant } from '../../variant.ts';
import { expectCMatchesReference } from '../../../../../test/helpers/op_checks.ts';
import { int16Cases } from '../../../../../test/helpers/int16_cases.ts';
import { randomInt, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { int16BoundaryCase } from '../../../../../test/helpers/int16_boundary_cases.ts';

const ISAS: [string, KernelIsa][] = [
  ['arm-dsp', { dsp: true }],
  ['armv6m', { dsp: false, armv6m: true }],
  ['rv32', { dsp: false, rv32: true }],
];

const OPS: [string, OpDef, string][] = [
  ['CONV_2D', conv, 'conv2d-int16'],
  ['DEPTHWISE_CONV_2D', depthwise, 'depthwise-int16'],
  ['FULLY_CONNECTED', fc, 'fc-int16'],
];

/**
 * Mostly the negative extreme (-128 weights, -32768 inputs: products of +2^22, the sums' worst case),
 * sometimes the positive one or any value.
 */
function extreme(rand: () => number, lo: number, hi: number): number {
  const r = rand();
  return r < 0.75 ? lo : r < 0.85 ? hi : randomInt(rand, lo, hi);
}

/** A random layer of long rows: FULLY_CONNECTED of 400..1600 inputs, or a CONV_2D of 3x3 x 56..120 channels. */
function longCase(rand: () => number, k: number) {
  const outC = randomInt(rand, 1, 9);
  const inScale = 10 ** (-2 - 3 * rand());
  const wScale = Array.from({ length: outC }, () => 10 ** (-3 - rand()));
  const isConv = k % 2 === 1;
  const depth = isConv ? 9 * randomInt(rand, 56, 120) : randomInt(rand, 400, 1600);
  const weights = Int8Array.from({ length: outC * depth }, () => extreme(rand, -128, 127));
  // sums near depth * 2^22: outputs from mid-range to clamped
  const outScale = inScale * wScale[0]! * 2 ** 22 * depth * 10 ** (-2 * rand() - 3);
  const bias = rand() < 0.5 ? BigInt64Array.from({ length: outC }, () => BigInt(randomInt(rand, -(2 ** 30), 2 ** 30)) * 8n) : undefined;
  if (isConv) {
    const inC = depth / 9;
    const [h, w] = [randomInt(rand, 3, 5), randomInt(rand, 3, 5)];
    const { graph, op } = singleOpGraph(
      'CONV_2D',
      [
        { shape: [1, h, w, inC], dtype: 'int16', scale: inScale, zeroPoint: 0 },
        { shape: [outC, 3, 3, inC], scale: wScale, zeroPoint: wScale.map(() => 0), axis: 0, data: weights },
        bias ? { shape: [outC], dtype: 'int64', data: bias } : null,
      ],
      [{ shape: [1, h, w, outC], dtype: 'int16', scale: outScale, zeroPoint: 0 }],
      { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
    );
    return { graph, op, inputs: [Int16Array.from({ length: h * w * inC }, () => extreme(rand, -32768, 32767))] };
  }
  const batches = randomInt(rand, 1, 2);
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, depth], dtype: 'int16', scale: inScale, zeroPoint: 0 },
      { shape: [outC, depth], scale: wScale[0]!, zeroPoint: 0, data: weights },
      bias ? { shape: [outC], dtype: 'int64', data: bias } : null,
    ],
    [{ shape: [batches, outC], dtype: 'int16', scale: outScale, zeroPoint: 0 }],
    { activation: 'NONE', keepNumDims: false },
  );
  return { graph, op, inputs: [Int16Array.from({ length: batches * depth }, () => extreme(rand, -32768, 32767))] };
}

describe('16x8 target variants (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) against the int16 reference', () => {
  for (const [family, isa] of ISAS) {
    it(`${family}: 40 random layers of each op equal the reference, each run by the ${family} variant`, () => {
      const cases = OPS.flatMap(([, def, generator], i) => int16Cases(generator, 40, 100 + i).map((c) => ({ def, ...c, isa })));
      // every layer the generator draws takes the family's variant (grouped convolutions, and on Arm
      // DSP the small layers convInt16DspPays and the FC variant leave portable, excepted)
      for (const c of cases) {
        const name = selectVariant(c.def, c.def.prepare(c.graph, c.op), isa).name;
        const grouped = c.op.kind === 'CONV_2D' && c.graph.tensors[c.op.inputs[1]!]!.shape[3] !== c.graph.tensors[c.op.inputs[0]!]!.shape[3];
        const w = c.graph.tensors[c.op.inputs[1]!]!.shape;
        const small =
          family === 'arm-dsp' && ((c.op.kind === 'CONV_2D' && (w[0]! < 4 || w[1]! * w[2]! * w[3]! < 8)) || (c.op.kind === 'FULLY_CONNECTED' && w[1]! < 4));
        if (grouped || small) expect(name, c.graph.name).to.equal('portable int16');
        else expect(name, c.graph.name).to.match(new RegExp(`^${family} int16`));
      }
      expectCMatchesReference(cases);
    });

    it(`${family}: 16 random long-row layers (400..1600 inputs per output, extreme values) equal the reference`, () => {
      const rand = rng(7);
      const cases = Array.from({ length: 16 }, (_, k) => longCase(rand, k));
      expectCMatchesReference(cases.map((c) => ({ def: c.op.kind === 'CONV_2D' ? conv : fc, ...c, isa })));
    });

    it(`${family}: 30 random layers with channels on both sides of the 32-bit requantization's bounds (shifts, sums near the int32 limits) equal the reference`, () => {
      const rand = rng(1613);
      const defs = { CONV_2D: conv, DEPTHWISE_CONV_2D: depthwise, FULLY_CONNECTED: fc } as const;
      const cases = Array.from({ length: 30 }, (_, k) => int16BoundaryCase(rand, k)).map((c) => ({
        def: defs[c.op.kind as keyof typeof defs],
        ...c,
        isa,
      }));
      for (const c of cases) expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), isa).name, c.graph.name).to.match(new RegExp(`^${family} int16`));
      expectCMatchesReference(cases);
    });
  }
});
