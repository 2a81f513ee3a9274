// SPDX-License-Identifier: Apache-2.0
/**
 * The 1x1 layers' quad run ending its loop on the sentinel past the columns (common/isa/dsp_conv/quad_run.ts quadRunAsm
 * `sentinel`, conv_2d_dsp_pointwise_quads.h TF_DSP_QUAD_SENTINEL): a sweep of input depths over every entry into
 * the M4's four-step turn and the M33's sixteen-step one and every straight block of the M33 and
 * M7 (16 to 260 channels, whole quads), output depths of whole quads and not (the pair run beside
 * it), pixel counts 1, 2, 3 and odd (the last
 * pixel alone, its twin outputs past the sentinel), padded heads (their quads past the sentinel and
 * the twin), per-channel and per-tensor scales, saturated and clamped, FAST and WIDE; the host C
 * twin, then the real instructions on the emulated Cortex-M4 (pipelined loads; depths a multiple
 * of 16 entered by a B to the turn's second half, the others by the computed jump), Cortex-M7 (loads
 * between the MACs) and Cortex-M33 (LDM, sixteen steps a turn; the M33 and M7 moving to the next
 * pixel pair inside the routine, packing with LDRD and STM), bit-exact with the TypeScript
 * reference. The im2col layers keep their own routine, which reloads the stop.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import conv from './index.ts';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { pointwiseQuadLoads, pointwiseQuadTurn, quadPixelLoop, quadSecondHalfEntry, quadStraightSteps } from '../common/isa/dsp_conv/choice.ts';
import { QUAD_SENTINEL, quadRunAsm } from '../common/isa/dsp_conv/quad_run.ts';
import { dspScratchBytes } from '../common/isa/dsp_conv/scratch.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { int8LayerCases, randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import type { Conv2DParams } from './contract.ts';

interface Layer {
  inC: number;
  outC: number;
  hw: [number, number];
  activation: FusedActivation;
  wide: boolean;
}

/** A model of independent 1x1 layers (each on its own input), the first over 64 channels so that the model carries the pairs instance. */
function sweepModel(seed: number, layers: Layer[]): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(`dsp_quad_sentinel_${seed}`);
  const outs = layers.map((l, i) => {
    const [h, w] = l.hw;
    const inScale = 0.02 + rand() * 0.05;
    const x = b.input({ shape: [1, h, w, l.inC], q: { scale: inScale, zeroPoint: randomInt(rand, -128, 127) }, name: `x${i}` });
    const perChannel = rand() < 0.7;
    const scales = Array.from({ length: perChannel ? l.outC : 1 }, () => 0.002 + rand() * 0.02);
    const filter = b.constant(
      { shape: [l.outC, 1, 1, l.inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, l.outC * l.inC, -127, 127),
    );
    const bias = b.constant(
      { shape: [l.outC], dtype: 'int32' },
      Int32Array.from({ length: l.outC }, () => randomInt(rand, -30000, 30000)),
    );
    // WIDE: zero point -128 at shifts near -15; FAST: outputs spread over the int8 range
    const outScale = l.wide ? inScale * scales[0]! * 2 ** (14 + rand() * 3) : inScale * scales[0]! * Math.sqrt(l.inC) * (20 + rand() * 60);
    const zeroPoint = l.wide ? -128 : randomInt(rand, -100, 100);
    return b.op('CONV_2D', [x, filter, bias], [{ shape: [1, h, w, l.outC], q: { scale: outScale, zeroPoint } }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: l.activation,
    })[0]!;
  });
  b.output(...outs);
  return b.build();
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const PIXELS: [number, number][] = [
  [1, 1],
  [1, 2],
  [1, 3],
  [2, 2],
  [3, 3],
  [5, 5],
];

/**
 * Input depths 16 to 260: every straight block of the M7 and M33 (16 to 128), every entry of a
 * sixteen-step turn (k4 / 2 - 1 halves over 32) below 128 and, for the M33's loop, above it;
 * output depths of whole quads and not.
 */
function sweepLayers(seed: number, count: number): Layer[] {
  const rand = rng(seed);
  const layers: Layer[] = [{ inC: 64, outC: 8, hw: [2, 3], activation: 'NONE', wide: false }];
  for (let i = 0; i < count; i++) {
    const inC = i < 16 ? 16 + 4 * i : i < 32 ? 132 + 4 * (i - 16) : 4 * randomInt(rand, 4, 65);
    const outC = i % 5 === 4 ? randomInt(rand, 2, 23) : 4 * randomInt(rand, 1, 9);
    const hw = PIXELS[i % PIXELS.length]!;
    layers.push({ inC, outC, hw, activation: ACTIVATIONS[i % ACTIVATIONS.length]!, wide: i % 3 === 2 });
  }
  // heads: one pixel, channels not a whole quad (the quad run over padded channels)
  layers.push({ inC: 128, outC: 2, hw: [1, 1], activation: 'NONE', wide: false });
  layers.push({ inC: 36, outC: 3, hw: [1, 1], activation: 'RELU', wide: false });
  return layers;
}

function sourceText(graph: Graph, target: string, prefer?: 'size'): string {
  const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa, ...(prefer ? { prefer } : {}) });
  return compiled.generated.files.find((f) => f.role === 'source')!.text;
}

