// SPDX-License-Identifier: Apache-2.0
/**
 * Palette (LUT) weight kernels against dense int8 on generated layers: FULLY_CONNECTED 256->64 and a
 * 3x3 CONV_2D, palettized per channel to b = 2, 3, 4, 6 bits, run on an emulated target. Prints
 * instructions (or cycles) per MAC and weight bytes, palette kernel vs the dense kernel on the same
 * values (palette kernels off).
 *
 *   npx tsx bench/palette.ts [--target cortex-m4] [--bits 2,3,4,6]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTflite } from '../src/core/model/tflite/writer.ts';
import { runModel } from '../src/lab/run/run.ts';
import { palettize } from '../src/compress/palettize.ts';
import { prepareGraph } from '../src/core/ops/prepare.ts';
import type { Graph } from '../src/core/ir/graph.ts';
import { randomInt, randomInt8, rng, singleOpGraph } from '../test/helpers/op_harness.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1]! : fallback;
};
const target = option('--target', 'cortex-m4');
const bitsList = option('--bits', '2,3,4,6').split(',').map(Number);

/** bell-shaped int8 weights, as trained layers have */
function bell(rand: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.max(-127, Math.min(127, Math.round((rand() + rand() + rand() - 1.5) * 90))));
}

function layers(): { name: string; graph: Graph }[] {
  const rand = rng(1);
  const fc = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [1, 256], scale: 0.05, zeroPoint: 3 },
      { shape: [64, 256], data: bell(rand, 64 * 256), scale: Array.from({ length: 64 }, () => 0.001 + rand() * 0.001), zeroPoint: new Array(64).fill(0) },
      { shape: [64], dtype: 'int32', data: Int32Array.from({ length: 64 }, () => randomInt(rand, -2000, 2000)) },
    ],
    [{ shape: [1, 64], scale: 0.2, zeroPoint: -5 }],
    { activation: 'RELU', keepNumDims: false },
  ).graph;
  const conv = singleOpGraph(
    'CONV_2D',
    [
      { shape: [1, 16, 16, 16], scale: 0.05, zeroPoint: -7 },
      {
        shape: [32, 3, 3, 16],
        data: bell(rand, 32 * 9 * 16),
        scale: Array.from({ length: 32 }, () => 0.001 + rand() * 0.001),
        zeroPoint: new Array(32).fill(0),
      },
      { shape: [32], dtype: 'int32', data: Int32Array.from({ length: 32 }, () => randomInt(rand, -2000, 2000)) },
    ],
    [{ shape: [1, 16, 16, 32], scale: 0.2, zeroPoint: -5 }],
    { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' },
  ).graph;
  void randomInt8;
  return [
    { name: 'FC 256->64', graph: fc },
    { name: 'CONV 3x3 16x16x16->32', graph: conv },
  ];
}

async function measure(graph: Graph, dir: string, name: string, palette: boolean) {
  const kernels = { palette };
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, writeTflite(graph));
  const prepared = prepareGraph(graph, name, undefined, undefined, kernels);
  const layer = prepared.layers?.[0] as { params?: { palette?: { bytes: number; bits: number; perChannel: boolean } } } | undefined;
  const report = await runModel(path, { target, kernels });
  return { report, palette: layer?.params?.palette };
}

const dir = mkdtempSync(join(tmpdir(), 'tinyforge-palette-'));
try {
  console.log(`target ${target}: per MAC and weight bytes, palette kernel vs dense int8 on the same values`);
  console.log('| layer | b | weights dense -> palette (B) | flash dense -> palette (B) | dense /MAC | palette /MAC | matches |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { name, graph } of layers()) {
    for (const bits of bitsList) {
      const { graph: clustered } = palettize(graph, { bits, perChannel: true });
      const base = `${name.replace(/[^a-z0-9]+/gi, '_')}_b${bits}`;
      const dense = await measure(clustered, dir, `${base}_dense`, false);
      const pal = await measure(clustered, dir, `${base}_palette`, true);
      const macs = pal.report.macs;
      const weightBytes = clustered.tensors[clustered.ops[0]!.inputs[1]!]!.data!.length;
      const perMac = (r: typeof dense.report) => (r.perInference === null ? 'n/a' : (r.perInference / macs).toFixed(2));
      console.log(
        `| ${name} | ${bits} | ${weightBytes} -> ${pal.report.memory.flashWeights - dense.report.memory.flashWeights + weightBytes} | ${dense.report.memory.flash} -> ${pal.report.memory.flash} | ${perMac(dense.report)} | ${perMac(pal.report)} | ${dense.report.matchesReference && pal.report.matchesReference} |`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
