// SPDX-License-Identifier: Apache-2.0
/**
 * Every shape / data-movement op once on the emulated Cortex-M4 (QEMU mps2-an386), batched into two
 * small models written by our writer (one QEMU run each): the generated C must match the TypeScript
 * reference kernels byte for byte. The first model also exercises the graph passes on the device
 * (a TRANSPOSE folded into a PAD, SHAPE arithmetic folded away, alias ops), several model inputs
 * (int8 and int16) and outputs, and multi-output ops; the second is what PyTorch exports look like
 * (NCHW input → TRANSPOSE → PAD → CONV_2D → global pooling → FULLY_CONNECTED, and a head
 * that flattens in NCHW order: TRANSPOSE → RESHAPE → FULLY_CONNECTED).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { opDef } from '../../src/core/ops/index.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools } from '../build/helpers.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt, randomInt16, randomInt8, rng } from '../helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';

const A = { scale: 0.05, zeroPoint: -3 };

/** Every shape op of this project in one graph: 3 inputs (two int8, one int16), 5 outputs. */
export function shapeOpsModel(): Graph {
  const b = new GraphBuilder('shape_ops');
  const x = b.input({ shape: [1, 3, 6, 6], q: A, name: 'x_nchw' });
  const y = b.input({ shape: [1, 4, 4, 5], q: A, name: 'y' });
  const z = b.input({ shape: [1, 3, 4, 2], dtype: 'int16', q: { scale: 0.001, zeroPoint: 0 }, name: 'z16' });
  const q16 = { scale: 0.001, zeroPoint: 0 };

  const [nhwc] = b.op('TRANSPOSE', [x, b.ints([0, 2, 3, 1])], [{ shape: [1, 6, 6, 3], q: A }]);
  const [padded] = b.op('PAD', [nhwc!, b.ints([0, 0, 1, 1, 1, 1, 0, 0], [4, 2])], [{ shape: [1, 8, 8, 3], q: A }]);
  const [strided] = b.op('STRIDED_SLICE', [padded!, b.ints([0, 0, 1, 0]), b.ints([1, 8, 8, 3]), b.ints([1, 2, 2, 1])], [{ shape: [1, 4, 4, 3], q: A }]);
  const [yt] = b.op('TRANSPOSE', [y, b.ints([0, 2, 1, 3])], [{ shape: [1, 4, 4, 5], q: A }]);
  const [joined] = b.op('CONCATENATION', [strided!, yt!], [{ shape: [1, 4, 4, 8], q: A }], { axis: 3, activation: 'NONE' });
  const [deep] = b.op('SPACE_TO_DEPTH', [joined!], [{ shape: [1, 2, 2, 32], q: A }], { blockSize: 2 });
  const [wide] = b.op('DEPTH_TO_SPACE', [deep!], [{ shape: [1, 4, 4, 8], q: A }], { blockSize: 2 });
  const [near] = b.op('RESIZE_NEAREST_NEIGHBOR', [wide!, b.ints([8, 8])], [{ shape: [1, 8, 8, 8], q: A }], { alignCorners: false, halfPixelCenters: true });
  const [bil] = b.op('RESIZE_BILINEAR', [near!, b.ints([6, 6])], [{ shape: [1, 6, 6, 8], q: A }], { alignCorners: false, halfPixelCenters: false });
  const [left, right] = b.op(
    'SPLIT',
    [b.ints([3], []), bil!],
    [
      { shape: [1, 6, 6, 4], q: A },
      { shape: [1, 6, 6, 4], q: A },
    ],
    { numSplits: 2 },
  );
  const [top, bottom] = b.op(
    'SPLIT_V',
    [left!, b.ints([2, -1]), b.ints([1], [])],
    [
      { shape: [1, 2, 6, 4], q: A },
      { shape: [1, 4, 6, 4], q: A },
    ],
    { numSplits: 2 },
  );
  const [cut] = b.op('SLICE', [top!, b.ints([0, 0, 1, 0]), b.ints([1, 2, 4, -1])], [{ shape: [1, 2, 4, 4], q: A }]);
  const rows = b.op(
    'UNPACK',
    [bottom!],
    [0, 1, 2, 3].map(() => ({ shape: [1, 6, 4], q: A })),
    { num: 4, axis: 1 },
  );
  const [stacked] = b.op('PACK', [rows[0]!, rows[3]!], [{ shape: [2, 1, 6, 4], q: A }], { valuesCount: 2, axis: 0 });
  const [squeezed] = b.op('SQUEEZE', [stacked!], [{ shape: [2, 6, 4], q: A }], { squeezeDims: [1] });
  const [expanded] = b.op('EXPAND_DIMS', [squeezed!, b.ints([-1], [])], [{ shape: [2, 6, 4, 1], q: A }]);
  const fill = b.constant({ shape: [], q: A }, Int8Array.from([-100]));
  const [framed] = b.op('PADV2', [right!, b.ints([0, 0, 0, 1, 2, 0, 0, 0], [4, 2]), fill], [{ shape: [1, 7, 8, 4], q: A }]);
  // a flatten whose target shape is computed from SHAPE, as converters write it: folded away
  const [shape] = b.op('SHAPE', [cut!], [{ shape: [4], dtype: 'int32' }], { outType: 'INT32' });
  const [batch] = b.op('STRIDED_SLICE', [shape!, b.ints([0]), b.ints([1]), b.ints([1])], [{ shape: [], dtype: 'int32' }], { shrinkAxisMask: 1 });
  const [target] = b.op('PACK', [batch!, b.ints([-1], [])], [{ shape: [2], dtype: 'int32' }], { valuesCount: 2, axis: 0 });
  const [flat] = b.op('RESHAPE', [cut!, target!], [{ shape: [1, 32], q: A }]);
  // the int16 branch
  const [z8] = b.op('RESIZE_NEAREST_NEIGHBOR', [z, b.ints([6, 8])], [{ shape: [1, 6, 8, 2], dtype: 'int16', q: q16 }]);
  const [zl, zr] = b.op(
    'SPLIT',
    [b.ints([2], []), z8!],
    [
      { shape: [1, 6, 4, 2], dtype: 'int16', q: q16 },
      { shape: [1, 6, 4, 2], dtype: 'int16', q: q16 },
    ],
    { numSplits: 2 },
  );
  const [zj] = b.op('CONCATENATION', [zr!, zl!], [{ shape: [1, 6, 4, 4], dtype: 'int16', q: q16 }], { axis: 3, activation: 'NONE' });
  const [zp] = b.op('PAD', [zj!, b.ints([0, 0, 1, 0, 0, 1, 0, 0], [4, 2])], [{ shape: [1, 7, 5, 4], dtype: 'int16', q: q16 }]);
  b.output(flat!, expanded!, framed!, rows[1]!, zp!);
  return b.build();
}

