// SPDX-License-Identifier: Apache-2.0
/**
 * tfjs LayersModel -> float32 Graph in TFLite's layouts and op set: the first half of post-training
 * quantization (the converter's "float model"). Keeping the float model in our IR lets calibration,
 * quantization and any later compression step (percentile/MSE ranges, QAT, pruning) work on one
 * representation, whatever the model came from.
 *
 * Layouts: Conv2D kernels [kh,kw,in,out] become OHWI filters; depthwise kernels [kh,kw,in,mult]
 * become [1,kh,kw,in*mult] (the same memory order, channel ic*mult+m); Dense kernels [in,out] become
 * [out,in]. The batch dimension is fixed at 1. ReLU and ReLU6, inside a layer or as the next layer,
 * become the producing op's fused activation; TFLite has no other int8-friendly place for them.
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import {
  type Conv2DAttrs,
  type DType,
  type DepthwiseConv2DAttrs,
  type FullyConnectedAttrs,
  type FusedActivation,
  type Graph,
  type Op,
  type OpAttrs,
  type Padding,
  type Pool2DAttrs,
  type Tensor,
  cIdentifier,
  elementCount,
} from '../core/ir/graph.ts';

/** Ops that can apply a ReLU/ReLU6 clamp on their output (TFLite's fused_activation_function). */
const FUSES_ACTIVATION = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'AVERAGE_POOL_2D', 'MAX_POOL_2D']);

type Config = Record<string, unknown>;

/** What one layer's `activation` (or an activation layer) lowers to. */
type LoweredActivation = { fused: FusedActivation } | { softmax: true };

/**
 * Converts a tfjs layers model into a float32 Graph. Every layer must be one of Conv2D,
 * DepthwiseConv2D, Dense, AveragePooling2D, MaxPooling2D, GlobalAveragePooling2D, Add, Flatten,
 * Reshape, Activation / ReLU (relu, relu6, linear, softmax), Softmax, Dropout; anything else is a
 * TinyforgeError naming the layer.
 */
export function layersModelToFloatGraph(model: tf.LayersModel, name = cIdentifier(model.name)): Graph {
  return new FloatGraphBuilder(model, name).build();
}

class FloatGraphBuilder {
  private readonly tensors: Tensor[] = [];
  private readonly ops: Op[] = [];
  /** tfjs SymbolicTensor id -> our tensor index */
  private readonly tensorOf = new Map<number, number>();
  /** how many times each of our tensors is read (by later layers or as a model output) */
  private readonly uses = new Map<number, number>();
  /** how many times each SymbolicTensor is read, counted over the whole model up front */
  private readonly symbolicUses = new Map<number, number>();
  private readonly producer = new Map<number, Op>();

  constructor(
    private readonly model: tf.LayersModel,
    private readonly name: string,
  ) {}

  build(): Graph {
    const layers = this.model.layers;
    for (const layer of layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      for (const s of this.layerInputs(layer)) this.symbolicUses.set(s.id, (this.symbolicUses.get(s.id) ?? 0) + 1);
    }
    for (const s of this.model.outputs) this.symbolicUses.set(s.id, (this.symbolicUses.get(s.id) ?? 0) + 1);

    const inputs = this.model.inputs.map((s) => {
      if (s.shape.slice(1).some((d) => d === null)) {
        throw new TinyforgeError(`${this.name}: input "${s.name}" has shape [${s.shape.join(',')}]; all dimensions but the batch must be fixed`);
      }
      return this.addActivation(s, inputName(s));
    });
    for (const layer of layers) {
      if (layer.getClassName() !== 'InputLayer') this.lowerLayer(layer);
    }
    const outputs = this.model.outputs.map((s) => this.tensorOf.get(s.id)!);
    return {
      name: this.name,
      tensors: this.tensors,
      ops: this.ops,
      inputs,
      outputs,
      description: `float model of tfjs model "${this.model.name}" (tinyforge)`,
    };
  }

  private fail(layer: tf.layers.Layer, detail: string): TinyforgeError {
    return new TinyforgeError(`${this.name}: layer "${layer.name}" (${layer.getClassName()}): ${detail}`);
  }

  private layerInputs(layer: tf.layers.Layer): tf.SymbolicTensor[] {
    if (layer.inboundNodes.length !== 1) {
      throw this.fail(layer, `is called ${layer.inboundNodes.length} times; shared layers are not supported`);
    }
    return [layer.input].flat();
  }

  private addTensor(name: string, shape: number[], dtype: DType, data?: Uint8Array): number {
    const index = this.tensors.length;
    const t: Tensor = { index, name, shape, dtype };
    if (data) t.data = data;
    this.tensors.push(t);
    return index;
  }

