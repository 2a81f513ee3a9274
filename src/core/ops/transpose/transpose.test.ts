// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import transpose from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
  tfliteInterpreterDifference,
} from '../../../../test/helpers/op_harness.ts';

const Q = { scale: 0.05, zeroPoint: -3 };

function graphOf(shape: number[], perm: number[], dtype: DType = 'int8') {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p < 0 ? p + rank : p]!);
  const q = dtype === 'int8' || dtype === 'int16' ? Q : {};
  return singleOpGraph(
    'TRANSPOSE',
    [
      { shape, dtype, ...q },
      { shape: [perm.length], dtype: 'int32', data: Int32Array.from(perm) },
    ],
    [{ shape: outShape, dtype, ...q }],
  );
}

function sequence(dtype: DType, n: number): TensorBuffer {
  const b = allocBuffer(dtype, n);
  for (let i = 0; i < n; i++) (b as Int32Array)[i] = dtype === 'int8' ? ((i * 37) % 256) - 128 : i * 1001 - 5000;
  return b;
}

describe('TRANSPOSE', () => {
  describe('reference kernel', () => {
    it('transposes a matrix and NCHW -> NHWC (hand-checked)', () => {
      const m = graphOf([2, 3], [1, 0]);
      expect(Array.from(evaluateOp(transpose, m.graph, m.op, [Int8Array.from([1, 2, 3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([1, 4, 2, 5, 3, 6]);
      // NCHW [1,2,2,2]: channel 0 = 0..3, channel 1 = 10..13 -> NHWC pairs (c0, c1) per pixel
      const g = graphOf([1, 2, 2, 2], [0, 2, 3, 1]);
      expect(Array.from(evaluateOp(transpose, g.graph, g.op, [Int8Array.from([0, 1, 2, 3, 10, 11, 12, 13])])[0] as Int8Array)).to.deep.equal([
        0, 10, 1, 11, 2, 12, 3, 13,
      ]);
    });

    it('accepts negative perm entries and every dtype (int16, int32 shape tensors)', () => {
      const g = graphOf([2, 1, 3], [-1, 0, 1], 'int16');
      expect(Array.from(evaluateOp(transpose, g.graph, g.op, [Int16Array.from([1, 2, 3, -4, -5, -32768])])[0] as Int16Array)).to.deep.equal([
        1, -4, 2, -5, 3, -32768,
      ]);
      const h = graphOf([3, 2], [1, 0], 'int32');
      expect(Array.from(evaluateOp(transpose, h.graph, h.op, [Int32Array.from([1, 2, 3, 4, 5, 2147483647])])[0] as Int32Array)).to.deep.equal([
        1, 3, 5, 2, 4, 2147483647,
      ]);
    });

    it('merges the copy into few loops: moving size-1 dimensions is a single memcpy', () => {
      const mnist = graphOf([1, 1, 28, 28], [0, 2, 3, 1]);
      const p = transpose.prepare(mnist.graph, mnist.op);
      expect(p.moves[0]!.copy.loops).to.deep.equal([{ extent: 784, src: 1, dst: 1 }]);
      const q = graphOf([1, 3, 8, 8], [0, 2, 3, 1]);
      expect(transpose.prepare(q.graph, q.op).moves[0]!.copy.loops).to.deep.equal([
        { extent: 64, src: 1, dst: 3 },
        { extent: 3, src: 64, dst: 1 },
      ]);
    });
  });

  describe('check', () => {
    it('rejects a perm that is not a permutation, a wrong output shape and a computed perm', () => {
      const bad = graphOf([2, 3, 4], [0, 0, 1]);
      expect(() => transpose.check(bad.graph, bad.op)).to.throw(OpError, /perm tensor 1 "in1" = \[0,0,1\] is not a permutation of rank 3/);
      const wrong = singleOpGraph(
        'TRANSPOSE',
        [
          { shape: [2, 3], ...Q },
          { shape: [2], dtype: 'int32', data: Int32Array.from([1, 0]) },
        ],
        [{ shape: [2, 3], ...Q }],
      );
      expect(() => transpose.check(wrong.graph, wrong.op)).to.throw(OpError, /output tensor 2 "out2" has shape \[2,3\]; expected \[3,2\]/);
      const dynamic = singleOpGraph(
        'TRANSPOSE',
        [
          { shape: [2, 3], ...Q },
          { shape: [2], dtype: 'int32' },
        ],
        [{ shape: [3, 2], ...Q }],
      );
      expect(() => transpose.check(dynamic.graph, dynamic.op)).to.throw(OpError, /op 0 \(TRANSPOSE\): perm tensor 1 "in1" is computed at run time/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random ranks 1-6, perms and dtypes', () => {
      const rand = rng(5);
      const cases: CCase[] = [];
      const dtypes: DType[] = ['int8', 'int8', 'int16', 'int32'];
      for (let k = 0; k < 14; k++) {
        const rank = randomInt(rand, 1, 6);
        const shape = Array.from({ length: rank }, () => randomInt(rand, 1, rank > 4 ? 3 : 5));
        const perm = Array.from({ length: rank }, (_, i) => i);
        for (let i = rank - 1; i > 0; i--) {
          const j = randomInt(rand, 0, i);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        const dtype = dtypes[k % dtypes.length]!;
        const g = graphOf(shape, perm, dtype);
        const n = shape.reduce((a, b) => a * b, 1);
        cases.push({ def: transpose, ...g, inputs: [dtype === 'int8' ? randomInt8(rand, n) : sequence(dtype, n)] });
      }
      const c = runCasesInC(cases);
      cases.forEach((cc, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(transpose, cc.graph, cc.op, cc.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  it('agrees with TensorFlow Lite Micro (tflm-ref) on models written by our writer', async () => {
    const rand = rng(11);
    for (const [shape, perm] of [
      [
        [1, 3, 5, 4],
        [0, 2, 3, 1],
      ],
      [
        [2, 3, 4],
        [2, 0, 1],
      ],
      [
        [4, 6],
        [1, 0],
      ],
    ] as [number[], number[]][]) {
      const g = graphOf(shape, perm);
      expect(
        await tfliteInterpreterDifference(transpose, g.graph, g.op, [
          randomInt8(
            rand,
            shape.reduce((a, b) => a * b, 1),
          ),
        ]),
        `${shape} ${perm}`,
      ).to.equal(undefined);
    }
  });
});
