// SPDX-License-Identifier: Apache-2.0
/**
 * Records esp-tflite-micro + ESP-NN's figures (esp-nn/<chip>/run of docs/reference-runtimes.md, on
 * Espressif's QEMU) for person_detect and the four MLPerf Tiny model shapes into
 * bench/baselines/esp-nn.json, the data `npm run bench -- --espnn` holds our rows to on machines
 * without the runners: per chip, the instructions of one Invoke and the arena on the zero-point
 * input, and the outputs on the zero-point and ramp inputs beside TFLite Micro's reference kernels'
 * (tflm-ref), which say where ESP-NN is not bit-exact with them. A chip whose runner is absent keeps
 * the figures already recorded, or null with the reason.
 *
 *   npx tsx bench/record_espnn_baseline.ts [--conditions FILE.json] [--chips esp32,...]
 *   (FILE: the build's conditions, merged in; --chips: measure these chips only, keep the others' figures)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRuntime, missingRuntimeNotice, type RuntimeName } from '../test/helpers/runtimes.ts';
import { ESPNN_BASELINE, ESPNN_BOARDS, ESPNN_MODELS, type EspChip, type EspnnFigures, type EspnnModel, espnnModelFile, rampInput } from './espnn.ts';

const RUNNERS: Record<EspChip, RuntimeName> = { esp32c3: 'esp-nn-esp32c3', esp32s3: 'esp-nn-esp32s3', esp32: 'esp-nn-esp32' };

interface RunnerOut {
  outputs_hex?: string;
  invoke_instructions?: number;
  arena_used_bytes?: number;
  error?: string;
}

function runner(tool: string, model: string, input?: string): RunnerOut {
  try {
    return JSON.parse(execFileSync(tool, input ? [model, input] : [model], { encoding: 'utf8', maxBuffer: 64 << 20 })) as RunnerOut;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    try {
      return JSON.parse(out) as RunnerOut;
    } catch {
      return { error: (e as Error).message.split('\n')[0] };
    }
  }
}

function tflmRef(tool: string, model: string, dir: string, input?: string): { hex: string; inputBytes: number } {
  const info = JSON.parse(execFileSync(tool, [model, '--info'], { encoding: 'utf8' })) as { inputs: { bytes: number }[] };
  const out = join(dir, 'ref.bin');
  execFileSync(tool, [model, ...(input ? ['--input', input] : []), '--output', out]);
  return { hex: readFileSync(out).toString('hex'), inputBytes: info.inputs.reduce((s, i) => s + i.bytes, 0) };
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const conditionsFile = option('--conditions');
const only = option('--chips')?.split(',') as EspChip[] | undefined;
const ref = findRuntime('tflm-ref');
if (!ref) {
  process.stderr.write(`${missingRuntimeNotice('tflm-ref', 'nothing recorded')}\n`);
  process.exit(1);
}
const previous = existsSync(ESPNN_BASELINE)
  ? (JSON.parse(readFileSync(ESPNN_BASELINE, 'utf8')) as { conditions: Record<string, unknown>; models: Record<string, EspnnModel> })
  : { conditions: {}, models: {} as Record<string, EspnnModel> };
const conditions = { ...previous.conditions, ...(conditionsFile ? (JSON.parse(readFileSync(conditionsFile, 'utf8')) as Record<string, unknown>) : {}) };
const dir = mkdtempSync(join(tmpdir(), 'tinyforge-record-espnn-'));
const models: Record<string, EspnnModel> = {};
try {
  for (const name of ESPNN_MODELS) {
    const file = espnnModelFile(name, dir);
    const zero = tflmRef(ref, file.path, dir);
    const rampPath = join(dir, `${name}.ramp.bin`);
    writeFileSync(rampPath, rampInput(zero.inputBytes));
    const ramp = tflmRef(ref, file.path, dir, rampPath);
    const before = previous.models[name];
    const entry: EspnnModel = {
      source: name === 'person_detect' ? '../shared/models/person_detect.tflite' : `bench/mlperf.ts MLPERF_MODELS ${name}`,
      sha256: file.sha256,
      chips: { esp32c3: null, esp32s3: null, esp32: null },
    };
    const missing: Partial<Record<EspChip, string>> = {};
    for (const chip of Object.keys(ESPNN_BOARDS) as EspChip[]) {
      const tool = only && !only.includes(chip) ? undefined : findRuntime(RUNNERS[chip]);
      if (!tool) {
        const kept = before && before.sha256 === file.sha256 ? before.chips[chip] : null;
        entry.chips[chip] = kept;
        if (!kept) missing[chip] = before?.missing?.[chip] ?? `${RUNNERS[chip]} was not built`;
        continue;
      }
      const a = runner(tool, file.path);
      const b = runner(tool, file.path, rampPath);
      if (a.error || b.error || a.outputs_hex === undefined || b.outputs_hex === undefined) {
        entry.chips[chip] = null;
        missing[chip] = `esp-nn/${chip}/run: ${a.error ?? b.error ?? 'no outputs'}`;
        continue;
      }
      const figures: EspnnFigures = {
        invoke_insns: a.invoke_instructions!,
        arena_used: a.arena_used_bytes!,
        outputs: { zero_point: { esp_nn: a.outputs_hex, tflm_ref: zero.hex }, ramp: { esp_nn: b.outputs_hex, tflm_ref: ramp.hex } },
        bit_exact_vs_tflm: a.outputs_hex === zero.hex && b.outputs_hex === ramp.hex,
      };
      entry.chips[chip] = figures;
      process.stderr.write(
        `${name} on ${chip}: ${figures.invoke_insns} instructions, arena ${figures.arena_used} B, ${figures.bit_exact_vs_tflm ? 'bit-exact' : 'NOT bit-exact'} with tflm-ref\n`,
      );
    }
    if (Object.keys(missing).length > 0) entry.missing = missing;
    models[name] = entry;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const doc = {
  what: "esp-tflite-micro + ESP-NN figures for person_detect and the MLPerf Tiny model shapes, one inference, measured on Espressif's QEMU (esp32c3, esp32s3, esp32 machines)",
  recorded: {
    command: 'npx tsx bench/record_espnn_baseline.ts',
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    date: new Date().toISOString().slice(0, 10),
    runner: 'esp-nn/<chip>/run (docs/reference-runtimes.md)',
  },
  conditions,
  models,
};
writeFileSync(ESPNN_BASELINE, `${JSON.stringify(doc, null, 1)}\n`);
process.stderr.write(`wrote ${ESPNN_BASELINE}\n`);
