// SPDX-License-Identifier: Apache-2.0
/**
 * The common-scale kernel of ADD and SUB (binary_elementwise.ts) on emulated devices, where its
 * target-specific paths run: SMMLAR and SSAT-with-shift inline assembly on the Cortex-M4 (QEMU
 * mps2-an386); on the RP2040 (rp2040js) the Armv6-M variants: ADD and SUB's sum tables
 * (common/families/sum_tables.ts) and MUL's three-product requantization (mul/m0plus.ts). Every output stage
 * planCommonScale can pick, and random quantizations, on all pairs of int8 inputs (a subset of
 * input 2's values on the RP2040, whose RAM is small), byte for byte with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { interpret } from '../interpreter.ts';
import { compileGraph } from '../../compile.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder, type Q } from '../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { extremeQ } from '../../../../test/helpers/random_cases.ts';
import { opDef } from '../index.ts';

type Stage = [Q, Q, Q, FusedActivation];

// the quantizations of add.test.ts's ADD_STAGES and sub.test.ts's SUB_STAGES (rnd0, rndDown,
// signFix, zpAfter); SUB's rndDown needs its own inputs, its signFix is ADD's rndDown
const ADD_STAGES: Stage[] = [
  [{ scale: 0.0515, zeroPoint: 27 }, { scale: 0.0675, zeroPoint: 9 }, { scale: 0.00103, zeroPoint: 27 }, 'NONE'],
  [{ scale: 0.169, zeroPoint: 13 }, { scale: 0.0673, zeroPoint: -92 }, { scale: 1.72, zeroPoint: -30 }, 'NONE'],
  [{ scale: 0.127, zeroPoint: -93 }, { scale: 0.294, zeroPoint: -41 }, { scale: 1.14, zeroPoint: 66 }, 'NONE'],
  [{ scale: 0.000544, zeroPoint: -121 }, { scale: 0.01, zeroPoint: -124 }, { scale: 1.84, zeroPoint: -66 }, 'RELU'],
];
const SUB_ONLY: Stage = [{ scale: 0.184, zeroPoint: 66 }, { scale: 0.0105, zeroPoint: -39 }, { scale: 0.858, zeroPoint: -98 }, 'RELU_N1_TO_1'];

/** Input pairs [1,256,1] and [1,1,n]; ADD on every pair of ADD_STAGES, SUB on three of them and SUB_ONLY. */
function stagesModel(n: number): Graph {
  const b = new GraphBuilder('common_scale');
  const outputs: number[] = [];
  const pair = ([qa, qb]: Stage) => [b.input({ shape: [1, 256, 1], q: qa }), b.input({ shape: [1, 1, n], q: qb })] as const;
  const layer = (kind: string, [x, y]: readonly [number, number], [, , qo, activation]: Stage) => {
    outputs.push(...b.op(kind, [x, y], [{ shape: [1, 256, n], q: qo }], { activation }));
  };
  const pairs = ADD_STAGES.map(pair);
  ADD_STAGES.forEach((s, k) => layer('ADD', pairs[k]!, s));
  layer('SUB', pairs[0]!, ADD_STAGES[0]!);
  layer('SUB', pairs[1]!, ADD_STAGES[1]!);
  layer('SUB', pairs[3]!, ADD_STAGES[3]!);
  layer('SUB', pair(SUB_ONLY), SUB_ONLY);
  b.output(...outputs);
  return b.build();
}

/**
 * ADD, SUB and MUL layers of random quantizations (zero points at the int8 ends, scales over decades,
 * every activation) that TFLite accepts, each on its own pair of inputs [1,256,1] and [1,1,n].
 */
function randomModel(n: number, seed: number, layers: number): Graph {
  const rand = rng(seed);
  const activations: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
  const b = new GraphBuilder('elementwise_random');
  const outputs: number[] = [];
  for (let k = 0; outputs.length < layers; k++) {
    const kind = ['ADD', 'SUB', 'MUL'][k % 3]!;
    const [qa, qb, qo] = [extremeQ(rand, -8, 1), extremeQ(rand, -8, 1), extremeQ(rand, -8, 1)];
    const probe = new GraphBuilder('probe');
    const pa = probe.input({ shape: [1, 256, 1], q: qa });
    const pb = probe.input({ shape: [1, 1, n], q: qb });
    const [po] = probe.op(kind, [pa, pb], [{ shape: [1, 256, n], q: qo }], { activation: activations[k % 4] });
    probe.output(po!);
    const pg = probe.build();
    try {
      opDef(kind)!.check(pg, pg.ops[0]!);
    } catch {
      continue;
    }
    const x = b.input({ shape: [1, 256, 1], q: qa });
    const y = b.input({ shape: [1, 1, n], q: qb });
    outputs.push(...b.op(kind, [x, y], [{ shape: [1, 256, n], q: qo }], { activation: activations[k % 4] }));
  }
  b.output(...outputs);
  return b.build();
}

async function expectBitExact(target: string, n: number, dir: string, graph = stagesModel(n)): Promise<void> {
  const all = new Uint8Array(Int8Array.from({ length: 256 }, (_, i) => i - 128).buffer);
  const second = new Uint8Array(Int8Array.from({ length: n }, (_, i) => Math.round(-128 + (i * 255) / (n - 1))).buffer);
  const cases = [graph.inputs.map((_, i) => (i % 2 === 0 ? all : second))];
  const compiled = compileGraph(graph);
  const reference = cases.map((cs) => interpret(compiled.prepared, cs).outputs);
  const path = join(dir, `common_scale_${target}.tflite`);
  saveTflite(path, graph);
  const report = await runModel(path, { target, cases });
  expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true]);
  report.cases[0]!.outputs.forEach((values, o) => {
    const t = graph.tensors[graph.outputs[o]!]!;
    expect(values, `output ${o}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[0]![o]!) as ArrayLike<number>));
  });
}

describe('ADD and SUB common-scale kernels on emulated devices', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-common-scale-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Cortex-M4 (QEMU mps2-an386): every stage on all 65536 input pairs', async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    await expectBitExact('cortex-m4', 256, dir);
  });

  it('RP2040 (rp2040js): every stage on 256 x 24 input pairs', async function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    await expectBitExact('rp2040', 24, dir);
  });

  it('RP2040 (rp2040js): sum-table ADD/SUB and split MUL for random quantizations, on 256 x 16 input pairs', async function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    await expectBitExact('rp2040', 16, dir, randomModel(16, 1307, 9));
  });
});
