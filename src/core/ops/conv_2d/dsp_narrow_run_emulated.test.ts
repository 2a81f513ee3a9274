// SPDX-License-Identifier: Apache-2.0
/**
 * The narrow 1x1 DSP variant's assembly run (dsp_narrow.ts narrowRunAsm: whole chunks of
 * NARROW_RUN_PIXELS pixels widened once, then channel by channel, over 4 or 8 input channels, FAST
 * records, saturated; under zero point -128 without the SUB, or in three instructions from the
 * rounding records where every channel's shift allows them) on the emulated Cortex-M4
 * (QEMU mps2-an386), Cortex-M7 (mps2-an500) and Cortex-M33 (mps2-an505): random layers over pixel
 * counts of no whole chunk, one chunk, chunks and a tail, batches, output channels from 1 to 255
 * (odd, not multiples of 4), per-channel scales with left and right shifts, beside clamped layers
 * that keep the C loop; chains whose only output is the last layer's, so that the planner places
 * outputs over dying inputs (narrowOverlap's chunk bound), bit-exact with the TypeScript reference.
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
import { NARROW_RUN_PIXELS, narrowOverlap, narrowRunAsm, narrowRunCandidate } from './dsp_narrow.ts';
import type { Conv2DParams } from './contract.ts';

interface Step {
  outC: number;
  activation?: FusedActivation;
  /** the output's zero point (random from -20 to 20 unless given) */
  zeroPoint?: number;
}

/** A chain of 1x1 layers from an [n, h, w, c] input; `allOutputs`: every layer's output a model output, else only the last. */
function chain(name: string, input: [number, number, number, number], steps: Step[], seed: number, allOutputs: boolean): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const [n, h, w] = input;
  let c = input[3];
  let scale = 0.05;
  let x = b.input({ shape: input, q: { scale, zeroPoint: randomInt(rand, -30, 30) }, name: 'x' });
  const outs: number[] = [];
  for (const step of steps) {
    const perChannel = rand() < 0.7;
    const scales = Array.from({ length: perChannel ? step.outC : 1 }, () => 0.002 + rand() * 0.02);
    const filter = b.constant(
      { shape: [step.outC, 1, 1, c], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, step.outC * c, -127, 127),
    );
    const bias = b.constant(
      { shape: [step.outC], dtype: 'int32' },
      Int32Array.from({ length: step.outC }, () => randomInt(rand, -3000, 3000)),
    );
    // multipliers from ~1/60 to ~4: right and left shifts (the narrow kernel scales the weights by the left ones)
    const outScale = scale * scales[0]! * 2 ** (rand() * 8 - 2);
    const [y] = b.op(
      'CONV_2D',
      [x, filter, bias],
      [{ shape: [n, h, w, step.outC], q: { scale: outScale, zeroPoint: step.zeroPoint ?? randomInt(rand, -20, 20) } }],
      {
        padding: 'VALID',
        strideH: 1,
        strideW: 1,
        dilationH: 1,
        dilationW: 1,
        activation: step.activation ?? 'NONE',
      },
    );
    outs.push(y!);
    x = y!;
    c = step.outC;
    scale = outScale;
  }
  b.output(...(allOutputs ? outs : [outs.at(-1)!]));
  return b.build();
}

interface Model {
  input: [number, number, number, number];
  steps: Step[];
  allOutputs: boolean;
}

const N = NARROW_RUN_PIXELS;

