// SPDX-License-Identifier: Apache-2.0
/**
 * Small ONNX models for tests that compare tinyforge's arithmetic with ONNX Runtime's: QDQ graphs
 * (int8 in, DequantizeLinear, the float op, QuantizeLinear, int8 out) that ONNX Runtime fuses into its
 * QLinear* kernels at graphOptimizationLevel 'all', built with schema.ts and run with native ONNX Runtime (onnxruntime-node).
 */
import { loadOnnxRuntime } from '../../src/lab/run/onnxruntime.ts';
import {
  type OnnxAttributeProto,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxNodeProto,
  type OnnxTensorProto,
  type OnnxValueInfoProto,
  encodeModelProto,
} from '../../src/core/model/onnx/schema.ts';

type Ort = typeof import('onnxruntime-web');

let ortModule: Ort | null | undefined;

/** Native ONNX Runtime (onnxruntime-node, CPU), or null (with the reason printed once) where it cannot load. */
export async function loadOrt(): Promise<Ort | null> {
  if (ortModule !== undefined) return ortModule;
  try {
    const ort = await loadOnnxRuntime('node');
    ortModule = ort;
  } catch (e) {
    console.log(`      (onnxruntime-node cannot load here, ONNX Runtime comparisons skipped: ${(e as Error).message.split('\n')[0]})`);
    ortModule = null;
  }
  return ortModule;
}

export function int8Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensorProto {
  return { name, dims, dataType: OnnxDataType.INT8, rawData: new Uint8Array(Int8Array.from(values).buffer) };
}

export function int32Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensorProto {
  return { name, dims, dataType: OnnxDataType.INT32, rawData: new Uint8Array(Int32Array.from(values).buffer) };
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensorProto {
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

export function intsAttr(name: string, ints: number[]): OnnxAttributeProto {
  return { name, type: OnnxAttributeType.INTS, ints };
}

export function intAttr(name: string, i: number): OnnxAttributeProto {
  return { name, type: OnnxAttributeType.INT, i };
}

export function floatAttr(name: string, f: number): OnnxAttributeProto {
  return { name, type: OnnxAttributeType.FLOAT, f };
}

export function node(opType: string, input: string[], output: string[], attribute: OnnxAttributeProto[] = []): OnnxNodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}`, attribute };
}

function valueInfo(name: string, elemType: number, dims: number[]): OnnxValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** Scale and zero point initializers of one quantized tensor, named `<name>_scale` / `<name>_zp`. */
export function quantParams(
  name: string,
  scale: number | number[],
  zeroPoint: number | number[] | undefined,
  dtype: 'int8' | 'int32' = 'int8',
): OnnxTensorProto[] {
  const scales = ([] as number[]).concat(scale);
  const dims = Array.isArray(scale) ? [scales.length] : [];
  const out = [floatTensor(`${name}_scale`, dims, scales)];
  if (zeroPoint !== undefined) {
    const zps = ([] as number[]).concat(zeroPoint);
    out.push(dtype === 'int8' ? int8Tensor(`${name}_zp`, dims, zps) : int32Tensor(`${name}_zp`, dims, zps));
  }
  return out;
}

/** DequantizeLinear of `name` (scale and zero point initializers named after it) into `<name>_f`. */
export function dq(name: string, axis?: number, zeroPoint = true): OnnxNodeProto {
  return node(
    'DequantizeLinear',
    zeroPoint ? [name, `${name}_scale`, `${name}_zp`] : [name, `${name}_scale`],
    [`${name}_f`],
    axis === undefined ? [] : [intAttr('axis', axis)],
  );
}

/** QuantizeLinear of `<name>_f` into `name`. */
export function q(name: string): OnnxNodeProto {
  return node('QuantizeLinear', [`${name}_f`, `${name}_scale`, `${name}_zp`], [name]);
}

export interface OnnxGraphSpec {
  nodes: OnnxNodeProto[];
  initializers: OnnxTensorProto[];
  inputs: { name: string; dtype: 'int8' | 'float32'; dims: number[] }[];
  outputs: { name: string; dtype: 'int8' | 'float32'; dims: number[] }[];
  opset?: number;
}

const ELEM = { int8: OnnxDataType.INT8, float32: OnnxDataType.FLOAT } as const;

export function onnxModel(spec: OnnxGraphSpec): Uint8Array {
  return encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    producerName: 'tinyforge-test',
    graph: {
      name: 'g',
      node: spec.nodes,
      initializer: spec.initializers,
      input: spec.inputs.map((i) => valueInfo(i.name, ELEM[i.dtype], i.dims)),
      output: spec.outputs.map((o) => valueInfo(o.name, ELEM[o.dtype], o.dims)),
    },
  });
}

export type OrtLevel = 'all' | 'extended' | 'basic' | 'disabled';

/**
 * Runs a model once per feed with native ONNX Runtime (one session, one thread), returning each run's first output
 * as raw values.
 */
export async function runOrt(
  ort: Ort,
  model: Uint8Array,
  feeds: { [name: string]: { dtype: 'int8' | 'float32'; dims: number[]; data: Int8Array | Float32Array } }[],
  level: OrtLevel = 'all',
): Promise<(Int8Array | Float32Array)[]> {
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: level,
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  try {
    const results: (Int8Array | Float32Array)[] = [];
    for (const feed of feeds) {
      const tensors: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const [name, f] of Object.entries(feed)) tensors[name] = new ort.Tensor(f.dtype, f.data, f.dims);
      const out = await session.run(tensors);
      results.push(out[session.outputNames[0]!]!.data as Int8Array | Float32Array);
    }
    return results;
  } finally {
    await session.release();
  }
}
