// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench -- --espnn`: the ESP-NN columns. person_detect (../shared/models) and the four MLPerf
 * Tiny model shapes of bench/mlperf.ts, compiled and run as a user runs them (`tinyforge run MODEL
 * --board B`) for the ESP32-C3, ESP32-S3 and ESP32, each beside esp-tflite-micro + ESP-NN (Espressif's
 * TFLite Micro with its optimized kernels) on the same chip, as recorded in
 * bench/baselines/esp-nn.json (no runtime needed; esp-nn/run of docs/reference-runtimes.md recorded
 * them on Espressif's QEMU). Per model and chip: instructions of one inference, ESP-NN's, the ratio
 * (bar: <= 0.5x), our outputs against our reference (bit-exact) and ESP-NN's outputs against TFLite
 * Micro's reference kernels (ESP-NN is not bit-exact with them everywhere: the column says where).
 *
 *   npm run bench -- --espnn [--models person_detect,kws,vww,ic,ad] [--boards esp32-c3-devkitm-1,...] [--json]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { MLPERF_MODELS } from './mlperf.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const ESPNN_BASELINE = join(ROOT, 'bench', 'baselines', 'esp-nn.json');
const SHARED_MODELS = resolve(ROOT, '..', 'shared', 'models');

/** our instructions per inference, at most this fraction of esp-tflite-micro + ESP-NN's */
export const ESPNN_INSTRUCTION_BAR = 0.5;

export type EspChip = 'esp32c3' | 'esp32s3' | 'esp32';

/** The board each chip's column runs on (the chip's devkit: its core's emulator, its memory fit). */
export const ESPNN_BOARDS: Record<EspChip, { board: string; target: string }> = {
  esp32c3: { board: 'esp32-c3-devkitm-1', target: 'esp32c3' },
  esp32s3: { board: 'esp32-s3-devkitc-1', target: 'esp32s3' },
  esp32: { board: 'esp32-devkitc', target: 'esp32' },
};

export const ESPNN_MODELS = ['person_detect', ...MLPERF_MODELS.map((m) => m.key)];

/** The inputs each model ran on: every input byte at the zero point, and bytes (37 i + 11) mod 256. */
export const ESPNN_CASES = ['zero_point', 'ramp'] as const;

/** The ramp input case: byte i of the concatenated inputs is (37 i + 11) mod 256. */
export function rampInput(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 37 + 11) & 0xff);
}

/** One chip's figures for one model, as esp-nn/<chip>/run gave them. */
export interface EspnnFigures {
  /** one Invoke on the zero-point input */
  invoke_insns: number;
  arena_used: number;
  /** per input case: ESP-NN's outputs and TFLite Micro's reference kernels' (tflm-ref), hex */
  outputs: Record<(typeof ESPNN_CASES)[number], { esp_nn: string; tflm_ref: string }>;
  /** ESP-NN's outputs equal the reference kernels' in every case */
  bit_exact_vs_tflm: boolean;
}

export interface EspnnModel {
  /** where the measured file came from: ../shared/models/<name>.tflite, or bench/mlperf.ts's builder */
  source: string;
  /** SHA-256 of the .tflite measured */
  sha256: string;
  /** per chip; null where it was not measured (the reason in `missing`) */
  chips: Record<EspChip, EspnnFigures | null>;
  missing?: Partial<Record<EspChip, string>>;
}

interface EspnnDoc {
  conditions: Record<string, unknown>;
  models: Record<string, EspnnModel>;
}

/** The recorded esp-tflite-micro + ESP-NN figures, by model. */
export function espnnBaseline(path = ESPNN_BASELINE): Record<string, EspnnModel> {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as EspnnDoc;
  for (const name of ESPNN_MODELS) if (!doc.models[name]) throw new Error(`${path}: no figures for ${name}`);
  for (const [name, m] of Object.entries(doc.models)) {
    for (const chip of Object.keys(ESPNN_BOARDS) as EspChip[]) {
      const f = m.chips[chip];
      if (f === undefined) throw new Error(`${path}: ${name} has no entry for ${chip}`);
      if (f === null && !m.missing?.[chip]) throw new Error(`${path}: ${name} on ${chip} is not measured and says not why`);
      if (f && f.bit_exact_vs_tflm !== ESPNN_CASES.every((c) => f.outputs[c].esp_nn === f.outputs[c].tflm_ref))
        throw new Error(`${path}: ${name} on ${chip}: bit_exact_vs_tflm disagrees with the outputs recorded`);
    }
  }
  return doc.models;
}

