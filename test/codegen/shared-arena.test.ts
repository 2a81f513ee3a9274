// SPDX-License-Identifier: Apache-2.0
/**
 * Several models in one library sharing one arena (compileModels, plan/shared_arena.ts): one host
 * program (-Werror, ASan+UBSan) runs them interleaved, each case of every model in turn, and each
 * gives the outputs TFLite Micro recorded, the stateful ones (tflm_keyword_scrambled's SVDF state,
 * mnist_lstm_int8's LSTM state) the same stream as when they run alone; their state bytes come
 * through the other models' inferences untouched. The shared arena is the states plus the largest activation part, less than separate
 * arenas; the library compiles for the Cortex-M4 too.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CompiledLibrary, compileFile, compileFiles } from '../../src/core/compile.ts';
import type { ArenaOption, GeneratedFile } from '../../src/core/codegen/generate.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { requireTools } from '../build/helpers.ts';
import { STRICT_HOST_CFLAGS } from '../helpers/op_harness.ts';
import { sharedFile, goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

const KEYWORD = sharedFile('zoo', 'tflm_keyword_scrambled.tflite');
const MODELS = [sharedModelPath('hello_world_int8'), sharedModelPath('micro_speech'), KEYWORD];

/** Every golden case's input and output of each model, in MODELS order. */
function cases(): { input: Uint8Array; output: Uint8Array }[][] {
  const zoo = (name: string) => {
    const dir = sharedFile('zoo', 'golden', name);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: { input: string; output: string }[] };
    return index.cases.map((c) => ({ input: new Uint8Array(readFileSync(join(dir, c.input))), output: new Uint8Array(readFileSync(join(dir, c.output))) }));
  };
  return [goldenCases('hello_world_int8'), goldenCases('micro_speech'), zoo('tflm_keyword_scrambled')];
}

const cArray = (bytes: Uint8Array) => `{ ${Array.from(bytes).join(', ')} }`;

function writeFiles(dir: string, files: readonly GeneratedFile[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) if (f.role !== 'cmake') writeFileSync(join(dir, f.name), f.text);
}

/**
 * A program running `steps` (model k, case c) in order, writing every output's bytes to stdout. With
 * `states` (each stateful model's index, its state's offset and bytes in the shared arena) it checks
 * after every other model's inference that each state holds the bytes its model left: exit 3 if not.
 */
function program(
  prefixes: string[],
  headers: string[],
  inputs: Uint8Array[][],
  steps: [number, number][],
  arena: ArenaOption,
  states: { model: number; offset: number; bytes: number }[] = [],
): string {
  const lines = ['#define TF_MODEL_NO_ALIASES', '#include <stdio.h>', '#include <string.h>', ...headers.map((h) => `#include "${h}"`)];
  const used = new Set(steps.map(([k, c]) => `${k}_${c}`));
  inputs.forEach((list, k) =>
    list.forEach((bytes, c) => {
      if (used.has(`${k}_${c}`)) lines.push(`static const unsigned char in${k}_${c}[] = ${cArray(bytes)};`);
    }),
  );
  if (arena === 'caller') lines.push('static uint8_t arena[TF_MODELS_ARENA_BYTES] __attribute__((aligned(TF_MODELS_ARENA_ALIGN)));');
  states.forEach((st, i) => lines.push(`static unsigned char state${i}[${Math.max(1, st.bytes)}];`));
  lines.push('int main(void) {', '  int o;');
  const arenaName = arena === 'caller' ? 'arena' : 'tf_models_arena';
  prefixes.forEach((p) => lines.push(`  if (${p}_init(${arena === 'caller' ? 'arena, sizeof arena' : ''}) != TF_OK) return 1;`));
  for (const [k, c] of steps) {
    const p = prefixes[k]!;
    lines.push(`  memcpy(${p}_input(0), in${k}_${c}, sizeof in${k}_${c});`);
    lines.push(`  if (${p}_invoke() != TF_OK) return 2;`);
    lines.push(`  for (o = 0; o < ${p.toUpperCase()}_NUM_OUTPUTS; ++o) fwrite(${p}_output(o), 1, ${p}_output_bytes(o), stdout);`);
    states.forEach((st, i) => {
      if (k === st.model) lines.push(`  memcpy(state${i}, ${arenaName} + ${st.offset}, ${st.bytes});`);
      else lines.push(`  if (memcmp(state${i}, ${arenaName} + ${st.offset}, ${st.bytes}) != 0) return 3;`);
    });
  }
  lines.push('  return 0;', '}', '');
  return lines.join('\n');
}

