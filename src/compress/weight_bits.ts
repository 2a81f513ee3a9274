// SPDX-License-Identifier: Apache-2.0
/**
 * Per-layer weight compression of an int8 Graph: fewer weight bits and magnitude pruning, one layer
 * at a time, the result still a valid int8 TFLite model.
 *
 * b-bit weights are per output channel, symmetric: values in [-(2^(b-1)-1), 2^(b-1)-1] (b = 2..8),
 * each channel's scale widened by its step (s' = s·max|q|/(2^(b-1)-1)), and the int32 bias
 * re-quantized to s_in·s' so that the accumulator's scale stays what TFLite expects. Values stay
 * one int8 byte each in the IR: the compiler chooses the storage (int4
 * packed for b ≤ 4, palette, sparse) from the values. By default a per-tensor FULLY_CONNECTED becomes
 * per channel when its bits drop: one scale for all rows wastes most of 4 bits on the rows with small
 * weights. `perTensor` keeps one scale for the whole layer instead (TFLite's converter default for
 * FULLY_CONNECTED): the compiler then bakes one requantization multiplier and shift into the kernel as
 * literals, where per channel needs an int32 multiplier and a shift per output row in flash (8 bytes
 * a row, 5 with the shifts stored as int8) — on small, heavily compressed models that table outweighs
 * the precision per-channel scales buy.
 *
 * When the float model the int8 one was quantized from is at hand (PTQ keeps tensor indices), the
 * b-bit values come from the float weights directly: one rounding instead of two.
 */
import { TinyforgeError } from '../core/errors.ts';
import { type Graph, type Tensor, elementCount } from '../core/ir/graph.ts';
import { fromBytes } from '../core/ir/buffers.ts';
import { INT32_MAX, INT32_MIN, clamp, f32, roundHalfAway } from '../core/ops/common/fixedpoint.ts';
import { magnitudeMask } from './prune.ts';
import { type WeightedLayer, weightedLayers } from './trainable.ts';

/** What one layer's weights become: b-bit values (8: unchanged) and a share pruned to zero. */
export interface LayerCompression {
  bits: number;
  sparsity: number;
  /** one scale for the whole layer instead of one per output channel (the module comment says when it pays) */
  perTensor?: boolean;
  /**
   * how a scale is chosen: `max` (default) so that the largest magnitude is the top level; `mse` the
   * scale, from 0.4 to 1 times that, with the least squared error over the nonzero weights (bestClipScale)
   */
  clip?: WeightClip;
}

/** How a b-bit scale is chosen (LayerCompression's `clip`). */
export type WeightClip = 'max' | 'mse';

export const DENSE_INT8: Readonly<LayerCompression> = { bits: 8, sparsity: 0 };

