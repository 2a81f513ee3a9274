// SPDX-License-Identifier: Apache-2.0
/**
 * Graph -> `.tflite` (schema version 3, identifier TFL3, one subgraph, plus a CALL_ONCE init subgraph
 * when the graph has resource variables: see resource_variables.ts, or the subgraphs IF and WHILE
 * call, `Graph.subgraphs`, at their indices). Constant data goes into
 * buffers aligned to 16 bytes, buffer 0 is the empty sentinel, tensors sharing one data array share
 * one buffer, operator codes are deduplicated and carry both the old byte code and the 32-bit one.
 * Operator versions are written as 1 (the IR does not keep them; every TFLite runtime registers
 * version 1 of its builtins and picks kernels by tensor types).
 */
import * as tfl from './generated/schema_generated.ts';
import { TfliteBuilder } from './builder.ts';
import { operatorCodeOf, tensorTypeOf } from './codes.ts';
import { OptionsError, attrsToOptions, optionsSlotOf } from './options.ts';
import { raiseResourceVariables } from './resource_variables.ts';
import { TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION, oneLine, parseTflite } from './reader.ts';
import { Graph, Op, Tensor, byteSize } from '../../ir/graph.ts';
import { fitsInt4, packInt4 } from '../../ir/int4.ts';
import { TinyforgeError } from '../../errors.ts';

export const BUFFER_ALIGNMENT = 16;

/** The byte code field saturates here; larger codes live only in the 32-bit builtin_code. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

export function writeTflite(graph: Graph, description?: string): Uint8Array {
  return new ModelWriter(graph).write(description ?? graph.description);
}

/** Whether bytes are a `.tflite` tinyforge wrote: its description says so. */
export function isTinyforgeModel(bytes: Uint8Array): boolean {
  try {
    return /tinyforge/.test(parseTflite(bytes, 'existing file').description ?? '');
  } catch {
    return false;
  }
}

class ModelWriter {
  private readonly builder: TfliteBuilder;
  /** constant data -> buffer index; keyed by identity so tensors that shared a buffer still do */
  private readonly bufferIndex = new Map<Uint8Array, number>();
  private readonly buffers: Uint8Array[] = [];
  private readonly opcodeIndex = new Map<string, number>();
  private readonly opcodes: { builtin: number; custom?: string }[] = [];

  constructor(private readonly graph: Graph) {
    const dataBytes = graph.tensors.reduce((n, t) => n + (t.data?.length ?? 0), 0);
    this.builder = new TfliteBuilder(dataBytes + 1024 * (1 + graph.tensors.length / 8));
  }

  private fail(problem: string): TinyforgeError {
    return new TinyforgeError(`${this.graph.name}: ${oneLine(problem)}`);
  }