  /** A float activation tensor standing for SymbolicTensor `s` (batch fixed at 1). */
  private addActivation(s: tf.SymbolicTensor, name: string, shape = batchOne(s.shape)): number {
    const index = this.addTensor(name, shape, 'float32');
    this.tensorOf.set(s.id, index);
    this.uses.set(index, this.symbolicUses.get(s.id) ?? 0);
    return index;
  }

  private addConstant(name: string, values: Float32Array | Int32Array, shape: number[]): number {
    const dtype: DType = values instanceof Float32Array ? 'float32' : 'int32';
    return this.addTensor(name, shape, dtype, new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
  }

  private addOp(kind: string, inputs: number[], outputs: number[], attrs: OpAttrs): Op {
    const op: Op = { index: this.ops.length, kind, inputs, outputs, attrs };
    this.ops.push(op);
    for (const o of outputs) this.producer.set(o, op);
    return op;
  }

  private inputTensors(layer: tf.layers.Layer): number[] {
    return this.layerInputs(layer).map((s) => {
      const t = this.tensorOf.get(s.id);
      if (t === undefined) throw this.fail(layer, `its input "${s.name}" comes from outside the model`);
      return t;
    });
  }

  private singleInput(layer: tf.layers.Layer): number {
    const inputs = this.inputTensors(layer);
    if (inputs.length !== 1) throw this.fail(layer, `expected 1 input, got ${inputs.length}`);
    return inputs[0]!;
  }

  private output(layer: tf.layers.Layer): tf.SymbolicTensor {
    return layer.output as tf.SymbolicTensor;
  }

  private lowerLayer(layer: tf.layers.Layer): void {
    const config = layer.getConfig() as Config;
    switch (layer.getClassName()) {
      case 'Conv2D':
        return this.conv2d(layer, config);
      case 'DepthwiseConv2D':
        return this.depthwise(layer, config);
      case 'Dense':
        return this.dense(layer, config);
      case 'AveragePooling2D':
        return this.pool(layer, config, 'AVERAGE_POOL_2D');
      case 'MaxPooling2D':
        return this.pool(layer, config, 'MAX_POOL_2D');
      case 'GlobalAveragePooling2D':
        return this.globalAveragePool(layer, config);
      case 'Add':
        return this.add(layer);
      case 'Flatten':
      case 'Reshape':
        return this.reshape(layer, this.singleInput(layer), this.output(layer), layer.name);
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        return this.identity(layer);
      case 'Activation':
        return this.activationLayer(layer, this.activationOf(layer, config.activation));
      case 'ReLU':
        return this.activationLayer(layer, this.reluLayer(layer, config));
      case 'Softmax':
        return this.activationLayer(layer, this.softmaxLayer(layer, config));
      default:
        throw this.fail(
          layer,
          'layer type is not supported by tinyforge int8 quantization ' +
            '(supported: Conv2D, DepthwiseConv2D, Dense, AveragePooling2D, MaxPooling2D, GlobalAveragePooling2D, Add, Flatten, Reshape, Activation, ReLU, Softmax, Dropout)',
        );
    }
  }

  private activationOf(layer: tf.layers.Layer, activation: unknown): LoweredActivation {
    switch (activation ?? 'linear') {
      case 'linear':
        return { fused: 'NONE' };
      case 'relu':
        return { fused: 'RELU' };
      case 'relu6':
        return { fused: 'RELU6' };
      case 'softmax':
        return { softmax: true };
      default:
        throw this.fail(layer, `activation "${String(activation)}" is not supported (supported: linear, relu, relu6, softmax)`);
    }
  }

  private reluLayer(layer: tf.layers.Layer, config: Config): LoweredActivation {
    const maxValue = config.maxValue;
    if (maxValue === undefined || maxValue === null) return { fused: 'RELU' };
    if (maxValue === 6) return { fused: 'RELU6' };
    throw this.fail(layer, `maxValue ${String(maxValue)} is not supported (only none or 6)`);
  }

  private softmaxLayer(layer: tf.layers.Layer, config: Config): LoweredActivation {
    const rank = this.output(layer).shape.length;
    const axis = (config.axis ?? -1) as number | number[];
    const axes = [axis].flat();
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) {
      throw this.fail(layer, `softmax over axis ${JSON.stringify(axis)} is not supported (only the last axis)`);
    }
    return { softmax: true };
  }

  private padding(layer: tf.layers.Layer, config: Config): Padding {
    const padding = config.padding ?? 'valid';
    if (padding === 'same') return 'SAME';
    if (padding === 'valid') return 'VALID';
    throw this.fail(layer, `padding "${String(padding)}" is not supported (only same and valid)`);
  }

