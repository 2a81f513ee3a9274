// SPDX-License-Identifier: Apache-2.0
/**
 * Row-band stages (plan/patch.ts) on GENERATED convolution chains: random CONV_2D / DEPTHWISE_CONV_2D
 * stacks (kernels 1/3/5, strides 1/2, dilation 1/2, SAME/VALID, channel counts, non-zero zero points
 * so materialised padding rows matter), run in random band heights. The compiled C with the stage
 * must give the outputs of the reference WITHOUT it (whole tensors), on the host under ASan+UBSan
 * and on the emulated Cortex-M4 (DSP kernels) and RP2040 (Armv6-M kernels).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { DEFAULT_MAX_EXTRA_INSTRUCTIONS, DEFAULT_MIN_ARENA_SAVING, DEFAULT_MIN_RAM_SHARE, planWithPatch } from '../../src/core/plan/patch_policy.ts';
import { applyPatch, patchableChain } from '../../src/core/plan/patch.ts';
import { PATCH_STAGE, type PatchStageParams } from '../../src/core/ops/patch_stage/index.ts';
import { mergeBandInstances } from '../../src/core/ops/patch_stage/merge.ts';
import { type Field, type LayerCode, printLayer } from '../../src/core/ops/layer_code.ts';
import { planArena } from '../../src/core/plan/arena.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { loadTarget, smallestPartRam } from '../../src/core/targets/targets.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../helpers/op_harness.ts';
import { resnet8 } from '../helpers/resnet_model.ts';
import { int4SmallNet } from '../helpers/int4_models.ts';
import { mobileNet } from '../helpers/mobilenet_model.ts';
import { requireTools } from '../build/helpers.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

interface Chain {
  graph: Graph;
  layers: number;
  outH: number;
}

/**
 * A random chain of 2-4 int8 convolutions on a random image; the last layer's output is the model's.
 * `aligned`: 16 or 32 channels everywhere, so every band row is 16-byte aligned and bands may cache rows.
 */
function randomChain(seed: number, aligned = false): Chain {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const b = new GraphBuilder(`chain${seed}`);
  let h = randomInt(rand, 6, 24);
  let w = randomInt(rand, 3, 14);
  let c = aligned ? 16 : pick([1, 2, 3, 4, 8]);
  let q = { scale: 0.02 + rand() * 0.05, zeroPoint: randomInt(rand, -100, 100) };
  let x = b.input({ shape: [1, h, w, c], q });
  const layers = randomInt(rand, 2, 4);
  let made = 0;
  for (let i = 0; i < layers; i++) {
    const depthwise = rand() < 0.5;
    const k = pick([1, 3, 3, 5]);
    const stride = pick([1, 1, 2]);
    const dilation = k > 1 && rand() < 0.2 ? 2 : 1;
    const padding = pick(['SAME', 'SAME', 'VALID'] as const);
    const oh = outputSize(padding, h, k, stride, dilation);
    const ow = outputSize(padding, w, k, stride, dilation);
    if (oh < 2 || ow < 1) continue;
    const multiplier = depthwise && !(aligned && c > 16) ? pick([1, 1, 2]) : 1;
    const outC = depthwise ? c * multiplier : aligned ? pick([16, 32]) : pick([1, 3, 4, 8, 16]);
    const inPerFilter = depthwise ? 1 : c;
    const scales = Array.from({ length: outC }, () => 0.002 + rand() * 0.01);
    const filterShape = depthwise ? [1, k, k, outC] : [outC, k, k, c];
    const filter = b.constant(
      { shape: filterShape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: depthwise ? 3 : 0 } },
      randomInt8(rand, outC * k * k * inPerFilter, -127, 127),
    );
    const bias = b.constant(
      { shape: [outC], dtype: 'int32', quant: { scale: scales.map((s) => s * q.scale), zeroPoint: scales.map(() => 0), axis: 0 } },
      Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)),
    );
    const outQ = { scale: q.scale * 0.01 * Math.sqrt(k * k * inPerFilter) * 40 + 0.01, zeroPoint: randomInt(rand, -60, 60) };
    const attrs = {
      padding,
      strideH: stride,
      strideW: stride,
      dilationH: dilation,
      dilationW: dilation,
      activation: pick(['NONE', 'RELU', 'RELU6'] as const),
      ...(depthwise ? { depthMultiplier: multiplier } : {}),
    };
    x = b.op(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [x, filter, bias], [{ shape: [1, oh, ow, outC], q: outQ }], attrs)[0]!;
    [h, w, c, q] = [oh, ow, outC, outQ];
    made++;
  }
  if (made < 2) return randomChain(seed + 1000, aligned);
  b.output(x);
  return { graph: b.build(), layers: made, outH: h };
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

