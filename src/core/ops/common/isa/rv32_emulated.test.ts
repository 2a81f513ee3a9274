// SPDX-License-Identifier: Apache-2.0
/**
 * The RV32IMC variants (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) on the emulated ESP32-C3
 * core (QEMU riscv32 virt, the riscv64-unknown-elf-gcc build): small models chaining every kernel
 * shape the variants have, bit-exact with the TypeScript reference. The host tests (rv32.test.ts
 * beside each op) run the same C on many random shapes; this checks the target build picks the
 * variants and that the cross-compiled code (-march=rv32imc) agrees.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { Graph } from '../../../ir/graph.ts';
import { loadTarget } from '../../../targets/targets.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../../test/helpers/op_harness.ts';

/**
 * [n, h, w, 1] -> depthwise x8 (one input channel, SAME, stride 2) -> depthwise x1 (3x3 SAME) ->
 * 1x1 conv -> fully connected over the flattened pixels; every layer's output is a model output.
 */
function chain(
  name: string,
  input: [number, number, number, number],
  c: { mid: number; outC: number; features: number; perChannel: boolean; outScale: number },
  seed: number,
): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const [n, h, w] = input;
  const scales = (k: number) => (c.perChannel ? Array.from({ length: k }, () => 0.002 + rand() * 0.02) : [0.01]);
  const q = () => ({ scale: 0.2 + rand() * 0.3, zeroPoint: randomInt(rand, -20, 20) });
  const biasOf = (k: number) =>
    b.constant(
      { shape: [k], dtype: 'int32' },
      Int32Array.from({ length: k }, () => randomInt(rand, -3000, 3000)),
    );
  const x = b.input({ shape: input, q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  const h2 = Math.ceil(h / 2);
  const w2 = Math.ceil(w / 2);
  const dwScales1 = scales(c.mid);
  const dw1Filter = b.constant(
    { shape: [1, 3, 3, c.mid], quant: { scale: dwScales1, zeroPoint: dwScales1.map(() => 0), axis: 3 } },
    randomInt8(rand, 9 * c.mid, -127, 127),
  );
  const [y1] = b.op('DEPTHWISE_CONV_2D', [x, dw1Filter, biasOf(c.mid)], [{ shape: [n, h2, w2, c.mid], q: q() }], {
    padding: 'SAME',
    strideH: 2,
    strideW: 2,
    dilationH: 1,
    dilationW: 1,
    activation: 'RELU',
    depthMultiplier: c.mid,
  });
  const dwScales2 = scales(c.mid);
  const dw2Filter = b.constant(
    { shape: [1, 3, 3, c.mid], quant: { scale: dwScales2, zeroPoint: dwScales2.map(() => 0), axis: 3 } },
    randomInt8(rand, 9 * c.mid, -127, 127),
  );
  const [y2] = b.op('DEPTHWISE_CONV_2D', [y1!, dw2Filter, biasOf(c.mid)], [{ shape: [n, h2, w2, c.mid], q: q() }], {
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'NONE',
    depthMultiplier: 1,
  });
  const pwScales = scales(c.outC);
  const pwFilter = b.constant(
    { shape: [c.outC, 1, 1, c.mid], quant: { scale: pwScales, zeroPoint: pwScales.map(() => 0), axis: 0 } },
    randomInt8(rand, c.outC * c.mid, -127, 127),
  );
  const [y3] = b.op(
    'CONV_2D',
    [y2!, pwFilter, biasOf(c.outC)],
    [{ shape: [n, h2, w2, c.outC], q: { scale: c.outScale, zeroPoint: randomInt(rand, -20, 20) } }],
    {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'RELU6',
    },
  );
  const inF = h2 * w2 * c.outC;
  const fcFilter = b.constant({ shape: [c.features, inF], quant: { scale: [0.004], zeroPoint: [0], axis: 0 } }, randomInt8(rand, c.features * inF, -127, 127));
  const [y4] = b.op('FULLY_CONNECTED', [y3!, fcFilter, biasOf(c.features)], [{ shape: [n, c.features], q: q() }], { activation: 'NONE', keepNumDims: false });
  b.output(y1!, y2!, y3!, y4!);
  return b.build();
}

/**
 * The shapes the im2col CONV_2D and the general depthwise grouping cover: [1, h, w, 1] -> CONV_2D
 * 10x8 stride 2 SAME on one input channel (micro_speech's shape) -> CONV_2D 3x3 dilation 2 SAME ->
 * depthwise multiplier 3 stride 3 -> depthwise multiplier 1 over the 15 (not 4k) channels, 5x5 ->
 * grouped CONV_2D (3 groups of 5 channels) 2x2 VALID; every layer's output is a model output.
 */
function convChain(name: string, input: [number, number, number, number], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const perChannel = (k: number) => Array.from({ length: k }, () => 0.002 + rand() * 0.02);
  const q = () => ({ scale: 0.2 + rand() * 0.3, zeroPoint: randomInt(rand, -20, 20) });
  const biasOf = (k: number) =>
    b.constant(
      { shape: [k], dtype: 'int32' },
      Int32Array.from({ length: k }, () => randomInt(rand, -3000, 3000)),
    );
  const filterOf = (shape: number[], channels: number, axis: number) => {
    const scales = perChannel(channels);
    return b.constant(
      { shape, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis } },
      randomInt8(
        rand,
        shape.reduce((a, v) => a * v, 1),
        -127,
        127,
      ),
    );
  };
  const conv = { dilationH: 1, dilationW: 1, activation: 'RELU' as const };
  const [n, h, w] = input;
  const x = b.input({ shape: input, q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  const h1 = Math.ceil(h / 2);
  const w1 = Math.ceil(w / 2);
  const [y1] = b.op('CONV_2D', [x, filterOf([8, 10, 8, 1], 8, 0), biasOf(8)], [{ shape: [n, h1, w1, 8], q: q() }], {
    ...conv,
    padding: 'SAME',
    strideH: 2,
    strideW: 2,
  });
  const [y2] = b.op('CONV_2D', [y1!, filterOf([5, 3, 3, 8], 5, 0), biasOf(5)], [{ shape: [n, h1, w1, 5], q: q() }], {
    ...conv,
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    dilationH: 2,
    dilationW: 2,
  });
  const h3 = Math.ceil(h1 / 3);
  const w3 = Math.ceil(w1 / 3);
  const [y3] = b.op('DEPTHWISE_CONV_2D', [y2!, filterOf([1, 3, 3, 15], 15, 3), biasOf(15)], [{ shape: [n, h3, w3, 15], q: q() }], {
    ...conv,
    padding: 'SAME',
    strideH: 3,
    strideW: 3,
    depthMultiplier: 3,
  });
  const [y4] = b.op('DEPTHWISE_CONV_2D', [y3!, filterOf([1, 5, 5, 15], 15, 3), biasOf(15)], [{ shape: [n, h3, w3, 15], q: q() }], {
    ...conv,
    activation: 'NONE',
    padding: 'SAME',
    strideH: 1,
    strideW: 1,
    depthMultiplier: 1,
  });
  const [y5] = b.op('CONV_2D', [y4!, filterOf([6, 2, 2, 5], 6, 0), biasOf(6)], [{ shape: [n, h3 - 1, w3 - 1, 6], q: q() }], {
    ...conv,
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
  });
  b.output(y1!, y2!, y3!, y4!, y5!);
  return b.build();
}

const CONV_MODELS: { graph: Graph; note: string }[] = [
  { note: 'one image 25x20 (a micro_speech-like stem), odd pixel counts', graph: convChain('rv32_conv_a', [1, 25, 20, 1], 41) },
  { note: 'three images 13x17: pixel blocks spanning rows and images', graph: convChain('rv32_conv_b', [3, 13, 17, 1], 42) },
];

const MODELS: { graph: Graph; note: string }[] = [
  {
    note: 'per-channel scales, 8 channels (groups of 8 and 4), a 3-column tail, odd pixel counts',
    graph: chain('rv32_a', [1, 9, 11, 1], { mid: 8, outC: 7, features: 5, perChannel: true, outScale: 0.4 }, 31),
  },
  {
    note: 'two images, per-tensor scales, 12 channels, left shifts in the 1x1 layer, 2 batches x 10 features',
    graph: chain('rv32_b', [2, 5, 6, 1], { mid: 12, outC: 16, features: 10, perChannel: false, outScale: 0.00005 }, 32),
  },
];

/**
 * [n, inF] -> FULLY_CONNECTED with pruned weights (the sparse RV32 kernel) -> MUL by a second input
 * with an output scale 2^(16..24) finer than the product of the input scales (the wide stage: p << (left
 * + 1) leaves int32); both outputs are model outputs.
 */
function sparseMulChain(name: string, n: number, inF: number, features: number, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [n, inF], q: { scale: 0.05, zeroPoint: randomInt(rand, -128, 127) }, name: 'x' });
  const weights = randomInt8(rand, features * inF, -127, 127).map((w) => (rand() < 0.8 ? 0 : w));
  const scales = Array.from({ length: features }, () => 0.002 + rand() * 0.02);
  const filter = b.constant({ shape: [features, inF], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
  const bias = b.constant(
    { shape: [features], dtype: 'int32' },
    Int32Array.from({ length: features }, () => randomInt(rand, -3000, 3000)),
  );
  const yScale = 0.3;
  const [y] = b.op('FULLY_CONNECTED', [x, filter, bias], [{ shape: [n, features], q: { scale: yScale, zeroPoint: 100 } }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  const zScale = 0.02;
  const z = b.input({ shape: [n, features], q: { scale: zScale, zeroPoint: -128 }, name: 'z' });
  const [m] = b.op('MUL', [y!, z], [{ shape: [n, features], q: { scale: yScale * zScale * 2 ** -(16 + rand() * 8), zeroPoint: randomInt(rand, -128, 127) } }], {
    activation: 'NONE',
  });
  b.output(y!, m!);
  return b.build();
}

describe('RV32IMC variants on the emulated ESP32-C3 (QEMU riscv32 virt)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-rv32-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { graph, note } of MODELS) {
    it(`${graph.name}: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('esp32c3').isa });
      expect(compiled.prepared.layers.map((l) => l.variant.family)).to.deep.equal(['rv32', 'rv32', 'rv32', 'rv32']);
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text.match(/\(RV32IMC: /g)?.length ?? 0).to.equal(4);
      await expectExactOnBoard(graph, compiled, { target: 'esp32c3', board: 'qemu-riscv32-virt', dir, seed: 7 });
    });
  }

  for (const [k, [n, inF, features]] of [
    [1, 300, 10],
    [3, 77, 13],
  ].entries()) {
    it(`sparse FULLY_CONNECTED ${n}x${inF} -> ${features} and a MUL on its wide (left-shift) stage`, async () => {
      const graph = sparseMulChain(`rv32_sparse_mul_${k}`, n!, inF!, features!, 60 + k);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('esp32c3').isa });
      expect(compiled.prepared.layers.map((l) => l.variant.name)).to.deep.equal(['rv32 sparse', 'rv32']);
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text).to.include('by MULHSU');
      await expectExactOnBoard(graph, compiled, { target: 'esp32c3', board: 'qemu-riscv32-virt', dir, seed: 7 + k });
    });
  }

  for (const { graph, note } of CONV_MODELS) {
    it(`${graph.name}: k x k CONV_2D (im2col), grouped CONV_2D, depthwise multiplier 3 and 15 channels at multiplier 1: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('esp32c3').isa });
      expect(compiled.prepared.layers.map((l) => l.variant.family)).to.deep.equal(['rv32', 'rv32', 'rv32', 'rv32', 'rv32']);
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      expect(text.match(/\(RV32IMC: im2col/g)?.length ?? 0).to.equal(3);
      await expectExactOnBoard(graph, compiled, { target: 'esp32c3', board: 'qemu-riscv32-virt', dir, seed: 7 });
    });
  }
});
