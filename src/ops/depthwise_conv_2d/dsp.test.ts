// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { dspApplies } from './dsp.ts';
import { selectVariant } from '../variant.ts';
import { depthwiseSweep } from './variant_sweep.ts';
import { evaluateOp, firstDifference, runCasesInC } from '../../../test/helpers/op_harness.ts';

describe('DEPTHWISE_CONV_2D, Arm DSP variant (host C twins)', () => {
  it('runs every depth multiplier and channel count (no portable fallback) and matches the reference byte for byte', function () {
    this.timeout(120000);
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
