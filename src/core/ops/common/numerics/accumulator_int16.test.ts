// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 accumulators (int16 activations, int8 weights): the int64 ones state their bound,
 * |bias| + sum |w|·32768 < 2^47, in the emitted C, and a layer past 2^47 is refused even without a
 * bias; CONV_2D's int32 accumulator (an int32 bias, as TFLite Micro) sums in uint32_t where the bound
 * passes 2^31, wrapping as TFLite Micro's, with no undefined behaviour under UBSan.
 */
import { expect } from 'chai';
import conv from '../../conv_2d/index.ts';
import fc from '../../fully_connected/index.ts';
import depthwise from '../../depthwise_conv_2d/index.ts';
import transposeConv from '../../transpose_conv/index.ts';
import { emitLayerC, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../../test/helpers/op_checks.ts';
import { compileGraph } from '../../../compile.ts';
import { TinyforgeError } from '../../../errors.ts';
import { GraphBuilder } from '../../../../../test/helpers/graph_builder.ts';

const attrs = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' };

/** A 1x1 CONV_2D 16x8 over inC channels, 2 filters (-128s, 1s), with a bias of `dtype`. */
function conv16(inC: number, input: number, dtype: 'int32' | 'int64') {
  const bias = [-7, 11];
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: [1, 1, 1, inC], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
      { shape: [2, 1, 1, inC], scale: [0.001, 0.001], zeroPoint: [0, 0], axis: 0, data: Int8Array.from({ length: 2 * inC }, (_, k) => (k < inC ? -128 : 1)) },
      { shape: [2], dtype, scale: 0.0005, data: dtype === 'int64' ? BigInt64Array.from(bias.map(BigInt)) : Int32Array.from(bias) },
    ],
    [{ shape: [1, 1, 1, 2], dtype: 'int16', scale: 2 ** 30 * 0.0005, zeroPoint: 0 }],
    attrs,
  );
  return { graph, op, inputs: [new Int16Array(inC).fill(input)] };
}

describe('16x8 accumulators: bounds said, int32 ones wrapping where TFLite Micro wraps', () => {
  it('CONV_2D with an int32 bias: 600 x 128 x 32768 + 7 = 2,516,582,407 sums in uint32_t; the C (ASan+UBSan, no recovery) equals the reference', function () {
    const wraps = conv16(600, -32768, 'int32');
    expect(emitLayerC(conv, wraps)).to.match(/<= 2516582407, past 2\^31: summed in uint32_t/);
    const fits = conv16(511, -32768, 'int32');
    expect(emitLayerC(conv, fits)).to.match(/\|bias\| \+ sum \|w x\| <= 2143289351 < 2\^31: no overflow/);
    expectCMatchesReference([wraps, conv16(600, 32767, 'int32'), fits, conv16(600, -32768, 'int64')].map((c) => ({ def: conv, ...c })));
  });

  it('the int64 accumulators of CONV_2D, FULLY_CONNECTED, DEPTHWISE_CONV_2D and TRANSPOSE_CONV state |bias| + sum |w x| < 2^47', () => {
    expect(emitLayerC(conv, conv16(600, 0, 'int64'))).to.contain('|bias| + sum |w x| <= 2516582407 < 2^47: no int64 overflow');
    const fc16 = singleOpGraph(
      'FULLY_CONNECTED',
      [
        { shape: [1, 3], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
        { shape: [2, 3], scale: 0.01, zeroPoint: 0, data: Int8Array.from([1, -2, 3, -128, 0, 5]) },
        { shape: [2], dtype: 'int64', scale: 0.005, data: BigInt64Array.from([100n, -1000n]) },
      ],
      [{ shape: [1, 2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
      { activation: 'NONE', keepNumDims: false },
    );
    // row 1: 1000 + 128 x 32768 + 5 x 32767 (each term's worst end)
    expect(emitLayerC(fc, fc16)).to.contain('<= 4359139 < 2^47');
    const dw16 = singleOpGraph(
      'DEPTHWISE_CONV_2D',
      [
        { shape: [1, 2, 2, 2], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
        { shape: [1, 2, 2, 2], scale: [0.01, 0.01], zeroPoint: [0, 0], axis: 3, data: Int8Array.from([-128, 1, -128, 1, -128, 1, -128, 1]) },
      ],
      [{ shape: [1, 1, 1, 2], dtype: 'int16', scale: 1, zeroPoint: 0 }],
      { ...attrs, depthMultiplier: 1 },
    );
    expect(emitLayerC(depthwise, dw16)).to.contain(`<= ${4 * 128 * 32768} < 2^47`);
    const tc16 = singleOpGraph(
      'TRANSPOSE_CONV',
      [
        { shape: [4], dtype: 'int32', data: Int32Array.from([1, 3, 3, 1]) },
        { shape: [1, 2, 2, 3], scale: [0.01], zeroPoint: [0], axis: 0, data: new Int8Array(12).fill(-128) },
        { shape: [1, 2, 2, 3], dtype: 'int16', scale: 0.5, zeroPoint: 0 },
      ],
      [{ shape: [1, 3, 3, 1], dtype: 'int16', scale: 1, zeroPoint: 0 }],
      { padding: 'VALID', strideH: 1, strideW: 1, activation: 'NONE' },
    );
    expect(emitLayerC(transposeConv, tc16)).to.contain(`<= ${12 * 128 * 32768} < 2^47`);
  });

  it('a 16x8 layer without a bias whose accumulator can reach 2^47 is refused', () => {
    const fc16 = (n: number) => {
      const b = new GraphBuilder('fc16');
      const x = b.input({ shape: [1, n], dtype: 'int16', q: { scale: 0.001, zeroPoint: 0 }, name: 'x' });
      const w = b.constant({ shape: [1, n], dtype: 'int16', q: { scale: 0.01, zeroPoint: 0 }, name: 'w' }, new Int16Array(n).fill(-32768));
      const [y] = b.op('FULLY_CONNECTED', [x, w], [{ shape: [1, 1], dtype: 'int16', q: { scale: 0.002, zeroPoint: 0 }, name: 'y' }], {
        activation: 'NONE',
        keepNumDims: false,
      });
      b.output(y!);
      return b.build();
    };
    // 131,072 x 32768 x 32768 = 2^47
    expect(() => compileGraph(fc16(131_072), 'm.tflite')).to.throw(TinyforgeError, /channel 0's accumulator reaches past TFLite Micro's range of \+-2\^47/);
  });
});
