// SPDX-License-Identifier: Apache-2.0
/**
 * What tinyforge cannot compile, reported up front with the op at fault: dynamic shapes (a -1 in a
 * tensor's shape) and float ops tinyforge has no float32 kernel for. All problems are listed in
 * one error, each naming its op.
 */
import { TinyforgeError } from '../errors.ts';
import type { DType, Graph, Op, Tensor } from '../ir/graph.ts';
import { byteSize, elementCount, isConstant } from '../ir/graph.ts';
import { fromBytes } from '../ir/buffers.ts';
import { tensorLabel } from '../ops/common/families/weighted.ts';
import { opLabel } from './graph_edit.ts';
import { opDef } from '../ops/index.ts';

/**
 * A dimension is dynamic when the shape holds a negative size. The shape_signature's -1 marks
 * (a dimension the converter left open) do not count: TFLite Micro allocates and runs every tensor
 * at the shape the converter fixed, so tinyforge compiles that shape too.
 */
export function dynamicDimensions(t: Tensor): number[] {
  const dims: number[] = [];
  t.shape.forEach((d, k) => {
    if (d < 0) dims.push(k);
  });
  return dims;
}

export function rejectDynamicShapes(graph: Graph, source: string): void {
  const problems: string[] = [];
  const reported = new Set<number>();
  const report = (t: Tensor, where: string) => {
    if (reported.has(t.index)) return;
    const dims = dynamicDimensions(t);
    if (dims.length === 0) return;
    reported.add(t.index);
    problems.push(
      `${where}${tensorLabel(t)} has a dynamic shape (shape [${t.shape.join(',')}]; dimension ${dims.join(', ')}): tinyforge compiles static shapes only; export the model with fixed sizes`,
    );
  };
  for (const op of graph.ops) {
    for (const i of op.inputs) if (i >= 0) report(graph.tensors[i]!, `${opLabel(op)}: input `);
    for (const o of op.outputs) report(graph.tensors[o]!, `${opLabel(op)}: output `);
  }
  for (const i of [...graph.inputs, ...graph.outputs]) report(graph.tensors[i]!, 'model input/output ');
  if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
}

// CAST to or from float32 is a boundary too: converting is that op's job
const BOUNDARY = new Set(['QUANTIZE', 'DEQUANTIZE', 'CAST']);

function floatTensorOf(graph: Graph, op: Op): Tensor | undefined {
  return [...op.inputs, ...op.outputs].map((i) => graph.tensors[i]).find((t): t is Tensor => t !== undefined && t.dtype === 'float32');
}

/**
 * Float ops tinyforge has no float32 kernel for: anything but QUANTIZE / DEQUANTIZE / CAST (the
 * conversions) that reads or writes float32 and whose op definition has no float kernel
 * (`OpDef.floatKernel`), in a float model or between a DEQUANTIZE and a QUANTIZE of an int8 one.
 */
export function rejectFloatOps(graph: Graph, source: string): void {
  const problems = graph.ops
    .filter((op) => !BOUNDARY.has(op.kind) && opDef(op.kind)?.floatKernel !== true)
    .map((op) => ({ op, t: floatTensorOf(graph, op) }))
    .filter((x): x is { op: Op; t: Tensor } => x.t !== undefined)
    .map(
      ({ op, t }) =>
        `${opLabel(op)} computes in float32 (${tensorLabel(t)}): tinyforge has no float32 kernel for ${op.kind} yet; quantize the model (full-integer quantization) or end it before this op`,
    );
  if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
}

/**
 * The largest tensor, arena or constant total tinyforge compiles: 64 MiB, past the RAM and flash of
 * any microcontroller (external PSRAM included), and small enough that the compiler's own evaluation
 * of the model (constant folding, the reference run) stays well inside Node's heap.
 */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/** The zero point range of each integer dtype TFLite quantizes (int64: what a double holds exactly). */
