// SPDX-License-Identifier: Apache-2.0
/**
 * The word-at-a-time pool variants (pool_words.h) on the emulated Cortex-M4 (QEMU mps2-an386, where
 * SXTAB16 and SSUB8/SEL run), the RP2040 (rp2040js, the Armv6-M SWAR loops) and the ESP32-C3 class
 * (QEMU riscv32 virt, the same SWAR loops on RV32IMC): one model per board
 * of random AVERAGE_POOL_2D and MAX_POOL_2D layers (windows 1x1..7x7 and global, strides 1..3, SAME
 * and VALID, batches, channel counts with and without a word tail on the M4, every activation),
 * plus CONV_2D layers with one pixel over the whole input (as_fc.ts: the FC kernels), bit-exact with
 * the TypeScript reference over every output byte.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { FusedActivation, Graph } from '../../../ir/graph.ts';
import { loadTarget } from '../../../targets/targets.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../../test/helpers/op_harness.ts';
import { outputSize } from './padding.ts';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function poolModel(name: string, wholeWords: boolean, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  for (let k = 0; k < 14; k++) {
    const kind = k % 2 === 0 ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
    const global = k % 5 === 4;
    const depth = wholeWords ? 4 * randomInt(rand, 1, 12) : randomInt(rand, 4, 45);
    // 2x2 windows (the DSP average divides 2^k taps in the lanes; Armv6-M and RV32 have a 2x2 loop) to 7x7
    const f = randomInt(rand, 2, global ? 7 : 5);
    const fw = rand() < 0.7 || f === 2 ? f : randomInt(rand, 3, 5);
    const [h, w] = global ? [f, fw] : [randomInt(rand, f, 11), randomInt(rand, fw, 11)];
    const padding = global || rand() < 0.5 ? 'VALID' : 'SAME';
    const [sh, sw] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const batches = k % 4 === 3 ? 2 : 1;
    const q = { scale: 0.02 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) };
    const x = b.input({ shape: [batches, h, w, depth], q, name: `x${k}` });
    const out = [batches, outputSize(padding, h, f, sh), outputSize(padding, w, fw, sw), depth];
    const [o] = b.op(kind, [x], [{ shape: out, q, name: `pool${k}` }], {
      padding,
      strideH: sh,
      strideW: sw,
      filterH: f,
      filterW: fw,
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
    });
    b.output(o!);
  }
  // one-pixel convolutions over the whole input: 1x1 on a 1x1 image, 3x3 VALID on a 3x3 image
  for (const [k, inC, outC] of [
    [1, 40, 13],
    [3, 6, 20],
  ] as const) {
    const x = b.input({ shape: [1, k, k, inC], q: { scale: 0.05, zeroPoint: -3 }, name: `cx${k}` });
    const wScales = Array.from({ length: outC }, () => 0.002 + rand() * 0.02);
    const w = b.constant(
      { shape: [outC, k, k, inC], quant: { scale: wScales, zeroPoint: wScales.map(() => 0), axis: 0 } },
      randomInt8(rand, outC * k * k * inC, -127, 127),
    );
    const bias = b.constant(
      { shape: [outC], dtype: 'int32', quant: { scale: wScales.map((s) => s * 0.05), zeroPoint: wScales.map(() => 0), axis: 0 } },
      Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)),
    );
    const [o] = b.op('CONV_2D', [x, w, bias], [{ shape: [1, 1, 1, outC], q: { scale: 0.1, zeroPoint: 7 }, name: `conv${k}` }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU6',
    });
    b.output(o!);
  }
  return b.build();
}

const BOARDS = [
  {
    target: 'cortex-m4',
    board: 'qemu-mps2-an386',
    tools: ['arm-none-eabi-gcc', 'qemu-system-arm'],
    wholeWords: false,
    kinds: [/\(Arm DSP: 4 channels per word, SXTAB16/, /SSUB8\/SEL max/, /FULLY_CONNECTED's kernel/],
  },
  {
    target: 'rp2040',
    board: 'rp2040js',
    tools: ['arm-none-eabi-gcc'],
    wholeWords: true,
    kinds: [
      /\(Armv6-M: 4 channels per word, biased/,
      /SWAR byte max/,
      /FULLY_CONNECTED's kernel/,
      /2x2 window in registers, byte-wise/,
      /2x2 window in registers, three/,
    ],
  },
  {
    target: 'esp32c3',
    board: 'qemu-riscv32-virt',
    tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'],
    wholeWords: true,
    kinds: [/\(RV32IMC: 4 channels per word, biased/, /SWAR byte max/, /2x2 window in registers, byte-wise/, /2x2 window in registers, three/],
  },
];

for (const { target, board, tools, wholeWords, kinds } of BOARDS) {
  describe(`Pool word variants and one-pixel CONV_2D as FC on the emulated ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-pool-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('random pools and full-window convolutions are bit-exact with the reference', async () => {
      const graph = poolModel(`pools_${target.replace('-', '_')}`, wholeWords, 17);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      for (const kind of kinds) expect(text).to.match(kind);
      // every pool runs the word kernel (RV32: max pools of up to 30 taps, where the SWAR max pays)
      const runsWords = graph.ops.filter((op) => {
        const filter = op.attrs as { filterH?: number; filterW?: number };
        return target !== 'esp32c3' || op.kind === 'AVERAGE_POOL_2D' || (filter.filterH ?? 99) * (filter.filterW ?? 99) <= 30;
      });
      expect(text.match(/4 channels per word/g) ?? []).to.have.length(runsWords.filter((op) => op.kind.endsWith('POOL_2D')).length);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 9 });
    });
  });
}
