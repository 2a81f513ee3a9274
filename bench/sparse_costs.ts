// SPDX-License-Identifier: Apache-2.0
/**
 * Dense vs sparse weights on the emulated boards: one pruned layer per op (CONV_2D, DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED, and an mnist_lstm-shaped UNIDIRECTIONAL_SEQUENCE_LSTM: 28 steps, 28 inputs, 20 units)
 * at several sparsities, compiled once with every layer dense
 * (sparse kernels off) and once sparse (forced), run once; prints instructions per
 * inference (cycles on the RP2040), weight flash, and the per-entry cost of the sparse kernel these
 * measurements give (the figures of common/codecs/sparse_taps.ts, fully_connected/sparse.ts and
 * unidirectional_sequence_lstm/sparse.ts).
 *
 *   npx tsx bench/sparse_costs.ts [--targets cortex-m4,rp2040,esp32c3] [--ops conv,dw,fc,lstm] [--sparsities 0.5,0.7,0.9,0.95] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { loadGraph } from '../src/core/model/load.ts';
import { prepareGraph } from '../src/core/ops/prepare.ts';
import { loadTarget } from '../src/core/targets/targets.ts';
import { randomInt, randomInt8, rng, singleOpGraph } from '../test/helpers/op_harness.ts';
import type { Graph } from '../src/core/ir/graph.ts';
import { lstmGraph } from '../test/helpers/lstm_cases.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const targets = arg('--targets', 'cortex-m4').split(',');
const sparsities = arg('--sparsities', '0.5,0.7,0.9,0.95').split(',').map(Number);
const ops = arg('--ops', 'conv,dw,fc').split(',') as Kind[];
type Kind = 'conv' | 'dw' | 'fc' | 'lstm';

function pruned(rand: () => number, n: number, zeros: number): Int8Array {
  const w = randomInt8(rand, n, -127, 127);
  for (let i = 0; i < n; i++) if (rand() < zeros || w[i] === 0) w[i] = 0;
  return w;
}

function layer(kind: Kind, zeros: number): Graph {
  const rand = rng(7);
  if (kind === 'lstm') {
    // mnist_lstm_int8's LSTM: 28 time steps of 28 inputs, 20 units; the eight gate matrices pruned
    const weights = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => pruned(rand, 20 * (k < 4 ? 28 : 20), zeros));
    const { graph } = lstmGraph({ batches: 1, steps: 28, inputSize: 28, units: 20, inZp: -3, hZp: 2, cellPower: -11, weights, seed: 7 });
    return graph;
  }
  const bias = (n: number) => ({ shape: [n], dtype: 'int32' as const, data: Int32Array.from({ length: n }, () => randomInt(rand, -3000, 3000)) });
  if (kind === 'fc')
    return singleOpGraph(
      'FULLY_CONNECTED',
      [{ shape: [1, 512], scale: 0.05, zeroPoint: 3 }, { shape: [64, 512], scale: 0.006, zeroPoint: 0, data: pruned(rand, 64 * 512, zeros) }, bias(64)],
      [{ shape: [1, 64], scale: 0.08, zeroPoint: -5 }],
      { activation: 'RELU', keepNumDims: false },
    ).graph;
  const conv = { padding: 'SAME' as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' as const };
  if (kind === 'conv')
    // 16x16x16 -> 16x16x32, 3x3 SAME
    return singleOpGraph(
      'CONV_2D',
      [
        { shape: [1, 16, 16, 16], scale: 0.05, zeroPoint: -7 },
        { shape: [32, 3, 3, 16], scale: Array.from({ length: 32 }, () => 0.004), axis: 0, data: pruned(rand, 32 * 9 * 16, zeros) },
        bias(32),
      ],
      [{ shape: [1, 16, 16, 32], scale: 0.1, zeroPoint: -3 }],
      conv,
    ).graph;
  // 24x24x32 depthwise 3x3 SAME
  return singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [1, 24, 24, 32], scale: 0.05, zeroPoint: -7 },
      { shape: [1, 3, 3, 32], scale: Array.from({ length: 32 }, () => 0.01), axis: 3, data: pruned(rand, 9 * 32, zeros) },
      bias(32),
    ],
    [{ shape: [1, 24, 24, 32], scale: 0.1, zeroPoint: -3 }],
    { ...conv, depthMultiplier: 1 },
  ).graph;
}

interface Row {
  target: string;
  op: string;
  zeros: number;
  denseInstr: number;
  sparseInstr: number;
  denseFlash: number;
  sparseFlash: number;
  denseKernel: string;
  sparseKernel: string;
  /** what `--prefer speed` / `size` pick on this layer */
  speedPicks: string;
  sizePicks: string;
  entries: number;
  outputs: number;
  groups: number;
}

const dir = mkdtempSync(join(tmpdir(), 'sparse-costs-'));
const rows: Row[] = [];
try {
  for (const target of targets) {
    const isa = loadTarget(target).isa;
    for (const kind of ops) {
      for (const zeros of sparsities) {
        const graph = layer(kind, zeros);
        const path = join(dir, `${kind}_${zeros}.tflite`);
        saveTflite(path, graph);
        const measure = async (mode: 'off' | 'force') => {
          const kernels = { sparse: mode };
          const prepared = prepareGraph(loadGraph(path), path, isa, undefined, kernels);
          const r = await runModel(path, { target, kernels });
          if (!r.cases.every((c) => c.matchesReference)) throw new Error(`${target} ${kind} ${zeros} ${mode}: not bit-exact`);
          return { instr: r.perInference!, flash: r.memory.flashWeights, layer: prepared.layers[0]! };
        };
        const dense = await measure('off');
        const sparse = await measure('force');
        const pick = (prefer: 'size' | 'speed') => prepareGraph(loadGraph(path), path, isa, prefer).layers[0]!.variant.name;
        const s = (sparse.layer.params as { sparse?: { values: ArrayLike<number>; taps?: ArrayLike<number>; form?: string } }).sparse;
        const outShape = graph.tensors[graph.outputs[0]!]!.shape;
        rows.push({
          target,
          op: kind,
          zeros,
          denseInstr: dense.instr,
          sparseInstr: sparse.instr,
          denseFlash: dense.flash,
          sparseFlash: sparse.flash,
          denseKernel: dense.layer.variant.name,
          sparseKernel: sparse.layer.variant.name,
          speedPicks: pick('speed'),
          sizePicks: pick('size'),
          entries: s?.values.length ?? 0,
          outputs: outShape.reduce((a, b) => a * b, 1),
          groups: s?.form === 'groups' ? s.taps!.length : 0,
        });
        const r = rows[rows.length - 1]!;
        process.stderr.write(`${JSON.stringify(r)}\n`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`);
else {
  process.stdout.write(
    '| target | layer | zeros | dense instr | sparse instr | sparse/dense | dense flash B | sparse flash B | speed picks | size picks |\n|---|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const r of rows)
    process.stdout.write(
      `| ${r.target} | ${r.op} | ${Math.round(r.zeros * 100)}% | ${r.denseInstr.toLocaleString('en-US')} | ${r.sparseInstr.toLocaleString('en-US')} | ${(r.sparseInstr / r.denseInstr).toFixed(2)} | ${r.denseFlash} | ${r.sparseFlash} | ${r.speedPicks} | ${r.sizePicks} |\n`,
    );
}