const ZERO_POINT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** Problems with one tensor's quantization parameters (none when it has none or is not an integer tensor). */
function quantizationProblems(t: Tensor): string[] {
  const q = t.quant;
  const range = ZERO_POINT_RANGE[t.dtype];
  if (!q || !range) return [];
  const problems: string[] = [];
  if (q.scale.length !== q.zeroPoint.length) problems.push(`${q.scale.length} scales but ${q.zeroPoint.length} zero points`);
  const badScale = q.scale.findIndex((s) => !(Number.isFinite(Math.fround(s)) && Math.fround(s) > 0));
  if (badScale >= 0) {
    const at = q.scale.length > 1 ? ` (channel ${badScale})` : '';
    problems.push(`scale ${q.scale[badScale]}${at}: a scale must be a finite number above 0`);
  }
  const badZero = q.zeroPoint.findIndex((z) => !Number.isInteger(z) || z < range[0] || z > range[1]);
  if (badZero >= 0) {
    const at = q.zeroPoint.length > 1 ? ` (channel ${badZero})` : '';
    problems.push(`zero point ${q.zeroPoint[badZero]}${at} is outside ${t.dtype}'s range [${range[0]}, ${range[1]}]`);
  }
  if (q.scale.length > 1) {
    const rank = t.shape.length;
    // converters give a per-channel bias (rank 1) the filter's quantized dimension, which TFLite ignores
    const channels = q.axis >= 0 && q.axis < rank ? t.shape[q.axis] : rank === 1 ? t.shape[0] : undefined;
    if (channels === undefined) problems.push(`quantized dimension ${q.axis} is outside its shape [${t.shape.join(',')}]`);
    else if (channels !== q.scale.length)
      problems.push(`${q.scale.length} per-channel scales for ${channels} channels (dimension ${q.axis} of [${t.shape.join(',')}])`);
  }
  return problems;
}

/** Where each weighted op keeps its output channels in its weights: [out, ...] or, for depthwise, [..., out]. */
const WEIGHTED_OPS: Record<string, 'first' | 'last'> = { FULLY_CONNECTED: 'first', CONV_2D: 'first', DEPTHWISE_CONV_2D: 'last' };

/**
 * int8 convolutions and fully connected layers accumulate in int32 (TFLite Micro's reference kernels
 * and ours): a bias past 2^30 so large that bias + sum |w| * 255 (the largest |x - zero point| of an
 * int8 input) leaves int32 overflows the accumulator, undefined behaviour in C and in TFLite Micro.
 * Real biases are orders of magnitude below; a bias near 2^31 is a corrupt model. (Very wide layers
 * can pass 2^31 in their worst case with any bias, as in TFLite Micro; they are not refused.)
 */
function accumulatorProblems(graph: Graph): string[] {
  const problems: string[] = [];
  const tensor = (i: number | undefined) => (i !== undefined && i >= 0 ? graph.tensors[i] : undefined);
  for (const op of graph.ops) {
    const layout = WEIGHTED_OPS[op.kind];
    if (layout) {
      const problem =
        biasOverflow(op, tensor(op.inputs[0]), tensor(op.inputs[1]), tensor(op.inputs[2]), layout) ??
        bias64OutOfRange(op, tensor(op.inputs[0]), tensor(op.inputs[1]), tensor(op.inputs[2]), layout);
      if (problem) problems.push(problem);
    } else if (op.kind === 'UNIDIRECTIONAL_SEQUENCE_LSTM') {
      // each gate's input FULLY_CONNECTED (weights 1-4, [units, inputs]) starts from its bias (12-15);
      // the recurrent ones have none (input fuzzer: seed 3007, case 14004, a bias bit flipped to -2^31)
      for (let gate = 0; gate < 4; gate++) {
        const problem = biasOverflow(op, tensor(op.inputs[0]), tensor(op.inputs[1 + gate]), tensor(op.inputs[12 + gate]), 'first');
        if (problem) {
          problems.push(problem);
          break;
        }
      }
    }
  }
  return problems;
}

