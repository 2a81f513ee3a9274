// SPDX-License-Identifier: Apache-2.0
/**
 * The 1x1 `pairs` layers' channel-pair run in assembly (conv_2d_dsp.h tf_dsp_pw_run_t, common/isa/dsp_conv/pairs_run.ts
 * pairsRunAsm): random 1x1 layers of 64..480 values (every entry into the eight-step loop, the
 * one-chunk limit and one past it), odd and even output channels and pixels, batches, per-channel
 * scales, FAST records (shifts <= 0 and shift 1), WIDE records (zero point -128 at shifts near -15,
 * saturating and clamped, and an activation floor under the zero point that keeps the C), every
 * activation; layers of whole channel quads (the two-pixel by four-channel run, quadRunAsm), mixed
 * in and in models of their own, over odd pixel counts (the last pixel alone, quadLoneAsm), under
 * `--prefer size` (four steps a turn, LDM); the host C twin under ASan+UBSan, then the real instructions on the
 * emulated M4, M7 and M33, each output bit-exact with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import conv from './index.ts';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { loadsPipeline } from '../common/isa/dsp_conv/choice.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type CCase, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';

type Regime = 'fast' | 'shift1' | 'wide' | 'wideLowFloor';
type LayerKind = 'any' | 'quads' | 'heads' | 'narrowQuads' | 'oddQuads';
const REGIMES: Regime[] = ['fast', 'shift1', 'wide', 'wideLowFloor'];
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** One random 1x1 layer on its own input; returns its output tensor. */
function addLayer(b: GraphBuilder, rand: () => number, i: number, regime: Regime, kind: LayerKind = 'any'): number {
  // k4 over the loop's eight entries, up to one chunk (480) and one step past it
  // narrowQuads: 16 to 60 input channels (every entry of the loop), sharing the pairs instance that
  // the first layer's 64 channels bring in (common/isa/dsp_conv/choice.ts PAIRS_MIN_K4_POINTWISE_SHARED)
  // oddQuads: 16 to 160 input channels (every entry of the lone pixel's four-step turn), odd pixel counts
  const inC =
    kind === 'narrowQuads' || kind === 'oddQuads'
      ? i === 0
        ? 64
        : 4 * randomInt(rand, 4, kind === 'oddQuads' ? 40 : 15)
      : rand() < 0.1
        ? 484
        : 4 * randomInt(rand, 16, 120);
  // quads: whole channel quads only (the two-pixel by four-channel run); heads: one pixel, 2 or 3
  // channels (the quad run over padded channels; from 4 on, FULLY_CONNECTED's kernel: as_fc.ts)
  const outC =
    kind === 'quads' || kind === 'narrowQuads' || kind === 'oddQuads'
      ? 4 * randomInt(rand, 1, 9)
      : kind === 'heads'
        ? randomInt(rand, 2, 3)
        : randomInt(rand, 2, 37);
  const [n, h, w] =
    kind === 'heads'
      ? [1, 1, 1]
      : kind === 'oddQuads'
        ? [1, 2 * randomInt(rand, 0, 1) + 1, 2 * randomInt(rand, 0, 2) + 1]
        : [randomInt(rand, 1, 2), randomInt(rand, 1, 3), randomInt(rand, 2, 3)];
  const inScale = 0.02 + rand() * 0.05;
  const x = b.input({ shape: [n, h, w, inC], q: { scale: inScale, zeroPoint: randomInt(rand, -128, 127) }, name: `x${i}` });
  const perChannel = rand() < 0.7;
  const scales = Array.from({ length: perChannel ? outC : 1 }, () => 0.002 + rand() * 0.02);
  const filter = b.constant(
    { shape: [outC, 1, 1, inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
    randomInt8(rand, outC * inC, -127, 127),
  );
  const bias = b.constant(
    { shape: [outC], dtype: 'int32' },
    Int32Array.from({ length: outC }, () => randomInt(rand, -30000, 30000)),
  );
  const wide = regime === 'wide' || regime === 'wideLowFloor';
  // WIDE: zero point -128 at shifts near -15 (FAST's rounding word overflows); shift 1: a multiplier in [1, 1.5)
  const outScale =
    regime === 'shift1'
      ? (inScale * scales[0]!) / (1 + rand() * 0.45)
      : wide
        ? inScale * scales[0]! * 2 ** (14 + rand() * 3)
        : inScale * scales[0]! * Math.sqrt(inC) * (20 + rand() * 60);
  // FAST at zero point -128 too: a RELU floor there is no clamp step (common/isa/dsp_conv/run_asm.ts runClamp)
  const zeroPoint = regime === 'wide' || rand() < 0.3 ? -128 : regime === 'wideLowFloor' ? randomInt(rand, -120, 100) : randomInt(rand, -128, 127);
  // every regime under every activation (16 layers); wideLowFloor: none, so the floor -128 lies under
  // the zero point (the C path keeps it)
  const activation = regime === 'wideLowFloor' ? 'NONE' : ACTIVATIONS[(i >> 2) % ACTIVATIONS.length]!;
  return b.op('CONV_2D', [x, filter, bias], [{ shape: [n, h, w, outC], q: { scale: outScale, zeroPoint } }], {
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation,
  })[0]!;
}

/** A model of independent random 1x1 layers, each regime several times. */
function runModel(seed: number, layers: number, kind: LayerKind = 'any'): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(`dsp_run_${seed}`);
  const outs: number[] = [];
  for (let i = 0; i < layers; i++) outs.push(addLayer(b, rand, i, REGIMES[i % REGIMES.length]!, kind));
  b.output(...outs);
  return b.build();
}

function modelText(graph: Graph, isa: NonNullable<Parameters<typeof compileGraph>[2]>['isa']): string {
  return compileGraph(graph, `${graph.name}.tflite`, { isa }).generated.files.find((f) => f.role === 'source')!.text;
}

describe('CONV_2D DSP 1x1 channel-pair run in assembly', () => {
  it('random layers take the run where it applies (FAST and WIDE, saturated and clamped) and match the reference on the host twin', function () {
    const cases: CCase[] = [];
    const runs = new Set<string>();
    const quads = new Set<string>();
    const lones = new Set<string>();
    let padded = 0;
    // the fourth model: whole channel quads only, every regime under every activation; the fifth:
    // lone-pixel heads whose channels are not whole quads
    // the sixth: whole channel quads over odd pixel counts (the last pixel alone)
    for (let m = 0; m < 6; m++) {
      const graph = runModel(8101 + m, 16, m === 3 ? 'quads' : m === 4 ? 'heads' : m === 5 ? 'oddQuads' : 'any');
      const text = modelText(graph, { dsp: true });
      padded += [...text.matchAll(/channels padded to \d+\)/g)].length;
      for (const r of text.matchAll(/static const int8_t \*tf_dsp_pw_run_([a-z]+)\(/g)) runs.add(r[1]!);
      // a trailing 'z' or 'r': the floored forms of the mode (dsp.ts floorAtZeroPoint, roundRecords); 'k' and
      // a depth past them: the M33's and M7's straight blocks (common/isa/dsp_conv/choice.ts quadStraightSteps)
      for (const r of text.matchAll(/static const int8_t \*tf_dsp_pw_quad_([a-z]+?)(?:k\d+)?\(/g)) quads.add(r[1]!.replace(/[zr]$/, ''));
      for (const r of text.matchAll(/static const int8_t \*tf_dsp_pw_quad1_([a-z]+?)(?:k\d+)?\(/g)) lones.add(r[1]!.replace(/[zr]$/, ''));
      const rand = rng(8201 + m);
      graph.ops.forEach((op) => {
        const t = graph.tensors[op.inputs[0]!]!;
        cases.push({
          def: conv,
          graph,
          op,
          inputs: [
            randomInt8(
              rand,
              t.shape.reduce((a, b) => a * b, 1),
            ),
          ],
          isa: { dsp: true },
        });
      });
    }
    // saturated and clamped (floor, ceiling, both) under FAST; saturated and ceiling under WIDE
    expect([...runs].sort()).to.include.members(['fch', 'fcl', 'fclh', 'fs', 'wch', 'ws']);
    // whole channel quads (out_c a multiple of 4) take the two-pixel by four-channel run
    expect([...quads].sort()).to.include.members(['fch', 'fcl', 'fs', 'wch']);
    // the heads that take a run take the quad one over padded channels
    expect(padded).to.be.greaterThan(3);
    // odd pixel counts run their last pixel alone, in every requantization mode
    expect([...lones].sort()).to.include.members(['fs', 'wch']);
    expect([...lones].some((q) => q.startsWith('fc'))).to.equal(true);
    expectCMatchesReference(cases);
  });

  it('the quads run on pipelined loads on the Cortex-M4 with or without its FPU, on LDM elsewhere and under --prefer size', function () {
    const m4 = loadTarget('cortex-m4').isa;
    const graph = runModel(8401, 16, 'quads');
    const text = (isa: typeof m4, prefer?: 'size') =>
      compileGraph(graph, `${graph.name}.tflite`, { isa, ...(prefer ? { prefer } : {}) }).generated.files.find((f) => f.role === 'source')!.text;
    const quads = (t: string) => [...t.matchAll(/static const int8_t \*tf_dsp_pw_quad_([a-z]+?)(?:k\d+)?\(/g)].length;
    const withFpu = text(m4);
    expect(quads(withFpu)).to.be.greaterThan(0);
    expect(withFpu).to.include('pipelined loads');
    // the core decides, not its FPU: an M4 built without one pipelines too, an M33 given the M4's FPU does not
    const noFpu = text({ ...m4, fpu: 'none' });
    expect(noFpu).to.include('pipelined loads');
    expect(noFpu).to.equal(withFpu);
    expect(text({ ...loadTarget('cortex-m33').isa, fpu: 'fpv4-sp-d16' })).to.not.include('pipelined loads');
    expect(text(loadTarget('cortex-m7').isa)).to.not.include('pipelined loads');
    // eight steps a turn where the caches hold them (common/isa/dsp_conv/choice.ts quadTurnSteps), sixteen on the M33
    // (pointwiseQuadTurn), four on the M4 and under --prefer size
    expect(withFpu).to.include('4 steps a turn');
    expect(text(loadTarget('cortex-m7').isa)).to.include('8 steps a turn');
    expect(text(loadTarget('cortex-m33').isa)).to.include('16 steps a turn');
    expect(text(loadTarget('cortex-m33').isa, 'size')).to.include('4 steps a turn');
    // --prefer size: the quads keep the smaller LDM step
    const small = text(m4, 'size');
    expect(quads(small)).to.be.greaterThan(0);
    expect(small).to.not.include('pipelined loads');
    expect(loadsPipeline({ dsp: true, core: 'cortex-m4' })).to.equal(true);
    expect(loadsPipeline({ dsp: true, core: 'cortex-m4' }, 'speed')).to.equal(true);
    expect(loadsPipeline({ dsp: true, core: 'cortex-m4' }, 'size')).to.equal(false);
    expect(loadsPipeline({ dsp: true })).to.equal(false);
  });

  const BOARDS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };
  for (const [board, target] of Object.entries(BOARDS)) {
    describe(`on the emulated board ${board}`, function () {
      let dir: string;
      before(function () {
        requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
        dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-run-'));
      });
      after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
      it('random 1x1 layers through the assembly run are bit-exact', async function () {
        const graph = runModel(8301 + Object.keys(BOARDS).indexOf(board), 16);
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.match(/\(assembly run\), SMMLAR requantization/);
        expect(text).to.match(/\(assembly run\), SMMLAR \(wide\) requantization/);
        expect(text).to.match(/4 channels a block \(assembly run\)/);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 9 });
      });
      it('random 1x1 layers of whole channel quads through the quad run are bit-exact', async function () {
        const graph = runModel(8401 + Object.keys(BOARDS).indexOf(board), 16, 'quads');
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        const quads = [...text.matchAll(/static const int8_t \*tf_dsp_pw_quad_([a-z]+?)(?:k\d+)?\(/g)].map((r) => r[1]!.replace(/[zr]$/, ''));
        // FAST saturated and clamped, WIDE saturated and clamped
        expect(quads).to.include.members(['fs', 'wch', 'ws']);
        expect(quads.some((q) => q.startsWith('fc'))).to.equal(true);
        // the Cortex-M4 runs the quads on pipelined LDR (common/isa/dsp_conv/choice.ts loadsPipeline), the others on LDM
        expect(text.includes('pipelined loads')).to.equal(target === 'cortex-m4');
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 10 });
      });
      it('random 1x1 layers of 16 to 64 input channels through the quad run are bit-exact', async function () {
        const graph = runModel(8601 + Object.keys(BOARDS).indexOf(board), 16, 'narrowQuads');
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect([...text.matchAll(/static const int8_t \*tf_dsp_pw_quad_([a-z]+?)(?:k\d+)?\(/g)]).to.not.be.empty;
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 12 });
      });
      it('random 1x1 layers of whole channel quads over odd pixel counts (the last pixel alone) are bit-exact', async function () {
        const graph = runModel(8701 + Object.keys(BOARDS).indexOf(board), 16, 'oddQuads');
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        const lones = [...text.matchAll(/static const int8_t \*tf_dsp_pw_quad1_([a-z]+?)(?:k\d+)?\(/g)].map((r) => r[1]!.replace(/[zr]$/, ''));
        // FAST saturated and clamped, WIDE
        expect(lones).to.include('fs');
        expect(lones.some((q) => q.startsWith('fc'))).to.equal(true);
        expect(lones.some((q) => q.startsWith('w'))).to.equal(true);
        expect(text).to.include('the last pixel alone');
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 13 });
      });
      it('random 1x1 layers of whole channel quads under --prefer size (four steps a turn, LDM) are bit-exact', async function () {
        const graph = runModel(8801 + Object.keys(BOARDS).indexOf(board), 12, 'quads');
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa, prefer: 'size' });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.include('4 steps a turn');
        expect(text).to.not.include('pipelined loads');
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 14 });
      });
      it('random lone-pixel heads through the quad run over padded channels are bit-exact', async function () {
        const graph = runModel(8501 + Object.keys(BOARDS).indexOf(board), 12, 'heads');
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.match(/channels padded to \d+\)/);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 11 });
      });
    });
  }
});