  write(description: string | undefined): Uint8Array {
    const b = this.builder;
    this.graph.tensors.forEach((t, i) => this.checkTensor(t, i));
    const tensorCount = this.graph.tensors.length;
    this.checkIndices('graph input', this.graph.inputs, tensorCount, false);
    this.checkIndices('graph output', this.graph.outputs, tensorCount, false);
    // variable tensors of READ_VARIABLE / ASSIGN_VARIABLE go back to RESOURCE tensors, VAR_HANDLEs and a CALL_ONCE init subgraph
    const raised = raiseResourceVariables(this.graph.tensors, this.graph.ops);
    raised.init?.tensors.forEach((t, i) => this.checkTensor(t, i));
    // the subgraphs IF and WHILE call: file indices 1, 2, ... in order
    const called = Object.entries(this.graph.subgraphs ?? {})
      .map(([k, g]) => [Number(k), g] as const)
      .sort((a, b) => a[0] - b[0]);
    if (called.some(([k], i) => k !== i + 1)) throw this.fail(`subgraphs ${called.map(([k]) => k).join(', ')}: expected 1, 2, ... in order`);
    if (called.length > 0 && raised.init) throw this.fail('resource variables beside IF or WHILE subgraphs are not written');
    for (const [, g] of called) g.tensors.forEach((t, i) => this.checkTensor(t, i));

    // data first: the builder fills back to front, so the bulk ends up at the end of the file
    const buffers = this.writeBuffers();
    const tensors = this.graph.tensors.map((t, i) => this.writeTensor(t, raised.resources.has(i)));
    const operators = [...raised.prologue, ...this.graph.ops].map((op, i) => this.writeOperator(op, i));
    let initSubgraph: number | undefined;
    if (raised.init) {
      const init = raised.init;
      const initTensors = init.tensors.map((t, i) => this.writeTensor(t, init.resources.has(i)));
      const initOperators = init.ops.map((op, i) => this.writeOperator(op, i, init.tensors.length));
      initSubgraph = tfl.SubGraph.createSubGraph(
        b,
        tfl.SubGraph.createTensorsVector(b, initTensors),
        tfl.SubGraph.createInputsVector(b, []),
        tfl.SubGraph.createOutputsVector(b, []),
        tfl.SubGraph.createOperatorsVector(b, initOperators),
        b.createString('init'),
      );
    }
    const calledSubgraphs = called.map(([k, g]) =>
      tfl.SubGraph.createSubGraph(
        b,
        tfl.SubGraph.createTensorsVector(
          b,
          g.tensors.map((t) => this.writeTensor(t)),
        ),
        tfl.SubGraph.createInputsVector(b, g.inputs),
        tfl.SubGraph.createOutputsVector(b, g.outputs),
        tfl.SubGraph.createOperatorsVector(
          b,
          g.ops.map((op, i) => this.writeOperator(op, i, g.tensors.length)),
        ),
        b.createString(`subgraph${k}`),
      ),
    );
    const operatorCodes = this.opcodes.map((code) => this.writeOperatorCode(code));

    const subgraph = tfl.SubGraph.createSubGraph(
      b,
      tfl.SubGraph.createTensorsVector(b, tensors),
      tfl.SubGraph.createInputsVector(b, this.graph.inputs),
      tfl.SubGraph.createOutputsVector(b, this.graph.outputs),
      tfl.SubGraph.createOperatorsVector(b, operators),
      b.createString('main'),
    );
    const operatorCodesVector = tfl.Model.createOperatorCodesVector(b, operatorCodes);
    const subgraphs = tfl.Model.createSubgraphsVector(b, initSubgraph === undefined ? [subgraph, ...calledSubgraphs] : [subgraph, initSubgraph]);
    const descriptionString = b.createString(description ?? null);
    const buffersVector = tfl.Model.createBuffersVector(b, buffers);

    tfl.Model.startModel(b);
    tfl.Model.addVersion(b, TFLITE_SCHEMA_VERSION);
    tfl.Model.addOperatorCodes(b, operatorCodesVector);
    tfl.Model.addSubgraphs(b, subgraphs);
    tfl.Model.addDescription(b, descriptionString);
    tfl.Model.addBuffers(b, buffersVector);
    b.finish(tfl.Model.endModel(b), TFLITE_FILE_IDENTIFIER);
    return b.asUint8Array().slice();
  }

  private checkTensor(t: Tensor, i: number): void {
    const where = `tensor ${i} '${t.name}'`;
    if (t.data && t.data.length > 0) {
      if (t.data.length !== byteSize(t)) throw this.fail(`${where}: ${t.data.length} data bytes, but ${t.dtype}[${t.shape.join(',')}] needs ${byteSize(t)}`);
      if (!this.bufferIndex.has(t.data)) {
        // INT4 storage: TFLite's packed nibbles (ir/int4.ts); packInt4 refuses values outside [-8, 7]
        if (t.storageBits === 4 && (t.dtype !== 'int8' || !fitsInt4(new Int8Array(t.data.buffer, t.data.byteOffset, t.data.length)))) {
          throw this.fail(`${where}: storageBits 4 needs int8 values in [-8, 7]`);
        }
        this.buffers.push(t.storageBits === 4 ? packInt4(t.data) : t.data);
        this.bufferIndex.set(t.data, this.buffers.length); // buffer 0 is the sentinel
      }
    }
    if (t.quant && t.quant.scale.length !== t.quant.zeroPoint.length) {
      throw this.fail(`${where}: ${t.quant.scale.length} quantization scales but ${t.quant.zeroPoint.length} zero points`);
    }
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw this.fail(`${where}: invalid shape [${t.shape.join(',')}]`);
  }

  private checkIndices(what: string, indices: number[], tensorCount: number, optional: boolean): void {
    indices.forEach((i, k) => {
      if (!((Number.isInteger(i) && i >= 0 && i < tensorCount) || (optional && i === -1))) {
        throw this.fail(`${what} ${k}: tensor index ${i} is out of range (${tensorCount} tensors)`);
      }
    });
  }

  private writeBuffers(): number[] {
    const b = this.builder;
    const dataVectors = this.buffers.map((data) => b.createAlignedByteVector(data, BUFFER_ALIGNMENT));
    const tables = [null, ...dataVectors].map((data) => {
      tfl.Buffer.startBuffer(b);
      if (data !== null) tfl.Buffer.addData(b, data);
      return tfl.Buffer.endBuffer(b);
    });
    return tables;
  }

