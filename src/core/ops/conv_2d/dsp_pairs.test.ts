// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's DSP kernel with two output channels in one halfword (conv_2d_dsp.h tf_dsp_dot2x2p,
 * common/isa/dsp_conv/layouts.ts halfwordPairs) through its host C twin under ASan+UBSan, against the TypeScript reference:
 * random layers (channel counts odd and not multiples of 4, kernels 1..7, strides, dilation,
 * padding, zero points, per-channel scales) whose k4 spans one to several extraction chunks, and
 * layers whose second channel's sums sit near the 2^23 extraction bound in every chunk.
 */
import { expect } from 'chai';
import conv from './index.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import { outputSize } from '../common/families/padding.ts';
import { roundUp4 } from '../common/isa/dsp.ts';
import { type CCase, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { PAIRS_MIN_K4_POINTWISE_SHARED, pairsPay } from '../common/isa/dsp_conv/choice.ts';
import { channelPairsFit, halfwordPairs } from '../common/isa/dsp_conv/layouts.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { compileGraph } from '../../compile.ts';

interface Layer {
  input: [number, number, number, number];
  outC: number;
  k: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  filter: Int8Array;
  inZp: number;
  inScale: number;
  wScale: number[];
  outScale: number;
  outZp: number;
  bias?: Int32Array;
  activation: FusedActivation;
}

function caseOf(l: Layer, input: Int8Array): CCase {
  const [n, h, w, c] = l.input;
  const oh = outputSize(l.padding, h, l.k[0], l.stride[0], l.dilation[0]);
  const ow = outputSize(l.padding, w, l.k[1], l.stride[1], l.dilation[1]);
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: l.input, scale: l.inScale, zeroPoint: l.inZp },
      { shape: [l.outC, l.k[0], l.k[1], c], scale: l.wScale, zeroPoint: l.wScale.map(() => 0), data: l.filter },
      l.bias ? { shape: [l.outC], dtype: 'int32', data: l.bias } : null,
    ],
    [{ shape: [n, oh, ow, l.outC], scale: l.outScale, zeroPoint: l.outZp }],
    {
      padding: l.padding,
      strideH: l.stride[0],
      strideW: l.stride[1],
      dilationH: l.dilation[0],
      dilationW: l.dilation[1],
      activation: l.activation,
    },
  );
  return { def: conv, graph, op, inputs: [input], isa: { dsp: true } };
}

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** A random layer whose k4 reaches the pairs kernel (common/isa/dsp_conv/choice.ts pairsPay); weights in [-127, 127]. */
function randomLayer(rand: () => number): Layer {
  for (;;) {
    const kh = randomInt(rand, 1, 7);
    const kw = randomInt(rand, 1, 7);
    const inC = rand() < 0.3 ? randomInt(rand, 40, 140) : randomInt(rand, 1, 24);
    const k4 = roundUp4(kh * kw * inC);
    const pointwise = kh === 1 && kw === 1 && inC % 4 === 0;
    if (!pairsPay(k4, pointwise) || k4 > 3000) continue;
    const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
    const dilation: [number, number] = rand() < 0.3 ? [randomInt(rand, 1, 2), randomInt(rand, 1, 2)] : [1, 1];
    const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
    const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 8), randomInt(rand, 1, 8), inC];
    const oh = outputSize(padding, input[1], kh, stride[0], dilation[0]);
    const ow = outputSize(padding, input[2], kw, stride[1], dilation[1]);
    if (oh < 1 || ow < 1) continue;
    const outC = randomInt(rand, 2, 13);
    const perChannel = rand() < 0.6;
    const ws = () => Math.exp(-9 + rand() * 5);
    const accScale = Math.sqrt(kh * kw * inC) * 60;
    const inScale = Math.exp(-6 + rand() * 5);
    const wScale = perChannel ? Array.from({ length: outC }, ws) : [ws()];
    return {
      input,
      outC,
      k: [kh, kw],
      stride,
      dilation,
      padding,
      filter: randomInt8(rand, outC * kh * kw * inC, -127, 127),
      inZp: randomInt(rand, -128, 127),
      inScale,
      wScale,
      // outputs mostly inside the int8 range: the accumulators' spread over 128 steps
      outScale: (inScale * wScale[0]! * accScale * (0.5 + rand())) / 128,
      outZp: randomInt(rand, -128, 127),
      bias: rand() < 0.7 ? Int32Array.from({ length: outC }, () => randomInt(rand, -100000, 100000)) : undefined,
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
    };
  }
}

