// SPDX-License-Identifier: Apache-2.0
/**
 * The MVE (Helium) pool and element-wise kernels on the emulated Cortex-M55 (QEMU mps3-an547), where
 * the vector code runs (the host cannot): one model of AVERAGE_POOL_2D and MAX_POOL_2D layers
 * (channel counts off the 16-lane vector and the 8-lane half, 1 to 45; windows 1x1 to 7x7 and global
 * up to 16x16 = 256 taps, the int16 sums' bound; strides 1 to 3, SAME and VALID, batches, every
 * activation), and one of ADD, SUB and MUL layers (rows off the 8-element turn, broadcasts along the
 * inner or an outer loop, a scalar, equal scales; each output stage's forms), every layer on its MVE
 * variant, every output byte equal to the TypeScript reference's.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../../compile.ts';
import type { FusedActivation, Graph } from '../../../ir/graph.ts';
import { loadTarget } from '../../../targets/targets.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../../test/helpers/graph_builder.ts';
import { randomInt, rng } from '../../../../../test/helpers/op_harness.ts';
import { outputSize } from './padding.ts';

const TARGET = 'cortex-m55';
const BOARD = 'qemu-mps3-an547';
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function poolModel(seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder('mve_pools');
  // depths: under a half vector, between half and whole, whole plus a little, several vectors plus a tail
  const depths = [1, 3, 8, 13, 16, 17, 24, 31, 45, 33, 5, 40, 9, 64, 2, 19];
  depths.forEach((depth, k) => {
    const kind = k % 2 === 0 ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D';
    const global = k % 5 === 4;
    const f = global ? (k === 14 ? 16 : randomInt(rand, 2, 7)) : randomInt(rand, 1, 5);
    const fw = rand() < 0.7 || f === 1 ? f : randomInt(rand, 1, 5);
    const [h, w] = global ? [f, fw] : [randomInt(rand, f, 11), randomInt(rand, fw, 11)];
    const padding = global || rand() < 0.5 ? 'VALID' : 'SAME';
    const [sh, sw] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const batches = k % 4 === 3 ? 2 : 1;
    const q = { scale: 0.02 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) };
    const x = b.input({ shape: [batches, h, w, depth], q, name: `x${k}` });
    const out = [batches, outputSize(padding, h, f, sh), outputSize(padding, w, fw, sw), depth];
    const [o] = b.op(kind, [x], [{ shape: out, q, name: `pool${k}` }], {
      padding,
      strideH: sh,
      strideW: sw,
      filterH: f,
      filterW: fw,
      activation: ACTIVATIONS[k % 4]!,
    });
    b.output(o!);
  });
  return b.build();
}

/** [input 1 shape, input 2 shape]: equal, broadcast along the inner loop or an outer one, a scalar, sizes off 8. */
const BINARY_SHAPES: [number[], number[]][] = [
  [
    [1, 5, 7, 19],
    [1, 5, 7, 19],
  ],
  [[37], [37]],
  [[1, 4, 4, 13], [13]],
  [[1, 4, 4, 13], [1]],
  [[1], [1, 3, 3, 21]],
  [
    [2, 3, 1, 5],
    [1, 1, 6, 5],
  ],
  [
    [1, 9, 1],
    [1, 1, 11],
  ],
  [
    [3, 17],
    [3, 1],
  ],
  [
    [1, 1, 1, 64],
    [1, 8, 8, 64],
  ],
  [[100], [100]],
  [[8], [8]],
  [[3], [3]],
];

function broadcast(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pad = (s: number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(a), pad(b)];
  return pa.map((d, i) => Math.max(d, pb[i]!));
}

function binaryModel(seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder('mve_binary');
  for (let k = 0; k < 3 * BINARY_SHAPES.length; k++) {
    const kind = (['ADD', 'SUB', 'MUL'] as const)[k % 3]!;
    const [sa, sb] = BINARY_SHAPES[Math.floor(k / 3)]!;
    const q = () => ({ scale: 10 ** (-3 + rand() * 2.5), zeroPoint: randomInt(rand, -128, 127) });
    const qa = q();
    // equal input scales: ADD's and SUB's shift shares on both sides
    const qb = k % 4 === 0 ? { ...qa, zeroPoint: randomInt(rand, -128, 127) } : q();
    const qo =
      kind === 'MUL'
        ? { scale: qa.scale * qb.scale * (0.5 + rand() * 200), zeroPoint: randomInt(rand, -128, 127) }
        : { scale: Math.max(qa.scale, qb.scale) * (0.3 + rand() * 3), zeroPoint: randomInt(rand, -128, 127) };
    const x = b.input({ shape: sa, q: qa, name: `a${k}` });
    const y = b.input({ shape: sb, q: qb, name: `b${k}` });
    const [o] = b.op(kind, [x, y], [{ shape: broadcast(sa, sb), q: qo, name: `o${k}` }], { activation: ACTIVATIONS[randomInt(rand, 0, 3)]! });
    b.output(o!);
  }
  // the stages' rarer forms: ADD with an output 2^16 times coarser than its inputs (the multiplier's
  // far end), SUB and MUL with outputs far coarser than the inputs (the zero point added after the
  // shift), MUL with a factor 2^lsh1 too wide for an int16 lane
  const extremes: ['ADD' | 'SUB' | 'MUL', (sa: number, sb: number) => number, number][] = [
    ['ADD', (sa, sb) => Math.max(sa, sb) * 2 ** 16, 3],
    ['SUB', (sa, sb) => Math.max(sa, sb) * 2 ** 6, 127],
    ['MUL', (sa, sb) => sa * sb * 2 ** 25, -128],
    ['MUL', (sa, sb) => (sa * sb) / 400, 5],
  ];
  extremes.forEach(([kind, outScale, zeroPoint], k) => {
    const [qa, qb] = [
      { scale: 0.02, zeroPoint: -5 },
      { scale: 0.03, zeroPoint: 9 },
    ];
    const x = b.input({ shape: [1, 3, 29], q: qa, name: `ea${k}` });
    const y = b.input({ shape: [1, 3, 29], q: qb, name: `eb${k}` });
    const [o] = b.op(kind, [x, y], [{ shape: [1, 3, 29], q: { scale: outScale(qa.scale, qb.scale), zeroPoint }, name: `eo${k}` }], {
      activation: 'NONE',
    });
    b.output(o!);
  });
  return b.build();
}

describe(`MVE pool and element-wise kernels on the emulated ${BOARD}`, function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-mve-ew-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, build, seed] of [
    ['pools', poolModel, 23],
    ['ADD, SUB and MUL', binaryModel, 29],
  ] as const) {
    it(`${name}: every layer on its MVE variant, bit-exact with the reference`, async () => {
      const graph = build(seed);
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(TARGET).isa });
      expect(compiled.prepared.layers).to.have.length(graph.ops.length);
      expect(compiled.prepared.layers.filter((l) => l.variant.family !== 'arm-mve').map((l) => l.op.kind)).to.deep.equal([]);
      await expectExactOnBoard(graph, compiled, { target: TARGET, board: BOARD, dir, seed: seed + 1 });
    });
  }
});
