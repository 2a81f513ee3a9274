// SPDX-License-Identifier: Apache-2.0
/**
 * The generated C as an embedded engineer reads it: model.h documents every input and output and
 * offers float helpers, every file carries a banner, arena offsets are named after the model's
 * tensors; and model strings (names from an untrusted .tflite file) cannot break out of the
 * comments, string literals and CMake lines they are quoted in.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { ISA_HEADERS } from '../../src/core/ops/common/isa/isa.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { modelHeaderOf } from '../../src/lab/toolchain/firmware.ts';
import { cCommentText, cIdentifier, cStringLiteral, cSymbolName, cmakeCommentText } from '../../src/core/codegen/c_text.ts';
import { TOOL_VERSION, commandLine } from '../../src/core/codegen/banner.ts';
import { shortFloatLiteral, tensorNameIdentifier } from '../../src/core/codegen/generate.ts';
import { roundHalfAway } from '../../src/core/ops/common/numerics/fixedpoint.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { requireTools } from '../build/helpers.ts';

const f32 = Math.fround;
const OPS_DIR = join(import.meta.dirname, '../../src/core/ops');

/** Where a shipped kernel file comes from: its one namesake under src/core/ops (an op's folder, a room of common/). */
function kernelFileSource(name: string): string {
  const found = readdirSync(OPS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((p) => basename(p) === name)
    .map((p) => join(OPS_DIR, p));
  expect(found, name).to.have.length(1);
  return found[0]!;
}
const HOST_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror', '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

/** Names an attacker could put in a .tflite file: comment ends, directives, quotes, escapes, line breaks, trigraphs. */
const EVIL = {
  model: 'evil */ #error model injected /* "q" \\ \n#error nl ??/',
  input: 'in */ #error injected /*',
  relu: '"quoted" \\back\\ \nnew\r\nline \x07bell ??/ \u2028sep ünï',
  weights: 'w */\n#error weights injected\n/*',
  fc: 'fc\\',
  output: '*/\n#error out injected /*??=',
  file: 'evil */ #error file injected /*\n.tflite',
  command: 'tinyforge compile "a\nb" */ #error command injected /*',
};

/** int8 in [1,8] -> RELU -> FULLY_CONNECTED 8 -> 4 -> SOFTMAX, every tensor named from EVIL. */
function evilGraph(): Graph {
  const b = new GraphBuilder(EVIL.model);
  const x = b.input({ shape: [1, 8], q: { scale: 0.5, zeroPoint: -3 }, name: EVIL.input });
  const [r] = b.op('RELU', [x], [{ shape: [1, 8], q: { scale: 0.5, zeroPoint: -3 }, name: EVIL.relu }]);
  const w = b.constant(
    { shape: [4, 8], q: { scale: 0.02, zeroPoint: 0 }, name: EVIL.weights },
    Int8Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127),
  );
  const bias = b.constant({ shape: [4], dtype: 'int32', q: { scale: 0.01, zeroPoint: 0 }, name: 'bias' }, Int32Array.from([10, -20, 30, -40]));
  const [fc] = b.op('FULLY_CONNECTED', [r!, w, bias], [{ shape: [1, 4], q: { scale: 0.1, zeroPoint: 2 }, name: EVIL.fc }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  const [out] = b.op('SOFTMAX', [fc!], [{ shape: [1, 4], q: { scale: 1 / 256, zeroPoint: -128 }, name: EVIL.output }], { beta: 1 });
  b.output(out!);
  return b.build();
}

/** The C text with comments removed and string and character literals emptied: what the compiler acts on. */
function codeOnly(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) {
    if (c.startsWith('/*', i)) {
      const end = c.indexOf('*/', i + 2);
      i = end < 0 ? c.length : end + 1;
      out += ' ';
    } else if (c.startsWith('//', i)) {
      while (i < c.length && c[i] !== '\n') i++;
      out += '\n';
    } else if (c[i] === '"' || c[i] === "'") {
      const quote = c[i]!;
      i++;
      while (i < c.length && c[i] !== quote) i += c[i] === '\\' ? 2 : 1;
      out += `${quote}${quote}`;
    } else {
      out += c[i];
    }
  }
  return out;
}

/**
 * Builds the model's .c files and `main` for the host with ASan+UBSan; returns the program's stdout.
 * `main` includes MODEL_HEADER, the model's <name>.h.
 */
function runOnHost(dir: string, modelDir: string, main: string): Buffer {
  writeFileSync(join(dir, 'main.c'), main);
  const exe = join(dir, 'main');
  const sources = readdirSync(modelDir)
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(modelDir, f));
  execFileSync('gcc', [...HOST_FLAGS, `-DMODEL_HEADER="${modelHeaderOf(modelDir)}"`, '-I', modelDir, ...sources, join(dir, 'main.c'), '-o', exe], {
    stdio: 'pipe',
  });
  return execFileSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const floatArray = (values: number[]) => `{ ${values.map((v) => (Number.isNaN(v) ? '(0.0f / 0.0f)' : shortFloatLiteral(v))).join(', ')} }`;

describe('generated C: readable, documented, and safe from model strings', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-readable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('c_text helpers', () => {
    it('cCommentText keeps text on one line and inside the comment', () => {
      const text = cCommentText('a */ b /* c\nd\re\t\x01\x7f\u2028 ??/ ???= back\\');
      expect(text).to.equal('a *\\/ b /\\* c\\nd\\re\\t\\x01\\x7f\\u2028 ?\\?/ ?\\?\\?= back\\\\');
      expect(text).to.not.match(/\*\/|\/\*|\?\?|[\x00-\x1f\x7f\u2028\u2029]/);
      expect(cCommentText('conv1/Relu;conv1/BiasAdd')).to.equal('conv1/Relu;conv1/BiasAdd');
    });

    it('cStringLiteral escapes quotes, backslashes, control characters, trigraphs and non-ASCII bytes', () => {
      expect(cStringLiteral('Reshape_1')).to.equal('"Reshape_1"');
      expect(cStringLiteral('a"b\\c\nd??/e\x007')).to.equal('"a\\"b\\\\c\\012d?\\?/e\\0007"');
      expect(cStringLiteral('ü')).to.equal('"\\303\\274"');
    });

    it('cIdentifier, cSymbolName and tensorNameIdentifier make valid, short C names', () => {
      expect(cIdentifier('*/ #error x /*')).to.equal('error_x');
      expect(cIdentifier('!!!')).to.equal('unnamed');
      expect(cIdentifier('a'.repeat(40) + '/b', 32)).to.have.length(32);
      expect(cSymbolName('micro_speech')).to.equal('micro_speech');
      expect(cSymbolName('foo__bar')).to.equal('foo__bar');
      expect(cSymbolName('9 lives')).to.equal('m_9_lives');
      expect(tensorNameIdentifier('MobilenetV1/MobilenetV1/Conv2d_10_depthwise/Relu6')).to.equal('CONV2D_10_DEPTHWISE_RELU6');
      expect(tensorNameIdentifier('sequential/dense/MatMul;sequential/dense/Relu;sequential/dense/BiasAdd')).to.equal('SEQUENTIAL_DENSE_MATMUL');
      expect(tensorNameIdentifier('StatefulPartitionedCall:0')).to.equal('STATEFULPARTITIONEDCALL_0');
      expect(tensorNameIdentifier('')).to.equal('UNNAMED');
    });

    it('cmakeCommentText and commandLine keep a command on one line, quoted as a shell needs', () => {
      expect(cmakeCommentText('a\nb\\')).to.equal('a\\nb\\\\');
      expect(commandLine(['compile', 'my model.tflite', '-o', "it's"])).to.equal(`tinyforge compile 'my model.tflite' -o 'it'\\''s'`);
    });

    it('shortFloatLiteral gives the shortest literal of the same float32', () => {
      expect(shortFloatLiteral(1 / 256)).to.equal('0.00390625f');
      expect(shortFloatLiteral(1)).to.equal('1.0f');
      expect(shortFloatLiteral(f32(0.1))).to.equal('0.1f');
      expect(shortFloatLiteral(1e-7)).to.equal('1e-7f');
      for (const v of [f32(0.101715684), f32(3.4e38), f32(1.17549435e-38), f32(123456.789)]) expect(f32(Number(shortFloatLiteral(v).slice(0, -1)))).to.equal(v);
    });
  });

  it('hostile tensor, model and file names compile warning-free and stay inside comments and string literals', function () {
    requireTools(this, ['gcc']);
    const compiled = compileGraph(evilGraph(), EVIL.file, { provenance: { target: 'host', command: EVIL.command, modelSha256: '0'.repeat(64) } });
    const modelDir = writeDirectoryAtomically(join(dir, 'model'), compiled.generated.files);
    for (const f of compiled.generated.files) {
      expect(f.text, `${f.name}: a raw control character`).to.not.match(/[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]/);
      if (f.name === 'CMakeLists.txt') {
        // outside `#` comments, only the prefix (an identifier) carries anything of the model's name
        for (const line of f.text.split('\n').filter((l) => !l.startsWith('#'))) expect(line, 'CMake').to.not.match(/#|"|(?<![A-Za-z0-9_])injected/i);
        continue;
      }
      if (f.role === 'kernel') {
        // a copied kernel header: its banner is all comment, then the header as it is
        // (a kernel several ISA families share gets the portable family's header for isa.h: no isa given)
        const original = readFileSync(kernelFileSource(f.name), 'utf8').replace(/^(\s*#\s*include\s+")isa\.h"/gm, `$1${ISA_HEADERS.portable}"`);
        expect(f.text.endsWith(original), f.name).to.equal(true);
        expect(codeOnly(f.text.slice(0, -original.length)).trim(), f.name).to.equal('');
        continue;
      }
      // what the compiler sees, outside comments and literals, holds nothing of the names
      // (the names are in identifiers too, made of their letters and digits: `_INJECTED`)
      expect(codeOnly(f.text), f.name).to.not.match(/#\s*error|(?<![A-Za-z0-9_])injected|\?\?/i);
    }
    const text = (name: string) => compiled.generated.files.find((f) => f.name === name || f.role === name)!.text;
    expect(text('header')).to.include('/* Input 0: tensor 0 "in *\\/ #error injected /\\*"');
    expect(cCommentText(EVIL.relu)).to.equal('"quoted" \\\\back\\\\ \\nnew\\r\\nline \\x07bell ?\\?/ \\u2028sep ünï');
    expect(text('source')).to.include(`tensor 1 "${cCommentText(EVIL.relu)}", int8[1,8]`);
    expect(text('weights-source')).to.include('/* tensor 2 "w *\\/\\n#error weights injected\\n/\\*" int8[4, 8] */');
    expect(text('header')).to.include(`#define TF_EVIL_ERROR_MODEL_INJECTED_Q_ERROR_NL_NAME ${cStringLiteral(EVIL.model)}`);
    const shipped = compiled.generated.files.map((f) => f.name).filter((n) => /\.(h|c|S)$/.test(n));
    expect(shipped.length, 'model files plus at least one kernel file').to.be.greaterThan(4);
    for (const name of shipped) {
      if (compiled.generated.files.find((f) => f.name === name)!.role === 'kernel') {
        // a kernel file is the same for every model: its banner names none
        expect(text(name), name).to.not.include(' *   command: ');
        continue;
      }
      expect(text(name), name).to.include(` *   command: ${cCommentText(EVIL.command)}\n`);
      expect(text(name), name).to.include(` *   model:   ${cCommentText(EVIL.file)}, sha256 ${'0'.repeat(64)}\n`);
    }
    // every .c on its own, warning-free (-Wcomment, -Wtrigraphs are in -Wall)
    for (const c of compiled.generated.files.filter((f) => f.name.endsWith('.c'))) {
      execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror', '-c', join(modelDir, c.name), '-o', join(dir, `${c.name}.o`)], {
        stdio: 'pipe',
      });
    }
    // the string literals hold the names byte for byte
    const out = runOnHost(
      dir,
      modelDir,
      `#include <stdio.h>
#include MODEL_HEADER
int main(void) {
  fputs(TF_MODEL_NAME, stdout); putchar(0);
  fputs(TF_MODEL_INPUT0_NAME, stdout); putchar(0);
  fputs(TF_MODEL_OUTPUT0_NAME, stdout); putchar(0);
  return tf_model_init();
}
`,
    );
    expect(out.toString('utf8').split('\0')).to.deep.equal([EVIL.model, EVIL.input, EVIL.output, '']);
  });

  it("model.h documents each input and output; the float helpers quantize as TFLite's QUANTIZE and dequantize as DEQUANTIZE", function () {
    requireTools(this, ['gcc']);
    const compiled = compileGraph(evilGraph(), 'evil.tflite');
    const modelDir = writeDirectoryAtomically(join(dir, 'model'), compiled.generated.files);
    const header = compiled.generated.files.find((f) => f.role === 'header')!.text;
    const P = 'TF_EVIL_ERROR_MODEL_INJECTED_Q_ERROR_NL';
    expect(header).to.match(new RegExp(`#define ${P}_INPUT0_TYPE +int8_t `));
    expect(header).to.match(new RegExp(`#define ${P}_INPUT0_SCALE +0\\.5f `));
    expect(header).to.match(new RegExp(`#define ${P}_INPUT0_ZERO_POINT +\\(-3\\)\n`));
    expect(header).to.match(new RegExp(`#define ${P}_INPUT0_DIMS +\\{ 1, 8 \\} `));
    expect(header).to.match(new RegExp(`#define ${P}_OUTPUT0_SCALE +0\\.00390625f `));
    expect(header).to.match(new RegExp(`#define TF_MODEL_OUTPUT0_ZERO_POINT +${P}_OUTPUT0_ZERO_POINT\n`));
    expect(header).to.include('#define tf_model_quantize_input tf_evil_error_model_injected_q_error_nl_quantize_input\n');
    expect(header).to.include(' *   real value = 0.5 * (q + 3)  (scale 0.5, zero point -3)\n');

    const xs = [-1000, -1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.74, NaN, 1e30, -1e30, 60.2, 3];
    const inputs = [xs.slice(0, 8), xs.slice(6, 14)];
    const out = runOnHost(
      dir,
      modelDir,
      `#include <stdio.h>
#include MODEL_HEADER
static const float xs[2][8] = { ${inputs.map(floatArray).join(', ')} };
int main(void) {
  float probs[4];
  int k, bad = 0;
  tf_model_init();
  bad |= tf_model_quantize_input(1, xs[0], 8) != TF_ERROR_BAD_INDEX;
  bad |= tf_model_quantize_input(-1, xs[0], 8) != TF_ERROR_BAD_INDEX;
  bad |= tf_model_quantize_input(0, xs[0], 7) != TF_ERROR_BAD_COUNT;
  bad |= tf_model_dequantize_output(0, probs, 5) != TF_ERROR_BAD_COUNT;
  bad |= tf_model_dequantize_output(1, probs, 4) != TF_ERROR_BAD_INDEX;
  for (k = 0; k < 2; ++k) {
    bad |= tf_model_quantize_input(0, xs[k], TF_MODEL_INPUT0_ELEMENTS) != 0;
    fwrite(tf_model_input(0), 1, TF_MODEL_INPUT0_BYTES, stdout);
    tf_model_invoke();
    fwrite(tf_model_output(0), 1, TF_MODEL_OUTPUT0_BYTES, stdout);
    bad |= tf_model_dequantize_output(0, probs, TF_MODEL_OUTPUT0_ELEMENTS) != 0;
    fwrite(probs, sizeof probs[0], 4, stdout);
  }
  return bad;
}
`,
    );
    const quantize = (x: number) => (Number.isNaN(x) ? -3 : Math.min(127, Math.max(-128, roundHalfAway(f32(f32(x) / 0.5)) - 3)));
    let at = 0;
    for (const values of inputs) {
      expect(Array.from(new Int8Array(out.buffer, out.byteOffset + at, 8))).to.deep.equal(values.map(quantize));
      const q = Array.from(new Int8Array(out.buffer, out.byteOffset + at + 8, 4));
      const probs = Array.from(new Float32Array(out.buffer.slice(out.byteOffset + at + 12, out.byteOffset + at + 28)));
      expect(probs).to.deep.equal(q.map((v) => f32(f32(1 / 256) * (v + 128))));
      at += 28;
    }
    expect(at).to.equal(out.length);
  });

  it('int16 inputs quantize with int16 clamping; float32 tensors are copied', function () {
    requireTools(this, ['gcc']);
    // int16 in -> DEQUANTIZE -> float32 out, and float32 in -> QUANTIZE -> int8 out
    const b = new GraphBuilder('mixed');
    const x16 = b.input({ shape: [1, 6], dtype: 'int16', q: { scale: 0.01, zeroPoint: 0 }, name: 'x16' });
    const [y] = b.op('DEQUANTIZE', [x16], [{ shape: [1, 6], dtype: 'float32', name: 'y' }]);
    const xf = b.input({ shape: [1, 3], dtype: 'float32', name: 'xf' });
    const [q8] = b.op('QUANTIZE', [xf], [{ shape: [1, 3], q: { scale: 0.25, zeroPoint: 10 }, name: 'q8' }]);
    b.output(y!, q8!);
    const compiled = compileGraph(b.build(), 'mixed.tflite');
    const modelDir = writeDirectoryAtomically(join(dir, 'model'), compiled.generated.files);
    const header = compiled.generated.files.find((f) => f.role === 'header')!.text;
    expect(header).to.include('float32: not quantized (the float helpers copy it)');
    const x16s = [-400, -327.68, -0.005, 0.015, 1.234, 500];
    const xfs = [-100, 0.125, 2.9];
    const out = runOnHost(
      dir,
      modelDir,
      `#include <stdio.h>
#include MODEL_HEADER
static const float a[6] = ${floatArray(x16s)};
static const float f[3] = ${floatArray(xfs)};
int main(void) {
  float y[6], back[3];
  int bad = 0;
  tf_model_init();
  bad |= tf_model_quantize_input(0, a, TF_MODEL_INPUT0_ELEMENTS) != 0;
  bad |= tf_model_quantize_input(1, f, TF_MODEL_INPUT1_ELEMENTS) != 0;
  fwrite(tf_model_input(0), 1, TF_MODEL_INPUT0_BYTES, stdout);
  fwrite(tf_model_input(1), 1, TF_MODEL_INPUT1_BYTES, stdout);
  tf_model_invoke();
  bad |= tf_model_dequantize_output(0, y, 6) != 0;
  bad |= tf_model_dequantize_output(1, back, 3) != 0;
  fwrite(y, sizeof y[0], 6, stdout);
  fwrite(tf_model_output(1), 1, 3, stdout);
  fwrite(back, sizeof back[0], 3, stdout);
  return bad;
}
`,
    );
    const bytes = new Uint8Array(out);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const i16 = x16s.map((x) => Math.min(32767, Math.max(-32768, roundHalfAway(f32(f32(x) / f32(0.01))))));
    expect(Array.from({ length: 6 }, (_, i) => view.getInt16(i * 2, true))).to.deep.equal(i16);
    expect(Array.from({ length: 3 }, (_, i) => view.getFloat32(12 + i * 4, true))).to.deep.equal(xfs.map(f32));
    // DEQUANTIZE's float32 output, copied out unchanged
    expect(Array.from({ length: 6 }, (_, i) => view.getFloat32(24 + i * 4, true))).to.deep.equal(i16.map((q) => f32(f32(0.01) * q)));
    const q8s = Array.from(new Int8Array(bytes.buffer, bytes.byteOffset + 48, 3));
    expect(q8s).to.deep.equal(xfs.map((x) => Math.min(127, Math.max(-128, roundHalfAway(f32(x / 0.25)) + 10))));
    expect(Array.from({ length: 3 }, (_, i) => view.getFloat32(51 + i * 4, true))).to.deep.equal(q8s.map((q) => f32(0.25 * (q - 10))));
  });

  it('banners say tool, version, target, model file, its sha256 and the command; the same inputs give the same files', () => {
    const graph = evilGraph();
    const provenance = {
      target: 'cortex-m4',
      modelFile: 'kws.tflite',
      modelSha256: 'ab'.repeat(32),
      command: 'tinyforge compile kws.tflite -t cortex-m4 -o out',
    };
    const a = compileGraph(graph, 'kws.tflite', { provenance }).generated.files;
    const b = compileGraph(evilGraph(), 'kws.tflite', { provenance }).generated.files;
    expect(a.map((f) => f.text)).to.deep.equal(b.map((f) => f.text));
    const modelC = a.find((f) => f.role === 'source')!.text;
    expect(modelC.startsWith(`/* SPDX-License-Identifier: Apache-2.0\n * Generated by tinyforge ${TOOL_VERSION}: do not edit`)).to.equal(true);
    expect(modelC).to.include(' *   target:  cortex-m4 (portable C kernels)\n');
    expect(modelC).to.include(` *   model:   kws.tflite, sha256 ${'ab'.repeat(32)}\n`);
    expect(modelC).to.include(' *   command: tinyforge compile kws.tflite -t cortex-m4 -o out\n');
    expect(a.find((f) => f.name === 'CMakeLists.txt')!.text).to.match(/^# SPDX-License-Identifier: Apache-2\.0\n# Generated by tinyforge /);
    // the weights are the model's: no licence claimed for them
    const weightsC = a.find((f) => f.role === 'weights-source')!.text;
    expect(weightsC).to.not.include('SPDX');
    expect(weightsC).to.include('whose licence they carry');
    // a library call with no file says so
    expect(compileGraph(graph).generated.files[0]!.text).to.include('command: none: compiled through the tinyforge library API (compileGraph)');
  });

  it("arena offsets are named constants carrying the tensor names; layers carry the model's names", () => {
    const compiled = compileGraph(evilGraph(), 'evil.tflite');
    const modelC = compiled.generated.files.find((f) => f.role === 'source')!.text;
    const P = 'TF_EVIL_ERROR_MODEL_INJECTED_Q_ERROR_NL';
    const offset = compiled.plan.tensorOffset.get(0)!;
    expect(modelC).to.match(
      new RegExp(`#define ${P}_T0_IN_ERROR_INJECTED +${offset}u /\\* tensor 0 "in \\*\\\\/ #error injected /\\\\\\*", int8\\[1,8\\], 8 B, live `),
    );
    expect(modelC).to.match(new RegExp(`#define ${P}_L2_SCRATCH +\\d+u /\\* layer 2 SOFTMAX `));
    expect(modelC).to.include(`(tf_evil_error_model_injected_q_error_nl_arena + ${P}_T0_IN_ERROR_INJECTED)`);
    expect(modelC).to.include(`{ .offset = ${P}_T0_IN_ERROR_INJECTED, .bytes = ${P}_INPUT0_BYTES }`);
    // no bare arena offsets are left in the code
    expect(modelC).to.not.match(/_arena \+ \d/);
    // a layer by its output tensor's index: each tensor's name is printed once, at its offset
    expect(modelC).to.match(/\/\* layer 1 -> tensor \d+: FULLY_CONNECTED \(op 1\) /);
    for (const t of compiled.graph.tensors.filter((x) => compiled.plan.tensorOffset.has(x.index)))
      expect(modelC.split(`"${cCommentText(t.name)}"`).length - 1, `tensor ${t.index}`).to.equal(1);
    const weightsH = compiled.generated.files.find((f) => f.role === 'weights-header')!.text;
    for (const t of compiled.graph.tensors.filter((x) => x.data)) expect(weightsH, `tensor ${t.index}`).to.not.include(`"${cCommentText(t.name)}"`);
  });
});
