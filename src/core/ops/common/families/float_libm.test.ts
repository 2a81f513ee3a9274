// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 kernels that call libm (LOGISTIC, TANH, ELU, EXP, LOG, SOFTMAX, LOG_SOFTMAX):
 * the TypeScript reference and the host C (glibc, sanitizers on) within each op's ULP bound of
 * TFLite Micro and of each other, over zeros of both signs, subnormals, the largest finite values,
 * infinities, NaNs, the whole exponent range and a dense sweep where the functions turn; and the ULP
 * distance itself on float32 bits.
 */
import { expect } from 'chai';
import { OPS } from '../../index.ts';
import { OpError } from '../../../errors.ts';
import { toBytes } from '../../../ir/buffers.ts';
import { FLOAT_LIBM_ULP, floatUlpBound, floatUlpFloor } from './float_libm.ts';
import { maxUlpDistance, ulpDistance, ulpDistanceBits, ulpDistanceFloored } from '../numerics/float_ulp.ts';

const toBitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
import { evaluateOp, rng, runCasesInC, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';
import { asFloats, expectWithinUlp, libmInputs } from '../../../../../test/helpers/float_libm_cases.ts';

const ELEMENTWISE = ['LOGISTIC', 'TANH', 'ELU', 'EXP', 'LOG'];
const ROWS = ['SOFTMAX', 'LOG_SOFTMAX'];

interface Case {
  kind: string;
  shape: number[];
  attrs: Record<string, number>;
}

const CASES: Case[] = [
  ...ELEMENTWISE.flatMap((kind) => [
    { kind, shape: [4000], attrs: {} },
    { kind, shape: [1, 3, 5, 7], attrs: {} },
  ]),
  ...ROWS.flatMap((kind) =>
    [
      [1, 1],
      [50, 2],
      [40, 10],
      [2, 3, 5, 16],
      [4, 500],
    ].flatMap((shape) => (kind === 'SOFTMAX' ? [1, 0.37, 2.5] : [1]).map((beta) => ({ kind, shape, attrs: kind === 'SOFTMAX' ? { beta } : {} }))),
  ),
];

function caseOf(c: Case, seed: number) {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const g = singleOpGraph(c.kind, [{ shape: c.shape, dtype: 'float32' }], [{ shape: c.shape, dtype: 'float32' }], c.attrs);
  const x = libmInputs(rng(seed), n);
  // softmax rows: mostly finite values of one row's scale, the extreme ones spread over the rows
  if (ROWS.includes(c.kind)) for (let i = 0; i < n; i++) if (i % 5 !== 0 && Math.abs(x[i]!) > 100) x[i] = Math.fround((i % 41) * 0.37 - 7);
  return { def: OPS.get(c.kind)!, ...g, x, label: `${c.kind} [${c.shape.join('x')}] ${JSON.stringify(c.attrs)}` };
}

describe('float32 kernels that call libm', () => {
  describe('ULP distance on float32 bits', () => {
    it('counts the float32 values between two numbers, across zero and up to infinity', () => {
      expect(ulpDistance(0, -0)).to.equal(0);
      expect(ulpDistance(1, 1 + 2 ** -23)).to.equal(1);
      expect(ulpDistance(1, 1 - 2 ** -24)).to.equal(1);
      expect(ulpDistanceBits(0x00000001, 0x80000001)).to.equal(2);
      expect(ulpDistanceBits(0x7f7fffff, 0x7f800000)).to.equal(1);
      expect(ulpDistanceBits(0xff800000, 0x7f800000)).to.equal(2 * 0x7f800000);
      expect(ulpDistanceBits(0x7fc00000, 0xffc00000)).to.equal(0);
      expect(ulpDistanceBits(0x7fc00000, 0x3f800000)).to.equal(Infinity);
      expect(maxUlpDistance(new Float32Array([1, 2, 3]), new Float32Array([1, Math.fround(2 + 2 ** -21), 3]))).to.deep.equal({ ulps: 2, index: 1 });
      // below the floor, ULPs of the floor: 2^-20 apart near 1e-5 is 8 ULPs of 1
      expect(ulpDistanceFloored(toBitsOf(1e-5), toBitsOf(1e-5 + 2 ** -20), 1)).to.equal(8);
      expect(ulpDistanceFloored(toBitsOf(3), toBitsOf(3 + 2 ** -22), 1)).to.equal(1);
    });
  });

  it('states a bound for every op that calls libm, and none for the others', () => {
    // the float LSTM's sigmoid and tanh: unidirectional_sequence_lstm/lstm_float.test.ts; SIN and
    // COS (their own reduction and polynomial, no libm): sin/sin_cos.test.ts
    const withBound = [...ELEMENTWISE, ...ROWS, 'UNIDIRECTIONAL_SEQUENCE_LSTM', 'SIN', 'COS'];
    for (const kind of withBound) expect(floatUlpBound(kind), kind).to.be.greaterThan(0);
    expect(Object.keys(FLOAT_LIBM_ULP).sort()).to.deep.equal(withBound.sort());
    for (const kind of ['ADD', 'SQRT', 'RSQRT', 'HARD_SWISH', 'L2_NORMALIZATION', 'FULLY_CONNECTED']) expect(floatUlpBound(kind), kind).to.equal(0);
  });

  it('EXP and LOG refuse int8 (TFLite Micro has float32 kernels only)', () => {
    for (const kind of ['EXP', 'LOG']) {
      const { graph, op } = singleOpGraph(kind, [{ shape: [2], scale: 0.1, zeroPoint: 0 }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
      expect(() => OPS.get(kind)!.check(graph, op), kind).to.throw(OpError, /float32 only/);
    }
  });

  it('a float32 layer takes float32 only: an int8 output of a float input is refused', () => {
    for (const kind of ['LOGISTIC', 'TANH', 'ELU', 'SOFTMAX', 'LOG_SOFTMAX']) {
      const { graph, op } = singleOpGraph(
        kind,
        [{ shape: [1, 4], dtype: 'float32' }],
        [{ shape: [1, 4], scale: 1 / 256, zeroPoint: -128 }],
        kind === 'SOFTMAX' ? { beta: 1 } : {},
      );
      expect(() => OPS.get(kind)!.check(graph, op), kind).to.throw(OpError, /float32/);
    }
  });

  it('the host C (glibc) is within each bound of the TS reference', () => {
    const built = CASES.map((c, k) => caseOf(c, 900 + k));
    const outs = runCasesInC(built.map((b) => ({ def: b.def, graph: b.graph, op: b.op, inputs: [b.x] })));
    built.forEach((b, k) => {
      const ref = evaluateOp(b.def, b.graph, b.op, [b.x])[0] as Float32Array;
      expectWithinUlp(ref, asFloats(outs[k]![0]!), floatUlpBound(b.op.kind), `${b.label}: C against the reference`, floatUlpFloor(b.op.kind));
    });
  });

  it('the TS reference is within each bound of TFLite Micro', function () {
    if (!tflmRefAvailable(this)) return;
    CASES.forEach((c, k) => {
      const b = caseOf(c, 900 + k);
      const ref = evaluateOp(b.def, b.graph, b.op, [b.x])[0] as Float32Array;
      const theirs = asFloats(tflmOutputs(b.graph, [new Uint8Array(toBytes(b.x))])[0]!);
      expectWithinUlp(theirs, ref, floatUlpBound(b.op.kind), `${b.label}: reference against TFLite Micro`, floatUlpFloor(b.op.kind));
    });
  });
});
