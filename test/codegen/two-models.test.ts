// SPDX-License-Identifier: Apache-2.0
/**
 * Two models in one firmware: every file a model writes is named after it (or is a kernel file, the
 * same bytes for every model), every external symbol carries its prefix, so two outputs copied into
 * ONE folder compile, link and run side by side, each giving the outputs of its single-model build.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CompiledModel, compileGraph } from '../../src/core/compile.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { buildFirmware } from '../../src/lab/toolchain/index.ts';
import { runOnHost } from '../../src/lab/device/index.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { requireTools } from '../build/helpers.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { smallConvNet, smallFcNet, smallMixNet } from '../helpers/small_models.ts';

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror'];

/** One case: every input's bytes, in input order. */
function caseOf(compiled: CompiledModel, seed: number): Uint8Array[] {
  const rand = rng(seed);
  return compiled.graph.inputs.map((i) => new Uint8Array(randomInt8(rand, elementCount(compiled.graph.tensors[i]!.shape)).buffer));
}

const cArray = (bytes: Uint8Array) => `{ ${Array.from(bytes).join(', ')} }`;

/** Writes both outputs into `dir`; a name both write must be a kernel file with the same bytes (or the CMake file). */
function writeTogether(dir: string, models: CompiledModel[]): void {
  mkdirSync(dir, { recursive: true });
  const written = new Map<string, string>();
  for (const m of models) {
    for (const f of m.generated.files) {
      const before = written.get(f.name);
      if (before !== undefined && f.role !== 'cmake') {
        expect(f.role, `${f.name} written by two models`).to.equal('kernel');
        expect(f.text, `${f.name}: the same bytes from both models`).to.equal(before);
      }
      written.set(f.name, f.text);
      if (f.role !== 'cmake') writeFileSync(join(dir, f.name), f.text);
    }
  }
}

/** A program running each model on its case and writing every output's bytes to stdout, model by model. */
function mainOf(models: CompiledModel[], cases: Uint8Array[][]): string {
  const lines = ['#define TF_MODEL_NO_ALIASES', '#include <stdio.h>', '#include <string.h>'];
  for (const m of models) lines.push(`#include "${m.generated.fileNames.header}"`);
  models.forEach((m, k) => cases[k]!.forEach((bytes, i) => lines.push(`static const unsigned char in${k}_${i}[] = ${cArray(bytes)};`)));
  lines.push('int main(void) {', '  int o;');
  models.forEach((m, k) => {
    const p = m.generated.prefix;
    lines.push(`  if (${p}_init() != TF_OK) return 1;`);
    cases[k]!.forEach((_, i) => lines.push(`  memcpy(${p}_input(${i}), in${k}_${i}, sizeof in${k}_${i});`));
  });
  // both models initialized before either runs: each keeps its own arena
  models.forEach((m) => {
    const p = m.generated.prefix;
    lines.push(`  if (${p}_invoke() != TF_OK) return 2;`);
    lines.push(`  for (o = 0; o < ${p.toUpperCase()}_NUM_OUTPUTS; ++o) fwrite(${p}_output(o), 1, ${p}_output_bytes(o), stdout);`);
  });
  lines.push('  return 0;', '}', '');
  return lines.join('\n');
}