const MODELS: Model[] = [
  // two chunks and a tail; 8 -> 8 -> 4 -> 4 -> 8, a clamped layer (the C loop), 8 -> 255
  {
    input: [1, 5, N / 2 + 1, 8],
    steps: [{ outC: 8 }, { outC: 4 }, { outC: 4 }, { outC: 8, activation: 'RELU' }, { outC: 8 }, { outC: 255 }],
    allOutputs: true,
  },
  // one chunk exactly, 1, 3 and 17 output channels
  { input: [1, 2, N / 2, 8], steps: [{ outC: 3 }], allOutputs: true },
  { input: [1, 1, N, 4], steps: [{ outC: 1 }], allOutputs: true },
  { input: [1, N, 1, 8], steps: [{ outC: 17 }], allOutputs: true },
  // no whole chunk: the C loop alone (1 pixel, N - 1); batches (two chunks and a tail each)
  { input: [1, 1, 1, 8], steps: [{ outC: 16 }], allOutputs: true },
  { input: [1, 1, N - 1, 4], steps: [{ outC: 8 }], allOutputs: true },
  { input: [2, 5, 5, 8], steps: [{ outC: 16 }, { outC: 4 }], allOutputs: true },
  // only the last output: each output over its dying input, 8 -> 16 -> 8 (wider, then narrower)
  { input: [1, 6, 7, 8], steps: [{ outC: 8 }, { outC: 4 }, { outC: 8 }, { outC: 16 }], allOutputs: false },
  { input: [1, 9, 9, 4], steps: [{ outC: 8 }, { outC: 8 }, { outC: 4 }, { outC: 8 }], allOutputs: false },
  // zero point -128: the requantization without its SUB (dsp.ts floorAtZeroPoint), beside the same shapes at other zero points
  {
    input: [1, 3, N + 5, 8],
    steps: [{ outC: 16, zeroPoint: -128 }, { outC: 8, zeroPoint: -128 }, { outC: 4, zeroPoint: -128 }, { outC: 4 }, { outC: 8, zeroPoint: -128 }],
    allOutputs: true,
  },
  // VWW's row-band shape: 7 rows of 48 pixels, 8 -> 16 under zero point -128, and 4 -> 8 -> 4
  { input: [1, 7, 48, 8], steps: [{ outC: 16, zeroPoint: -128 }], allOutputs: true },
  {
    input: [1, 3, 48, 4],
    steps: [
      { outC: 8, zeroPoint: -128 },
      { outC: 4, zeroPoint: -128 },
    ],
    allOutputs: false,
  },
];

/** the model of zero points -128 beside others (its weights drawn from its index) */
const FLOORED = 9;

function graphs(seed: number): Graph[] {
  return MODELS.map((m, i) => chain(`dsp_narrow_run_${seed}_${i}`, m.input, m.steps, seed * 100 + i, m.allOutputs));
}