/** The first channel whose bias overflows the int32 accumulator with its weights (see accumulatorProblems), said in one line. */
function biasOverflow(op: Op, x: Tensor | undefined, w: Tensor | undefined, b: Tensor | undefined, layout: 'first' | 'last'): string | undefined {
  if (x?.dtype !== 'int8' || w?.dtype !== 'int8' || !w.data || b?.dtype !== 'int32' || !b.data) return undefined;
  const channels = layout === 'first' ? w.shape[0]! : w.shape[w.shape.length - 1]!;
  if (!(channels > 0) || b.data.length < channels * 4 || w.data.length === 0) return undefined;
  const sums = channelAbsSums(new Int8Array(w.data.buffer, w.data.byteOffset, w.data.length), channels, layout);
  const bias = new DataView(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let c = 0; c < channels; c++) {
    const value = bias.getInt32(4 * c, true);
    // a wide layer's worst case (sum |w| x 255) may pass 2^31 with any bias: only a bias past 2^30 is the model's fault
    if (Math.abs(value) > 2 ** 30 && Math.abs(value) + sums[c]! * 255 > 2 ** 31 - 1)
      return `${opLabel(op)}: bias ${value} of channel ${c} (${tensorLabel(b)}) overflows the int32 accumulator with the channel's weights (sum |w| = ${sums[c]}, times up to 255)`;
  }
  return undefined;
}

/** Each output channel's sum of |w|, the channel being the first or the last axis of the weights. */
function channelAbsSums(weights: Int8Array | Int16Array, channels: number, layout: 'first' | 'last'): Float64Array {
  const sums = new Float64Array(channels);
  const per = weights.length / channels;
  for (let k = 0; k < weights.length; k++) sums[layout === 'first' ? Math.floor(k / per) : k % channels]! += Math.abs(weights[k]!);
  return sums;
}

/** The largest |accumulator| TFLite Micro's 64-bit requantization takes (MultiplyByQuantizedMultiplier(int64_t): -2^47 <= x < 2^47). */
const ACC64_LIMIT = 2n ** 47n;

/**
 * 16x8 layers accumulate in int64 from an int64 bias, and TFLite Micro's requantization of that
 * accumulator requires -2^47 <= bias + sum w x < 2^47 (an assertion in its debug builds; past it the
 * 64-bit product in fixedpoint64.h overflows). A bias whose channel can leave that range with its
 * weights and int16 inputs (|x| <= 32768) is refused, as TFLite Micro refuses it; so is a layer
 * without a bias whose sum alone can reach it (an int32 bias takes the 32-bit requantization).
 */
function bias64OutOfRange(op: Op, x: Tensor | undefined, w: Tensor | undefined, b: Tensor | undefined, layout: 'first' | 'last'): string | undefined {
  if (x?.dtype !== 'int16' || !w?.data || (w.dtype !== 'int8' && w.dtype !== 'int16')) return undefined;
  // an int32 bias takes the 32-bit requantization; no bias, the 64-bit one from 0
  if (b && (b.dtype !== 'int64' || !b.data)) return undefined;
  const channels = layout === 'first' ? w.shape[0]! : w.shape[w.shape.length - 1]!;
  if (!(channels > 0) || (b && b.data!.length < channels * 8) || w.data.length === 0) return undefined;
  const sums = channelAbsSums(fromBytes(w.dtype, w.data) as Int8Array | Int16Array, channels, layout);
  const bias = b && new DataView(b.data!.buffer, b.data!.byteOffset, b.data!.length);
  for (let c = 0; c < channels; c++) {
    const value = bias ? bias.getBigInt64(8 * c, true) : 0n;
    const reach = BigInt(sums[c]!) * 32768n;
    if (value + reach >= ACC64_LIMIT || value - reach < -ACC64_LIMIT)
      return `${opLabel(op)}: ${b ? `int64 bias ${value} of channel ${c} (${tensorLabel(b)}) takes the accumulator` : `channel ${c}'s accumulator reaches`} past TFLite Micro's range of +-2^47 with the channel's weights (sum |w| = ${sums[c]}, times up to 32768)`;
  }
  return undefined;
}

/** Problems with one tensor's shape: dimensions that are not whole numbers, zero-size (non-constant) tensors, sizes past MAX_MODEL_BYTES. */
function shapeProblems(t: Tensor): string[] {
  // negative (dynamic) sizes are rejectDynamicShapes' to explain
  if (t.shape.some((d) => d < 0)) return [];
  const bad = t.shape.find((d) => !Number.isSafeInteger(d));
  if (bad !== undefined) return [`dimension ${bad} in shape [${t.shape.join(',')}] is not a whole size`];
  // a zero-element constant (an empty shape or axis list) may feed shape arithmetic the passes remove
  if (t.shape.includes(0) && !isConstant(t)) return [`shape [${t.shape.join(',')}] holds no element: tinyforge compiles tensors of one element or more`];
  const bytes = byteSize(t);
  if (bytes > MAX_MODEL_BYTES)
    return [`${t.dtype}[${t.shape.join(',')}] is ${mib(bytes)}, more than any microcontroller holds (tinyforge's limit is ${mib(MAX_MODEL_BYTES)} a tensor)`];
  return [];
}

