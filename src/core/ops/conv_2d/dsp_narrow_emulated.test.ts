// SPDX-License-Identifier: Apache-2.0
/**
 * The narrow 1x1 DSP variant (conv_2d_dsp_narrow.h) on the emulated Cortex-M4 (QEMU mps2-an386),
 * Cortex-M7 (mps2-an500) and Cortex-M33 (mps2-an505), where its LDM and unaligned word reads run:
 * random chains of 1x1 layers over 1..8 input channels (every record length, odd and non-multiple
 * of 4 output channels, batches, per-channel scales with left and right shifts, exact and FAST
 * requantization, clamps), each chain's layers placed by the planner (outputs over dying inputs),
 * bit-exact with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** A chain of random narrow 1x1 layers (every layer's output a model output, so each is checked). */
function narrowChain(name: string, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const n = randomInt(rand, 1, 2);
  const h = randomInt(rand, 2, 9);
  const w = randomInt(rand, 2, 9);
  let c = randomInt(rand, 1, 8);
  let scale = 0.05;
  let x = b.input({ shape: [n, h, w, c], q: { scale, zeroPoint: randomInt(rand, -30, 30) }, name: 'x' });
  const outs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const outC = i === 5 ? randomInt(rand, 9, 64) : randomInt(rand, 1, 8);
    const perChannel = rand() < 0.7;
    const scales = Array.from({ length: perChannel ? outC : 1 }, () => 0.002 + rand() * 0.02);
    const filter = b.constant(
      { shape: [outC, 1, 1, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, outC * c, -127, 127),
    );
    const huge = rand() < 0.2;
    const bias = b.constant(
      { shape: [outC], dtype: 'int32' },
      Int32Array.from({ length: outC }, () => randomInt(rand, huge ? -2e9 : -3000, huge ? 2e9 : 3000)),
    );
    // multipliers from ~1/60 to ~4: right and left shifts
    const outScale = scale * scales[0]! * 2 ** (rand() * 8 - 2);
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [n, h, w, outC], q: { scale: outScale, zeroPoint: randomInt(rand, -20, 20) } }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
    });
    outs.push(y!);
    x = y!;
    c = outC;
    scale = outScale;
  }
  b.output(...outs);
  return b.build();
}

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };
const SEEDS = [31, 32, 33];

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`CONV_2D DSP narrow 1x1 variant on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-narrow-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const seed of SEEDS) {
      it(`random chain ${seed} of narrow 1x1 layers`, async () => {
        const graph = narrowChain(`dsp_narrow_${seed}`, seed);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.match(/Arm DSP: narrow 1x1/);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed });
      });
    }
  });
}
