// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import add from './index.ts';
import { OpError } from '../../errors.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { broadcastLoops } from '../common/families/broadcast.ts';
import {
  type CCase,
  compileAndRun,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { BROADCAST_SHAPES, expectCMatchesReference, expectTflmAgrees, randomQ } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { goldenCMismatches, goldenReferenceMismatches, layersOfKind } from '../../../../test/helpers/golden_layers.ts';
import { planCommonScale, srdhmSplit } from '../common/families/binary_elementwise.ts';
import { srdhm } from '../common/numerics/fixedpoint.ts';
import { join } from 'node:path';

/**
 * Quantizations (input 1, input 2, output, activation) that drive planCommonScale to each of its
 * SMMLAR output stages for ADD: plain, rounding ties down, with RDBPOT's sign term, and with the
 * zero point added after the shift (an output scale so much larger that folding it overflows).
 */
const ADD_STAGES: Record<string, [Q, Q, Q, FusedActivation]> = {
  rnd0: [{ scale: 0.0515, zeroPoint: 27 }, { scale: 0.0675, zeroPoint: 9 }, { scale: 0.00103, zeroPoint: 27 }, 'NONE'],
  rndDown: [{ scale: 0.169, zeroPoint: 13 }, { scale: 0.0673, zeroPoint: -92 }, { scale: 1.72, zeroPoint: -30 }, 'NONE'],
  signFix: [{ scale: 0.127, zeroPoint: -93 }, { scale: 0.294, zeroPoint: -41 }, { scale: 1.14, zeroPoint: 66 }, 'NONE'],
  zpAfter: [{ scale: 0.000544, zeroPoint: -121 }, { scale: 0.01, zeroPoint: -124 }, { scale: 1.84, zeroPoint: -66 }, 'RELU'],
};

/** Every int8 value once: a [256,1] and a [1,256] operand broadcast to all 65536 pairs. */
const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);

/** The stage planCommonScale picked, by the names of ADD_STAGES. */
function stageName(k: ReturnType<typeof planCommonScale>, outputZeroPoint: number): string {
  if (k.output.kind === 'exact') return 'exact';
  if (k.output.zeroPointAfter !== 0) return 'zpAfter';
  if (k.output.signFix) return 'signFix';
  return k.output.rnd === 2 ** (k.output.rsh - 1) + outputZeroPoint * 2 ** k.output.rsh ? 'rnd0' : 'rndDown';
}

interface Q {
  scale: number;
  zeroPoint: number;
}

function graphOf(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, activation: FusedActivation = 'NONE') {
  return singleOpGraph(
    'ADD',
    [
      { shape: a, ...qa },
      { shape: b, ...qb },
    ],
    [{ shape: out, ...qo }],
    { activation },
  );
}

function run(a: number[], b: number[], out: number[], qa: Q, qb: Q, qo: Q, x: number[], y: number[], activation: FusedActivation = 'NONE'): number[] {
  const { graph, op } = graphOf(a, b, out, qa, qb, qo, activation);
  return Array.from(evaluateOp(add, graph, op, [Int8Array.from(x), Int8Array.from(y)])[0] as Int8Array);
}

