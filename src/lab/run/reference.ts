// SPDX-License-Identifier: Apache-2.0
/**
 * Per-tensor reference dumps (docs/reference-dumps.md): a directory with `index.json` (one entry per
 * tensor: index, name, type, shape, scale, zero_point, bytes) and `<index>.bin` (the tensor's raw
 * little-endian bytes), as `tflm-ref --layers DIR` writes them (docs/reference-runtimes.md), or any other tool.
 * Reading checks the format and matches every entry to a tensor of the model file: by index, and
 * where that fails by name. Every problem is one TinyforgeError line naming the file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { readUserFile } from '../../core/model/read_file.ts';
import { DTYPE_BYTES, type DType, type Graph, type Tensor, elementCount } from '../../core/ir/graph.ts';

/** Type names a dump may use (TFLite's, any case; `float` and `int` spellings included). */
const TYPE_NAMES: Record<string, DType> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  float32: 'float32',
  float: 'float32',
  bool: 'bool',
};

export interface ReferenceTensor {
  index: number;
  name: string;
  /** the type as the dump spells it */
  type: string;
  /** null for a type tinyforge has no counterpart for (string, resource, float16, ...) */
  dtype: DType | null;
  shape: number[];
  scale: number;
  zeroPoint: number;
  /** the `.bin` file */
  file: string;
  data: Uint8Array;
}

export interface ReferenceDump {
  dir: string;
  indexFile: string;
  tensors: ReferenceTensor[];
}

/** A reference entry matched to a tensor of the model file. */
export interface MatchedReference {
  ref: ReferenceTensor;
  /** the model file's tensor index */
  tensor: number;
  by: 'index' | 'name';
}

