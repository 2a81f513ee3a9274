// SPDX-License-Identifier: Apache-2.0
/**
 * Mutations of a `.tflite` for input fuzzing (docs/fuzzing.md): structural ones through the flatbuffers
 * object API (a field of the model changed and the file written again, so the result is a
 * well-formed flatbuffer saying something wrong) and byte-wise ones (the bytes themselves: offsets,
 * lengths and vector sizes go wrong). Each mutation names its class, so a campaign reports per class.
 */
import * as flatbuffers from 'flatbuffers';
import * as tfl from '../../../src/core/model/tflite/generated/schema_generated.ts';

export type Rand = () => number;

/** The mutation classes, structural first. */
export const MUTATION_CLASSES = [
  'shape',
  'dtype',
  'buffer-index',
  'buffer-data',
  'quant-scale',
  'quant-zero-point',
  'quant-vector',
  'op-index',
  'op-tensors',
  'opcode',
  'options',
  'io',
  'names',
  'bytes-flip',
  'bytes-word',
  'bytes-truncate',
  'bytes-splice',
] as const;
export type MutationClass = (typeof MUTATION_CLASSES)[number];

export interface Mutant {
  bytes: Uint8Array;
  mutation: MutationClass;
  /** what was changed, for the reproducer's name and the report */
  detail: string;
}

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Dimension values at the edges: zero, negative, one, huge, overflowing products. */
const EDGY_DIMS = [0, -1, 1, 2, 3, 7, 255, 16384, 65536, 0x7fffffff, -0x80000000];
const EDGY_SCALES = [0, -1, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-30, 1e-12, 1e10, 1e38, 3.4e38, 5e-324];
const EDGY_ZERO_POINTS = [-129n, 128n, 255n, 256n, -32769n, 32768n, -4_600_000_000_000_000_000n, 9_223_372_036_854_775_807n, -1n, 0n];
const HOSTILE_NAMES = [
  '*/ #error injected /*',
  '\n#include "/etc/passwd"\n',
  '"quoted\\"',
  'back\\slash\\',
  '$(touch /tmp/x)',
  '</script><b>',
  '\u001b[31mred\u0007',
  'nul\u0000byte',
  '',
  'x'.repeat(5000),
];

function tensorsOf(model: tfl.ModelT): tfl.TensorT[] {
  return model.subgraphs.flatMap((s) => s.tensors);
}

