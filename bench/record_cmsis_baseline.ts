// SPDX-License-Identifier: Apache-2.0
/**
 * Records TFLite Micro + CMSIS-NN's figures on the emulated Cortex-M55 (tflm-cmsis-m55/run, CMSIS-NN's
 * MVE kernels on QEMU mps3-an547) for every model of ../shared/models into
 * bench/baselines/tflm-cmsis-m55.json, the data `npm run bench` holds its cortex-m55 rows to on machines
 * without the runner (no baseline of ../shared/baselines covers the M55). Each model runs on its four
 * golden inputs: every output must equal the golden one, and the sawtooth case in0 gives the recorded
 * instructions of one Invoke and the arena TFLite Micro used. Needs the runner
 * (docs/reference-runtimes.md); refuses to write anything when an output differs.
 *
 *   npx tsx bench/record_cmsis_baseline.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { findRuntime, missingRuntimeNotice } from '../test/helpers/runtimes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MODELS_DIR = resolve(ROOT, '../shared/models');
const OUT = join(ROOT, 'bench', 'baselines', 'tflm-cmsis-m55.json');

interface RunnerAnswer {
  outputs_hex?: string;
  invoke_instructions?: number;
  arena_used_bytes?: number;
  error?: string;
}

function run(tool: string, model: string, input: string): RunnerAnswer {
  try {
    return JSON.parse(execFileSync(tool, [model, input], { encoding: 'utf8', timeout: 1_800_000 })) as RunnerAnswer;
  } catch (e) {
    const said = (e as { stdout?: string }).stdout ?? '';
    try {
      return JSON.parse(said) as RunnerAnswer;
    } catch {
      return { error: (e as Error).message.split('\n')[0] };
    }
  }
}

function main(): void {
  const tool = findRuntime('tflm-cmsis-m55');
  if (!tool) {
    process.stderr.write(`${missingRuntimeNotice('tflm-cmsis-m55', 'nothing recorded')}\n`);
    process.exit(2);
  }
  const models: Record<string, { cmsis_nn: { invoke_insns: number[]; arena_used: number; outputs_match_golden: boolean } }> = {};
  const refused: Record<string, string> = {};
  let differ = 0;
  for (const file of readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.tflite'))
    .sort()) {
    const name = basename(file, '.tflite');
    const golden = join(MODELS_DIR, 'golden', name);
    const cases = [0, 1, 2, 3].filter((k) => existsSync(join(golden, `in${k}.bin`)));
    let first: RunnerAnswer | undefined;
    let same = true;
    for (const k of cases) {
      const answer = run(tool, join(MODELS_DIR, file), join(golden, `in${k}.bin`));
      if (answer.error !== undefined) {
        refused[name] = answer.error;
        break;
      }
      const expected = readFileSync(join(golden, `out${k}.bin`)).toString('hex');
      if (answer.outputs_hex !== expected) {
        same = false;
        process.stdout.write(`${name} in${k}: outputs differ from the golden ones\n`);
      }
      first ??= answer;
    }
    if (refused[name] !== undefined) {
      process.stdout.write(`${name}: refused: ${refused[name]}\n`);
      continue;
    }
    if (!first) continue;
    if (!same) differ++;
    models[name] = { cmsis_nn: { invoke_insns: [first.invoke_instructions!], arena_used: first.arena_used_bytes!, outputs_match_golden: same } };
    process.stdout.write(
      `${name}: ${first.invoke_instructions!.toLocaleString('en-US')} instructions, arena ${first.arena_used_bytes} B, outputs ${same ? 'equal the goldens' : 'DIFFER'}\n`,
    );
  }
  if (differ > 0) {
    process.stderr.write(`error: ${differ} models' outputs differ from the goldens: nothing written\n`);
    process.exit(1);
  }
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const data = {
    what: "TFLite Micro + CMSIS-NN (MVE kernels) figures for the models of ../shared/models, one inference, measured on QEMU's emulated Cortex-M55",
    recorded: {
      command: 'npx tsx bench/record_cmsis_baseline.ts',
      commit,
      date: new Date().toISOString().slice(0, 10),
      runner: 'tflm-cmsis-m55/run (docs/reference-runtimes.md)',
    },
    conditions: {
      tflite_micro_commit: '90b983c2b3f1480642e040bbd2ddb37b998f3424',
      cmsis_nn_commit: '4ab83cc3cc98fb85ed6dafb55e8ca02f1628dcae',
      cmsis_6_commit: '5782d6f8057906d360f4b95ec08a2354afe5c9b9',
      build:
        'TFLM Makefile TARGET=cortex_m_generic TARGET_ARCH=cortex-m55 OPTIMIZED_KERNEL_DIR=cmsis_nn BUILD_TYPE=release: ' +
        '-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -mfpu=auto (__ARM_FEATURE_MVE 3), TFLM core -Os, kernels and CMSIS-NN -O2, harness -O2',
      compiler: 'arm-none-eabi-gcc 12.2.1 20221205 (Debian 15:12.2.rel1-1), newlib-nano, --gc-sections, no heap',
      emulator: `${execFileSync('qemu-system-arm', ['--version'], { encoding: 'utf8' }).split('\n')[0]} -M mps3-an547 -cpu cortex-m55 -icount shift=0`,
      instructions: 'guest instructions executed in one Invoke(), counted by a QEMU TCG plugin between two marker calls; instructions, not cycles',
      ram: 'arena_used_bytes alone (stack and flash are not measured by the runner)',
      input: 'sawtooth case in0 of golden/; the outputs of all four golden cases checked equal to the goldens',
    },
    models,
    ...(Object.keys(refused).length > 0 ? { refused } : {}),
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(data, null, 1)}\n`);
  process.stdout.write(`wrote ${OUT}\n`);
}

main();
