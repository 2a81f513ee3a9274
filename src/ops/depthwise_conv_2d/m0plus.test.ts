import { expect } from 'chai';
import depthwise from './index.ts';
import { m0plusApplies } from './m0plus.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { outputSize } from '../common/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../test/helpers/op_harness.ts';

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };

describe('DEPTHWISE_CONV_2D, Armv6-M variant (RP2040)', () => {
  it('is chosen for 4-channel blocks with depth multiplier 1 or a multiple of 4, and emitted only for armv6m', () => {
    const base = { outC: 8, depthMultiplier: 1 } as Parameters<typeof m0plusApplies>[0];
    expect(m0plusApplies(base)).to.equal(true);
    expect(m0plusApplies({ ...base, depthMultiplier: 8 })).to.equal(true);
    expect(m0plusApplies({ ...base, depthMultiplier: 2 })).to.equal(false);
    expect(m0plusApplies({ ...base, outC: 6 })).to.equal(false);
  });

  it('matches the reference kernel byte for byte (random shapes, paddings, strides, dilations, zero points)', function () {
    this.timeout(120000);
    const rand = rng(2040);
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];
    const cases: CCase[] = [];
    while (cases.length < 24) {
      const mult = [1, 4, 8][randomInt(rand, 0, 2)]!;
      const inC = mult === 1 ? 4 * randomInt(rand, 1, 3) : randomInt(rand, 1, 2);
      const outC = inC * mult;
      const k = [randomInt(rand, 1, 4), randomInt(rand, 1, 4)];
      const stride: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
      const dilation: [number, number] = [randomInt(rand, 1, 2), 1];
      const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
      const input: [number, number, number, number] = [1, randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
      const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
      const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
      if (outH < 1 || outW < 1) continue;
      const perChannel = rand() < 0.6;
      const { graph, op } = singleOpGraph(
        'DEPTHWISE_CONV_2D',
        [
          { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) },
          {
            shape: [1, k[0]!, k[1]!, outC], scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01, axis: 3,
            data: randomInt8(rand, k[0]! * k[1]! * outC, -127, 127),
          },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) } : null,
        ],
        [{ shape: [1, outH, outW, outC], scale: 0.002 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) }],
        {
          padding, strideH: stride[0], strideW: stride[1], dilationH: dilation[0], dilationW: dilation[1],
          activation: activations[randomInt(rand, 0, 2)]!, depthMultiplier: mult,
        },
      );
      cases.push({ def: depthwise, graph, op, inputs: [randomInt8(rand, input.reduce((a, b) => a * b, 1))], isa: ARMV6M });
    }
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify(c.op.attrs)}`).to.equal(undefined);
    });
  });
});
