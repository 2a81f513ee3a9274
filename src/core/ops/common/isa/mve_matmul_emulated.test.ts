// SPDX-License-Identifier: Apache-2.0
/**
 * The MVE matrix product (mve_matmul.ts) behind CONV_2D and FULLY_CONNECTED on the emulated
 * Cortex-M55 (QEMU mps3-an547), where its inline assembly and intrinsics run: generated sweeps of
 * layers, each over its own input, bit-exact with the TypeScript reference. K covers every tail
 * K mod 16 (and K < 16), channel counts every remainder mod 4 and mod 8, pixel counts odd and even,
 * per-tensor and per-channel scales (some shifting left), sums near the int32 ends (saturated
 * outputs), RELU / RELU6 / NONE, odd zero points, legacy
 * weight zero points, and the im2col shapes (k x k, strides, SAME padding, dilation, 2 groups).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { Graph } from '../../../ir/graph.ts';
import { loadTarget } from '../../../targets/targets.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { rng } from '../../../../../test/helpers/op_harness.ts';
import { mveConvModel, mveFcModel, mveFcSweep, mveIm2colSweep, mvePointwiseSweep } from '../../../../../test/helpers/mve_matmul_models.ts';

const TARGET = 'cortex-m55';
const BOARD = 'qemu-mps3-an547';

const MODELS: { graph: Graph; note: string }[] = [
  {
    note: 'FULLY_CONNECTED: K = 16q + t for t = 0..15, 1-19 outputs, 1-5 batches, legacy weight zero points',
    graph: (() => {
      const rand = rng(31);
      return mveFcModel('mve_fc', rand, [
        ...mveFcSweep(rand),
        { batches: 1, inF: 50, outF: 10, weightZeroPoint: 3 },
        { batches: 2, inF: 33, outF: 7, weightZeroPoint: -5, activation: 'RELU' },
        { batches: 1, inF: 256, outF: 21, perChannel: true },
      ]);
    })(),
  },
  {
    note: '1x1 CONV_2D over 1-40 channels, 1-13 outputs, odd pixel counts, batches, a lone full-window pixel',
    graph: (() => {
      const rand = rng(32);
      return mveConvModel('mve_pw', rand, [
        ...mvePointwiseSweep(rand),
        { input: [1, 3, 3, 7], outC: 9, k: 3, perChannel: true },
        { input: [1, 3, 5, 40], outC: 6, huge: true },
        { input: [1, 2, 3, 21], outC: 9, huge: true, perChannel: true, activation: 'RELU' },
      ]);
    })(),
  },
  {
    note: 'im2col: k x k, strided, SAME and VALID, dilated, 2 groups',
    graph: (() => {
      const rand = rng(33);
      return mveConvModel('mve_im2col', rand, mveIm2colSweep(rand));
    })(),
  },
];

describe(`MVE matrix product (CONV_2D, FULLY_CONNECTED) on the emulated board ${BOARD}`, function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-mve-matmul-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { graph, note } of MODELS) {
    it(`${graph.name}: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(TARGET).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      // every layer on the MVE kernel
      expect(text.match(/\(Arm MVE: /g) ?? []).to.have.length(graph.ops.length);
      await expectExactOnBoard(graph, compiled, { target: TARGET, board: BOARD, dir, seed: 5 });
    });
  }
});
