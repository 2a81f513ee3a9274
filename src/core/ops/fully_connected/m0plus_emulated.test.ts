// SPDX-License-Identifier: Apache-2.0
/**
 * The Armv6-M variants of FULLY_CONNECTED and UNIDIRECTIONAL_SEQUENCE_LSTM on the emulated RP2040
 * (rp2040js), where common/isa/m0plus_mac.S's assembly runs (the host tests run its C twins): many layers in
 * one model, bit-exact with the TypeScript reference over every output byte.
 *
 * FULLY_CONNECTED: blocks of 8 rows (one and several; int8, and the row-pair lanes of weights in
 * [-127, 127]), a block of 4 (int8, and two row pairs over even input lengths), 1-3 rows left over, one input feature, odd and even input lengths, batches, per-channel scales, gains above 1 (left shifts),
 * accumulators beyond the pieces' bound (tf_m0_srdhm), clamps. LSTM: pairs of units in one
 * tf_m0fc_blocks8 call per step, an odd last unit (tf_m0fc_mac4), hidden zero points (recurrent
 * starts) and none (null starts), time-major batches, cell clipping, odd input sizes. Weight zero
 * points (weight_offset.ts): folded weights and per-batch corrected starts.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

interface FcLayer {
  /** an input's or an earlier layer's name; default the layer before */
  from?: string;
  out: number;
  perChannel?: boolean;
  activation?: FusedActivation;
  /** large biases: accumulators past the pieces' bound */
  huge?: boolean;
  /** a tiny output scale: multipliers above 1 */
  gain?: boolean;
  noBias?: boolean;
  /** a (legacy, per-tensor) weight zero point; `narrow`: weights that leave room for it in int8 */
  weightZeroPoint?: number;
  narrow?: boolean;
}

function fcModel(name: string, inputs: { name: string; shape: number[]; zeroPoint: number }[], layers: FcLayer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const byName = new Map<string, { index: number; shape: number[]; scale: number }>();
  for (const i of inputs)
    byName.set(i.name, { index: b.input({ shape: i.shape, q: { scale: 0.05, zeroPoint: i.zeroPoint }, name: i.name }), shape: i.shape, scale: 0.05 });
  let last = inputs[0]!.name;
  layers.forEach((l, k) => {
    const src = byName.get(l.from ?? last)!;
    const inF = src.shape[src.shape.length - 1]!;
    const batches = src.shape.slice(0, -1).reduce((x, y) => x * y, 1);
    const wScales = l.perChannel ? Array.from({ length: l.out }, () => 0.002 + rand() * 0.02) : [0.002 + rand() * 0.02];
    const z = l.weightZeroPoint ?? 0;
    const w = b.constant(
      { shape: [l.out, inF], quant: { scale: wScales, zeroPoint: wScales.map(() => z), axis: 0 } },
      l.narrow ? randomInt8(rand, l.out * inF, -128 + Math.max(z, 0), 127 + Math.min(z, 0)) : randomInt8(rand, l.out * inF, z === 0 ? -127 : -128, 127),
    );
    const ins = [src.index, w];
    if (!l.noBias) {
      const biasScales = wScales.map((s) => s * src.scale);
      const lim = l.huge ? 2e8 : 3000;
      ins.push(
        b.constant(
          { shape: [l.out], dtype: 'int32', quant: { scale: biasScales, zeroPoint: biasScales.map(() => 0), axis: 0 } },
          Int32Array.from({ length: l.out }, () => randomInt(rand, -lim, lim)),
        ),
      );
    }
    const scale = l.gain ? 0.00002 + rand() * 0.00005 : 0.05 + rand() * 0.2;
    const layerName = `fc${k}`;
    const [o] = b.op('FULLY_CONNECTED', ins, [{ shape: [batches, l.out], q: { scale, zeroPoint: randomInt(rand, -100, 100) }, name: layerName }], {
      activation: l.activation ?? 'NONE',
      keepNumDims: false,
    });
    byName.set(layerName, { index: o!, shape: [batches, l.out], scale });
    b.output(o!);
    last = layerName;
  });
  return b.build();
}

interface LstmLayer {
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  timeMajor?: boolean;
  inZp: number;
  hZp: number;
  cellPower: number;
  cellClip?: number;
}

