// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant with two weight rows in one halfword (dsp_row_pairs.ts,
 * fully_connected_dsp_pairs.h):
 * - the stored lanes: low byte = r_k exactly (what SXTB16 reads), int16 lane = r_k + 256 s_k exactly
 *   (what SMLAD reads), on random weights over [-128, 127] wherever the variant accepts them;
 * - the variant refuses weights whose pair does not fit (s_k = -128 under a negative r_k), which keep
 *   fully_connected_dsp.h's kernel;
 * - the C twin on the host (ASan + UBSan) is bit-exact with the TS reference over random layers:
 *   1..4096 input features, 1..300 outputs, int8 extremes (weights +-127 and -128, inputs all -128
 *   or 127) where the per-chunk sums come nearest their 2^23 bound;
 * - the same shapes as real firmware on the emulated Cortex-M4, bit-exact.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from './index.ts';
import type { FullyConnectedParams } from './contract.ts';
import { pairFixes, rowPairsOf4 } from './dsp_row_pairs.ts';
import { selectVariant } from '../variant.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';

const DSP = { dsp: true };

/** Weights of one of the kinds the test mixes: full range, TFLite's symmetric range, or extremes. */
function weightsOf(rand: () => number, n: number, kind: number, rowLength: number): Int8Array {
  if (kind === 0) return randomInt8(rand, n, -127, 127);
  if (kind === 1) return Int8Array.from({ length: n }, () => (rand() < 0.5 ? -127 : 127));
  // the largest second-row products: r >= 0 under s = -128 (s - [r < 0] = -128 still fits)
  if (kind === 2) return Int8Array.from({ length: n }, (_, i) => (Math.floor(i / rowLength) % 2 ? -128 : 127));
  // every pair misfits: s = -128 under negative r (all corrected through the fix table)
  if (kind === 4) return Int8Array.from({ length: n }, (_, i) => (Math.floor(i / rowLength) % 2 ? -128 : randomInt(rand, -128, -1)));
  return randomInt8(rand, n, -128, 127);
}

/**
 * One layer, its output scale set so that typical accumulators (`extreme`: every product +-2^14, all
 * of one sign) land inside the int8 range rather than saturate, where a wrong sum would hide.
 */
function fcGraph(
  inF: number,
  out: number,
  batches: number,
  weights: Int8Array,
  rand: () => number,
  perChannel: boolean,
  bias: boolean,
  inZp: number,
  extreme = false,
) {
  const wScale = perChannel ? Array.from({ length: out }, () => 0.004 + rand() * 0.002) : 0.004 + rand() * 0.002;
  const accumulator = extreme ? inF * 16384 : Math.sqrt(inF) * 128 * 73;
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, inF], scale: 0.05, zeroPoint: inZp },
      { shape: [out, inF], scale: wScale, data: weights },
      bias ? { shape: [out], dtype: 'int32', data: Int32Array.from({ length: out }, () => randomInt(rand, -100000, 100000)) } : null,
    ],
    [{ shape: [batches, out], scale: (0.05 * 0.005 * accumulator) / (60 + rand() * 60), zeroPoint: randomInt(rand, -30, 30) }],
    { activation: rand() < 0.3 ? 'RELU' : 'NONE', keepNumDims: false },
  );
}

