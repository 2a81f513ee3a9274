// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD kernels (family `xtensa-s3`: CONV_2D 1x1 and im2col, FULLY_CONNECTED,
 * DEPTHWISE_CONV_2D on QACC) executed by an emulator of the S3's PIE instructions: sweeps of random
 * layers, side by side in one model per sweep, compiled with `isa: { s3simd: true }`, run on
 * Espressif's QEMU `esp32s3` machine (test/helpers/s3pie_kernels.ts) and compared byte for byte
 * with the TypeScript reference, on full-range inputs and on -128/127 only; and the shared and zoo
 * models, compiled the same way, on every golden case against TFLite Micro's outputs. Skipped where
 * the emulator, the S3's binutils or xtensa-lx106-elf-gcc are absent (and the models where
 * ../shared is); the host tests (conv_2d/s3simd.test.ts ...) run the same C through the
 * instructions' C model everywhere.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { Graph } from '../../../ir/graph.ts';
import { elementCount } from '../../../ir/graph.ts';
import { interpret } from '../../interpreter.ts';
import conv from '../../conv_2d/index.ts';
import depthwise from '../../depthwise_conv_2d/index.ts';
import { depthwiseS3Applies } from '../../depthwise_conv_2d/s3simd.ts';
import fc from '../../fully_connected/index.ts';
import { skipAbsent } from '../../../../../test/helpers/absent.ts';
import { type CCase, randomInt, randomInt8, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { randomConv, randomDepthwise, randomFc, randomPointwise } from '../../../../../test/helpers/rv32_cases.ts';
import { S3, randomOneChannelDepthwise, randomPairDepthwise } from '../../../../../test/helpers/s3simd_cases.ts';
import { readTflite } from '../../../model/tflite/reader.ts';
import { SHARED_MODEL_NAMES, sharedFile, sharedListing, sharedModelsAvailable } from '../../../../../test/helpers/shared.ts';
import { runCompiledOnEsp32s3, s3KernelToolsMissing } from '../../../../../test/helpers/s3pie_kernels.ts';

/** Single-op graphs side by side: every op on its own input, every output a model output. */
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

function sweep(make: (rand: () => number) => CCase | undefined, count: number, seed: number): Graph[] {
  const rand = rng(seed);
  const graphs: Graph[] = [];
  while (graphs.length < count) {
    const c = make(rand);
    if (c) graphs.push(c.graph);
  }
  return graphs;
}

/** random depthwise layers the QACC kernel takes (multiplier 1, lanes proven to fit 20 bits, not undilated 3x3) */
function s3Depthwise(rand: () => number): CCase | undefined {
  const c = randomDepthwise(depthwise, rand);
  if (!c) return undefined;
  const p = depthwise.prepare(c.graph, c.op);
  return depthwiseS3Applies(p) && !p.accWraps ? c : undefined;
}

/** random depthwise layers of 16 to 128 channels (multiples of 16: windows inside the input read in place), mostly 3x3 */
function s3DepthwiseWide(rand: () => number): CCase | undefined {
  const c = 16 * [1, 2, 3, 4, 8][randomInt(rand, 0, 4)]!;
  const k = rand() < 0.75 ? 3 : randomInt(rand, 1, 5);
  const stride = randomInt(rand, 1, 2);
  const dilationH = rand() < 0.8 ? 1 : 2;
  const padding = rand() < 0.6 ? 'SAME' : 'VALID';
  const [inH, inW] = [randomInt(rand, 1, 9), randomInt(rand, 1, 9)];
  const span = (k - 1) * dilationH + 1;
  const outH = padding === 'SAME' ? Math.ceil(inH / stride) : Math.floor((inH - span) / stride) + 1;
  const outW = padding === 'SAME' ? Math.ceil(inW / stride) : Math.floor((inW - k) / stride) + 1;
  if (outH < 1 || outW < 1) return undefined;
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [1, inH, inW, c], scale: 0.001 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) },
      { shape: [1, k, k, c], scale: Array.from({ length: c }, () => 0.001 + rand() * 0.05), axis: 3, data: randomInt8(rand, k * k * c) },
      rand() < 0.8 ? { shape: [c], dtype: 'int32', data: Int32Array.from({ length: c }, () => randomInt(rand, -50000, 50000)) } : null,
    ],
    [{ shape: [1, outH, outW, c], scale: rand() < 0.2 ? 0.00002 + rand() * 0.0002 : 0.01 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
    { padding, strideH: stride, strideW: stride, dilationH, dilationW: 1, activation: rand() < 0.5 ? 'NONE' : 'RELU6', depthMultiplier: 1 },
  );
  const p = depthwise.prepare(graph, op);
  return depthwiseS3Applies(p) && !p.accWraps ? { def: depthwise, graph, op, inputs: [randomInt8(rand, inH * inW * c)] } : undefined;
}

