// SPDX-License-Identifier: Apache-2.0
/**
 * REVERSE_V2 (TFLite Micro's reverse.cc, reference `Reverse`): the input with the order of its
 * elements reversed along the axes of the constant int32 axis tensor. TFLite Micro reverses only
 * contiguous axes (after sorting, each one past the last), which it treats as one block: the
 * elements are [outer, middle, inner], the middle index runs backwards. Every dtype TFLite Micro's
 * kernel takes: float32, int8, uint8, int16, int32, int64, bool (stored values moved).
 */
import { OpError } from '../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type DType, type Graph, type Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { checkedByPrepare, constIndexValues, requireSameDtype, requireShape, shapeComment } from '../common/families/shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

const DTYPES: readonly DType[] = ['float32', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'];
/** RuntimeShape::kMaxSmallSize */
const MAX_RANK = 6;

export interface ReverseV2Params {
  dtype: DType;
  outer: number;
  middle: number;
  inner: number;
  axes: number[];
  shape: number[];
}

function prepareReverse(graph: Graph, op: Op): ReverseV2Params {
  if (op.inputs.length !== 2) throw new OpError(op.index, op.kind, `expected 2 inputs (input, axis), got ${op.inputs.length}`);
  const input = requireInput(graph, op, 0, 'input');
  const axisT = requireInput(graph, op, 1, 'axis');
  const output = requireOutput(graph, op);
  if (!DTYPES.includes(input.dtype))
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's REVERSE_V2 supports ${DTYPES.join(', ')}`);
  requireSameDtype(op, input, output);
  if (axisT.dtype !== 'int32') throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} is ${axisT.dtype}; TFLite Micro's REVERSE_V2 takes int32 axes`);
  if (axisT.shape.length !== 1)
    throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} has rank ${axisT.shape.length}; TFLite Micro's REVERSE_V2 takes rank 1`);
  const rank = input.shape.length;
  if (rank > MAX_RANK)
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has rank ${rank}; TFLite Micro's REVERSE_V2 takes at most ${MAX_RANK}`);
  const raw = constIndexValues(op, axisT, 'axis');
  if (raw.length > rank) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisT)} lists ${raw.length} axes, more than the input's rank ${rank}`);
  const axes = raw.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) throw new OpError(op.index, op.kind, `axis ${a} is out of range for rank ${rank}`);
    return n;
  });
  axes.sort((a, b) => a - b);
  for (let i = 1; i < axes.length; i++) {
    if (axes[i - 1]! + 1 !== axes[i])
      throw new OpError(op.index, op.kind, `axes [${raw.join(',')}] are not contiguous; TFLite Micro's REVERSE_V2 reverses contiguous axes only`);
  }
  requireShape(op, output, 'output', input.shape);
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const lo = axes[0]!;
  const hi = axes[axes.length - 1]!;
  return {
    dtype: input.dtype,
    outer: prod(input.shape.slice(0, lo)),
    middle: prod(input.shape.slice(lo, hi + 1)),
    inner: prod(input.shape.slice(hi + 1)),
    axes,
    shape: [...input.shape],
  };
}

const reverseV2: OpDef<ReverseV2Params> = {
  kind: 'REVERSE_V2',
  dir: import.meta.dirname,
  // moves stored values: float32 layers run the same C
  floatKernel: true,
  ...checkedByPrepare(prepareReverse),
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const src = inputs[0] as Int8Array;
    const out = outputs[0] as Int8Array;
    for (let i = 0; i < p.outer; i++) {
      for (let j = 0; j < p.middle; j++) {
        const from = (i * p.middle + j) * p.inner;
        out.set(src.subarray(from, from + p.inner), (i * p.middle + (p.middle - 1 - j)) * p.inner);
      }
    }
  },
  emitC(p, ctx) {
    const ctype = DTYPE_C[p.dtype];
    const step =
      p.inner === 1
        ? `      dst[(${p.middle - 1} - j)] = src[j];`
        : `      memcpy(dst + (${p.middle - 1} - j) * ${p.inner}, src + j * ${p.inner}, ${p.inner * DTYPE_BYTES[p.dtype]});`;
    return `/* REVERSE_V2 ${p.dtype} [${shapeComment(p.shape)}] axes ${p.axes.join(',')}: ${p.outer} blocks of ${p.middle} runs of ${p.inner}, the runs in reverse order */
static void ${ctx.fnName}(void) {
  const ${ctype} *in = ${ctx.input(0)};
  ${ctype} *out = ${ctx.output(0)};
  int i, j;
  for (i = 0; i < ${p.outer}; ++i) {
    const ${ctype} *src = in + i * ${p.middle * p.inner};
    ${ctype} *dst = out + i * ${p.middle * p.inner};
    for (j = 0; j < ${p.middle}; ++j) {
${step}
    }
  }
}
`;
  },
};

export default reverseV2;