function lstmModel(name: string, layers: LstmLayer[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  layers.forEach((s, k) => {
    const [d0, d1] = s.timeMajor ? [s.steps, s.batches] : [s.batches, s.steps];
    const inScale = 0.02;
    const x = b.input({ shape: [d0, d1, s.inputSize], q: { scale: inScale, zeroPoint: s.inZp }, name: `x${k}` });
    const hq = { scale: 1 / 128, zeroPoint: s.hZp };
    const wScales = Array.from({ length: 8 }, () => 0.002 + rand() * 0.01);
    const weight = (g: number, cols: number) =>
      b.constant({ shape: [s.units, cols], q: { scale: wScales[g]!, zeroPoint: 0 } }, randomInt8(rand, s.units * cols, -127, 127));
    const bias = (g: number) =>
      b.constant(
        { shape: [s.units], dtype: 'int32', q: { scale: inScale * wScales[g]!, zeroPoint: 0 } },
        Int32Array.from({ length: s.units }, () => randomInt(rand, -3000, 3000)),
      );
    const ins = [
      x,
      ...[0, 1, 2, 3].map((g) => weight(g, s.inputSize)),
      ...[4, 5, 6, 7].map((g) => weight(g, s.units)),
      -1,
      -1,
      -1,
      ...[0, 1, 2, 3].map(bias),
      -1,
      -1,
    ];
    const h = b.tensor({ shape: [s.batches, s.units], q: hq, name: `h${k}` });
    const c = b.tensor({ shape: [s.batches, s.units], dtype: 'int16', q: { scale: 2 ** s.cellPower, zeroPoint: 0 }, name: `c${k}` });
    ins.push(h, c, -1, -1, -1, -1);
    const [o] = b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', ins, [{ shape: [d0, d1, s.units], q: hq, name: `lstm${k}` }], {
      activation: 'TANH',
      cellClip: s.cellClip ?? 0,
      projClip: 0,
      timeMajor: s.timeMajor ?? false,
      asymmetricQuantizeInputs: false,
    });
    b.output(o!);
  });
  const graph = b.build();
  for (const t of graph.tensors) if (/^[hc]\d+$/.test(t.name)) t.isVariable = true;
  return graph;
}

/** FC layers over every row count the kernels split: blocks of 8, a block of 4, 1-3 rows left, one input feature */
const fcBlocksModel = (name: string) =>
  fcModel(
    name,
    [
      { name: 'a', shape: [1, 37], zeroPoint: -5 },
      { name: 'b', shape: [3, 16], zeroPoint: 60 },
      { name: 'one', shape: [4, 1], zeroPoint: -128 },
    ],
    [
      { out: 16, activation: 'RELU' }, // two blocks of 8
      { out: 13, perChannel: true }, // 8 + 4 + 1
      { from: 'a', out: 7, gain: true }, // 4 + 3, left shifts
      { from: 'a', out: 10, huge: true, activation: 'RELU6' }, // 8 + 2, tf_m0_srdhm
      { from: 'b', out: 27, perChannel: true, activation: 'RELU_N1_TO_1' }, // 3 batches, 8 * 3 + 3
      { from: 'b', out: 2, noBias: true },
      { from: 'one', out: 16 }, // one input feature
      { from: 'one', out: 3, noBias: true, perChannel: true },
      { from: 'b', out: 4, gain: true, perChannel: true }, // one block of 4
      { from: 'a', out: 8, huge: true, gain: true, perChannel: true },
      { from: 'a', out: 21, perChannel: true, activation: 'RELU6' }, // 8 + 8 + 4 + 1 (lanes: two blocks, then the int8 block of 4 and a row)
    ],
    41,
  );

