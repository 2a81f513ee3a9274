// SPDX-License-Identifier: Apache-2.0
/**
 * Every kind of bad path, file, model and argument a user can give, with what tinyforge must answer:
 * one `error:` line saying this, a non-zero exit, nothing written. errors.test.ts runs the table and
 * writes docs/errors.md from it (so the page and the behaviour cannot drift apart).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { lstmGraph } from '../helpers/lstm_cases.ts';

export interface BadInputCase {
  /** the section of docs/errors.md */
  group: 'model file' | 'model contents' | 'inputs' | 'options and ports';
  /** what is wrong, as docs/errors.md says it */
  what: string;
  /** the command line, with the case's files named as docs/errors.md shows them */
  args: string[];
  /** what the error line says (a piece of it, as docs/errors.md quotes it) */
  says: string;
  /** the exit status (default 1) */
  exit?: number;
  /** why the case cannot run here (e.g. as root every file is readable), or undefined */
  unavailable?: () => string | undefined;
  /** what TensorFlow Lite Micro does with the same thing: docs/errors.md's last column (model and input cases) */
  tflm?: string;
  /**
   * The case's model file as TFLite Micro sees it: errors.test.ts runs it through tflm-ref (or
   * replays its recorded answer) and checks that TFLite Micro refuses it, or runs it, as `tflm` says.
   */
  tflmModel?: { file: string; refuses: boolean };
}

/** The file cases' TFLite Micro column: it reads no files (the application hands it the model's bytes). */
const NO_FILES = 'reads no files: the application hands it the model as bytes in memory';
/** The input cases' TFLite Micro column. */
const NO_INPUT_FILES = "reads no input files: the application writes the input tensor's bytes";

/** A one-op int8 model: RELU on int8[1,n]. */
function reluModel(n = 4, name = 'relu'): Graph {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [1, n], q: { scale: 0.1, zeroPoint: 0 }, name: 'input' });
  const [y] = b.op('RELU', [x], [{ shape: [1, n], q: { scale: 0.1, zeroPoint: 0 }, name: 'output' }]);
  b.output(y!);
  return b.build();
}

/** RELU with one tensor's quantization or shape replaced. */
function reluWith(change: (g: Graph) => void): Graph {
  const g = reluModel();
  change(g);
  return g;
}

/** FULLY_CONNECTED 4 -> 3 with per-channel weight scales. */
function fcModel(weightScales: number[]): Graph {
  const b = new GraphBuilder('fc');
  const x = b.input({ shape: [1, 4], q: { scale: 0.1, zeroPoint: 0 }, name: 'input' });
  const zeros = weightScales.map(() => 0);
  const w = b.constant(
    { shape: [3, 4], quant: { scale: weightScales, zeroPoint: zeros, axis: 0 }, name: 'weights' },
    Int8Array.from({ length: 12 }, (_, i) => i - 6),
  );
  const bias = b.constant(
    { shape: [3], dtype: 'int32', quant: { scale: weightScales.map((s) => s * 0.1), zeroPoint: zeros, axis: 0 }, name: 'bias' },
    Int32Array.from([1, 2, 3]),
  );
  const [y] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, 3], q: { scale: 0.05, zeroPoint: 0 }, name: 'output' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(y!);
  return b.build();
}