/** Compiles every C file of `dir` and `main` into one host program (strict, sanitized) and runs it. */
function buildAndRun(dir: string, main: string): number[] {
  writeFileSync(join(dir, 'main.c'), main);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c'));
  const exe = join(dir, 'program');
  try {
    execFileSync('gcc', [...STRICT_HOST_CFLAGS, '-I', dir, ...sources.map((s) => join(dir, s)), '-o', exe], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`gcc failed in ${dir}:\n${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).slice(0, 4000)}`);
  }
  return Array.from(execFileSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('generated C: several models in one library, one shared arena', function () {
  let dir: string;
  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-shared-arena-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plans the states apart and the rest overlapped: smaller than separate arenas', () => {
    const library = compileFiles(MODELS);
    const { shared } = library;
    const separate = MODELS.map((m) => compileFile(m).plan.arenaBytes);
    expect(shared.separateBytes).to.equal(separate.reduce((n, b) => n + b, 0));
    const states = shared.slots.reduce((n, s) => n + s.stateBytes, 0);
    expect(shared.slots.map((s) => s.stateBytes > 0)).to.deep.equal([false, false, true]);
    expect(shared.scratchOffset).to.equal(states);
    expect(shared.arenaBytes).to.equal(states + Math.max(...shared.slots.map((s) => s.scratchBytes)));
    expect(shared.arenaBytes).to.be.lessThan(shared.separateBytes);
    // one CMakeLists.txt, each kernel file once, the shared header and its arena's one definition
    const names = library.files.map((f) => f.name);
    expect(names.filter((n) => n === 'CMakeLists.txt')).to.have.length(1);
    expect(new Set(names).size).to.equal(names.length);
    expect(names).to.include.members(['tf_models.h', 'tf_models.c', 'hello_world_int8.h', 'micro_speech_weights.c', 'tflm_keyword_scrambled.c']);
    const cmake = library.files.find((f) => f.name === 'CMakeLists.txt')!.text;
    for (const source of names.filter((n) => n.endsWith('.c'))) expect(cmake).to.include(` ${source}`);
    // each model's public API as a model compiled alone has it
    const header = library.files.find((f) => f.name === 'micro_speech.h')!.text;
    for (const fn of ['tf_status_t tf_micro_speech_init(void);', 'tf_status_t tf_micro_speech_invoke(void);', 'void *tf_micro_speech_input(int index);'])
      expect(header).to.include(fn);
  });

  it('refuses two models of one name, asking for --name; takes names in model order', () => {
    expect(() => compileFiles([MODELS[0]!, MODELS[0]!])).to.throw(/both named 'hello_world_int8'.*--name hello_world_int8,hello_world_int8_2/);
    const named = compileFiles([MODELS[0]!, MODELS[0]!], {}, ['sine', 'sine2']);
    expect(named.models.map((m) => m.generated.prefix)).to.deep.equal(['tf_sine', 'tf_sine2']);
    expect(() => compileFiles([MODELS[0]!], {}, ['models'])).to.throw(/the shared arena's/);
    // every model fits 12K alone; their states and the largest activation part together do not
    expect(() => compileFiles(MODELS, { budget: { ram: 12 * 1024 } })).to.throw(/the shared arena needs [\d,]+ bytes, over --max-ram 12,288/);
  });

  for (const arena of ['static', 'caller'] as const) {
    it(`${arena} arena: A, B, C, A, B, C, ... each gives its golden outputs, the SVDF state kept across the others`, function () {
      const library: CompiledLibrary = compileFiles(MODELS, { arena });
      const golden = cases();
      const inputs = golden.map((list) => list.map((c) => c.input));
      const prefixes = library.models.map((m) => m.generated.prefix);
      const headers = library.models.map((m) => m.generated.fileNames.header);
      const count = Math.min(...golden.map((g) => g.length));
      const interleaved: [number, number][] = [];
      for (let c = 0; c < count; c++) for (let k = 0; k < MODELS.length; k++) interleaved.push([k, c]);
      const slot = library.shared.slots[2]!;
      const together = join(dir, `${arena}-together`);
      writeFiles(together, library.files);
      const out = buildAndRun(
        together,
        program(prefixes, headers, inputs, interleaved, arena, [{ model: 2, offset: slot.stateOffset, bytes: slot.stateBytes }]),
      );
      // alone: the keyword model's cases back to back, nothing in between
      const alone = join(dir, `${arena}-alone`);
      writeFiles(alone, library.files);
      const keywordAlone: [number, number][] = Array.from({ length: count }, (_, c) => [2, c]);
      const keywordOut = buildAndRun(alone, program(prefixes, headers, inputs, keywordAlone, arena));
      const outBytes = golden.map((g) => g[0]!.output.length);
      let at = 0;
      const got: number[][][] = golden.map(() => []);
      for (const [k] of interleaved) {
        got[k]!.push(out.slice(at, at + outBytes[k]!));
        at += outBytes[k]!;
      }
      expect(at).to.equal(out.length);
      for (let c = 0; c < count; c++) {
        expect(got[0]![c], `hello_world_int8 case ${c}`).to.deep.equal(Array.from(golden[0]![c]!.output));
        expect(got[1]![c], `micro_speech case ${c}`).to.deep.equal(Array.from(golden[1]![c]!.output));
      }
      // the stateful model: the same stream of outputs with the others run in between as without
      expect(got[2]!.flat(), 'tflm_keyword_scrambled, state carried across the other models').to.deep.equal(keywordOut);
      expect(got[2]![0], 'tflm_keyword_scrambled, first case from reset').to.deep.equal(Array.from(golden[2]![0]!.output));
    });
  }

  it('two stateful models: their states stacked apart, each stream as when it runs alone', function () {
    const paths = [KEYWORD, sharedModelPath('mnist_lstm_int8')];
    const library = compileFiles(paths);
    const [keyword, lstm] = library.shared.slots;
    expect(keyword!.stateBytes).to.be.greaterThan(0);
    expect(lstm!.stateBytes).to.be.greaterThan(0);
    expect(lstm!.stateOffset).to.equal(keyword!.stateOffset + keyword!.stateBytes);
    expect(library.shared.scratchOffset).to.equal(lstm!.stateOffset + lstm!.stateBytes);
    const inputs = [cases()[2]!.map((c) => c.input), goldenCases('mnist_lstm_int8').map((c) => c.input)];
    const prefixes = library.models.map((m) => m.generated.prefix);
    const headers = library.models.map((m) => m.generated.fileNames.header);
    const count = Math.min(...inputs.map((i) => i.length));
    const interleaved: [number, number][] = [];
    for (let c = 0; c < count; c++) interleaved.push([0, c], [1, c]);
    const states = library.shared.slots.map((st, model) => ({ model, offset: st.stateOffset, bytes: st.stateBytes }));
    const together = join(dir, 'two-states');
    writeFiles(together, library.files);
    const out = buildAndRun(together, program(prefixes, headers, inputs, interleaved, 'static', states));
    const outBytes = library.models.map((m) => m.generated.facts.outputBytes);
    const got: number[][] = [[], []];
    let at = 0;
    for (const [k] of interleaved) {
      got[k]!.push(...out.slice(at, at + outBytes[k]!));
      at += outBytes[k]!;
    }
    for (const k of [0, 1]) {
      const alone = buildAndRun(
        together,
        program(
          prefixes,
          headers,
          inputs,
          Array.from({ length: count }, (_, c): [number, number] => [k, c]),
          'static',
        ),
      );
      expect(got[k], `${prefixes[k]}: the stream with the other model in between`).to.deep.equal(alone);
    }
    // the LSTM's outputs depend on its state: a stream from a state lost between cases would differ
    const fresh = goldenCases('mnist_lstm_int8').slice(0, count);
    expect(got[1]!.slice(0, outBytes[1]!), 'mnist_lstm_int8, first case from reset').to.deep.equal(Array.from(fresh[0]!.output));
    expect(got[1], 'mnist_lstm_int8: state carried, not the fresh-state outputs').to.not.deep.equal(fresh.flatMap((c) => Array.from(c.output)));
  });

  it("CMakeLists.txt builds every model and the arena's one definition into one library", function () {
    requireTools(this, ['cmake']);
    const library = compileFiles(MODELS);
    const source = join(dir, 'cmake-src');
    mkdirSync(source, { recursive: true });
    for (const f of library.files) writeFileSync(join(source, f.name), f.text);
    const build = join(dir, 'cmake-build');
    execFileSync('cmake', ['-S', source, '-B', build], { stdio: 'pipe' });
    execFileSync('cmake', ['--build', build], { stdio: 'pipe' });
    const symbols = execFileSync('nm', ['-g', '--defined-only', join(build, 'libtf_models.a')], { encoding: 'utf8' });
    for (const symbol of ['tf_models_arena', ...library.models.map((m) => `${m.generated.prefix}_invoke`)])
      expect(symbols).to.match(new RegExp(`\\b${symbol}\\b`));
  });

  it('compiles for the Cortex-M4 with its flags (-Werror) and links into one object', function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    const target = loadTarget('cortex-m4');
    const cc = findTool(target.toolchain.cc, target.toolchain.install);
    for (const arena of ['static', 'caller'] as const) {
      const library = compileFiles(MODELS, { isa: target.isa, arena });
      const include = join(dir, `cortex-m4-${arena}`);
      writeFiles(include, library.files);
      const sources = library.files.filter((f) => /\.(c|S)$/.test(f.name)).map((f) => f.name);
      const objects = sources.map((s) => {
        const object = join(include, `${s}.o`);
        execFileSync(cc, [...target.toolchain.cflags, '-Wpedantic', '-Wshadow', '-I', include, '-c', join(include, s), '-o', object], { stdio: 'pipe' });
        return object;
      });
      // one relocatable object of every model: a symbol defined twice (the arena too) fails here
      execFileSync(cc, [...target.toolchain.cflags, '-nostdlib', '-Wl,-r', ...objects, '-o', join(include, 'all.o')], { stdio: 'pipe' });
    }
  });
});