/** The largest magnitude of symmetric b-bit weights. */
export function weightMax(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** The weighted layers (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED with constant weights) of an int8 graph. */
export function int8WeightedLayers(graph: Graph): WeightedLayer[] {
  return weightedLayers(graph).filter((l) => graph.tensors[l.weights]!.dtype === 'int8');
}

/** `graph` with layer `opIndex`'s weights reduced to `bits` bits (per channel, symmetric). */
export function reduceWeightBits(graph: Graph, opIndex: number, bits: number, options: { float?: Graph } = {}): Graph {
  return compressLayers(graph, new Map([[opIndex, { bits, sparsity: 0 }]]), options);
}

/** `graph` with layer `opIndex`'s smallest-magnitude weights (a `sparsity` share) set to 0. */
export function pruneLayer(graph: Graph, opIndex: number, sparsity: number, options: { float?: Graph } = {}): Graph {
  return compressLayers(graph, new Map([[opIndex, { bits: 8, sparsity }]]), options);
}

/**
 * `graph` (int8) with each listed layer (by op index) pruned and reduced as given; other layers and
 * tensors are shared with `graph`, the changed tensors are new objects.
 */
export function compressLayers(graph: Graph, configs: ReadonlyMap<number, LayerCompression>, options: { float?: Graph } = {}): Graph {
  const layers = new Map(int8WeightedLayers(graph).map((l) => [l.op.index, l]));
  const tensors = [...graph.tensors];
  for (const [opIndex, config] of configs) {
    const layer = layers.get(opIndex);
    if (!layer) throw new TinyforgeError(`${graph.name}: op ${opIndex} is not a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED with int8 weights`);
    checkConfig(config);
    if (config.bits === 8 && config.sparsity === 0 && !config.perTensor) continue;
    const { weights, bias } = compressLayer(graph, layer, config, options.float);
    tensors[layer.weights] = weights;
    if (bias && layer.bias !== undefined) tensors[layer.bias] = bias;
  }
  return { ...graph, tensors };
}

function checkConfig(c: LayerCompression): void {
  if (!Number.isInteger(c.bits) || c.bits < 2 || c.bits > 8) throw new TinyforgeError(`weight bits ${c.bits}: expected an integer in 2..8`);
  if (!(c.sparsity >= 0 && c.sparsity < 1)) throw new TinyforgeError(`sparsity ${c.sparsity}: expected a number in [0, 1)`);
}

/** A layer's output channels, and the channel of each weight (by flat index) along its output axis. */
function outputChannels(layer: WeightedLayer, shape: readonly number[]): { channels: number; channelOf: (i: number) => number } {
  const channels = shape[layer.outputAxis]!;
  const inner = shape.slice(layer.outputAxis + 1).reduce((n, d) => n * d, 1);
  return { channels, channelOf: (i: number) => Math.floor(i / inner) % channels };
}

/** The real value of each int8 weight, and its output channel, as the layer's quantization says. */
function layerValues(graph: Graph, layer: WeightedLayer, float: Graph | undefined): { real: Float64Array; channelOf: (i: number) => number; channels: number } {
  const t = graph.tensors[layer.weights]!;
  const { channels, channelOf } = outputChannels(layer, t.shape);
  const n = elementCount(t.shape);
  const real = new Float64Array(n);
  const source = float?.tensors[layer.weights];
  if (source?.dtype === 'float32' && source.data && elementCount(source.shape) === n) {
    real.set(fromBytes('float32', source.data) as Float32Array);
  } else {
    const q = fromBytes('int8', t.data!) as Int8Array;
    const scales = t.quant!.scale;
    for (let i = 0; i < n; i++) real[i] = q[i]! * scales[scales.length === 1 ? 0 : channelOf(i)]!;
  }
  return { real, channelOf, channels };
}

function compressLayer(graph: Graph, layer: WeightedLayer, config: LayerCompression, float: Graph | undefined): { weights: Tensor; bias?: Tensor } {
  const t = graph.tensors[layer.weights]!;
  const oldScales = t.quant!.scale;
  const { real, channelOf, channels } = layerValues(graph, layer, float);
  const fromFloat = float?.tensors[layer.weights]?.dtype === 'float32';
  if (config.sparsity > 0) {
    const mask = magnitudeMask(real, config.sparsity);
    for (let i = 0; i < real.length; i++) real[i]! *= mask[i]!;
  }
  const oldScaleOf = (c: number) => oldScales[oldScales.length === 1 ? 0 : c]!;
  const qmax = weightMax(config.bits);
  // per tensor: the whole layer is one "channel" (scale index 0)
  const scaleIndex = config.perTensor ? () => 0 : channelOf;
  const maxAbs = new Array<number>(config.perTensor ? 1 : channels).fill(0);
  for (let i = 0; i < real.length; i++) maxAbs[scaleIndex(i)] = Math.max(maxAbs[scaleIndex(i)]!, Math.abs(real[i]!));
  // the nonzero weights under each scale, gathered in one pass for the clipped scales
  const nonzeroBy = config.clip === 'mse' ? maxAbs.map((): number[] => []) : [];
  if (config.clip === 'mse') for (let i = 0; i < real.length; i++) if (real[i] !== 0) nonzeroBy[scaleIndex(i)]!.push(real[i]!);
  const keptScaleFits = (m: number, c: number) =>
    config.perTensor ? oldScales.length === 1 && m / oldScales[0]! <= qmax + 1e-6 : m / oldScaleOf(c) <= qmax + 1e-6;
  // A channel keeps its scale when its values already fit (from int8: |q| <= qmax), or when it is
  // all zeros (any scale represents it; keeping the old one keeps the requantization multiplier).
  const scales = maxAbs.map((m, c) => {
    if (m === 0) return f32(oldScaleOf(c));
    if (!fromFloat && keptScaleFits(m, c)) return f32(config.perTensor ? oldScales[0]! : oldScaleOf(c));
    if (config.clip === 'mse') return f32(bestClipScale(nonzeroBy[c]!, m, qmax));
    return f32(m / qmax);
  });
  const q = new Int8Array(real.length);
  for (let i = 0; i < real.length; i++) {
    const s = scales[scaleIndex(i)]!;
    q[i] = clamp(roundHalfAway(real[i]! / s), -qmax, qmax);
  }
  const weights: Tensor = { ...t, data: new Uint8Array(q.buffer), quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: layer.outputAxis } };
  if (layer.bias === undefined) return { weights };
  const b = graph.tensors[layer.bias]!;
  if (b.dtype !== 'int32' || !b.quant) return { weights };
  const inputScale = f32(graph.tensors[layer.op.inputs[0]!]!.quant!.scale[0]!);
  const biasScales = scales.map((s) => f32(inputScale * s));
  const oldBias = fromBytes('int32', b.data!) as Int32Array;
  const floatBias = float?.tensors[layer.bias];
  const realBias =
    floatBias?.dtype === 'float32' && floatBias.data
      ? Float64Array.from(fromBytes('float32', floatBias.data) as Float32Array)
      : Float64Array.from(oldBias, (v, c) => v * b.quant!.scale[b.quant!.scale.length === 1 ? 0 : c]!);
  const bias = new Int32Array(oldBias.length);
  for (let c = 0; c < bias.length; c++) bias[c] = clamp(roundHalfAway(realBias[c]! / biasScales[config.perTensor ? 0 : c]!), INT32_MIN, INT32_MAX);
  return {
    weights,
    bias: { ...b, data: new Uint8Array(bias.buffer), quant: { scale: biasScales, zeroPoint: biasScales.map(() => 0), axis: 0 } },
  };
}

