// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant for eight rows in one block (dsp_row_pairs_x8.ts,
 * fully_connected_dsp_pairs8.h and .S):
 * - the stored lanes: low byte = r_k, int16 lane = r_k + 256 s_k, in the order the block reads them;
 * - the C twin on the host (ASan + UBSan) bit-exact with the TS reference over generated layers:
 *   256..4096 inputs, batches, zero points, per-tensor and per-channel scales, bias or none,
 *   NONE/RELU/RELU6, the per-chunk sums at their 2^23 bound (chunks from the weights, chunkOf8);
 * - the assembly on the emulated Cortex-M4 (remainders of the 32-step turn, several chunks),
 *   bit-exact, and the build gate on the M7 and M33.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from './index.ts';
import { chunkOf8, rowPairsOf8 } from './dsp_row_pairs_x8.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { compileForEveryTarget } from '../../../lab/toolchain/gate.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { DSP, fcGraph, fcLayersModel, variantOf, weightsOf } from '../../../../test/helpers/fc_dsp_cases.ts';

/** whether every chunk (the block's split: first words - chunk * floor((words - 1) / chunk), then chunk) keeps every odd row's sum in [-2^23, 2^23) */
function chunkBoundHolds(w: ArrayLike<number>, n: number, chunk: number): boolean {
  const words = n / 4;
  let from = 0;
  for (let to = words - chunk * Math.floor((words - 1) / chunk); from < words; from = to, to += chunk) {
    for (let r = 1; r < 8; r += 2) {
      let hi = 0;
      let lo = 0;
      for (let c = 4 * from; c < 4 * to; c++) {
        const v = w[r * n + c]!;
        hi += Math.max(127 * v, -128 * v);
        lo += Math.min(127 * v, -128 * v);
      }
      if (hi >= 2 ** 23 || lo < -(2 ** 23)) return false;
    }
  }
  return true;
}