describe('CONV_2D DSP 1x1 quad run ended on a sentinel', () => {
  it('the 1x1 routine tests the sentinel, the im2col one the stop; the scratch holds the sentinel', () => {
    const pipelined = quadRunAsm('q', 1, { lo: false, hi: false }, { loadForm: true, turn: 4, sentinel: true });
    expect(pipelined).to.include(`cmp r8, #0x${QUAD_SENTINEL.toString(16)}`);
    expect(pipelined).to.not.include('ldr r10, [sp, #32]');
    const stop = quadRunAsm('q', 1, { lo: false, hi: false }, { loadForm: true, turn: 4 });
    expect(stop).to.include('ldr r10, [sp, #32]');
    expect(stop).to.not.include('cmp r8, #');
    // sixteen steps a turn on the M33, four on the M4 and under --prefer size, eight on the M7
    expect(pointwiseQuadTurn(loadTarget('cortex-m33').isa)).to.equal(16);
    expect(pointwiseQuadTurn(loadTarget('cortex-m33').isa, 'size')).to.equal(4);
    expect(pointwiseQuadTurn(loadTarget('cortex-m4').isa)).to.equal(4);
    expect(pointwiseQuadTurn(loadTarget('cortex-m7').isa)).to.equal(8);
    expect(quadRunAsm('q', 2, { lo: true, hi: true }, { loadForm: false, turn: 16, sentinel: true })).to.include('16 steps a turn');
    // the loads: pipelined on the M4, between the MACs on the M7, LDM on the M33 and under --prefer size
    expect(pointwiseQuadLoads(loadTarget('cortex-m4').isa)).to.equal(true);
    expect(pointwiseQuadLoads(loadTarget('cortex-m7').isa)).to.equal('dual');
    expect(pointwiseQuadLoads(loadTarget('cortex-m7').isa, 'size')).to.equal(false);
    expect(pointwiseQuadLoads(loadTarget('cortex-m33').isa)).to.equal(false);
    const dual = quadRunAsm('q', 1, { lo: false, hi: true }, { loadForm: 'dual', turn: 8, sentinel: true });
    expect(dual).to.include('loads between the MACs');
    // no two loads in a row inside the loop: each sits between MACs
    const loop = dual.slice(dual.indexOf('"10:'), dual.indexOf('"13:'));
    expect(loop).to.not.match(/ldr\.w [^\n]*\n\s*"ldr\.w r(8|10|11)/);
    expect(() => quadRunAsm('q', 1, { lo: false, hi: false }, { loadForm: 'dual', turn: 8 })).to.throw(/sentinel only/);
    // the fixed entry: a B to the turn's second half where k4 is a multiple of 4 turn steps, on the M4 alone
    const fixed = quadRunAsm('q', 1, { lo: false, hi: false }, { loadForm: true, turn: 4, sentinel: true, floor: false, round: false, secondHalfEntry: true });
    expect(fixed).to.include('"b 12f');
    expect(fixed).to.include('entered at the second half');
    expect(fixed).to.not.include('mov pc');
    // the block's first instruction on a word (MOV.W before it), the loop in the computed form's place (a 16-bit NOP past the B)
    expect(fixed).to.include('"mov.w lr, r1');
    expect(fixed).to.match(/"b 12f\\n\\t"\n\s*"nop\\n/);
    expect(pipelined).to.include('mov pc, r10');
    expect(() =>
      quadRunAsm('q', 1, { lo: false, hi: false }, { loadForm: true, turn: 4, sentinel: false, floor: false, round: false, secondHalfEntry: true }),
    ).to.throw(/sentinel/);
    const m4 = loadTarget('cortex-m4').isa;
    expect([16, 32, 48, 256].map((k4) => quadSecondHalfEntry(k4, m4))).to.deep.equal([true, true, true, true]);
    expect([20, 24, 36, 260].map((k4) => quadSecondHalfEntry(k4, m4))).to.deep.equal([false, false, false, false]);
    expect(quadSecondHalfEntry(64, m4, 'size')).to.equal(false);
    expect(quadSecondHalfEntry(64, loadTarget('cortex-m7').isa)).to.equal(false);
    expect(quadSecondHalfEntry(64, loadTarget('cortex-m33').isa)).to.equal(false);
    // the straight block: k4 / 4 steps up to 128 values on the M33 and 32 on the M7; not on the M4 nor under --prefer size
    const m33 = loadTarget('cortex-m33').isa;
    const m7 = loadTarget('cortex-m7').isa;
    expect([16, 36, 128, 132].map((k4) => quadStraightSteps(k4, m33))).to.deep.equal([4, 9, 32, undefined]);
    expect([16, 32, 36].map((k4) => quadStraightSteps(k4, m7))).to.deep.equal([4, 8, undefined]);
    expect(quadStraightSteps(16, m4)).to.equal(undefined);
    expect(quadStraightSteps(16, m33, 'size')).to.equal(undefined);
    const straight = quadRunAsm(
      'q',
      1,
      { lo: false, hi: false },
      { loadForm: false, turn: 16, sentinel: true, floor: true, round: true, secondHalfEntry: false, pixelLoop: true, straightSteps: 9 },
    );
    expect(straight).to.include('9 steps a block, no loop');
    expect(straight).to.not.include('mov pc');
    expect(straight).to.not.include('cmp r8, #');
    // 17 halves past the first one, then the block's second starts and (FAST rounding) the zero point behind them
    expect(straight.match(/smlad r2, r8, r10, r2/g)).to.have.length(17);
    expect(straight).to.match(/"ldrd r10, r11, \[lr\], #8\\n\\t"\n\s*"ldr r12, \[sp, #28\]/);
    const straightDual = quadRunAsm(
      'q',
      2,
      { lo: true, hi: false },
      { loadForm: 'dual', turn: 8, sentinel: true, floor: false, round: false, secondHalfEntry: false, pixelLoop: false, straightSteps: 8 },
    );
    expect(straightDual.match(/smlad r2, r8, r10, r2/g)).to.have.length(15);
    expect(straightDual).to.not.include('mov pc');
    expect(() =>
      quadRunAsm(
        'q',
        1,
        { lo: false, hi: false },
        { loadForm: true, turn: 4, sentinel: true, floor: false, round: false, secondHalfEntry: false, pixelLoop: false, straightSteps: 4 },
      ),
    ).to.throw(/straight block/);
    // every pixel pair from one call on the M4, M33 and M7 (LDRD and STM packing there), not under --prefer size
    expect([loadTarget('cortex-m4').isa, m33, m7].map((isa) => quadPixelLoop(isa))).to.deep.equal([true, true, true]);
    expect(quadPixelLoop(m33, 'size')).to.equal(false);
    const pairLoop = quadRunAsm(
      'q',
      1,
      { lo: false, hi: false },
      { loadForm: false, turn: 16, sentinel: true, floor: false, round: false, secondHalfEntry: false, pixelLoop: true },
    );
    expect(pairLoop).to.include('ldrd r2, r6, [r5], #8');
    expect(pairLoop).to.include('stm r12!, {r0, r1, r6, r7}');
    // a 1x1 layer's scratch: the columns, the two sentinel words, a lone pixel's twin outputs
    const p = { groups: 1, kH: 1, kW: 1, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, batches: 1 };
    const even = { ...p, inH: 2, inW: 2, inC: 64, outH: 2, outW: 2, outC: 16 } as unknown as Conv2DParams;
    const odd = { ...even, inH: 3, inW: 3, outH: 3, outW: 3 } as unknown as Conv2DParams;
    expect(dspScratchBytes(even)).to.equal(64 * 4 + 8);
    expect(dspScratchBytes(odd)).to.equal(64 * 4 + 8 + 16);
  });

  it('sweeps of depths and pixel counts match the reference on the host twin', function () {
    const graph = sweepModel(9101, sweepLayers(9102, 36));
    const text = sourceText(graph, 'cortex-m4');
    expect(text).to.include('TF_DSP_QUAD_SENTINEL');
    expect(text).to.match(/static const int8_t \*tf_dsp_pw_quad_[a-z]+\(/);
    const rand = rng(9103);
    expectCMatchesReference(int8LayerCases(conv, graph, rand, { dsp: true }));
  });

  const BOARDS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };
  for (const [board, target] of Object.entries(BOARDS)) {
    describe(`on the emulated board ${board}`, function () {
      let dir: string;
      before(function () {
        requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
        dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-sentinel-'));
      });
      after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });
      it('sweeps of input and output depths, pixel counts 1, 2, 3 and odd, heads: bit-exact', async function () {
        const index = Object.keys(BOARDS).indexOf(board);
        const graph = sweepModel(9201 + index, sweepLayers(9301 + index, 36));
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.include(`cmp r8, #0x${QUAD_SENTINEL.toString(16)}`);
        expect(text).to.include(`${pointwiseQuadTurn(loadTarget(target).isa)} steps a turn`);
        expect(text).to.match(/channels padded to 4\)/);
        // the M4 runs depths of both entries: the B to the second half (multiples of 16) and the computed jump
        expect(text.includes('entered at the second half')).to.equal(target === 'cortex-m4');
        // the M33 and M7 run their narrower depths in straight blocks, the others in the loop
        expect(text.includes('steps a block, no loop')).to.equal(target !== 'cortex-m4');
        expect(text).to.include('mov pc, r1');
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 13 + index });
      });
    });
  }
});
