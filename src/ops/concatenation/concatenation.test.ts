import { expect } from 'chai';
import concatenation from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../ir/buffers.ts';
import {
  type CCase, evaluateOp, firstDifference, randomInt, randomInt16, randomInt8, rng, runCasesInC, singleOpGraph, tfliteInterpreterDifference,
} from '../../../test/helpers/op_harness.ts';

const Q = { scale: 0.1, zeroPoint: 4 };

function graphOf(shapes: number[][], axis: number, dtype: DType = 'int8', qs: { scale: number; zeroPoint: number }[] = []) {
  const rank = shapes[0]!.length;
  const a = axis < 0 ? axis + rank : axis;
  const outShape = shapes[0]!.map((d, k) => (k === a ? shapes.reduce((n, s) => n + s[k]!, 0) : d));
  return singleOpGraph('CONCATENATION', shapes.map((shape, j) => ({ shape, dtype, ...(qs[j] ?? Q) })), [{ shape: outShape, dtype, ...Q }], { axis, activation: 'NONE' });
}

describe('CONCATENATION', () => {
  it('places the inputs one after another along the axis (hand-checked)', () => {
    const g = graphOf([[2, 1], [2, 2]], 1);
    expect(Array.from(evaluateOp(concatenation, g.graph, g.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([1, 3, 4, 2, 5, 6]);
    const h = graphOf([[1, 2], [2, 2]], -2);
    expect(Array.from(evaluateOp(concatenation, h.graph, h.op, [Int8Array.from([1, 2]), Int8Array.from([3, 4, 5, 6])])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('copies inputs of another quantization unchanged, as TFLite Micro does, and says so in the C', () => {
    const g = graphOf([[2], [2]], 0, 'int8', [Q, { scale: 0.4, zeroPoint: -20 }]);
    expect(Array.from(evaluateOp(concatenation, g.graph, g.op, [Int8Array.from([1, 2]), Int8Array.from([-3, 127])])[0] as Int8Array)).to.deep.equal([1, 2, -3, 127]);
    const p = concatenation.prepare(g.graph, g.op);
    expect(p.requantizationIgnored).to.deep.equal([1]);
  });

  it('rejects a fused activation, mismatched shapes and a wrong total', () => {
    const g = graphOf([[2], [2]], 0);
    g.op.attrs = { axis: 0, activation: 'RELU' };
    expect(() => concatenation.check(g.graph, g.op)).to.throw(OpError, /fused activation RELU is not supported/);
    const s = singleOpGraph('CONCATENATION', [{ shape: [2, 3], ...Q }, { shape: [2, 2], ...Q }], [{ shape: [4, 3], ...Q }], { axis: 0 });
    expect(() => concatenation.check(s.graph, s.op)).to.throw(OpError, /input 1 tensor 1 "in1" \[2,2\] does not match output \[4,3\] outside axis 0/);
    const t = singleOpGraph('CONCATENATION', [{ shape: [2], ...Q }, { shape: [2], ...Q }], [{ shape: [5], ...Q }], { axis: 0 });
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
        return dtype === 'int8' ? randomInt8(rand, n) : dtype === 'int16' ? randomInt16(rand, n) : Int32Array.from({ length: n }, () => randomInt(rand, -1e9, 1e9));
      });
      cases.push({ def: concatenation, ...graphOf(shapes, axis, dtype), inputs });
    }
    const c = runCasesInC(cases);
    cases.forEach((cc, k) => {
      const expected = new Uint8Array(toBytes(evaluateOp(concatenation, cc.graph, cc.op, cc.inputs)[0]!));
      expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('agrees with the TFLite interpreter (tfjs-tflite) on a model written by our writer', async () => {
    const rand = rng(9);
    const g = graphOf([[1, 4, 4, 3], [1, 4, 4, 5], [1, 4, 4, 1]], 3);
    expect(await tfliteInterpreterDifference(concatenation, g.graph, g.op, [randomInt8(rand, 48), randomInt8(rand, 80), randomInt8(rand, 16)])).to.equal(undefined);
    const h = graphOf([[2, 3], [1, 3]], 0);
    expect(await tfliteInterpreterDifference(concatenation, h.graph, h.op, [randomInt8(rand, 6), randomInt8(rand, 3)])).to.equal(undefined);
  });
});
