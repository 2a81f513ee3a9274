// SPDX-License-Identifier: Apache-2.0
/**
 * Every elementwise, activation, reduction and "other" op once on the
 * emulated Cortex-M4 (QEMU mps2-an386), all in one model written by our writer (one QEMU build and
 * run, three input cases): MUL, SUB, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, RELU, RELU6, RELU_N1_TO_1,
 * LEAKY_RELU, PRELU, HARD_SWISH, LOGISTIC, TANH, TRANSPOSE_CONV, BATCH_MATMUL, L2_NORMALIZATION,
 * MEAN (both of TFLite Micro's paths), SUM, REDUCE_MAX, ARG_MAX. The generated C on the device must
 * reproduce the TypeScript reference kernels byte for byte on every output.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools } from '../build/helpers.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../helpers/op_harness.ts';

/** The ops this model must contain, each at least once. */
export const ARITH_OPS = [
  'MUL',
  'SUB',
  'MAXIMUM',
  'MINIMUM',
  'SQUARED_DIFFERENCE',
  'RELU',
  'RELU6',
  'RELU_N1_TO_1',
  'LEAKY_RELU',
  'PRELU',
  'HARD_SWISH',
  'LOGISTIC',
  'TANH',
  'TRANSPOSE_CONV',
  'BATCH_MATMUL',
  'L2_NORMALIZATION',
  'MEAN',
  'SUM',
  'REDUCE_MAX',
  'ARG_MAX',
];

export function arithOpsModel(): Graph {
  const rand = rng(505);
  const b = new GraphBuilder('arith_ops');
  const s = (shape: number[], scale: number, zeroPoint: number) => ({ shape, q: { scale, zeroPoint } });
  const x = b.input({ ...s([1, 4, 4, 8], 0.05, -3), name: 'x' });

  const c = b.constant(s([8], 0.02, 0), randomInt8(rand, 8, -127, 127));
  const [m1] = b.op('MUL', [x, c], [s([1, 4, 4, 8], 0.1, 0)], { activation: 'NONE' });
  const [s1] = b.op('SUB', [m1!, x], [s([1, 4, 4, 8], 0.06, -10)], { activation: 'NONE' });
  const [lg] = b.op('LOGISTIC', [s1!], [s([1, 4, 4, 8], 1 / 256, -128)]);
  const [th] = b.op('TANH', [x], [s([1, 4, 4, 8], 1 / 128, 0)]);
  const [sq] = b.op('SQUARED_DIFFERENCE', [lg!, th!], [s([1, 4, 4, 8], 1 / 32, -128)]);
  const [lr] = b.op('LEAKY_RELU', [s1!], [s([1, 4, 4, 8], 0.1, -60)], { alpha: 0.2 });
  const alpha = b.constant(s([1, 1, 8], 0.01, 0), randomInt8(rand, 8, -100, 100));
  const [pr] = b.op('PRELU', [lr!, alpha], [s([1, 4, 4, 8], 0.1, 0)]);
  const [hs] = b.op('HARD_SWISH', [pr!], [s([1, 4, 4, 8], 0.08, -100)]);
  const [mx] = b.op('MAXIMUM', [hs!, b.constant(s([1, 1, 1, 8], 0.08, -100), randomInt8(rand, 8, -110, -60))], [s([1, 4, 4, 8], 0.08, -100)]);
  const [mn] = b.op('MINIMUM', [mx!, b.constant(s([8], 0.08, -100), randomInt8(rand, 8, -20, 60))], [s([1, 4, 4, 8], 0.08, -100)]);
  const [r] = b.op('RELU', [mn!], [s([1, 4, 4, 8], 0.04, -128)]);
  const [r6] = b.op('RELU6', [r!], [s([1, 4, 4, 8], 0.04, -128)]);
  const [rn] = b.op('RELU_N1_TO_1', [s1!], [s([1, 4, 4, 8], 1 / 128, 0)]);

  const filter = b.constant(
    { shape: [4, 3, 3, 8], quant: { scale: [0.01, 0.02, 0.015, 0.012], zeroPoint: [0, 0, 0, 0], axis: 0 } },
    randomInt8(rand, 4 * 72, -127, 127),
  );
  const bias = b.constant(
    { shape: [4], dtype: 'int32' },
    Int32Array.from({ length: 4 }, () => randomInt(rand, -300, 300)),
  );
  const [tc] = b.op('TRANSPOSE_CONV', [b.ints([1, 8, 8, 4]), filter, hs!, bias], [s([1, 8, 8, 4], 0.15, 3)], {
    padding: 'SAME',
    strideH: 2,
    strideW: 2,
    activation: 'RELU',
  });
  const [bm] = b.op('BATCH_MATMUL', [tc!, b.constant(s([4, 6], 0.02, 0), randomInt8(rand, 24, -127, 127))], [s([1, 8, 8, 6], 0.5, -5)], {
    adjX: false,
    adjY: false,
  });
  const [l2] = b.op('L2_NORMALIZATION', [bm!], [s([1, 8, 8, 6], 1 / 128, 0)], { activation: 'NONE' });
  const [meanRequant] = b.op('MEAN', [l2!, b.ints([1, 2])], [s([1, 6], 1 / 256, 0)], { keepDims: false });
  const [meanDivide] = b.op('MEAN', [l2!, b.ints([3])], [s([1, 8, 8, 1], 1 / 128, 0)], { keepDims: true });
  const [rm] = b.op('REDUCE_MAX', [l2!, b.ints([1])], [s([1, 1, 8, 6], 1 / 128, 0)], { keepDims: true });
  const [su] = b.op('SUM', [rm!, b.ints([2])], [s([1, 1, 6], 0.05, -20)], { keepDims: false });
  const [am] = b.op('ARG_MAX', [su!, b.ints([-1])], [{ shape: [1, 1], dtype: 'int32' }], { outputType: 'INT32' });
  b.output(r6!, sq!, l2!, rn!, meanRequant!, meanDivide!, su!, am!);
  return b.build();
}