describe('generated C: two models in one program, their files in one folder', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['gcc', 'nm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-two-models-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names every file after its model: <name>.h, <name>.c, <name>_weights.h/.c', () => {
    const names = compileGraph(smallFcNet(), 'small_fc.tflite')
      .generated.files.filter((f) => f.role !== 'kernel')
      .map((f) => f.name);
    expect(names).to.deep.equal(['small_fc.h', 'small_fc.c', 'small_fc_weights.h', 'small_fc_weights.c', 'CMakeLists.txt']); // --name: another name for the same model
    const renamed = compileGraph(smallFcNet(), 'small_fc.tflite', { name: 'keyword' }).generated;
    expect(renamed.fileNames).to.deep.equal({
      header: 'keyword.h',
      source: 'keyword.c',
      weightsHeader: 'keyword_weights.h',
      weightsSource: 'keyword_weights.c',
    });
    expect(renamed.prefix).to.equal('tf_keyword');
  });

  for (const [a, b] of [
    [smallConvNet, smallFcNet],
    [smallFcNet, smallMixNet],
  ] as const) {
    it(`${a().name} and ${b().name}: one folder, one program, each the outputs of its single-model build`, async function () {
      const models = [a(), b()].map((g) => compileGraph(g, `${g.name}.tflite`));
      const cases = models.map((m, k) => caseOf(m, 40 + k));
      // each alone, through the host harness
      const alone: number[][] = [];
      for (const [k, m] of models.entries()) {
        const modelDir = writeDirectoryAtomically(join(dir, `${m.graph.name}-alone`, 'model'), m.generated.files);
        const built = await buildFirmware({ target: 'host', modelDir, outDir: join(dir, `${m.graph.name}-alone`, 'build') });
        alone.push(Array.from((await runOnHost(built.elf, Uint8Array.from(cases[k]!.flatMap((c) => Array.from(c))))).outputs));
      }
      // together: both outputs in one include folder
      const together = join(dir, `${models[0]!.graph.name}+${models[1]!.graph.name}`);
      const include = join(together, 'include');
      writeTogether(include, models);
      writeFileSync(join(together, 'main.c'), mainOf(models, cases));
      const sources = [...new Set(models.flatMap((m) => m.generated.files.filter((f) => /\.(c|S)$/.test(f.name)).map((f) => f.name)))];
      const objects: string[] = [];
      for (const s of [...sources.map((n) => join(include, n)), join(together, 'main.c')]) {
        const object = `${s}.o`;
        execFileSync('gcc', [...STRICT, '-O2', '-I', include, '-c', s, '-o', object], { stdio: 'pipe' });
        objects.push(object);
      }
      // every external symbol a model's objects define carries that model's prefix (weak kernel symbols aside)
      for (const object of objects.filter((o) => !o.endsWith('main.c.o'))) {
        const defined = execFileSync('nm', ['-g', '--defined-only', object], { encoding: 'utf8' })
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((p) => p.length === 3 && !/^[wWvV]$/.test(p[1]!))
          .map((p) => p[2]!);
        for (const symbol of defined)
          expect(
            models.some((m) => symbol.startsWith(`${m.generated.prefix}_`)),
            `${object}: ${symbol}`,
          ).to.equal(true);
      }
      const exe = join(together, 'both');
      execFileSync('gcc', [...objects, '-o', exe], { stdio: 'pipe' });
      const out = Array.from(execFileSync(exe));
      expect(out).to.deep.equal([...alone[0]!, ...alone[1]!]);
    });
  }

  it('links two models for the Cortex-M4 and the RP2040 without a clash, assembly kernels included', function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    for (const name of ['cortex-m4', 'rp2040']) {
      const target = loadTarget(name);
      const cc = findTool(target.toolchain.cc, target.toolchain.install);
      const models = [smallConvNet('conv_a'), smallFcNet('fc_b')].map((g) => compileGraph(g, `${g.name}.tflite`, { isa: target.isa }));
      const include = join(dir, `arm-${name}`);
      writeTogether(include, models);
      const sources = [...new Set(models.flatMap((m) => m.generated.files.filter((f) => /\.(c|S)$/.test(f.name)).map((f) => f.name)))];
      const objects = sources.map((s) => {
        const object = join(include, `${s}.o`);
        execFileSync(cc, [...target.toolchain.cflags, '-Wpedantic', '-Wshadow', '-I', include, '-c', join(include, s), '-o', object], { stdio: 'pipe' });
        return object;
      });
      // one relocatable object of both models: a symbol defined twice fails here
      execFileSync(cc, [...target.toolchain.cflags, '-nostdlib', '-Wl,-r', ...objects, '-o', join(include, 'both.o')], { stdio: 'pipe' });
    }
  });
});
