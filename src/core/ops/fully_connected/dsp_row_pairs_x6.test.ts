// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant in blocks of six rows (dsp_row_pairs_x6.ts, fully_connected_dsp_pairs6.h
 * and .S):
 * - the stored lanes: low byte = r_k, int16 lane = r_k + 256 s_k, in the order the block reads them,
 *   the rows past the blocks of six exactly as the four-row pairs lay them out;
 * - which layers take it (256..1020 inputs in whole words, 16+ rows, every pair fitting; from 1024
 *   inputs dsp_row_pairs_x6_widened.ts) and which keep the four-row kernels;
 * - the C twin on the host (ASan + UBSan) bit-exact with the TS reference over generated layers:
 *   256..1020 inputs, 16..200 rows (every row tail), batches, zero points, per-tensor and per-channel
 *   scales, bias or none, NONE/RELU/RELU6, the per-chunk sums at their 2^23 bound;
 * - the assembly on the emulated Cortex-M4, bit-exact, on generated layers of the same kinds.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from './index.ts';
import { rowPairsOf4 } from './dsp_row_pairs.ts';
import { rowPairsOf6, sixBlocks } from './dsp_row_pairs_x6.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { compileForEveryTarget } from '../../../lab/toolchain/gate.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { DSP, fcGraph, fcLayersModel, variantOf, weightsOf } from '../../../../test/helpers/fc_dsp_cases.ts';

