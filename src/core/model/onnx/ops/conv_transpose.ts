// SPDX-License-Identifier: Apache-2.0
/**
 * ConvTranspose (2-D, no dilation) -> TRANSPOSE_CONV on NHWC (groups: a SPLIT of the input's
 * channels, one TRANSPOSE_CONV per group, a CONCATENATION of their outputs), weights [C_in, C_out, kH, kW]
 * -> [C_out, kH, kW, C_in]. TFLite's transposed convolution pads SAME (output = input * stride) or
 * VALID (no padding); ONNX pads (or output_shape) that are exactly one of those lower to it. Other
 * explicit pads and output_padding: the VALID (full) output, then a SLICE keeping the pads' window
 * of it: every output cell of ONNX's is a cell of the full one, its sums unchanged, so the crop is
 * exact. An output reaching past the full one (output_padding beyond the end pad, whose cells would
 * hold the bias alone) is refused.
 */
import type { OnnxOpLowering } from './registry.ts';
import { addWeights, biasOf, weightsOf } from './common.ts';
import { transposePadding } from '../../../ir/tflite_geometry.ts';
import { channelsLastPerm } from '../values.ts';
import { fromBytes } from '../../../ir/buffers.ts';

export const convTranspose: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const x0 = ctx.activation(node, 0, 'the input');
    const shape = ctx.onnxShape(x0);
    if (shape.length !== 4) throw ctx.fail(node, `input of rank ${shape.length}: tinyforge lowers 2-D transposed convolutions`);
    const quantized = ctx.quantizedInputs(node, [x0]);
    const group = ctx.attrInt(node, 'group', 1);
    const wValue = ctx.input(node, 1, 'the weights');
    if (wValue.kind === 'tensor' || wValue.dims.length !== 4) throw ctx.fail(node, 'the weights must be a constant of rank 4');
    const [cIn, groupOut, kH, kW] = wValue.dims as [number, number, number, number];
    if (cIn !== shape[1]) throw ctx.fail(node, `weights for ${cIn} input channels, input has ${shape[1]}`);
    if (group < 1 || cIn % group !== 0) throw ctx.fail(node, `group ${group} does not divide the ${cIn} input channels`);
    const cOut = groupOut * group;
    const kernel = ctx.attrInts(node, 'kernel_shape') ?? [kH, kW];
    if (kernel[0] !== kH || kernel[1] !== kW) throw ctx.fail(node, 'kernel_shape differs from the weights');
    const strides = ctx.attrInts(node, 'strides') ?? [1, 1];
    if ((ctx.attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw ctx.fail(node, 'dilated transposed convolution is not supported');
    const outputPadding = ctx.attrInts(node, 'output_padding') ?? [0, 0];
    const autoPad = ctx.attrString(node, 'auto_pad', 'NOTSET');
    const given = ctx.attrInts(node, 'output_shape');
    const inSizes = [shape[2]!, shape[3]!];
    let pads = ctx.attrInts(node, 'pads') ?? [0, 0, 0, 0];
    let out: number[];
    if (given) {
      out = given.slice(-2);
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = inSizes.map((n, i) => n * strides[i]!);
    } else {
      if (autoPad === 'VALID') pads = [0, 0, 0, 0];
      out = inSizes.map((n, i) => strides[i]! * (n - 1) + outputPadding[i]! + kernel[i]! - pads[i]! - pads[i + 2]!);
    }
    // which TFLite padding gives these output sizes and pads
    const full = inSizes.map((n, i) => strides[i]! * (n - 1) + kernel[i]!);
    let padding: 'SAME' | 'VALID' | undefined = out.every((o, i) => o === full[i])
      ? 'VALID'
      : out.every((o, i) => o === inSizes[i]! * strides[i]!)
        ? 'SAME'
        : undefined;
    const explicit = !given && autoPad === 'NOTSET';
    if (explicit && padding === 'SAME') {
      const before = out.map((o, i) => transposePadding('SAME', o, kernel[i]!, strides[i]!));
      if (pads[0] !== before[0] || pads[1] !== before[1]) padding = undefined;
    }
    // explicit pads TFLite cannot place: crop the full output from the begin pads
    let crop: number[] | undefined;
    if (!padding) {
      if (!explicit) throw ctx.fail(node, `output ${out.join('x')} is neither TFLite's SAME (input x stride) nor VALID (no padding)`);
      if (out.some((o, i) => o < 1 || pads[i]! + o > full[i]!))
        throw ctx.fail(
          node,
          `pads [${pads.join(',')}] and output_padding [${outputPadding.join(',')}] give an output ${out.join('x')} reaching past the full ${full.join('x')} one (cells holding the bias alone); not supported`,
        );
      crop = [pads[0]!, pads[1]!];
      padding = 'VALID';
    }
    const convOut = crop ? full : out;
    const x = ctx.inLayout(x0, channelsLastPerm(4));
    const w = weightsOf(ctx, node, 1, [1, 2, 3, 0], quantized);
    if (group > 1 && w.quant && w.quant.scale.length > 1)
      throw ctx.fail(node, 'per-channel weights of a grouped transposed convolution are not supported (per-tensor only)');
    const bias = biasOf(ctx, node, { index: 2, channels: cOut, input: x, weights: w, quantized });
    const outShape = [shape[0]!, cOut, out[0]!, out[1]!];
    const output = ctx.output(node, 0, outShape, channelsLastPerm(4), { quantized, fuse: true });
    const irShape = (sizes: number[], channels = cOut) => [shape[0]!, sizes[0]!, sizes[1]!, channels];
    const final = ctx.tensors[output.index]!;
    // the full output: the cropped one's type and quantization (a SLICE keeps both)
    const convTensor = crop ? ctx.addTensor(`${final.name}_full`, final.dtype, irShape(full), final.quant && { ...final.quant }) : output.index;
    const attrs = { padding, strideH: strides[0]!, strideW: strides[1]!, activation: output.activation };
    if (group === 1) {
      const outputShape = ctx.addConstant(`${node.output![0]}_shape`, 'int32', [4], irShape(convOut));
      ctx.addQuantizedOp('TRANSPOSE_CONV', [outputShape, addWeights(ctx, node, 1, w), x.index, bias], [convTensor], attrs, quantized);
    } else {
      // groups: the input's channels split in `group` parts, one TRANSPOSE_CONV each, their outputs
      // concatenated (each group's sums are its own; the quantization is the output's throughout)
      const xt = ctx.tensor(x);
      const cinG = cIn / group;
      const parts = Array.from({ length: group }, (_, g) =>
        ctx.addTensor(`${xt.name}_group${g}`, xt.dtype, [xt.shape[0]!, xt.shape[1]!, xt.shape[2]!, cinG], xt.quant && { ...xt.quant }),
      );
      ctx.addOp('SPLIT', [ctx.addConstant(`${xt.name}_split_axis`, 'int32', [], [3]), x.index], parts, { numSplits: group });
      const outputShape = ctx.addConstant(`${node.output![0]}_group_shape`, 'int32', [4], irShape(convOut, groupOut));
      const biasTensor = bias >= 0 ? ctx.tensors[bias]! : undefined;
      const biasValues = biasTensor ? Array.from(fromBytes(biasTensor.dtype, biasTensor.data!) as ArrayLike<number>) : [];
      const results = parts.map((part, g) => {
        const values: number[] = [];
        for (let i = 0; i < w.values.length; i += cIn) values.push(...w.values.slice(i + g * cinG, i + (g + 1) * cinG));
        const weights = ctx.addConstant(`${node.input![1]}_group${g}`, w.dtype, [groupOut, kH, kW, cinG], values, w.quant && { ...w.quant });
        const groupBias = biasTensor
          ? ctx.addConstant(
              `${biasTensor.name}_group${g}`,
              biasTensor.dtype,
              [groupOut],
              biasValues.slice(g * groupOut, (g + 1) * groupOut),
              biasTensor.quant && {
                ...biasTensor.quant,
                scale: biasTensor.quant.scale.slice(g * groupOut, (g + 1) * groupOut),
                zeroPoint: biasTensor.quant.zeroPoint.slice(g * groupOut, (g + 1) * groupOut),
              },
            )
          : -1;
        const result = ctx.addTensor(`${final.name}_group${g}`, final.dtype, irShape(convOut, groupOut), final.quant && { ...final.quant });
        ctx.addQuantizedOp('TRANSPOSE_CONV', [outputShape, weights, part, groupBias], [result], attrs, quantized);
        return result;
      });
      ctx.addQuantizedOp('CONCATENATION', results, [convTensor], { axis: 3, activation: 'NONE' }, quantized);
    }
    if (crop) {
      const begin = ctx.addConstant(`${final.name}_begin`, 'int32', [4], [0, crop[0]!, crop[1]!, 0]);
      const size = ctx.addConstant(`${final.name}_size`, 'int32', [4], irShape(out));
      ctx.addOp('SLICE', [convTensor, begin, size], [output.index]);
    }
  },
};
