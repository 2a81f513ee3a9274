/**
 * Runs a float32 Graph (as `layersModelToFloatGraph` makes it) with tfjs ops, a whole batch at once:
 * what calibration observes, and the float reference a quantized model is compared with. Weights
 * are read in TFLite's layouts and turned back into tfjs's (OHWI -> HWIO, [1,kh,kw,C*m] ->
 * [kh,kw,C,m], [out,in] used transposed).
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../errors.ts';
import type { Conv2DAttrs, DepthwiseConv2DAttrs, FusedActivation, Graph, Op, Pool2DAttrs, SoftmaxAttrs, Tensor } from '../ir/graph.ts';
import { fromBytes } from '../ir/buffers.ts';

export const FLOAT_OPS = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'ADD', 'RESHAPE', 'SOFTMAX'] as const;

/**
 * Evaluates the graph on `inputs` (one tensor per graph input, batch on axis 0) and calls `visit`
 * with every activation tensor's value, the inputs included, in execution order. Returns the
 * outputs; intermediate values are disposed (keep what `visit` needs by reducing it there).
 */
export function runFloatGraph(graph: Graph, inputs: tf.Tensor[], visit?: (tensorIndex: number, value: tf.Tensor) => void): tf.Tensor[] {
  checkFloatGraph(graph);
  if (inputs.length !== graph.inputs.length) {
    throw new TinyforgeError(`${graph.name}: expected ${graph.inputs.length} input tensor(s), got ${inputs.length}`);
  }
  return tf.tidy(() => {
    const values = new Map<number, tf.Tensor>();
    graph.inputs.forEach((index, i) => {
      const t = graph.tensors[index]!;
      const x = inputs[i]!;
      if (x.shape.slice(1).join(',') !== t.shape.slice(1).join(',')) {
        throw new TinyforgeError(`${graph.name}: input ${i} ("${t.name}") has shape [${x.shape}]; expected [N,${t.shape.slice(1)}]`);
      }
      values.set(index, x);
      visit?.(index, x);
    });
    const get = (index: number): tf.Tensor => {
      const v = values.get(index);
      if (v) return v;
      const t = graph.tensors[index]!;
      if (!t.data) throw new TinyforgeError(`${graph.name}: tensor ${index} "${t.name}" is read before it is computed`);
      const c = constant(t);
      values.set(index, c);
      return c;
    };
    for (const op of graph.ops) {
      const out = evaluate(graph, op, get);
      values.set(op.outputs[0]!, out);
      visit?.(op.outputs[0]!, out);
    }
    return graph.outputs.map((o) => get(o));
  });
}

/** Throws unless the graph is float32 throughout and uses only ops this executor knows. */
export function checkFloatGraph(graph: Graph): void {
  for (const op of graph.ops) {
    if (!(FLOAT_OPS as readonly string[]).includes(op.kind)) {
      throw new TinyforgeError(`${graph.name}: op ${op.index} (${op.kind}) is not supported for float evaluation (supported: ${FLOAT_OPS.join(', ')})`);
    }
    for (const i of [op.inputs[0]!, ...op.outputs]) {
      const t = graph.tensors[i]!;
      if (t.dtype !== 'float32') throw new TinyforgeError(`${graph.name}: op ${op.index} (${op.kind}): tensor ${i} "${t.name}" is ${t.dtype}; expected a float32 model`);
    }
  }
}

function constant(t: Tensor): tf.Tensor {
  const values = fromBytes(t.dtype, t.data!);
  if (values instanceof Float32Array || values instanceof Int32Array) return tf.tensor(values, t.shape, t.dtype === 'int32' ? 'int32' : 'float32');
  throw new Error(`constant tensor ${t.index} "${t.name}" of dtype ${t.dtype} has no float evaluation`);
}

function evaluate(graph: Graph, op: Op, get: (index: number) => tf.Tensor): tf.Tensor {
  const x = get(op.inputs[0]!);
  const outShape = graph.tensors[op.outputs[0]!]!.shape;
  switch (op.kind) {
    case 'CONV_2D': {
      const a = op.attrs as unknown as Conv2DAttrs;
      const filter = tf.transpose(get(op.inputs[1]!), [1, 2, 3, 0]) as tf.Tensor4D;
      const y = tf.conv2d(x as tf.Tensor4D, filter, [a.strideH, a.strideW], pad(a.padding), 'NHWC', [a.dilationH, a.dilationW]);
      return activate(addBias(y, op, get), a.activation);
    }
    case 'DEPTHWISE_CONV_2D': {
      const a = op.attrs as unknown as DepthwiseConv2DAttrs;
      const [, kh, kw, channels] = graph.tensors[op.inputs[1]!]!.shape as [number, number, number, number];
      const filter = tf.reshape(get(op.inputs[1]!), [kh, kw, channels / a.depthMultiplier, a.depthMultiplier]) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, filter, [a.strideH, a.strideW], pad(a.padding), 'NHWC', [a.dilationH, a.dilationW]);
      return activate(addBias(y, op, get), a.activation);
    }
    case 'FULLY_CONNECTED': {
      const weights = get(op.inputs[1]!) as tf.Tensor2D;
      const flat = tf.reshape(x, [-1, weights.shape[1]]) as tf.Tensor2D;
      const y = tf.matMul(flat, weights, false, true);
      return activate(addBias(y, op, get), op.attrs.activation as FusedActivation);
    }
    case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D': {
      const a = op.attrs as unknown as Pool2DAttrs;
      const pool = op.kind === 'AVERAGE_POOL_2D' ? tf.avgPool : tf.maxPool;
      return activate(pool(x as tf.Tensor4D, [a.filterH, a.filterW], [a.strideH, a.strideW], pad(a.padding)), a.activation);
    }
    case 'ADD':
      return activate(tf.add(x, get(op.inputs[1]!)), op.attrs.activation as FusedActivation);
    case 'RESHAPE':
      return tf.reshape(x, [-1, ...outShape.slice(1)]);
    case 'SOFTMAX': {
      const beta = (op.attrs as unknown as SoftmaxAttrs).beta ?? 1;
      return tf.softmax(beta === 1 ? x : tf.mul(x, beta));
    }
    default:
      throw new TinyforgeError(`${graph.name}: op ${op.index} (${op.kind}) is not supported for float evaluation`);
  }
}

function pad(padding: string): 'same' | 'valid' {
  return padding === 'SAME' ? 'same' : 'valid';
}

function addBias(y: tf.Tensor, op: Op, get: (index: number) => tf.Tensor): tf.Tensor {
  const b = op.inputs[2];
  return b === undefined || b < 0 ? y : tf.add(y, get(b));
}

function activate(y: tf.Tensor, activation: FusedActivation | undefined): tf.Tensor {
  switch (activation ?? 'NONE') {
    case 'NONE': return y;
    case 'RELU': return tf.relu(y);
    case 'RELU6': return tf.relu6(y);
    case 'RELU_N1_TO_1': return tf.clipByValue(y, -1, 1);
    default: throw new TinyforgeError(`fused activation ${activation} is not supported for float evaluation`);
  }
}
