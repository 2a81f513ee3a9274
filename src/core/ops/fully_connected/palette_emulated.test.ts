// SPDX-License-Identifier: Apache-2.0
/**
 * Palette (LUT) weight kernels on the emulated Cortex-M4 and RP2040: a model of a 3x3 CONV_2D, a 1x1
 * CONV_2D and a FULLY_CONNECTED whose weights draw from 2^b values per channel (b = 3, 2, 5),
 * cross-compiled for the target and bit-exact with the TypeScript reference. The host tests run the
 * same C on many random layers; this checks the target build picks the palette variants and agrees.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { paletteWeights } from '../../../../test/helpers/palette_cases.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';

function paletteModel(name: string, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const scales = (n: number) => Array.from({ length: n }, () => 0.002 + rand() * 0.004);
  const bias = (n: number) =>
    b.constant(
      { shape: [n], dtype: 'int32' },
      Int32Array.from({ length: n }, () => randomInt(rand, -3000, 3000)),
    );
  const weights = (shape: number[], bits: number) => {
    const s = scales(shape[0]!);
    const rows = shape[0]!;
    const columns = shape.slice(1).reduce((x, y) => x * y, 1);
    return b.constant({ shape, quant: { scale: s, zeroPoint: s.map(() => 0), axis: 0 } }, paletteWeights(rand, rows, columns, bits, true));
  };
  const conv = { padding: 'SAME' as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' as const };
  const x = b.input({ shape: [1, 6, 6, 8], q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  const [c1] = b.op('CONV_2D', [x, weights([12, 3, 3, 8], 3), bias(12)], [{ shape: [1, 6, 6, 12], q: { scale: 0.1, zeroPoint: -20 } }], conv);
  const [c2] = b.op('CONV_2D', [c1!, weights([16, 1, 1, 12], 2), bias(16)], [{ shape: [1, 6, 6, 16], q: { scale: 0.1, zeroPoint: 3 } }], conv);
  const [flat] = b.op('RESHAPE', [c2!, b.ints([1, 576])], [{ shape: [1, 576], q: { scale: 0.1, zeroPoint: 3 } }], { newShape: [1, 576] });
  const [fc] = b.op('FULLY_CONNECTED', [flat!, weights([10, 576], 5), bias(10)], [{ shape: [1, 10], q: { scale: 0.3, zeroPoint: 0 } }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(c1!, fc!);
  return b.build();
}

const BOARDS = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], variant: 'arm-dsp palette' },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'], variant: 'armv6m palette' },
];

for (const { target, board, tools, variant } of BOARDS) {
  describe(`palette (LUT) weights on the emulated ${target} (${board})`, function () {
    preferInSuite('size', { entropy: false, int4: false });
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-palette-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    it('3x3 and 1x1 CONV_2D and FULLY_CONNECTED with b = 3, 2, 5 palettes: the palette kernels, bit-exact', async () => {
      const graph = paletteModel(`palette_${target.replace(/-/g, '_')}`, 31);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { ...suiteChoices(), isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text.split(`(${variant})`).length - 1).to.equal(3);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 5 });
    });
  });
}
