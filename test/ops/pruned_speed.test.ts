// SPDX-License-Identifier: Apache-2.0
/**
 * A pruned model is never slower than its dense twin (ops/encoding_choice.ts, the kernels' one cost
 * model): generated pruned layers (1x1 and 3x3 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED on one row
 * and on four) at 70, 90 and 98 % zeros, each layer on the storage the compiler chooses against the same
 * layer dense (sparse, Huffman, palette and int4 storages off), counted per layer on the emulated
 * board: where the chosen storage is not dense, it never costs more (a counter tick of slack), and where the
 * zeros pay it is faster. Per family, on its own emulator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import type { KernelChoices } from '../../src/core/ops/op.ts';
import { profileModel, type ProfileLayer } from '../../src/lab/run/profile.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { requireTools } from '../build/helpers.ts';
import { sideBySide } from '../helpers/graph_builder.ts';
import { type PrunedLayerShape, prunedLayer } from '../helpers/pruned_layers.ts';

const SHAPES: PrunedLayerShape[] = [
  { kind: 'CONV_2D', size: 12, inC: 32, outC: 64, k: 1 },
  { kind: 'CONV_2D', size: 12, inC: 16, outC: 32, k: 3 },
  { kind: 'CONV_2D', size: 6, inC: 128, outC: 128, k: 1 },
  { kind: 'DEPTHWISE_CONV_2D', size: 10, inC: 32, outC: 32, k: 3 },
  { kind: 'FULLY_CONNECTED', size: 1, inC: 256, outC: 64, k: 1 },
  { kind: 'FULLY_CONNECTED', size: 1, inC: 200, outC: 48, k: 1, batches: 4 },
];
const SPARSITIES = [0.7, 0.9, 0.98];
const DENSE: KernelChoices = { sparse: 'off', entropy: false, palette: false, int4: false };

const key = (l: ProfileLayer) => `${l.op} ${JSON.stringify(l.inputs[0])} -> ${JSON.stringify(l.outputs[0])}`;

/** Each family on its emulator; `tick` is the counter's resolution (the M4's SysTick counts 40 instructions a tick under QEMU). */
const FAMILIES = [
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], tick: 40 },
  { target: 'rp2040', tools: ['arm-none-eabi-gcc'], tick: 1 },
  { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], tick: 1 },
];

for (const { target, tools, tick } of FAMILIES) {
  describe(`pruned layers on ${target}: never slower than dense, faster where the zeros pay`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tf-pruned-speed-'));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    for (const sparsity of SPARSITIES) {
      it(`${Math.round(sparsity * 100)} % zeros`, async () => {
        const graph = sideBySide(
          `pruned${Math.round(sparsity * 100)}`,
          SHAPES.map((s, k) => prunedLayer(s, sparsity, 500 + k)),
        );
        const path = join(dir, `${graph.name}.tflite`);
        writeFileSync(path, writeTflite(graph));
        const chosen = await profileModel(path, { target });
        const dense = await profileModel(path, { target, kernels: DENSE } as Parameters<typeof profileModel>[1]);
        expect(chosen.matchesReference && dense.matchesReference).to.equal(true);
        // the kernel each layer runs, as the compile chooses it (the same choice the builds made)
        const isa = loadTarget(target).isa;
        const kernelsOf = (kernels?: KernelChoices) =>
          new Map(
            compileGraph(graph, 'm.tflite', { isa, ...(kernels ? { kernels } : {}) }).prepared.layers.map((l) => [
              `${l.op.kind} ${JSON.stringify(graph.tensors[l.op.inputs[0]!]!.shape)} -> ${JSON.stringify(graph.tensors[l.op.outputs[0]!]!.shape)}`,
              l.variant.name,
            ]),
          );
        const chosenKernel = kernelsOf();
        const denseKernel = kernelsOf(DENSE);
        const denseByKey = new Map(dense.layers.map((l) => [key(l), l]));
        let faster = 0;
        let storages = 0;
        for (const l of chosen.layers.filter((x) => x.count > 0)) {
          const twin = denseByKey.get(key(l))!;
          expect(twin, key(l)).to.not.equal(undefined);
          // the same kernel both ways is no choice: its count moves only with where the linker puts it
          const kernel = chosenKernel.get(key(l));
          if (kernel === undefined || kernel === denseKernel.get(key(l))) continue;
          storages++;
          expect(l.count, `${key(l)}: ${kernel} ${l.count}, dense ${denseKernel.get(key(l))} ${twin.count}`).to.be.at.most(twin.count + tick);
          if (l.count < 0.8 * twin.count) faster++;
        }
        if (sparsity >= 0.9) expect(storages, 'layers on another storage than dense').to.be.at.least(1);
        // at 98 % zeros the sparse kernels win on the layers whose rows are long enough
        if (sparsity >= 0.95) expect(faster, 'layers at least 20 % faster').to.be.at.least(2);
      });
    }
  });
}
