// SPDX-License-Identifier: Apache-2.0
/**
 * Graph inputs that are really constants (`--bind NAME=FILE`): ONNX's node tests, and some
 * exporters, feed scales and zero points as graph inputs. A bound input becomes an initializer of
 * the value in FILE before anything else reads the graph, so the importer, the QOperator rewrite
 * and the reference all see a constant, and the compiled model takes only the remaining inputs.
 *
 * FILE is a TensorProto (`.pb`, as ONNX's test data holds them), a NumPy array (`.npy`), or raw
 * little-endian bytes in the input's declared element type and shape (any other name).
 */
import { extname } from 'node:path';
import { TinyforgeError } from '../../errors.ts';
import { readNpyHeader } from '../npy.ts';
import { readUserFile } from '../read_file.ts';
import { type OnnxGraphProto, type OnnxTensorProto, type OnnxValueInfoProto, OnnxDataType, decodeTensorProto } from './schema.ts';
import { onnxTypeName } from './tensors.ts';

/** Graph inputs bound to constants: input name -> file (`.pb`, `.npy` or raw bytes). */
export type OnnxBindings = Readonly<Record<string, string>>;

/** The ONNX element type of each NumPy descriptor a bound `.npy` may hold. */
const ONNX_TYPE_OF_NPY: Record<string, number> = {
  '|i1': OnnxDataType.INT8,
  '|u1': OnnxDataType.UINT8,
  '<i2': OnnxDataType.INT16,
  '<u2': OnnxDataType.UINT16,
  '<i4': OnnxDataType.INT32,
  '<u4': OnnxDataType.UINT32,
  '<i8': OnnxDataType.INT64,
  '<f4': OnnxDataType.FLOAT,
  '<f8': OnnxDataType.DOUBLE,
  '|b1': OnnxDataType.BOOL,
};

/** Bytes per element of the ONNX element types a bound file may hold. */
const WIDTH: Partial<Record<number, number>> = {
  [OnnxDataType.INT8]: 1,
  [OnnxDataType.UINT8]: 1,
  [OnnxDataType.BOOL]: 1,
  [OnnxDataType.INT16]: 2,
  [OnnxDataType.UINT16]: 2,
  [OnnxDataType.INT32]: 4,
  [OnnxDataType.UINT32]: 4,
  [OnnxDataType.FLOAT]: 4,
  [OnnxDataType.INT64]: 8,
  [OnnxDataType.DOUBLE]: 8,
};

/** Parses `NAME=FILE` (the CLI's `--bind`): the name is everything before the first `=`. */
export function parseBinding(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new TinyforgeError(`--bind ${text}: expected NAME=FILE (a graph input's name and the file of its value)`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** `--bind` given several times, as one record; naming an input twice is refused. */
export function bindingsOf(texts: readonly string[]): OnnxBindings {
  const bindings: Record<string, string> = {};
  for (const text of texts) {
    const [name, file] = parseBinding(text);
    if (name in bindings) throw new TinyforgeError(`--bind ${name}: the input is bound twice (${bindings[name]} and ${file})`);
    bindings[name] = file;
  }
  return bindings;
}

/** The declared static shape of an input (a symbolic dimension counts as 1, as the importer runs it), or undefined. */
function declaredDims(input: OnnxValueInfoProto): number[] | undefined {
  const shape = input.type?.tensorType?.shape;
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d) => (d.dimValue !== undefined && Number(d.dimValue) > 0 ? Number(d.dimValue) : 1));
}

const squeezed = (dims: readonly number[]) => dims.filter((d) => d !== 1).join(',');
const count = (dims: readonly number[]) => dims.reduce((n, d) => n * d, 1);

