// SPDX-License-Identifier: Apache-2.0
/**
 * The sum-table kernel of ADD and SUB (sum_tables.ts, the Armv6-M, RV32 and Xtensa variants): a plan exists
 * for random quantizations (zero points at the int8 ends, scales over decades, every activation),
 * and the emitted C, on the host with ASan+UBSan, equals the reference kernel on all 65536 input
 * pairs and on random broadcasts.
 */
import { expect } from 'chai';
import add from '../../add/index.ts';
import sub from '../../sub/index.ts';
import type { FusedActivation } from '../../../ir/graph.ts';
import type { KernelIsa, OpDef } from '../../op.ts';
import { type CCase, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { extremeInt8, extremeQ, randomBroadcast } from '../../../../../test/helpers/random_cases.ts';
import { expectCMatchesReference } from '../../../../../test/helpers/op_checks.ts';
import { selectVariant } from '../../variant.ts';
import { type CommonScaleLayer, planSumTables } from './sum_tables.ts';

const ARMV6M: KernelIsa = { dsp: false, armv6m: true };
const RV32: KernelIsa = { dsp: false, rv32: true };
const XTENSA_S3: KernelIsa = { dsp: false, xtensa: true, s3simd: true };
/** the ISAs of the sum-table variants, in turn */
const isaOf = (k: number) => [ARMV6M, RV32, XTENSA_S3][k % 3]!;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const ALL_INT8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);
const count = (shape: number[]) => shape.reduce((n, d) => n * d, 1);

/** A random layer of ADD or SUB that TFLite accepts: input 2 sometimes quantized as input 1. */
function randomLayer(rand: () => number, def: OpDef, k: number, shapes: { a: number[]; b: number[]; out: number[] }) {
  for (;;) {
    const qa = extremeQ(rand, -8, 1);
    const qb = k % 5 === 0 ? qa : extremeQ(rand, -8, 1);
    const qo = extremeQ(rand, -8, 1);
    const g = singleOpGraph(
      def.kind,
      [
        { shape: shapes.a, ...qa },
        { shape: shapes.b, ...qb },
      ],
      [{ shape: shapes.out, ...qo }],
      {
        activation: ACTIVATIONS[k % 4],
      },
    );
    try {
      def.check(g.graph, g.op);
    } catch {
      continue;
    }
    return { ...g, qa, qb };
  }
}

describe('ADD and SUB sum tables (Armv6-M, RV32, Xtensa)', () => {
  it('finds tables for random quantizations, int16 for most', () => {
    const rand = rng(501);
    let int16 = 0;
    for (let k = 0; k < 60; k++) {
      const def = k % 2 === 0 ? add : sub;
      const { graph, op } = randomLayer(rand, def, k, { a: [1], b: [1], out: [1] });
      const plan = planSumTables(def.prepare(graph, op) as CommonScaleLayer, 20, def === add ? 1 : -1);
      expect(plan, `layer ${k}`).to.not.equal(undefined);
      if (plan!.int16) int16++;
    }
    expect(int16).to.be.greaterThan(30);
  });

  it('the emitted C equals the reference on all 65536 input pairs for random quantizations', () => {
    const rand = rng(502);
    const cases: CCase[] = [];
    for (let k = 0; k < 24; k++) {
      const def = k % 2 === 0 ? add : sub;
      const swap = k % 4 >= 2;
      const shapes = swap ? { a: [1, 256], b: [256, 1], out: [256, 256] } : { a: [256, 1], b: [1, 256], out: [256, 256] };
      const { graph, op } = randomLayer(rand, def, k, shapes);
      const isa = isaOf(k);
      expect(selectVariant(def, def.prepare(graph, op), isa).name).to.match(/sum tables$/);
      cases.push({ def, graph, op, inputs: [ALL_INT8, ALL_INT8], isa });
    }
    expectCMatchesReference(cases);
  });

  it('the emitted C equals the reference on random broadcasts and data', () => {
    const rand = rng(503);
    const cases: CCase[] = [];
    for (let k = 0; k < 40; k++) {
      const def = k % 2 === 0 ? add : sub;
      const shapes = randomBroadcast(rand);
      const { graph, op, qa, qb } = randomLayer(rand, def, k, shapes);
      cases.push({
        def,
        graph,
        op,
        inputs: [extremeInt8(rand, count(shapes.a), qa.zeroPoint), extremeInt8(rand, count(shapes.b), qb.zeroPoint)],
        isa: isaOf(k),
      });
    }
    expectCMatchesReference(cases);
  });
});
