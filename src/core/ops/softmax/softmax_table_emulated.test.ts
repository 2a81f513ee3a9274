// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX's exp-table variants (table.ts) on emulated boards of each family: the Cortex-M4 (QEMU
 * mps2-an386, Arm DSP), the Cortex-M55 (QEMU mps3-an547, MVE: gathers from the table), the RP2040
 * (rp2040js, Armv6-M: 32-bit-product SRDHM and reciprocal) and the ESP32-C3 class (QEMU riscv32 virt,
 * RV32): one model per board of random SOFTMAX layers (rows and
 * depths, input scales over decades, zero points, betas, int8 and int16 outputs), bit-exact with the
 * TypeScript reference over every output byte.
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
import { randomInt, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import softmax from './index.ts';

function softmaxModel(name: string, seed: number, layers: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  for (let k = 0; k < layers; ) {
    // every fourth layer long rows, every fifth a keyword spotter's few classes (the row kernel)
    const depth = k % 5 === 4 ? randomInt(rand, 2, 5) : randomInt(rand, 2, k % 4 === 3 ? 300 : 40);
    const shape = [k % 5 === 4 ? 1 : randomInt(rand, 1, 6), depth];
    const q = { scale: Math.exp(-5 + rand() * 6), zeroPoint: randomInt(rand, -128, 127) };
    const beta = rand() < 0.5 ? 1 : Math.exp(-1 + rand() * 2);
    const outQ = k % 3 === 2 ? { scale: 1 / 65536, zeroPoint: -32768 } : { scale: 1 / 256, zeroPoint: -128 };
    const dtype = k % 3 === 2 ? ('int16' as const) : ('int8' as const);
    const probe = singleOpGraph('SOFTMAX', [{ shape, ...q }], [{ shape, dtype, ...outQ }], { beta });
    try {
      softmax.check(probe.graph, probe.op);
    } catch {
      continue;
    }
    const x = b.input({ shape, q, name: `x${k}` });
    const [o] = b.op('SOFTMAX', [x], [{ shape, dtype, q: outQ, name: `softmax${k}` }], { beta });
    b.output(o!);
    k++;
  }
  return b.build();
}

const BOARDS = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], kind: /Arm DSP: exp table/ },
  // the MVE table kernel (mve.ts); the layers where the table does not pay run the Arm DSP row kernel
  { target: 'cortex-m55', board: 'qemu-mps3-an547', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], kind: /MVE: exp table by gather loads/ },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'], kind: /Armv6-M: exp table/ },
  { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], kind: /RV32: exp table/ },
];

for (const { target, board, tools, kind } of BOARDS) {
  describe(`SOFTMAX exp-table variant on the emulated ${board}`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-softmax-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('random SOFTMAX layers are bit-exact with the reference', async () => {
      const graph = softmaxModel(`softmax_${target.replace('-', '_')}`, 31, 10);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text.match(new RegExp(kind, 'g')) ?? [], 'layers on the table variant').to.have.length.greaterThan(5);
      if (target === 'rp2040') expect(text, 'the Armv6-M row kernel').to.match(/Armv6-M: SRDHM from 32-bit products/);
      else expect(text, 'the Arm DSP / RV32 row kernel').to.match(/Arm DSP \/ RV32: each SRDHM/);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 5 });
    });

    it('classifier heads (rows of 2 to 30 classes, batches of rows) on the row kernels are bit-exact', async () => {
      const rand = rng(77);
      const b = new GraphBuilder(`softmax_heads_${target.replace('-', '_')}`);
      let layers = 0;
      while (layers < 10) {
        const shape = [layers % 3 === 2 ? randomInt(rand, 2, 8) : 1, [2, 4, 10, 12][layers % 4]! + (layers >= 4 ? randomInt(rand, 0, 18) : 0)];
        const q = { scale: Math.exp(-5 + rand() * 5), zeroPoint: randomInt(rand, -128, 127) };
        const beta = rand() < 0.7 ? 1 : Math.exp(-1 + rand() * 2);
        const outQ = layers % 5 === 4 ? { scale: 1 / 65536, zeroPoint: -32768 } : { scale: 1 / 256, zeroPoint: -128 };
        const dtype = layers % 5 === 4 ? ('int16' as const) : ('int8' as const);
        const probe = singleOpGraph('SOFTMAX', [{ shape, ...q }], [{ shape, dtype, ...outQ }], { beta });
        try {
          softmax.check(probe.graph, probe.op);
        } catch {
          continue;
        }
        const x = b.input({ shape, q, name: `x${layers}` });
        const [o] = b.op('SOFTMAX', [x], [{ shape, dtype, q: outQ, name: `softmax${layers}` }], { beta });
        b.output(o!);
        layers++;
      }
      const graph = b.build();
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
      expect(compiled.prepared.layers.every((l) => l.variant.family !== 'portable')).to.equal(true);
      await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 9 });
    });
  });
}
