// SPDX-License-Identifier: Apache-2.0
/**
 * A keyword-spotting DS-CNN of the MLPerf Tiny class (test/helpers/kws_model.ts: CONV_2D 10x4 stride 2,
 * four depthwise-separable blocks, AVERAGE_POOL_2D, FULLY_CONNECTED 64 -> 12, SOFTMAX) on the
 * emulated Cortex-M4 (Arm DSP kernels) and RP2040 (Armv6-M kernels), bit-exact with the TypeScript
 * reference. Its 12-row FC once failed to build for the DSP targets (fully_connected_dsp.h).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { requireTools } from '../build/helpers.ts';
import { expectExactOnBoard } from '../helpers/emulated_variants.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';

describe('KWS DS-CNN on the emulated boards', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-kws-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the model is not degenerate: its scores differ between inputs', () => {
    const graph = kwsDsCnn();
    const compiled = compileGraph(graph, 'kws_ds_cnn.tflite');
    const rand = rng(3);
    const outs = [0, 1, 2].map(() => Array.from(interpret(compiled.prepared, [new Uint8Array(randomInt8(rand, 490).buffer)]).outputs[0]!));
    expect(new Set(outs.map((o) => o.join(','))).size).to.equal(3);
    expect(new Set(outs[0]).size).to.be.greaterThan(1);
  });

  const boards: [string, string, string[]][] = [
    ['cortex-m4', 'qemu-mps2-an386', ['qemu-system-arm']],
    ['rp2040', 'rp2040js', []],
  ];
  for (const [target, board, tools] of boards) {
    it(`${target} (${board}): bit-exact`, async function () {
      requireTools(this, tools);
      const graph = kwsDsCnn();
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      if (target === 'cortex-m4') expect(text).to.match(/FULLY_CONNECTED .*Arm DSP: streaming/);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 21 });
    });
  }
});
