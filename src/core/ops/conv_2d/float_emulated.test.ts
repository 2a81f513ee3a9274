// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels on the emulated Cortex-M4F
 * (QEMU mps2-an386) and Cortex-M7 (mps2-an500), where their inline assembly runs (VLDMIA, VMLA.F32;
 * the host tests run the C twins): chains of layers in one model per board, every layer's output a
 * model output, bit-exact with the TypeScript reference (TFLite Micro's order of operations). The
 * layers cover output channel counts 1 to 4 past a multiple of four (the tail channels), runs of odd
 * and even length (the single step after the pairs), SAME padding (partial tap ranges at every
 * border), strides, dilations, batches, depth multipliers 1 and 2, and every activation.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, elementCount } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { randomFloats } from '../../../../test/helpers/float_cases.ts';
import { outputSize } from '../common/families/padding.ts';

const F = 'float32' as const;

interface ConvLayer {
  kind: 'conv' | 'depthwise';
  outC: number;
  k: number;
  stride?: number;
  dilation?: number;
  padding?: 'SAME' | 'VALID';
  activation?: string;
  noBias?: boolean;
}

function chain(name: string, input: [number, number, number, number], layers: ConvLayer[], fc: [number, string][], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  let [n, h, w, c] = input;
  let x = b.input({ shape: input, dtype: F, name: 'x' });
  const outs: number[] = [];
  for (const l of layers) {
    const stride = l.stride ?? 1;
    const dilation = l.dilation ?? 1;
    const padding = l.padding ?? 'SAME';
    const oh = outputSize(padding, h, l.k, stride, dilation);
    const ow = outputSize(padding, w, l.k, stride, dilation);
    const dw = l.kind === 'depthwise';
    const shape = dw ? [1, l.k, l.k, l.outC] : [l.outC, l.k, l.k, c];
    const filter = b.constant({ shape, dtype: F }, randomFloats(rand, elementCount(shape), 1));
    const bias = l.noBias ? -1 : b.constant({ shape: [l.outC], dtype: F }, randomFloats(rand, l.outC, 1));
    const [y] = b.op(dw ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [x, filter, bias], [{ shape: [n, oh, ow, l.outC], dtype: F }], {
      padding,
      strideH: stride,
      strideW: stride,
      dilationH: dilation,
      dilationW: dilation,
      activation: l.activation ?? 'NONE',
      ...(dw ? { depthMultiplier: l.outC / c } : {}),
    });
    outs.push(y!);
    x = y!;
    [h, w, c] = [oh, ow, l.outC];
  }
  let features = h * w * c;
  const [flat] = b.op('RESHAPE', [x], [{ shape: [n, features], dtype: F }]);
  x = flat!;
  for (const [outN, activation] of fc) {
    const wt = b.constant({ shape: [outN, features], dtype: F }, randomFloats(rand, outN * features, 0.5));
    const bias = b.constant({ shape: [outN], dtype: F }, randomFloats(rand, outN, 1));
    const [y] = b.op('FULLY_CONNECTED', [x, wt, bias], [{ shape: [n, outN], dtype: F }], { activation });
    outs.push(y!);
    x = y!;
    features = outN;
  }
  b.output(...outs);
  return b.build();
}

const MODELS: { graph: Graph; note: string }[] = [
  {
    note: 'conv 3x3 and 1x1 over odd and even channel runs, out channels 4k + 1..3, depthwise 3x3 /1 /2, FC tails',
    graph: chain(
      'float_chain_a',
      [1, 9, 7, 3],
      [
        { kind: 'conv', outC: 8, k: 3, activation: 'RELU6' }, // run of 9 (3 taps x 3), blocks only
        { kind: 'depthwise', outC: 8, k: 3, stride: 2, activation: 'RELU' }, // 5x4, blocks only
        { kind: 'conv', outC: 7, k: 1 }, // run of 8, one block and 3 tail channels
        { kind: 'depthwise', outC: 7, k: 3 }, // a block and 3 tail channels
        { kind: 'conv', outC: 13, k: 3, padding: 'VALID', activation: 'RELU_N1_TO_1', noBias: true }, // odd runs of 21
        { kind: 'conv', outC: 6, k: 2, stride: 2, noBias: true }, // partial taps at the far border
      ],
      [
        [10, 'RELU'],
        [5, 'NONE'],
        [4, 'RELU6'],
        [1, 'NONE'],
      ],
      71,
    ),
  },
  {
    note: 'batches, dilation 2, depth multiplier 2, 5x5 taps, wide channels',
    graph: chain(
      'float_chain_b',
      [2, 8, 8, 5],
      [
        { kind: 'conv', outC: 16, k: 3, dilation: 2, activation: 'RELU' }, // taps per column, dilation 2
        { kind: 'depthwise', outC: 16, k: 3, dilation: 2 }, // dilation 2 depthwise blocks
        { kind: 'depthwise', outC: 32, k: 3, activation: 'RELU6' }, // multiplier 2: the per-channel form
        { kind: 'conv', outC: 9, k: 5, stride: 3 },
        { kind: 'conv', outC: 2, k: 1, noBias: true }, // tail only
      ],
      [[12, 'NONE']],
      72,
    ),
  },
];

function cases(graph: Graph, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  return [0, 1].map(() => graph.inputs.map((i) => new Uint8Array(toBytes(randomFloats(rand, elementCount(graph.tensors[i]!.shape), 2)))));
}

describe('float32 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED on the emulated Cortex-M4F and M7', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-float-emulated-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  for (const target of ['cortex-m4', 'cortex-m7']) {
    for (const [k, m] of MODELS.entries()) {
      it(`${target}: ${m.note}`, async function () {
        requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
        const path = join(dir, `${m.graph.name}_${target.replace(/\W/g, '')}.tflite`);
        saveTflite(path, m.graph);
        const cs = cases(m.graph, 80 + k);
        const report = await runModel(path, { target, cases: cs });
        expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cs.map(() => true));
      });
    }
  }
});