/** FULLY_CONNECTED 16x8 (int16 input, int8 weights, int64 bias) whose second channel's bias is `bias`. */
export function fc16Model(bias: bigint): Graph {
  const b = new GraphBuilder('fc16');
  const x = b.input({ shape: [1, 4], dtype: 'int16', q: { scale: 0.001, zeroPoint: 0 }, name: 'x' });
  const w = b.constant({ shape: [2, 4], q: { scale: 0.01, zeroPoint: 0 }, name: 'w' }, Int8Array.from([1, 2, 3, 4, -1, -2, -3, -4]));
  const bb = b.constant({ shape: [2], dtype: 'int64', quant: { scale: [1e-5], zeroPoint: [0], axis: 0 }, name: 'b' }, BigInt64Array.from([5n, bias]));
  const [y] = b.op('FULLY_CONNECTED', [x, w, bb], [{ shape: [1, 2], dtype: 'int16', q: { scale: 0.002, zeroPoint: 0 }, name: 'y' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(y!);
  return b.build();
}

/** FULLY_CONNECTED int8 64 -> 1 with weights of 127 and an int32 bias of `bias`. */
function fcBiasModel(bias: number): Graph {
  const b = new GraphBuilder('fc_bias');
  const x = b.input({ shape: [1, 64], q: { scale: 0.1, zeroPoint: 0 }, name: 'x' });
  const w = b.constant({ shape: [1, 64], q: { scale: 0.01, zeroPoint: 0 }, name: 'w' }, new Int8Array(64).fill(127));
  const bb = b.constant({ shape: [1], dtype: 'int32', q: { scale: 0.001, zeroPoint: 0 }, name: 'b' }, Int32Array.from([bias]));
  const [y] = b.op('FULLY_CONNECTED', [x, w, bb], [{ shape: [1, 1], q: { scale: 1e6, zeroPoint: 0 }, name: 'y' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(y!);
  return b.build();
}

/** Two RELUs x -> y -> z, changed by `change`. */
export function reluChain(change: (g: Graph) => void = () => {}): Graph {
  const b = new GraphBuilder('chain');
  const x = b.input({ shape: [1, 4], q: { scale: 0.1, zeroPoint: 0 }, name: 'x' });
  const [y] = b.op('RELU', [x], [{ shape: [1, 4], q: { scale: 0.1, zeroPoint: 0 }, name: 'y' }]);
  const [z] = b.op('RELU', [y!], [{ shape: [1, 4], q: { scale: 0.1, zeroPoint: 0 }, name: 'z' }]);
  b.output(z!);
  const g = b.build();
  change(g);
  return g;
}

/** An int8 model with a float SIN between DEQUANTIZE and QUANTIZE. */
function floatIslandModel(): Graph {
  const q = { scale: 0.1, zeroPoint: 0 };
  const b = new GraphBuilder('island');
  const x = b.input({ shape: [1, 4], q, name: 'x' });
  const [f] = b.op('DEQUANTIZE', [x], [{ shape: [1, 4], dtype: 'float32' }]);
  const [g] = b.op('GELU', [f!], [{ shape: [1, 4], dtype: 'float32', name: 'gelu' }], { approximate: false });
  const [y] = b.op('QUANTIZE', [g!], [{ shape: [1, 4], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'y' }]);
  const [r] = b.op('RELU', [y!], [{ shape: [1, 4], q: { scale: 1 / 256, zeroPoint: -128 }, name: 'r' }]);
  b.output(r!);
  return b.build();
}

/** A .npy file of `values` as `descr` ('<i4', '<f8', ...). */
function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** The files the cases name, made in `dir`: each case's args use these names relative to `dir`. */
export function makeBadInputFiles(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const model = (name: string, g: Graph) => writeFileSync(join(dir, name), writeTflite(g));
  model('model.tflite', reluModel());
  mkdirSync(join(dir, 'folder.tflite'));
  try {
    execFileSync('mkfifo', [join(dir, 'fifo.tflite'), join(dir, 'fifo.bin')]);
  } catch {
    // no mkfifo: the FIFO cases say so
  }
  symlinkSync('/dev/zero', join(dir, 'zero.tflite'));
  writeFileSync(join(dir, 'locked.tflite'), writeTflite(reluModel()));
  chmodSync(join(dir, 'locked.tflite'), 0o000);
  // sparse: 600 MiB that take no disk
  writeFileSync(join(dir, 'huge.tflite'), '');
  truncateSync(join(dir, 'huge.tflite'), 600 * 1024 * 1024);
  writeFileSync(join(dir, 'empty.tflite'), '');
  writeFileSync(join(dir, 'text.tflite'), 'not a model, just some text\n');
  writeFileSync(join(dir, 'zeros.tflite'), new Uint8Array(64));
  writeFileSync(join(dir, 'model.onnx'), writeTflite(reluModel()));
  writeFileSync(join(dir, 'model.pb'), writeTflite(reluModel()));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }));
  model(
    'nan-scale.tflite',
    reluWith((g) => (g.tensors[0]!.quant!.scale = [Number.NaN])),
  );
  model(
    'zero-point.tflite',
    reluWith((g) => (g.tensors[1]!.quant!.zeroPoint = [300])),
  );
  model(
    'zero-size.tflite',
    reluWith((g) => g.tensors.forEach((t) => (t.shape = [1, 0]))),
  );
  model(
    '16384x16384.tflite',
    reluWith((g) => g.tensors.forEach((t) => (t.shape = [16384, 16384]))),
  );
  model('no-ops.tflite', { name: 'empty', tensors: [], ops: [], inputs: [], outputs: [] });
  model('fine-output-scale.tflite', fcModel([0.01, 1e10, 0.01]));
  model('40000.tflite', reluModel(40000));
  const inf = [Infinity, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01];
  model('lstm-infinite-scale.tflite', lstmGraph({ batches: 1, steps: 2, inputSize: 3, units: 2, wScales: inf }).graph);
  model('bias64.tflite', fc16Model(2n ** 62n));
  model('bias32.tflite', fcBiasModel(2_147_000_000));
  model(
    'later-write.tflite',
    reluChain((g) => (g.ops[0]!.inputs = [g.ops[1]!.outputs[0]!])),
  );
  model(
    'two-writers.tflite',
    reluWith((g) => g.ops.push({ ...g.ops[0]!, index: 1 })),
  );
  const variableWeights = fcModel([0.01, 0.01, 0.01]);
  variableWeights.tensors[1]!.isVariable = true;
  model('variable-weights.tflite', variableWeights);
  model('float-island.tflite', floatIslandModel());
  writeFileSync(join(dir, 'in-5-bytes.bin'), new Uint8Array(5));
  writeFileSync(join(dir, 'in-300.npy'), npy('<i4', [4], new Uint8Array(Int32Array.from([1, 2, 300, 4]).buffer)));
  writeFileSync(join(dir, 'in-f64.npy'), npy('<f8', [4], new Uint8Array(new Float64Array(4).buffer)));
  writeFileSync(join(dir, 'in-negative.npy'), npy('<i4', [-4], new Uint8Array(16)));
  writeFileSync(join(dir, 'in-nan.npy'), npy('<f4', [4], new Uint8Array(Float32Array.from([0, Number.NaN, 0, 0]).buffer)));
  writeFileSync(join(dir, 'notes.html'), '<p>my own notes</p>\n');
  mkdirSync(join(dir, 'project'));
  writeFileSync(join(dir, 'project', 'CMakeLists.txt'), 'project(mine)\n');
  // an Intel HEX image: 16 bytes at 0x08000000 (an STM32's flash)
  writeFileSync(join(dir, 'app.hex'), ':020000040800F2\n:10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n');
}

/** Whether a USB CMSIS-DAP probe could be opened here (the optional usb / node-hid packages). */
const usbPackageInstalled = (): string | undefined => {
  for (const name of ['usb', 'node-hid']) {
    try {
      import.meta.resolve(name);
      return `the '${name}' package is installed`;
    } catch {
      // not installed: the case runs
    }
  }
  return undefined;
};

const asRoot = () => (process.getuid?.() === 0 ? 'as root every file is readable' : undefined);

export const BAD_INPUT_CASES: BadInputCase[] = [
  { group: 'model file', what: 'no such file', args: ['inspect', 'missing.tflite'], says: 'missing.tflite: no such file', tflm: NO_FILES },
  {
    group: 'model file',
    what: 'a directory',
    args: ['compile', 'folder.tflite', '-o', 'out'],
    says: 'folder.tflite: is a directory, expected a model file',
    tflm: NO_FILES,
  },
  {
    group: 'model file',
    what: 'a FIFO (named pipe): never waited on',
    args: ['inspect', 'fifo.tflite'],
    says: 'fifo.tflite: is a FIFO (named pipe)',
    tflm: NO_FILES,
  },
  { group: 'model file', what: 'a device (a link to /dev/zero)', args: ['inspect', 'zero.tflite'], says: 'zero.tflite: is a character device', tflm: NO_FILES },
  {
    group: 'model file',
    what: 'no read permission',
    args: ['compile', 'locked.tflite', '-o', 'out'],
    says: 'locked.tflite: permission denied',
    unavailable: asRoot,
    tflm: NO_FILES,
  },
  {
    group: 'model file',
    what: 'a file over 512 MiB: refused before reading',
    args: ['inspect', 'huge.tflite'],
    says: 'huge.tflite: 600.0 MiB, more than tinyforge reads for a model file',
    tflm: NO_FILES,
  },
  {
    group: 'model file',
    what: 'an empty file',
    args: ['inspect', 'empty.tflite'],
    says: 'empty.tflite: empty file, not a TFLite model',
    tflm: 'refuses it: not a valid model',
    tflmModel: { file: 'empty.tflite', refuses: true },
  },
  {
    group: 'model file',
    what: 'not a flatbuffer',
    args: ['inspect', 'text.tflite'],
    says: 'text.tflite: not a TFLite model (file identifier "a mo" instead of "TFL3", and',
    tflm: 'refuses it: not a valid TFLite flatbuffer',
    tflmModel: { file: 'text.tflite', refuses: true },
  },
  {
    group: 'model file',
    what: 'no file identifier, and not a model',
    args: ['inspect', 'zeros.tflite'],
    says: 'zeros.tflite: not a TFLite model (no "TFL3" file identifier: bytes 4-7 are 00 00 00 00; and its schema version reads as 0)',
    tflm: 'refuses it: not a valid TFLite flatbuffer',
    tflmModel: { file: 'zeros.tflite', refuses: true },
  },
  {
    group: 'model file',
    what: 'another format',
    args: ['compile', 'model.pb', '-o', 'out'],
    says: 'model.pb: unknown model format ".pb" (expected .tflite or .onnx)',
    tflm: NO_FILES,
  },
  {
    group: 'model file',
    what: 'a .onnx file that is no ONNX model',
    args: ['compile', 'model.onnx', '-o', 'out'],
    says: 'model.onnx: not an ONNX model: the bytes do not decode as an ONNX ModelProto (invalid wire type 4 at offset 1)',
    tflm: NO_FILES,
  },
  {
    group: 'model file',
    what: 'a float TensorFlow.js model given to compile',
    args: ['compile', 'model.json', '-o', 'out'],
    says: 'model.json: a TensorFlow.js model (float) is quantized first: tinyforge quantize model.json --data DATA -o model_int8.tflite, then use that .tflite',
    tflm: NO_FILES,
  },
  {
    group: 'model contents',
    what: 'a scale that is NaN, infinite, 0 or negative',
    args: ['compile', 'nan-scale.tflite', '-o', 'out'],
    says: 'tensor 0 "input" (input 0 of op 0 (RELU)): scale NaN: a scale must be a finite number above 0',
    tflm: 'runs it with a multiplier made from NaN: every output is 0, whatever the input',
    tflmModel: { file: 'nan-scale.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: "a zero point outside its dtype's range",
    args: ['compile', 'zero-point.tflite', '-o', 'out'],
    says: 'tensor 1 "output" (output 0 of op 0 (RELU)): zero point 300 is outside int8\'s range [-128, 127]',
    tflm: 'runs it: every output saturates at 127',
    tflmModel: { file: 'zero-point.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'a tensor with a dimension of 0',
    args: ['compile', 'zero-size.tflite', '-o', 'out'],
    says: 'shape [1,0] holds no element',
    tflm: 'refuses it in `AllocateTensors`: a tensor of 0 elements counts as dynamic',
    tflmModel: { file: 'zero-size.tflite', refuses: true },
  },
  {
    group: 'model contents',
    what: 'a tensor no microcontroller holds (over 64 MiB)',
    args: ['compile', '16384x16384.tflite', '--target', 'host', '-o', 'out'],
    says: 'int8[16384,16384] is 256.0 MiB, more than any microcontroller holds',
    tflm: 'refuses it in `AllocateTensors`: no arena holds its 512 MiB',
    tflmModel: { file: '16384x16384.tflite', refuses: true },
  },
  {
    group: 'model contents',
    what: 'the same model given to run',
    args: ['run', '16384x16384.tflite', '--target', 'host'],
    says: 'int8[16384,16384] is 256.0 MiB, more than any microcontroller holds',
    tflm: 'refuses it in `AllocateTensors`: no arena holds its 512 MiB',
  },
  {
    group: 'model contents',
    what: 'an LSTM weight scale of Infinity given to run',
    args: ['run', 'lstm-infinite-scale.tflite', '--target', 'host'],
    says: 'tensor 1 "in1" (input 1 of op 0 (UNIDIRECTIONAL_SEQUENCE_LSTM)): scale Infinity: a scale must be a finite number above 0',
    tflm: 'runs it with gate multipliers made from an infinite scale: outputs that follow no scale of the model',
    tflmModel: { file: 'lstm-infinite-scale.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'no ops (and no tensors)',
    args: ['compile', 'no-ops.tflite', '-o', 'out'],
    says: 'no-ops.tflite: the model has no ops',
    tflm: 'refuses it: a model with no operator codes',
    tflmModel: { file: 'no-ops.tflite', refuses: true },
  },
  {
    group: 'model contents',
    what: 'a rescale of 2^31 or more (per-channel weight scale 1e10)',
    args: ['compile', 'fine-output-scale.tflite', '-o', 'out'],
    says: 'op 0 (FULLY_CONNECTED): a rescale of the op is 2.000e+10 (2^31 or more)',
    tflm: 'runs it with a multiplier that cannot hold the rescale: outputs that follow no scale of the model',
    tflmModel: { file: 'fine-output-scale.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'too big for the target: compile refuses it as run does, saying by how much',
    args: ['compile', '40000.tflite', '--target', 'cortex-m0', '-o', 'out'],
    says: '40000.tflite does not fit cortex-m0: RAM needs at least 43,584 bytes (arena 40,000 + stack 3,072 + harness ~512) of 16,384: 27,200 bytes over',
    tflm: "runs it where the application's arena holds it; on a 16 KiB part `AllocateTensors` fails",
    tflmModel: { file: '40000.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'a 16x8 layer whose int64 bias takes the accumulator past +-2^47',
    args: ['compile', 'bias64.tflite', '-o', 'out'],
    says: 'op 0 (FULLY_CONNECTED): int64 bias 4611686018427387904 of channel 1 (tensor 2 "b") takes the accumulator past TFLite Micro\'s range of +-2^47',
    tflm: 'stops `Invoke` at an assertion (`MultiplyByQuantizedMultiplier` requires -2^47 <= x < 2^47); built without assertions, the 64-bit product overflows',
    tflmModel: { file: 'bias64.tflite', refuses: true },
  },
  {
    group: 'model contents',
    what: 'an int8 layer whose int32 bias overflows the accumulator with its weights',
    args: ['compile', 'bias32.tflite', '-o', 'out'],
    says: 'op 0 (FULLY_CONNECTED): bias 2147000000 of channel 0 (tensor 2 "b") overflows the int32 accumulator',
    tflm: 'runs it; the int32 accumulator overflows (undefined behaviour in C: the output is whatever the compiler made of it)',
    tflmModel: { file: 'bias32.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'an op that reads a tensor a later op writes',
    args: ['compile', 'later-write.tflite', '-o', 'out'],
    says: 'input 0 of op 0 (RELU) is tensor 2 "z", which op 1 (RELU) writes only later',
    tflm: 'runs it, reading whatever the arena holds at that moment',
    tflmModel: { file: 'later-write.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'a tensor written by two ops',
    args: ['compile', 'two-writers.tflite', '-o', 'out'],
    says: 'tensor 1 "output" is written by 2 ops: a tensor has one writer',
    tflm: 'runs it; the later writer overwrites the earlier one',
    tflmModel: { file: 'two-writers.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'a constant marked variable (state)',
    args: ['compile', 'variable-weights.tflite', '-o', 'out'],
    says: 'tensor 1 "weights" (input 1 of op 0 (FULLY_CONNECTED)): marked variable (state kept across inferences) and holding constant data',
    tflm: 'runs it with the weights reset to 0 (a variable tensor starts from zero)',
    tflmModel: { file: 'variable-weights.tflite', refuses: false },
  },
  {
    group: 'model contents',
    what: 'a float op tinyforge has no float32 kernel for',
    args: ['compile', 'float-island.tflite', '-o', 'out'],
    says: 'op 1 (GELU) computes in float32 (tensor 1 "t1"): tinyforge has no float32 kernel for GELU yet',
    tflm: 'refuses it: it has no GELU kernel at this commit',
    tflmModel: { file: 'float-island.tflite', refuses: true },
  },
  {
    group: 'inputs',
    what: 'raw input of the wrong size',
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'in-5-bytes.bin'],
    says: 'in-5-bytes.bin: 5 bytes is not a whole number of inputs of 4 bytes',
    tflm: NO_INPUT_FILES,
  },
  {
    group: 'inputs',
    what: 'a FIFO as the input',
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'fifo.bin'],
    says: 'fifo.bin: is a FIFO (named pipe)',
    tflm: NO_INPUT_FILES,
  },
  {
    group: 'inputs',
    what: ".npy integers outside the input's dtype",
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'in-300.npy'],
    says: 'in-300.npy: element 2 is 300, outside input tensor 0 "input"\'s int8 range [-128, 127]',
    tflm: NO_INPUT_FILES,
  },
  {
    group: 'inputs',
    what: '.npy of an unsupported dtype',
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'in-f64.npy'],
    says: 'in-f64.npy: .npy dtype <f8 not supported',
    tflm: NO_INPUT_FILES,
  },
  {
    group: 'inputs',
    what: '.npy with a negative dimension',
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'in-negative.npy'],
    says: 'in-negative.npy: .npy shape (-4,) has the size -4; sizes are whole numbers of 0 or more',
    tflm: NO_INPUT_FILES,
  },
  {
    group: 'inputs',
    what: '.npy floats that are not finite',
    args: ['run', 'model.tflite', '--target', 'host', '--input', 'in-nan.npy'],
    says: 'in-nan.npy: element 1 is NaN; inputs must be finite numbers',
    tflm: NO_INPUT_FILES,
  },
  { group: 'options and ports', what: 'an unknown command', args: ['bogus'], says: "unknown command 'bogus'" },
  { group: 'options and ports', what: 'an unknown option', args: ['run', 'model.tflite', '--bogus'], says: "unknown option '--bogus'" },
  {
    group: 'options and ports',
    what: '--timeout that is not a number',
    args: ['run', 'model.tflite', '--timeout', 'abc'],
    says: "--timeout must be a number of seconds above 0 and at most 86400 (a day), got 'abc'",
  },
  {
    group: 'options and ports',
    what: '--timeout 0',
    args: ['run', 'model.tflite', '--timeout', '0'],
    says: "--timeout must be a number of seconds above 0 and at most 86400 (a day), got '0'",
  },
  {
    group: 'options and ports',
    what: 'a negative --timeout',
    args: ['validate', 'model.tflite', '--inputs', 'in-5-bytes.bin', '--timeout=-5'],
    says: "--timeout must be a number of seconds above 0 and at most 86400 (a day), got '-5'",
  },
  {
    group: 'options and ports',
    what: '--runs 0',
    args: ['profile', 'model.tflite', '--runs', '0'],
    says: "--runs must be a whole number from 1 to 65535, got '0'",
  },
  {
    group: 'options and ports',
    what: '--baud out of range',
    args: ['flash', 'model.tflite', '--port', '/dev/ttyUSB0', '--baud', '12'],
    says: "--baud must be a whole number of bits per second from 1200 to 4000000 (115200, 921600), got '12'",
  },
  {
    group: 'options and ports',
    what: '--clock that is not a frequency',
    args: ['run', 'model.tflite', '--board', 'nucleo-l4r5zi', '--clock', 'fast'],
    says: "--clock must be a frequency in Hz or with a unit (80000000, 80MHz), got 'fast'",
  },
  {
    group: 'options and ports',
    what: "--clock above the board's maximum: refused before any build",
    args: ['profile', 'model.tflite', '--board', 'nucleo-l4r5zi', '--clock', '200MHz'],
    says: "--clock 200 MHz is above nucleo-l4r5zi's maximum, 120 MHz",
  },
  {
    group: 'options and ports',
    what: '--clock that is not one of the clocks the chip runs at',
    args: ['run', 'model.tflite', '--board', 'esp32-c3-devkitm-1', '--clock', '100MHz'],
    says: '--clock 100 MHz is not a clock esp32-c3-devkitm-1 runs at (PLL 160 MHz at 160 MHz; PLL 80 MHz at 80 MHz; XTAL 40 MHz at 40 MHz)',
  },
  {
    group: 'options and ports',
    what: '--clock without a real board to estimate for',
    args: ['run', 'model.tflite', '--target', 'cortex-m4', '--clock', '80MHz'],
    says: '--clock applies to an estimate for a real board: give --board with one (cortex-m4: nucleo-l4r5zi, nrf52840-dk)',
  },
  {
    group: 'options and ports',
    what: '--battery that is not a capacity',
    args: ['run', 'model.tflite', '--board', 'nucleo-l4r5zi', '--battery', 'a lot'],
    says: "--battery must be a capacity above 0 in mAh or Ah (220mAh, 2.2Ah), got 'a lot'",
  },
  {
    group: 'options and ports',
    what: '--battery 0',
    args: ['profile', 'model.tflite', '--board', 'nucleo-l4r5zi', '--battery', '0mAh'],
    says: "--battery must be a capacity above 0 in mAh or Ah (220mAh, 2.2Ah), got '0mAh'",
  },
  {
    group: 'options and ports',
    what: '--max-ram 0',
    args: ['compile', 'model.tflite', '-o', 'out', '--max-ram', '0'],
    says: "--max-ram must be a positive byte count (49152, 48K, 1M), got '0'",
  },
  {
    group: 'options and ports',
    what: '--max-ram that is not a size',
    args: ['run', 'model.tflite', '--max-ram', '12 apples'],
    says: "--max-ram must be a positive byte count (49152, 48K, 1M), got '12 apples'",
  },
  {
    group: 'options and ports',
    what: 'a port that does not exist: refused before any build',
    args: ['run', 'model.tflite', '--target', 'cortex-m4', '--port', '/nonexistent'],
    says: '--port /nonexistent: no such port',
  },
  {
    group: 'options and ports',
    what: '/dev/null as the port',
    args: ['profile', 'model.tflite', '--port', '/dev/null'],
    says: '--port /dev/null: not a serial port (a memory device)',
  },
  {
    group: 'options and ports',
    what: 'a directory as the port',
    args: ['flash', 'model.tflite', '--port', 'folder.tflite'],
    says: '--port folder.tflite: not a serial port (a directory)',
  },
  {
    group: 'options and ports',
    what: "--html over a file that is not tinyforge's report: refused before the run",
    args: ['profile', 'model.tflite', '--html', 'notes.html'],
    says: 'notes.html: exists and is not a file tinyforge wrote; pick another name or remove it',
  },
  {
    group: 'options and ports',
    what: "--keep into a folder of the user's: refused before the build",
    args: ['run', 'model.tflite', '--target', 'host', '--keep', 'project'],
    says: "--keep project: not empty and not an earlier --keep of tinyforge's (holds CMakeLists.txt); give a new directory",
  },
  {
    group: 'options and ports',
    what: "flash --keep into a folder of the user's: refused before the build",
    args: ['flash', 'model.tflite', '--target', 'cortex-m4', '--keep', 'project'],
    says: "--keep project: not empty and not an earlier --keep of tinyforge's (holds CMakeLists.txt); give a new directory",
  },
  {
    group: 'options and ports',
    what: 'flash --probe that is not a probe',
    args: ['flash', 'app.hex', '--board', 'nrf52840-dk', '--probe', 'stlink'],
    says: "--probe must be cmsis-dap[:SERIAL] (a USB CMSIS-DAP probe), tcp:HOST:PORT (CMSIS-DAP over TCP, OpenOCD's cmsis_dap_tcp framing) or openocd[:SERIAL]",
  },
  {
    group: 'options and ports',
    what: 'flash --probe without --board',
    args: ['flash', 'app.hex', '--probe', 'cmsis-dap'],
    says: '--probe needs --board: the real board it is wired to (nucleo-u575zi-q, nucleo-l4r5zi, nrf52840-dk, nucleo-h7a3zi-q, pico)',
  },
  {
    group: 'options and ports',
    what: 'flash --probe to a board tinyforge does not flash over SWD',
    args: ['flash', 'app.hex', '--board', 'pico2', '--probe', 'openocd'],
    says: '--probe: tinyforge does not flash the RP2350A of pico2 over SWD; pico2 is flashed by uf2',
  },
  {
    group: 'options and ports',
    what: 'flash --probe cmsis-dap to a chip whose flash controller only OpenOCD drives',
    args: ['flash', 'app.hex', '--board', 'nucleo-h7a3zi-q', '--probe', 'tcp:127.0.0.1:4441'],
    says: '--probe tcp:127.0.0.1:4441: tinyforge drives the flash of the STM32H7A3ZIT6Q through OpenOCD only (--probe openocd)',
  },
  {
    group: 'options and ports',
    what: "flash --probe with an image outside the board's flash: refused before the probe is touched",
    args: ['flash', 'app.hex', '--board', 'nrf52840-dk', '--probe', 'openocd'],
    says: 'app.hex: bytes at 0x08000000..0x0800000f are outside the flash of the nRF52840-QIAA (0x00000000..0x000fffff)',
  },
  {
    group: 'options and ports',
    what: 'flash --probe cmsis-dap (USB) without the usb or node-hid package',
    args: ['flash', 'app.hex', '--board', 'nucleo-l4r5zi', '--probe', 'cmsis-dap'],
    says: "--probe cmsis-dap: a USB probe needs the 'usb' npm package (npm install usb) or 'node-hid' (npm install node-hid) next to tinyforge",
    unavailable: usbPackageInstalled,
  },
];
