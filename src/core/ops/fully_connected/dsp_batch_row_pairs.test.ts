// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant over two batch rows per pass (dsp_batch_row_pairs.ts,
 * fully_connected_dsp_pairsb.h):
 * - which layers take it (2+ batch rows, 64+ inputs in whole words, 8+ rows, every pair fitting);
 * - the C twin on the host (ASan + UBSan) bit-exact with the TS reference over generated layers:
 *   2..5 batch rows (an odd last one runs the batch-1 kernel), 64..2048 inputs (whole chunks of 128 and
 *   a part chunk), 8..100 rows (row groups of 32, 0-3 rows past the blocks), zero points, per-tensor
 *   and per-channel scales, bias or none, NONE/RELU/RELU6, extremes;
 * - the inline assembly on the emulated Cortex-M4, bit-exact, and the -Werror build gate on the M7 and M33.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from './index.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { compileForEveryTarget } from '../../../lab/toolchain/gate.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { DSP, fcGraph, fcLayersModel, variantOf, weightsOf } from '../../../../test/helpers/fc_dsp_cases.ts';

describe('FULLY_CONNECTED Arm DSP: two batch rows per pass', () => {
  it('takes layers of 2+ batch rows, 64+ inputs in whole words, 8+ rows whose pairs all fit', () => {
    const rand = rng(71);
    const name = (batches: number, inF: number, rows: number, kind: number) => {
      const { graph, op } = fcGraph(inF, rows, batches, weightsOf(rand, rows * inF, kind, inF), rand, 3, false);
      return variantOf(graph, op);
    };
    expect(name(2, 256, 64, 0)).to.equal('arm-dsp batch row pairs');
    expect(name(4, 1024, 64, 2)).to.equal('arm-dsp batch row pairs');
    expect(name(3, 64, 8, 0)).to.equal('arm-dsp batch row pairs');
    expect(name(1, 256, 64, 0)).to.equal('arm-dsp row pairs x6');
    expect(name(2, 60, 64, 0)).to.equal('arm-dsp row pairs');
    expect(name(2, 258, 64, 0)).to.equal('arm-dsp row pairs');
    expect(name(2, 256, 7, 0)).to.equal('arm-dsp row pairs');
    expect(name(2, 2048, 8, 3)).to.equal('arm-dsp row pairs');
  });

  it('the C twin is bit-exact with the reference: 2..5 batch rows, 64..2048 inputs, 8..100 rows, extremes', function () {
    const rand = rng(72);
    const cases: CCase[] = [];
    const variants: string[] = [];
    const add = (inF: number, out: number, batches: number, kind: number, input: 'random' | 'min' | 'max' | 'extremes') => {
      const weights = weightsOf(rand, out * inF, kind, inF);
      const extreme = kind !== 0 && input !== 'random';
      const { graph, op } = fcGraph(inF, out, batches, weights, rand, input === 'random' ? randomInt(rand, -128, 127) : 0, extreme);
      const n = batches * inF;
      const x =
        input === 'random'
          ? randomInt8(rand, n)
          : input === 'extremes'
            ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127))
            : new Int8Array(n).fill(input === 'min' ? -128 : 127);
      cases.push({ def: fc, graph, op, inputs: [x], isa: DSP });
      variants.push(variantOf(graph, op));
    };
    // the chunk bound: every column adds 2^14 to row s's sum (r = 127, s = -128, x = -128)
    add(2048, 16, 2, 2, 'min');
    add(1024, 20, 3, 2, 'max');
    add(64, 8, 2, 1, 'extremes');
    add(68, 9, 2, 2, 'min');
    add(256, 64, 4, 0, 'random');
    add(1024, 64, 2, 0, 'random');
    // every row tail after the blocks of four, groups of 32 rows and a part group
    for (let out = 8; out <= 12; out++)
      add(4 * randomInt(rand, 16, 100), out, randomInt(rand, 2, 5), randomInt(rand, 0, 2), (['random', 'min', 'max', 'extremes'] as const)[out % 4]!);
    for (let k = 0; k < 10; k++) {
      let inF = 4 * randomInt(rand, 16, 512);
      let out = randomInt(rand, 8, 100);
      while (inF * out > 100000) rand() < 0.5 ? (inF = Math.max(64, 4 * ((inF >> 3) | 0))) : (out = Math.max(8, out >> 1));
      add(inF, out, randomInt(rand, 2, 5), k % 3, (['random', 'min', 'max', 'extremes'] as const)[k % 4]!);
    }
    expect(variants.filter((v) => v !== 'arm-dsp batch row pairs')).to.deep.equal([]);
    expectCasesBitExactInC(cases, (c) => JSON.stringify(c.graph.tensors[0]!.shape) + JSON.stringify(c.graph.tensors[1]!.shape));
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-pairsb-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** FULLY_CONNECTED layers of generated shapes and batches (and the chunk bound) over one input each. */
    function batchModel(seed: number, few = false): Graph {
      const rand = rng(seed);
      const shapes: [number, number, number, number][] = few
        ? [[128, 9, 2, 2]]
        : [
            [2048, 16, 2, 2],
            [256, 64, 4, 1],
            [1000, 19, 3, 2],
            [68, 41, 5, 0],
          ];
      if (!few) for (let k = 0; k < 3; k++) shapes.push([4 * randomInt(rand, 16, 300), randomInt(rand, 8, 40), randomInt(rand, 2, 5), k % 3]);
      return fcLayersModel(
        `fc_pairsb_${seed}`,
        rand,
        shapes.map(([n, rows, batches, kind]) => ({ n, rows, kind, batches })),
      );
    }

    it('passes the build gate (-Werror) on the Cortex-M7 and M33', async () => {
      const graph = batchModel(76, true);
      const targets = ['cortex-m7', 'cortex-m33'];
      const gate = await compileForEveryTarget(graph, { targets, workDir: join(dir, 'gate') });
      expect(gate.failures).to.deep.equal([]);
      expect(gate.targets.map((r) => `${r.target} ${r.ok}`)).to.deep.equal(targets.map((t) => `${t} true`));
    });

    for (const [seed, extremes] of [
      [74, true],
      [75, false],
    ] as const) {
      it(`generated layers and the chunk bound run bit-exact (seed ${seed}${extremes ? ', inputs -128/127' : ''})`, async () => {
        const graph = batchModel(seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/two batch rows per pass, 4 rows/g)?.length).to.equal(graph.ops.length);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed, extremes });
      });
    }
  });
});
