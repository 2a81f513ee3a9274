// SPDX-License-Identifier: Apache-2.0
/**
 * Residual ADDs run inside row-band stages (plan/patch.ts, fusableAdd) on GENERATED residual blocks:
 * a random stem convolution, then 1-3 shape-keeping CONV_2D / DEPTHWISE_CONV_2D layers (kernels
 * 1/3/5, dilation 1/2, random activations and zero points) whose output is ADDed to the block's input
 * (either operand order, random output quantization and activation), then a convolution after the
 * block. The stage's output lies over its dying skip input: the compiled C must still equal the
 * whole-tensor reference, and that reference TFLite Micro, on the host under ASan+UBSan and on the
 * emulated Cortex-M4 (DSP kernels), RP2040 (Armv6-M kernels, the ADD's table variant) and ESP32-C3.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { PATCH_STAGE, type PatchStageParams } from '../../src/core/ops/patch_stage/index.ts';
import { applyPatch, fusableAdd } from '../../src/core/plan/patch.ts';
import { planWithPatch } from '../../src/core/plan/patch_policy.ts';
import { planMemory } from '../../src/core/plan/schedule.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../helpers/op_harness.ts';
import { resnet8 } from '../helpers/resnet_model.ts';
import { requireTools } from '../build/helpers.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { patchOption } from '../../src/face/cli/device-options.ts';

interface Block {
  graph: Graph;
  /** execution position and length of the block's convolutions */
  start: number;
  length: number;
  h: number;
}

function randomBlock(seed: number): Block {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const b = new GraphBuilder(`residual${seed}`);
  const h = randomInt(rand, 5, 20);
  const w = randomInt(rand, 2, 12);
  // even seeds: 16 channels, so band rows are 16-byte aligned and the stage may cache rows
  const c = seed % 2 === 0 ? 16 : pick([2, 3, 4, 8, 16]);
  const quant = () => ({ scale: 0.02 + rand() * 0.05, zeroPoint: randomInt(rand, -100, 100) });
  const conv = (x: number, inC: number, outC: number, depthwise: boolean, k: number, dilation: number, inScale: number) => {
    const inPerFilter = depthwise ? 1 : inC;
    const scales = Array.from({ length: outC }, () => 0.002 + rand() * 0.01);
    const filter = b.constant(
      { shape: depthwise ? [1, k, k, outC] : [outC, k, k, inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: depthwise ? 3 : 0 } },
      randomInt8(rand, outC * k * k * inPerFilter, -127, 127),
    );
    const bias = b.constant(
      { shape: [outC], dtype: 'int32', quant: { scale: scales.map((s) => s * inScale), zeroPoint: scales.map(() => 0), axis: 0 } },
      Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)),
    );
    const q = { scale: inScale * 0.01 * Math.sqrt(k * k * inPerFilter) * 40 + 0.01, zeroPoint: randomInt(rand, -60, 60) };
    const attrs = {
      padding: 'SAME' as const,
      strideH: 1,
      strideW: 1,
      dilationH: dilation,
      dilationW: dilation,
      activation: pick(['NONE', 'RELU', 'RELU6'] as const),
      ...(depthwise ? { depthMultiplier: 1 } : {}),
    };
    return { tensor: b.op(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [x, filter, bias], [{ shape: [1, h, w, outC], q }], attrs)[0]!, q };
  };
  const inQ = quant();
  const input = b.input({ shape: [1, h, w, 3], q: inQ });
  // the stem: the block's input is an activation the stage may overwrite, not the model's input
  const stem = conv(input, 3, c, false, pick([1, 3]), 1, inQ.scale);
  const length = randomInt(rand, 1, 3);
  let y = stem;
  for (let i = 0; i < length; i++) {
    const depthwise = rand() < 0.4;
    const k = pick([1, 3, 3, 5]);
    y = conv(y.tensor, c, c, depthwise, k, k > 1 && rand() < 0.2 ? 2 : 1, y.q.scale);
  }
  const operands = rand() < 0.5 ? [stem.tensor, y.tensor] : [y.tensor, stem.tensor];
  const outQ = { scale: Math.max(stem.q.scale, y.q.scale) * (1 + rand()), zeroPoint: randomInt(rand, -100, 100) };
  const sum = b.op('ADD', operands, [{ shape: [1, h, w, c], q: outQ }], { activation: pick(['NONE', 'RELU', 'RELU6'] as const) })[0]!;
  const head = conv(sum, c, 4, false, 1, 1, outQ.scale);
  b.output(head.tensor);
  return { graph: b.build(), start: 1, length, h };
}

function inputCases(graph: Graph, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  return [0, 1].map(() =>
    graph.inputs.map((i) => {
      const n = graph.tensors[i]!.shape.reduce((a, d) => a * d, 1);
      return new Uint8Array(randomInt8(rand, n).buffer);
    }),
  );
}

const bandsOf = (block: Block, seed: number) => randomInt(rng(seed * 7), 1, block.h);

