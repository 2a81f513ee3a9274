// SPDX-License-Identifier: Apache-2.0
/**
 * 16x8 layers (int16 activations, int8 weights, int64 bias) measured per MAC: each layer a one-op
 * model (random weights, per-channel scales, biases and inputs from a seed), run once on the emulated
 * Cortex-M4 (instructions) and RP2040 (cycles), and on the M4 under TFLite Micro + CMSIS-NN
 * (tflm-cmsis-m4/run, test/helpers/runtimes.ts) too, outputs checked against the TS reference.
 *
 *   npx tsx bench/int16_layers.ts [--targets cortex-m4,rp2040] [--no-cmsis]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../src/core/ir/graph.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { randomInt, rng } from '../test/helpers/op_harness.ts';
import { runtimePath } from '../test/helpers/runtimes.ts';

const CMSIS_RUN = runtimePath('tflm-cmsis-m4');

interface Layer {
  name: string;
  op: 'conv' | 'dw' | 'fc';
  image: number;
  inC: number;
  outC: number;
  k: number;
  stride: number;
}

const LAYERS: Layer[] = [
  { name: 'conv k1 16x16x16->32', op: 'conv', image: 16, inC: 16, outC: 32, k: 1, stride: 1 },
  { name: 'conv k3 16x16x8->16', op: 'conv', image: 16, inC: 8, outC: 16, k: 3, stride: 1 },
  { name: 'conv k3s2 16x16x3->8', op: 'conv', image: 16, inC: 3, outC: 8, k: 3, stride: 2 },
  { name: 'dw k3 16x16x16', op: 'dw', image: 16, inC: 16, outC: 16, k: 3, stride: 1 },
  { name: 'fc 256->64', op: 'fc', image: 0, inC: 256, outC: 64, k: 0, stride: 1 },
  { name: 'fc 1000->10', op: 'fc', image: 0, inC: 1000, outC: 10, k: 0, stride: 1 },
];

function layerGraph(l: Layer, seed: number): { graph: Graph; input: Int16Array; macs: number } {
  const rand = rng(seed);
  const b = new GraphBuilder(`int16_${l.op}`);
  const inScale = 10 ** (-3 - rand());
  const o = Math.ceil(l.image / l.stride);
  const wShape = l.op === 'conv' ? [l.outC, l.k, l.k, l.inC] : l.op === 'dw' ? [1, l.k, l.k, l.outC] : [l.outC, l.inC];
  const channels = l.op === 'fc' ? 1 : l.outC;
  const scales = Array.from({ length: channels }, () => 0.002 + rand() * 0.01);
  const taps = l.op === 'conv' ? l.k * l.k * l.inC : l.op === 'dw' ? l.k * l.k : l.inC;
  const weights = Int8Array.from({ length: wShape.reduce((a, d) => a * d, 1) }, () => randomInt(rand, -127, 127));
  const w = b.constant({ shape: wShape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: l.op === 'dw' ? 3 : 0 } }, weights);
  const bias = b.constant(
    { shape: [l.outC], dtype: 'int64' },
    BigInt64Array.from({ length: l.outC }, () => BigInt(randomInt(rand, -50000, 50000))),
  );
  const inShape = l.op === 'fc' ? [1, l.inC] : [1, l.image, l.image, l.inC];
  const x = b.input({ shape: inShape, dtype: 'int16', q: { scale: inScale, zeroPoint: 0 } });
  const outQ = { scale: inScale * scales[0]! * 8000 * Math.sqrt(taps), zeroPoint: 0 };
  const window = { padding: 'SAME', strideH: l.stride, strideW: l.stride, dilationH: 1, dilationW: 1, activation: 'NONE' };
  const [y] =
    l.op === 'fc'
      ? b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, l.outC], dtype: 'int16', q: outQ }], { activation: 'NONE', keepNumDims: false })
      : b.op(l.op === 'conv' ? 'CONV_2D' : 'DEPTHWISE_CONV_2D', [x, w, bias], [{ shape: [1, o, o, l.outC], dtype: 'int16', q: outQ }], {
          ...window,
          ...(l.op === 'dw' ? { depthMultiplier: 1 } : {}),
        });
  b.output(y!);
  const input = Int16Array.from({ length: inShape.reduce((a, d) => a * d, 1) }, () => randomInt(rand, -20000, 20000));
  return { graph: b.build(), input, macs: (l.op === 'fc' ? 1 : o * o) * l.outC * taps };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const targets = (args[args.indexOf('--targets') + 1] && args.includes('--targets') ? args[args.indexOf('--targets') + 1]! : 'cortex-m4,rp2040').split(',');
  const cmsis = !args.includes('--no-cmsis') && existsSync(CMSIS_RUN);
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-int16-bench-'));
  try {
    for (const [k, l] of LAYERS.entries()) {
      const { graph, input, macs } = layerGraph(l, 1000 + k);
      const path = join(work, `layer${k}.tflite`);
      saveTflite(path, graph);
      const bytes = new Uint8Array(input.buffer);
      const cells: string[] = [`${l.name.padEnd(22)} ${String(macs).padStart(7)} MACs`];
      for (const target of targets) {
        const r = await runModel(path, { target, cases: [[bytes]] });
        cells.push(`${target} ${((r.perInference ?? NaN) / macs).toFixed(3)}/MAC${r.matchesReference ? '' : ' MISMATCH'}`);
        if (target === 'cortex-m4' && cmsis) {
          const inputFile = join(work, `layer${k}.bin`);
          writeFileSync(inputFile, bytes);
          const j = JSON.parse(execFileSync(CMSIS_RUN, [path, inputFile], { encoding: 'utf8' }).trim().split('\n').pop()!) as {
            invoke_instructions?: number;
            outputs_hex?: string;
          };
          const same = j.outputs_hex === Buffer.from(Int16Array.from(r.outputs[0]!).buffer).toString('hex') ? '' : ' (outputs differ)';
          cells.push(
            `cmsis-nn ${((j.invoke_instructions ?? NaN) / macs).toFixed(3)}/MAC (ours/theirs ${((r.perInference ?? NaN) / (j.invoke_instructions ?? NaN)).toFixed(2)})${same}`,
          );
        }
      }
      process.stdout.write(cells.join('  ') + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
