// SPDX-License-Identifier: Apache-2.0
/**
 * Builds small .tflite flatbuffers field by field with the plain flatbuffers Builder, including
 * ones our writer would refuse to produce (out-of-range indices, unsupported types, several
 * subgraphs), to test the reader's structural checks independently of the writer.
 */
import * as flatbuffers from 'flatbuffers';
import * as tfl from '../../src/core/model/tflite/generated/schema_generated.ts';

export interface RawTensor {
  shape?: number[];
  type?: tfl.TensorType;
  buffer?: number;
  name?: string;
  scale?: number[];
  zeroPoint?: bigint[];
  axis?: number;
  sparse?: boolean;
  isVariable?: boolean;
}

export interface RawOp {
  opcode: number;
  inputs: number[];
  outputs: number[];
  intermediates?: number[];
  options?: { type: tfl.BuiltinOptions; build: (b: flatbuffers.Builder) => number };
}

export interface RawModel {
  version?: number;
  identifier?: string;
  codes?: { deprecated?: number; builtin?: number; custom?: string }[];
  tensors?: RawTensor[];
  ops?: RawOp[];
  inputs?: number[];
  outputs?: number[];
  /** buffer contents; index 0 should be the empty sentinel (null) */
  buffers?: (Uint8Array | null)[];
  subgraphs?: number;
  description?: string;
}

/** A valid model by default: int8[1,4] -> RELU -> int8[1,4]. */
export function rawModel(spec: RawModel = {}): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const tensors = spec.tensors ?? [
    { shape: [1, 4], name: 'in', scale: [0.5], zeroPoint: [-3n] },
    { shape: [1, 4], name: 'out', scale: [0.5], zeroPoint: [-3n] },
  ];
  const ops = spec.ops ?? [{ opcode: 0, inputs: [0], outputs: [1] }];
  const codes = spec.codes ?? [{ deprecated: tfl.BuiltinOperator.RELU, builtin: tfl.BuiltinOperator.RELU }];
  const buffers = spec.buffers ?? [null];

  const bufferOffsets = buffers.map((data) => {
    const vector = data ? tfl.Buffer.createDataVector(b, data) : 0;
    tfl.Buffer.startBuffer(b);
    if (vector) tfl.Buffer.addData(b, vector);
    return tfl.Buffer.endBuffer(b);
  });
  const tensorOffsets = tensors.map((t) => {
    const shape = tfl.Tensor.createShapeVector(b, t.shape ?? []);
    const name = b.createString(t.name ?? '');
    let quant = 0;
    if (t.scale) {
      const scale = tfl.QuantizationParameters.createScaleVector(b, t.scale);
      const zeroPoint = tfl.QuantizationParameters.createZeroPointVector(b, t.zeroPoint ?? []);
      tfl.QuantizationParameters.startQuantizationParameters(b);
      tfl.QuantizationParameters.addScale(b, scale);
      tfl.QuantizationParameters.addZeroPoint(b, zeroPoint);
      tfl.QuantizationParameters.addQuantizedDimension(b, t.axis ?? 0);
      quant = tfl.QuantizationParameters.endQuantizationParameters(b);
    }
    let sparsity = 0;
    if (t.sparse) {
      tfl.SparsityParameters.startSparsityParameters(b);
      sparsity = tfl.SparsityParameters.endSparsityParameters(b);
    }
    tfl.Tensor.startTensor(b);
    tfl.Tensor.addShape(b, shape);
    tfl.Tensor.addType(b, t.type ?? tfl.TensorType.INT8);
    tfl.Tensor.addBuffer(b, t.buffer ?? 0);
    tfl.Tensor.addName(b, name);
    if (quant) tfl.Tensor.addQuantization(b, quant);
    if (sparsity) tfl.Tensor.addSparsity(b, sparsity);
    tfl.Tensor.addIsVariable(b, t.isVariable ?? false);
    return tfl.Tensor.endTensor(b);
  });
  const opOffsets = ops.map((op) => {
    const inputs = tfl.Operator.createInputsVector(b, op.inputs);
    const outputs = tfl.Operator.createOutputsVector(b, op.outputs);
    const intermediates = op.intermediates ? tfl.Operator.createIntermediatesVector(b, op.intermediates) : 0;
    const options = op.options ? op.options.build(b) : 0;
    tfl.Operator.startOperator(b);
    tfl.Operator.addOpcodeIndex(b, op.opcode);
    tfl.Operator.addInputs(b, inputs);
    tfl.Operator.addOutputs(b, outputs);
    if (intermediates) tfl.Operator.addIntermediates(b, intermediates);
    if (op.options) {
      tfl.Operator.addBuiltinOptionsType(b, op.options.type);
      tfl.Operator.addBuiltinOptions(b, options);
    }
    return tfl.Operator.endOperator(b);
  });
  const codeOffsets = codes.map((c) => {
    const custom = c.custom === undefined ? 0 : b.createString(c.custom);
    tfl.OperatorCode.startOperatorCode(b);
    tfl.OperatorCode.addDeprecatedBuiltinCode(b, c.deprecated ?? 0);
    if (custom) tfl.OperatorCode.addCustomCode(b, custom);
    tfl.OperatorCode.addBuiltinCode(b, c.builtin ?? 0);
    return tfl.OperatorCode.endOperatorCode(b);
  });
  const subgraphOffsets = Array.from({ length: spec.subgraphs ?? 1 }, () =>
    tfl.SubGraph.createSubGraph(
      b,
      tfl.SubGraph.createTensorsVector(b, tensorOffsets),
      tfl.SubGraph.createInputsVector(b, spec.inputs ?? [0]),
      tfl.SubGraph.createOutputsVector(b, spec.outputs ?? [1]),
      tfl.SubGraph.createOperatorsVector(b, opOffsets),
      0,
    ),
  );
  const description = spec.description === undefined ? 0 : b.createString(spec.description);
  const model = tfl.Model.createModel(
    b,
    spec.version ?? 3,
    tfl.Model.createOperatorCodesVector(b, codeOffsets),
    tfl.Model.createSubgraphsVector(b, subgraphOffsets),
    description,
    tfl.Model.createBuffersVector(b, bufferOffsets),
    0,
    0,
    0,
  );
  b.finish(model, spec.identifier ?? 'TFL3');
  return b.asUint8Array().slice();
}
