// SPDX-License-Identifier: Apache-2.0
/**
 * Writes the example ONNX model the way a PyTorch user gets one: a small CNN as torch.onnx.export
 * lays it out (NCHW float input "input", nodes "/conv1/Conv", ..., values "/conv1/Conv_output_0",
 * parameters "conv1.weight"), then quantized as ONNX Runtime's quantize_static writes QDQ models
 * (uint8 asymmetric activations calibrated by min/max, int8 symmetric per-channel weights, int32
 * biases at sx*sw, Relu folded into the producer's output range, MaxPool sharing its input's
 * parameters). Neither PyTorch nor the Python ONNX Runtime runs here, so this script writes the same
 * structure itself: seeded weights, and ranges calibrated by running the float model in ONNX Runtime
 * (onnxruntime-web) on the sample inputs. Writes
 *   cnn_qdq.onnx   the quantized model
 *   samples.bin    three sample inputs, float32 NCHW 1x3x32x32 each, back to back
 *
 *   npx tsx examples/onnx_cnn/make_model.ts
 *
 * Deterministic: the same seeds give the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  OnnxAttributeType,
  OnnxDataType,
  encodeModelProto,
} from '../../src/core/model/onnx/schema.ts';
import { runOnnxModel } from '../../src/lab/run/onnxruntime.ts';
import { seededRandom } from '../../src/lab/data/dataset.ts';
import { type QParams, activationParams, roundEven, weightParams } from '../../test/fuzz/onnx/emitter.ts';

const OUT_DIR = import.meta.dirname;
const MODEL_FILE = 'cnn_qdq.onnx';
const SAMPLES_FILE = 'samples.bin';
const INPUT_SHAPE = [1, 3, 32, 32];
const SAMPLE_COUNT = 3;
const CALIBRATION_COUNT = 16;
const OPSET = 17;

/** An "image" as a normalized camera frame: smooth colour gradients and blobs plus some noise. */
function image(rand: () => number): Float32Array {
  const [, c, h, w] = INPUT_SHAPE as [number, number, number, number];
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    const fx = 0.05 + 0.3 * rand();
    const fy = 0.05 + 0.3 * rand();
    const phase = 6.283 * rand();
    const cx = w * rand();
    const cy = h * rand();
    const r = 4 + 8 * rand();
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const blob = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
        const v = 0.9 * Math.sin(fx * x + fy * y + phase) + 1.2 * blob + 0.25 * (rand() - 0.5);
        out[(ch * h + y) * w + x] = Math.fround(v);
      }
  }
  return out;
}

/** Kaiming-uniform weights as PyTorch initializes Conv2d and Linear, then a seeded spread per channel. */
function weights(rand: () => number, shape: number[]): Float32Array {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / fanIn);
  const per = fanIn;
  const out = new Float32Array(shape[0]! * per);
  for (let o = 0; o < shape[0]!; o++) {
    const gain = 0.5 + rand();
    for (let i = 0; i < per; i++) out[o * per + i] = Math.fround((2 * rand() - 1) * bound * gain);
  }
  return out;
}

function biases(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 0.2 * (2 * rand() - 1));
}

function attr(name: string, v: number | number[]): OnnxAttributeProto {
  return Array.isArray(v) ? { name, type: OnnxAttributeType.INTS, ints: v } : { name, type: OnnxAttributeType.INT, i: v };
}

function floatAttr(name: string, f: number): OnnxAttributeProto {
  return { name, type: OnnxAttributeType.FLOAT, f };
}