/** The tensors the model uses: read or written by an op, or a model input or output. */
function usedTensors(graph: Graph): Tensor[] {
  const used = new Set<number>([...graph.inputs, ...graph.outputs]);
  for (const op of graph.ops) for (const i of [...op.inputs, ...op.outputs]) if (i >= 0) used.add(i);
  return [...used].sort((a, b) => a - b).flatMap((i) => graph.tensors[i] ?? []);
}

/**
 * What every later stage relies on, checked once on the imported graph before any pass evaluates
 * it: a model with ops and outputs, every index in range, every output written by an op (or fed
 * in), shapes of whole sizes within MAX_MODEL_BYTES, no zero-size activations, and quantization
 * parameters the fixed-point arithmetic can use (finite scales above 0, zero points in their
 * dtype's range, one scale per channel). Every problem is listed, each naming its tensor.
 */
export function validateGraph(graph: Graph, source: string): void {
  const fail = (problems: string[]) => {
    if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
  };
  if (graph.ops.length === 0) fail(['the model has no ops: nothing to compile']);
  if (graph.outputs.length === 0) fail(['the model has no outputs: nothing to compute']);
  // the device protocol and the harnesses exchange inputs per inference: a model computes from at least one
  if (graph.inputs.length === 0) fail(['the model has no inputs: tinyforge runs models that compute from at least one input']);
  const problems: string[] = [];
  const inRange = (i: number) => Number.isInteger(i) && i >= 0 && i < graph.tensors.length;
  for (const [role, list] of [
    ['input', graph.inputs],
    ['output', graph.outputs],
  ] as const) {
    for (const i of list) if (!inRange(i)) problems.push(`model ${role} ${i} is not a tensor (${graph.tensors.length} tensors)`);
  }
  for (const op of graph.ops) {
    for (const i of op.inputs) if (i !== -1 && !inRange(i)) problems.push(`${opLabel(op)}: input ${i} is not a tensor`);
    for (const o of op.outputs) if (!inRange(o)) problems.push(`${opLabel(op)}: output ${o} is not a tensor`);
  }
  fail(problems);

  // each tensor has one writer, no op reads what it writes (its kernel would read half-written data),
  // and what an op writes is no constant
  const writers = new Map<number, Op[]>();
  for (const op of graph.ops) {
    for (const o of op.outputs) {
      writers.set(o, [...(writers.get(o) ?? []), op]);
      const t = graph.tensors[o]!;
      if (isConstant(t)) problems.push(`${opLabel(op)} writes ${tensorLabel(t)}, which holds constant data in the model (a constant lives in flash)`);
    }
    const own = op.inputs.find((i) => i >= 0 && op.outputs.includes(i));
    if (own !== undefined) problems.push(`${opLabel(op)} reads ${tensorLabel(graph.tensors[own]!)}, which it writes itself`);
  }
  for (const [o, ops] of writers)
    if (ops.length > 1) problems.push(`${tensorLabel(graph.tensors[o]!)} is written by ${ops.length} ops: a tensor has one writer`);
  // an input is filled by the caller before every inference: no op may write it, and it is no constant
  for (const i of graph.inputs) {
    const t = graph.tensors[i]!;
    if (isConstant(t)) problems.push(`model input ${tensorLabel(t)} is a constant (its data is in the model): an input is what the caller fills`);
    else if (writers.has(i))
      problems.push(`model input ${tensorLabel(t)} is also written by ${opLabel(writers.get(i)![0]!)}: an input is what the caller fills`);
  }
  for (const o of graph.outputs) {
    const t = graph.tensors[o]!;
    if (!writers.has(o) && !graph.inputs.includes(o) && !isConstant(t)) problems.push(`model output ${tensorLabel(t)} is written by no op`);
  }
  // ops run in the file's order, and each reads only what is there when it runs: a constant, a model
  // input, a variable (state kept across inferences), or what an earlier op wrote. Anything else
  // would be read from whatever the arena holds at that moment (TFLite Micro reads that too), so
  // no output could be trusted. (Found by the input fuzzer: seed 3006, case 1250.)
  const written = new Set<number>(graph.inputs);
  for (const op of graph.ops) {
    op.inputs.forEach((i, k) => {
      if (i < 0 || written.has(i) || op.outputs.includes(i)) return; // own outputs: reported above
      const t = graph.tensors[i]!;
      if (isConstant(t) || t.isVariable) return;
      const writer = writers.get(i)?.[0];
      problems.push(
        writer
          ? `input ${k} of ${opLabel(op)} is ${tensorLabel(t)}, which ${opLabel(writer)} writes only later: an op reads what earlier ops, constants and the model's inputs provide`
          : `input ${k} of ${opLabel(op)} is ${tensorLabel(t)}, which no op, constant or model input provides`,
      );
    });
    for (const o of op.outputs) written.add(o);
  }
  // where each tensor is used, so a problem names the op as well as the tensor
  const use = new Map<number, string>();
  for (const op of graph.ops) {
    op.outputs.forEach((o, k) => use.has(o) || use.set(o, `output ${k} of ${opLabel(op)}`));
    op.inputs.forEach((i, k) => i < 0 || use.has(i) || use.set(i, `input ${k} of ${opLabel(op)}`));
  }
  problems.push(...accumulatorProblems(graph));
  for (const t of usedTensors(graph)) {
    const where = use.has(t.index) ? ` (${use.get(t.index)})` : '';
    // TFLite Micro keeps a variable in the arena and resets it to zero, whatever data the file gives
    // it; tinyforge would read the data from flash. (Input fuzzer: seed 3007, case 5194, one bit
    // that marked hello_world's weights variable.)
    if (t.isVariable && isConstant(t))
      problems.push(
        `${tensorLabel(t)}${where}: marked variable (state kept across inferences) and holding constant data: TFLite Micro would start it from zero, not from that data`,
      );
    for (const p of [...shapeProblems(t), ...quantizationProblems(t)]) problems.push(`${tensorLabel(t)}${where}: ${p}`);
  }
  fail(problems);
}