describe('residual ADDs in row-band stages (plan/patch.ts fusableAdd)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-residual-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the stage takes the ADD in, its output lies over the dying skip, and the block never holds a second whole tensor', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const block = randomBlock(seed);
      const prepared = prepareGraph(block.graph, block.graph.name);
      const addAt = fusableAdd(prepared, block.start, block.length);
      expect(addAt, `seed ${seed}`).to.equal(block.start + block.length);
      const staged = applyPatch(prepared, { start: block.start, length: block.length, tileRows: bandsOf(block, seed), add: true });
      expect(staged.layers.map((l) => l.op.kind)).to.deep.equal(['CONV_2D', PATCH_STAGE, 'CONV_2D']);
      const stage = staged.layers[1]!;
      expect((stage.params as PatchStageParams).add?.original.op.kind).to.equal('ADD');
      expect(stage.op.outputs).to.deep.equal(prepared.layers[addAt!]!.op.outputs);
      const plan = planMemory(staged).plan;
      // at the stage: the skip and the sum share bytes (the overlap), beside them only band buffers
      expect(plan.overlaps.some((o) => o.layer === 1)).to.equal(true);
      const stageScratch = plan.buffers.find((x) => x.scratchOf === 1)?.bytes ?? 0;
      const skipBytes = block.graph.tensors[stage.op.inputs[0]!]!.shape.reduce((a, d) => a * d, 1);
      const gap = plan.overlaps.find((o) => o.layer === 1)!.gap;
      expect(plan.lowerBound, `seed ${seed}`).to.be.at.most(Math.max(planMemory(prepared).plan.lowerBound, skipBytes + gap + stageScratch + 64));
    }
    // a chain whose output is read elsewhere, or an ADD of other operands, is not fused
    const chain = prepareGraph(resnet8(), 'resnet8', { dsp: true });
    expect(fusableAdd(chain, 0, 1)).to.equal(undefined);
    expect(fusableAdd(chain, 1, 1)).to.equal(undefined);
    expect(fusableAdd(chain, 1, 2)).to.equal(3);
  });

  it('the C of generated residual blocks in random bands equals the whole-tensor reference and TFLite Micro on the host (ASan+UBSan)', async function () {
    for (let seed = 1; seed <= 6; seed++) {
      const block = randomBlock(seed);
      const tileRows = bandsOf(block, seed);
      const path = join(dir, `residual${seed}.tflite`);
      saveTflite(path, block.graph);
      const cases = inputCases(block.graph, seed);
      const whole = compileGraph(block.graph, 'whole', { patch: 'off' });
      const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
      if (tflmRefAvailable()) {
        const tflm = cases.map((c) => tflmOutputs(block.graph, c).map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
        expect(tflm, `seed ${seed}: the reference vs TFLite Micro`).to.deep.equal(expected);
      }
      const patch = { start: block.start, length: block.length, tileRows, add: true, cache: true };
      const report = await runModel(path, { target: 'host', cases, sanitize: true, patch });
      expect(
        report.cases.map((c) => c.outputs),
        `seed ${seed}, ${block.length} layers + ADD, bands of ${tileRows} rows`,
      ).to.deep.equal(expected);
    }
  });

  for (const [target, seeds] of [
    ['cortex-m4', [31, 32]],
    ['rp2040', [33]],
    ['esp32c3', [34]],
  ] as const) {
    it(`the same on the emulated ${target}`, async function () {
      const tools = {
        'cortex-m4': ['arm-none-eabi-gcc', 'qemu-system-arm'],
        rp2040: ['arm-none-eabi-gcc'],
        esp32c3: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'],
      };
      requireTools(this, tools[target]);
      for (const seed of seeds) {
        const block = randomBlock(seed);
        const tileRows = bandsOf(block, seed);
        const path = join(dir, `residual${seed}_${target}.tflite`);
        saveTflite(path, block.graph);
        const cases = inputCases(block.graph, seed);
        const whole = compileGraph(block.graph, 'whole', { patch: 'off' });
        const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
        const report = await runModel(path, { target, cases, patch: { start: block.start, length: block.length, tileRows, add: true, cache: seed % 2 === 0 } });
        expect(
          report.cases.map((c) => c.outputs),
          `seed ${seed}, bands of ${tileRows} rows`,
        ).to.deep.equal(expected);
      }
    });
  }

  it('--patch START:LENGTH:ROWS takes :add and :cache, in that order', () => {
    expect(patchOption('1:2:4')).to.deep.equal({ start: 1, length: 2, tileRows: 4 });
    expect(patchOption('1:2:4:add')).to.deep.equal({ start: 1, length: 2, tileRows: 4, add: true });
    expect(patchOption('1:2:4:add:cache')).to.deep.equal({ start: 1, length: 2, tileRows: 4, add: true, cache: true });
    expect(patchOption('0:3:2:cache')).to.deep.equal({ start: 0, length: 3, tileRows: 2, cache: true });
    expect(() => patchOption('1:2:4:cache:add')).to.throw(/START:LENGTH:ROWS\[:add\]\[:cache\]/);
  });

  it('ResNet-8 on the M4: auto runs stack1 with its ADD in bands and plans under 0.6x the classic live-set floor', () => {
    const prepared = prepareGraph(resnet8(), 'resnet8', { dsp: true });
    const off = planWithPatch(prepared, 'off');
    const auto = planWithPatch(prepared, 'auto');
    const stage = auto.stage?.params as PatchStageParams | undefined;
    expect(stage?.add?.original.op.kind).to.equal('ADD');
    expect(auto.plan.classicFloor).to.equal(off.plan.classicFloor);
    expect(auto.plan.arenaBytes).to.be.below(0.6 * off.plan.classicFloor);
    expect(auto.plan.arenaBytes).to.be.below(off.plan.arenaBytes - 8000);
    // rows consecutive bands share are cached: the stage computes about two rows of conv1 again
    expect(stage!.extraMacs).to.be.below(0.015 * prepared.layers.reduce((n, l) => n + l.macs, 0));
  });
});