export function readReferenceDump(dir: string): ReferenceDump {
  if (!existsSync(dir)) throw new TinyforgeError(`${dir}: no such reference directory`);
  if (!statSync(dir).isDirectory()) throw new TinyforgeError(`${dir}: not a directory (a reference dump is a directory with index.json and <index>.bin files)`);
  const indexFile = join(dir, 'index.json');
  if (!existsSync(indexFile)) throw new TinyforgeError(`${indexFile}: not found (a reference dump has index.json and one <index>.bin per tensor)`);
  let json: unknown;
  try {
    json = JSON.parse(readUserFile(indexFile, 'reference index (index.json)', 64 * 1024 * 1024).toString('utf8'));
  } catch (e) {
    if (e instanceof TinyforgeError) throw e;
    throw new TinyforgeError(`${indexFile}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(json)) throw new TinyforgeError(`${indexFile}: expected a JSON array of tensor entries, got ${json === null ? 'null' : typeof json}`);
  if (json.length === 0) throw new TinyforgeError(`${indexFile}: no tensor entries`);
  const seen = new Set<number>();
  const tensors = json.map((entry: unknown, position): ReferenceTensor => {
    const where = `${indexFile}: entry ${position}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new TinyforgeError(`${where}: expected an object`);
    const e = entry as Record<string, unknown>;
    const index = e.index;
    if (!Number.isInteger(index) || (index as number) < 0) throw new TinyforgeError(`${where}: "index" must be a non-negative integer`);
    const at = `${indexFile}: entry ${position} (tensor ${index})`;
    if (seen.has(index as number)) throw new TinyforgeError(`${at}: tensor ${index} is listed twice`);
    seen.add(index as number);
    const name = e.name ?? '';
    if (typeof name !== 'string') throw new TinyforgeError(`${at}: "name" must be a string`);
    if (typeof e.type !== 'string' || e.type === '') throw new TinyforgeError(`${at}: "type" must be a type name such as "int8"`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new TinyforgeError(`${at}: "shape" must be a list of non-negative integers`);
    const bytes = e.bytes;
    if (!Number.isInteger(bytes) || (bytes as number) < 0) throw new TinyforgeError(`${at}: "bytes" must be a non-negative integer`);
    const scale = e.scale ?? 0;
    if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new TinyforgeError(`${at}: "scale" must be a number`);
    const zeroPoint = e.zero_point ?? 0;
    if (!Number.isInteger(zeroPoint)) throw new TinyforgeError(`${at}: "zero_point" must be an integer`);
    const dtype = TYPE_NAMES[e.type.toLowerCase()] ?? null;
    if (dtype && elementCount(shape) * DTYPE_BYTES[dtype] !== bytes) {
      throw new TinyforgeError(`${at}: "bytes" is ${bytes}, but ${e.type} [${shape.join(',')}] takes ${elementCount(shape) * DTYPE_BYTES[dtype]}`);
    }
    const file = join(dir, `${index}.bin`);
    if (!existsSync(file)) throw new TinyforgeError(`${file}: not found (index.json lists tensor ${index} "${name}")`);
    const data = new Uint8Array(readUserFile(file, 'reference tensor (<index>.bin)'));
    if (data.length !== bytes) {
      throw new TinyforgeError(`${file}: ${data.length} bytes, index.json says tensor ${index} "${name}" (${e.type} [${shape.join(',')}]) has ${bytes}`);
    }
    return { index: index as number, name, type: e.type, dtype, shape: shape as number[], scale, zeroPoint: zeroPoint as number, file, data };
  });
  return { dir, indexFile, tensors };
}

function squeeze(shape: readonly number[]): string {
  return shape.filter((d) => d !== 1).join(',');
}

/** The same tensor, as far as a dump can tell: type, shape (up to dimensions of 1) and quantization. */
function sameTensor(t: Tensor, ref: ReferenceTensor): boolean {
  if (ref.dtype !== t.dtype) return false;
  if (elementCount(t.shape) !== elementCount(ref.shape) || squeeze(t.shape) !== squeeze(ref.shape)) return false;
  const q = t.quant;
  if (q && ref.scale !== 0) {
    // dumps print scales with float32 precision at best
    if (Math.abs(q.scale[0]! - ref.scale) > 1e-5 * Math.abs(q.scale[0]!)) return false;
    if (q.zeroPoint[0] !== ref.zeroPoint) return false;
  }
  return true;
}

/**
 * Matches every entry of the dump to a tensor of the model file: at the same index (same type and
 * shape, and the same name where both have one), else the one tensor of that name. An entry that
 * matches neither means the dump is not of this model.
 */
export function matchReference(graph: Graph, dump: ReferenceDump, modelLabel: string): MatchedReference[] {
  const byName = new Map<string, Tensor[]>();
  for (const t of graph.tensors) if (t.name) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const taken = new Map<number, ReferenceTensor>();
  return dump.tensors.map((ref) => {
    const atIndex = graph.tensors[ref.index];
    let match: MatchedReference | undefined;
    if (atIndex && sameTensor(atIndex, ref) && (!ref.name || !atIndex.name || ref.name === atIndex.name)) match = { ref, tensor: ref.index, by: 'index' };
    else {
      const named = (byName.get(ref.name) ?? []).filter((t) => sameTensor(t, ref));
      if (ref.name && named.length === 1) match = { ref, tensor: named[0]!.index, by: 'name' };
    }
    if (!match) {
      const found = atIndex
        ? `; the model's tensor ${ref.index} is "${atIndex.name}" ${atIndex.dtype} [${atIndex.shape.join(',')}]`
        : `; the model has ${graph.tensors.length} tensors`;
      throw new TinyforgeError(
        `${dump.indexFile}: tensor ${ref.index} "${ref.name}" ${ref.type} [${ref.shape.join(',')}] is not a tensor of ${modelLabel} by index or by name${found}: is the reference from another model?`,
      );
    }
    const other = taken.get(match.tensor);
    if (other)
      throw new TinyforgeError(
        `${dump.indexFile}: tensors ${other.index} and ${ref.index} both match the model's tensor ${match.tensor} "${graph.tensors[match.tensor]!.name}"`,
      );
    taken.set(match.tensor, ref);
    return match;
  });
}
