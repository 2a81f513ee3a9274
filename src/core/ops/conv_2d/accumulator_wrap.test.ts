// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D and DEPTHWISE_CONV_2D channels whose int32 accumulator can leave int32 (weights -128 over
 * more than 65,793 taps, input zero point 127): the portable C sums in uint32_t and wraps as TFLite
 * Micro's int32 does, the target kernels are not taken, and UBSan (no recovery) sees no overflow.
 */
import { expect } from 'chai';
import conv from './index.ts';
import depthwise from '../depthwise_conv_2d/index.ts';
import type { OpDef, KernelIsa } from '../op.ts';
import { emitLayerC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { selectVariant } from '../variant.ts';

const ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
const attrs = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' };

/** One output pixel of `outC` channels over an h x w x inC image; channel 0's weights all -128, the others 1. */
function wideConv(h: number, w: number, inC: number, input: number, outC = 2) {
  const taps = h * w * inC;
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: [1, h, w, inC], scale: 0.5, zeroPoint: 127 },
      { shape: [outC, h, w, inC], scale: 0.001, data: Int8Array.from({ length: outC * taps }, (_, k) => (k < taps ? -128 : 1)) },
      { shape: [outC], dtype: 'int32', scale: 0.0005, data: Int32Array.from({ length: outC }, (_, c) => 1000 * c - 7) },
    ],
    [{ shape: [1, 1, 1, outC], scale: 2 ** 22 * 0.0005, zeroPoint: 3 }],
    attrs,
  );
  return { graph, op, inputs: [new Int8Array(taps).fill(input)] };
}

/** One output pixel of a depthwise h x w window over 2 channels: channel 0's weights -128, channel 1's 2; biases 3, -3. */
function wideDepthwise(h: number, w: number, input: number) {
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [1, h, w, 2], scale: 0.5, zeroPoint: 127 },
      { shape: [1, h, w, 2], scale: 0.001, axis: 3, data: Int8Array.from({ length: h * w * 2 }, (_, k) => (k % 2 === 0 ? -128 : 2)) },
      // a bias: tflm-ref aborts on an int8 depthwise without one
      { shape: [2], dtype: 'int32', data: Int32Array.from([3, -3]) },
    ],
    [{ shape: [1, 1, 1, 2], scale: 2 ** 22 * 0.0005, zeroPoint: -5 }],
    { ...attrs, depthMultiplier: 1 },
  );
  return { graph, op, inputs: [new Int8Array(h * w * 2).fill(input)] };
}

function expectWraps(def: OpDef, c: { graph: ReturnType<typeof singleOpGraph>['graph']; op: ReturnType<typeof singleOpGraph>['op'] }, wraps: boolean) {
  const p = def.prepare(c.graph, c.op) as { accWraps?: boolean };
  expect(p.accWraps, c.op.kind).to.equal(wraps);
  if (wraps) for (const isa of ISAS) expect(selectVariant(def, p, isa).name, JSON.stringify(isa)).to.equal('portable');
}

describe('CONV_2D and DEPTHWISE_CONV_2D accumulators that pass 2^31 wrap as in TFLite Micro', () => {
  it('a 1x1 (pointwise, folded) and a 3x3 conv over 70,000 and 66,600 taps, and a 258x258 depthwise window: the C equals the reference', function () {
    const convs = [wideConv(1, 1, 70_000, -128), wideConv(3, 3, 7400, -128), wideConv(3, 3, 7400, 100)];
    const dws = [wideDepthwise(258, 258, -128), wideDepthwise(258, 258, 127)];
    for (const c of convs) expectWraps(conv, c, true);
    for (const c of dws) expectWraps(depthwise, c, true);
    expectCMatchesReference([...convs.map((c) => ({ def: conv, ...c })), ...dws.map((c) => ({ def: depthwise, ...c }))]);
  });

  it('TFLite Micro gives the same bytes', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(conv, [wideConv(1, 1, 70_000, -128), wideConv(3, 3, 7400, -128)]);
    expectTflmAgrees(depthwise, [wideDepthwise(258, 258, -128)]);
  });

  it('within 2^31 the signed accumulator keeps its kernels, the bound in a comment', () => {
    const fits = wideConv(3, 3, 16, -128);
    expectWraps(conv, fits, false);
    expect(emitLayerC(conv, fits)).to.match(/\|bias\| \+ sum \|w \(x - z_in\)\| <= \d+ < 2\^31: no overflow/);
    expect(emitLayerC(conv, wideConv(3, 3, 7400, -128))).to.match(/past 2\^31: summed in uint32_t/);
    expect(emitLayerC(depthwise, wideDepthwise(3, 3, 0))).to.match(/<= \d+ < 2\^31: no overflow/);
    expect(emitLayerC(depthwise, wideDepthwise(258, 258, 0))).to.contain('uint32_t acc');
  });
});
