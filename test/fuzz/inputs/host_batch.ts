// SPDX-License-Identifier: Apache-2.0
/**
 * The sanitized host check of accepted mutants, many at once (docs/fuzzing.md). Building and running
 * each mutant alone (`buildFirmware` + `runOnHost`, the classic check) costs a dozen processes forked
 * from the campaign's node process: three `cc -E` cache lookups, the compiles, the link, three
 * `size`, the run. Most of that is the same for every mutant, so a batch of mutants is checked with
 * one build script and one run:
 *
 * - every `.c` unit of a mutant is compiled under ASan+UBSan with the flags `run --sanitize` uses
 *   (`-g0` as the classic check), unless an object of the very same unit is in the batch's cache:
 *   the key is the unit's text and every header of the mutant, comments blanked out (newlines kept,
 *   so a hit has the same line numbers in its sanitizer reports), and the flags;
 * - each mutant's objects get its own symbol prefix (`objcopy --redefine-syms`, every `tf_` name of
 *   its C: the generated C names all its external symbols `tf_<model>_...`), so the models of one
 *   batch link into one executable;
 * - a generated driver does for every mutant in turn what the host harness (firmware/host/host_main.c)
 *   does for one: init, reset, inputs copied in, invoke, outputs written (each mutant's outputs behind
 *   their byte count), and checks that the model's input sizes are the material's;
 * - one sanitized run of that executable, with the classic check's time limit for the whole batch.
 *
 * Anything but a clean build and run in which every mutant's outputs equal its TS reference's (a
 * compile or link failure, a sanitizer report, a non-zero exit, a time-out, an output that differs)
 * sends each mutant of the batch concerned through the classic check alone, whose verdict is the
 * mutant's: a batch never decides a finding, it only clears the mutants that pass. A mutant whose
 * outputs differ in the batch but not alone is a finding too (state shared between models, or a
 * read of memory never written).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_DIR, loadTarget } from '../../../src/core/targets/targets.ts';
import { findTool, isCompiledSource, runTool } from '../../../src/lab/toolchain/toolchain.ts';
import { concat, equalBytes } from '../../../src/lab/data/bytes.ts';
import { type OracleAnswer, type OracleMode, answerKey, loadAnswer, oracleCounts, oracleMode, saveAnswer } from '../../helpers/oracle_answers.ts';
import type { HostMaterial } from './worker.ts';

/** What the host check of one accepted mutant found; `outputs` are the host's, when it ran. */
export interface HostOutcome {
  outcome: 'accepted' | 'accepted-but-failed' | 'accepted-but-wrong';
  message: string;
  outputs?: Uint8Array[];
  /** the case whose build and run this is */
  case: number;
}

export interface HostBatchFigures {
  /** units compiled, and units whose object came from the cache */
  unitsCompiled: number;
  unitHits: number;
  /** batches built and run, and mutants sent through the classic check alone */
  batches: number;
  alone: number;
}

export interface HostBatchOptions {
  /** a folder of the batch's own (its sources, objects and executable) */
  dir: string;
  /** shared object cache folder (several batches of one campaign may use it) */
  objects: { dir: string; maxBytes: number; entries: Map<string, number> };
  /** the classic check of one mutant alone: its verdict is final */
  alone: (material: HostMaterial, caseIndex: number) => Promise<HostOutcome>;
  /** the whole batch's run (the classic check's limit for one mutant) */
  runTimeoutMs: number;
  figures: HostBatchFigures;
}

/** Blanks C comments out (every character but newlines becomes a space), string and character literals kept. */
export function blankComments(text: string): string {
  const out = text.split('');
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if (c === '"' || c === "'") {
      for (i++; i < out.length && out[i] !== c && out[i] !== '\n'; i++) if (out[i] === '\\') i++;
    } else if (c === '/' && out[i + 1] === '*') {
      let j = i;
      for (; j < out.length && !(out[j] === '*' && out[j + 1] === '/' && j > i + 1); j++) if (out[j] !== '\n') out[j] = ' ';
      if (j < out.length) out[j] = out[j + 1] = ' ';
      i = j + 1;
    } else if (c === '/' && out[i + 1] === '/') {
      for (; i < out.length && out[i] !== '\n'; i++) out[i] = ' ';
    }
  }
  return out.join('');
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The sanitized compile and link flags of `run --target host --sanitize` (src/lab/toolchain/firmware.ts), with -g0. */
function hostFlags(): { cc: string; objcopy: string; cflags: string[]; ldflags: string[] } {
  const host = loadTarget('host');
  const cflags = [
    ...host.toolchain.cflags,
    ...(host.toolchain.sanitizeFlags ?? []),
    '-g0',
    `-I${join(FIRMWARE_DIR, 'common')}`,
    `-I${join(FIRMWARE_DIR, 'host')}`,
  ];
  return {
    cc: findTool(host.toolchain.cc, host.toolchain.install),
    objcopy: findTool('objcopy', host.toolchain.install),
    cflags,
    ldflags: host.toolchain.ldflags,
  };
}

