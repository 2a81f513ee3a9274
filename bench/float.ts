// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench -- --float`: the float column. The float32 models of bench/float_models.ts (single
 * CONV_2D 3x3 and 1x1, DEPTHWISE_CONV_2D 3x3 stride 1 and 2, FULLY_CONNECTED layers, a small float
 * CNN) compiled and run as a user runs them (`tinyforge run MODEL --board B`) on the Cortex-M4F
 * (nucleo-l4r5zi) and Cortex-M7 (nucleo-h7a3zi-q) emulators, each against TFLite Micro's float32
 * reference kernels on the same emulated core as recorded in bench/baselines/tflm-float-ref.json
 * (no TFLite Micro runtime needed). Per model and board: instructions of one inference, TFLite
 * Micro's, the ratio (bar: <= 0.6x) and the arena against TFLite Micro's arena_used_bytes (bar:
 * <= 1.0x). Every run's outputs are checked against the reference (bit-exact) by `run` itself.
 *
 *   npm run bench -- --float [--models conv3x3_16x16x16_16,...] [--boards nucleo-l4r5zi,nucleo-h7a3zi-q] [--json]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toBytes } from '../src/core/ir/buffers.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { runModel } from '../src/lab/run/run.ts';
import { FLOAT_MODELS, type FloatModelParams, buildFloatModel, floatBenchInput } from './float_models.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const FLOAT_BASELINE = join(ROOT, 'bench', 'baselines', 'tflm-float-ref.json');

/** instructions per inference, at most this fraction of TFLite Micro's float reference kernels' */
export const FLOAT_INSTRUCTION_BAR = 0.6;
/** arena, at most this fraction of TFLite Micro's arena_used_bytes */
export const FLOAT_ARENA_BAR = 1.0;

const BOARDS: Record<string, 'cortex-m4' | 'cortex-m7'> = { 'nucleo-l4r5zi': 'cortex-m4', 'nucleo-h7a3zi-q': 'cortex-m7' };

interface Recorded {
  params: FloatModelParams;
  seed: number;
  'cortex-m4': { invoke_insns: number; arena_used: number } | null;
  'cortex-m7': { invoke_insns: number; arena_used: number } | null;
}

export interface FloatCell {
  model: string;
  board: string;
  core: string;
  instructions?: number;
  tflmInstructions?: number;
  ratio?: number;
  arena?: number;
  tflmArena?: number;
  arenaRatio?: number;
  bitExact: boolean;
  meets: boolean;
  error?: string;
}

/** The recorded TFLite Micro figures, by model; a model whose parameters changed since is refused. */
export function floatBaseline(): Record<string, Recorded> {
  const data = JSON.parse(readFileSync(FLOAT_BASELINE, 'utf8')) as { models: Record<string, Recorded> };
  for (const m of FLOAT_MODELS) {
    const r = data.models[m.name];
    if (!r) throw new Error(`${FLOAT_BASELINE}: no figures for ${m.name}`);
    if (JSON.stringify(r.params) !== JSON.stringify(m.params) || r.seed !== m.seed)
      throw new Error(`${m.name}: bench/float_models.ts no longer builds the model measured in ${FLOAT_BASELINE}`);
  }
  return data.models;
}

export async function runFloat(opts: { models?: string[]; boards?: string[]; json: boolean }): Promise<FloatCell[]> {
  const baseline = floatBaseline();
  const boards = opts.boards ?? Object.keys(BOARDS);
  for (const b of boards) if (!BOARDS[b]) throw new Error(`unknown board ${b} (the float column runs on ${Object.keys(BOARDS).join(', ')})`);
  const models = FLOAT_MODELS.filter((m) => !opts.models || opts.models.includes(m.name));
  if (opts.models) for (const name of opts.models) if (!FLOAT_MODELS.some((m) => m.name === name)) throw new Error(`unknown float model ${name}`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-bench-float-'));
  const cells: FloatCell[] = [];
  try {
    for (const m of models) {
      const graph = buildFloatModel(m);
      const path = join(dir, `${m.name}.tflite`);
      saveTflite(path, graph);
      const input = new Uint8Array(toBytes(floatBenchInput(graph)));
      for (const board of boards) {
        const core = BOARDS[board]!;
        const theirs = baseline[m.name]![core];
        const cell: FloatCell = { model: m.name, board, core, bitExact: false, meets: false };
        try {
          const report = await runModel(path, { target: core, board, cases: [[input]] });
          cell.bitExact = report.matchesReference;
          if (report.counter?.kind === 'instructions' && report.perInference !== null) cell.instructions = report.perInference;
          cell.arena = report.memory.arena;
          if (theirs) {
            cell.tflmInstructions = theirs.invoke_insns;
            cell.tflmArena = theirs.arena_used;
            if (cell.instructions !== undefined) cell.ratio = cell.instructions / theirs.invoke_insns;
            cell.arenaRatio = cell.arena / theirs.arena_used;
          }
          cell.meets =
            cell.bitExact &&
            cell.ratio !== undefined &&
            cell.ratio <= FLOAT_INSTRUCTION_BAR &&
            cell.arenaRatio !== undefined &&
            cell.arenaRatio <= FLOAT_ARENA_BAR;
        } catch (e) {
          cell.error = (e as Error).message.split('\n')[0];
        }
        cells.push(cell);
        if (!opts.json) process.stdout.write(floatRow(cell) + '\n');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (opts.json) process.stdout.write(JSON.stringify(cells, null, 1) + '\n');
  else {
    const met = cells.filter((c) => c.meets).length;
    process.stdout.write(
      `float column: ${met} of ${cells.length} cells at <= ${FLOAT_INSTRUCTION_BAR}x TFLite Micro's float reference instructions and <= ${FLOAT_ARENA_BAR}x its arena, bit-exact\n`,
    );
  }
  if (cells.some((c) => !c.meets)) process.exitCode = 1;
  return cells;
}

const n = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US'));

/** One line of the float table. */
export function floatRow(c: FloatCell): string {
  if (c.error) return `${c.model.padEnd(26)} ${c.board.padEnd(16)} error: ${c.error}`;
  const ratio = c.ratio === undefined ? '-' : `${c.ratio.toFixed(3)}x`;
  const arena = c.arenaRatio === undefined ? '-' : `${c.arenaRatio.toFixed(3)}x`;
  return [
    c.model.padEnd(26),
    c.board.padEnd(16),
    `ours ${n(c.instructions).padStart(10)}`,
    `TFLM float ref ${n(c.tflmInstructions).padStart(10)}`,
    `insns ${ratio.padStart(7)}`,
    `arena ${n(c.arena).padStart(7)} B / ${n(c.tflmArena).padStart(7)} B = ${arena.padStart(6)}`,
    c.bitExact ? 'bit-exact' : 'NOT BIT-EXACT',
    c.meets ? 'meets' : 'FAILS',
  ].join('  ');
}
