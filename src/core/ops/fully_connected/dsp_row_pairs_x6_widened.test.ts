// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant in blocks of six rows over inputs widened per chunk
 * (dsp_row_pairs_x6_widened.ts, fully_connected_dsp_pairs6w.h, the block in fully_connected_dsp_pairs6.S):
 * - which layers take it (1024+ inputs in whole words, 16+ rows, every pair fitting) and its scratch;
 * - the C twin on the host (ASan + UBSan) bit-exact with the TS reference over generated layers:
 *   1024..4096 inputs (whole chunks of 112 words and a part chunk), 16..220 rows (every row tail,
 *   groups of 16 blocks and a part group), zero points, per-tensor and per-channel scales, bias or none,
 *   NONE/RELU/RELU6, the per-chunk sums at their 2^23 bound;
 * - the assembly on the emulated Cortex-M4, bit-exact, and the -Werror build gate on the M7 and M33.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from './index.ts';
import { rowPairsX6WidenedScratch } from './dsp_row_pairs_x6_widened.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { compileForEveryTarget } from '../../../lab/toolchain/gate.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { DSP, fcGraph, fcLayersModel, variantOf, weightsOf } from '../../../../test/helpers/fc_dsp_cases.ts';

describe('FULLY_CONNECTED Arm DSP: blocks of six rows over inputs widened per chunk', () => {
  it('takes layers of 1024+ inputs in whole words and 16+ rows whose pairs all fit; sizes its scratch', () => {
    const rand = rng(81);
    const name = (inF: number, rows: number, kind: number, batches = 1) => {
      const { graph, op } = fcGraph(inF, rows, batches, weightsOf(rand, rows * inF, kind, inF), rand, 3, false);
      return variantOf(graph, op);
    };
    expect(name(1024, 16, 0)).to.equal('arm-dsp row pairs x6 widened');
    expect(name(4096, 64, 2)).to.equal('arm-dsp row pairs x6 widened');
    expect(name(1020, 64, 0)).to.equal('arm-dsp row pairs x6');
    expect(name(1026, 64, 0)).to.equal('arm-dsp row pairs');
    expect(name(4096, 15, 0)).to.equal('arm-dsp row pairs');
    expect(name(4096, 8, 0)).to.equal('arm-dsp row pairs x8');
    expect(name(1024, 64, 0, 2)).to.equal('arm-dsp batch row pairs');
    // a chunk of 112 words' lanes, then six sums per block of a group of at most 16
    expect(rowPairsX6WidenedScratch(1024, 64)).to.equal(8 * 112 + 24 * 10);
    expect(rowPairsX6WidenedScratch(4096, 1024)).to.equal(8 * 112 + 24 * 16);
  });

  it('the C twin is bit-exact with the reference: 1024..4096 inputs, 16..220 rows, every row tail, extremes', function () {
    const rand = rng(82);
    const cases: CCase[] = [];
    const variants: string[] = [];
    const add = (inF: number, out: number, kind: number, input: 'random' | 'min' | 'max' | 'extremes') => {
      const weights = weightsOf(rand, out * inF, kind, inF);
      const extreme = kind !== 0 && input !== 'random';
      const { graph, op } = fcGraph(inF, out, 1, weights, rand, input === 'random' ? randomInt(rand, -128, 127) : 0, extreme);
      const x =
        input === 'random'
          ? randomInt8(rand, inF)
          : input === 'extremes'
            ? Int8Array.from({ length: inF }, () => (rand() < 0.5 ? -128 : 127))
            : new Int8Array(inF).fill(input === 'min' ? -128 : 127);
      cases.push({ def: fc, graph, op, inputs: [x], isa: DSP });
      variants.push(variantOf(graph, op));
    };
    // the chunk bound: every column adds 2^14 to row s's sum (r = 127, s = -128, x = -128); chunks of
    // 448 inputs (4096 = 9 chunks and 64 inputs; 1024 = 2 chunks and 128 inputs)
    add(4096, 16, 2, 'min');
    add(4096, 20, 2, 'max');
    add(1024, 17, 1, 'extremes');
    add(1344, 21, 2, 'max');
    // groups of 16 blocks: 17 blocks + 4 rows, 33 blocks + 4 rows
    add(1024, 106, 0, 'random');
    add(1024, 202, 2, 'min');
    // every row tail after the blocks of six (0, 1, 4, 5, 8 or 9 rows past them: 16..27 rows)
    for (let out = 16; out <= 27; out++)
      add(4 * randomInt(rand, 256, 700), out, randomInt(rand, 0, 2), (['random', 'min', 'max', 'extremes'] as const)[out % 4]!);
    for (let k = 0; k < 6; k++) {
      const inF = 4 * randomInt(rand, 256, 1024);
      add(inF, Math.max(16, Math.min(220, Math.floor(200000 / inF))), k % 3, (['random', 'min', 'max', 'extremes'] as const)[k % 4]!);
    }
    expect(variants.filter((v) => v !== 'arm-dsp row pairs x6 widened')).to.deep.equal([]);
    expectCasesBitExactInC(cases, (c) => JSON.stringify(c.graph.tensors[1]!.shape));
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-pairs6w-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** FULLY_CONNECTED layers of generated shapes (and the chunk bound) over one input each. */
    function pairs6wModel(seed: number, few = false): Graph {
      const rand = rng(seed);
      const shapes: [number, number, number][] = few
        ? [[1024, 21, 2]]
        : [
            [4096, 16, 2],
            [1024, 106, 1],
            [1100, 19, 2],
          ];
      if (!few) for (let k = 0; k < 3; k++) shapes.push([4 * randomInt(rand, 256, 600), randomInt(rand, 16, 40), k % 3]);
      return fcLayersModel(
        `fc_pairs6w_${seed}`,
        rand,
        shapes.map(([n, rows, kind]) => ({ n, rows, kind })),
      );
    }

    it('passes the build gate (-Werror, the assembly too) on the Cortex-M7 and M33', async () => {
      const graph = pairs6wModel(86, true);
      const targets = ['cortex-m7', 'cortex-m33'];
      const gate = await compileForEveryTarget(graph, { targets, workDir: join(dir, 'gate') });
      expect(gate.failures).to.deep.equal([]);
      expect(gate.targets.map((r) => `${r.target} ${r.ok} ${r.files.some((f) => f.endsWith('fully_connected_dsp_pairs6.S'))}`)).to.deep.equal(
        targets.map((t) => `${t} true true`),
      );
    });

    for (const [seed, extremes] of [
      [84, true],
      [85, false],
    ] as const) {
      it(`generated layers and the chunk bound run bit-exact (seed ${seed}${extremes ? ', inputs -128/127' : ''})`, async () => {
        const graph = pairs6wModel(seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/inputs widened per chunk/g)?.length).to.equal(graph.ops.length);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed, extremes });
      });
    }
  });
});
