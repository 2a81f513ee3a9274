// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { int4Cases, FAMILY_ISAS, type Int4Kind } from '../../../test/helpers/int4_cases.ts';
import { expectCMatchesReference } from '../../../test/helpers/op_checks.ts';
import type { CCase } from '../../../test/helpers/op_harness.ts';
import { selectVariant } from '../variant.ts';
import { packInt4Rows, packInt4Taps } from './int4.ts';

const KINDS: Int4Kind[] = ['fc', 'pointwise', 'conv', 'depthwise'];
const PER_KIND = Number(process.env.TINYFORGE_INT4_CASES ?? 12);

describe('int4 weights (packed two a byte, decoded in registers)', () => {
  it('packs rows as int4_dot.h reads them: byte j of word k = v[8k+j] | v[8k+j+4] << 4', () => {
    const v = Int8Array.from([1, 2, 3, 4, 5, 6, 7, -8, -1]);
    const words = packInt4Rows(v, 1, 9);
    expect(Array.from(words)).to.deep.equal([0x8473_6251 | 0, 0xf]);
    expect(Array.from(packInt4Taps(Int8Array.from([1, 2, -1, -2, 3, 4]), 3, 2))).to.deep.equal([0xf1, 0x03, 0xe2, 0x04]);
  });

  it('every family runs the int4 kernel, bit-exact with the reference, on generated layers (one compile)', () => {
    const cases: CCase[] = [];
    FAMILY_ISAS.forEach(({ isa }, f) => KINDS.forEach((kind, k) => cases.push(...int4Cases(kind, 1000 + 10 * f + k, PER_KIND, isa))));
    for (const c of cases) {
      const v = selectVariant(c.def, c.def.prepare(c.graph, c.op), c.isa);
      // grouped convolutions keep the int8 kernels
      const grouped = c.op.kind === 'CONV_2D' && c.graph.tensors[c.op.inputs[0]!]!.shape[3] !== c.graph.tensors[c.op.inputs[1]!]!.shape[3];
      if (!grouped) expect(v.name, `${c.op.kind} on ${JSON.stringify(c.isa)}`).to.match(/int4/);
    }
    expectCMatchesReference(cases);
  });
});
