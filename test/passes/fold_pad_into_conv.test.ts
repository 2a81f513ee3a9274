// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { optimizeGraph } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { int32Bias, int8Weights } from '../fuzz/ops/common.ts';

const QIN = { scale: 0.05, zeroPoint: -7 };

interface PadConvCase {
  name: string;
  kind: 'CONV_2D' | 'DEPTHWISE_CONV_2D';
  h: number;
  w: number;
  c: number;
  /** top, bottom, left, right */
  pad: [number, number, number, number];
  k: [number, number];
  stride: [number, number];
  dilation?: [number, number];
  /** PADV2 with this fill (the input's zero point folds, another value does not) */
  fill?: number;
  /** channels padded too (never folded) */
  channelPad?: number;
  /** the PAD's output also a model output (never folded) */
  padIsOutput?: boolean;
  folds: boolean;
}

const CASES: PadConvCase[] = [
  // Keras' ZeroPadding2D(((0,1),(0,1))) before a stride-2 convolution (MobileNet, FOMO)
  {
    name: 'one row and column after, stride 2, 3x3 depthwise',
    kind: 'DEPTHWISE_CONV_2D',
    h: 12,
    w: 10,
    c: 8,
    pad: [0, 1, 0, 1],
    k: [3, 3],
    stride: [2, 2],
    folds: true,
  },
  { name: 'one row and column after, stride 2, 3x3 conv', kind: 'CONV_2D', h: 10, w: 12, c: 3, pad: [0, 1, 0, 1], k: [3, 3], stride: [2, 2], folds: true },
  { name: 'one all round, stride 1, 3x3 conv', kind: 'CONV_2D', h: 7, w: 6, c: 5, pad: [1, 1, 1, 1], k: [3, 3], stride: [1, 1], folds: true },
  {
    name: '2 before 2 after, 5x5 dilated by 1, PADV2 at the zero point',
    kind: 'CONV_2D',
    h: 6,
    w: 6,
    c: 4,
    pad: [2, 2, 2, 2],
    k: [5, 5],
    stride: [1, 1],
    fill: QIN.zeroPoint,
    folds: true,
  },
  {
    name: 'one row and column after an odd height at stride 2 (SAME gives one row more)',
    kind: 'CONV_2D',
    h: 9,
    w: 12,
    c: 3,
    pad: [0, 1, 0, 1],
    k: [3, 3],
    stride: [2, 2],
    folds: false,
  },
  {
    name: 'one all round at stride 2 (SAME would pad after)',
    kind: 'DEPTHWISE_CONV_2D',
    h: 12,
    w: 12,
    c: 4,
    pad: [1, 1, 1, 1],
    k: [3, 3],
    stride: [2, 2],
    folds: false,
  },
  {
    name: 'PADV2 with a fill other than the zero point',
    kind: 'CONV_2D',
    h: 6,
    w: 6,
    c: 4,
    pad: [1, 1, 1, 1],
    k: [3, 3],
    stride: [1, 1],
    fill: 3,
    folds: false,
  },
  { name: 'channels padded too', kind: 'CONV_2D', h: 5, w: 5, c: 3, pad: [1, 1, 1, 1], k: [3, 3], stride: [1, 1], channelPad: 1, folds: false },
  {
    name: 'the padded tensor also an output',
    kind: 'CONV_2D',
    h: 5,
    w: 5,
    c: 3,
    pad: [1, 1, 1, 1],
    k: [3, 3],
    stride: [1, 1],
    padIsOutput: true,
    folds: false,
  },
  { name: 'more than SAME pads', kind: 'CONV_2D', h: 5, w: 5, c: 2, pad: [2, 2, 0, 0], k: [3, 3], stride: [1, 1], folds: false },
];