describe('row-band patch stages (plan/patch.ts)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-patch-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a band stage covers whole generated chains and leaves only their input and output in the arena', () => {
    const paths = { overlapped: 0, outputBuffer: 0, inPlace: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      const chain = randomChain(seed);
      const prepared = prepareGraph(chain.graph, chain.graph.name);
      expect(patchableChain(prepared, 0), `seed ${seed}`).to.equal(chain.layers);
      const staged = applyPatch(prepared, { start: 0, length: chain.layers, tileRows: 1 });
      expect(staged.layers.map((l) => l.op.kind)).to.deep.equal([PATCH_STAGE]);
      const p = staged.layers[0]!.params as PatchStageParams;
      expect(p.bands).to.equal(chain.outH);
      // (extraMacs may be negative: rows a strided layer below never reads are not computed in bands)
      expect(p.macs).to.equal(prepared.layers.reduce((n, l) => n + l.macs, 0));
      // the arena holds the chain's input, its output and the band buffers: never a whole intermediate
      const plan = planArena(staged);
      expect(plan.tensorOffset.size).to.equal(2);
      if (plan.overlaps.length > 0) paths.overlapped++;
      if (p.outputBuffer !== undefined) paths.outputBuffer++;
      else paths.inPlace++;
    }
    // the draw covers each path of the emitted stage: output over its input, output rows via a buffer or in place
    expect(
      Object.values(paths).every((n) => n > 0),
      JSON.stringify(paths),
    ).to.equal(true);
  });

  it('the C of generated chains run in random bands equals the whole-tensor reference on the host (ASan+UBSan)', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const chain = randomChain(seed);
      const rand = rng(seed * 7);
      const tileRows = randomInt(rand, 1, chain.outH);
      const path = join(dir, `chain${seed}.tflite`);
      saveTflite(path, chain.graph);
      const cases = inputCases(chain.graph, seed);
      const whole = compileGraph(chain.graph, 'whole', { patch: 'off' });
      const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
      const report = await runModel(path, { target: 'host', cases, sanitize: true, patch: { start: 0, length: chain.layers, tileRows } });
      expect(
        report.cases.map((c) => c.outputs),
        `seed ${seed}, ${chain.layers} layers, bands of ${tileRows} rows`,
      ).to.deep.equal(expected);
    }
  });

  it('cached bands (rows consecutive bands share kept, not recomputed) of generated 16-channel chains equal the reference on the host (ASan+UBSan)', async () => {
    let steady = 0;
    for (let seed = 41; seed <= 48; seed++) {
      const chain = randomChain(seed, true);
      const rand = rng(seed * 7);
      const tileRows = randomInt(rand, 1, Math.max(1, chain.outH - 1));
      const path = join(dir, `cached${seed}.tflite`);
      saveTflite(path, chain.graph);
      const cases = inputCases(chain.graph, seed);
      const whole = compileGraph(chain.graph, 'whole', { patch: 'off' });
      const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
      const choice = { start: 0, length: chain.layers, tileRows, cache: true };
      const p = applyPatch(prepareGraph(chain.graph, chain.graph.name), choice).layers[0]!.params as PatchStageParams;
      // the cached stage computes no more than the one recomputing halos
      const uncached = applyPatch(prepareGraph(chain.graph, chain.graph.name), { ...choice, cache: false }).layers[0]!.params as PatchStageParams;
      expect(p.extraMacs).to.be.at.most(uncached.extraMacs);
      if (p.layers.some((b) => b.steady)) steady++;
      const report = await runModel(path, { target: 'host', cases, sanitize: true, patch: choice });
      expect(
        report.cases.map((c) => c.outputs),
        `seed ${seed}, ${chain.layers} layers, cached bands of ${tileRows} rows`,
      ).to.deep.equal(expected);
    }
    expect(steady).to.be.at.least(4);
  });

  for (const [target, seeds] of [
    ['cortex-m4', [11, 12, 13]],
    ['rp2040', [14, 15]],
    ['esp32c3', [16]],
  ] as const) {
    it(`the same on the emulated ${target} (its own kernel variants on band geometry)`, async function () {
      const tools = {
        'cortex-m4': ['arm-none-eabi-gcc', 'qemu-system-arm'],
        rp2040: ['arm-none-eabi-gcc'],
        esp32c3: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'],
      };
      requireTools(this, tools[target]);
      for (const seed of seeds) {
        const chain = randomChain(seed);
        const rand = rng(seed * 7);
        const tileRows = randomInt(rand, 1, chain.outH);
        const path = join(dir, `chain${seed}_${target}.tflite`);
        saveTflite(path, chain.graph);
        const cases = inputCases(chain.graph, seed);
        const whole = compileGraph(chain.graph, 'whole', { patch: 'off' });
        const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
        const report = await runModel(path, { target, cases, patch: { start: 0, length: chain.layers, tileRows }, estimate: false });
        expect(
          report.cases.map((c) => c.outputs),
          `seed ${seed}, bands of ${tileRows} rows`,
        ).to.deep.equal(expected);
      }
      // and one 16-channel chain in cached bands (the family kernels from row offsets in band buffers)
      const seed = seeds[0] + 40;
      const chain = randomChain(seed, true);
      const tileRows = randomInt(rng(seed * 7), 1, Math.max(1, chain.outH - 1));
      const path = join(dir, `cached${seed}_${target}.tflite`);
      saveTflite(path, chain.graph);
      const cases = inputCases(chain.graph, seed);
      const whole = compileGraph(chain.graph, 'whole', { patch: 'off' });
      const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
      const report = await runModel(path, { target, cases, patch: { start: 0, length: chain.layers, tileRows, cache: true }, estimate: false });
      expect(
        report.cases.map((c) => c.outputs),
        `seed ${seed}, cached bands of ${tileRows} rows`,
      ).to.deep.equal(expected);
    });
  }

  it('profile and validate build the banded plan they are given (emulated M4, through the CLI); --reference and images refuse it', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const chain = randomChain(21);
    const path = join(dir, 'chain21_cli.tflite');
    saveTflite(path, chain.graph);
    const tileRows = Math.max(1, Math.floor(chain.outH / 3));
    const patch = `0:${chain.layers}:${tileRows}`;
    const banded = compileGraph(chain.graph, 'banded', { isa: loadTarget('cortex-m4').isa, patch: { start: 0, length: chain.layers, tileRows } });
    const profile = tinyforge(['profile', path, '--target', 'cortex-m4', '--patch', patch, '--json']);
    expect(profile.status, profile.stderr).to.equal(0);
    const p = JSON.parse(profile.stdout) as { matchesReference: boolean; layers: { op: string }[]; memory: { arena: number } };
    expect(p.matchesReference).to.equal(true);
    expect(p.layers[0]!.op).to.equal(PATCH_STAGE);
    expect(p.memory.arena).to.equal(banded.plan.arenaBytes);
    const inputs = join(dir, 'chain21_inputs.bin');
    writeFileSync(inputs, Buffer.concat(inputCases(chain.graph, 21).flat()));
    const validate = tinyforge(['validate', path, '--target', 'cortex-m4', '--inputs', inputs, '--patch', patch, '--json']);
    expect(validate.status, validate.stderr).to.equal(0);
    const v = JSON.parse(validate.stdout) as { matched: number; total: number; memory: { arena: number } };
    expect([v.matched, v.total]).to.deep.equal([2, 2]);
    expect(v.memory.arena).to.equal(banded.plan.arenaBytes);
    const reference = tinyforge(['validate', path, '--reference', dir, '--patch', 'auto']);
    expect(reference.status).to.not.equal(0);
    expect(reference.stderr.trim().split('\n')).to.have.length(1);
    expect(reference.stderr).to.match(/--reference reads every layer's whole output .* drop --max-ram, --max-flash and --patch/);
    const image = tinyforge(['flash', inputs, '--target', 'cortex-m4', '--patch', 'auto']);
    expect(image.status).to.not.equal(0);
    expect(image.stderr).to.match(
      /chain21_inputs\.bin: --max-ram, --max-flash, --patch, --prefer and the kernel-choice flags shape a model's build here; an image is flashed as it is/,
    );
    const choice = tinyforge(['flash', inputs, '--target', 'cortex-m4', '--no-entropy']);
    expect(choice.status).to.not.equal(0);
    expect(choice.stderr).to.match(/chain21_inputs\.bin: .* the kernel-choice flags shape a model's build here/);
  });

  it("a layer's band and steady instances merge into one function taking steady: differing arguments as steady ? a : b, differing struct fields patched on a copy", () => {
    const instance = (fnName: string, inH: number, at: number, n: number, more: Field[] = [{ name: 'k_h', value: '3' }], callee = 'kernel'): LayerCode => ({
      comment: ['/* a comment */'],
      fnName,
      decls: [
        { ctype: 'tf_rq_t', name: 'rq', init: '{ .out_zp = -128, .act_min = -128, .act_max = 127 }' },
        {
          ctype: 'tf_g_t',
          name: 'geom',
          init: [
            {
              fields: [
                { name: 'in_h', value: `${inH}` },
                { name: 'in_w', value: '96' },
              ],
            },
            { fields: more },
          ],
        },
      ],
      body: [{ comment: ['/* a note */'] }, { callee, args: [`src + ${at}`, '1', { addressOf: 'geom' }, `${n}`, { addressOf: 'rq' }] }],
    });
    const merged = printLayer(mergeBandInstances(instance('f_band0', 15, 0, 240), instance('f_band0s', 9, 576, 192))!);
    expect(merged).to.contain('/* a comment */\nstatic __attribute__((noinline)) void f_band0(int steady) {');
    expect(merged).to.contain('  tf_g_t geom_v = geom;\n  if (steady) {\n    geom_v.in_h = 9;\n  }');
    expect(merged).to.contain('  kernel((steady ? src + 576 : src + 0), 1, &geom_v, (steady ? 192 : 240), &rq);');
    expect(merged.match(/static const tf_rq_t/g)?.length).to.equal(1);
    // a differing field inside a nested initializer, other statements, or another callee: no merge
    // (the stage keeps both functions)
    const nested = (fnName: string, pixels: number) =>
      instance(fnName, 15, 0, 240, [
        {
          name: 'pw',
          value: [
            { name: 'pixels', value: `${pixels}` },
            { name: 'k', value: '9' },
          ],
        },
      ]);
    expect(mergeBandInstances(nested('f_band0', 128), nested('f_band0s', 64))).to.equal(undefined);
    expect(mergeBandInstances(instance('f_band0', 15, 0, 240), instance('f_band0s', 9, 576, 192, undefined, 'other'))).to.equal(undefined);
    const wider = [
      { name: 'k_h', value: '3' },
      { name: 'k_w', value: '3' },
    ];
    expect(mergeBandInstances(instance('f_band0', 15, 0, 240), instance('f_band0s', 9, 576, 192, wider))).to.equal(undefined);
  });

  it("cached stages merge each layer's instances where its kernel emits structured C (Arm DSP, Armv6-M) and keep two functions where it emits text (portable C)", () => {
    const functionsOf = (isa: KernelIsa | undefined) => {
      for (let seed = 41; seed <= 48; seed++) {
        const chain = randomChain(seed, true);
        const choice = { start: 0, length: chain.layers, tileRows: 1, cache: true };
        const compiled = compileGraph(chain.graph, `chain${seed}`, { patch: choice, ...(isa ? { isa } : {}) });
        const p = compiled.patch?.stage;
        if (!p?.layers.some((b) => b.steady)) continue;
        const c = compiled.generated.files.find((f) => f.role === 'source')!.text;
        return { merged: c.match(/void \w+_band\d+\(int steady\)/g)?.length ?? 0, separate: c.match(/void \w+_band\d+s\(void\)/g)?.length ?? 0 };
      }
      throw new Error('no generated chain has a cached layer');
    };
    for (const isa of [{ dsp: true }, { dsp: false, armv6m: true }]) {
      const { merged, separate } = functionsOf(isa);
      expect(merged, JSON.stringify(isa)).to.be.above(0);
      expect(separate, JSON.stringify(isa)).to.equal(0);
    }
    const portable = functionsOf(undefined);
    expect(portable.merged).to.equal(0);
    expect(portable.separate).to.be.above(0);
  });

  it('auto keeps whole tensors when no stage lowers the arena, and off never adds one', () => {
    const prepared = prepareGraph(resnet8(), 'resnet8', { dsp: true });
    const off = planWithPatch(prepared, 'off');
    expect(off.stage).to.equal(undefined);
    const auto = planWithPatch(prepared, 'auto');
    expect(auto.plan.arenaBytes).to.be.at.most(off.plan.arenaBytes);
    if (auto.stage) expect(auto.plan.arenaBytes).to.be.below(off.plan.arenaBytes);
  });

  it('under a RAM budget the whole-tensor plan misses, compile picks a stage that fits with the fewest recomputed MACs', () => {
    const chain = randomChain(3);
    const whole = compileGraph(chain.graph, 'whole', { patch: 'off' });
    const plain = compileGraph(chain.graph, 'auto', { patch: 'auto' });
    if (!plain.patch) return; // this chain gains nothing from bands
    const budget = Math.floor((whole.plan.arenaBytes + plain.plan.arenaBytes) / 2);
    const fitted = compileGraph(chain.graph, 'budget', { budget: { ram: budget } });
    expect(fitted.plan.arenaBytes).to.be.at.most(budget);
    expect(fitted.patch?.stage.extraMacs).to.be.at.most(plain.patch.stage.extraMacs);
  });

  it('by default a stage is taken only when it saves >= 10% of the arena for <= 5% more estimated instructions (generated chains, M4 and RP2040)', () => {
    let taken = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const chain = randomChain(seed, seed % 2 === 0);
      for (const isa of [{ dsp: true }, { dsp: false, armv6m: true }]) {
        const prepared = prepareGraph(chain.graph, `chain${seed}`, isa);
        const off = planWithPatch(prepared, 'off');
        const chosen = planWithPatch(prepared, 'default');
        expect(chosen.plan.arenaBytes, `seed ${seed}`).to.be.at.most(off.plan.arenaBytes);
        if (!chosen.stage) {
          expect(chosen.plan.arenaBytes, `seed ${seed}`).to.equal(off.plan.arenaBytes);
          continue;
        }
        taken++;
        const p = chosen.stage.params as PatchStageParams;
        expect(off.plan.arenaBytes - chosen.plan.arenaBytes, `seed ${seed}`).to.be.at.least(DEFAULT_MIN_ARENA_SAVING * off.plan.arenaBytes);
        expect(p.extraInstructions, `seed ${seed}`).to.be.at.most(DEFAULT_MAX_EXTRA_INSTRUCTIONS * chosen.modelInstructions);
      }
    }
    expect(taken).to.be.greaterThan(0);
  });

  it('a generated 96x96 MobileNet-like net: by default its high-resolution blocks run in bands, the plan at most 0.55x (RV32: 0.7x) the classic floor, equal to the reference on the host (ASan+UBSan)', async () => {
    const graph = mobileNet({ size: 96, channels: 1 });
    const path = join(dir, 'mobilenet96.tflite');
    saveTflite(path, graph);
    for (const target of ['cortex-m4', 'rp2040', 'esp32c3']) {
      const compiled = compileGraph(graph, 'mobilenet96.tflite', { isa: loadTarget(target).isa });
      expect(compiled.patch?.chosenBy, target).to.equal('default');
      // the RV32 1x1 convolutions read pixels in place and declare no overlap: there whole tensors sit at the floor
      expect(compiled.plan.arenaBytes, target).to.be.at.most((target === 'esp32c3' ? 0.7 : 0.55) * compiled.plan.classicFloor);
    }
    const cases = inputCases(graph, 96);
    const whole = compileGraph(graph, 'whole', { patch: 'off' });
    const expected = cases.map((c) => interpret(whole.prepared, c).outputs.map((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
    const report = await runModel(path, { target: 'host', cases, sanitize: true });
    expect(report.patch).to.match(/^patch stage .* chosen by default/);
    expect(report.cases.map((c) => c.outputs)).to.deep.equal(expected);
  });

  it('a RAM budget whole tensors meet keeps the default stage (ResNet-8, M4): a budget never makes the plan bigger', () => {
    const isa = loadTarget('cortex-m4').isa;
    const plain = compileGraph(resnet8(), 'resnet8.tflite', { isa });
    const whole = compileGraph(resnet8(), 'resnet8.tflite', { isa, patch: 'off' });
    const budgeted = compileGraph(resnet8(), 'resnet8.tflite', { isa, budget: { ram: whole.plan.arenaBytes + 1000 } });
    expect(plain.patch?.chosenBy).to.equal('default');
    expect(budgeted.patch?.chosenBy).to.equal('default');
    expect(budgeted.budget!.moves).to.deep.equal([]);
    expect(budgeted.plan.arenaBytes).to.equal(plain.plan.arenaBytes);
  });

  it('the default declines a stage saving under 10% and says so; auto takes it', () => {
    // the int4 test net's depthwise -> 1x1 pair saves 32 of 736 bytes in bands (4%)
    const graph = int4SmallNet(1);
    const chosen = compileGraph(graph, 'int4_net.tflite', { isa: { dsp: true } });
    expect(chosen.patch).to.equal(undefined);
    expect(chosen.patchDeclined).to.match(
      /^row bands: none by default; the best stage, patch stage .* saves [\d,]+ B \([\d.]+%\), under the 10% the default asks/,
    );
    const auto = compileGraph(graph, 'int4_net.tflite', { isa: { dsp: true }, patch: 'auto' });
    expect(auto.patch).to.not.equal(undefined);
    expect(auto.plan.arenaBytes).to.be.below(chosen.plan.arenaBytes);
  });

  it("the default takes no stage where whole tensors take under 5% of the target's smallest part's RAM, and says so; auto and a budget still take one", () => {
    // the 96x96 MobileNet-like net: 37,632 B whole on the Arm targets, 14% of the nRF52840's 256 KiB, 3.6% of the H7A3's 1 MiB
    const graph = mobileNet({ size: 96, channels: 1 });
    const m4 = loadTarget('cortex-m4');
    const m7 = loadTarget('cortex-m7');
    expect(smallestPartRam(m7)).to.deep.equal({ bytes: 1_048_576, board: 'nucleo-h7a3zi-q' });
    expect(smallestPartRam(loadTarget('host'))).to.equal(undefined);
    const onM4 = compileGraph(graph, 'mobilenet96.tflite', { isa: m4.isa, partRam: smallestPartRam(m4) });
    expect(onM4.patch?.chosenBy).to.equal('default');
    const onM7 = compileGraph(graph, 'mobilenet96.tflite', { isa: m7.isa, partRam: smallestPartRam(m7) });
    const whole = compileGraph(graph, 'mobilenet96.tflite', { isa: m7.isa, patch: 'off' });
    expect(onM7.patch).to.equal(undefined);
    expect(onM7.plan.arenaBytes).to.equal(whole.plan.arenaBytes);
    expect(whole.plan.arenaBytes).to.be.below(DEFAULT_MIN_RAM_SHARE * smallestPartRam(m7)!.bytes);
    expect(onM7.patchDeclined).to.match(
      /^row bands: none by default; the best stage, .* but whole tensors take 3\.6% of the 1,048,576 B of RAM of nucleo-h7a3zi-q, the target's smallest part, under the 5% /,
    );
    // the policy is the default's only: auto, and a budget whole tensors miss, ask for the bytes
    const auto = compileGraph(graph, 'mobilenet96.tflite', { isa: m7.isa, partRam: smallestPartRam(m7), patch: 'auto' });
    expect(auto.plan.arenaBytes).to.be.below(whole.plan.arenaBytes);
    const budgeted = compileGraph(graph, 'mobilenet96.tflite', { isa: m7.isa, partRam: smallestPartRam(m7), budget: { ram: whole.plan.arenaBytes - 1000 } });
    expect(budgeted.plan.arenaBytes).to.be.at.most(whole.plan.arenaBytes - 1000);
  });

  it("an estimate of a stage counts its halo MACs at its kernels' cost: cached bands cost less than recomputed ones", () => {
    const chain = randomChain(6, true);
    const prepared = prepareGraph(chain.graph, 'chain6', { dsp: true });
    const tileRows = 1;
    const plain = applyPatch(prepared, { start: 0, length: chain.layers, tileRows }).layers[0]!.params as PatchStageParams;
    const cached = applyPatch(prepared, { start: 0, length: chain.layers, tileRows, cache: true }).layers[0]!.params as PatchStageParams;
    expect(plain.extraMacs).to.be.greaterThan(cached.extraMacs);
    expect(plain.extraInstructions).to.be.greaterThan(cached.extraInstructions);
    // at least the halo MACs at the DSP convolution's 1.17 instructions per MAC (kernel_cost.ts)
    expect(plain.extraInstructions).to.be.at.least(plain.extraMacs);
  });

  it('inspect shows the default stage on person_detect (where the cost model puts it), what it saved and cost, and the plan under the classic floor; --prefer speed and --patch off keep whole tensors', function () {
    if (!sharedModelsAvailable(this)) return;
    const inspected = tinyforge(['inspect', sharedModelPath('person_detect'), '--target', 'cortex-m4']);
    expect(inspected.status, inspected.stderr).to.equal(0);
    const r = { stdout: unwrapped(inspected.stdout) };
    const m =
      /patch stage \(layer \d+\): .*; arena ([\d,]+) -> ([\d,]+) B \(([\d,]+) B, [\d.]+% saved\) for about \+([\d,]+) instructions per inference \(([\d.]+)% of the model's [\d,]+, cost-model estimate\); chosen by default/.exec(
        r.stdout,
      );
    expect(m, r.stdout.slice(-900)).to.not.equal(null);
    const [before, after, saved] = [m![1]!, m![2]!, m![3]!].map((v) => Number(v.replace(/,/g, '')));
    expect(saved).to.equal(before! - after!);
    expect(after!).to.be.at.most(0.9 * before!);
    expect(Number(m![5])).to.be.at.most(5);
    const floor =
      /^arena: (\d+) bytes \(peak\)[^\n]*\nclassic live-set floor: (\d+) bytes .* this arena, scratch included, is ([\d,]+) B \(\d+%\) under it$/m.exec(
        r.stdout,
      );
    expect(floor, r.stdout.slice(-900)).to.not.equal(null);
    expect(Number(floor![1])).to.equal(after);
    expect(Number(floor![2]) - after!).to.equal(Number(floor![3]!.replace(/,/g, '')));
    for (const flag of [
      ['--prefer', 'speed'],
      ['--patch', 'off'],
    ]) {
      const whole = tinyforge(['inspect', sharedModelPath('person_detect'), '--target', 'cortex-m4', ...flag]);
      expect(whole.status, whole.stderr).to.equal(0);
      expect(whole.stdout).to.not.match(/patch stage|PATCH_STAGE/);
      expect(unwrapped(whole.stdout)).to.match(new RegExp(`^arena: ${before} bytes \\(peak\\)`, 'm'));
    }
    // compile prints the same stage line with its plan
    const out = join(dir, 'person_detect_c');
    const compiled = tinyforge(['compile', sharedModelPath('person_detect'), '--target', 'cortex-m4', '-o', out]);
    expect(compiled.status, compiled.stderr).to.equal(0);
    expect(unwrapped(compiled.stdout)).to.include(m![0]);
  });

  it('inspect --patch auto shows the stage on person_detect and a lower arena; a malformed --patch is a clean error', function () {
    if (!sharedModelsAvailable(this)) return;
    const inspected = tinyforge(['inspect', sharedModelPath('person_detect'), '--target', 'cortex-m4', '--patch', 'auto']);
    expect(inspected.status, inspected.stderr).to.equal(0);
    const r = { stdout: unwrapped(inspected.stdout) };
    const m =
      /patch stage \(layer \d+\): .* in \d+ bands of \d+ output rows?, band buffers [\d,]+ B, \+[\d,]+ MACs recomputed .*; arena ([\d,]+) -> ([\d,]+) B/.exec(
        r.stdout,
      );
    expect(m, r.stdout.slice(-600)).to.not.equal(null);
    const [before, after] = [m![1]!, m![2]!].map((v) => Number(v.replace(/,/g, '')));
    expect(after!).to.be.below(before!);
    const bad = tinyforge(['inspect', sharedModelPath('person_detect'), '--patch', 'rows']);
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.match(/--patch must be auto, off, or START:LENGTH:ROWS/);
  });
});