/**
 * The scale from 0.4 to 1 times `maxAbs / qmax` (in 1% steps) whose b-bit rounding of `values` (the
 * nonzero weights under one scale) has the least squared error. At 3 to 5 bits the max-abs scale
 * spends the few levels on the rare largest weights and rounds many small ones kept by pruning to 0; a
 * clipped scale trades a little error on the largest for the rest (zeros stay exact either way).
 */
export function bestClipScale(values: readonly number[], maxAbs: number, qmax: number): number {
  let best = maxAbs / qmax;
  let bestError = Infinity;
  for (let step = 100; step >= 40; step--) {
    const s = ((step / 100) * maxAbs) / qmax;
    let error = 0;
    for (const v of values) {
      const d = v - s * clamp(roundHalfAway(v / s), -qmax, qmax);
      error += d * d;
    }
    if (error < bestError) {
      bestError = error;
      best = s;
    }
  }
  return best;
}

/** The distinct values per output channel of layer `opIndex`'s weights (at most 2^b - 1 after b bits). */
export function channelLevels(graph: Graph, opIndex: number): number[] {
  const layer = int8WeightedLayers(graph).find((l) => l.op.index === opIndex);
  if (!layer) throw new TinyforgeError(`${graph.name}: op ${opIndex} has no int8 weights`);
  const t = graph.tensors[layer.weights]!;
  const { channels, channelOf } = outputChannels(layer, t.shape);
  const q = fromBytes('int8', t.data!) as Int8Array;
  const sets = Array.from({ length: channels }, () => new Set<number>());
  q.forEach((v, i) => sets[channelOf(i)]!.add(v));
  return sets.map((s) => s.size);
}

/**
 * The float `graph` with every weighted layer's weights rounded to the `bits`-bit levels `compressLayers`
 * gives them (symmetric, max-abs scale: one per FULLY_CONNECTED layer when `perTensorDense`, else one
 * per output channel), still float: what a quantization-aware stage is judged on before the int8
 * conversion.
 */
export function roundFloatWeights(graph: Graph, bits: number, perTensorDense: boolean): Graph {
  checkConfig({ bits, sparsity: 0 });
  const qmax = weightMax(bits);
  const tensors = [...graph.tensors];
  for (const layer of weightedLayers(graph)) {
    const t = graph.tensors[layer.weights]!;
    if (t.dtype !== 'float32' || !t.data) continue;
    const values = Float32Array.from(fromBytes('float32', t.data) as Float32Array);
    const { channels, channelOf } = outputChannels(layer, t.shape);
    const perTensor = perTensorDense && layer.op.kind === 'FULLY_CONNECTED';
    const scaleIndex = perTensor ? () => 0 : channelOf;
    const maxAbs = new Float64Array(perTensor ? 1 : channels);
    values.forEach((v, i) => (maxAbs[scaleIndex(i)] = Math.max(maxAbs[scaleIndex(i)]!, Math.abs(v))));
    values.forEach((v, i) => {
      const s = maxAbs[scaleIndex(i)]! / qmax;
      values[i] = s === 0 ? 0 : s * clamp(roundHalfAway(v / s), -qmax, qmax);
    });
    tensors[layer.weights] = { ...t, data: new Uint8Array(values.buffer) };
  }
  return { ...graph, tensors };
}
