// SPDX-License-Identifier: Apache-2.0
/**
 * Small ONNX models for tests, written with schema.ts's encoder: float graphs and QDQ graphs (the
 * form ONNX Runtime's static quantizer writes: QuantizeLinear -> DequantizeLinear around every op,
 * DequantizeLinear of int8 weights and int32 biases).
 */
import {
  type OnnxAttributeProto,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxModelProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  type OnnxValueInfoProto,
  encodeModelProto,
} from '../../src/core/model/onnx/schema.ts';

export const attrInt = (name: string, i: number): OnnxAttributeProto => ({ name, type: OnnxAttributeType.INT, i });
export const attrFloat = (name: string, f: number): OnnxAttributeProto => ({ name, type: OnnxAttributeType.FLOAT, f });
export const attrInts = (name: string, ints: number[]): OnnxAttributeProto => ({ name, type: OnnxAttributeType.INTS, ints });
export const attrString = (name: string, s: string): OnnxAttributeProto => ({ name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(s) });

export type ElemType = 'float' | 'int8' | 'uint8' | 'int32' | 'int64';
const CODE: Record<ElemType, number> = {
  float: OnnxDataType.FLOAT,
  int8: OnnxDataType.INT8,
  uint8: OnnxDataType.UINT8,
  int32: OnnxDataType.INT32,
  int64: OnnxDataType.INT64,
};

export function tensorProto(name: string, type: ElemType, dims: number[], values: readonly number[]): OnnxTensorProto {
  const t: OnnxTensorProto = { name, dims, dataType: CODE[type] };
  if (type === 'float') t.rawData = new Uint8Array(Float32Array.from(values).buffer);
  else if (type === 'int8') t.rawData = new Uint8Array(Int8Array.from(values).buffer);
  else if (type === 'uint8') t.rawData = Uint8Array.from(values);
  else if (type === 'int32') t.int32Data = [...values];
  else t.int64Data = [...values];
  return t;
}

function valueInfo(name: string, type: ElemType, dims: (number | string)[] | undefined): OnnxValueInfoProto {
  const tensorType: NonNullable<NonNullable<OnnxValueInfoProto['type']>['tensorType']> = { elemType: CODE[type] };
  if (dims) tensorType.shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

export class OnnxBuilder {
  readonly nodes: OnnxNodeProto[] = [];
  readonly initializers: OnnxTensorProto[] = [];
  readonly inputs: OnnxValueInfoProto[] = [];
  readonly outputs: OnnxValueInfoProto[] = [];
  private counter = 0;

  constructor(
    readonly opset = 13,
    readonly irVersion = 8,
  ) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims?: (number | string)[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  init(prefix: string, type: ElemType, dims: number[], values: readonly number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensorProto(name, type, dims, values));
    return name;
  }

  node(opType: string, inputs: string[], attrs: OnnxAttributeProto[] = [], outputs = 1, domain?: string): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    const node: OnnxNodeProto = { opType, input: inputs, output: names, name: this.fresh(`n_${opType}`), attribute: attrs };
    if (domain) node.domain = domain;
    this.nodes.push(node);
    return names;
  }

  one(opType: string, inputs: string[], attrs: OnnxAttributeProto[] = []): string {
    return this.node(opType, inputs, attrs)[0]!;
  }

  /** QuantizeLinear then DequantizeLinear of `x` (scale, zero point of `type`): a quantized activation. */
  qdq(x: string, scale: number, zeroPoint: number, type: 'int8' | 'uint8' = 'int8'): string {
    const s = this.init('scale', 'float', [], [scale]);
    const z = this.init('zp', type, [], [zeroPoint]);
    const q = this.one('QuantizeLinear', [x, s, z]);
    return this.one('DequantizeLinear', [q, s, z]);
  }

  /** DequantizeLinear of an int8 constant (per-tensor, or per-channel along `axis` with several scales). */
  dqConst(dims: number[], values: readonly number[], scales: number[], axis = 0, type: 'int8' | 'uint8' | 'int32' = 'int8', zeroPoints?: number[]): string {
    const q = this.init('w', type, dims, values);
    const perChannel = scales.length > 1;
    const s = this.init('wscale', 'float', perChannel ? [scales.length] : [], scales);
    const zp = zeroPoints ?? scales.map(() => 0);
    const z = this.init('wzp', type, perChannel ? [scales.length] : [], zp);
    return this.node('DequantizeLinear', [q, s, z], perChannel ? [attrInt('axis', axis)] : [])[0]!;
  }

  model(): OnnxModelProto {
    return {
      irVersion: this.irVersion,
      opsetImport: [{ domain: '', version: this.opset }],
      producerName: 'tinyforge-test',
      graph: { name: 'g', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
  }

  bytes(): Uint8Array {
    return encodeModelProto(this.model());
  }
}

/** A deterministic pseudo-random generator: op_harness.ts's, so a seed means the same values everywhere. */
export { rng as seeded } from './op_harness.ts';

export const randomInts = (rand: () => number, count: number, lo: number, hi: number): number[] =>
  Array.from({ length: count }, () => lo + Math.floor(rand() * (hi - lo + 1)));
