// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { inputTensors, normalizeAxis, requireSameDtype, shapeText } from '../common/families/shape_ops.ts';
import { type ConcatParams, concatParams, emitConcat, evaluateConcat } from '../common/families/concat.ts';
import { requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { withOrtArithmetic } from '../common/families/ort_kernels.ts';
import { ortConcatKernel } from './onnxruntime.ts';

/**
 * CONCATENATION (TFLite Micro's reference Concatenation): the inputs one after another along
 * `axis`, bytes copied unchanged. For int8, TFLite Micro's Prepare requires every input to have the
 * output's scale (compared as float32) and zero point, and fails the model otherwise (it never
 * requantizes, unlike desktop TFLite's ConcatenationWithScaling); `check` rejects such a layer the
 * same way rather than produce what neither TFLite computes. Other types (int16, int32) are copied
 * unchanged whatever their quantization, as TFLite Micro does (the C comment says so).
 */
const concatenation: OpDef<ConcatParams> = {
  kind: 'CONCATENATION',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    concatenation.prepare(graph, op);
  },

  prepare(graph, op) {
    const output = requireOutput(graph, op);
    const inputs = inputTensors(graph, op);
    if (inputs.length === 0) throw new OpError(op.index, op.kind, 'has no inputs');
    const activation = op.attrs.activation ?? 'NONE';
    if (activation !== 'NONE') throw new OpError(op.index, op.kind, `fused activation ${String(activation)} is not supported (TFLite Micro requires NONE)`);
    const rank = output.shape.length;
    const axis = normalizeAxis(op, op.attrs.axis ?? 0, rank);
    let total = 0;
    inputs.forEach((t, j) => {
      requireSameDtype(op, t, output);
      const fits = t.shape.length === rank && t.shape.every((d, k) => k === axis || d === output.shape[k]);
      if (!fits)
        throw new OpError(
          op.index,
          op.kind,
          `input ${j} ${tensorLabel(t)} ${shapeText(t.shape)} does not match output ${shapeText(output.shape)} outside axis ${axis}`,
        );
      total += t.shape[axis]!;
    });
    if (total !== output.shape[axis]) {
      throw new OpError(
        op.index,
        op.kind,
        `inputs hold ${total} elements along axis ${axis}; output ${tensorLabel(output)} ${shapeText(output.shape)} holds ${output.shape[axis]}`,
      );
    }
    const p = concatParams(
      graph,
      op,
      inputs,
      output,
      axis,
      inputs.map((t) => [...t.shape]),
    );
    if (output.dtype === 'int8' && p.requantizationIgnored.length > 0) {
      const j = p.requantizationIgnored[0]!;
      const q = (t: typeof output) => (t.quant ? `scale ${t.quant.scale[0]}, zero point ${t.quant.zeroPoint[0]}` : 'no quantization parameters');
      throw new OpError(
        op.index,
        op.kind,
        `int8 input ${j} ${tensorLabel(inputs[j]!)} has ${q(inputs[j]!)}; the output ${tensorLabel(output)} has ${q(output)}: TFLite Micro requires every int8 input to share the output's quantization (it does not requantize)`,
      );
    }
    return p;
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateConcat(p, inputs as unknown as unknown[][], outputs[0]! as unknown as unknown[]);
  },

  emitC(p, ctx) {
    return emitConcat(p, ctx);
  },
};

// layers imported from ONNX: QLinearConcat requantizes inputs quantized unlike the output (onnxruntime.ts)
export default withOrtArithmetic(concatenation, ortConcatKernel(concatenation));
