// SPDX-License-Identifier: Apache-2.0
/**
 * CAST (TFLite Micro's cast.cc): each element converted as C++ static_cast does, quantization
 * ignored (the stored values are converted, not the real values). Inputs int8, int16, int32,
 * uint32, float32 or bool; outputs int8, int16, int32, uint32 or float32 (TFLite Micro has no bool,
 * uint8 or int64 output; uint32 carries signal front-ends' energies). This is the one integer-model
 * op whose job is float conversion, so float32 appears here.
 *
 * - integer to narrower integer: the low bits (two's-complement wrap), as static_cast;
 * - int32 to float32: the nearest float (ties to even), as the C conversion;
 * - bool to anything: 0 or 1;
 * - float32 to integer: truncation toward zero. static_cast of a float outside the int32 range (or
 *   NaN) is undefined in C++; TFLite Micro's reference build on x86-64 converts through a 32-bit
 *   cvttss2si, giving INT32_MIN there, and narrower types then keep its low bits. Matched here on
 *   every target with explicit, well-defined C (the Arm FPU would saturate instead).
 */
import { OpError } from '../../errors.ts';
import { DTYPE_C, type DType, type Graph, type Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { sameShape } from '../common/families/elementwise.ts';
import { checkedByPrepare, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const INPUTS: readonly DType[] = ['int8', 'int16', 'int32', 'uint32', 'float32', 'bool'];
const OUTPUTS: readonly DType[] = ['int8', 'int16', 'int32', 'uint32', 'float32'];

export interface CastParams {
  from: DType;
  to: DType;
  size: number;
  shape: number[];
}

const BITS: Partial<Record<DType, number>> = { int8: 8, int16: 16, int32: 32, uint32: 32 };

/** Two's-complement wrap of an integer to `bits` bits. */
function wrap(x: number, bits: number): number {
  return bits === 32 ? x | 0 : (x << (32 - bits)) >> (32 - bits);
}

/** float32 -> int32 as TFLite Micro's x86-64 build does: truncate, INT32_MIN when out of range or NaN. */
export function floatToInt32(v: number): number {
  return v > -2147483649 && v < 2147483648 ? Math.trunc(v) | 0 : -2147483648;
}

export function castValue(v: number, from: DType, to: DType): number {
  if (from === 'bool') v = v !== 0 ? 1 : 0;
  if (to === 'float32') return Math.fround(v);
  const x = from === 'float32' ? floatToInt32(v) : v;
  return to === 'uint32' ? x >>> 0 : wrap(x, BITS[to]!);
}

function prepareCast(graph: Graph, op: Op): CastParams {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  if (!INPUTS.includes(input.dtype))
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's CAST takes ${INPUTS.join(', ')}`);
  if (input.dtype === 'float32' && output.dtype === 'uint32')
    throw new OpError(op.index, op.kind, `float32 to uint32 (${tensorLabel(output)}) is not supported: its out-of-range results differ between targets`);
  if (!OUTPUTS.includes(output.dtype))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; TFLite Micro's CAST writes ${OUTPUTS.join(', ')}`);
  if (!sameShape(input.shape, output.shape))
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected the input's [${input.shape.join(',')}]`,
    );
  return { from: input.dtype, to: output.dtype, size: input.shape.reduce((a, b) => a * b, 1), shape: [...input.shape] };
}

/** The C expression converting `x` (of the input's C type). */
function cExpression(from: DType, to: DType): string {
  const toC = DTYPE_C[to];
  if (from === 'bool') return `(${toC})(x != 0)`;
  if (to === 'float32') return '(float)x';
  if (from === 'float32') {
    const t = '(x > -2147483904.0f && x < 2147483648.0f ? (int32_t)x : (int32_t)(-2147483647 - 1))';
    return to === 'int32' ? t : `(${toC})(uint32_t)${t}`;
  }
  return `(${toC})x`;
}

const cast: OpDef<CastParams> = {
  kind: 'CAST',
  dir: import.meta.dirname,
  ...checkedByPrepare(prepareCast),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const a = inputs[0] as unknown as ArrayLike<number>;
    const out = outputs[0] as unknown as number[];
    for (let i = 0; i < p.size; i++) out[i] = castValue(a[i]!, p.from, p.to);
  },
  emitC(p, ctx) {
    return `/* CAST ${p.from} -> ${p.to} [${shapeComment(p.shape)}], ${p.size} elements, as static_cast (float: truncated, INT32_MIN out of range, as TFLite Micro on x86-64) */
static void ${ctx.fnName}(void) {
  const ${DTYPE_C[p.from]} *in = (const ${DTYPE_C[p.from]} *)${ctx.input(0)};
  ${DTYPE_C[p.to]} *out = (${DTYPE_C[p.to]} *)${ctx.output(0)};
  int i;
  for (i = 0; i < ${p.size}; ++i) {
    const ${DTYPE_C[p.from]} x = in[i];
    out[i] = ${cExpression(p.from, p.to)};
  }
}
`;
  },
};

export default cast;
