// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import pad from './index.ts';
import transpose from '../transpose/index.ts';
import { OpError } from '../../errors.ts';
import type { DType, OpAttrs } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, toBytes } from '../../ir/buffers.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

function graphOf(shape: number[], paddings: number[], q = { scale: 0.1, zeroPoint: -128 }, dtype: DType = 'int8', attrs: OpAttrs = {}) {
  const perm = attrs.inputPermutation as number[] | undefined;
  const logical = perm ? perm.map((p) => shape[p]!) : shape;
  const outShape = logical.map((d, k) => d + paddings[2 * k]! + paddings[2 * k + 1]!);
  return singleOpGraph(
    'PAD',
    [
      { shape, dtype, ...q },
      { shape: [logical.length, 2], dtype: 'int32', data: Int32Array.from(paddings) },
    ],
    [{ shape: outShape, dtype, ...q }],
    attrs,
  );
}

function values(dtype: DType, n: number, rand: () => number): TensorBuffer {
  if (dtype === 'int8') return randomInt8(rand, n);
  const b = allocBuffer(dtype, n);
  for (let i = 0; i < n; i++) (b as Int32Array)[i] = randomInt(rand, -30000, 30000);
  return b;
}

describe('PAD', () => {
  describe('reference kernel', () => {
    it('pads with the output zero point (hand-checked)', () => {
      const g = graphOf([1, 2, 2, 1], [0, 0, 1, 1, 1, 0, 0, 0]);
      expect(Array.from(evaluateOp(pad, g.graph, g.op, [Int8Array.from([1, 2, 3, 4])])[0] as Int8Array)).to.deep.equal([
        -128, -128, -128, -128, 1, 2, -128, 3, 4, -128, -128, -128,
      ]);
      const z = graphOf([3], [2, 1], { scale: 1, zeroPoint: 127 });
      expect(Array.from(evaluateOp(pad, z.graph, z.op, [Int8Array.from([-1, 0, 1])])[0] as Int8Array)).to.deep.equal([127, 127, -1, 0, 1, 127]);
    });

    it('with negative paddings, fills the smaller interior with the first input elements, as TFLite Micro does (no crop)', () => {
      // output [2, 5]: columns 3, 4 are padding (after = 2); before = -1 marks nothing; the 6 interior
      // elements take input elements 0..5 in memory order (checked against tflm-ref below)
      const g = graphOf([2, 4], [0, 0, -1, 2]);
      expect(Array.from(evaluateOp(pad, g.graph, g.op, [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8])])[0] as Int8Array)).to.deep.equal([
        1, 2, 3, -128, -128, 4, 5, 6, -128, -128,
      ]);
      const h = graphOf([4], [-2, 1]);
      expect(Array.from(evaluateOp(pad, h.graph, h.op, [Int8Array.from([1, 2, 3, 4])])[0] as Int8Array)).to.deep.equal([1, 2, -128]);
    });

    it('pads int16 and int32 with 0 whatever the zero point (TFLite Micro)', () => {
      const g = graphOf([2], [1, 1], { scale: 0.5, zeroPoint: 0 }, 'int16');
      expect(Array.from(evaluateOp(pad, g.graph, g.op, [Int16Array.from([-32768, 32767])])[0] as Int16Array)).to.deep.equal([0, -32768, 32767, 0]);
      const h = singleOpGraph(
        'PAD',
        [
          { shape: [2], dtype: 'int32' },
          { shape: [1, 2], dtype: 'int32', data: Int32Array.from([0, 1]) },
        ],
        [{ shape: [3], dtype: 'int32' }],
      );
      expect(Array.from(evaluateOp(pad, h.graph, h.op, [Int32Array.from([7, 8])])[0] as Int32Array)).to.deep.equal([7, 8, 0]);
    });

    it('reads its input through a folded TRANSPOSE exactly as TRANSPOSE then PAD', () => {
      const rand = rng(4);
      const x = randomInt8(rand, 2 * 3 * 4 * 5);
      const t = singleOpGraph(
        'TRANSPOSE',
        [
          { shape: [2, 3, 4, 5], scale: 0.1, zeroPoint: 3 },
          { shape: [4], dtype: 'int32', data: Int32Array.from([0, 2, 3, 1]) },
        ],
        [{ shape: [2, 4, 5, 3], scale: 0.1, zeroPoint: 3 }],
      );
      const transposed = evaluateOp(transpose, t.graph, t.op, [x])[0]!;
      const paddings = [0, 0, 1, 2, 2, 1, 0, 1];
      const plain = graphOf([2, 4, 5, 3], paddings, { scale: 0.1, zeroPoint: 3 });
      const fused = graphOf([2, 3, 4, 5], paddings, { scale: 0.1, zeroPoint: 3 }, 'int8', { inputPermutation: [0, 2, 3, 1] });
      expect(Array.from(evaluateOp(pad, fused.graph, fused.op, [x])[0] as Int8Array)).to.deep.equal(
        Array.from(evaluateOp(pad, plain.graph, plain.op, [transposed])[0] as Int8Array),
      );
    });
  });

  describe('check', () => {
    it('rejects computed paddings, a wrong count, a wrong output shape and over-cropping', () => {
      const dynamic = singleOpGraph(
        'PAD',
        [
          { shape: [2], scale: 1, zeroPoint: 0 },
          { shape: [1, 2], dtype: 'int32' },
        ],
        [{ shape: [4], scale: 1, zeroPoint: 0 }],
      );
      expect(() => pad.check(dynamic.graph, dynamic.op)).to.throw(OpError, /op 0 \(PAD\): paddings tensor 1 "in1" is computed at run time/);
      const count = singleOpGraph(
        'PAD',
        [
          { shape: [2, 2], scale: 1, zeroPoint: 0 },
          { shape: [1, 2], dtype: 'int32', data: Int32Array.from([1, 1]) },
        ],
        [{ shape: [4, 2], scale: 1, zeroPoint: 0 }],
      );
      expect(() => pad.check(count.graph, count.op)).to.throw(OpError, /holds 2 values; expected 4/);
      const shape = singleOpGraph(
        'PAD',
        [
          { shape: [2], scale: 1, zeroPoint: 0 },
          { shape: [1, 2], dtype: 'int32', data: Int32Array.from([1, 1]) },
        ],
        [{ shape: [5], scale: 1, zeroPoint: 0 }],
      );
      expect(() => pad.check(shape.graph, shape.op)).to.throw(OpError, /output tensor 2 "out2" has shape \[5\]; input \[2\] padded by \[1,1\] gives \[4\]/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte: ranks 1-5, negative paddings, dtypes, folded transposes', () => {
      const rand = rng(21);
      const cases: CCase[] = [];
      const dtypes: DType[] = ['int8', 'int8', 'int16', 'int32'];
      for (let k = 0; k < 16; k++) {
        const rank = randomInt(rand, 1, 5);
        const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
        const perm = k % 3 === 0 ? Array.from({ length: rank }, (_, i) => i).sort(() => rand() - 0.5) : undefined;
        const logical = perm ? perm.map((p) => shape[p]!) : shape;
        // negative paddings only without a folded transpose (PAD rejects the two together)
        const paddings = logical.flatMap((d) => [randomInt(rand, perm ? 0 : -Math.min(1, d - 1), 2), randomInt(rand, perm ? 0 : -Math.min(1, d - 1), 2)]);
        const dtype = dtypes[k % dtypes.length]!;
        const q = { scale: 0.02, zeroPoint: randomInt(rand, -128, 127) };
        const g = graphOf(shape, paddings, dtype === 'int8' ? q : { scale: 1, zeroPoint: 0 }, dtype, perm ? { inputPermutation: perm } : {});
        cases.push({
          def: pad,
          ...g,
          inputs: [
            values(
              dtype,
              shape.reduce((a, b) => a * b, 1),
              rand,
            ),
          ],
        });
      }
      const c = runCasesInC(cases);
      cases.forEach((cc, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(pad, cc.graph, cc.op, cc.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TFLite Micro byte for byte (ranks 1-5, random paddings, negative ones, zero points -128..127)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(8);
    const cases = [];
    for (let k = 0; k < 60; k++) {
      const rank = randomInt(rand, 1, 5);
      const shape = Array.from({ length: rank }, () => randomInt(rand, 1, 5));
      // a fifth with negative paddings (TFLite Micro then reads the input in memory order)
      const paddings = shape.flatMap((d) =>
        k % 5 === 4 ? [randomInt(rand, 1 - d, 1), randomInt(rand, 0, 2)] : [randomInt(rand, 0, 3), randomInt(rand, 0, 3)],
      );
      if (k % 5 === 4 && paddings.every((p, i) => i % 2 === 1 || p >= 0)) paddings[0] = 1 - shape[0]!;
      const q = k % 10 === 0 ? { scale: 0.07, zeroPoint: -128 } : k % 10 === 1 ? { scale: 0.07, zeroPoint: 127 } : randomQ(rand);
      cases.push({
        ...graphOf(shape, paddings, q),
        inputs: [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ],
      });
    }
    cases.push({ ...graphOf([2, 4], [0, 0, -1, 2]), inputs: [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8])] });
    cases.push({ ...graphOf([4], [-2, 1]), inputs: [Int8Array.from([1, 2, 3, 4])] });
    expectTflmAgrees(pad, cases);
  });
});