  private requireChannelsLast(layer: tf.layers.Layer, config: Config): void {
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
      throw this.fail(layer, `data format ${String(config.dataFormat)} is not supported (only channelsLast)`);
    }
  }

  private weights(layer: tf.layers.Layer): { kernel: tf.Tensor; bias?: tf.Tensor } {
    const [kernel, bias] = layer.getWeights();
    if (!kernel) throw this.fail(layer, 'has no weights (was the model built?)');
    return bias ? { kernel, bias } : { kernel };
  }

  /** The layer's bias, or zeros: TFLite int8 kernels always get a bias, as the converter gives them. */
  private biasValues(bias: tf.Tensor | undefined, channels: number): Float32Array {
    return bias ? Float32Array.from(bias.dataSync()) : new Float32Array(channels);
  }

  private conv2d(layer: tf.layers.Layer, config: Config): void {
    this.requireChannelsLast(layer, config);
    const input = this.singleInput(layer);
    const { kernel, bias } = this.weights(layer);
    const [kh, kw, inC, outC] = kernel.shape as [number, number, number, number];
    const filter = tf.tidy(() => tf.transpose(kernel, [3, 0, 1, 2]).dataSync() as Float32Array);
    const [strideH, strideW] = pair(config.strides, 1);
    const [dilationH, dilationW] = pair(config.dilationRate, 1);
    const attrs: Conv2DAttrs = { padding: this.padding(layer, config), strideH, strideW, dilationH, dilationW, activation: 'NONE' };
    this.weightedOp(layer, config, 'CONV_2D', attrs as unknown as OpAttrs, [
      input,
      this.addConstant(`${layer.name}/kernel`, filter, [outC, kh, kw, inC]),
      this.addConstant(`${layer.name}/bias`, this.biasValues(bias, outC), [outC]),
    ]);
  }

  private depthwise(layer: tf.layers.Layer, config: Config): void {
    this.requireChannelsLast(layer, config);
    const input = this.singleInput(layer);
    const { kernel, bias } = this.weights(layer);
    const [kh, kw, inC, mult] = kernel.shape as [number, number, number, number];
    const [strideH, strideW] = pair(config.strides, 1);
    const [dilationH, dilationW] = pair(config.dilationRate, 1);
    const attrs: DepthwiseConv2DAttrs = {
      padding: this.padding(layer, config),
      strideH,
      strideW,
      dilationH,
      dilationW,
      activation: 'NONE',
      depthMultiplier: mult,
    };
    this.weightedOp(layer, config, 'DEPTHWISE_CONV_2D', attrs as unknown as OpAttrs, [
      input,
      this.addConstant(`${layer.name}/depthwise_kernel`, Float32Array.from(kernel.dataSync()), [1, kh, kw, inC * mult]),
      this.addConstant(`${layer.name}/bias`, this.biasValues(bias, inC * mult), [inC * mult]),
    ]);
  }

  private dense(layer: tf.layers.Layer, config: Config): void {
    const input = this.singleInput(layer);
    const inShape = this.tensors[input]!.shape;
    if (inShape.length !== 2) {
      throw this.fail(layer, `input has shape [${inShape.join(',')}]; Dense needs a rank-2 input here (add a Flatten before it)`);
    }
    const { kernel, bias } = this.weights(layer);
    const [inN, outN] = kernel.shape as [number, number];
    const weights = tf.tidy(() => tf.transpose(kernel).dataSync() as Float32Array);
    const attrs: FullyConnectedAttrs = { activation: 'NONE', keepNumDims: false };
    this.weightedOp(layer, config, 'FULLY_CONNECTED', attrs as unknown as OpAttrs, [
      input,
      this.addConstant(`${layer.name}/kernel`, weights, [outN, inN]),
      this.addConstant(`${layer.name}/bias`, this.biasValues(bias, outN), [outN]),
    ]);
  }

  /** A conv/depthwise/dense op with the layer's own activation fused, or followed by SOFTMAX. */
  private weightedOp(layer: tf.layers.Layer, config: Config, kind: string, attrs: OpAttrs, inputs: number[]): void {
    const activation = this.activationOf(layer, config.activation);
    const out = this.output(layer);
    if ('fused' in activation) {
      this.addOp(kind, inputs, [this.addActivation(out, layer.name)], { ...attrs, activation: activation.fused });
      return;
    }
    const logits = this.addTensor(`${layer.name}/logits`, batchOne(out.shape), 'float32');
    this.uses.set(logits, 1);
    this.addOp(kind, inputs, [logits], attrs);
    this.addOp('SOFTMAX', [logits], [this.addActivation(out, layer.name)], { beta: 1 });
  }

  private pool(layer: tf.layers.Layer, config: Config, kind: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): void {
    this.requireChannelsLast(layer, config);
    const input = this.singleInput(layer);
    const [filterH, filterW] = pair(config.poolSize, 2);
    const [strideH, strideW] = pair(config.strides ?? config.poolSize, 2);
    const attrs: Pool2DAttrs = { padding: this.padding(layer, config), strideH, strideW, filterH, filterW, activation: 'NONE' };
    this.addOp(kind, [input], [this.addActivation(this.output(layer), layer.name)], attrs as unknown as OpAttrs);
  }

  /** The converter emits MEAN; tinyforge's op set says the same with a full-window average pool. */
  private globalAveragePool(layer: tf.layers.Layer, config: Config): void {
    this.requireChannelsLast(layer, config);
    const input = this.singleInput(layer);
    const [n, h, w, c] = this.tensors[input]!.shape as [number, number, number, number];
    const pooled = this.addTensor(`${layer.name}/pool`, [n, 1, 1, c], 'float32');
    this.uses.set(pooled, 1);
    const attrs: Pool2DAttrs = { padding: 'VALID', strideH: 1, strideW: 1, filterH: h, filterW: w, activation: 'NONE' };
    this.addOp('AVERAGE_POOL_2D', [input], [pooled], attrs as unknown as OpAttrs);
    this.reshape(layer, pooled, this.output(layer), layer.name);
  }

  private reshape(layer: tf.layers.Layer, input: number, out: tf.SymbolicTensor, name: string): void {
    const count = elementCount(this.tensors[input]!.shape);
    const shape = batchOne(out.shape);
    const unknown = shape.findIndex((d) => d < 0);
    if (unknown >= 0) shape[unknown] = count / elementCount(shape.filter((d) => d >= 0));
    if (elementCount(shape) !== count) throw this.fail(layer, `cannot reshape ${count} elements to [${shape.join(',')}]`);
    const shapeTensor = this.addConstant(`${name}/shape`, Int32Array.from(shape), [shape.length]);
    this.addOp('RESHAPE', [input, shapeTensor], [this.addActivation(out, name, shape)], { newShape: [...shape] });
  }

  private add(layer: tf.layers.Layer): void {
    const inputs = this.inputTensors(layer);
    if (inputs.length !== 2) throw this.fail(layer, `adds ${inputs.length} tensors; only 2 are supported`);
    const [a, b] = inputs.map((i) => this.tensors[i]!.shape);
    if (a!.join(',') !== b!.join(',')) throw this.fail(layer, `inputs have shapes [${a}] and [${b}]; broadcasting is not supported`);
    this.addOp('ADD', inputs, [this.addActivation(this.output(layer), layer.name)], { activation: 'NONE' });
  }

  /** The layer passes its input through at inference: its output is the same tensor. */
  private identity(layer: tf.layers.Layer, input = this.singleInput(layer)): void {
    const out = this.output(layer);
    this.tensorOf.set(out.id, input);
    // the identity consumed one read of `input` and hands on its own readers
    this.uses.set(input, this.uses.get(input)! - 1 + (this.symbolicUses.get(out.id) ?? 0));
  }

  private activationLayer(layer: tf.layers.Layer, activation: LoweredActivation): void {
    const input = this.singleInput(layer);
    if ('softmax' in activation) {
      this.addOp('SOFTMAX', [input], [this.addActivation(this.output(layer), layer.name)], { beta: 1 });
      return;
    }
    if (activation.fused === 'NONE') return this.identity(layer, input);
    const producer = this.producer.get(input);
    if (!producer || !FUSES_ACTIVATION.has(producer.kind)) {
      const from = producer ? `a ${producer.kind} op` : 'a model input';
      throw this.fail(layer, `${activation.fused} after ${from} cannot be fused, and tinyforge has no standalone ${activation.fused} op`);
    }
    if (this.uses.get(input) !== 1) {
      throw this.fail(layer, `${activation.fused} cannot be fused into op ${producer.index} (${producer.kind}): its input is also read elsewhere`);
    }
    producer.attrs.activation = combineClamps(producer.attrs.activation as FusedActivation, activation.fused);
    this.identity(layer, input);
  }
}

/** Two clamps in a row as one: relu∘relu = relu, relu6 with relu in either order = relu6. */
function combineClamps(first: FusedActivation, second: FusedActivation): FusedActivation {
  if (first === 'NONE') return second;
  if (first === 'RELU6' || second === 'RELU6') return 'RELU6';
  return 'RELU';
}

function batchOne(shape: (number | null)[]): number[] {
  return shape.map((d, i) => (i === 0 ? 1 : d === null ? -1 : d));
}

function inputName(s: tf.SymbolicTensor): string {
  return s.sourceLayer?.name ?? s.name;
}

/** A Keras size/stride argument: a number or a pair. */
function pair(value: unknown, fallback: number): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0]!, value[1]!];
  return [fallback, fallback];
}
