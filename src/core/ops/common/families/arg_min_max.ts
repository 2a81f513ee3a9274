// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MIN / ARG_MAX shared work: TFLite Micro's ArgMinMax keeps the first index whose raw value
 * beats every earlier one along the constant axis (ties keep the earlier index); the two ops only
 * differ in the comparison (std::less / std::greater) and the template that spells it in C.
 */
import { OpError } from '../../../errors.ts';
import { type DType, type Graph, type Op, type Tensor, elementCount } from '../../../ir/graph.ts';
import { DTYPE_C } from '../../../ir/graph.ts';
import { fromBytes } from '../../../ir/buffers.ts';
import type { LayerEmitContext } from '../../op.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';

export interface ArgMinMaxParams {
  outer: number;
  axisSize: number;
  inner: number;
  axis: number;
  inputType: DType;
  outputType: DType;
}

/** the reference kernel; `beats(v, best)` is true when v replaces the best value so far */
export function evaluateArgMinMax(
  p: ArgMinMaxParams,
  x: Int8Array | Int16Array | Int32Array | Float32Array,
  out: Int32Array | BigInt64Array,
  beats: (v: number, best: number) => boolean,
): void {
  for (let o = 0; o < p.outer; o++) {
    for (let i = 0; i < p.inner; i++) {
      const base = o * p.axisSize * p.inner + i;
      let best = x[base]!;
      let index = 0;
      for (let k = 1; k < p.axisSize; k++) {
        const v = x[base + k * p.inner]!;
        if (beats(v, best)) {
          best = v;
          index = k;
        }
      }
      if (out instanceof BigInt64Array) out[o * p.inner + i] = BigInt(index);
      else out[o * p.inner + i] = index;
    }
  }
}

/** renders the op's own template (arg_min.c.hbs / arg_max.c.hbs) with the shared view */
export function emitArgMinMax(template: string, p: ArgMinMaxParams, ctx: LayerEmitContext): string {
  const input = ctx.graph.tensors[ctx.op.inputs[0]!]!;
  return ctx.render(template, {
    ...p,
    fnName: ctx.fnName,
    input: ctx.input(0),
    output: ctx.output(0),
    inCtype: DTYPE_C[p.inputType],
    outCtype: DTYPE_C[p.outputType],
    inShape: input.shape.join('x'),
    stride: p.axisSize * p.inner,
  });
}

const INPUT_TYPES: readonly DType[] = ['int8', 'int16', 'int32', 'float32'];
const OUTPUT_TYPES: readonly DType[] = ['int32', 'int64'];

function resolve(graph: Graph, op: Op): { input: Tensor; output: Tensor; axis: number } {
  const input = requireInput(graph, op, 0, 'input');
  const axisTensor = requireInput(graph, op, 1, 'axis');
  const output = requireOutput(graph, op);
  if (!axisTensor.data) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} is not a constant tensor; only a constant axis is supported`);
  if (axisTensor.dtype !== 'int32' && axisTensor.dtype !== 'int64')
    throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} is ${axisTensor.dtype}; expected int32`);
  const values = Array.from(fromBytes(axisTensor.dtype, axisTensor.data) as ArrayLike<number | bigint>, Number);
  if (values.length !== 1) throw new OpError(op.index, op.kind, `axis ${tensorLabel(axisTensor)} has ${values.length} values; expected one`);
  const rank = input.shape.length;
  const a = values[0]!;
  if (rank < 1 || a < -rank || a >= rank) throw new OpError(op.index, op.kind, `axis ${a} is out of range for input ${tensorLabel(input)} of rank ${rank}`);
  return { input, output, axis: a < 0 ? a + rank : a };
}

/** TFLite Micro's checks of ARG_MAX and ARG_MIN: a constant axis, the types, the reduced shape. */
export function checkArgMinMax(graph: Graph, op: Op): void {
  const { input, output, axis } = resolve(graph, op);
  if (!INPUT_TYPES.includes(input.dtype))
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; only ${INPUT_TYPES.join(', ')} are supported`);
  if (!OUTPUT_TYPES.includes(output.dtype))
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} is ${output.dtype}; ARG_MAX outputs int32 or int64`);
  const expected = input.shape.filter((_, i) => i !== axis);
  if (expected.join(',') !== output.shape.join(',')) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; reducing axis ${axis} of [${input.shape.join(',')}] gives [${expected.join(',')}]`,
    );
  }
  if (input.shape[axis] === 0) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is empty along axis ${axis}`);
}

/** The loops' extents around the reduced axis. */
export function prepareArgMinMax(graph: Graph, op: Op): ArgMinMaxParams {
  const { input, output, axis } = resolve(graph, op);
  return {
    outer: elementCount(input.shape.slice(0, axis)),
    axisSize: input.shape[axis]!,
    inner: elementCount(input.shape.slice(axis + 1)),
    axis,
    inputType: input.dtype,
    outputType: output.dtype,
  };
}
