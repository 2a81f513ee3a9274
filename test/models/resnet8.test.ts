// SPDX-License-Identifier: Apache-2.0
/**
 * A CIFAR-10 ResNet-8 (test/helpers/resnet_model.ts: residual ADDs, stride-2 stacks with 1x1
 * shortcuts) for the memory planner's branchy case: the arena against the classic live-set floor,
 * the TypeScript reference against TensorFlow Lite Micro, and the generated firmware (the default
 * plan: stack1 and its ADD in row bands) bit-exact on the emulated Cortex-M4 (Arm DSP kernels), RP2040
 * and ESP32-C3 (convolutions over their dying inputs on all three).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { planViolations } from '../../src/core/plan/arena.ts';
import { requireTools } from '../build/helpers.ts';
import { expectExactOnBoard } from '../helpers/emulated_variants.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { resnet8 } from '../helpers/resnet_model.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';

describe('ResNet-8 (CIFAR-10) memory plan and outputs', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-resnet8-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the TS reference equals TensorFlow Lite Micro on random inputs, and the scores differ between inputs', function () {
    if (!tflmRefAvailable(this)) return;
    const graph = resnet8();
    const compiled = compileGraph(graph, 'resnet8.tflite');
    const rand = rng(5);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const input = new Uint8Array(randomInt8(rand, 32 * 32 * 3).buffer);
      const ours = interpret(compiled.prepared, [input]).outputs[0]!;
      const theirs = tflmOutputs(graph, [input])[0]!;
      expect(Array.from(new Int8Array(ours.buffer, ours.byteOffset, ours.length))).to.deep.equal(
        Array.from(new Int8Array(theirs.buffer, theirs.byteOffset, theirs.length)),
      );
      seen.add(Array.from(ours).join(','));
    }
    expect(seen.size).to.equal(3);
  });

  for (const shortcutFirst of [true, false]) {
    for (const target of ['cortex-m4', 'rp2040', 'esp32c3', 'host']) {
      it(`${target}, shortcut ${shortcutFirst ? 'before' : 'after'} the 3x3 convs: a sound plan under the classic live-set floor`, () => {
        const isa = loadTarget(target).isa;
        const whole = compileGraph(resnet8({ shortcutFirst }), 'resnet8.tflite', { isa, patch: 'off' });
        // three 32x32x16 maps live in the first stack's second conv: 49,152 B for whole tensors
        expect(whole.plan.classicFloor).to.equal(49152);
        // the residual ADDs write over a dying input on every target
        expect(whole.plan.overlaps.filter((o) => whole.prepared.layers[o.layer]!.op.kind === 'ADD')).to.have.length(3);
        // the Arm DSP, Armv6-M and RV32 3x3 convolutions write their output rows over input rows
        // already read: two maps and the kernels' scratch (the Cortex-M4's bands of int16 columns,
        // 4,288 B, the most) instead of the floor's three; the portable ones declare no overlap, so
        // there the three maps stay (the classic floor counts no scratch)
        if (target !== 'host') expect(whole.plan.arenaBytes).to.be.at.most(0.76 * whole.plan.classicFloor);
        else expect(whole.plan.arenaBytes).to.be.at.most(whole.plan.classicFloor + whole.plan.scratchBytes);

        // by default, stack1's two 3x3 convs and its ADD run in row bands: the block holds one
        // 32x32x16 map (the skip, the sum over it) plus band buffers
        const compiled = compileGraph(resnet8({ shortcutFirst }), 'resnet8.tflite', { isa });
        const { plan } = compiled;
        expect(planViolations(plan)).to.deep.equal([]);
        expect(plan.classicFloor).to.equal(49152);
        expect(plan.arenaBytes).to.be.at.least(plan.lowerBound);
        const stage = compiled.patch!.stage;
        expect(compiled.patch!.chosenBy).to.equal('default');
        expect(stage.layers.map((b) => b.original.op.kind)).to.deep.equal(['CONV_2D', 'CONV_2D']);
        expect(stage.add).to.not.equal(undefined);
        expect(plan.overlaps.filter((o) => compiled.prepared.layers[o.layer]!.op.kind === 'ADD')).to.have.length(2);
        expect(whole.plan.arenaBytes - plan.arenaBytes).to.be.at.least(0.1 * whole.plan.arenaBytes);
        expect(stage.extraInstructions).to.be.at.most(0.05 * compiled.patch!.modelInstructions);
        // 0.6x TFLite Micro's 54,996 B is 32,997 B (the stack comes on top: 300-450 B); the Cortex-M4's
        // bands of int16 columns take 28,480 B of it
        if (target !== 'host') expect(plan.arenaBytes).to.be.at.most(0.6 * 54_996);
        else expect(plan.arenaBytes).to.be.at.most(whole.plan.arenaBytes);
      });
    }
  }

  const boards: [string, string, string[]][] = [
    ['cortex-m4', 'qemu-mps2-an386', ['arm-none-eabi-gcc', 'qemu-system-arm']],
    ['rp2040', 'rp2040js', ['arm-none-eabi-gcc']],
    ['esp32c3', 'qemu-riscv32-virt', ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32']],
  ];
  for (const [target, board, tools] of boards) {
    it(`${target} (${board}): bit-exact with the reference`, async function () {
      requireTools(this, tools);
      const graph = resnet8();
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 17 });
    });
  }
});