/**
 * A layer at the extraction bound: every input value -128 (its zero point elsewhere), the second
 * channel of each pair all -128 (or +127) under a non-negative first one, so each chunk of 480 values
 * sums to 480 * 16384 = 7,864,320 (2^23 = 8,388,608); 1x1 over 512 channels (a part-chunk of 8 steps,
 * then a whole one) or 3x3 over 64 (24 steps, then 120) or 7x7 over 24 (54 steps, then 2 chunks).
 */
function boundLayer(rand: () => number, shape: 0 | 1 | 2, sign: -1 | 1): { layer: Layer; input: Int8Array } {
  const [k, inC] = (
    [
      [1, 512],
      [3, 64],
      [7, 24],
    ] as const
  )[shape];
  const outC = randomInt(rand, 2, 7);
  const row = k * k * inC;
  const filter = new Int8Array(outC * row);
  for (let o = 0; o < outC; o++) {
    for (let j = 0; j < row; j++) filter[o * row + j] = o % 2 === 0 ? randomInt(rand, 0, 127) : sign < 0 ? -128 : 127;
  }
  const input: [number, number, number, number] = [1, k + 1, k + 2, inC];
  const inScale = 0.01;
  const wScale = [0.01];
  const values = new Int8Array(input.reduce((a, b) => a * b, 1)).fill(-128);
  // a few other values, and zero point 0 so that the raw -128s are what SMLAD multiplies
  for (let i = 0; i < 5; i++) values[randomInt(rand, 0, values.length - 1)] = randomInt8(rand, 1, -128, 127)[0]!;
  const acc = 16384 * row;
  return {
    layer: {
      input,
      outC,
      k: [k, k],
      stride: [1, 1],
      dilation: [1, 1],
      padding: 'VALID',
      filter,
      inZp: 0,
      inScale,
      wScale,
      outScale: (inScale * wScale[0]! * acc) / 100,
      outZp: randomInt(rand, -20, 20),
      activation: 'NONE',
    },
    input: values,
  };
}