describe('FULLY_CONNECTED Arm DSP: blocks of six rows', () => {
  it('stores each pair as low byte r_k, lane r_k + 256 s_k in the block order; the other rows as the four-row pairs', () => {
    const rand = rng(61);
    for (let t = 0; t < 120; t++) {
      const rows = randomInt(rand, 6, 23);
      const n = 4 * randomInt(rand, 1, 12);
      const w = weightsOf(rand, rows * n, t % 3, n);
      const laid = rowPairsOf6(w, rows, n);
      expect(laid.length).to.equal(w.length);
      const u8 = new Uint8Array(laid.buffer);
      const blocks = sixBlocks(rows);
      expect(rows - 6 * blocks).to.be.oneOf(rows < 6 ? [rows] : [0, 1, 4, 5, 8, 9]);
      let at = 0;
      for (let r = 0; r < 6 * blocks; r += 6) {
        for (let k = 0; k < n; k += 4) {
          for (const pr of [r, r + 2, r + 4]) {
            for (const c of [k, k + 1]) {
              for (const col of [c, c + 2]) {
                const lo = w[pr * n + col]!;
                expect(laid[at], `low byte row ${pr} col ${col}`).to.equal(lo);
                const lane = ((u8[at]! | (u8[at + 1]! << 8)) << 16) >> 16;
                expect(lane, `lane rows ${pr},${pr + 1} col ${col}`).to.equal(lo + 256 * w[(pr + 1) * n + col]!);
                at += 2;
              }
            }
          }
        }
      }
      const rest = rows - 6 * blocks;
      expect(Array.from(laid.subarray(at))).to.deep.equal(Array.from(rowPairsOf4(w.subarray(6 * blocks * n), rest, n)));
    }
  });

  it('takes layers of 256..1020 inputs in whole words and 16+ rows whose pairs all fit; others keep the four-row kernels', () => {
    const rand = rng(62);
    const name = (inF: number, rows: number, kind: number) => {
      const { graph, op } = fcGraph(inF, rows, 1, weightsOf(rand, rows * inF, kind, inF), rand, 3, false);
      return variantOf(graph, op);
    };
    expect(name(256, 16, 0)).to.equal('arm-dsp row pairs x6');
    expect(name(1020, 64, 2)).to.equal('arm-dsp row pairs x6');
    // from 1024 inputs the blocks read x widened per chunk (dsp_row_pairs_x6_widened.ts)
    expect(name(1024, 64, 2)).to.equal('arm-dsp row pairs x6 widened');
    expect(name(252, 64, 0)).to.equal('arm-dsp row pairs');
    expect(name(258, 64, 0)).to.equal('arm-dsp row pairs');
    // classifier heads under 16 rows
    expect(name(560, 10, 0)).to.equal('arm-dsp row pairs');
    expect(name(4096, 15, 0)).to.equal('arm-dsp row pairs');
    // eight rows exactly: one block of eight (dsp_row_pairs_x8.ts)
    expect(name(256, 8, 0)).to.equal('arm-dsp row pairs x8');
    expect(name(252, 8, 0)).to.equal('arm-dsp row pairs');
    // s = -128 under a negative r somewhere (a 4096-weight row pair of full-range weights: almost surely)
    expect(name(2048, 8, 3)).to.equal('arm-dsp row pairs');
  });

  it('the C twin is bit-exact with the reference: 256..1020 inputs, 16..200 rows, every row tail, extremes', function () {
    const rand = rng(63);
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
      // batches of 2+ rows take the batch kernel (dsp_batch_row_pairs.ts), bit-exact here too
      variants.push(variantOf(graph, op) === 'arm-dsp batch row pairs' && batches > 1 ? 'arm-dsp row pairs x6' : variantOf(graph, op));
    };
    // the chunk bound: every column adds 2^14 to row s's sum (r = 127, s = -128, x = -128); chunks of
    // 448 inputs (1020 = 2 chunks and 124 inputs; 452 = one chunk and one word)
    add(1020, 16, 1, 2, 'min');
    add(1020, 20, 2, 2, 'max');
    add(448, 17, 1, 2, 'min');
    add(452, 21, 1, 1, 'extremes');
    add(1000, 19, 1, 2, 'max');
    // every row tail after the blocks of six (0, 1, 4, 5, 8 or 9 rows past them: 16..27 rows)
    for (let out = 16; out <= 27; out++)
      add(4 * randomInt(rand, 64, 255), out, randomInt(rand, 1, 2), randomInt(rand, 0, 2), (['random', 'min', 'max', 'extremes'] as const)[out % 4]!);
    for (let k = 0; k < 10; k++) {
      let inF = 4 * randomInt(rand, 64, 255);
      let out = randomInt(rand, 16, 200);
      while (inF * out > 150000) rand() < 0.5 ? (inF = Math.max(256, 4 * ((inF >> 3) | 0))) : (out = Math.max(16, out >> 1));
      add(inF, out, randomInt(rand, 1, 2), k % 3, (['random', 'min', 'max', 'extremes'] as const)[k % 4]!);
    }
    expect(variants.filter((v) => v !== 'arm-dsp row pairs x6')).to.deep.equal([]);
    expectCasesBitExactInC(cases, (c) => JSON.stringify(c.graph.tensors[1]!.shape));
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-pairs6-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** FULLY_CONNECTED layers of generated shapes (and the chunk bound) over one input each. */
    function pairs6Model(seed: number, few = false): Graph {
      const rand = rng(seed);
      const shapes: [number, number, number][] = few
        ? [
            [452, 21, 2],
            [256, 16, 0],
          ]
        : [
            [1020, 16, 2],
            [1016, 22, 1],
            [1000, 19, 2],
            [452, 21, 2],
          ];
      if (!few) for (let k = 0; k < 4; k++) shapes.push([4 * randomInt(rand, 64, 255), randomInt(rand, 16, 40), k % 3]);
      // an output zero point of -128 under shifts of -15: FAST's packed rounding word overflows, so the
      // layer takes TFLM's exact 64-bit requantization (mode x)
      const exactAt = shapes.length;
      shapes.push([512, 18, 0]);
      return fcLayersModel(
        `fc_pairs6_${seed}`,
        rand,
        shapes.map(([n, rows, kind], i) => ({ n, rows, kind, exact: i === exactAt })),
      );
    }

    it('passes the build gate (-Werror, the assembly too) on the Cortex-M7 and M33', async () => {
      // (the Cortex-M4 build of the tests below is -Werror too; the host target runs the portable C,
      // the kernel's C twin is compiled on the host under ASan + UBSan above)
      const graph = pairs6Model(66, true);
      const targets = ['cortex-m7', 'cortex-m33'];
      const gate = await compileForEveryTarget(graph, { targets, workDir: join(dir, 'gate') });
      expect(gate.failures).to.deep.equal([]);
      expect(gate.targets.map((r) => `${r.target} ${r.ok} ${r.files.some((f) => f.endsWith('fully_connected_dsp_pairs6.S'))}`)).to.deep.equal(
        targets.map((t) => `${t} true true`),
      );
    });

    for (const [seed, extremes] of [
      [64, true],
      [65, false],
    ] as const) {
      it(`generated layers and the chunk bound run bit-exact (seed ${seed}${extremes ? ', inputs -128/127' : ''})`, async () => {
        const graph = pairs6Model(seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/6 rows per pass/g)?.length).to.equal(graph.ops.length);
        // exact 64-bit requantization (x) in both models (seed 64's extreme sums all take it), and
        // SMMLAR (f) in seed 65's
        expect(text).to.match(/tf_fcp6_dsp_x\w+\(/);
        if (!extremes) expect(text).to.match(/tf_fcp6_dsp_f\w+\(/);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed, extremes });
      });
    }
  });
});