describe('ADD', () => {
  describe('reference kernel', () => {
    it('adds real values: same scales, zero points folded in', () => {
      const q = { scale: 0.5, zeroPoint: 0 };
      // 1 + 2 = 3 real -> 6 at scale 0.5; -64 + -64 = -64 real -> -128 saturates
      expect(run([4], [4], [4], q, q, q, [2, 4, -128, 100], [4, -2, -128, 100])).to.deep.equal([6, 2, -128, 127]);
      const qz = { scale: 0.25, zeroPoint: -10 };
      // (x+10)/4 + (y+10)/4 back at zero point -10
      expect(run([3], [3], [3], qz, qz, qz, [-10, -6, 30], [-10, -2, 30])).to.deep.equal([-10, 2, 70]);
    });

    it('rescales different input and output scales (hand-checked)', () => {
      // 0.1*(20-0) + 0.3*(-5-5) = 2 - 3 = -1 real; at scale 0.2, zero point 3: -5 + 3 = -2
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [20], [-5])).to.deep.equal([-2]);
      // 0.1*7 + 0.3*1 = 1.0 -> 5 + 3 = 8
      expect(run([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 }, [7], [6])).to.deep.equal([8]);
    });

    it('broadcasts: a per-channel vector, a scalar, a column', () => {
      const q = { scale: 1, zeroPoint: 0 };
      expect(run([1, 2, 2, 3], [3], [1, 2, 2, 3], q, q, q, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [10, 20, 30])).to.deep.equal([
        10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33,
      ]);
      expect(run([1], [2, 3], [2, 3], q, q, q, [5], [1, 2, 3, 4, 5, 6])).to.deep.equal([6, 7, 8, 9, 10, 11]);
      expect(run([2, 1], [1, 3], [2, 3], q, q, q, [10, 20], [1, 2, 3])).to.deep.equal([11, 12, 13, 21, 22, 23]);
      expect(run([2, 1, 2], [1, 2, 1], [2, 2, 2], q, q, q, [1, 2, 3, 4], [10, 20])).to.deep.equal([11, 12, 21, 22, 13, 14, 23, 24]);
    });

    it('applies every fused activation', () => {
      const q = { scale: 0.1, zeroPoint: -20 };
      const x = [-128, -30, -20, 0, 40, 127];
      const y = [-20, -20, -20, -20, -20, -20];
      expect(run([6], [6], [6], q, q, q, x, y, 'NONE')).to.deep.equal([-128, -30, -20, 0, 40, 127]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU')).to.deep.equal([-20, -20, -20, 0, 40, 127]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU6')).to.deep.equal([-20, -20, -20, 0, 40, 40]);
      expect(run([6], [6], [6], q, q, q, x, y, 'RELU_N1_TO_1')).to.deep.equal([-30, -30, -20, -10, -10, -10]);
    });

    it("computes TFLite's multipliers (left shift 20, twice the larger input scale)", () => {
      const { graph, op } = graphOf([1], [1], [1], { scale: 0.1, zeroPoint: 0 }, { scale: 0.3, zeroPoint: 5 }, { scale: 0.2, zeroPoint: 3 });
      const p = add.prepare(graph, op);
      // s1/(2*0.3) = 1/6 and s2/(2*0.3) = 1/2 as Q31 multipliers with right shifts
      expect(p.input2Multiplier).to.equal(1 << 30);
      expect(p.input2Shift).to.equal(0);
      expect(p.input1Shift).to.equal(-2);
      // the scales are float32: 1/6 of the widened floats, not of the decimals
      expect(p.input1Multiplier).to.equal(Math.round((Math.fround(0.1) / (2 * Math.fround(0.3))) * 4 * 2 ** 31));
      expect(p.input1Multiplier).to.not.equal(Math.round((1 / 6) * 4 * 2 ** 31));
      expect(p.input1Offset).to.equal(0);
      expect(p.input2Offset).to.equal(-5);
      expect(p.outputZeroPoint).to.equal(3);
    });
  });

  describe('broadcast loops', () => {
    it('merge contiguous dimensions and drop ones', () => {
      expect(broadcastLoops([1, 8, 8, 16], [1, 8, 8, 16], [1, 8, 8, 16])).to.deep.equal([{ extent: 1024, strideA: 1, strideB: 1 }]);
      expect(broadcastLoops([1, 8, 8, 16], [16], [1, 8, 8, 16])).to.deep.equal([
        { extent: 64, strideA: 16, strideB: 0 },
        { extent: 16, strideA: 1, strideB: 1 },
      ]);
      expect(broadcastLoops([1], [1], [1])).to.deep.equal([]);
    });
  });

  describe('check', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    it('rejects shapes that do not broadcast and a wrong output shape', () => {
      const g1 = graphOf([2, 3], [4], [2, 3], q, q, q);
      expect(() => add.check(g1.graph, g1.op)).to.throw(OpError, /do not broadcast/);
      const g2 = graphOf([2, 3], [3], [2, 4], q, q, q);
      expect(() => add.check(g2.graph, g2.op)).to.throw(OpError, /gives \[2,3\]/);
    });
    it('rejects asymmetric int16 (the 16x8 kernel, add_int16.ts) and an output scale too small for TFLite', () => {
      const g = singleOpGraph(
        'ADD',
        [
          { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 },
          { shape: [2], dtype: 'int16', scale: 1, zeroPoint: 2 },
        ],
        [{ shape: [2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
        { activation: 'NONE' },
      );
      expect(() => add.check(g.graph, g.op)).to.throw(OpError, /zero point 2; int16 activations must be symmetric/);
      const tiny = graphOf([2], [2], [2], { scale: 1, zeroPoint: 0 }, q, { scale: 1e-7, zeroPoint: 0 });
      expect(() => add.check(tiny.graph, tiny.op)).to.throw(OpError, /too small/);
    });
    it('rejects a fused TANH', () => {
      const g = graphOf([2], [2], [2], q, q, q, 'TANH');
      expect(() => add.check(g.graph, g.op)).to.throw(OpError, /unsupported fused activation TANH/);
    });
  });

  describe('emitted C', () => {
    it('matches the reference kernel byte for byte on random shapes, scales and activations', () => {
      const rand = rng(99);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const shapes: [number[], number[], number[]][] = [
        [
          [1, 5, 7, 3],
          [1, 5, 7, 3],
          [1, 5, 7, 3],
        ],
        [[1, 4, 4, 8], [8], [1, 4, 4, 8]],
        [
          [2, 1, 3],
          [1, 4, 1],
          [2, 4, 3],
        ],
        [[1], [3, 3], [3, 3]],
        [
          [6, 1, 3, 1, 2],
          [3, 4, 2],
          [6, 1, 3, 4, 2],
        ],
        [[1], [1], [1]],
      ];
      const cases: CCase[] = [];
      shapes.forEach(([a, b, out], k) => {
        const q = () => ({ scale: [0.01, 0.05, 0.2, 1.3][randomInt(rand, 0, 3)]! * (0.5 + rand()), zeroPoint: randomInt(rand, -128, 127) });
        const { graph, op } = graphOf(a, b, out, q(), q(), q(), activations[k % 4]);
        cases.push({
          def: add,
          graph,
          op,
          inputs: [
            randomInt8(
              rand,
              a.reduce((x, y) => x * y, 1),
            ),
            randomInt8(
              rand,
              b.reduce((x, y) => x * y, 1),
            ),
          ],
        });
      });
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(add, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe('common-scale kernel: input tables, SMMLAR requantization (binary_elementwise.ts)', () => {
    const pairsCase = (qa: Q, qb: Q, qo: Q, activation: FusedActivation, swap = false, isa?: CCase['isa']): CCase => {
      const [a, b] = swap
        ? [
            [1, 256],
            [256, 1],
          ]
        : [
            [256, 1],
            [1, 256],
          ];
      const { graph, op } = graphOf(a, b, [256, 256], qa, qb, qo, activation);
      return { def: add, graph, op, inputs: [ALL_INT8, ALL_INT8], ...(isa ? { isa } : {}) };
    };
    const expectAllMatch = (cases: CCase[]) => {
      const c = runCasesInC(cases);
      cases.forEach((cs, k) => {
        const expected = new Uint8Array(toBytes(evaluateOp(add, cs.graph, cs.op, cs.inputs)[0]!));
        expect(firstDifference(expected, c[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    };

    it('picks each output stage for the quantizations meant to reach it', () => {
      for (const [name, [qa, qb, qo, activation]] of Object.entries(ADD_STAGES)) {
        const { graph, op } = graphOf([1], [1], [1], qa, qb, qo, activation);
        const p = add.prepare(graph, op);
        expect(stageName(planCommonScale(p, 20, 1, p.actMin, p.actMax), p.outputZeroPoint), name).to.equal(name);
      }
    });

    it('falls back to the exact stage when the pre-scaled sum could overflow (parameters no ADD of TFLite has)', () => {
      const { graph, op } = graphOf([256, 1], [1, 256], [256, 256], { scale: 0.1, zeroPoint: 3 }, { scale: 0.25, zeroPoint: -7 }, { scale: 0.3, zeroPoint: 1 });
      // input multipliers near 1 and an output left shift of 2: |sum| * 2^3 reaches 2^31
      const p = { ...add.prepare(graph, op), input1Multiplier: 2 ** 31 - 1, input1Shift: 0, input2Multiplier: 2 ** 31 - 5, input2Shift: 0, outputShift: 2 };
      expect(stageName(planCommonScale(p, 20, 1, p.actMin, p.actMax), p.outputZeroPoint)).to.equal('exact');
      const crafted = { ...add, prepare: () => p };
      const c = runCasesInC([{ def: crafted, graph, op, inputs: [ALL_INT8, ALL_INT8] }]);
      const expected = new Uint8Array(toBytes(evaluateOp(crafted, graph, op, [ALL_INT8, ALL_INT8])[0]!));
      expect(new Set(expected).size, 'outputs vary').to.be.greaterThan(2);
      expect(firstDifference(expected, c[0]![0]!)).to.equal(undefined);
    });

    it('keeps one table at most: the input with the larger scale is a shift, equal scales need none', () => {
      const plan = (qa: Q, qb: Q) => {
        const { graph, op } = graphOf([1], [1], [1], qa, qb, { scale: 0.3, zeroPoint: 1 });
        const p = add.prepare(graph, op);
        return planCommonScale(p, 20, 1, p.actMin, p.actMax).terms.map((t) => t.kind);
      };
      expect(plan({ scale: 0.1, zeroPoint: 3 }, { scale: 0.25, zeroPoint: -7 })).to.deep.equal(['table', 'shift']);
      expect(plan({ scale: 0.25, zeroPoint: 3 }, { scale: 0.1, zeroPoint: -7 })).to.deep.equal(['shift', 'table']);
      expect(plan({ scale: 0.1, zeroPoint: 3 }, { scale: 0.1, zeroPoint: -7 })).to.deep.equal(['shift', 'shift']);
    });

    it("equals the reference on all 65536 input pairs, for every stage, either broadcast side, Armv6-M's unroll", () => {
      const cases: CCase[] = [];
      for (const [qa, qb, qo, activation] of Object.values(ADD_STAGES)) {
        cases.push(pairsCase(qa, qb, qo, activation), pairsCase(qb, qa, qo, activation, true, { dsp: false, armv6m: true }));
      }
      expectAllMatch(cases);
    });

    it('equals the reference on all 65536 input pairs for random scales, zero points and activations', () => {
      const rand = rng(2024);
      const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
      const cases: CCase[] = [];
      for (let k = 0; k < 16; k++) {
        const q = () => ({ scale: [0.003, 0.02, 0.1, 0.7][randomInt(rand, 0, 3)]! * (0.5 + rand()), zeroPoint: randomInt(rand, -128, 127) });
        const qa = q();
        // a quarter with equal input quantizations: no table at all
        const qb = k % 4 === 0 ? qa : q();
        const qo = q();
        const { graph, op } = graphOf([1], [1], [1], qa, qb, qo, activations[k % 4]);
        try {
          add.check(graph, op);
        } catch {
          continue;
        }
        cases.push(pairsCase(qa, qb, qo, activations[k % 4]!, k % 2 === 1));
      }
      expect(cases.length).to.be.greaterThan(10);
      expectAllMatch(cases);
    });

    it('handles element counts that are not a multiple of 4, a single element, and broadcast rows of 3', () => {
      const rand = rng(5);
      const q = () => ({ scale: 0.02 + rand() * 0.2, zeroPoint: randomInt(rand, -128, 127) });
      const shapes: [number[], number[], number[]][] = [
        [
          [1, 7, 3, 1],
          [1, 7, 3, 1],
          [1, 7, 3, 1],
        ],
        [[3], [3], [3]],
        [[1], [1], [1]],
        [[1, 5, 5, 3], [3], [1, 5, 5, 3]],
        [
          [5, 1],
          [1, 7],
          [5, 7],
        ],
        [
          [1, 7],
          [5, 1],
          [5, 7],
        ],
        [
          [2, 3, 1, 6],
          [3, 5, 1],
          [2, 3, 5, 6],
        ],
      ];
      const cases: CCase[] = shapes.flatMap(([a, b, out], k) => {
        const { graph, op } = graphOf(a, b, out, q(), q(), q(), k % 2 ? 'RELU' : 'NONE');
        const inputs = [
          randomInt8(
            rand,
            a.reduce((x, y) => x * y, 1),
          ),
          randomInt8(
            rand,
            b.reduce((x, y) => x * y, 1),
          ),
        ];
        return [
          { def: add, graph, op, inputs },
          { def: add, graph, op, inputs, isa: { dsp: false, armv6m: true } },
        ];
      });
      expectAllMatch(cases);
    });

    it('computes SRDHM without BigInt exactly as fixedpoint.ts does', () => {
      const rand = rng(77);
      const values = [0, 1, -1, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 65535, 65536, -65536, 32768];
      for (const a of values)
        for (const b of [0, 1, 2 ** 30, 2 ** 31 - 1, 1517269748, 65535, 65536]) expect(srdhmSplit(a, b), `${a} ${b}`).to.equal(srdhm(a, b));
      for (let k = 0; k < 20000; k++) {
        const a = Math.floor((rand() - 0.5) * 2 ** 32) >> randomInt(rand, 0, 31);
        const b = Math.floor(rand() * 2 ** 31);
        expect(srdhmSplit(a, b), `${a} ${b}`).to.equal(srdhm(a, b));
      }
    });

    it('tf_ew_smmlar_split (Armv6-M) equals the 64-bit product for every operand range', () => {
      const common = join(import.meta.dirname, '..', 'common');
      const program = `#include <stdio.h>
#include "${join(common, 'isa', 'arm_dsp.h')}"
#include "${join(common, 'families', 'elementwise_rq.h')}"
static uint32_t s = 2463534242u;
static uint32_t next(void) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; return s; }
static int32_t wide(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32));
}
int main(void) {
  const int32_t as[] = { 0, 1, -1, 65535, 65536, -65536, -65537, 32768, -32768, 0x7fffffff, -0x7fffffff - 1, 0x40000000, -0x40000000 };
  const int32_t bs[] = { 0, 1, 65535, 65536, 0x40000000, 0x7fff0000, 0x7fffffff, 1517269748 };
  long bad = 0;
  for (unsigned i = 0; i < sizeof as / sizeof *as; i++)
    for (unsigned j = 0; j < sizeof bs / sizeof *bs; j++)
      for (int32_t acc = -5; acc <= 5; acc += 5) bad += tf_ew_smmlar_split(as[i], bs[j], acc) != wide(as[i], bs[j], acc);
  for (long k = 0; k < 2000000; k++) {
    const int32_t a = (int32_t)next() >> (next() & 31);
    const int32_t b = (int32_t)(next() >> 1) >> (next() & 31);
    const int32_t acc = (int32_t)(next() >> 9) - (1 << 22);
    bad += tf_ew_smmlar_split(a, b, acc) != wide(a, b, acc);
  }
  printf("%ld", bad);
  return 0;
}`;
      expect(new TextDecoder().decode(compileAndRun(program))).to.equal('0');
    });
  });

  describe('golden activations (TFLite Micro)', () => {
    it('reproduces the ADD of simple_add on all 4 cases, in TS and in C', function () {
      if (!sharedModelsAvailable(this)) return;
      const ts = goldenReferenceMismatches(add, 'simple_add');
      expect(ts.runs).to.equal(4);
      expect(ts.mismatches).to.deep.equal([]);
      const c = goldenCMismatches(add, 'simple_add', layersOfKind('simple_add', 'ADD'), [0, 1, 2, 3]);
      expect(c.runs).to.equal(4);
      expect(c.mismatches).to.deep.equal([]);
    });
  });

  describe('against TFLite Micro (tflm-ref), on models written by our writer', () => {
    const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

    /** All 65536 input pairs for every stage and for random quantizations over decades. */
    const pairCases = () => {
      const rand = rng(41);
      const cases: Omit<CCase, 'def'>[] = Object.values(ADD_STAGES).map(([qa, qb, qo, act]) => ({
        ...graphOf([256, 1], [1, 256], [256, 256], qa, qb, qo, act),
        inputs: [ALL_INT8, ALL_INT8],
      }));
      for (let k = 0; cases.length < 40; k++) {
        const qa = randomQ(rand, -8, 1);
        // some with equal input quantizations, some with input scales decades apart
        const qb = k % 5 === 0 ? qa : randomQ(rand, -8, 1);
        const qo = k % 7 === 0 ? { scale: qa.scale * (0.5 + rand() * 2), zeroPoint: randomInt(rand, -128, 127) } : randomQ(rand, -8, 1);
        const g = graphOf([256, 1], [1, 256], [256, 256], qa, qb, qo, activations[k % 4]);
        try {
          add.check(g.graph, g.op);
        } catch {
          continue;
        }
        cases.push({ ...g, inputs: [ALL_INT8, ALL_INT8] });
      }
      return cases;
    };

    it('agrees byte for byte on all 65536 input pairs for every stage and random quantizations over decades', function () {
      if (!tflmRefAvailable(this)) return;
      expectTflmAgrees(add, pairCases());
    });

    it('the emitted C (portable and Armv6-M) matches the reference kernel on those pairs', function () {
      const cases = pairCases().map((c) => ({ def: add, ...c }));
      expectCMatchesReference([...cases, ...cases.map((c) => ({ ...c, isa: { dsp: false, armv6m: true } }))]);
    });

    it('agrees byte for byte with and without broadcasting, for every activation', function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(42);
      const cases: Omit<CCase, 'def'>[] = [];
      for (let k = 0; k < 24; k++) {
        const [a, b, out] = BROADCAST_SHAPES[k % BROADCAST_SHAPES.length]!;
        const g = graphOf(a, b, out, randomQ(rand, -6, 0), randomQ(rand, -6, 0), randomQ(rand, -6, 0), activations[k % 4]);
        cases.push({
          ...g,
          inputs: [
            randomInt8(
              rand,
              a.reduce((x, y) => x * y, 1),
            ),
            randomInt8(
              rand,
              b.reduce((x, y) => x * y, 1),
            ),
          ],
        });
      }
      expectTflmAgrees(add, cases);
    });
  });
});