describe('FULLY_CONNECTED Arm DSP: two rows in one halfword', () => {
  it('stores low byte = r_k and int16 lane = r_k + 256 s_k (s_k = -128 under r_k < 0: -127, listed for correction), as many bytes as the model', () => {
    const rand = rng(3);
    let corrected = 0;
    for (let t = 0; t < 250; t++) {
      const rows = randomInt(rand, 4, 13);
      const n = randomInt(rand, 4, 40);
      const w = weightsOf(rand, rows * n, t % 5, n);
      const laid = rowPairsOf4(w, rows, n);
      expect(laid.length).to.equal(w.length);
      const expectedFixes: number[] = [];
      const u8 = new Uint8Array(laid.buffer);
      const whole = n - (n % 4);
      let at = 0;
      for (let r = 0; r + 4 <= rows; r += 4) {
        for (let k = 0; k < whole; k += 4) {
          for (const pr of [r, r + 2]) {
            for (const c of [k, k + 1]) {
              for (const col of [c, c + 2]) {
                const lo = w[pr * n + col]!;
                const s = w[(pr + 1) * n + col]!;
                const misfit = lo < 0 && s === -128;
                if (misfit) expectedFixes.push(r / 4, 2 * col + (pr - r) / 2);
                expect(laid[at], `low byte row ${pr} col ${col}`).to.equal(lo);
                const lane = ((u8[at]! | (u8[at + 1]! << 8)) << 16) >> 16;
                expect(lane, `lane rows ${pr},${pr + 1} col ${col}`).to.equal(lo + 256 * (misfit ? -127 : s));
                at += 2;
              }
            }
          }
        }
        at += 4 * (n - whole);
      }
      // the table lists the misfits block by block (order within a block is free)
      const fixes = pairFixes(w, rows, n);
      if (expectedFixes.length === 0) expect(fixes).to.equal(undefined);
      else {
        corrected++;
        const entries = (a: ArrayLike<number>) => Array.from({ length: a.length / 2 }, (_, i) => `${a[2 * i]}:${a[2 * i + 1]}`);
        const got = entries(fixes!);
        expect(got.pop()).to.equal('-1:0');
        expect([...got].sort()).to.deep.equal(entries(expectedFixes).sort());
        const blocksInOrder = got.map((e) => Number(e.split(':')[0]));
        expect(blocksInOrder).to.deep.equal([...blocksInOrder].sort((a, b) => a - b));
      }
    }
    expect(corrected).to.be.greaterThan(50);
  });

  it('covers every symmetric layer of 4+ rows over 4+ inputs, -128 weights included; a weight zero point keeps the portable C', () => {
    const rand = rng(4);
    const variantOf = (inF: number, rows: number, w: Int8Array) => {
      const { graph, op } = fcGraph(inF, rows, 1, w, rand, false, true, 3);
      return selectVariant(fc, fc.prepare(graph, op) as FullyConnectedParams, DSP).name;
    };
    expect(variantOf(8, 4, randomInt8(rand, 32, -127, 127))).to.equal('arm-dsp row pairs');
    expect(variantOf(8, 4, weightsOf(rand, 32, 4, 8))).to.equal('arm-dsp row pairs');
    // no whole block of rows or no whole word of inputs: fully_connected_dsp.h
    expect(variantOf(3, 4, randomInt8(rand, 12))).to.equal('arm-dsp');
    expect(variantOf(64, 3, randomInt8(rand, 192))).to.equal('arm-dsp');
  });

  it('the C twin is bit-exact with the reference: 1..4096 inputs, 1..300 outputs, extremes', function () {
    const rand = rng(13);
    const cases: CCase[] = [];
    const variants: string[] = [];
    const add = (inF: number, out: number, batches: number, kind: number, input: 'random' | 'min' | 'max' | 'extremes') => {
      const weights = weightsOf(rand, out * inF, kind, inF);
      const extreme = kind !== 0 && kind !== 3 && input !== 'random';
      const { graph, op } = fcGraph(inF, out, batches, weights, rand, rand() < 0.5, rand() < 0.7, input === 'random' ? randomInt(rand, -128, 127) : 0, extreme);
      const n = batches * inF;
      const x =
        input === 'random'
          ? randomInt8(rand, n)
          : input === 'extremes'
            ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127))
            : new Int8Array(n).fill(input === 'min' ? -128 : 127);
      cases.push({ def: fc, graph, op, inputs: [x], isa: DSP });
      variants.push(selectVariant(fc, fc.prepare(graph, op) as FullyConnectedParams, DSP).name);
    };
    // the chunk bound: 4096 columns of r = 127, s = -128 against x = -128 (each column adds 2^14 to s's sum)
    add(4096, 8, 1, 2, 'min');
    add(4096, 6, 2, 1, 'max');
    add(1021, 12, 1, 2, 'extremes');
    add(509, 5, 1, 2, 'min');
    add(508, 4, 1, 2, 'min');
    add(1024, 8, 1, 4, 'max');
    add(333, 9, 2, 4, 'random');
    // the inputs unpacked in scratch (64-128 inputs, 16+ rows): every block tail and column tail; 129 rows past it
    for (const [inF, out] of [
      [64, 16],
      [65, 17],
      [66, 18],
      [67, 19],
      [128, 128],
      [127, 21],
      [126, 20],
      [125, 16],
      [129, 16],
    ] as const)
      add(inF, out, randomInt(rand, 1, 2), randomInt(rand, 0, 4), (['random', 'min', 'max', 'extremes'] as const)[randomInt(rand, 0, 3)]!);
    for (let k = 0; k < 36; k++) {
      // random shapes over the whole range, at most ~150k weights each to keep the C source small
      let inF = randomInt(rand, 1, 4096);
      let out = randomInt(rand, 1, 300);
      while (inF * out > 150000) rand() < 0.5 ? (inF = Math.max(1, inF >> 1)) : (out = Math.max(1, out >> 1));
      add(inF, out, randomInt(rand, 1, 2), k % 5, (['random', 'min', 'max', 'extremes'] as const)[k % 4]!);
    }
    expect(variants.filter((v) => v === 'arm-dsp row pairs').length).to.be.greaterThan(20);
    expectCasesBitExactInC(cases, (c, k) => `${JSON.stringify(c.graph.tensors[1]!.shape)} ${variants[k]}`);
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-pairs-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** FULLY_CONNECTED layers of random shapes (and the chunk-bound extremes) over one input each. */
    function pairsModel(seed: number): Graph {
      const rand = rng(seed);
      const b = new GraphBuilder(`fc_pairs_${seed}`);
      const shapes: [number, number, number][] = [
        [4096, 8, 2],
        [1021, 12, 2],
        [640, 128, 0],
        [509, 7, 1],
        [700, 9, 4],
        // the inputs unpacked in scratch (64-128 inputs, 16+ rows)
        [64, 16, 2],
        [131, 17, 1],
        [126, 18, 4],
        [128, 19, 0],
      ];
      for (let k = 0; k < 8; k++) shapes.push([randomInt(rand, 4, 1500), randomInt(rand, 4, 60), k % 5]);
      /** one layer over x (scale xScale), its output scale keeping typical sums inside int8 */
      const layer = (x: number, xScale: number, n: number, rows: number, kind: number): [number, number] => {
        const perChannel = rows % 2 === 0;
        const ws = perChannel ? Array.from({ length: rows }, () => 0.004 + rand() * 0.002) : [0.004 + rand() * 0.002];
        const accumulator = kind === 1 || kind === 2 ? n * 16384 : Math.sqrt(n) * 128 * 73;
        const w = b.constant({ shape: [rows, n], quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } }, weightsOf(rand, rows * n, kind, n));
        const bias = b.constant(
          { shape: [rows], dtype: 'int32' },
          Int32Array.from({ length: rows }, () => randomInt(rand, -5000, 5000)),
        );
        const scale = (xScale * 0.005 * accumulator) / (60 + rand() * 60);
        const [y] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, rows], q: { scale, zeroPoint: randomInt(rand, -30, 30) } }], {
          activation: 'NONE',
          keepNumDims: false,
        });
        return [y!, scale];
      };
      const input = (n: number, kind: number) => b.input({ shape: [1, n], q: { scale: 0.05, zeroPoint: kind === 2 ? 0 : randomInt(rand, -20, 20) } });
      for (const [n, rows, kind] of shapes) b.output(layer(input(n, kind), 0.05, n, rows, kind)[0]);
      // a chain of unpacked layers, each over the last one's dying output (whose buffer the output may take)
      let [t, tScale] = [input(128, 2), 0.05];
      for (const [n, rows, kind] of [
        [128, 128, 2],
        [128, 64, 1],
        [64, 96, 4],
        [96, 20, 0],
      ] as const)
        [t, tScale] = layer(t, tScale, n, rows, kind);
      b.output(t);
      return b.build();
    }

    for (const [seed, extremes] of [
      [21, true],
      [22, false],
    ] as const) {
      it(`random layers and the chunk bound run bit-exact (seed ${seed}${extremes ? ', inputs -128/127' : ''})`, async () => {
        const graph = pairsModel(seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.match(/2 row pairs per halfword/);
        expect(text).to.match(/tf_fcpx_dsp_\w+\(/);
        await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed, extremes });
      });
    }
  });
});
