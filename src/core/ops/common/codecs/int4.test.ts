// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { int4Cases, FAMILY_ISAS, type Int4Kind } from '../../../../../test/helpers/int4_cases.ts';
import { expectCMatchesReference } from '../../../../../test/helpers/op_checks.ts';
import type { CCase } from '../../../../../test/helpers/op_harness.ts';
import { selectVariant } from '../../variant.ts';
import { packInt4Rows, packInt4Taps } from './int4.ts';
import { preferInSuite, suiteChoices } from '../../../../../test/helpers/prefer.ts';

const KINDS: Int4Kind[] = ['fc', 'pointwise', 'conv', 'depthwise'];
// 6 layers per kind and family in CI (96 in one compile); TINYFORGE_INT4_CASES=200 for a long campaign
const PER_KIND = Number(process.env.TINYFORGE_INT4_CASES ?? 6);

describe('int4 weights (packed two a byte, decoded in registers)', () => {
  preferInSuite('size', { palette: false, entropy: false }); // int4-valued rows would often take a palette under size
  it('packs rows as int4_dot.h reads them: byte j of word k = v[8k+j] | v[8k+j+4] << 4', () => {
    const v = Int8Array.from([1, 2, 3, 4, 5, 6, 7, -8, -1]);
    const words = packInt4Rows(v, 1, 9);
    expect(Array.from(words)).to.deep.equal([0x8473_6251 | 0, 0xf]);
    expect(Array.from(packInt4Taps(Int8Array.from([1, 2, -1, -2, 3, 4]), 3, 2))).to.deep.equal([0xf1, 0x03, 0xe2, 0x04]);
  });

  it('every family runs the int4 kernel, bit-exact with the reference, on generated layers (one compile)', function () {
    const cases: CCase[] = [];
    FAMILY_ISAS.forEach(({ isa }, f) => KINDS.forEach((kind, k) => cases.push(...int4Cases(kind, 1000 + 10 * f + k, PER_KIND, isa))));
    let int4Layers = 0;
    for (const c of cases) {
      const v = selectVariant(c.def, c.def.prepare(c.graph, c.op, suiteChoices().kernels), c.isa, suiteChoices().prefer, suiteChoices().kernels);
      // grouped convolutions keep the int8 kernels
      const grouped = c.op.kind === 'CONV_2D' && c.graph.tensors[c.op.inputs[0]!]!.shape[3] !== c.graph.tensors[c.op.inputs[1]!]!.shape[3];
      const weights = c.graph.tensors[c.op.inputs[1]!]!;
      const cost = v.cost?.(c.def.prepare(c.graph, c.op, suiteChoices().kernels), c.isa);
      // the packed form is used exactly when it is smaller than the int8 weights
      if (cost) expect(cost.flashBytes).to.be.below(weights.data!.length);
      else
        expect(
          grouped ||
            (c.op.kind === 'DEPTHWISE_CONV_2D'
              ? weights.shape[1]! * weights.shape[2]! === 1
              : weights.data!.length <= 4 * Math.ceil(weights.shape.slice(1).reduce((a, b) => a * b, 1) / 8) * weights.shape[0]!),
          `${c.op.kind} on ${JSON.stringify(c.isa)}: ${v.name}`,
        ).to.equal(true);
      if (cost) expect(v.name).to.match(/int4/);
      if (cost) int4Layers++;
    }
    expect(int4Layers).to.be.greaterThan(cases.length * 0.6);
    expectCMatchesReference(cases);
  });
});
