// SPDX-License-Identifier: Apache-2.0
/**
 * LOGISTIC, int8: TFLite Micro's reference_integer_ops::Logistic (the input rescaled to Q4.27,
 * gemmlowp's fixed-point sigmoid, rounded to the output's fixed scale 1/256 with zero point -128),
 * tabulated at compile time for the 256 input values. A layer lowered from ONNX (attrs.arithmetic
 * 'onnxruntime') takes ONNX Runtime's QLinearSigmoid table instead (common/numerics/ort_lookup.ts:
 * MLAS's logistic, any output quantization). Int16 (16x8) layers go to the int16 variant
 * (common/families/sigmoid_int16_op.ts) through withInt16Variant.
 */
import { OpError } from '../../errors.ts';
import { type Int8SigmoidScaling, int8SigmoidScaling, logisticInt8 } from '../common/numerics/gemmlowp_activations.ts';
import { int8UnaryTensors, requireOutputQuantization } from '../common/families/elementwise.ts';
import { tableOp } from '../common/families/table_op.ts';
import { withInt16Variant } from '../common/families/int16_variant.ts';
import { sigmoidInt16Variant } from '../common/families/sigmoid_int16_op.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { LOGISTIC_KERNEL } from '../common/families/float_libm.ts';
import { type OrtLookupQuant, mlasLogisticFma3, ortLookupValue } from '../common/numerics/ort_lookup.ts';
import { opArithmetic } from '../common/numerics/requant_f32.ts';
import type { Graph, Op } from '../../ir/graph.ts';

type LogisticQuant = { tflite: Int8SigmoidScaling } | { ort: OrtLookupQuant };

function ortQuant(graph: Graph, op: Op): OrtLookupQuant {
  const input = graph.tensors[op.inputs[0]!]!.quant!;
  const output = graph.tensors[op.outputs[0]!]!.quant!;
  return { inputScale: input.scale[0]!, inputZeroPoint: input.zeroPoint[0]!, outputScale: output.scale[0]!, outputZeroPoint: output.zeroPoint[0]! };
}

const logistic = tableOp<LogisticQuant>({
  kind: 'LOGISTIC',
  dir: import.meta.dirname,
  template: 'logistic.c.hbs',

  check(graph, op) {
    const { input, output } = int8UnaryTensors(graph, op);
    // ONNX Runtime's table takes any output quantization and any input scale
    if (opArithmetic(op.attrs) === 'onnxruntime') return;
    requireOutputQuantization(op, output, 1 / 256, -128, '1/256');
    if (!int8SigmoidScaling(input.quant!.scale[0]!, input.quant!.zeroPoint[0]!)) {
      throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} scale ${input.quant!.scale[0]} is too small (below 2^-28) for TFLite's int8 sigmoid`);
    }
  },

  quantize(graph, op) {
    if (opArithmetic(op.attrs) === 'onnxruntime') return { ort: ortQuant(graph, op) };
    const input = graph.tensors[op.inputs[0]!]!;
    return { tflite: int8SigmoidScaling(input.quant!.scale[0]!, input.quant!.zeroPoint[0]!)! };
  },

  value: (q, quant) => ('ort' in quant ? ortLookupValue(q, quant.ort, mlasLogisticFma3) : logisticInt8(q, quant.tflite)),

  ortNote: (quant) => ('ort' in quant ? "ONNX Runtime's QLinearSigmoid table (MLAS's logistic, x86-64 FMA3 kernel, in float32)" : undefined),
});

// int16 activations (16x8): TFLite's int16 table kernel, common/families/sigmoid_int16_op.ts;
// float32: TFLite's reference Logistic<float> with libm's expf (common/families/float_libm.ts)
export default withFloatVariant(withInt16Variant(logistic, sigmoidInt16Variant('LOGISTIC', 'logistic_int16.c.hbs')), LOGISTIC_KERNEL);