describe('CONV_2D DSP kernel, two channels in one halfword (host C twin)', () => {
  it('lays out every pair as lanes r + 256 s and falls back when a lane does not fit int16', () => {
    const rows = Int8Array.from([1, -2, 3, -4, 5, 6, -7, 8, /* s */ -128, 127, 0, -128, 9, -9, 10, 11, /* odd */ 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(channelPairsFit(rows, 3, 8)).to.equal(false); // k3: r = -4 under s = -128
    rows[3] = 4;
    expect(channelPairsFit(rows, 3, 8)).to.equal(true);
    const out = halfwordPairs(rows, 3, 8);
    const view = new DataView(out.buffer);
    const lane = (word: number, l: number) => view.getInt16(word * 4 + l * 2, true);
    // group 0: words (k0, k2), (k1, k3)
    expect([lane(0, 0), lane(0, 1), lane(1, 0), lane(1, 1)]).to.deep.equal([1 - 128 * 256, 3 + 0 * 256, -2 + 127 * 256, 4 - 128 * 256]);
    expect([lane(2, 0), lane(2, 1), lane(3, 0), lane(3, 1)]).to.deep.equal([5 + 9 * 256, -7 + 10 * 256, 6 - 9 * 256, 8 + 11 * 256]);
    expect(Array.from(out.subarray(16))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('random layers (kernels 1..7, odd channels, strides, dilation, padding, one to several chunks) match the reference', function () {
    const rand = rng(7013);
    const cases: CCase[] = [];
    let chunked = 0;
    while (cases.length < 40) {
      const l = randomLayer(rand);
      if (roundUp4(l.k[0] * l.k[1] * l.input[3]) > 480) chunked++;
      cases.push(
        caseOf(
          l,
          randomInt8(
            rand,
            l.input.reduce((a, b) => a * b, 1),
          ),
        ),
      );
    }
    expect(chunked).to.be.greaterThan(5);
    expectCMatchesReference(cases);
  });

  it('second-channel sums at the extraction bound in every chunk match the reference', function () {
    const rand = rng(7014);
    const cases: CCase[] = [];
    for (const shape of [0, 1, 2] as const) {
      for (const sign of [-1, 1] as const) {
        const { layer, input } = boundLayer(rand, shape, sign);
        cases.push(caseOf(layer, input));
      }
    }
    expectCMatchesReference(cases);
  });

  it('1x1 layers of 16..63 values share the pairs instance only in a model that carries it (one kernel in the code), bit-exact', function () {
    const rand = rng(9021);
    const cases: CCase[] = [];
    for (let i = 0; i < 12; i++) {
      const inC = 4 * randomInt(rand, PAIRS_MIN_K4_POINTWISE_SHARED / 4, 15);
      const [h, w, midC] = [randomInt(rand, 1, 6), randomInt(rand, 1, 6), 4 * randomInt(rand, 16, 20)];
      const b = new GraphBuilder(`shared${i}`);
      const conv1x1 = (x: number, cin: number, cout: number, q: { scale: number; zeroPoint: number }) => {
        const scales = Array.from({ length: cout }, () => 0.002 + rand() * 0.01);
        const filter = b.constant(
          { shape: [cout, 1, 1, cin], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
          randomInt8(rand, cout * cin, -127, 127),
        );
        const out = { scale: 0.05 + rand() * 0.1, zeroPoint: randomInt(rand, -100, 100) };
        return {
          out: b.op('CONV_2D', [x, filter, -1], [{ shape: [1, h, w, cout], q: out }], {
            padding: 'SAME',
            strideH: 1,
            strideW: 1,
            dilationH: 1,
            dilationW: 1,
            activation: 'NONE',
          })[0]!,
          q: out,
        };
      };
      const inQ = { scale: 0.05, zeroPoint: randomInt(rand, -60, 60) };
      const x = b.input({ shape: [1, h, w, inC], q: inQ });
      const narrow = conv1x1(x, inC, midC, inQ);
      const wide = conv1x1(narrow.out, midC, 8, narrow.q);
      b.output(wide.out);
      const graph = b.build();
      // whole tensors: a default row-band stage would run this chain with its band kernels instead
      const text = compileGraph(graph, 'shared', { isa: { dsp: true }, patch: 'off' }).generated.files.find((f) => f.role === 'source')!.text;
      expect(text.match(/2 channels in one halfword/g) ?? [], `${inC} -> ${midC}`).to.have.length(2);
      expect(text).to.not.match(/static void tf_dsp_pointwise_fs\(/);
      cases.push({ def: conv, graph, op: graph.ops[0]!, inputs: [randomInt8(rand, h * w * inC)], isa: { dsp: true } });
      // alone, the same layer keeps the faster interleaved layout
      const alone = new GraphBuilder(`alone${i}`);
      const ax = alone.input({ shape: [1, h, w, inC], q: inQ });
      const af = alone.constant({ shape: [midC, 1, 1, inC], quant: { scale: [0.01], zeroPoint: [0], axis: 0 } }, randomInt8(rand, midC * inC, -127, 127));
      alone.output(
        alone.op('CONV_2D', [ax, af, -1], [{ shape: [1, h, w, midC], q: { scale: 0.1, zeroPoint: 0 } }], {
          padding: 'SAME',
          strideH: 1,
          strideW: 1,
          activation: 'NONE',
        })[0]!,
      );
      const aloneText = compileGraph(alone.build(), 'alone', { isa: { dsp: true } }).generated.files.find((f) => f.role === 'source')!.text;
      expect(aloneText).to.not.match(/in one halfword/);
    }
    expectCMatchesReference(cases);
  });
});