function padConv(c: PadConvCase, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(`pad_conv_${seed}`);
  const x = b.input({ shape: [1, c.h, c.w, c.c], q: QIN });
  const [top, bottom, left, right] = c.pad;
  const ch = c.channelPad ?? 0;
  const paddedShape = [1, c.h + top + bottom, c.w + left + right, c.c + ch];
  const amounts = b.ints([0, 0, top, bottom, left, right, 0, ch], [4, 2]);
  const inputs = c.fill === undefined ? [x, amounts] : [x, amounts, b.constant({ shape: [], q: QIN }, Int8Array.from([c.fill]))];
  const [padded] = b.op(c.fill === undefined ? 'PAD' : 'PADV2', inputs, [{ shape: paddedShape, q: QIN }]);
  const inC = paddedShape[3]!;
  const outC = c.kind === 'CONV_2D' ? 6 : inC;
  const filterShape = c.kind === 'CONV_2D' ? [outC, c.k[0], c.k[1], inC] : [1, c.k[0], c.k[1], outC];
  const f = int8Weights(b, rand, filterShape, { perChannel: true, axis: c.kind === 'CONV_2D' ? 0 : 3, channels: outC, limits: [127, 60] });
  const bias = int32Bias(b, rand, outC, QIN.scale, f.scales, [0, 5000]);
  const [dh, dw] = c.dilation ?? [1, 1];
  const oh = Math.floor((paddedShape[1]! - (c.k[0] - 1) * dh - 1) / c.stride[0]) + 1;
  const ow = Math.floor((paddedShape[2]! - (c.k[1] - 1) * dw - 1) / c.stride[1]) + 1;
  const [y] = b.op(c.kind, [padded!, f.index, bias], [{ shape: [1, oh, ow, outC], q: { scale: 0.08, zeroPoint: 3 } }], {
    padding: 'VALID',
    strideH: c.stride[0],
    strideW: c.stride[1],
    dilationH: dh,
    dilationW: dw,
    activation: 'NONE',
    ...(c.kind === 'DEPTHWISE_CONV_2D' ? { depthMultiplier: 1 } : {}),
  });
  b.output(y!);
  if (c.padIsOutput) b.output(padded!);
  return b.build();
}

const inputsOf = (graph: Graph, seed: number) =>
  graph.inputs.map(
    (i) =>
      new Uint8Array(
        randomInt8(
          rng(seed),
          graph.tensors[i]!.shape.reduce((n, d) => n * d, 1),
        ).buffer,
      ),
  );

describe('pass: PAD folded into the convolution after it (SAME padding)', () => {
  CASES.forEach((c, k) => {
    it(`${c.name}: ${c.folds ? 'folded, the same outputs' : 'kept'}`, () => {
      const graph = padConv(c, 40 + k);
      const optimized = optimizeGraph(graph);
      const kinds = optimized.ops.map((op) => op.kind);
      expect(kinds.includes('PAD') || kinds.includes('PADV2'), kinds.join(',')).to.equal(!c.folds);
      if (c.folds) expect(optimized.ops[0]!.attrs.padding).to.equal('SAME');
      const input = inputsOf(graph, 90 + k);
      expect(interpret(compileGraph(graph).prepared, input).outputs).to.deep.equal(interpret(prepareGraph(graph), input).outputs);
    });
  });

  it('every case agrees with TFLite Micro byte for byte', function () {
    if (!tflmRefAvailable(this)) return;
    CASES.forEach((c, k) => {
      const graph = padConv(c, 40 + k);
      const input = inputsOf(graph, 90 + k);
      const ours = interpret(compileGraph(graph).prepared, input).outputs;
      expect(tflmOutputs(graph, input), c.name).to.deep.equal(ours);
    });
  });

  it('the folded layers run bit-exact in C on the host (ASan+UBSan) and the emulated M4', async function () {
    requireTools(this, ['cc', 'arm-none-eabi-gcc', 'qemu-system-arm']);
    const scratch = scratchDir('pad-conv');
    try {
      for (const [k, c] of CASES.entries()) {
        if (!c.folds) continue;
        const graph = padConv(c, 40 + k);
        const path = `${scratch.dir}/${graph.name}.tflite`;
        saveTflite(path, graph);
        for (const target of ['host', 'cortex-m4']) {
          const report = await runModel(path, { target, sanitize: target === 'host', estimate: false, cases: [inputsOf(graph, 90 + k)] });
          expect(report.matchesReference, `${c.name} on ${target}`).to.equal(true);
        }
      }
    } finally {
      scratch.cleanup();
    }
  });
});
