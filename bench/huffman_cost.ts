// SPDX-License-Identifier: Apache-2.0
/**
 * What Huffman-coded weights (src/core/ops/fully_connected/huffman.ts) cost and save on the emulated
 * Cortex-M4 (qemu-mps2-an386, instruction counter): one-layer FULLY_CONNECTED models with trained-like
 * weights (Laplacian, then magnitude-pruned and quantized per tensor), compiled with entropy coding off
 * and on, at 1 and 2 batches (the difference is the row loop; the rest is the decode). Prints weight
 * bytes, instructions, and the decoder's instructions per symbol and per weight. Outputs are checked
 * against the TS reference by the run.
 *
 *   npx tsx bench/huffman_cost.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../src/core/ir/graph.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { compileGraph } from '../src/core/compile.ts';
import { loadTarget } from '../src/core/targets/targets.ts';
import type { FullyConnectedParams } from '../src/core/ops/fully_connected/index.ts';
import { huffmanFcCost } from '../src/core/ops/fully_connected/huffman.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../test/helpers/op_harness.ts';

interface Layer {
  name: string;
  out: number;
  inF: number;
  /** share of weights pruned (smallest magnitudes) */
  zeros: number;
  /** quantized to this many bits (symmetric) */
  bits: number;
}

const LAYERS: Layer[] = [
  { name: 'FC 784x300, 90% pruned, int8', out: 300, inF: 784, zeros: 0.9, bits: 8 },
  { name: 'FC 784x300, 4-bit values', out: 300, inF: 784, zeros: 0, bits: 4 },
  { name: 'FC 784x300, int8 (not pruned)', out: 300, inF: 784, zeros: 0, bits: 8 },
  { name: 'FC 300x100, 90% pruned, int8', out: 100, inF: 300, zeros: 0.9, bits: 8 },
];

/** Laplacian float weights, the `zeros` smallest magnitudes set to zero, quantized symmetric per tensor to `bits`. */
function trainedLikeWeights(rand: () => number, count: number, zeros: number, bits: number): Int8Array {
  const w = Float64Array.from({ length: count }, () => Math.log(rand() + 1e-12) * (rand() < 0.5 ? -1 : 1));
  const magnitudes = Float64Array.from(w, Math.abs).sort();
  const threshold = zeros > 0 ? magnitudes[Math.floor(zeros * count)]! : 0;
  // 8 bits: scaled to the largest weight; fewer: to the 99th percentile and clipped (as a b-bit quantizer
  // tuned for error does), so the values spread over the whole b-bit range
  const max = bits === 8 ? magnitudes[count - 1]! : magnitudes[Math.floor(0.99 * count)]!;
  const levels = (1 << (bits - 1)) - 1;
  return Int8Array.from(w, (v) => (Math.abs(v) < threshold ? 0 : Math.max(-levels, Math.min(levels, Math.round((v / max) * levels)))));
}

function model(l: Layer, batches: number): Graph {
  const rand = rng(14);
  const b = new GraphBuilder(`huff_${l.out}x${l.inF}_${l.zeros}_${l.bits}_${batches}`);
  const x = b.input({ shape: [batches, l.inF], q: { scale: 0.05, zeroPoint: 3 }, name: 'x' });
  const w = b.constant({ shape: [l.out, l.inF], q: { scale: 0.004, zeroPoint: 0 } }, trainedLikeWeights(rand, l.out * l.inF, l.zeros, l.bits));
  const bias = b.constant(
    { shape: [l.out], dtype: 'int32', q: { scale: 0.0002, zeroPoint: 0 } },
    Int32Array.from({ length: l.out }, () => randomInt(rand, -3000, 3000)),
  );
  const [o] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [batches, l.out], q: { scale: 0.2, zeroPoint: -5 }, name: 'y' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(o!);
  return b.build();
}

