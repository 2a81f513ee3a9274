// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { depthwiseRv32Applies, rv32Group } from './rv32.ts';
import { rv32RightOnly, rv32RightPositive } from '../common/isa/rv32_matmul.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { type CCase, rng } from '../../../../test/helpers/op_harness.ts';
import { expectRv32BitExact, randomDepthwise } from '../../../../test/helpers/rv32_cases.ts';

describe('DEPTHWISE_CONV_2D, RV32IMC variant (ESP32-C3)', () => {
  it('covers every multiplier: 8 or 4 channels sharing an input byte; multipliers 1-3: whole input channels per group; else the largest divisor up to 8', () => {
    const base = { inC: 1, outC: 8, depthMultiplier: 8 } as DepthwiseConv2DParams;
    expect(rv32Group(base)).to.equal(8);
    expect(rv32Group({ ...base, outC: 12, depthMultiplier: 12 })).to.equal(4);
    expect(rv32Group({ ...base, inC: 8, depthMultiplier: 1 })).to.equal(4);
    expect(rv32Group({ ...base, inC: 6, outC: 6, depthMultiplier: 1 })).to.equal(4);
    expect(rv32Group({ ...base, inC: 4, outC: 8, depthMultiplier: 2 })).to.equal(4);
    expect(rv32Group({ ...base, inC: 2, outC: 6, depthMultiplier: 3 })).to.equal(6);
    expect(rv32Group({ ...base, outC: 6, depthMultiplier: 6 })).to.equal(6);
    expect(rv32Group({ ...base, outC: 10, depthMultiplier: 10 })).to.equal(5);
    expect(rv32Group({ ...base, outC: 11, depthMultiplier: 11 })).to.equal(1);
    expect(depthwiseRv32Applies({ ...base, inC: 6, outC: 6, depthMultiplier: 1 })).to.equal(true);
    expect(depthwiseRv32Applies({ ...base, inC: 4, outC: 8, depthMultiplier: 2 })).to.equal(true);
  });

  it('matches the reference kernel byte for byte (random shapes: multipliers 1-16, odd channels, paddings, strides, dilations, wide kernels)', function () {
    const rand = rng(3205);
    const cases: CCase[] = [];
    while (cases.length < 60) {
      const c = randomDepthwise(depthwise, rand);
      if (c) cases.push(c);
    }
    expectRv32BitExact(cases);
  });
  it('both right-shift requantizations: every shift at least 1 (2m and e - 1 in the records) and some shift 0, byte for byte', function () {
    const rand = rng(3209);
    const cases: CCase[] = [];
    const forms = new Set<string>();
    while (cases.length < 24) {
      const c = randomDepthwise(depthwise, rand);
      if (!c) continue;
      // an output scale that gives the largest channel multiplier the real value 0.75 (shift 0) in
      // every other case, the others below it
      const weights = c.graph.tensors[c.op.inputs[1]!]!.quant!;
      const input = c.graph.tensors[c.op.inputs[0]!]!.quant!;
      const output = c.graph.tensors[c.op.outputs[0]!]!.quant!;
      const zeroShift = cases.length % 2 === 0;
      output.scale = [(input.scale[0]! * Math.max(...weights.scale)) / (zeroShift ? 0.75 : 0.3)];
      const p = depthwise.prepare(c.graph, c.op) as DepthwiseConv2DParams;
      if (!rv32RightOnly(p)) continue;
      forms.add(rv32RightPositive(p) ? 'positive' : 'zero');
      cases.push(c);
    }
    expect([...forms].sort()).to.deep.equal(['positive', 'zero']);
    expectRv32BitExact(cases);
  });
});