interface Item {
  material: HostMaterial;
  case: number;
  resolve: (o: HostOutcome) => void;
}

export class HostBatch {
  private items: Item[] = [];
  private readonly tools = hostFlags();
  constructor(private readonly options: HostBatchOptions) {}

  get size(): number {
    return this.items.length;
  }

  /** The verdict of `material`'s check, once its batch is flushed. */
  add(material: HostMaterial, caseIndex: number): Promise<HostOutcome> {
    return new Promise((resolve) => this.items.push({ material, case: caseIndex, resolve }));
  }

  /** Builds and runs the mutants added since the last flush; each one's promise is settled. */
  async flush(): Promise<void> {
    const items = this.items.splice(0);
    if (items.length === 0) return;
    const together = await this.together(items);
    for (const [k, item] of items.entries()) {
      const outputs = together?.[k];
      if (outputs) {
        item.resolve({ outcome: 'accepted', message: '', outputs, case: item.case });
        continue;
      }
      this.options.figures.alone++;
      const alone = await this.options.alone(item.material, item.case);
      // outputs that differ in the batch (with a clean run) but not alone are a finding of their own
      if (together && alone.outcome === 'accepted') {
        item.resolve({
          outcome: 'accepted-but-wrong',
          message: 'host C differs from the TS reference when run after other models, not alone',
          case: item.case,
        });
      } else item.resolve(alone);
    }
  }