describe('CONV_2D DSP narrow 1x1 assembly run', () => {
  it('takes 4 or 8 input channels, 1 to 255 outputs, the whole int8 range', () => {
    expect(narrowRunCandidate(8, 16, -128, 127)).to.equal(true);
    expect(narrowRunCandidate(4, 255, -128, 127)).to.equal(true);
    expect(narrowRunCandidate(8, 256, -128, 127)).to.equal(false);
    expect(narrowRunCandidate(6, 16, -128, 127)).to.equal(false);
    expect(narrowRunCandidate(8, 16, -128, 57)).to.equal(false);
    expect(() => narrowRunAsm('f', 5, 16)).to.throw();
    // the chunk's inputs widened once (two pixels a turn), one LDM of the record per channel, the chunk's pixels unrolled
    const text = narrowRunAsm('tf_x', 8, 16);
    expect(text.match(/stm r3!, \{r4-r7\}/g)).to.have.length(2);
    expect(text.match(/ldm r1!, \{r4-r10\}/g)).to.have.length(1);
    expect(text).to.include(`ldrd r11, r12, [sp, #${(NARROW_RUN_PIXELS - 1) * 16 + 8}]`);
    expect(text.match(/strb\.w r3, \[r2, #\d+\]/g)).to.have.length(NARROW_RUN_PIXELS);
    expect(text).to.include(`strb.w r3, [r2, #${(NARROW_RUN_PIXELS - 1) * 16}]`);
  });

  it("places the output so that each chunk's outputs end before its inputs begin", () => {
    const p = (outH: number, outW: number, inC: number, outC: number, actMax = 127) =>
      ({ batches: 1, outH, outW, inC, outC, actMin: -128, actMax }) as unknown as Conv2DParams;
    // 4 chunks and 3 pixels, 8 -> 16: pixel by pixel (4 N + 3) 8; the last chunk (from 3 N) binds
    expect(narrowOverlap(p(1, 4 * N + 3, 8, 16))!.gap).to.equal(4 * N * 16 - 3 * N * 8);
    // 8 -> 4 (narrower): pixel by pixel no gap, but the first chunk's N * 4 outputs would overwrite
    // its own inputs, which every channel reads again
    expect(narrowOverlap(p(1, 4 * N, 8, 4))!.gap).to.equal(N * 4);
    // 4 -> 4: the chunk bound, N * 4
    expect(narrowOverlap(p(1, 2 * N, 4, 4))!.gap).to.equal(N * 4);
    // no whole chunk, or clamped (the C loop): pixel by pixel
    expect(narrowOverlap(p(1, N - 1, 4, 4))!.gap).to.equal(0);
    expect(narrowOverlap(p(1, 4 * N, 8, 16, 57))!.gap).to.equal(4 * N * 8);
  });

  it('is chosen where it applies, and the C loop elsewhere (host build)', () => {
    const g = graphs(41)[0]!;
    const text = compileGraph(g, `${g.name}.tflite`, { isa: loadTarget('cortex-m4').isa }).generated.files.find((f) => f.role === 'source')!.text;
    for (const run of ['tf_dsp_narrow8_run_o8', 'tf_dsp_narrow8_run_o4', 'tf_dsp_narrow4_run_o4', 'tf_dsp_narrow8_run_o255'])
      expect(text).to.include(`${run}(`);
    expect(text).to.match(/tf_dsp_narrow4_[fx]c\(/);
    // zero point -128: the floored routine, four instructions to requantize ('z'), or three from the
    // rounding records where every channel's shift allows them ('r'), beside the other one
    const floored = graphs(41)[FLOORED]!;
    const zText = compileGraph(floored, `${floored.name}.tflite`, { isa: loadTarget('cortex-m4').isa }).generated.files.find((f) => f.role === 'source')!.text;
    for (const run of ['tf_dsp_narrow8_run_o16z', 'tf_dsp_narrow8_run_o4rp', 'tf_dsp_narrow4_run_o4', 'tf_dsp_narrow4_run_o8z'])
      expect(zText).to.include(`${run}(`);
    expect(narrowRunAsm('tf_x', 8, 16, { floor: true })).to.not.include('lsr #24');
    expect(narrowRunAsm('tf_x', 8, 16)).to.include('lsr #24');
    // the rounding form: SMMLAR by K with the zero point (-128, in lr), no shift
    const rounded = narrowRunAsm('tf_x', 8, 16, { floor: true, round: true });
    expect(rounded).to.include('mvn lr, #127');
    expect(rounded.match(/smmlar r3, r3, r10, lr/g)).to.have.length(NARROW_RUN_PIXELS);
    expect(rounded).to.not.include('asr r3');
    expect(() => narrowRunAsm('tf_x', 8, 16, { round: true })).to.throw();
    // the Cortex-M7's dual-issue schedule: each half by its own LDR, none past the chunk's halves
    const dual = narrowRunAsm('tf_x', 8, 16, { floor: true, round: true, dual: true });
    expect(dual).to.not.include('ldrd');
    expect(dual.match(/ldr r1[12], \[sp, #/g)).to.have.length(4 * NARROW_RUN_PIXELS);
    expect(dual).to.not.include(`[sp, #${16 * NARROW_RUN_PIXELS}]`);
    expect(() => narrowRunAsm('tf_x', 8, 16, { floor: true, dual: true })).to.throw();
    // the Cortex-M4's four pipelined loads a pixel, the end and the records' pointer past the halves
    const pipelined = narrowRunAsm('tf_x', 8, 16, { floor: true, round: true, pipelined: true });
    expect(pipelined).to.not.include('ldrd');
    expect(pipelined.match(/ldr(\.w)? r(0|1|11|12), \[sp, #/g)).to.have.length(4 * NARROW_RUN_PIXELS + 2);
    expect(() => narrowRunAsm('tf_x', 4, 16, { floor: true, round: true, pipelined: true })).to.throw();
    const m7 = compileGraph(floored, `${floored.name}.tflite`, { isa: loadTarget('cortex-m7').isa }).generated.files.find((f) => f.role === 'source')!.text;
    expect(m7).to.include('tf_dsp_narrow8_run_o4rd(');
    const small = compileGraph(g, `${g.name}.tflite`, { isa: loadTarget('cortex-m4').isa, prefer: 'size' }).generated.files.find(
      (f) => f.role === 'source',
    )!.text;
    expect(small).to.not.include('narrowRunAsm');
  });
});

const TARGETS: Record<string, string> = { 'qemu-mps2-an386': 'cortex-m4', 'qemu-mps2-an500': 'cortex-m7', 'qemu-mps2-an505': 'cortex-m33' };

for (const [board, target] of Object.entries(TARGETS)) {
  describe(`CONV_2D DSP narrow 1x1 assembly run on the emulated board ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-conv-narrow-run-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('random narrow layers through the chunked run are bit-exact', async () => {
      const seed = 42 + Object.keys(TARGETS).indexOf(board);
      for (const graph of graphs(seed)) {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed });
      }
    });
  });
}
