// SPDX-License-Identifier: Apache-2.0
/**
 * `.tflite` -> Graph. Reads the flatbuffer through the generated accessors over a bounds-checked
 * byte buffer, and checks every index the IR relies on (tensor, buffer, opcode), so any malformed
 * file ends as one TinyforgeError line naming the file and the problem.
 */
import { readUserFile } from '../read_file.ts';
import { basename } from 'node:path';
import * as tfl from './generated/schema_generated.ts';
import { CheckedByteBuffer, FlatbufferBoundsError } from './checked_buffer.ts';
import { dtypeOf, opKindOf, tensorTypeName } from './codes.ts';
import { OptionsError, optionsSlotOf, optionsToAttrs } from './options.ts';
import { lowerResourceVariables, resourceTensorIndices } from './resource_variables.ts';
import { Graph, Op, OpAttrs, Quantization, Tensor, byteSize, cIdentifier, elementCount } from '../../ir/graph.ts';
import { unpackInt4 } from '../../ir/int4.ts';
import { TinyforgeError } from '../../errors.ts';

export const TFLITE_FILE_IDENTIFIER = 'TFL3';
export const TFLITE_SCHEMA_VERSION = 3;

/**
 * Reads a `.tflite` file into the IR (subgraph 0; CALL_ONCE init subgraphs of resource variables are
 * lowered; the subgraphs IF and WHILE call are read into `Graph.subgraphs`).
 */
export function readTflite(path: string): Graph {
  const bytes = readUserFile(path, 'model file (.tflite)');
  return parseTflite(bytes, path);
}

/** Parses the bytes of a `.tflite` file; `fileName` names the model and appears in every error. */
export function parseTflite(bytes: Uint8Array, fileName: string): Graph {
  // a plain Uint8Array view: Buffer.slice would alias the file's memory instead of copying
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string) => new TinyforgeError(`${fileName}: ${oneLine(problem)}`);
  if (view.length === 0) throw fail('empty file, not a TFLite model');
  if (view.length < 8) throw fail(`truncated flatbuffer (${view.length} bytes; a .tflite file has at least an 8-byte header)`);
  // TFLite Micro's GetModel never reads bytes 4-7: a flatbuffer written without the "TFL3"
  // identifier (padding or the root table's vtable there) or with another one runs all the same,
  // so it is read here too. Without the identifier nothing vouches for the format, so a file that
  // does not read as a version-3 model is refused as not a TFLite model at all.
  const identifier = String.fromCharCode(...view.subarray(4, 8));
  const found = /^[\x20-\x7e]{4}$/.test(identifier)
    ? `file identifier ${JSON.stringify(identifier)} instead of "${TFLITE_FILE_IDENTIFIER}",`
    : `no "${TFLITE_FILE_IDENTIFIER}" file identifier: bytes 4-7 are ${Array.from(view.subarray(4, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')};`;
  const notAModel = identifier === TFLITE_FILE_IDENTIFIER ? undefined : (why: string) => fail(`not a TFLite model (${found} and ${why})`);
  try {
    return new ModelReader(view, fileName, notAModel).read();
  } catch (e) {
    if (e instanceof TinyforgeError) throw e;
    const detail = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    if (notAModel) throw notAModel(`the bytes do not read as a TFLite flatbuffer: ${detail}`);
    if (e instanceof FlatbufferBoundsError) throw fail(`truncated or corrupt flatbuffer (${detail})`);
    throw fail(`corrupt flatbuffer (${detail})`);
  }
}

/** The file subgraph indices an op calls: IF's then and else branches, WHILE's cond and body. */
export function calledSubgraphIndices(op: Op): number[] {
  if (op.kind === 'IF') return [op.attrs.thenSubgraphIndex, op.attrs.elseSubgraphIndex].map(Number);
  if (op.kind === 'WHILE') return [op.attrs.condSubgraphIndex, op.attrs.bodySubgraphIndex].map(Number);
  return [];
}

/** Keeps a message on one line whatever names a (possibly corrupt) file holds. */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