/** The value of one bound input as a TensorProto named after it. */
function readBound(input: OnnxValueInfoProto, name: string, file: string, model: string): OnnxTensorProto {
  const fail = (problem: string) => new TinyforgeError(`${model}: --bind ${name}=${file}: ${problem}`);
  const declaredType = input.type?.tensorType?.elemType;
  const dims = declaredDims(input);
  const bytes = new Uint8Array(readUserFile(file, `value of input '${name}' (.pb, .npy or raw bytes)`));
  const ext = extname(file).toLowerCase();
  let tensor: OnnxTensorProto;
  if (ext === '.pb') {
    try {
      tensor = decodeTensorProto(bytes);
    } catch (e) {
      throw fail(`not an ONNX TensorProto (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
    }
    if (tensor.dataLocation === 1) throw fail('the TensorProto keeps its data in an external file');
    if (tensor.dataType === undefined || tensor.dataType === OnnxDataType.UNDEFINED) throw fail('the TensorProto has no element type');
  } else if (ext === '.npy') {
    const header = readNpyHeader(bytes, file);
    const type = ONNX_TYPE_OF_NPY[header.descr];
    if (type === undefined) throw fail(`.npy dtype ${header.descr} is not one ONNX takes here (int8, uint8, int16, int32, int64, float32, float64, bool)`);
    const size = count(header.shape) * WIDTH[type]!;
    if (header.start + size > bytes.length) throw fail(`truncated .npy data (expected ${size} bytes)`);
    tensor = { dims: header.shape, dataType: type, rawData: bytes.slice(header.start, header.start + size) };
  } else {
    // raw bytes: the input's declared type and shape say what they hold
    if (declaredType === undefined || WIDTH[declaredType] === undefined)
      throw fail(`raw bytes need the input's element type, and '${name}' is declared ${onnxTypeName(declaredType)}; give a .npy or .pb`);
    if (!dims) throw fail(`raw bytes need the input's shape, and '${name}' declares none; give a .npy or .pb`);
    const size = count(dims) * WIDTH[declaredType]!;
    if (bytes.length !== size)
      throw fail(`${bytes.length} bytes; '${name}' ([${dims.join(',')}] ${onnxTypeName(declaredType)}) takes ${size} (little-endian, C order)`);
    tensor = { dims, dataType: declaredType, rawData: bytes };
  }
  const fileDims = (tensor.dims ?? []).map(Number);
  if (declaredType !== undefined && declaredType !== OnnxDataType.UNDEFINED && tensor.dataType !== declaredType)
    throw fail(`the file holds ${onnxTypeName(tensor.dataType)}, the input is declared ${onnxTypeName(declaredType)}`);
  if (dims && (count(dims) !== count(fileDims) || squeezed(dims) !== squeezed(fileDims)))
    throw fail(`the file's shape [${fileDims.join(',')}] is not the input's [${dims.join(',')}]`);
  // the declared shape where there is one: the graph's other nodes were written against it
  return { ...tensor, name, dims: dims ?? fileDims };
}

/**
 * The graph with each bound input turned into an initializer of its file's value. Every name must
 * be a graph input that no initializer already feeds; `model` names the model file in errors.
 */
export function bindGraphInputs(graph: OnnxGraphProto, bindings: OnnxBindings | undefined, model: string): OnnxGraphProto {
  const names = Object.keys(bindings ?? {});
  if (names.length === 0) return graph;
  const initialized = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => i.name && !initialized.has(i.name));
  const bound: OnnxTensorProto[] = [];
  for (const name of names) {
    const input = inputs.find((i) => i.name === name);
    if (!input) {
      const why = initialized.has(name) ? 'is an initializer already, a constant' : 'is no graph input';
      throw new TinyforgeError(`${model}: --bind ${name}: '${name}' ${why} (the inputs: ${inputs.map((i) => i.name).join(', ') || 'none'})`);
    }
    bound.push(readBound(input, name, bindings![name]!, model));
  }
  const boundNames = new Set(names);
  return { ...graph, input: (graph.input ?? []).filter((i) => !boundNames.has(i.name ?? '')), initializer: [...(graph.initializer ?? []), ...bound] };
}
