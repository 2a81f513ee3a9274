// SPDX-License-Identifier: Apache-2.0
/**
 * `--arena caller`: init takes the application's buffer. On the host, the harness built around a
 * caller-arena model gives the same outputs as the static build, and a program of its own checks the
 * status codes (too small, misaligned, NULL, use before init, bad index); on an emulated Cortex-M4 the
 * caller-arena firmware is bit-exact with the reference interpreter.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CompiledModel, compileGraph } from '../../src/core/compile.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { boardOf, buildFirmware } from '../../src/lab/toolchain/index.ts';
import { runOnHost } from '../../src/lab/device/index.ts';
import { runOnBoard } from '../../src/lab/device/emulator.ts';
import { withTargetBuild } from '../../src/lab/run/device-build.ts';
import { requireTools } from '../build/helpers.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { SMALL_MODELS } from '../helpers/small_models.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

/** The strict flags the generated C must pass on the host. */
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror'];

function randomCase(compiled: CompiledModel, seed: number): Uint8Array[] {
  const rand = rng(seed);
  return compiled.graph.inputs.map((i) => new Uint8Array(randomInt8(rand, elementCount(compiled.graph.tensors[i]!.shape)).buffer));
}

const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

describe('generated C: the caller-owned arena (--arena caller)', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-caller-arena-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('declares init(arena, bytes) and keeps no static arena; the default stays static with a section macro', () => {
    const graph = SMALL_MODELS[0]!.build();
    const caller = compileGraph(graph, `${graph.name}.tflite`, { arena: 'caller' }).generated.files;
    const plain = compileGraph(graph, `${graph.name}.tflite`).generated.files;
    const text = (files: { name: string; text: string }[], suffix: string) => files.find((f) => f.name.endsWith(suffix))!.text;
    expect(text(caller, '.h')).to.include('tf_status_t tf_small_conv_init(uint8_t *arena, size_t bytes);');
    expect(text(caller, '.h')).to.include('#define TF_SMALL_CONV_CALLER_ARENA 1');
    expect(text(caller, '.h')).to.match(/not reentrant|No function is reentrant/);
    expect(text(plain, '.h')).to.include('tf_status_t tf_small_conv_init(void);');
    expect(text(plain, '.h')).to.include('#define TF_SMALL_CONV_ARENA_SECTION');
    expect(caller.find((f) => /^(model|small_conv)\.c$/.test(f.name))!.text).to.match(/static uint8_t \*tf_small_conv_arena;/);
  });

  for (const { name, build } of SMALL_MODELS) {
    it(`${name}: the host harness gives the same outputs with the caller's arena as with the static one`, async function () {
      const graph = build();
      const outputs: number[][] = [];
      for (const arena of ['static', 'caller'] as const) {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { arena });
        const modelDir = writeDirectoryAtomically(join(dir, `${name}-${arena}`, 'model'), compiled.generated.files);
        const built = await buildFirmware({ target: 'host', modelDir, outDir: join(dir, `${name}-${arena}`, 'build'), sanitize: true });
        const input = concat([...randomCase(compiled, 3), ...randomCase(compiled, 4)]);
        outputs.push(Array.from((await runOnHost(built.elf, input)).outputs));
      }
      expect(outputs[1]).to.deep.equal(outputs[0]);
    });
  }

  it('init refuses a NULL, misaligned or too small arena; nothing runs before a successful init', function () {
    const graph = SMALL_MODELS[1]!.build();
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { arena: 'caller' });
    const modelDir = writeDirectoryAtomically(join(dir, 'status', 'model'), compiled.generated.files);
    const main = join(dir, 'status', 'main.c');
    writeFileSync(
      main,
      `#include <stdio.h>
#include <string.h>
#include "${compiled.generated.files[0]!.name}"
static uint8_t storage[TF_SMALL_FC_ARENA_BYTES + TF_SMALL_FC_ARENA_ALIGN + 1u];
int main(void) {
  uint8_t *aligned = storage + (TF_SMALL_FC_ARENA_ALIGN - (size_t)storage % TF_SMALL_FC_ARENA_ALIGN) % TF_SMALL_FC_ARENA_ALIGN;
  float features[TF_SMALL_FC_INPUT0_ELEMENTS] = { 0 };
  float probs[TF_SMALL_FC_OUTPUT0_ELEMENTS];
  int bad = 0;
  bad |= tf_small_fc_invoke() != TF_ERROR_NOT_INITIALIZED;
  bad |= tf_small_fc_input(0) != NULL;
  bad |= tf_small_fc_quantize_input(0, features, TF_SMALL_FC_INPUT0_ELEMENTS) != TF_ERROR_NOT_INITIALIZED;
  bad |= (tf_small_fc_init(NULL, sizeof storage) != TF_ERROR_NULL_POINTER) << 1;
  bad |= (tf_small_fc_init(aligned + 1, TF_SMALL_FC_ARENA_BYTES) != TF_ERROR_ARENA_MISALIGNED) << 2;
  bad |= (tf_small_fc_init(aligned, TF_SMALL_FC_ARENA_BYTES - 1u) != TF_ERROR_ARENA_TOO_SMALL) << 3;
  bad |= (tf_small_fc_invoke() != TF_ERROR_NOT_INITIALIZED) << 4;
  bad |= (tf_small_fc_init(aligned, TF_SMALL_FC_ARENA_BYTES) != TF_OK) << 5;
  bad |= (tf_small_fc_quantize_input(1, features, TF_SMALL_FC_INPUT0_ELEMENTS) != TF_ERROR_BAD_INDEX) << 7;
  bad |= (tf_small_fc_quantize_input(0, features, 1u) != TF_ERROR_BAD_COUNT) << 8;
  bad |= (tf_small_fc_quantize_input(0, features, TF_SMALL_FC_INPUT0_ELEMENTS) != TF_OK) << 9;
  bad |= (tf_small_fc_invoke() != TF_OK) << 10;
  bad |= (tf_small_fc_dequantize_output(0, probs, TF_SMALL_FC_OUTPUT0_ELEMENTS) != TF_OK) << 11;
  bad |= (tf_small_fc_dequantize_output(0, NULL, TF_SMALL_FC_OUTPUT0_ELEMENTS) != TF_ERROR_NULL_POINTER) << 12;
  bad |= ((uint8_t *)tf_small_fc_output(0) < aligned || (uint8_t *)tf_small_fc_output(0) >= aligned + TF_SMALL_FC_ARENA_BYTES) << 13;
  printf("%d\\n", bad);
  return 0;
}
`,
    );
    const exe = join(dir, 'status', 'main');
    const sources = compiled.generated.files.filter((f) => f.name.endsWith('.c')).map((f) => join(modelDir, f.name));
    execFileSync('gcc', [...STRICT, '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-I', modelDir, ...sources, main, '-o', exe], {
      stdio: 'pipe',
    });
    expect(execFileSync(exe, { encoding: 'utf8' }).trim()).to.equal('0');
  });

  it('runs bit-exact on the emulated Cortex-M4 (QEMU mps2-an386) with the arena the harness gives', async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const target = loadTarget('cortex-m4');
    const board = boardOf(target, 'qemu-mps2-an386')!;
    const graph = SMALL_MODELS[0]!.build();
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: target.isa, arena: 'caller' });
    const cases = [randomCase(compiled, 11), randomCase(compiled, 12)];
    const expected = cases.map((c) => concat(interpret(compiled.prepared, c).outputs));
    const run = await withTargetBuild(compiled, target, board, { profile: false, progress: () => {} }, ({ build }) =>
      runOnBoard({ board: board.name, elf: build.elf, expectModel: compiled.generated.facts, cases: cases.map(concat), timeoutMs: HANG_GUARD_MS }),
    );
    expect(run.cases.map((c) => Array.from(c.outputs))).to.deep.equal(expected.map((e) => Array.from(e)));
  });
});
