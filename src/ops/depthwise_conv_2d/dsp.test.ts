// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import depthwise from './index.ts';
import { dspApplies } from './dsp.ts';
import { selectVariant } from '../variant.ts';
import { depthwiseSweep } from './variant_sweep.ts';
import { evaluateOp, firstDifference, runCasesInC } from '../../../test/helpers/op_harness.ts';

describe('DEPTHWISE_CONV_2D, Arm DSP variant (host C twins)', () => {
  it('runs every depth multiplier and channel count but 2 and 3 (no portable fallback) and matches the reference byte for byte', function () {
    this.timeout(120000);
    const cases = depthwiseSweep(404, 60, { dsp: true });
    for (const c of cases) {
      const p = depthwise.prepare(c.graph, c.op);
      // 2 or 3 input channels keep the portable C (as fast as 4-lane passes over gathered windows)
      const portable = p.inC === 2 || p.inC === 3;
      expect(dspApplies(p), JSON.stringify(c.op.attrs)).to.equal(!portable);
      expect(selectVariant(depthwise, p, c.isa).family).to.equal(portable ? 'portable' : 'arm-dsp');
    }
    const results = runCasesInC(cases);
    cases.forEach((c, i) => {
      const expected = evaluateOp(depthwise, c.graph, c.op, c.inputs)[0] as Int8Array;
      const shape = c.graph.tensors[c.op.inputs[0]!]!.shape;
      expect(firstDifference(new Uint8Array(expected.buffer), results[i]![0]!), `case ${i} ${JSON.stringify({ shape, ...c.op.attrs })}`).to.equal(undefined);
    });
  });
});
