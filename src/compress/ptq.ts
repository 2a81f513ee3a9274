// SPDX-License-Identifier: Apache-2.0
/**
 * int8 post-training quantization, as TFLite's converter does it (DESIGN.md §2):
 * - weights symmetric int8 in [-127, 127], zero point 0: per output channel for CONV_2D (axis 0 of
 *   OHWI) and DEPTHWISE_CONV_2D (axis 3 of [1,kh,kw,C*mult]); per tensor for FULLY_CONNECTED (the
 *   converter's default; per channel on request);
 * - biases int32 at scale s_in·s_w[c], zero point 0;
 * - activations asymmetric int8 from the calibration range (widened to contain 0);
 * - SOFTMAX output fixed at scale 1/256, zero point -128; pools and RESHAPE keep their input's
 *   parameters (their int8 kernels do not rescale).
 *
 * The pipeline is tfjs model -> float Graph (from_layers.ts) -> ranges (calibrate.ts) -> int8 Graph
 * (here); each step is exported so that other range estimators or training-aware methods can
 * replace one of them.
 */
import type * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, type Op, type Quantization, type Tensor, cIdentifier, elementCount } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { type CalibrationOptions, calibrateRanges } from './calibrate.ts';
import { checkFloatGraph } from './float_executor.ts';
import { floatOpDef } from './float_ops/index.ts';
import { layersModelToFloatGraph } from './from_layers.ts';
import { type ValueRange, activationQuant, dequantizeTensorValues, quantizeBias, quantizeTensorValues, quantizeWeights } from './quant_params.ts';

export interface PtqOptions extends CalibrationOptions {
  /** the graph's name (a C identifier, the prefix of generated symbols); default: the model's name */
  name?: string;
  /** FULLY_CONNECTED weights per output channel instead of per tensor (TFLite's default) */
  perChannelDense?: boolean;
}

/**
 * Quantizes a tfjs layers model to an int8 Graph. `calibrationInputs` are representative inputs,
 * one tensor per model input with samples along axis 0 (a few hundred are plenty).
 */
export function quantizeLayersModel(model: tf.LayersModel, calibrationInputs: tf.Tensor | tf.Tensor[], options: PtqOptions = {}): Graph {
  const floatGraph = layersModelToFloatGraph(model, options.name ?? cIdentifier(model.name));
  const ranges = calibrateRanges(floatGraph, [calibrationInputs].flat(), options);
  return quantizeGraph(floatGraph, ranges, options);
}

/** Where a constant sits in the op that reads it, which decides how it is quantized. */
type ConstantRole = { kind: 'weights'; op: Op; axis: number | undefined } | { kind: 'bias'; op: Op; weights: number };

/**
 * The int8 version of a float graph given every activation's calibrated range (by tensor index).
 * Tensor indices, names, shapes and op order are kept.
 */
