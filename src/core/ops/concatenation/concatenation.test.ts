// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import concatenation from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../ir/buffers.ts';
import {
  type CCase,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt16,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

const Q = { scale: 0.1, zeroPoint: 4 };

function graphOf(shapes: number[][], axis: number, dtype: DType = 'int8', qs: { scale: number; zeroPoint: number }[] = []) {
  const rank = shapes[0]!.length;
  const a = axis < 0 ? axis + rank : axis;
  const outShape = shapes[0]!.map((d, k) => (k === a ? shapes.reduce((n, s) => n + s[k]!, 0) : d));
  return singleOpGraph(
    'CONCATENATION',
    shapes.map((shape, j) => ({ shape, dtype, ...(qs[j] ?? Q) })),
    [{ shape: outShape, dtype, ...Q }],
    { axis, activation: 'NONE' },
  );
}

describe('CONCATENATION', () => {
  it('places the inputs one after another along the axis (hand-checked)', () => {
    const g = graphOf(
      [
        [2, 1],
        [2, 2],
      ],
      1,
    );
    expect(Array.from(evaluateOp(concatenation, g.graph, g.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([
      1, 3, 4, 2, 5, 6,
    ]);
    const h = graphOf(
      [
        [1, 2],
        [2, 2],
      ],
      -2,
    );
    expect(Array.from(evaluateOp(concatenation, h.graph, h.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it("rejects int8 inputs quantized unlike the output, as TFLite Micro's Prepare does; copies int16 ones unchanged", () => {
    const g = graphOf([[2], [2]], 0, 'int8', [Q, { scale: 0.4, zeroPoint: -20 }]);
    expect(() => concatenation.check(g.graph, g.op)).to.throw(OpError, /TFLite Micro requires every int8 input to share the output's quantization/);
    const z = graphOf([[2], [2]], 0, 'int8', [Q, { scale: Q.scale, zeroPoint: 5 }]);
    expect(() => concatenation.check(z.graph, z.op)).to.throw(OpError, /zero point 5/);
    const h = graphOf([[2], [2]], 0, 'int16', [
      { scale: 0.1, zeroPoint: 0 },
      { scale: 0.4, zeroPoint: 0 },
    ]);
    expect(Array.from(evaluateOp(concatenation, h.graph, h.op, [Int16Array.from([1, 2]), Int16Array.from([-3, 127])])[0] as Int16Array)).to.deep.equal([
      1, 2, -3, 127,
    ]);
    expect(concatenation.prepare(h.graph, h.op).requantizationIgnored).to.deep.equal([0, 1]);
  });

  it('rejects a fused activation, mismatched shapes and a wrong total', () => {
    const g = graphOf([[2], [2]], 0);
    g.op.attrs = { axis: 0, activation: 'RELU' };
    expect(() => concatenation.check(g.graph, g.op)).to.throw(OpError, /fused activation RELU is not supported/);
    const s = singleOpGraph(
      'CONCATENATION',
      [
        { shape: [2, 3], ...Q },
        { shape: [2, 2], ...Q },
      ],
      [{ shape: [4, 3], ...Q }],
      { axis: 0 },
    );
    expect(() => concatenation.check(s.graph, s.op)).to.throw(OpError, /input 1 tensor 1 "in1" \[2,2\] does not match output \[4,3\] outside axis 0/);
    const t = singleOpGraph(
      'CONCATENATION',
      [
        { shape: [2], ...Q },
        { shape: [2], ...Q },
      ],
      [{ shape: [5], ...Q }],
      { axis: 0 },
    );
    expect(() => concatenation.check(t.graph, t.op)).to.throw(OpError, /inputs hold 4 elements along axis 0/);
  });

  it('emitted C matches the reference kernel (1-6 inputs, ranks 1-4, int8/int16/int32)', () => {
    const rand = rng(81);
    const cases: CCase[] = [];
    for (let k = 0; k < 10; k++) {
      const rank = randomInt(rand, 1, 4);
      const axis = randomInt(rand, 0, rank - 1);
      const base = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      const shapes = Array.from({ length: randomInt(rand, 1, 6) }, () => base.map((d, i) => (i === axis ? randomInt(rand, 1, 3) : d)));
      const dtype = (['int8', 'int16', 'int32'] as DType[])[k % 3]!;
      const inputs: TensorBuffer[] = shapes.map((s) => {
        const n = s.reduce((a, b) => a * b, 1);
        return dtype === 'int8'
          ? randomInt8(rand, n)
          : dtype === 'int16'
            ? randomInt16(rand, n)
            : Int32Array.from({ length: n }, () => randomInt(rand, -1e9, 1e9));
      });
      cases.push({ def: concatenation, ...graphOf(shapes, axis, dtype), inputs });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(concatenation, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with TFLite Micro byte for byte (1-6 inputs, ranks 1-5, negative axes, quantizations over decades)', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(9);
    const cases = [];
    for (let k = 0; k < 60; k++) {
      const rank = randomInt(rand, 1, 5);
      const axis = randomInt(rand, 0, rank - 1);
      const base = Array.from({ length: rank }, () => randomInt(rand, 1, 4));
      const shapes = Array.from({ length: randomInt(rand, 1, 6) }, () => base.map((d, i) => (i === axis ? randomInt(rand, 1, 3) : d)));
      const q = randomQ(rand);
      const g = graphOf(
        shapes,
        k % 3 === 0 ? axis - rank : axis,
        'int8',
        shapes.map(() => q),
      );
      g.graph.tensors[g.op.outputs[0]!]!.quant = { scale: [q.scale], zeroPoint: [q.zeroPoint], axis: 0 };
      cases.push({
        ...g,
        inputs: shapes.map((sh) =>
          randomInt8(
            rand,
            sh.reduce((a, b) => a * b, 1),
          ),
        ),
      });
    }
    expectTflmAgrees(concatenation, cases);
  });
});