describe('FULLY_CONNECTED Arm DSP: a block of eight rows', () => {
  it('stores each pair as low byte r_k, lane r_k + 256 s_k in the block order, then 8 B of padding', () => {
    const rand = rng(81);
    for (let t = 0; t < 60; t++) {
      const n = 4 * randomInt(rand, 1, 12);
      const w = weightsOf(rand, 8 * n, t % 3, n);
      const laid = rowPairsOf8(w, 8, n);
      expect(laid.length).to.equal(w.length + 8);
      expect(Array.from(laid.subarray(w.length))).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
      const u8 = new Uint8Array(laid.buffer);
      let at = 0;
      for (let k = 0; k < n; k += 4) {
        for (const c of [k, k + 1]) {
          for (const pr of [0, 2, 4, 6]) {
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
  });

  it('chunks from the weights: every odd row within [-2^23, 2^23) over a chunk, whole turns, as few as fit', () => {
    const rand = rng(82);
    // the worst weights (|s| = 128 under r >= 0) fit 127 words: 96, whole turns
    const worst = Int8Array.from({ length: 8 * 4096 }, (_, i) => (Math.floor(i / 4096) % 2 === 1 ? -128 : 127));
    expect(chunkOf8(worst, 8, 4096)).to.equal(96);
    // small weights: one chunk over the whole row
    const small = Int8Array.from({ length: 8 * 4096 }, () => randomInt(rand, -15, 15));
    expect(chunkOf8(small, 8, 4096)).to.equal(1024);
    for (let t = 0; t < 40; t++) {
      const n = 4 * randomInt(rand, 64, 1024);
      const words = n / 4;
      const w = weightsOf(rand, 8 * n, t % 3, n);
      const chunk = chunkOf8(w, 8, n);
      expect(chunk === words || chunk % 32 === 0, `chunk ${chunk} of ${words} words`).to.equal(true);
      // every chunk's worst sum of every odd row (inputs -128..127) stays within the bound
      expect(chunkBoundHolds(w, n, chunk), `chunk ${chunk} of ${words} words`).to.equal(true);
      if (chunk < words && chunk + 32 < words) expect(chunkOf8(w, 8, n)).to.be.lessThan(chunk + 32);
    }
  });

  it('the C twin is bit-exact with the reference: 256..4096 inputs, batches, extremes', function () {
    const rand = rng(83);
    const cases: CCase[] = [];
    const variants: string[] = [];
    const add = (inF: number, batches: number, kind: number, input: 'random' | 'min' | 'max' | 'extremes') => {
      const weights = weightsOf(rand, 8 * inF, kind, inF);
      const extreme = kind !== 0 && input !== 'random';
      const { graph, op } = fcGraph(inF, 8, batches, weights, rand, input === 'random' ? randomInt(rand, -128, 127) : 0, extreme);
      const n = batches * inF;
      const x =
        input === 'random'
          ? randomInt8(rand, n)
          : input === 'extremes'
            ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127))
            : new Int8Array(n).fill(input === 'min' ? -128 : 127);
      cases.push({ def: fc, graph, op, inputs: [x], isa: DSP });
      // batches of 2+ rows take the batch kernel (dsp_batch_row_pairs.ts), bit-exact here too
      variants.push(variantOf(graph, op) === 'arm-dsp batch row pairs' && batches > 1 ? 'arm-dsp row pairs x8' : variantOf(graph, op));
    };
    // the chunk bound: every column adds 2^14 to row s's sum (r = 127, s = -128, x = -128)
    add(4096, 1, 2, 'min');
    add(4096, 2, 2, 'max');
    add(448, 1, 2, 'min');
    add(452, 1, 1, 'extremes');
    add(1000, 3, 2, 'max');
    for (let k = 0; k < 16; k++) add(4 * randomInt(rand, 64, 1024), randomInt(rand, 1, 2), k % 3, (['random', 'min', 'max', 'extremes'] as const)[k % 4]!);
    expect(variants.filter((v) => v !== 'arm-dsp row pairs x8')).to.deep.equal([]);
    expectCasesBitExactInC(cases, (c) => JSON.stringify(c.graph.tensors[1]!.shape));
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-pairs8-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** FULLY_CONNECTED layers of eight rows over one input each: remainders of the 32-step turn, chunks. */
    function pairs8Model(seed: number, few = false): Graph {
      const rand = rng(seed);
      const shapes: [number, number][] = few
        ? [
            [452, 2],
            [256, 0],
          ]
        : [
            [4096, 2],
            [1024, 1],
            [1000, 2],
            [452, 2],
            [480, 0],
          ];
      // words 64 + 4k + (0..3) + 32 (0..6): the turn entered at every fourth step and between
      if (!few) for (let k = 0; k < 8; k++) shapes.push([256 + 4 * (4 * k + randomInt(rand, 0, 3)) + 128 * randomInt(rand, 0, 6), k % 3]);
      // an output zero point of -128 under shifts of -15: FAST's word overflows, LONG (mode l) holds
      const exactAt = shapes.length;
      shapes.push([512, 0]);
      // starts of +-40 output steps on the even and odd rows: a block that let a pair's r + 256 s
      // accumulator start from another row's start would be off by a fraction of a step
      const spreadFrom = shapes.length;
      shapes.push([256, 0], [1028, 0]);
      return fcLayersModel(
        `fc_pairs8_${seed}`,
        rand,
        shapes.map(([n, kind], i) => ({ n, rows: 8, kind, exact: i === exactAt, spread: i >= spreadFrom, activation: i >= spreadFrom ? 0 : i % 3 })),
      );
    }

    it('passes the build gate (-Werror, the assembly too) on the Cortex-M7 and M33', async () => {
      const graph = pairs8Model(86, true);
      const targets = ['cortex-m7', 'cortex-m33'];
      const gate = await compileForEveryTarget(graph, { targets, workDir: join(dir, 'gate') });
      expect(gate.failures).to.deep.equal([]);
      expect(gate.targets.map((r) => `${r.target} ${r.ok} ${r.files.some((f) => f.endsWith('fully_connected_dsp_pairs8.S'))}`)).to.deep.equal(
        targets.map((t) => `${t} true true`),
      );
    });

    for (const [seed, extremes] of [
      [84, true],
      [85, false],
    ] as const) {
      it(`generated layers and the chunk bound run bit-exact (seed ${seed}${extremes ? ', inputs -128/127' : ''})`, async () => {
        const graph = pairs8Model(seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/8 rows in one pass/g)?.length).to.equal(graph.ops.length);
        // LONG requantization where FAST does not hold (the zero point -128 layer, long extreme rows)
        expect(text).to.match(/tf_fcp8_dsp_l\w+\(/);
        if (!extremes) expect(text).to.match(/tf_fcp8_dsp_f\w+\(/);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed, extremes });
      });
    }
  });
});