/**
 * After the passes: a model output still constant is one of no element (copyConstantOutputs gives
 * every other a copy from flash), which no op can write; refused, naming the tensor. A constant
 * that an op still reads must hold at least one element.
 */
export function rejectConstantOutputs(graph: Graph, source: string): void {
  const problems = graph.outputs
    .map((o) => graph.tensors[o]!)
    .filter((t) => isConstant(t))
    .map(
      (t) =>
        `model output ${tensorLabel(t)} is a constant (no op computes it from the inputs): tinyforge emits only computed outputs; drop it from the model's outputs`,
    );
  const read = new Set(graph.ops.flatMap((op) => op.inputs));
  for (const t of graph.tensors) {
    if (read.has(t.index) && isConstant(t) && elementCount(t.shape) === 0)
      problems.push(`${tensorLabel(t)}: constant of shape [${t.shape.join(',')}] holds no element`);
  }
  if (problems.length > 0) throw new TinyforgeError(`${source}: ${problems.join('; ')}`);
}

/**
 * The memory plan against MAX_MODEL_BYTES: tensors each within the limit can still add up to an
 * arena (or constant tables) no microcontroller holds. Checked on every plan compileGraph returns.
 */
export function rejectOversizedPlan(arenaBytes: number, constantBytes: number, source: string): void {
  const problems: string[] = [];
  if (arenaBytes > MAX_MODEL_BYTES) problems.push(`its arena needs ${mib(arenaBytes)}`);
  if (constantBytes > MAX_MODEL_BYTES) problems.push(`its constants take ${mib(constantBytes)}`);
  if (problems.length > 0)
    throw new TinyforgeError(`${source}: ${problems.join(' and ')}, more than any microcontroller holds (tinyforge's limit is ${mib(MAX_MODEL_BYTES)})`);
}
