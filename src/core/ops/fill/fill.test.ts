// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { FILL_DTYPES, type OpCase, fillCase } from '../../../../test/helpers/tensor_op_cases.ts';

function cases(seed: number): OpCase[] {
  const rand = rng(seed);
  return FILL_DTYPES.flatMap((dtype) => (['int8', 'int16', 'int32', 'int64'] as const).map((dims) => fillCase(rand, dtype, dims)));
}

const dims = (v: number[]) => ({ shape: [v.length], dtype: 'int32' as const, data: Int32Array.from(v) });

describe('FILL', () => {
  it('repeats the scalar over the output (hand-checked), a NaN with its payload in the reference', () => {
    const g = singleOpGraph('FILL', [dims([2, 2]), { shape: [], dtype: 'float32' }], [{ shape: [2, 2], dtype: 'float32' }]);
    expect(Array.from(evaluateOp(def, g.graph, g.op, [Float32Array.from([1.5])])[0] as Float32Array)).to.deep.equal([1.5, 1.5, 1.5, 1.5]);
    const nan = new Float32Array(new Uint32Array([0x7fa00001]).buffer);
    const out = evaluateOp(def, g.graph, g.op, [nan])[0] as Float32Array;
    expect(Array.from(new Uint32Array(out.buffer))).to.deep.equal([0x7fa00001, 0x7fa00001, 0x7fa00001, 0x7fa00001]);
  });

  it('refuses what TFLite Micro refuses: dims that differ from the output, run-time dims, a value that is not a scalar, int16', () => {
    const differ = singleOpGraph('FILL', [dims([2, 3]), { shape: [], dtype: 'float32' }], [{ shape: [2, 2], dtype: 'float32' }]);
    expect(() => def.check(differ.graph, differ.op)).to.throw(OpError, /holds \[2,3\] but output/);
    const dyn = singleOpGraph(
      'FILL',
      [
        { shape: [2], dtype: 'int32' },
        { shape: [], dtype: 'float32' },
      ],
      [{ shape: [2, 2], dtype: 'float32' }],
    );
    expect(() => def.check(dyn.graph, dyn.op)).to.throw(OpError, /computed at run time/);
    const vec = singleOpGraph('FILL', [dims([2]), { shape: [1], dtype: 'float32' }], [{ shape: [2], dtype: 'float32' }]);
    expect(() => def.check(vec.graph, vec.op)).to.throw(OpError, /takes a scalar/);
    const i16 = singleOpGraph(
      'FILL',
      [dims([2]), { shape: [], dtype: 'int16', scale: 1, zeroPoint: 0 }],
      [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
    );
    expect(() => def.check(i16.graph, i16.op)).to.throw(OpError, /int16; TFLite Micro's FILL supports float32, int32, int8/);
  });

  it('emitted C matches the reference kernel (float32, int32, int8; int8 to int64 dims)', () => {
    expectCMatchesReference(cases(101).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(102));
  });
});
