/**
 * LEAKY_RELU, int8: TFLite Micro's QuantizeLeakyRelu. Non-negative inputs (q >= z_in) are rescaled
 * by s_in/s_out, negative ones by s_in·alpha/s_out; both multipliers are computed in float32 (as
 * TFLite Micro's Prepare does) before widening. Tabulated at compile time for the 256 input values.
 */
import { OpError } from '../../errors.ts';
import { clamp, f32, mbqm, quantizeMultiplier } from '../common/fixedpoint.ts';
import { rejectInt16, unaryTensors } from '../common/elementwise.ts';
import { tableOp } from '../common/table_op.ts';
import { requireInt8Activation } from '../common/weighted.ts';

export interface LeakyReluQuant {
  inputZeroPoint: number;
  outputZeroPoint: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
}

/** The LeakyReluOptions alpha (the IR keeps the options' fields as they are named there). */
function alphaOf(attrs: Record<string, unknown>): unknown {
  return attrs.alpha;
}

export function leakyReluValue(q: number, p: LeakyReluQuant): number {
  const x = q - p.inputZeroPoint;
  const scaled = x >= 0 ? mbqm(x, p.identityMultiplier, p.identityShift) : mbqm(x, p.alphaMultiplier, p.alphaShift);
  return clamp(p.outputZeroPoint + scaled, -128, 127);
}

const leakyRelu = tableOp<LeakyReluQuant>({
  kind: 'LEAKY_RELU',
  dir: import.meta.dirname,
  template: 'leaky_relu.c.hbs',

  check(graph, op) {
    const { input, output } = unaryTensors(graph, op);
    rejectInt16(op, input, 'input');
    requireInt8Activation(op, input, 'input');
    requireInt8Activation(op, output, 'output');
    const alpha = alphaOf(op.attrs);
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
      throw new OpError(op.index, op.kind, `attribute alpha = ${String(alpha)}; expected a finite number`);
    }
  },

  quantize(graph, op) {
    const input = graph.tensors[op.inputs[0]!]!;
    const output = graph.tensors[op.outputs[0]!]!;
    const si = f32(input.quant!.scale[0]!);
    const so = f32(output.quant!.scale[0]!);
    const alpha = f32(alphaOf(op.attrs) as number);
    const identity = quantizeMultiplier(f32(si / so));
    const negative = quantizeMultiplier(f32(f32(si * alpha) / so));
    return {
      inputZeroPoint: input.quant!.zeroPoint[0]!,
      outputZeroPoint: output.quant!.zeroPoint[0]!,
      identityMultiplier: identity.multiplier,
      identityShift: identity.shift,
      alphaMultiplier: negative.multiplier,
      alphaShift: negative.shift,
    };
  },

  value: leakyReluValue,
});

export default leakyRelu;
