// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 element-wise, pooling and reduction layers (ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D,
 * MEAN, SOFTMAX) measured per element: each layer a one-op model (random int16 inputs from a seed),
 * run once on the emulated Cortex-M4 (QEMU instructions), RP2040 (rp2040js cycles) and ESP32-C3 class
 * (QEMU riscv32 instructions), outputs checked against the TS reference. "Per element" counts output
 * elements for ADD/SUB/MUL, window taps for the pools and input elements for MEAN and SOFTMAX.
 *
 *   npx tsx bench/int16_ops.ts [--targets cortex-m4,rp2040,esp32c3] [--ops add,avgpool]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, elementCount } from '../src/core/ir/graph.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { GraphBuilder, type Spec } from '../test/helpers/graph_builder.ts';
import { randomInt, rng } from '../test/helpers/op_harness.ts';

interface Layer {
  key: string;
  name: string;
  build(b: GraphBuilder): number;
}

const a16 = (shape: number[], scale: number): Spec => ({ shape, dtype: 'int16', q: { scale, zeroPoint: 0 } });

function binary(kind: 'ADD' | 'SUB' | 'MUL', a: number[], bShape: number[], out: number[], s1: number, s2: number, so: number): Layer['build'] {
  return (b) => {
    const x = b.input(a16(a, s1));
    const y = b.input(a16(bShape, s2));
    b.output(b.op(kind, [x, y], [a16(out, so)], { activation: 'NONE' })[0]!);
    return elementCount(out);
  };
}

function pool(kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', hw: number, c: number, k: number, stride: number): Layer['build'] {
  return (b) => {
    const o = Math.floor((hw - k) / stride) + 1;
    const x = b.input(a16([1, hw, hw, c], 0.001));
    const attrs = { padding: 'VALID', strideH: stride, strideW: stride, filterH: k, filterW: k, activation: 'NONE' };
    b.output(b.op(kind, [x], [a16([1, o, o, c], 0.001)], attrs)[0]!);
    return o * o * c * k * k;
  };
}

const LAYERS: Layer[] = [
  { key: 'add', name: 'ADD 16x16x32', build: binary('ADD', [1, 16, 16, 32], [1, 16, 16, 32], [1, 16, 16, 32], 0.001, 0.0013, 0.002) },
  { key: 'add', name: 'ADD bcast c32', build: binary('ADD', [1, 16, 16, 32], [32], [1, 16, 16, 32], 0.001, 0.0007, 0.0015) },
  { key: 'sub', name: 'SUB 16x16x32', build: binary('SUB', [1, 16, 16, 32], [1, 16, 16, 32], [1, 16, 16, 32], 0.001, 0.0013, 0.002) },
  { key: 'mul', name: 'MUL 16x16x32', build: binary('MUL', [1, 16, 16, 32], [1, 16, 16, 32], [1, 16, 16, 32], 0.001, 0.0013, 0.001 * 0.0013 * 2 ** 15) },
  { key: 'avgpool', name: 'AVG_POOL 2x2s2 16x16x32', build: pool('AVERAGE_POOL_2D', 16, 32, 2, 2) },
  { key: 'avgpool', name: 'AVG_POOL 3x3s1 12x12x8', build: pool('AVERAGE_POOL_2D', 12, 8, 3, 1) },
  { key: 'maxpool', name: 'MAX_POOL 2x2s2 16x16x32', build: pool('MAX_POOL_2D', 16, 32, 2, 2) },
  { key: 'maxpool', name: 'MAX_POOL 3x3s2 15x15x8', build: pool('MAX_POOL_2D', 15, 8, 3, 2) },
  {
    key: 'mean',
    name: 'MEAN HW 8x8x64',
    build: (b) => {
      const x = b.input(a16([1, 8, 8, 64], 0.001));
      b.output(b.op('MEAN', [x, b.ints([1, 2])], [a16([1, 1, 1, 64], 0.0005)], { keepDims: true })[0]!);
      return 8 * 8 * 64;
    },
  },
  {
    key: 'mean',
    name: 'MEAN C 32x64',
    build: (b) => {
      const x = b.input(a16([32, 64], 0.001));
      b.output(b.op('MEAN', [x, b.ints([1])], [a16([32], 0.0007)], { keepDims: false })[0]!);
      return 32 * 64;
    },
  },
  {
    key: 'softmax',
    name: 'SOFTMAX 16x128',
    build: (b) => {
      const x = b.input(a16([16, 128], 0.0008));
      b.output(b.op('SOFTMAX', [x], [a16([16, 128], 1 / 32768)], { beta: 1 })[0]!);
      return 16 * 128;
    },
  },
];

function layerGraph(l: Layer): { graph: Graph; elements: number } {
  const b = new GraphBuilder(`int16_${l.key}`);
  const elements = l.build(b);
  return { graph: b.build(), elements };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const targets = (arg('--targets') ?? 'cortex-m4,rp2040,esp32c3').split(',');
  const ops = arg('--ops')?.split(',');
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-int16-ops-'));
  try {
    for (const [k, l] of LAYERS.entries()) {
      if (ops && !ops.includes(l.key)) continue;
      const { graph, elements } = layerGraph(l);
      const path = join(work, `layer${k}.tflite`);
      saveTflite(path, graph);
      const rand = rng(500 + k);
      const inputs = graph.inputs.map(
        (i) => new Uint8Array(Int16Array.from({ length: elementCount(graph.tensors[i]!.shape) }, () => randomInt(rand, -20000, 20000)).buffer),
      );
      const cells: string[] = [`${l.name.padEnd(24)} ${String(elements).padStart(6)} el`];
      for (const target of targets) {
        const r = await runModel(path, { target, cases: [inputs] });
        cells.push(`${target} ${((r.perInference ?? NaN) / elements).toFixed(2)}/el${r.matchesReference ? '' : ' MISMATCH'}`);
      }
      process.stdout.write(cells.join('  ') + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
