// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D layers with one output pixel whose window is the whole input run FULLY_CONNECTED's kernel of
 * each family (as_fc.ts): random such layers (1x1 images and k x k VALID windows on k x k images,
 * SAME with strides past the image, batches, per-channel and per-tensor scales, zero points, every
 * activation) are chosen for it and match the TypeScript reference byte for byte on the host.
 */
import { expect } from 'chai';
import conv from './index.ts';
import type { Conv2DParams } from './contract.ts';
import { isFullWindow } from './as_fc.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { selectVariant } from '../variant.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';

const ISAS: Record<string, KernelIsa> = { 'arm-dsp': { dsp: true }, armv6m: { dsp: false, armv6m: true }, rv32: { dsp: false, rv32: true } };
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function fullWindowCase(rand: () => number, isa: KernelIsa): CCase {
  const k = rand() < 0.5 ? 1 : randomInt(rand, 2, 4);
  const kW = rand() < 0.3 ? randomInt(rand, 1, 4) : k;
  const inC = randomInt(rand, 1, rand() < 0.2 ? 300 : 40);
  const outC = randomInt(rand, isa.rv32 ? 1 : 8, 23);
  const batches = randomInt(rand, 1, 3);
  const perChannel = rand() < 0.7;
  const bias = rand() < 0.25 ? undefined : Int32Array.from({ length: outC }, () => randomInt(rand, -20000, 20000));
  // SAME with a stride at least the image keeps one output pixel and no padding
  const same = rand() < 0.3;
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: [batches, k, kW, inC], scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      {
        shape: [outC, k, kW, inC],
        scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05,
        data: randomInt8(rand, outC * k * kW * inC),
      },
      bias ? { shape: [outC], dtype: 'int32', data: bias } : null,
    ],
    [{ shape: [batches, 1, 1, outC], scale: rand() < 0.2 ? 0.00002 + rand() * 0.0002 : 0.01 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding: same ? 'SAME' : 'VALID',
      strideH: same ? k + randomInt(rand, 0, 2) : randomInt(rand, 1, 3),
      strideW: same ? kW + randomInt(rand, 0, 2) : randomInt(rand, 1, 3),
      dilationH: 1,
      dilationW: 1,
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
    },
  );
  return { def: conv, graph, op, inputs: [randomInt8(rand, batches * k * kW * inC)], isa };
}

describe('CONV_2D with one pixel over the whole input: the FULLY_CONNECTED kernels', () => {
  it('recognises the full-window layers only', () => {
    const p = { outH: 1, outW: 1, kH: 3, kW: 3, inH: 3, inW: 3, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 1 } as Conv2DParams;
    expect(isFullWindow(p)).to.equal(true);
    expect(isFullWindow({ ...p, inW: 4 })).to.equal(false);
    expect(isFullWindow({ ...p, padTop: 1 })).to.equal(false);
    expect(isFullWindow({ ...p, groups: 3 })).to.equal(false);
    expect(isFullWindow({ ...p, kH: 1, inH: 1, dilationH: 2 })).to.equal(true);
  });

  for (const [family, isa] of Object.entries(ISAS)) {
    it(`${family}: random layers take the FC kernel and match the reference byte for byte`, function () {
      const rand = rng(1307 + family.length);
      const cases = Array.from({ length: 30 }, () => fullWindowCase(rand, isa));
      for (const c of cases) expect(selectVariant(conv, conv.prepare(c.graph, c.op), isa).name).to.equal(`${family} fc`);
      const got = runCasesInC(cases);
      cases.forEach((c, i) => {
        const want = new Uint8Array(evaluateOp(conv, c.graph, c.op, c.inputs)[0]!.buffer);
        expect(firstDifference(want, got[i]![0]!), `case ${i}`).to.equal(undefined);
      });
    });
  }
});