  /**
   * Every mutant's outputs when the batch built and ran cleanly, undefined for those that differ
   * from the TS reference; undefined altogether when the build or the run failed.
   */
  private async together(items: Item[]): Promise<(Uint8Array[] | undefined)[] | undefined> {
    const { dir, objects, figures } = this.options;
    const { cc, objcopy, cflags, ldflags } = this.tools;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    mkdirSync(objects.dir, { recursive: true });
    const flagsKey = cflags.filter((f) => !f.startsWith('-I')).join('\0');
    // the temporary objects' names are this batch's own: other jobs' batches may compile the same unit at once
    const tempTag = sha256([dir]).slice(0, 12);
    const script = ['set -e'];
    const renamed: string[] = [];
    const driver: string[] = [];
    const compiling = new Set<string>();
    // the models' own status type, copied whole: an enum with the same members in another unit is the same type to C
    let statusType = '';
    for (const [k, { material }] of items.entries()) {
      const files = material.files;
      const header = files.find((f) => f.role === 'header')?.text ?? '';
      const api = /^(?:int|tf_status_t) (tf_\w+)_init\(void\);$/m.exec(header)?.[1];
      if (!api) return undefined;
      statusType ||= /^#ifndef TF_STATUS_DEFINED$[\s\S]*?^#endif$/m.exec(header)?.[0] ?? '';
      const headerFiles = files.filter((f) => f.name.endsWith('.h')).sort((a, b) => (a.name < b.name ? -1 : 1));
      const unitFiles = files.filter((f) => isCompiledSource(f.name));
      const blankedUnits = unitFiles.map((f) => blankComments(f.text));
      const headers = headerFiles.flatMap((f) => [f.name, blankComments(f.text)]);
      const src = join(dir, `m${k}`);
      let written = false;
      const names = new Set<string>();
      for (const [u, unit] of unitFiles.entries()) {
        for (const m of unit.text.matchAll(/\btf_\w+/g)) if (!m[0].startsWith('tf_profile_')) names.add(m[0]);
        const key = sha256([flagsKey, unit.name, blankedUnits[u]!, ...headers]);
        const object = join(objects.dir, `${key}.o`);
        if (objects.entries.has(key) && existsSync(object)) {
          figures.unitHits++;
          objects.entries.delete(key);
          objects.entries.set(key, statSync(object).size);
        } else if (!compiling.has(key)) {
          compiling.add(key);
          figures.unitsCompiled++;
          if (!written) {
            mkdirSync(src);
            for (const f of files) writeFileSync(join(src, f.name), f.text);
            written = true;
          }
          script.push(
            `(cd ${sq(src)} && ${[cc, ...cflags, '-c', unit.name, '-o', `${object}.tmp-${tempTag}`].map(sq).join(' ')}) && mv ${sq(`${object}.tmp-${tempTag}`)} ${sq(object)}`,
          );
        } else figures.unitHits++;
        const mine = join(dir, `m${k}-${unit.name}.o`);
        renamed.push(mine);
        script.push(`${sq(objcopy)} --redefine-syms=${sq(join(dir, `m${k}.syms`))} ${sq(object)} ${sq(mine)}`);
      }
      writeFileSync(join(dir, `m${k}.syms`), [...names].map((n) => `${n} fz${k}_${n}\n`).join(''));
      const outputs = Number(/^#define TF_\w+_NUM_OUTPUTS (\d+)$/m.exec(header)?.[1] ?? -1);
      const inputs = Number(/^#define TF_\w+_NUM_INPUTS (\d+)$/m.exec(header)?.[1] ?? -1);
      if (outputs < 0 || inputs !== material.inputs.length) return undefined;
      driver.push(
        batchEntry(
          k,
          `fz${k}_${api}`,
          material.inputs.map((i) => i.length),
          outputs,
        ),
      );
    }
    writeFileSync(join(dir, 'batch_main.c'), batchMain(driver, statusType || 'typedef int tf_status_t;'));
    const runner = join(dir, 'batch-runner');
    script.push([cc, ...cflags, ...ldflags, join(dir, 'batch_main.c'), ...renamed, '-o', runner].map(sq).join(' '));
    writeFileSync(join(dir, 'build.sh'), `${script.join('\n')}\n`);
    const built = await runTool('/bin/sh', [join(dir, 'build.sh')]);
    // the new objects enter the cache (a failed build leaves no object of its failing unit: mv after the compile)
    for (const key of compiling) if (existsSync(join(objects.dir, `${key}.o`))) objects.entries.set(key, statSync(join(objects.dir, `${key}.o`)).size);
    pruneObjects(objects);
    if (built.code !== 0) return undefined;
    const inputFile = join(dir, 'inputs.bin');
    writeFileSync(inputFile, concat(items.flatMap((i) => i.material.inputs)));
    const run = await runTool(runner, [inputFile], { timeoutMs: this.options.runTimeoutMs });
    if (run.code !== 0 || run.signal) return undefined;
    figures.batches++;
    const out = run.stdout;
    let at = 0;
    return items.map(({ material }) => {
      const length = at + 4 <= out.length ? out.readUInt32LE(at) : -1;
      const bytes = length >= 0 && at + 4 + length <= out.length ? new Uint8Array(out.subarray(at + 4, at + 4 + length)) : undefined;
      at += 4 + Math.max(0, length);
      const sizes = material.expected.map((e) => e.length);
      if (!bytes || bytes.length !== sizes.reduce((a, b) => a + b, 0)) return undefined;
      const outputs: Uint8Array[] = [];
      let o = 0;
      for (const n of sizes) outputs.push(bytes.slice(o, (o += n)));
      return outputs.every((x, j) => equalBytes(x, material.expected[j]!)) ? outputs : undefined;
    });
  }
}

function sha256(parts: string[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(`${p.length}\0`).update(p);
  return hash.digest('hex');
}

/** Least recently used objects out until the cache is within its bound. */
function pruneObjects(objects: HostBatchOptions['objects']): void {
  let total = [...objects.entries.values()].reduce((a, b) => a + b, 0);
  for (const [key, size] of objects.entries) {
    if (total <= objects.maxBytes) break;
    objects.entries.delete(key);
    total -= size;
    try {
      unlinkSync(join(objects.dir, `${key}.o`));
    } catch {
      // already gone
    }
  }
}

/** One mutant's entry of the driver's table: its renamed API, its input sizes (the material's) and its number of outputs (model.h's). */
function batchEntry(k: number, api: string, inputSizes: number[], outputs: number): string {
  const fns = [
    `tf_status_t ${api}_init(void);`,
    `void ${api}_reset(void);`,
    `tf_status_t ${api}_invoke(void);`,
    `void *${api}_input(int index);`,
    `void *${api}_output(int index);`,
    `size_t ${api}_input_bytes(int index);`,
    `size_t ${api}_output_bytes(int index);`,
    `static const size_t fz_in${k}[] = { ${[...inputSizes, 0].join('u, ')}u };`,
  ];
  return `${fns.join('\n')}\n#define FZ_ENTRY_${k} { ${api}_init, ${api}_reset, ${api}_invoke, ${api}_input, ${api}_output, ${api}_input_bytes, ${api}_output_bytes, fz_in${k}, ${inputSizes.length}, ${outputs} }\n`;
}

/** The driver: for every model in turn, what firmware/host/host_main.c does for one case. */
function batchMain(entries: string[], statusType: string): string {
  const table = entries.map((_, k) => `FZ_ENTRY_${k}`).join(',\n  ');
  return `/* generated by the input fuzzer (test/fuzz/inputs/host_batch.ts): many models, one run */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

${statusType}

struct fz_model {
  tf_status_t (*init)(void);
  void (*reset)(void);
  tf_status_t (*invoke)(void);
  void *(*input)(int index);
  void *(*output)(int index);
  size_t (*input_bytes)(int index);
  size_t (*output_bytes)(int index);
  const size_t *input_sizes;
  int inputs;
  int outputs;
};

${entries.join('')}
static const struct fz_model models[] = {
  ${table}
};

static int fail(size_t k, const char *what) {
  fprintf(stderr, "error: model %zu: %s\\n", k, what);
  return 4;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0) return 2;
  long size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) return 2;
  unsigned char *inputs = malloc((size_t)size + 1);
  if (!inputs || fread(inputs, 1, (size_t)size, f) != (size_t)size) return 2;
  fclose(f);
  size_t at = 0;
  for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
    const struct fz_model *m = &models[k];
    for (int i = 0; i < m->inputs; i++)
      if (m->input_bytes(i) != m->input_sizes[i]) return fail(k, "an input's size is not the material's");
    if (m->init() != 0) return fail(k, "init failed");
    m->reset();
    for (int i = 0; i < m->inputs; i++) {
      if (at + m->input_sizes[i] > (size_t)size) return fail(k, "the input file is short");
      memcpy(m->input(i), inputs + at, m->input_sizes[i]);
      at += m->input_sizes[i];
    }
    if (m->invoke() != 0) return fail(k, "invoke failed");
    uint32_t total = 0;
    for (int i = 0; i < m->outputs; i++) total += (uint32_t)m->output_bytes(i);
    if (fwrite(&total, sizeof total, 1, stdout) != 1) return fail(k, "cannot write to stdout");
    for (int i = 0; i < m->outputs; i++)
      if (fwrite(m->output(i), 1, m->output_bytes(i), stdout) != m->output_bytes(i)) return fail(k, "cannot write to stdout");
  }
  free(inputs);
  if (at != (size_t)size) return fail(0, "input bytes left over");
  return fflush(stdout) == 0 ? 0 : 2;
}
`;
}

/** TFLite Micro's outputs for a model and its inputs, its refusal (any failure of tflm-ref), or no answer (neither live nor recorded). */
export type TflmOutcome = { outputs: Uint8Array } | 'refused' | 'unanswered';

/**
 * tflm-ref runs of a batch, one shell for all (each run as `runTflmRefAsync` makes it: the model
 * and the inputs in files, 120 s at most, a non-zero exit a refusal). Every answer goes through the
 * recorded answers (test/helpers/oracle_answers.ts): replayed where tflm-ref is absent, written
 * when recording; a query with neither is 'unanswered'.
 */
export class TflmBatch {
  private items: { bytes: Uint8Array; inputs: Uint8Array[]; resolve: (o: TflmOutcome) => void }[] = [];
  private readonly mode: OracleMode;
  constructor(
    private readonly tflmRef: string | undefined,
    private readonly dir: string,
  ) {
    this.mode = oracleMode(tflmRef !== undefined);
  }

  add(bytes: Uint8Array, inputs: Uint8Array[]): Promise<TflmOutcome> {
    return new Promise((resolve) => this.items.push({ bytes, inputs, resolve }));
  }

  async flush(): Promise<void> {
    const items = this.items
      .splice(0)
      .map((item) => ({ ...item, key: answerKey({ model: item.bytes, input: item.inputs.length ? concat(item.inputs) : undefined }) }));
    if (items.length === 0) return;
    if (this.mode === 'replay') {
      for (const item of items) {
        const answer = loadAnswer(item.key);
        if (answer) oracleCounts.replayed++;
        else oracleCounts.missing++;
        item.resolve(!answer ? 'unanswered' : answer.error !== undefined ? 'refused' : { outputs: answer.outputs });
      }
      return;
    }
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    const script = items.map(({ bytes, inputs }, k) => {
      const file = (name: string) => join(this.dir, `${name}${k}`);
      writeFileSync(file('m'), bytes);
      const args = [this.tflmRef!, file('m'), '--output', file('out')];
      if (inputs.length) {
        writeFileSync(file('in'), concat(inputs));
        args.push('--input', file('in'));
      }
      return `timeout -s KILL 120 ${args.map(sq).join(' ')} >/dev/null 2>&1 && : > ${sq(file('ok'))}`;
    });
    writeFileSync(join(this.dir, 'run.sh'), `${script.join('\n')}\nexit 0\n`);
    await runTool('/bin/sh', [join(this.dir, 'run.sh')]);
    for (const [k, item] of items.entries()) {
      const ok = existsSync(join(this.dir, `ok${k}`));
      const answer: OracleAnswer = ok ? { outputs: new Uint8Array(readFileSync(join(this.dir, `out${k}`))) } : { error: 'tflm-ref refused it' };
      oracleCounts.live++;
      if (this.mode === 'record') saveAnswer(item.key, answer);
      item.resolve(answer.error !== undefined ? 'refused' : { outputs: answer.outputs });
    }
  }
}