class ModelReader {
  private readonly bb: CheckedByteBuffer;
  private readonly model: tfl.Model;
  /** buffer index -> its bytes, so tensors sharing a buffer share one array (the writer dedupes on it) */
  private readonly bufferData = new Map<number, Uint8Array | undefined>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
    /** set when the file lacks the "TFL3" identifier: the error for bytes that are no model */
    private readonly notAModel?: (why: string) => TinyforgeError,
  ) {
    this.bb = new CheckedByteBuffer(bytes);
    this.model = tfl.Model.getRootAsModel(this.bb);
  }

  private fail(problem: string): TinyforgeError {
    return new TinyforgeError(`${this.fileName}: ${oneLine(problem)}`);
  }

  read(): Graph {
    const version = this.model.version();
    if (version !== TFLITE_SCHEMA_VERSION && this.notAModel) throw this.notAModel(`its schema version reads as ${version}`);
    if (version !== TFLITE_SCHEMA_VERSION) throw this.fail(`schema version ${version} is not supported (expected ${TFLITE_SCHEMA_VERSION})`);
    const subgraphCount = this.model.subgraphsLength();
    if (subgraphCount === 0) throw this.fail('the model has no subgraphs');
    const subgraph = this.model.subgraphs(0);
    if (!subgraph) throw this.fail('corrupt flatbuffer (subgraph 0 is missing)');

    // RESOURCE tensors (resource variables) are placeholders until lowerResourceVariables
    const resources = resourceTensorIndices(subgraph);
    let tensors: Tensor[] = [];
    for (let i = 0; i < subgraph.tensorsLength(); i++) {
      tensors.push(resources.has(i) ? { index: i, name: subgraph.tensors(i)?.name() ?? '', shape: [], dtype: 'int32' } : this.readTensor(subgraph, i));
    }
    let ops: Op[] = [];
    for (let i = 0; i < subgraph.operatorsLength(); i++) ops.push(this.readOp(subgraph, i, tensors.length));
    // the subgraphs IF and WHILE call, each read as a graph of its own
    const called = this.readCalledSubgraphs(ops, subgraphCount);
    // more subgraphs are accepted only as those and as CALL_ONCE initialisation of resource variables
    if (subgraphCount > 1 || resources.size > 0) {
      ({ tensors, ops } = lowerResourceVariables({
        tensors,
        ops,
        resources,
        subgraphCount,
        called: new Set(Object.keys(called).map(Number)),
        readSubgraph: (k) => {
          const sub = this.model.subgraphs(k);
          if (!sub) throw this.fail(`corrupt flatbuffer (subgraph ${k} is missing)`);
          const subOps: Op[] = [];
          for (let i = 0; i < sub.operatorsLength(); i++) subOps.push(this.readOp(sub, i, sub.tensorsLength()));
          return { ops: subOps, tensor: (index) => this.readTensor(sub, index), resources: resourceTensorIndices(sub) };
        },
        fail: (problem) => this.fail(problem),
      }));
    }

    const graph: Graph = {
      name: cIdentifier(basename(this.fileName)),
      tensors,
      ops,
      inputs: this.tensorIndices('subgraph input', subgraph.inputsLength(), (k) => subgraph.inputs(k), tensors.length, false),
      outputs: this.tensorIndices('subgraph output', subgraph.outputsLength(), (k) => subgraph.outputs(k), tensors.length, false),
    };
    const description = this.model.description();
    if (description) graph.description = description;
    if (Object.keys(called).length > 0) graph.subgraphs = called;
    return graph;
  }

  /**
   * The subgraphs the IF and WHILE ops of subgraph 0 call, and those their ops call in turn, by file
   * index (subgraph 0, the main graph, is not among them). A recursive call is read as written: the
   * calling op refuses it when the model compiles (common/families/subgraph_call.ts).
   */
  private readCalledSubgraphs(ops: readonly Op[], subgraphCount: number): Record<number, Graph> {
    const graphs: Record<number, Graph> = {};
    const visit = (callerOps: readonly Op[], caller: number) => {
      for (const op of callerOps) {
        for (const k of calledSubgraphIndices(op)) {
          if (!Number.isInteger(k) || k < 0 || k >= subgraphCount) {
            throw this.fail(`op ${op.index} (${op.kind}) of subgraph ${caller} calls subgraph ${k}, which does not exist (${subgraphCount} subgraphs)`);
          }
          if (k === 0 || graphs[k]) continue;
          graphs[k] = this.readSubgraphGraph(k, graphs);
          visit(graphs[k].ops, k);
        }
      }
    };
    visit(ops, 0);
    return graphs;
  }

  private readSubgraphGraph(k: number, all: Record<number, Graph>): Graph {
    const sub = this.model.subgraphs(k);
    if (!sub) throw this.fail(`corrupt flatbuffer (subgraph ${k} is missing)`);
    if (resourceTensorIndices(sub).size > 0) throw this.fail(`subgraph ${k} holds RESOURCE tensors; resource variables are supported in subgraph 0 only`);
    const tensors: Tensor[] = [];
    for (let i = 0; i < sub.tensorsLength(); i++) tensors.push(this.readTensor(sub, i));
    const ops: Op[] = [];
    for (let i = 0; i < sub.operatorsLength(); i++) ops.push(this.readOp(sub, i, tensors.length));
    return {
      name: `${cIdentifier(basename(this.fileName))}_subgraph${k}`,
      tensors,
      ops,
      inputs: this.tensorIndices(`subgraph ${k} input`, sub.inputsLength(), (i) => sub.inputs(i), tensors.length, false),
      outputs: this.tensorIndices(`subgraph ${k} output`, sub.outputsLength(), (i) => sub.outputs(i), tensors.length, false),
      subgraphs: all,
    };
  }

  private readTensor(subgraph: tfl.SubGraph, index: number): Tensor {
    const t = subgraph.tensors(index);
    if (!t) throw this.fail(`corrupt flatbuffer (tensor ${index} is missing)`);
    const name = t.name() ?? '';
    const where = `tensor ${index} '${name}'`;
    const shape: number[] = [];
    for (let k = 0; k < t.shapeLength(); k++) {
      const dim = t.shape(k)!;
      if (dim < 0) throw this.fail(`${where}: negative dimension ${dim} in shape (dynamic shapes are unsupported)`);
      shape.push(dim);
    }
    const int4 = t.type() === tfl.TensorType.INT4;
    const dtype = int4 ? 'int8' : dtypeOf(t.type());
    if (!dtype) throw this.fail(`${where}: tensor type ${tensorTypeName(t.type())} is not supported`);
    if (t.sparsity()) throw this.fail(`${where}: sparse tensors are not supported`);

    const tensor: Tensor = { index, name, shape, dtype };
    const signature: number[] = [];
    for (let k = 0; k < t.shapeSignatureLength(); k++) signature.push(t.shapeSignature(k)!);
    // kept only when it marks a dynamic dimension: the graph passes decide whether that is acceptable
    if (signature.some((d) => d < 0)) tensor.shapeSignature = signature;
    const quant = this.readQuantization(t, where);
    if (quant) tensor.quant = quant;

    const bufferIndex = t.buffer();
    const bufferCount = this.model.buffersLength();
    if (bufferIndex !== 0 && bufferIndex >= bufferCount) {
      throw this.fail(`${where}: buffer index ${bufferIndex} is out of range (${bufferCount} buffers)`);
    }
    const stored = bufferIndex === 0 ? undefined : this.readBuffer(bufferIndex);
    if (int4 && !stored) throw this.fail(`${where}: INT4 tensors are supported only as constants (weights)`);
    let data = stored;
    if (int4 && stored) {
      const count = elementCount(shape);
      if (stored.length !== Math.ceil(count / 2)) {
        throw this.fail(`${where}: buffer ${bufferIndex} holds ${stored.length} bytes, but INT4[${shape.join(',')}] needs ${Math.ceil(count / 2)}`);
      }
      data = unpackInt4(stored, count);
      tensor.storageBits = 4;
    }
    if (data) {
      const expected = byteSize(tensor);
      if (data.length !== expected) {
        throw this.fail(`${where}: buffer ${bufferIndex} holds ${data.length} bytes, but ${dtype}[${shape.join(',')}] needs ${expected}`);
      }
      tensor.data = data;
    }
    if (t.isVariable()) tensor.isVariable = true;
    return tensor;
  }

  /** Affine quantization, or undefined when the tensor has no scales (absent or empty). */
  private readQuantization(t: tfl.Tensor, where: string): Quantization | undefined {
    const q = t.quantization();
    if (!q || q.scaleLength() === 0) return undefined;
    const scale: number[] = [];
    for (let k = 0; k < q.scaleLength(); k++) scale.push(q.scale(k)!);
    const zeroPoint: number[] = [];
    for (let k = 0; k < q.zeroPointLength(); k++) zeroPoint.push(Number(q.zeroPoint(k)!));
    // TFLite Micro reads zero_point[channel] wherever it reads a scale: a missing vector is no implicit 0
    if (zeroPoint.length === 0 && scale.length > 0) throw this.fail(`${where}: ${scale.length} quantization scales but no zero points`);
    if (zeroPoint.length !== scale.length) {
      throw this.fail(`${where}: ${scale.length} quantization scales but ${zeroPoint.length} zero points`);
    }
    // The axis is kept as written, unchecked: the converter gives per-channel biases (rank 1) the
    // filter's quantized dimension (3 for depthwise), which TFLite ignores.
    return { scale, zeroPoint, axis: q.quantizedDimension() };
  }

  /** The bytes of buffer `index` (copied), or undefined if it holds none. */
  private readBuffer(index: number): Uint8Array | undefined {
    if (this.bufferData.has(index)) return this.bufferData.get(index);
    const buffer = this.model.buffers(index);
    if (!buffer) throw this.fail(`corrupt flatbuffer (buffer ${index} is missing)`);
    let data: Uint8Array | undefined;
    const field = this.bb.__offset(buffer.bb_pos, 4);
    if (field) {
      const { start, length } = this.bb.vectorExtent(buffer.bb_pos + field, 1);
      if (length > 0) data = this.bytes.slice(start, start + length);
    } else if (buffer.offset() > 1n) {
      // models over 2 GiB keep buffers after the flatbuffer, addressed from the start of the file
      const start = buffer.offset();
      const end = start + buffer.size();
      if (end > BigInt(this.bytes.length)) throw this.fail(`buffer ${index} (bytes ${start}..${end}) lies past the end of the ${this.bytes.length}-byte file`);
      if (end > start) data = this.bytes.slice(Number(start), Number(end));
    }
    this.bufferData.set(index, data);
    return data;
  }

  private readOp(subgraph: tfl.SubGraph, index: number, tensorCount: number): Op {
    const op = subgraph.operators(index);
    if (!op) throw this.fail(`corrupt flatbuffer (operator ${index} is missing)`);
    const codeIndex = op.opcodeIndex();
    const codeCount = this.model.operatorCodesLength();
    if (codeIndex >= codeCount) throw this.fail(`op ${index}: opcode index ${codeIndex} is out of range (${codeCount} operator codes)`);
    const code = this.model.operatorCodes(codeIndex);
    if (!code) throw this.fail(`corrupt flatbuffer (operator code ${codeIndex} is missing)`);
    // files from before the 32-bit field only set the byte one; newer ones set both (byte saturated at 127)
    const kind = opKindOf(Math.max(code.deprecatedBuiltinCode(), code.builtinCode()), code.customCode());
    const where = `op ${index} (${kind})`;

    const inputs = this.tensorIndices(`${where} input`, op.inputsLength(), (k) => op.inputs(k), tensorCount, true);
    const outputs = this.tensorIndices(`${where} output`, op.outputsLength(), (k) => op.outputs(k), tensorCount, false);
    let attrs: OpAttrs;
    try {
      attrs = this.readOptions(op, kind);
    } catch (e) {
      if (e instanceof OptionsError) throw this.fail(`${where}: ${e.message}`);
      throw e;
    }
    const customField = this.bb.__offset(op.bb_pos, 14);
    if (customField) {
      const { start, length } = this.bb.vectorExtent(op.bb_pos + customField, 1);
      if (length > 0) attrs.customOptions = this.bytes.slice(start, start + length);
    }
    if (op.intermediatesLength() > 0) {
      attrs.intermediates = this.tensorIndices(`${where} intermediate`, op.intermediatesLength(), (k) => op.intermediates(k), tensorCount, false);
    }
    return { index, kind, inputs, outputs, attrs };
  }

  /** The op's builtin options as IR attributes: from the file, or the table's defaults if absent. */
  private readOptions(op: tfl.Operator, kind: string): OpAttrs {
    const slot = optionsSlotOf(kind);
    if (!slot) return {};
    const fileTag: number = slot.union === 1 ? op.builtinOptionsType() : op.builtinOptions2Type();
    const names: Record<number, string> = slot.union === 1 ? tfl.BuiltinOptions : tfl.BuiltinOptions2;
    let unpacked: object | null = null;
    if (fileTag === slot.tag) {
      const table =
        slot.union === 1 ? tfl.unionToBuiltinOptions(fileTag, op.builtinOptions.bind(op)) : tfl.unionToBuiltinOptions2(fileTag, op.builtinOptions2.bind(op));
      unpacked = table?.unpack() ?? null;
    } else if (fileTag !== 0) {
      throw new OptionsError(`carries ${names[fileTag] ?? `options type ${fileTag}`}, expected ${slot.table}`);
    }
    if (!unpacked) {
      const classes = tfl as unknown as Record<string, new () => object>;
      unpacked = new classes[`${slot.table}T`]!();
    }
    return optionsToAttrs(kind, unpacked);
  }

  private tensorIndices(what: string, count: number, at: (k: number) => number | null, tensorCount: number, optional: boolean): number[] {
    const indices: number[] = [];
    for (let k = 0; k < count; k++) {
      const i = at(k)!;
      if (!((i >= 0 && i < tensorCount) || (optional && i === -1))) {
        throw this.fail(`${what} ${k}: tensor index ${i} is out of range (${tensorCount} tensors)`);
      }
      indices.push(i);
    }
    return indices;
  }
}