/** The model file the figures of `name` were measured on, written into `dir`, and its SHA-256. */
export function espnnModelFile(name: string, dir: string): { path: string; sha256: string } {
  let path: string;
  if (name === 'person_detect') path = join(SHARED_MODELS, 'person_detect.tflite');
  else {
    const m = MLPERF_MODELS.find((x) => x.key === name);
    if (!m) throw new Error(`unknown model ${name} (${ESPNN_MODELS.join(', ')})`);
    path = join(dir, `${name}.tflite`);
    saveTflite(path, m.build());
  }
  if (!existsSync(path)) throw new Error(`${path}: not found`);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

export interface EspnnCell {
  model: string;
  chip: EspChip;
  board: string;
  instructions?: number;
  espnnInstructions?: number;
  ratio?: number;
  arena?: number;
  espnnArena?: number;
  bitExact: boolean;
  /** ESP-NN's outputs equal TFLite Micro's reference kernels' (undefined: not measured) */
  espnnBitExact?: boolean;
  meets: boolean;
  note?: string;
  error?: string;
}

export async function runEspnn(opts: { models?: string[]; boards?: string[]; json: boolean }): Promise<EspnnCell[]> {
  const baseline = espnnBaseline();
  const chips = (Object.keys(ESPNN_BOARDS) as EspChip[]).filter((c) => !opts.boards || opts.boards.includes(ESPNN_BOARDS[c].board));
  if (opts.boards)
    for (const b of opts.boards)
      if (!chips.some((c) => ESPNN_BOARDS[c].board === b))
        throw new Error(
          `unknown board ${b} (the ESP-NN columns run on ${Object.values(ESPNN_BOARDS)
            .map((x) => x.board)
            .join(', ')})`,
        );
  const models = opts.models ?? ESPNN_MODELS;
  for (const m of models) if (!ESPNN_MODELS.includes(m)) throw new Error(`unknown model ${m} (${ESPNN_MODELS.join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-bench-espnn-'));
  const cells: EspnnCell[] = [];
  try {
    for (const model of models) {
      const recorded = baseline[model]!;
      let file: { path: string; sha256: string } | undefined;
      let fileError: string | undefined;
      try {
        file = espnnModelFile(model, dir);
        if (file.sha256 !== recorded.sha256) fileError = `the model is not the one measured (${recorded.source}: SHA-256 differs)`;
      } catch (e) {
        fileError = (e as Error).message;
      }
      for (const chip of chips) {
        const { board, target } = ESPNN_BOARDS[chip];
        const theirs = recorded.chips[chip];
        const cell: EspnnCell = { model, chip, board, bitExact: false, meets: false };
        if (theirs) {
          cell.espnnInstructions = theirs.invoke_insns;
          cell.espnnArena = theirs.arena_used;
          cell.espnnBitExact = theirs.bit_exact_vs_tflm;
        } else cell.note = `ESP-NN not measured: ${recorded.missing?.[chip]}`;
        if (fileError) cell.error = fileError;
        else {
          try {
            const report = await runModel(file!.path, { target, board });
            cell.bitExact = report.matchesReference;
            if (report.counter?.kind === 'instructions' && report.perInference !== null) cell.instructions = report.perInference;
            cell.arena = report.memory.arena;
            if (theirs && cell.instructions !== undefined) cell.ratio = cell.instructions / theirs.invoke_insns;
            cell.meets = cell.bitExact && cell.ratio !== undefined && cell.ratio <= ESPNN_INSTRUCTION_BAR;
          } catch (e) {
            cell.error = (e as Error).message.split('\n')[0];
          }
        }
        cells.push(cell);
        if (!opts.json) process.stdout.write(espnnRow(cell) + '\n');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (opts.json) process.stdout.write(JSON.stringify(cells, null, 1) + '\n');
  else {
    const met = cells.filter((c) => c.meets).length;
    process.stdout.write(
      `ESP-NN columns: ${met} of ${cells.length} cells at <= ${ESPNN_INSTRUCTION_BAR}x esp-tflite-micro + ESP-NN's instructions, bit-exact\n` +
        `ESP-NN's outputs differ from TFLite Micro's reference kernels: ${espnnDiffers(cells)}\n`,
    );
  }
  if (cells.some((c) => !c.meets)) process.exitCode = 1;
  return cells;
}

/** Where ESP-NN's recorded outputs differ from the reference kernels', for the table's last line. */
export function espnnDiffers(cells: EspnnCell[]): string {
  const measured = cells.filter((c) => c.espnnBitExact !== undefined);
  const differ = measured.filter((c) => c.espnnBitExact === false).map((c) => `${c.model} on ${c.chip}`);
  if (differ.length > 0) return differ.join(', ');
  return measured.length > 0 ? `nowhere (equal in all ${measured.length} measured cells, both inputs)` : 'no ESP-NN cell measured';
}

const n = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US'));

/** One line of the ESP-NN table. */
export function espnnRow(c: EspnnCell): string {
  if (c.error) return `${c.model.padEnd(14)} ${c.board.padEnd(19)} error: ${c.error}`;
  const ratio = c.ratio === undefined ? '-' : `${c.ratio.toFixed(3)}x`;
  const theirs = c.espnnBitExact === undefined ? 'ESP-NN -' : c.espnnBitExact ? 'ESP-NN = TFLM ref' : 'ESP-NN != TFLM ref';
  return [
    c.model.padEnd(14),
    c.board.padEnd(19),
    `ours ${n(c.instructions).padStart(11)}`,
    `ESP-NN ${n(c.espnnInstructions).padStart(11)}`,
    `insns ${ratio.padStart(7)}`,
    `arena ${n(c.arena).padStart(7)} B / ${n(c.espnnArena).padStart(7)} B`,
    c.bitExact ? 'bit-exact' : 'NOT BIT-EXACT',
    theirs,
    c.meets ? 'meets' : c.note ? c.note : 'FAILS',
  ].join('  ');
}