const SWEEPS: { name: string; note: string; graphs: () => Graph[] }[] = [
  { name: 's3_fc', note: 'FULLY_CONNECTED: 1-6 batches, depths 1-70', graphs: () => sweep((r) => randomFc(fc, r), 8, 5501) },
  { name: 's3_pointwise', note: '1x1 CONV_2D: 1-48 input channels', graphs: () => sweep((r) => randomPointwise(conv, r), 8, 5502) },
  {
    name: 's3_pointwise_deep',
    note: '1x1 CONV_2D: 65-128 input channels (rows of 5-6 blocks held in q registers, 7-8 streamed)',
    graphs: () => sweep((r) => randomPointwise(conv, r, [65, 128]), 8, 5507),
  },
  {
    name: 's3_pointwise_blocks',
    note: '1x1 CONV_2D: 8-256 input channels in whole or half blocks (channel by channel, the input read in place, rows of 7-16 blocks partly held)',
    graphs: () =>
      sweep(
        (r) => {
          const depth = [8, 16, 32, 64, 96, 112, 128, 144, 256][randomInt(r, 0, 8)]!;
          return randomPointwise(conv, r, [depth, depth]);
        },
        8,
        5509,
      ),
  },
  { name: 's3_conv', note: 'k x k CONV_2D (im2col): kernels 1-7, strides 1-3, dilation, padding', graphs: () => sweep((r) => randomConv(conv, r), 8, 5503) },
  { name: 's3_depthwise', note: 'DEPTHWISE_CONV_2D on QACC: multiplier 1, kernels to 7x19, dilation', graphs: () => sweep(s3Depthwise, 8, 5504) },
  {
    name: 's3_depthwise_one_channel',
    note: 'DEPTHWISE_CONV_2D of one input channel (multiplier 2-24) as a convolution',
    graphs: () => sweep((r) => randomOneChannelDepthwise(depthwise, r), 8, 5506),
  },
  {
    name: 's3_depthwise_pairs',
    note: 'DEPTHWISE_CONV_2D of 8 channels, two output pixels in QACC',
    graphs: () => sweep((r) => randomPairDepthwise(depthwise, r), 8, 5508),
  },
  { name: 's3_depthwise_wide', note: 'DEPTHWISE_CONV_2D on QACC: 16-128 channels, 3x3 windows read in place', graphs: () => sweep(s3DepthwiseWide, 10, 5505) },
];

describe("ESP32-S3 SIMD kernels on Espressif's QEMU esp32s3 (the PIE instructions executed)", function () {
  before(function () {
    const missing = s3KernelToolsMissing();
    if (missing) skipAbsent(missing, 'skipping the S3 SIMD kernel sweeps on the esp32s3 machine', this, false);
  });

  for (const [k, s] of SWEEPS.entries()) {
    it(`${s.note}: bit-exact with the reference`, function () {
      const graph = sideBySide(s.name, s.graphs());
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: S3 });
      const families = compiled.prepared.layers.map((l) => l.variant.family);
      // layers whose int32 sum may wrap keep the portable C
      expect(families.filter((f) => f === 'xtensa-s3').length, families.join(' ')).to.be.greaterThan(graph.ops.length / 2);
      const rand = rng(80 + k);
      const sizes = graph.inputs.map((i) => elementCount(graph.tensors[i]!.shape));
      const cases = [
        sizes.map((n) => new Uint8Array(randomInt8(rand, n).buffer)),
        sizes.map((n) => new Uint8Array(Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127)).buffer)),
      ];
      const want = cases.flatMap((c) => interpret(compiled.prepared, c).outputs.flatMap((o) => Array.from(o)));
      const run = runCompiledOnEsp32s3(compiled, cases);
      // the instructions themselves, not their C model
      expect(run.pieInstructions).to.be.greaterThan(0);
      const got = Array.from(run.outputs);
      expect(got.length).to.equal(want.length);
      const first = got.findIndex((v, i) => v !== want[i]);
      expect(first, `first differing output byte ${first}: ${got[first]} vs ${want[first]}`).to.equal(-1);
    });
  }
});

/** The golden cases of a shared model (`zoo`: of the zoo sample): inputs and TFLite Micro's outputs. */
function golden(model: string, zoo: boolean): { input: Uint8Array; output: Uint8Array }[] {
  const dir = sharedFile(...(zoo ? ['zoo'] : []), 'golden', model);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: { input: string; output: string }[] };
  return index.cases.map((c) => ({ input: new Uint8Array(readFileSync(join(dir, c.input))), output: new Uint8Array(readFileSync(join(dir, c.output))) }));
}

const MODELS = [
  ...SHARED_MODEL_NAMES.map((name) => ({ name, zoo: false })),
  ...sharedListing('zoo')
    .filter((f) => f.endsWith('.tflite'))
    .map((f) => ({ name: f.replace(/\.tflite$/, ''), zoo: true })),
];

describe("the shared and zoo models with the S3 SIMD kernels on Espressif's QEMU esp32s3: bit-exact with TFLite Micro", function () {
  before(function () {
    const missing = s3KernelToolsMissing();
    if (missing) skipAbsent(missing, 'skipping the models on the esp32s3 machine', this, false);
    sharedModelsAvailable(this);
  });

  for (const { name, zoo } of MODELS) {
    it(`${zoo ? 'zoo/' : ''}${name}: every golden case`, function () {
      const graph = readTflite(sharedFile(...(zoo ? ['zoo'] : []), `${name}.tflite`));
      const compiled = compileGraph(graph, `${name}.tflite`, { isa: S3 });
      const cases = golden(name, zoo);
      const run = runCompiledOnEsp32s3(
        compiled,
        cases.map((c) => [c.input]),
      );
      if (compiled.prepared.layers.some((l) => l.variant.family === 'xtensa-s3')) expect(run.pieInstructions).to.be.greaterThan(0);
      expect(Buffer.compare(Buffer.from(run.outputs), Buffer.concat(cases.map((c) => c.output)))).to.equal(0);
    });
  }
});
