import { expect } from 'chai';
import conv from './index.ts';
import { m0plusApplies } from './m0plus.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import type { KernelIsa } from '../op.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../test/helpers/op_harness.ts';

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };

describe('CONV_2D, Armv6-M variant (RP2040)', () => {
  it('is chosen for 1x1 convolutions at stride 1 with an even number of output channels', () => {
    const pointwise = { kH: 1, kW: 1, strideH: 1, strideW: 1, groups: 1, padTop: 0, padLeft: 0, outC: 8 } as Parameters<typeof m0plusApplies>[0];
    expect(m0plusApplies(pointwise)).to.equal(true);
    expect(m0plusApplies({ ...pointwise, outC: 7 })).to.equal(false);
    expect(m0plusApplies({ ...pointwise, kH: 3, kW: 3 })).to.equal(false);
    expect(m0plusApplies({ ...pointwise, strideH: 2 })).to.equal(false);
  });

  it('matches the reference kernel byte for byte (random 1x1 layers, biases, zero points, per-channel scales)', function () {
    this.timeout(120000);
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
            shape: [outC, 1, 1, inC], scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
            data: randomInt8(rand, outC * inC, -127, 127),
          },
          rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -5000, 5000)) } : null,
        ],
        [{ shape: [input[0], input[1], input[2], outC], scale: 0.002 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) }],
        { padding: rand() < 0.5 ? 'SAME' : 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: activations[randomInt(rand, 0, 2)]! },
      );
      cases.push({ def: conv, graph, op, inputs: [randomInt8(rand, input.reduce((a, b) => a * b, 1))], isa: ARMV6M });
    }
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(conv, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify(c.graph.tensors[1]!.shape)}`).to.equal(undefined);
    });
  });
});
