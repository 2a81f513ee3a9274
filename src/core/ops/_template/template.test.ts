// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import template from './index.ts';
import { evaluateOp, rng } from '../../../../test/helpers/op_harness.ts';
import { ALL_INT8, expectCMatchesReference, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import { extremeQ } from '../../../../test/helpers/random_cases.ts';
import { selectVariant } from '../variant.ts';

// A real op also checks its reference against TFLite Micro on many generated cases:
//   if (!tflmRefAvailable(this)) return; expectTflmAgrees(op, cases)
// (test/helpers/op_checks.ts). This template's kind is no TFLite builtin, so it has no oracle.
describe('the template op folder (TEMPLATE_REQUANTIZE)', () => {
  const RV32 = { dsp: false, rv32: true };

  it('the reference kernel requantizes (hand-checked)', () => {
    // scale 0.5 -> 0.25: y = 2 (x - z_in) + z_out
    const { graph, op } = unaryGraph('TEMPLATE_REQUANTIZE', [4], { scale: 0.5, zeroPoint: 1 }, { scale: 0.25, zeroPoint: -3 });
    const y = evaluateOp(template, graph, op, [Int8Array.from([1, 2, -10, 100])])[0] as Int8Array;
    expect(Array.from(y)).to.deep.equal([-3, -1, -25, 127]);
  });

  it('selectVariant: the unrolled kernel on RV32IMC from 4 elements, the portable C elsewhere', () => {
    const at = (n: number) => {
      const { graph, op } = unaryGraph('TEMPLATE_REQUANTIZE', [n], { scale: 0.5, zeroPoint: 0 }, { scale: 0.25, zeroPoint: 0 });
      return template.prepare(graph, op);
    };
    expect(selectVariant(template, at(8), RV32).name).to.equal('rv32 unrolled');
    expect(selectVariant(template, at(3), RV32).name).to.equal('portable');
    expect(selectVariant(template, at(8), { dsp: true }).name).to.equal('portable');
  });

  it('both kernels match the reference byte for byte on 20 random quantizations (host C, ASan + UBSan)', () => {
    const rand = rng(7);
    const cases = Array.from({ length: 20 }, (_, k) => {
      const { graph, op } = unaryGraph('TEMPLATE_REQUANTIZE', [k % 2 ? 255 : 256], extremeQ(rand, -9, 2), extremeQ(rand, -9, 2));
      const inputs = [k % 2 ? ALL_INT8.subarray(1) : ALL_INT8];
      return { def: template, graph, op, inputs, ...(k % 2 ? {} : { isa: RV32 }) };
    });
    expectCMatchesReference(cases);
  });
});