describe('elementwise, activation and reduction ops on the emulated Cortex-M4 (QEMU mps2-an386)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-arith-ops-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs all 20 ops in one model bit-exact with the TypeScript reference', async () => {
    const graph = arithOpsModel();
    const compiled = compileGraph(graph);
    const kinds = new Set(compiled.graph.ops.map((op) => op.kind));
    expect(
      ARITH_OPS.filter((k) => !kinds.has(k)),
      'ops missing from the compiled model',
    ).to.deep.equal([]);

    const rand = rng(6);
    const inputBytes = elementCount(graph.tensors[graph.inputs[0]!]!.shape);
    const cases = [
      [new Uint8Array(inputBytes).fill(0xfd)], // the input zero point
      [new Uint8Array(randomInt8(rand, inputBytes).buffer)],
      [new Uint8Array(randomInt8(rand, inputBytes, -60, 60).buffer)],
    ];
    // the test data is not degenerate: the activation chain and the normalized branch vary
    const reference = cases.map((cs) => interpret(compiled.prepared, cs).outputs);
    for (const o of [0, 1, 2, 3]) expect(new Set(reference[1]![o]).size, `output ${o} takes several values`).to.be.greaterThan(8);

    const path = join(dir, 'arith_ops.tflite');
    saveTflite(path, graph);
    const report = await runModel(path, { target: 'cortex-m4', cases });
    expect(report.board).to.equal('qemu-mps2-an386');
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true, true]);
    report.cases.forEach((c, k) => {
      c.outputs.forEach((values, o) => {
        const t = graph.tensors[graph.outputs[o]!]!;
        expect(values, `case ${k} output ${o}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[k]![o]!) as ArrayLike<number>));
      });
    });
    console.log(`    arith_ops: ${report.perInference} instructions, arena ${report.memory.arena} bytes, flash ${report.memory.flash}`);
  });
});
