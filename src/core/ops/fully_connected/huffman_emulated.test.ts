// SPDX-License-Identifier: Apache-2.0
/**
 * Huffman-coded FULLY_CONNECTED weights (huffman.ts) on the emulated Cortex-M4 (qemu-mps2-an386):
 * the decoder of common/codecs/huffman.h compiled for the board, in one model of a sparse-coded layer
 * (pruned, values and gaps), a dense-coded one (peaked values) and a 4-bit-valued one, two batches,
 * per-channel and per-tensor scales; every output byte equal to the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import type { FullyConnectedParams } from './contract.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { peakedWeights } from '../../../../test/helpers/peaked_weights.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';

function huffmanModel(seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder('huffman_fc');
  const x = b.input({ shape: [2, 300], q: { scale: 0.05, zeroPoint: 7 }, name: 'x' });
  const layer = (from: number, inF: number, out: number, weights: Int8Array, perChannel: boolean, name: string) => {
    const scales = perChannel ? Array.from({ length: out }, () => 0.002 + rand() * 0.01) : [0.004];
    const w = b.constant({ shape: [out, inF], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
    const biasScales = scales.map((s) => s * 0.05);
    const bias = b.constant(
      { shape: [out], dtype: 'int32', quant: { scale: biasScales, zeroPoint: biasScales.map(() => 0), axis: 0 } },
      Int32Array.from({ length: out }, () => randomInt(rand, -3000, 3000)),
    );
    const [o] = b.op('FULLY_CONNECTED', [from, w, bias], [{ shape: [2, out], q: { scale: 0.1 + rand() * 0.2, zeroPoint: randomInt(rand, -50, 50) }, name }], {
      activation: 'NONE',
      keepNumDims: false,
    });
    b.output(o!);
    return o!;
  };
  const sparse = layer(x, 300, 64, peakedWeights(rand, 64 * 300, 6, 0.9), false, 'sparse_coded');
  layer(x, 300, 37, peakedWeights(rand, 37 * 300, 3, 0), true, 'dense_coded');
  layer(sparse, 64, 20, peakedWeights(rand, 20 * 64, 1.5, 0.1, -8, 7), true, 'four_bit_coded');
  return b.build();
}

describe('FULLY_CONNECTED Huffman-coded weights on the emulated Cortex-M4', function () {
  let dir: string;
  // the storage competes under --prefer size; palette and int4 off so every layer is Huffman-coded
  preferInSuite('size', { palette: false, int4: false });
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-huffman-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sparse-coded, dense-coded and 4-bit-valued layers decode bit-exactly on the board', async () => {
    const graph = huffmanModel(14);
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { ...suiteChoices(), isa: loadTarget('cortex-m4').isa });
    const kinds = compiled.prepared.layers.map((l) => [l.variant.name, (l.params as FullyConnectedParams).entropy?.kind]);
    expect(kinds).to.deep.equal([
      ['arm-dsp huffman', 'sparse'],
      ['arm-dsp huffman', 'dense'],
      ['arm-dsp huffman', 'dense'],
    ]);
    await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed: 3 });
  });
});