async function measure(graph: Graph, entropy: boolean, dir: string) {
  const kernels = { entropy };
  const path = join(dir, `${graph.name}_${entropy ? 'on' : 'off'}.tflite`);
  saveTflite(path, graph);
  const rand = rng(3);
  const input = graph.inputs.map(
    (i) =>
      new Uint8Array(
        randomInt8(
          rand,
          graph.tensors[i]!.shape.reduce((a, c) => a * c, 1),
        ).buffer,
      ),
  );
  const report = await runModel(path, { target: 'cortex-m4', board: 'qemu-mps2-an386', cases: [input], kernels });
  if (!report.matchesReference) throw new Error(`${graph.name}: outputs differ from the reference`);
  const compiled = compileGraph(graph, path, { isa: loadTarget('cortex-m4').isa, kernels });
  const p = compiled.prepared.layers[0]?.params as FullyConnectedParams | undefined;
  return { instructions: report.perInference!, flashWeights: report.memory.flashWeights, arena: report.memory.arena, params: p };
}

const dir = mkdtempSync(join(tmpdir(), 'tinyforge-huff-'));
try {
  for (const l of LAYERS) {
    const off = await measure(model(l, 1), false, dir);
    const on1 = await measure(model(l, 1), true, dir);
    const on2 = await measure(model(l, 2), true, dir);
    const h = on1.params?.entropy;
    const weights = l.out * l.inF;
    const rowLoop = on2.instructions - on1.instructions;
    const entries = h?.kind === 'sparse' ? h.symbols / 2 : weights;
    console.log(`  two batches minus one: ${(rowLoop / entries).toFixed(2)} instructions per MAC (${h?.kind ?? '-'})`);
    const decode = on1.instructions - rowLoop;
    console.log(`${l.name}:`);
    console.log(
      `  weight flash: ${off.flashWeights} B -> ${on1.flashWeights} B (${((1 - on1.flashWeights / off.flashWeights) * 100).toFixed(1)}% off)` +
        (h ? `; coded weights ${h.bytes} B for ${h.replacedBytes} B (${h.kind}, ${((1 - h.bytes / h.replacedBytes) * 100).toFixed(1)}% off)` : ''),
    );
    console.log(
      `  instructions: ${off.instructions} -> ${on1.instructions} (x${(on1.instructions / off.instructions).toFixed(2)}); row loop per batch ${rowLoop}, decode ${decode}`,
    );
    if (h)
      console.log(
        `  cost model: ${huffmanFcCost(on1.params!, true).instructions} instructions (measured ${on1.instructions}), ${huffmanFcCost(on1.params!, true).flashBytes} B`,
      );
    if (h)
      console.log(
        `  decode: ${(decode / h.symbols).toFixed(2)} instructions per symbol (${h.symbols}), ${(decode / weights).toFixed(2)} per weight; arena ${off.arena} -> ${on1.arena} B`,
      );
  }
  // LeNet-5's conv2 (14x14x6 -> 10x10x16, 5x5), 70% pruned by magnitude
  {
    const rand = rng(5);
    const b = new GraphBuilder('huff_conv');
    const x = b.input({ shape: [1, 14, 14, 6], q: { scale: 0.05, zeroPoint: -10 }, name: 'x' });
    const w = b.constant({ shape: [16, 5, 5, 6], q: { scale: 0.004, zeroPoint: 0 } }, trainedLikeWeights(rand, 16 * 5 * 5 * 6, 0.7, 8));
    const [o] = b.op('CONV_2D', [x, w], [{ shape: [1, 10, 10, 16], q: { scale: 0.2, zeroPoint: -5 }, name: 'y' }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU',
    });
    b.output(o!);
    const graph = b.build();
    const off = await measure(graph, false, dir);
    const on = await measure(graph, true, dir);
    console.log('CONV_2D 14x14x6 -> 10x10x16 5x5, 70% pruned, int8:');
    console.log(`  weight flash: ${off.flashWeights} B -> ${on.flashWeights} B (${((1 - on.flashWeights / off.flashWeights) * 100).toFixed(1)}% off)`);
    console.log(`  instructions: ${off.instructions} -> ${on.instructions} (x${(on.instructions / off.instructions).toFixed(2)})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
