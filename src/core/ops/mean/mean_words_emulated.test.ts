// SPDX-License-Identifier: Apache-2.0
/**
 * MEAN's word variants (words.ts, mean_words.h) on emulated boards of each family: the Cortex-M4
 * (QEMU mps2-an386, SXTAB16), the RP2040 (rp2040js, Armv6-M) and the ESP32-C3 class (QEMU riscv32
 * virt, RV32): one model per board of random spatial means ([N,H,W,C] over H and W, [N,T,C] over T;
 * past 256 taps too, channel counts with and without a word tail, keep_dims or not, random
 * quantizations), bit-exact with the TypeScript reference over every output byte.
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
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { extremeQ } from '../../../../test/helpers/random_cases.ts';

function meanModel(name: string, seed: number, layers: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  for (let k = 0; k < layers; k++) {
    const keepDims = k % 2 === 0;
    const c = k % 3 === 0 ? randomInt(rand, 4, 30) : 4 * randomInt(rand, 1, 10);
    const n = k % 4 === 3 ? 2 : 1;
    const long = k % 5 === 4;
    const shape = long ? [n, randomInt(rand, 200, 400), c] : [n, randomInt(rand, 2, 9), randomInt(rand, 2, 9), c];
    const axes = long ? [1] : [1, 2];
    const out = keepDims ? (long ? [n, 1, c] : [n, 1, 1, c]) : [n, c];
    const qi = extremeQ(rand, -6, 1);
    const qo = rand() < 0.35 ? qi : extremeQ(rand, -6, 1);
    const x = b.input({ shape, q: qi, name: `x${k}` });
    const axis = b.constant({ shape: [axes.length], dtype: 'int32' }, Int32Array.from(axes));
    const [o] = b.op('MEAN', [x, axis], [{ shape: out, q: qo, name: `mean${k}` }], { keepDims });
    b.output(o!);
  }
  return b.build();
}

/** Channel means ([N,H,W,C] over C, odd run lengths, past 512 elements) and whole-tensor means. */
function runsModel(name: string, seed: number, layers: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  for (let k = 0; k < layers; k++) {
    const keepDims = k % 2 === 0;
    const c = k % 4 === 1 ? randomInt(rand, 513, 1200) : randomInt(rand, 2, 70);
    const n = 1 + (k % 2);
    const shape = [n, randomInt(rand, 1, 5), randomInt(rand, 1, 5), c];
    const scalar = k % 3 === 2;
    const axes = scalar ? [0, 1, 2, 3] : [3];
    const out = scalar ? (keepDims ? [1, 1, 1, 1] : []) : keepDims ? [...shape.slice(0, 3), 1] : shape.slice(0, 3);
    const qi = extremeQ(rand, -6, 1);
    const qo = rand() < 0.35 ? qi : extremeQ(rand, -6, 1);
    const x = b.input({ shape, q: qi, name: `x${k}` });
    const axis = b.constant({ shape: [axes.length], dtype: 'int32' }, Int32Array.from(axes));
    const [o] = b.op('MEAN', [x, axis], [{ shape: out, q: qo, name: `mean${k}` }], { keepDims });
    b.output(o!);
  }
  return b.build();
}

const BOARDS = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], kind: /Arm DSP: 4 channels per word/ },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'], kind: /Armv6-M: 4 channels per word/ },
  { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], kind: /RV32: 4 channels per word/ },
];

for (const { target, board, tools, kind } of BOARDS) {
  describe(`MEAN word variant on the emulated ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-mean-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('random spatial means are bit-exact with the reference', async () => {
      const graph = meanModel(`mean_${target.replace('-', '_')}`, 41, 10);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text.match(new RegExp(`MEAN int8.*${kind.source}`, 'g')) ?? [], 'layers on the word variant').to.have.length(10);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 6 });
    });

    it('random channel and whole-tensor means (the runs variant) are bit-exact with the reference', async () => {
      const graph = runsModel(`mean_runs_${target.replace('-', '_')}`, 43, 8);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      expect(compiled.prepared.layers.map((l) => l.variant.name.endsWith(' runs'))).to.deep.equal(new Array(8).fill(true));
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 8 });
    });
  });
}
