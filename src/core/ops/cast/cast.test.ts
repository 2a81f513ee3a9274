// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer } from '../../ir/buffers.ts';
import type { CCase } from '../../../../test/helpers/op_harness.ts';
import { evaluateOp, randomInt, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const INPUTS: DType[] = ['int8', 'int16', 'int32', 'uint32', 'float32', 'bool'];
const OUTPUTS: DType[] = ['int8', 'int16', 'int32', 'uint32', 'float32'];

const SPECIAL_FLOATS = [
  0,
  -0,
  0.5,
  -0.5,
  1.9999,
  -1.9999,
  127.7,
  128,
  -128.9,
  -129,
  255.5,
  300.25,
  -300.25,
  32767.9,
  32768,
  -32769,
  65537.5,
  2147483520,
  -2147483648,
  3e9,
  -3e9,
  1e20,
  Infinity,
  -Infinity,
  NaN,
];

function values(rand: () => number, dtype: DType, n: number): TensorBuffer {
  const b = allocBuffer(dtype, n) as unknown as number[];
  for (let i = 0; i < n; i++) {
    if (dtype === 'float32') b[i] = i < SPECIAL_FLOATS.length ? SPECIAL_FLOATS[i]! : (rand() - 0.5) * 10 ** randomInt(rand, 0, 10);
    else if (dtype === 'bool') b[i] = rand() < 0.5 ? 1 : 0;
    else if (dtype === 'int32') b[i] = randomInt(rand, -2147483648, 2147483647);
    else if (dtype === 'uint32') b[i] = i === 0 ? 4294967295 : i === 1 ? 2147483648 : randomInt(rand, 0, 4294967295);
    else if (dtype === 'int16') b[i] = randomInt(rand, -32768, 32767);
    else b[i] = randomInt(rand, -128, 127);
  }
  return b as unknown as TensorBuffer;
}

function cases(rand: () => number): Omit<CCase, 'def'>[] {
  return INPUTS.flatMap((from) =>
    OUTPUTS.filter((to) => !(from === 'float32' && to === 'uint32')).map((to) => {
      const shape = [randomInt(rand, 1, 3), from === 'float32' ? 16 : randomInt(rand, 1, 9)];
      const g = singleOpGraph('CAST', [{ shape, dtype: from }], [{ shape, dtype: to }], { inDataType: from.toUpperCase(), outDataType: to.toUpperCase() });
      return { ...g, inputs: [values(rand, from, shape[0]! * shape[1]!)] };
    }),
  );
}

describe('CAST', () => {
  it('converts stored values as static_cast does (hand-checked)', () => {
    const run = (from: DType, to: DType, xs: number[]) => {
      const g = singleOpGraph('CAST', [{ shape: [xs.length], dtype: from }], [{ shape: [xs.length], dtype: to }]);
      const input = allocBuffer(from, xs.length) as unknown as number[];
      xs.forEach((x, i) => {
        input[i] = x;
      });
      return Array.from(evaluateOp(def, g.graph, g.op, [input as unknown as TensorBuffer])[0] as unknown as ArrayLike<number>);
    };
    expect(run('int32', 'int8', [127, 128, -129, 256 + 5])).to.deep.equal([127, -128, 127, 5]);
    expect(run('float32', 'int8', [1.9, -1.9, 200.5, NaN, 1e10])).to.deep.equal([1, -1, -56, 0, 0]);
    expect(run('float32', 'int32', [2.5, -2.5, 3e9, -Infinity])).to.deep.equal([2, -2, -2147483648, -2147483648]);
    expect(run('int32', 'float32', [16777217, -3])).to.deep.equal([16777216, -3]);
    expect(run('bool', 'int16', [0, 1])).to.deep.equal([0, 1]);
    expect(run('uint32', 'int32', [4294967295, 2147483648, 7])).to.deep.equal([-1, -2147483648, 7]);
    expect(run('int32', 'uint32', [-1, 5])).to.deep.equal([4294967295, 5]);
    expect(run('uint32', 'int16', [65535 + 65536 * 3])).to.deep.equal([-1]);
  });

  it('rejects a bool output and float32 to uint32', () => {
    const g = singleOpGraph('CAST', [{ shape: [2] }], [{ shape: [2], dtype: 'bool' }]);
    expect(() => def.check(g.graph, g.op)).to.throw(OpError, /writes int8, int16, int32, uint32, float32/);
    const f = singleOpGraph('CAST', [{ shape: [2], dtype: 'float32' }], [{ shape: [2], dtype: 'uint32' }]);
    expect(() => def.check(f.graph, f.op)).to.throw(OpError, /float32 to uint32/);
  });

  it('emitted C matches the reference kernel (every supported pair, float specials)', () => {
    expectCMatchesReference(cases(rng(61)).map((c) => ({ def, ...c })));
  });

  it('agrees with TFLite Micro byte for byte (every supported pair, float specials)', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, cases(rng(62)));
  });
});