/** One structural change to the unpacked model; false when the model has nothing of that kind. */
function mutateStructure(model: tfl.ModelT, mutation: MutationClass, rand: Rand): string | false {
  const graph = model.subgraphs[0];
  const tensors = tensorsOf(model);
  const ops = model.subgraphs.flatMap((s) => s.operators);
  const tensor = tensors.length ? pick(rand, tensors) : undefined;
  const tensorCount = graph?.tensors.length ?? 0;
  switch (mutation) {
    case 'shape': {
      if (!tensor) return false;
      const r = rand();
      if (r < 0.15) tensor.shape.push(pick(rand, [1, 2, 0, 7]));
      else if (r < 0.3 && tensor.shape.length) tensor.shape.pop();
      else if (tensor.shape.length) tensor.shape[int(rand, 0, tensor.shape.length - 1)] = rand() < 0.7 ? pick(rand, EDGY_DIMS) : int(rand, 0, 64);
      else tensor.shape = [pick(rand, EDGY_DIMS)];
      return `tensor ${tensors.indexOf(tensor)} shape [${tensor.shape.join(',')}]`;
    }
    case 'dtype':
      if (!tensor) return false;
      tensor.type = int(rand, 0, 20);
      return `tensor ${tensors.indexOf(tensor)} type ${tensor.type}`;
    case 'buffer-index':
      if (!tensor) return false;
      tensor.buffer = pick(rand, [0, -1, model.buffers.length, model.buffers.length + 5, int(rand, 0, Math.max(0, model.buffers.length - 1)), 0x7fffffff]);
      return `tensor ${tensors.indexOf(tensor)} buffer ${tensor.buffer}`;
    case 'buffer-data': {
      const withData = model.buffers.filter((b) => b.data.length > 0);
      if (!withData.length) return false;
      const b = pick(rand, withData);
      const r = rand();
      if (r < 0.4) b.data = b.data.slice(0, int(rand, 0, b.data.length - 1));
      else if (r < 0.6) b.data = [...b.data, ...new Array(int(rand, 1, 64)).fill(0x7f)];
      else for (let i = 0; i < 1 + b.data.length / 50; i++) b.data[int(rand, 0, b.data.length - 1)] = int(rand, 0, 255);
      return `buffer ${model.buffers.indexOf(b)} data ${b.data.length} B`;
    }
    case 'quant-scale':
    case 'quant-zero-point':
    case 'quant-vector': {
      const quantized = tensors.filter((t) => t.quantization && t.quantization.scale.length > 0);
      const t = quantized.length ? pick(rand, quantized) : tensor;
      if (!t) return false;
      const q = (t.quantization ??= new tfl.QuantizationParametersT());
      if (mutation === 'quant-scale') {
        if (!q.scale.length) q.scale.push(1);
        q.scale[int(rand, 0, q.scale.length - 1)] = pick(rand, EDGY_SCALES);
      } else if (mutation === 'quant-zero-point') {
        if (!q.zeroPoint.length) q.zeroPoint.push(0n);
        q.zeroPoint[int(rand, 0, q.zeroPoint.length - 1)] = pick(rand, EDGY_ZERO_POINTS);
      } else {
        const r = rand();
        if (r < 0.3) q.scale = q.scale.concat(q.scale.length ? q.scale : [0.5]);
        else if (r < 0.5) q.zeroPoint = q.zeroPoint.slice(0, Math.max(0, q.zeroPoint.length - 1));
        else if (r < 0.7) q.scale = [];
        else q.quantizedDimension = pick(rand, [-1, 1, 2, 3, 4, 100]);
      }
      return `tensor ${tensors.indexOf(t)} quantization scale [${q.scale.slice(0, 3).join(',')}${q.scale.length > 3 ? ',...' : ''}] zp [${q.zeroPoint.slice(0, 3).join(',')}] dim ${q.quantizedDimension}`;
    }
    case 'op-index': {
      if (!ops.length) return false;
      const op = pick(rand, ops);
      op.opcodeIndex = pick(rand, [
        model.operatorCodes.length,
        model.operatorCodes.length + 3,
        0xffff,
        int(rand, 0, Math.max(0, model.operatorCodes.length - 1)),
      ]);
      return `op ${ops.indexOf(op)} opcode index ${op.opcodeIndex}`;
    }
    case 'op-tensors': {
      if (!ops.length) return false;
      const op = pick(rand, ops);
      const list = rand() < 0.6 ? op.inputs : op.outputs;
      const r = rand();
      if (r < 0.5 && list.length)
        list[int(rand, 0, list.length - 1)] = pick(rand, [-1, -2, tensorCount, tensorCount + 10, int(rand, 0, Math.max(0, tensorCount - 1))]);
      else if (r < 0.75 && list.length) list.pop();
      else list.push(int(rand, -1, tensorCount));
      return `op ${ops.indexOf(op)} inputs [${op.inputs.join(',')}] outputs [${op.outputs.join(',')}]`;
    }
    case 'opcode': {
      if (!model.operatorCodes.length) return false;
      const code = pick(rand, model.operatorCodes);
      const r = rand();
      if (r < 0.5) {
        code.builtinCode = int(rand, 0, 210);
        code.deprecatedBuiltinCode = Math.min(127, code.builtinCode);
      } else if (r < 0.7) code.deprecatedBuiltinCode = int(rand, 0, 127);
      else code.version = pick(rand, [0, -1, 99]);
      return `opcode ${model.operatorCodes.indexOf(code)} builtin ${code.builtinCode}/${code.deprecatedBuiltinCode} v${code.version}`;
    }
    case 'options': {
      const withOptions = ops.filter((o) => o.builtinOptions);
      if (!withOptions.length) return false;
      const op = pick(rand, withOptions);
      const options = op.builtinOptions as unknown as Record<string, unknown>;
      const numeric = Object.keys(options).filter((k) => typeof options[k] === 'number' || typeof options[k] === 'boolean');
      if (!numeric.length || rand() < 0.1) {
        op.builtinOptionsType = int(rand, 0, 126);
        return `op ${ops.indexOf(op)} options type ${op.builtinOptionsType}`;
      }
      const key = pick(rand, numeric);
      options[key] = typeof options[key] === 'boolean' ? !options[key] : pick(rand, [0, -1, 2, 3, 7, 100, 0x7fffffff, -0x80000000, int(rand, 0, 10)]);
      return `op ${ops.indexOf(op)} ${key} = ${String(options[key])}`;
    }
    case 'io': {
      if (!graph) return false;
      const list = rand() < 0.5 ? graph.inputs : graph.outputs;
      const r = rand();
      if (r < 0.4 && list.length) list[int(rand, 0, list.length - 1)] = pick(rand, [-1, tensorCount, int(rand, 0, Math.max(0, tensorCount - 1))]);
      else if (r < 0.7) list.length = 0;
      else list.push(int(rand, 0, Math.max(0, tensorCount - 1)));
      return `inputs [${graph.inputs.join(',')}] outputs [${graph.outputs.join(',')}]`;
    }
    case 'names': {
      const name = pick(rand, HOSTILE_NAMES);
      const r = rand();
      if (r < 0.6 && tensor) tensor.name = name;
      else if (r < 0.8 && graph) graph.name = name;
      else model.description = name;
      return `name ${JSON.stringify(name.slice(0, 30))}`;
    }
    default:
      return false;
  }
}