const MODELS: { graph: Graph; note: string; kinds: RegExp[]; prefer?: 'size' }[] = [
  {
    note: 'FC, int8 blocks (--prefer size): blocks of 8, 4 and 1-3 rows, one input feature, batches, per-channel, gains above 1, huge biases, clamps',
    graph: fcBlocksModel('m0_fc'),
    kinds: [/tf_m0fc_mac8\(/, /tf_m0fc_mac4\(/, /one input feature/],
    prefer: 'size',
  },
  {
    note: 'FC, row-pair lanes for the blocks of 8 (weights in [-127, 127]), the int8 blocks for the 1-7 rows after them',
    graph: fcBlocksModel('m0_fc_lanes'),
    kinds: [/tf_m0_lstm_pairs8\(/, /tf_m0fc_mac4\(/, /row-pair lanes/, /one input feature/],
  },
  {
    note: 'FC, a block of 4 rows as two row pairs (even input lengths): 4-7 rows, 8 + 4 (+ 3), batches, per-channel, huge biases, gains above 1',
    graph: fcModel(
      'm0_fc_pairs4',
      [
        { name: 'c', shape: [1, 4000], zeroPoint: -128 },
        { name: 'd', shape: [3, 10], zeroPoint: 7 },
        { name: 'e', shape: [2, 2], zeroPoint: 0 },
      ],
      [
        { out: 4 }, // micro_speech's last layer: one block of 4 over 4000 inputs
        { from: 'd', out: 5, perChannel: true }, // 4 + 1
        { from: 'd', out: 7, huge: true, activation: 'RELU' }, // 4 + 3
        { from: 'd', out: 12, gain: true, perChannel: true }, // 8 + 4
        { from: 'e', out: 6, noBias: true }, // one column pair, 2 batches
        { from: 'c', out: 15, perChannel: true, activation: 'RELU6' }, // 8 + 4 + 3
      ],
      44,
    ),
    kinds: [/tf_m0fc_pairs4\(/, /and 4 as row pairs/, /tf_m0fc_mac8\(/],
  },
  {
    note: 'FC with weight zero points: per-batch corrected starts (full-range weights) and folded weights, batches, one input feature, huge biases',
    graph: fcModel(
      'm0_fc_wzp',
      [
        { name: 'a', shape: [1, 37], zeroPoint: -5 },
        { name: 'b', shape: [3, 16], zeroPoint: 127 },
        { name: 'one', shape: [4, 1], zeroPoint: -128 },
      ],
      [
        { out: 13, weightZeroPoint: 9 },
        { from: 'b', out: 27, weightZeroPoint: -30, activation: 'RELU' },
        { from: 'a', out: 10, weightZeroPoint: 3, huge: true },
        { from: 'a', out: 8, weightZeroPoint: -7, narrow: true, gain: true },
        { from: 'b', out: 5, weightZeroPoint: 40, narrow: true, noBias: true },
        { from: 'one', out: 6, weightZeroPoint: 2 },
      ],
      43,
    ),
    kinds: [/tf_m0fc_mac8\(/, /per batch row/],
  },
  {
    note: 'LSTM: unit pairs and an odd unit, hidden zero points and none, time-major batches, clipping, odd input sizes',
    graph: lstmModel(
      'm0_lstm',
      [
        { batches: 1, steps: 6, inputSize: 9, units: 5, inZp: -7, hZp: 12, cellPower: -11 },
        { batches: 2, steps: 4, inputSize: 4, units: 8, timeMajor: true, inZp: 30, hZp: 0, cellPower: -12, cellClip: 3 },
        { batches: 1, steps: 3, inputSize: 28, units: 1, inZp: -128, hZp: -100, cellPower: -15 },
        { batches: 2, steps: 5, inputSize: 3, units: 6, inZp: 0, hZp: 5, cellPower: -9 },
        { batches: 1, steps: 2, inputSize: 5, units: 3, inZp: 3, hZp: 0, cellPower: -11 }, // odd unit, zero starts
      ],
      42,
    ),
    kinds: [/tf_m0fc_blocks8\(/, /tf_m0fc_mac4\(/],
    // the int8 blocks: --prefer size (under speed the layers take the row-pair lanes, tested in the LSTM's folder)
    prefer: 'size',
  },
];

describe('FULLY_CONNECTED and LSTM Armv6-M variants on the emulated RP2040 (rp2040js)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-m0-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { graph, note, kinds, prefer } of MODELS) {
    it(`${graph.name}: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('rp2040').isa, prefer });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      for (const kind of kinds) expect(text).to.match(kind);
      expect(compiled.prepared.layers.map((l) => l.variant.family)).to.deep.equal(compiled.prepared.layers.map(() => 'armv6m'));
      await expectExactOnBoard(graph, compiled, { target: 'rp2040', board: 'rp2040js', dir, seed: 7 });
    });
  }
});