  /** `resource`: written as a scalar RESOURCE tensor (a resource variable's handle) */
  private writeTensor(t: Tensor, resource = false): number {
    const b = this.builder;
    const shape = tfl.Tensor.createShapeVector(b, resource ? [] : t.shape);
    const signature = t.shapeSignature ? tfl.Tensor.createShapeSignatureVector(b, t.shapeSignature) : 0;
    const name = b.createString(t.name);
    let quantization = 0;
    if (t.quant && t.quant.scale.length > 0 && !resource) {
      const scale = tfl.QuantizationParameters.createScaleVector(b, t.quant.scale);
      const zeroPoint = tfl.QuantizationParameters.createZeroPointVector(
        b,
        t.quant.zeroPoint.map((z) => BigInt(z)),
      );
      tfl.QuantizationParameters.startQuantizationParameters(b);
      tfl.QuantizationParameters.addScale(b, scale);
      tfl.QuantizationParameters.addZeroPoint(b, zeroPoint);
      tfl.QuantizationParameters.addQuantizedDimension(b, t.quant.axis);
      quantization = tfl.QuantizationParameters.endQuantizationParameters(b);
    }
    tfl.Tensor.startTensor(b);
    tfl.Tensor.addShape(b, shape);
    tfl.Tensor.addType(b, resource ? tfl.TensorType.RESOURCE : t.storageBits === 4 ? tfl.TensorType.INT4 : tensorTypeOf(t.dtype));
    tfl.Tensor.addBuffer(b, t.data && t.data.length > 0 ? this.bufferIndex.get(t.data)! : 0);
    tfl.Tensor.addName(b, name);
    tfl.Tensor.addQuantization(b, quantization);
    tfl.Tensor.addIsVariable(b, t.isVariable === true && !resource);
    if (signature) tfl.Tensor.addShapeSignature(b, signature);
    return tfl.Tensor.endTensor(b);
  }

  private writeOperator(op: Op, index: number, tensorCount = this.graph.tensors.length): number {
    const b = this.builder;
    const where = `op ${index} (${op.kind})`;
    const code = operatorCodeOf(op.kind);
    if (!code) throw this.fail(`${where}: ${op.kind} is not a TFLite operator`);
    this.checkIndices(`${where} input`, op.inputs, tensorCount, true);
    this.checkIndices(`${where} output`, op.outputs, tensorCount, false);

    const slot = optionsSlotOf(op.kind);
    let options = 0;
    if (slot) {
      try {
        options = attrsToOptions(slot, op.attrs).pack(b);
      } catch (e) {
        if (e instanceof OptionsError) throw this.fail(`${where}: ${e.message}`);
        throw e;
      }
    }
    const custom = op.attrs.customOptions;
    if (custom !== undefined && !(custom instanceof Uint8Array)) throw this.fail(`${where}: attribute customOptions must be a Uint8Array`);
    const customOptions = custom ? b.createByteVector(custom) : 0;
    const intermediatesAttr = op.attrs.intermediates;
    let intermediates = 0;
    if (intermediatesAttr !== undefined) {
      if (!Array.isArray(intermediatesAttr)) throw this.fail(`${where}: attribute intermediates must be an array of tensor indices`);
      this.checkIndices(`${where} intermediate`, intermediatesAttr as number[], tensorCount, false);
      intermediates = tfl.Operator.createIntermediatesVector(b, intermediatesAttr as number[]);
    }
    const inputs = tfl.Operator.createInputsVector(b, op.inputs);
    const outputs = tfl.Operator.createOutputsVector(b, op.outputs);

    tfl.Operator.startOperator(b);
    tfl.Operator.addOpcodeIndex(b, this.opcodeFor(code));
    tfl.Operator.addInputs(b, inputs);
    tfl.Operator.addOutputs(b, outputs);
    if (slot?.union === 1) {
      tfl.Operator.addBuiltinOptionsType(b, slot.tag);
      tfl.Operator.addBuiltinOptions(b, options);
    } else if (slot?.union === 2) {
      tfl.Operator.addBuiltinOptions2Type(b, slot.tag);
      tfl.Operator.addBuiltinOptions2(b, options);
    }
    tfl.Operator.addCustomOptions(b, customOptions);
    tfl.Operator.addIntermediates(b, intermediates);
    return tfl.Operator.endOperator(b);
  }

  private opcodeFor(code: { builtin: number; custom?: string }): number {
    const key = `${code.builtin}/${code.custom ?? ''}`;
    let index = this.opcodeIndex.get(key);
    if (index === undefined) {
      index = this.opcodes.length;
      this.opcodes.push(code);
      this.opcodeIndex.set(key, index);
    }
    return index;
  }

  private writeOperatorCode(code: { builtin: number; custom?: string }): number {
    const b = this.builder;
    const custom = b.createString(code.custom ?? null);
    tfl.OperatorCode.startOperatorCode(b);
    tfl.OperatorCode.addDeprecatedBuiltinCode(b, Math.min(code.builtin, PLACEHOLDER_FOR_GREATER_OP_CODES));
    tfl.OperatorCode.addCustomCode(b, custom);
    tfl.OperatorCode.addBuiltinCode(b, code.builtin);
    return tfl.OperatorCode.endOperatorCode(b);
  }
}
