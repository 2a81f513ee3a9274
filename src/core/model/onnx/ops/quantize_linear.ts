// SPDX-License-Identifier: Apache-2.0
/**
 * QuantizeLinear. After an op it is absorbed by that op (it gives the op's output quantization, see
 * Lowering.output); what reaches this lowering is a QuantizeLinear of a float graph input (QUANTIZE
 * float32 -> int8), of a dequantized activation (a requantization, or nothing when the parameters are
 * equal) or of a constant (quantized here, ties to even as ONNX Runtime rounds).
 */
import type { OnnxOpLowering } from './registry.ts';
import { roundHalfEven } from './common.ts';
import { sameQuantization } from '../values.ts';

export const quantizeLinear: OnnxOpLowering = {
  minOpset: 10,
  lower(ctx, node) {
    const x = ctx.input(node, 0, 'the input');
    const { quant, storedType } = ctx.quantizeParams(node);
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    if (x.kind !== 'tensor') {
      if (x.kind !== 'const' || x.dtype !== 'float32') throw ctx.fail(node, 'quantizes a quantized constant');
      const rank = x.dims.length;
      const axis = perChannelAxis(ctx.attrInt(node, 'axis', 1), rank);
      const channels = quant.scale.length;
      if (channels > 1 && x.dims[axis] !== channels) throw ctx.fail(node, `${channels} scales for axis ${axis} of size ${x.dims[axis]}`);
      const inner = x.dims.slice(axis + 1).reduce((n, d) => n * d, 1);
      const [lo, hi] = storedType === 'uint8' ? [0, 255] : storedType === 'int32' ? [-2147483648, 2147483647] : [-128, 127];
      const shift = storedType === 'uint8' ? 128 : 0;
      const values = x.values.map((v, k) => {
        const c = channels > 1 ? Math.floor(k / inner) % channels : 0;
        return Math.min(hi, Math.max(lo, roundHalfEven(v / quant.scale[c]!) + quant.zeroPoint[c]! + shift));
      });
      ctx.values.set(name, { kind: 'const', dtype: storedType, dims: [...x.dims], values });
      ctx.note('quantized at compile time');
      return;
    }
    if (quant.scale.length > 1) throw ctx.fail(node, 'per-axis quantization of an activation is not supported');
    const source = ctx.tensor(x);
    if (x.dequantized && source.quant && sameQuantization(source.quant, quant)) {
      ctx.values.set(name, { kind: 'tensor', index: x.index, perm: x.perm });
      ctx.note('the same quantization as its input: nothing to do');
      return;
    }
    if (source.dtype !== 'float32' && !x.dequantized) throw ctx.fail(node, `quantizes a ${source.dtype} tensor`);
    const out = ctx.addTensor(name, 'int8', [...source.shape], quant);
    ctx.addQuantizedOp('QUANTIZE', [x.index], [out], {}, true);
    ctx.values.set(name, { kind: 'tensor', index: out, perm: x.perm });
  },
};

/** A QuantizeLinear / DequantizeLinear axis made non-negative. */
export function perChannelAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
