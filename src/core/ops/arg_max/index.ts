// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MAX along one constant axis: TFLite Micro's ArgMinMax with std::greater, i.e. the first index
 * of the largest raw value (ties keep the earlier index). Inputs int8 and float32 (as TFLite Micro),
 * int16 or int32; outputs int32 (TFLite Micro's only output type) or int64 (desktop TFLite's default).
 */
import { OpError } from '../../errors.ts';
import { type DType, type Graph, type Op, type Tensor, elementCount } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import type { OpDef } from '../op.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { type ArgMinMaxParams, emitArgMinMax, evaluateArgMinMax } from '../common/families/arg_min_max.ts';

export type ArgMaxParams = ArgMinMaxParams;

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

const argMax: OpDef<ArgMaxParams> = {
  kind: 'ARG_MAX',
  dir: import.meta.dirname,
  // float32 inputs compare as C floats (std::greater<float>): the same loops
  floatKernel: true,

  check(graph, op) {
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
  },

  prepare(graph, op) {
    const { input, output, axis } = resolve(graph, op);
    return {
      outer: elementCount(input.shape.slice(0, axis)),
      axisSize: input.shape[axis]!,
      inner: elementCount(input.shape.slice(axis + 1)),
      axis,
      inputType: input.dtype,
      outputType: output.dtype,
    };
  },

  macs: () => 0,

  evaluate(p, inputs, outputs) {
    evaluateArgMinMax(p, inputs[0] as Int8Array | Int16Array | Int32Array | Float32Array, outputs[0] as Int32Array | BigInt64Array, (v, best) => v > best);
  },

  emitC: (p, ctx) => emitArgMinMax('arg_max.c.hbs', p, ctx),
};

export default argMax;