export function quantizeGraph(floatGraph: Graph, ranges: ReadonlyMap<number, ValueRange>, options: PtqOptions = {}): Graph {
  checkFloatGraph(floatGraph);
  const name = options.name ?? floatGraph.name;
  const fail = (detail: string) => new TinyforgeError(`${name}: ${detail}`);
  const roles = constantRoles(floatGraph, options, fail);
  const tensors: Tensor[] = floatGraph.tensors.map((t) => ({ index: t.index, name: t.name, shape: [...t.shape], dtype: t.dtype }));

  const fromRange = (index: number): Quantization => {
    const range = ranges.get(index);
    if (!range) throw fail(`tensor ${index} "${floatGraph.tensors[index]!.name}" has no calibration range`);
    return activationQuant(range);
  };
  const setActivation = (index: number, quant: Quantization) => {
    tensors[index]!.dtype = 'int8';
    tensors[index]!.quant = { scale: [...quant.scale], zeroPoint: [...quant.zeroPoint], axis: 0 };
  };

  for (const index of floatGraph.inputs) setActivation(index, fromRange(index));
  for (const op of floatGraph.ops) {
    const rule = floatOpDef(op.kind)!.outputQuant;
    for (const out of op.outputs) {
      switch (rule.kind) {
        case 'fixed':
          setActivation(out, rule.quant);
          break;
        case 'input':
          setActivation(out, tensors[op.inputs[rule.input]!]!.quant!);
          break;
        case 'range':
          setActivation(out, fromRange(out));
          break;
      }
    }
  }

  // weights first: a bias's scale needs its op's weight scales
  const ordered = [...roles].sort(([, a], [, b]) => (a.kind === b.kind ? 0 : a.kind === 'weights' ? -1 : 1));
  for (const [index, role] of ordered) {
    const source = floatGraph.tensors[index]!;
    const values = fromBytes('float32', source.data!) as Float32Array;
    const target = tensors[index]!;
    if (role.kind === 'weights') {
      const q = quantizeWeights(values, source.shape, role.axis);
      Object.assign(target, { dtype: 'int8', quant: q.quant, data: bytesOf(q.values) });
    } else {
      const inputScale = tensors[role.op.inputs[0]!]!.quant!.scale[0]!;
      const q = quantizeBias(values, inputScale, tensors[role.weights]!.quant!.scale);
      Object.assign(target, { dtype: 'int32', quant: q.quant, data: bytesOf(q.values) });
    }
  }
  for (const t of floatGraph.tensors) {
    if (t.data && !roles.has(t.index)) {
      if (t.dtype === 'float32') {
        // a float operand of an elementwise op (a constant to ADD or MUL): int8 over its own range
        const values = fromBytes('float32', t.data) as Float32Array;
        const quant = activationQuant({ min: values.reduce((a, v) => Math.min(a, v), 0), max: values.reduce((a, v) => Math.max(a, v), 0) });
        Object.assign(tensors[t.index]!, { dtype: 'int8', quant, data: bytesOf(quantizeTensorValues(values, quant)) });
      } else {
        tensors[t.index]!.data = new Uint8Array(t.data);
      }
    }
  }

  return {
    name,
    tensors,
    ops: floatGraph.ops.map((op) => ({ ...op, inputs: [...op.inputs], outputs: [...op.outputs], attrs: { ...op.attrs } })),
    inputs: [...floatGraph.inputs],
    outputs: [...floatGraph.outputs],
    description: 'int8 post-training quantization by tinyforge',
  };
}

/** Which constants are weights (with their quantized axis) and which are biases. */
function constantRoles(graph: Graph, options: PtqOptions, fail: (detail: string) => TinyforgeError): Map<number, ConstantRole> {
  const roles = new Map<number, ConstantRole>();
  const claim = (index: number | undefined, role: ConstantRole) => {
    if (index === undefined || index < 0) return;
    const t = graph.tensors[index]!;
    if (!t.data || t.dtype !== 'float32')
      throw fail(`op ${role.op.index} (${role.op.kind}): ${role.kind} tensor ${index} "${t.name}" is not a float32 constant`);
    if (roles.has(index)) throw fail(`constant tensor ${index} "${t.name}" is read by two ops; each needs its own quantization`);
    roles.set(index, role);
  };
  for (const op of graph.ops) {
    const role = floatOpDef(op.kind)?.weights?.(op, options);
    if (!role) continue;
    const weights = op.inputs[role.input]!;
    claim(weights, { kind: 'weights', op, axis: role.axis });
    const bias = role.bias === undefined ? undefined : op.inputs[role.bias];
    if (bias !== undefined && bias >= 0) {
      const channels = graph.tensors[weights]!.shape[role.axis ?? 0]!;
      if (elementCount(graph.tensors[bias]!.shape) !== channels) {
        throw fail(`op ${op.index} (${op.kind}): bias tensor ${bias} has ${elementCount(graph.tensors[bias]!.shape)} values for ${channels} output channels`);
      }
      claim(bias, { kind: 'bias', op, weights });
    }
  }
  return roles;
}

function bytesOf(values: Int8Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Float input values as the raw int8 bytes graph input `input` expects. */
export function quantizeInput(graph: Graph, values: ArrayLike<number>, input = 0): Uint8Array {
  const t = graph.tensors[graph.inputs[input]!]!;
  if (t.dtype !== 'int8' || !t.quant) throw new TinyforgeError(`${graph.name}: input ${input} ("${t.name}") is not an int8 tensor`);
  if (values.length !== elementCount(t.shape)) {
    throw new TinyforgeError(`${graph.name}: input ${input} ("${t.name}") takes ${elementCount(t.shape)} values, got ${values.length}`);
  }
  return bytesOf(quantizeTensorValues(values, t.quant));
}

/** The real values of graph output `output` from its raw int8 bytes. */
export function dequantizeOutput(graph: Graph, bytes: Uint8Array, output = 0): Float32Array {
  const t = graph.tensors[graph.outputs[output]!]!;
  if (t.dtype !== 'int8' || !t.quant) throw new TinyforgeError(`${graph.name}: output ${output} ("${t.name}") is not an int8 tensor`);
  return dequantizeTensorValues(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), t.quant);
}