/** Byte-level damage: bits flipped, 32-bit words overwritten with edge values, truncation, repeats. */
function mutateBytes(bytes: Uint8Array, mutation: MutationClass, rand: Rand): { bytes: Uint8Array; detail: string } {
  const out = new Uint8Array(bytes);
  switch (mutation) {
    case 'bytes-flip': {
      const n = int(rand, 1, 8);
      for (let i = 0; i < n; i++) out[int(rand, 0, out.length - 1)]! ^= 1 << int(rand, 0, 7);
      return { bytes: out, detail: `${n} bits flipped` };
    }
    case 'bytes-word': {
      // aligned words are where offsets, lengths and vector sizes live
      const at = int(rand, 0, Math.max(0, (out.length >> 2) - 1)) << 2;
      const value = pick(rand, [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, out.length, out.length - 4, out.length + 4, 0x10000, int(rand, 0, 0xffff)]);
      new DataView(out.buffer).setUint32(at, value >>> 0, true);
      return { bytes: out, detail: `word at ${at} = 0x${(value >>> 0).toString(16)}` };
    }
    case 'bytes-truncate': {
      const length = int(rand, 0, out.length - 1);
      return { bytes: out.slice(0, length), detail: `truncated to ${length} B` };
    }
    default: {
      const from = int(rand, 0, out.length - 1);
      const length = int(rand, 1, Math.min(256, out.length - from));
      const to = int(rand, 0, out.length - 1);
      const spliced = new Uint8Array(out.length + length);
      spliced.set(out.subarray(0, to));
      spliced.set(out.subarray(from, from + length), to);
      spliced.set(out.subarray(to), to + length);
      return { bytes: spliced, detail: `${length} B from ${from} repeated at ${to}` };
    }
  }
}

/**
 * Writes an unpacked model again. The object API writes every vector field, empty ones too; TFLite
 * Micro refuses a builtin operator whose custom_options is present even empty, so while packing an
 * empty custom_options is left out, as the converter leaves it out.
 */
function packModel(model: tfl.ModelT, sizeHint: number): Uint8Array {
  const original = tfl.Operator.createCustomOptionsVector;
  tfl.Operator.createCustomOptionsVector = (b: flatbuffers.Builder, data: number[] | Uint8Array) => (data.length ? original(b, data) : 0);
  try {
    const builder = new flatbuffers.Builder(sizeHint + 1024);
    builder.finish(model.pack(builder), 'TFL3');
    return builder.asUint8Array().slice();
  } finally {
    tfl.Operator.createCustomOptionsVector = original;
  }
}

/** One mutant of `seed` (a valid .tflite), of the given class or a random one. */
export function mutate(seed: Uint8Array, rand: Rand, mutation: MutationClass = pick(rand, MUTATION_CLASSES)): Mutant {
  if (mutation.startsWith('bytes-')) {
    const { bytes, detail } = mutateBytes(seed, mutation, rand);
    return { bytes, mutation, detail };
  }
  const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(seed)).unpack();
  const detail = mutateStructure(model, mutation, rand);
  if (detail === false) return mutate(seed, rand, 'bytes-word');
  return { bytes: packModel(model, seed.length), mutation, detail };
}