/** What a PyTorch model looks like after ONNX → TFLite: NCHW input, TRANSPOSE, explicit PAD, then NHWC layers. */
export function pytorchStyleModel(): Graph {
  const rand = rng(2024);
  const b = new GraphBuilder('pytorch_style');
  const qIn = { scale: 0.02, zeroPoint: 0 };
  const qConv = { scale: 0.04, zeroPoint: -128 };
  const x = b.input({ shape: [1, 3, 12, 12], q: qIn, name: 'input_nchw' });
  const [nhwc] = b.op('TRANSPOSE', [x, b.ints([0, 2, 3, 1])], [{ shape: [1, 12, 12, 3], q: qIn }]);
  const [padded] = b.op('PAD', [nhwc!, b.ints([0, 0, 1, 1, 1, 1, 0, 0], [4, 2])], [{ shape: [1, 14, 14, 3], q: qIn }]);
  const filter = b.constant({ shape: [8, 3, 3, 3], q: { scale: 0.01, zeroPoint: 0 } }, randomInt8(rand, 8 * 27, -127, 127));
  const bias = b.constant(
    { shape: [8], dtype: 'int32', q: { scale: 0.0002, zeroPoint: 0 } },
    Int32Array.from({ length: 8 }, () => randomInt(rand, -2000, 2000)),
  );
  const [conv] = b.op('CONV_2D', [padded!, filter, bias], [{ shape: [1, 12, 12, 8], q: qConv }], {
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'RELU',
  });
  const qPool = { scale: 0.04, zeroPoint: -128 };
  // global average pooling: MEAN over H, W as PyTorch exports it once MEAN is registered, else AVERAGE_POOL_2D
  const [pooled] = opDef('MEAN')
    ? b.op('MEAN', [conv!, b.ints([1, 2])], [{ shape: [1, 1, 1, 8], q: qPool }], { keepDims: true })
    : b.op('AVERAGE_POOL_2D', [conv!], [{ shape: [1, 1, 1, 8], q: qPool }], {
        padding: 'VALID',
        strideH: 1,
        strideW: 1,
        filterH: 12,
        filterW: 12,
        activation: 'NONE',
      });
  const [flat] = b.op('RESHAPE', [pooled!, b.ints([1, 8])], [{ shape: [1, 8], q: qPool }]);
  const weights = b.constant({ shape: [4, 8], q: { scale: 0.02, zeroPoint: 0 } }, randomInt8(rand, 32, -127, 127));
  const [logits] = b.op('FULLY_CONNECTED', [flat!, weights, -1], [{ shape: [1, 4], q: { scale: 0.5, zeroPoint: 10 } }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  // a second head flattens in NCHW order, as PyTorch's x.view(n, -1) exports: TRANSPOSE → RESHAPE → FC
  const [small] = b.op('MAX_POOL_2D', [conv!], [{ shape: [1, 3, 3, 8], q: qConv }], {
    padding: 'VALID',
    strideH: 4,
    strideW: 4,
    filterH: 4,
    filterW: 4,
    activation: 'NONE',
  });
  const [nchw] = b.op('TRANSPOSE', [small!, b.ints([0, 3, 1, 2])], [{ shape: [1, 8, 3, 3], q: qConv }]);
  const [flatNchw] = b.op('RESHAPE', [nchw!, b.ints([1, 72])], [{ shape: [1, 72], q: qConv }]);
  const headWeights = b.constant({ shape: [3, 72], quant: { scale: [0.01, 0.02, 0.015], zeroPoint: [0, 0, 0], axis: 0 } }, randomInt8(rand, 216, -127, 127));
  const [head] = b.op('FULLY_CONNECTED', [flatNchw!, headWeights, -1], [{ shape: [1, 3], q: { scale: 2, zeroPoint: -20 } }], {
    activation: 'RELU',
    keepNumDims: false,
  });
  b.output(logits!, head!);
  return b.build();
}

function randomCases(graph: Graph, seed: number, count: number): Uint8Array[][] {
  const rand = rng(seed);
  return Array.from({ length: count }, () =>
    graph.inputs.map((i) => {
      const t = graph.tensors[i]!;
      const n = elementCount(t.shape);
      return new Uint8Array((t.dtype === 'int16' ? randomInt16(rand, n, -3000, 3000) : randomInt8(rand, n)).buffer);
    }),
  );
}

describe('shape ops on the emulated Cortex-M4 (QEMU mps2-an386)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-shape-ops-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every shape op (multi-input, multi-output, int8 and int16) bit-exact with the TypeScript reference', async () => {
    const graph = shapeOpsModel();
    const compiled = compileGraph(graph);
    const kinds = compiled.graph.ops.map((op) => op.kind);
    // the passes on this model: TRANSPOSE → PAD fused, SHAPE arithmetic gone, SQUEEZE/EXPAND_DIMS/RESHAPE aliases
    expect(kinds.filter((k) => k === 'TRANSPOSE').length).to.equal(1);
    expect(kinds).to.not.include('SHAPE');
    expect(compiled.graph.ops.find((op) => op.kind === 'PAD' && op.attrs.inputPermutation)).to.not.equal(undefined);
    for (const kind of [
      'PAD',
      'PADV2',
      'CONCATENATION',
      'TRANSPOSE',
      'STRIDED_SLICE',
      'SLICE',
      'SPLIT',
      'SPLIT_V',
      'PACK',
      'UNPACK',
      'SQUEEZE',
      'EXPAND_DIMS',
      'RESIZE_NEAREST_NEIGHBOR',
      'RESIZE_BILINEAR',
      'SPACE_TO_DEPTH',
      'DEPTH_TO_SPACE',
    ]) {
      expect(kinds, kind).to.include(kind);
    }
    expect(
      compiled.prepared.layers
        .filter((l) => l.isAlias)
        .map((l) => l.op.kind)
        .sort(),
    ).to.deep.equal(['EXPAND_DIMS', 'RESHAPE', 'SQUEEZE']);

    const path = join(dir, 'shape_ops.tflite');
    saveTflite(path, graph);
    const cases = randomCases(graph, 1, 2);
    const report = await runModel(path, { target: 'cortex-m4', cases });
    expect(report.board).to.equal('qemu-mps2-an386');
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true]);
    expect(report.outputs.map((o) => o.length)).to.deep.equal([32, 48, 224, 24, 140]);
    console.log(`    shape_ops: ${report.perInference} instructions, arena ${report.memory.arena} bytes`);
  });

  it('compiles and runs a PyTorch-style model (NCHW → TRANSPOSE → PAD → CONV_2D → pool → FC; NCHW flatten → FC) bit-exact', async () => {
    const graph = pytorchStyleModel();
    const compiled = compileGraph(graph);
    // the input TRANSPOSE reads through the PAD; the flatten's TRANSPOSE went into the FC weights
    expect(compiled.graph.ops.map((op) => op.kind).slice(0, 2)).to.deep.equal(['PAD', 'CONV_2D']);
    expect(compiled.graph.ops.map((op) => op.kind)).to.not.include('TRANSPOSE');
    const cases = randomCases(graph, 2, 2);
    // the passes change nothing observable: the unfolded graph's reference gives the same outputs
    const unfolded = cases.map((c) => interpret(prepareGraph(graph), c).outputs);
    expect(cases.map((c) => interpret(compiled.prepared, c).outputs)).to.deep.equal(unfolded);
    // TensorFlow Lite Micro (tflm-ref) gives the same outputs for the whole model (its CONV_2D and
    // MEAN round the requantization twice; desktop TFLite, once, so it is no reference here)
    if (tflmRefAvailable()) {
      for (let k = 0; k < cases.length; k++) {
        expect(tflmOutputs(graph, cases[k]!), `case ${k}`).to.deep.equal(interpret(compiled.prepared, cases[k]!).outputs);
      }
    }
    const path = join(dir, 'pytorch_style.tflite');
    saveTflite(path, graph);
    const report = await runModel(path, { target: 'cortex-m4', cases });
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true]);
    expect(report.cases.map((c) => c.outputs.map((o) => new Uint8Array(Int8Array.from(o).buffer)))).to.deep.equal(unfolded);
    console.log(`    pytorch_style: ${report.perInference} instructions, arena ${report.memory.arena} bytes`);
  });
});
