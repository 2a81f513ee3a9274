// SPDX-License-Identifier: Apache-2.0
/**
 * The Xtensa variants (CONV_2D 1x1 and im2col, DEPTHWISE_CONV_2D, FULLY_CONNECTED) on the emulated
 * ESP32 and ESP32-S3 cores (QEMU's Xtensa sim machine, Espressif's compilers): sweeps of random
 * layers, each on its own model input and output, run as one model per op and core and compared
 * byte for byte with the TypeScript reference. The MAC16 assembly runs only here; the host test
 * (xtensa.test.ts) runs the same C with the dot product's C fallback, CI included.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { Graph } from '../../../ir/graph.ts';
import { boardIsa, loadTarget } from '../../../targets/targets.ts';
import conv from '../../conv_2d/index.ts';
import depthwise from '../../depthwise_conv_2d/index.ts';
import fc from '../../fully_connected/index.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { rng } from '../../../../../test/helpers/op_harness.ts';
import { randomConv, randomDepthwise, randomFc, randomPointwise } from '../../../../../test/helpers/rv32_cases.ts';
import { xtensaToolsMissing } from '../../../../../test/helpers/xtensa.ts';
import { randomDepthwise3x3 } from '../../../../../test/helpers/xtensa_cases.ts';
import { skipAbsent } from '../../../../../test/helpers/absent.ts';

/** Single-op graphs side by side in one graph: every op on its own input, every output a model output. */
function sideBySide(name: string, graphs: Graph[]): Graph {
  const merged: Graph = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  for (const g of graphs) {
    const base = merged.tensors.length;
    const at = (t: number) => (t < 0 ? t : t + base);
    for (const t of g.tensors) merged.tensors.push({ ...t, index: t.index + base, name: `${merged.ops.length}_${t.name}` });
    for (const op of g.ops) merged.ops.push({ ...op, index: merged.ops.length, inputs: op.inputs.map(at), outputs: op.outputs.map(at) });
    merged.inputs.push(...g.inputs.map(at));
    merged.outputs.push(...g.outputs.map(at));
  }
  return merged;
}

/** `count` random layers of one kind (a generator may decline a shape that leaves no output). */
function sweep(make: (rand: () => number) => { graph: Graph } | undefined, count: number, seed: number): Graph[] {
  const rand = rng(seed);
  const graphs: Graph[] = [];
  while (graphs.length < count) {
    const c = make(rand);
    if (c) graphs.push(c.graph);
  }
  return graphs;
}

const SWEEPS: { name: string; note: string; graphs: () => Graph[] }[] = [
  { name: 'xt_fc', note: 'FULLY_CONNECTED: 1-6 batches, depths 1-70', graphs: () => sweep((r) => randomFc(fc, r), 12, 4401) },
  { name: 'xt_pointwise', note: '1x1 CONV_2D: 1-48 input channels', graphs: () => sweep((r) => randomPointwise(conv, r), 12, 4402) },
  { name: 'xt_conv', note: 'k x k CONV_2D: kernels 1-7, strides 1-3, dilation, padding', graphs: () => sweep((r) => randomConv(conv, r), 12, 4403) },
  {
    name: 'xt_depthwise3x3',
    note: '3x3 DEPTHWISE_CONV_2D at multiplier 1 (MAC16 rows): strides 1-2',
    graphs: () => sweep((r) => randomDepthwise3x3(depthwise, r), 12, 4405),
  },
  { name: 'xt_depthwise', note: 'DEPTHWISE_CONV_2D: multipliers 1-16', graphs: () => sweep((r) => randomDepthwise(depthwise, r), 12, 4404) },
];

for (const targetName of ['esp32', 'esp32s3']) {
  describe(`Xtensa variants on the emulated ${targetName} (QEMU Xtensa sim)`, function () {
    let dir: string;
    before(function () {
      const missing = xtensaToolsMissing(targetName);
      if (missing) skipAbsent(missing, `skipping the ${targetName} kernel sweeps`, this, false);
      dir = mkdtempSync(join(tmpdir(), `tinyforge-${targetName}-`));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const [k, s] of SWEEPS.entries()) {
      it(`${s.note}: bit-exact with the reference`, async function () {
        const graph = sideBySide(`${s.name}_${targetName}`, s.graphs());
        // the emulated board's ISA: QEMU has no ee.* instructions, so on esp32s3 it runs the `xtensa` family too
        const target = loadTarget(targetName);
        const isa = boardIsa(
          target,
          target.boards.find((b) => b.name === 'qemu-xtensa-sim'),
        );
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa });
        const families = compiled.prepared.layers.map((l) => l.variant.family);
        // grouped layers and those whose int32 sum may wrap run the portable C
        expect(families.filter((f) => f === 'xtensa').length).to.be.greaterThan(graph.ops.length / 2);
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/\(Xtensa: /g)?.length ?? 0).to.equal(families.filter((f) => f === 'xtensa').length);
        await expectExactOnBoard(graph, compiled, { target: targetName, dir, seed: 70 + k });
      });
    }
  });
}