function tensor(name: string, dataType: number, dims: number[], data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array): OnnxTensorProto {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

interface Layer {
  /** the PyTorch module name ("conv1") or "" for a functional call */
  module: string;
  op: string;
  attrs?: OnnxAttributeProto[];
  weight?: { shape: number[]; data: Float32Array };
  bias?: Float32Array;
}

/** The network, as torch.onnx.export writes `CNN` (see README.md) with do_constant_folding. */
function network(): Layer[] {
  const rand = seededRandom(42);
  const conv = (module: string, cout: number, cin: number, stride: number, group = 1): Layer => {
    const shape = [cout, cin / group, 3, 3];
    return {
      module,
      op: 'Conv',
      attrs: [attr('dilations', [1, 1]), attr('group', group), attr('kernel_shape', [3, 3]), attr('pads', [1, 1, 1, 1]), attr('strides', [stride, stride])],
      weight: { shape, data: weights(rand, shape) },
      bias: biases(rand, cout),
    };
  };
  return [
    conv('conv1', 16, 3, 1),
    { module: 'relu1', op: 'Relu' },
    {
      module: 'pool',
      op: 'MaxPool',
      attrs: [attr('ceil_mode', 0), attr('dilations', [1, 1]), attr('kernel_shape', [2, 2]), attr('pads', [0, 0, 0, 0]), attr('strides', [2, 2])],
    },
    conv('conv2', 32, 16, 2),
    { module: 'relu2', op: 'Relu' },
    conv('dwconv', 32, 32, 1, 32),
    { module: 'relu3', op: 'Relu' },
    { module: 'gap', op: 'GlobalAveragePool' },
    { module: '', op: 'Flatten', attrs: [attr('axis', 1)] },
    {
      module: 'fc',
      op: 'Gemm',
      attrs: [floatAttr('alpha', 1), floatAttr('beta', 1), attr('transB', 1)],
      weight: { shape: [10, 32], data: weights(rand, [10, 32]) },
      bias: biases(rand, 10),
    },
  ];
}

const nodeName = (l: Layer) => (l.module ? `/${l.module}/${l.op}` : `/${l.op}`);
const valueName = (l: Layer) => `${nodeName(l)}_output_0`;

function valueInfo(name: string, elemType: number, shape: number[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function modelProto(nodes: OnnxNodeProto[], initializer: OnnxTensorProto[], output: string, producer: string): OnnxModelProto {
  return {
    irVersion: 8,
    producerName: producer,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'main_graph',
      node: nodes,
      initializer,
      input: [valueInfo('input', OnnxDataType.FLOAT, INPUT_SHAPE)],
      output: [valueInfo(output, OnnxDataType.FLOAT, [1, 10])],
    },
  };
}

/** The float model, as exported: every node's output named after it, the last one "output". */
function floatModel(layers: Layer[]): OnnxModelProto {
  const nodes: OnnxNodeProto[] = [];
  const inits: OnnxTensorProto[] = [];
  let x = 'input';
  layers.forEach((l, k) => {
    const inputs = [x];
    if (l.weight) {
      inits.push(tensor(`${l.module}.weight`, OnnxDataType.FLOAT, l.weight.shape, l.weight.data));
      inits.push(tensor(`${l.module}.bias`, OnnxDataType.FLOAT, [l.bias!.length], l.bias!));
      inputs.push(`${l.module}.weight`, `${l.module}.bias`);
    }
    const out = k === layers.length - 1 ? 'output' : valueName(l);
    nodes.push({ name: nodeName(l), opType: l.op, input: inputs, output: [out], attribute: l.attrs ?? [] });
    x = out;
  });
  return modelProto(nodes, inits, 'output', 'pytorch-layout');
}

/**
 * The QDQ model quantize_static writes from `floatModel`: a QuantizeLinear/DequantizeLinear pair on
 * every activation a quantized op reads or writes (named `<value>_QuantizeLinear`, scale
 * `<value>_scale`), weights stored int8 behind a per-channel DequantizeLinear, biases int32.
 */
function qdqModel(layers: Layer[], ranges: Map<string, [number, number]>): OnnxModelProto {
  const nodes: OnnxNodeProto[] = [];
  const inits: OnnxTensorProto[] = [];
  const params = new Map<string, { q: QParams; scale: string; zp: string }>();
  const scalar = (name: string, dataType: number, v: number) =>
    inits.push(tensor(name, dataType, [], dataType === OnnxDataType.FLOAT ? Float32Array.of(v) : Uint8Array.of(v)));
  // a QDQ pair on value `name` (range from `rangeOf`, or the parameters of `sameAs`); consumers read the DQ output
  const qdq = (name: string, rangeOf: string, sameAs?: string, qInput = name, dqOutput = `${name}_DequantizeLinear_Output`): string => {
    let p = sameAs ? params.get(sameAs) : undefined;
    if (!p) {
      const [lo, hi] = ranges.get(rangeOf)!;
      const q = activationParams(lo, hi, 'uint8');
      p = { q, scale: `${name}_scale`, zp: `${name}_zero_point` };
      scalar(p.scale, OnnxDataType.FLOAT, q.scale[0]!);
      scalar(p.zp, OnnxDataType.UINT8, q.zeroPoint[0]!);
    }
    params.set(name, p);
    const quantized = `${name}_QuantizeLinear_Output`;
    nodes.push({ name: `${name}_QuantizeLinear`, opType: 'QuantizeLinear', input: [qInput, p.scale, p.zp], output: [quantized], attribute: [] });
    nodes.push({ name: `${name}_DequantizeLinear`, opType: 'DequantizeLinear', input: [quantized, p.scale, p.zp], output: [dqOutput], attribute: [] });
    return dqOutput;
  };

  let x = qdq('input', 'input');
  let xName = 'input';
  for (let k = 0; k < layers.length; k++) {
    const l = layers[k]!;
    // quantize_static drops a Relu after a quantized op: the op's output takes the Relu's name and range
    const next = layers[k + 1];
    const foldsRelu = next?.op === 'Relu';
    const last = k === layers.length - 1;
    const out = last ? 'output' : valueName(foldsRelu ? next! : l);
    const inputs = [x];
    if (l.weight) {
      const { shape, data } = l.weight;
      const w = weightParams(data, shape, true, 0);
      const wName = `${l.module}.weight`;
      inits.push(tensor(`${wName}_quantized`, OnnxDataType.INT8, shape, w.data));
      inits.push(tensor(`${wName}_scale`, OnnxDataType.FLOAT, [shape[0]!], Float32Array.from(w.q.scale)));
      inits.push(tensor(`${wName}_zero_point`, OnnxDataType.INT8, [shape[0]!], new Int8Array(shape[0]!)));
      nodes.push({
        name: `${wName}_DequantizeLinear`,
        opType: 'DequantizeLinear',
        input: [`${wName}_quantized`, `${wName}_scale`, `${wName}_zero_point`],
        output: [`${wName}_DequantizeLinear_Output`],
        attribute: [attr('axis', 0)],
      });
      const bName = `${l.module}.bias`;
      const sx = params.get(xName)!.q.scale[0]!;
      const bScale = Float32Array.from(w.q.scale, (sw) => Math.fround(sx * sw));
      const bData = Int32Array.from(l.bias!, (b, c) => roundEven(b / bScale[c]!));
      inits.push(tensor(`${bName}_quantized`, OnnxDataType.INT32, [bData.length], bData));
      inits.push(tensor(`${bName}_quantized_scale`, OnnxDataType.FLOAT, [bData.length], bScale));
      inits.push(tensor(`${bName}_quantized_zero_point`, OnnxDataType.INT32, [bData.length], new Int32Array(bData.length)));
      nodes.push({
        name: `${bName}_quantized_DequantizeLinear`,
        opType: 'DequantizeLinear',
        input: [`${bName}_quantized`, `${bName}_quantized_scale`, `${bName}_quantized_zero_point`],
        output: [`${bName}_quantized_DequantizeLinear_Output`],
        attribute: [attr('axis', 0)],
      });
      inputs.push(`${wName}_DequantizeLinear_Output`, `${bName}_quantized_DequantizeLinear_Output`);
    }
    if (l.op === 'Flatten') {
      // not an op quantize_static quantizes: it runs on the float value, and Gemm's input is quantized after it
      nodes.push({ name: nodeName(l), opType: l.op, input: inputs, output: [out], attribute: l.attrs ?? [] });
      x = qdq(out, out);
      xName = out;
      continue;
    }
    // a graph output keeps its name on the DequantizeLinear; the op writes `<name>_QuantizeLinear_Input`
    const written = last ? `${out}_QuantizeLinear_Input` : out;
    nodes.push({ name: nodeName(l), opType: l.op, input: inputs, output: [written], attribute: l.attrs ?? [] });
    const sameAs = l.op === 'MaxPool' ? xName : undefined;
    x = last ? qdq(out, out, undefined, written, out) : qdq(out, out, sameAs);
    xName = out;
    if (foldsRelu) k++;
  }
  return modelProto(nodes, inits, 'output', 'onnx.quantize');
}

function samples(seed: number, count: number): Float32Array[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, () => image(rand));
}

async function main(): Promise<void> {
  const layers = network();
  const float = floatModel(layers);
  // MinMax calibration, as quantize_static's default: every float value's range over the calibration set
  const ranges = new Map<string, [number, number]>();
  for (const input of [...samples(7, CALIBRATION_COUNT), ...samples(1, SAMPLE_COUNT)]) {
    const run = await runOnnxModel(float, [input], { dump: 'all', level: 'disabled' });
    for (const [name, v] of run.tensors) {
      if (v.dtype !== 'float32') continue;
      let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
      for (const x of v.data as Float32Array) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      ranges.set(name, [lo, hi]);
    }
  }
  const bytes = encodeModelProto(qdqModel(layers, ranges));
  writeFileSync(join(OUT_DIR, MODEL_FILE), bytes);
  const sampleBytes = Buffer.concat(samples(1, SAMPLE_COUNT).map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)));
  writeFileSync(join(OUT_DIR, SAMPLES_FILE), sampleBytes);
  process.stdout.write(`${MODEL_FILE}: ${bytes.length} bytes; ${SAMPLES_FILE}: ${SAMPLE_COUNT} inputs, ${sampleBytes.length} bytes\n`);
}

await main();
