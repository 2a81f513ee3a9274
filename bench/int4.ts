// SPDX-License-Identifier: Apache-2.0
/**
 * Int4 weights vs int8 on a target (default the emulated Cortex-M4): FULLY_CONNECTED 256->64, a 1x1
 * and a 3x3 CONV_2D and a 3x3 DEPTHWISE_CONV_2D with int4-valued weights, each run with the int4
 * kernels and with the int8 kernels on the same values (int4 kernels off), and with
 * full-range int8 weights. Prints instructions per inference, per MAC, and the weights section.
 *
 *   npx tsx bench/int4.ts [--target cortex-m4] [--only 'FC'] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../src/core/ir/graph.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { conv, depthwise, fullyConnected, int4Model } from '../test/helpers/int4_models.ts';
import { randomInt8, rng } from '../test/helpers/op_harness.ts';

const args = process.argv.slice(2);
const target = args.includes('--target') ? args[args.indexOf('--target') + 1]! : 'cortex-m4';

const MODELS: [string, () => Graph][] = [
  ['FC 256->64', () => int4Model('fc256x64', 1, [1, 256], (l) => fullyConnected(l, 64))],
  ['CONV 1x1 16x16x32->32', () => int4Model('conv1x1', 2, [1, 16, 16, 32], (l) => conv(l, 32, 1, 1))],
  ['CONV 3x3 16x16x16->16', () => int4Model('conv3x3', 3, [1, 16, 16, 16], (l) => conv(l, 16, 3, 1))],
  ['DW 3x3 16x16x32', () => int4Model('dw3x3', 4, [1, 16, 16, 32], (l) => depthwise(l, 3))],
];

/** The same model with its weights redrawn over the whole int8 range (the int8 kernels' usual case). */
function fullRange(g: Graph): Graph {
  const rand = rng(99);
  const copy: Graph = { ...g, tensors: g.tensors.map((t) => ({ ...t })) };
  for (const op of copy.ops) {
    const w = copy.tensors[op.inputs[1]!]!;
    w.data = new Uint8Array(randomInt8(rand, w.data!.length, -127, 127).buffer);
    delete w.storageBits;
  }
  return copy;
}

const dir = mkdtempSync(join(tmpdir(), 'tinyforge-int4-bench-'));
const rows: Record<string, unknown>[] = [];
try {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]! : '';
  for (const [name, build] of MODELS.filter(([n]) => n.includes(only))) {
    const g = build();
    const runs: [string, Graph, boolean][] = [
      ['int4', g, true],
      ['int8 kernels, same values', g, false],
      ['int8 full range', fullRange(g), false],
    ];
    for (const [mode, graph, int4] of runs) {
      const path = join(dir, `${graph.name}.tflite`);
      saveTflite(path, graph);
      const r = await runModel(path, { target, kernels: { int4 } });
      if (!r.matchesReference) throw new Error(`${name} ${mode}: outputs differ from the reference`);
      const row = {
        layer: name,
        mode,
        instructions: r.perInference,
        perMac: r.perInference ? +(r.perInference / r.macs).toFixed(3) : null,
        flashWeights: r.memory.flashWeights,
        flash: r.memory.flash,
      };
      rows.push(row);
      if (!args.includes('--json'))
        console.log(
          `${name.padEnd(24)} ${mode.padEnd(26)} ${String(row.instructions).padStart(9)} instr  ${String(row.perMac).padStart(6)}/MAC  weights ${row.flashWeights} B  flash ${row.flash} B`,
        );
    }
  }
  if (args.includes('--json')) console.log(JSON.stringify({ target, rows }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
