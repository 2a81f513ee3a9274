// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench -- --mlperf`: the four MLPerf Tiny reference models' shapes (keyword spotting DS-CNN,
 * visual wake words MobileNetV1 0.25 at 96x96x3, image classification ResNet-8, anomaly detection FC
 * autoencoder), generated in code with random int8 weights, run as a user runs them (`tinyforge run
 * MODEL --board B --json`) on the boards with published MLPerf Tiny closed-division results (the
 * Cortex-M4, M7 and M33 Nucleos, and the Cortex-M85 EK-RA8D1, whose code runs on QEMU's Cortex-M55),
 * and set against the best latency any submitter published for that board. Prints per cell the
 * estimated ms (core timing model over the emulator's trace, the board's clock and wait states), the
 * best published ms, the ratio and whether it meets the model's bar (<= 0.8x; VWW 0.9x), and per model the exact
 * instructions per MAC on the Cortex-M4 (bar: <= 1.0; VWW 1.05) and on the M55/M85's MVE code. Every run's outputs are checked against the
 * reference (bit-exact) by `run` itself; a mismatch fails the cell.
 *
 * Random weights stand for the trained models' live channels: the kernels' loops depend on shapes.
 * What depends on the values (the requantization each layer's accumulator bounds allow, pruned
 * channels, sparse kernels where most weights are zero) differs in the trained files, whose trained
 * VWW has pruned channels and zero-heavy 1x1 layers: `--mlperf-files DIR` runs them instead
 * (mlcommons/tiny's reference models, saved as kws.tflite, vww.tflite, ic.tflite, ad.tflite), as do
 * the files in ../shared/models/mlperf/ where that folder holds all four.
 *
 *   npm run bench -- --mlperf [--models kws,vww,ic,ad] [--boards nucleo-l4r5zi,...] [--mlperf-files DIR] [--json]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Graph } from '../src/core/ir/graph.ts';
import { saveTflite } from '../src/lab/model_files.ts';
import { fcAutoencoder } from '../test/helpers/autoencoder_model.ts';
import { kwsDsCnn } from '../test/helpers/kws_model.ts';
import { MOBILENET_V1_QUARTER, mobileNet } from '../test/helpers/mobilenet_model.ts';
import { resnet8 } from '../test/helpers/resnet_model.ts';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** a cell meets the bar at or below this fraction of the best published latency */
export const LATENCY_BAR = 0.8;
/** exact instructions per MAC on the Cortex-M4, at most */
export const PER_MAC_BAR = 1.0;

/**
 * The four reference models. MobileNetV1's bars are wider: its 3-channel stem and its depthwise
 * layers (a fifth of its MACs at 2-4 cycles each against the 1x1 layers' one) put the reachable
 * floor on the M4 at about 0.85-0.9x of the best published latency and 1.05 instructions per MAC.
 */
export const MLPERF_MODELS: { key: string; title: string; build: () => Graph; latencyBar: number; perMacBar: number }[] = [
  { key: 'kws', title: 'KWS DS-CNN', build: () => kwsDsCnn({ name: 'kws' }), latencyBar: LATENCY_BAR, perMacBar: PER_MAC_BAR },
  {
    key: 'vww',
    title: 'VWW MobileNetV1 0.25',
    build: () => mobileNet({ size: 96, channels: 3, widths: MOBILENET_V1_QUARTER, classes: 2, name: 'vww' }),
    latencyBar: 0.9,
    perMacBar: 1.05,
  },
  { key: 'ic', title: 'IC ResNet-8', build: () => resnet8({ name: 'ic' }), latencyBar: LATENCY_BAR, perMacBar: PER_MAC_BAR },
  { key: 'ad', title: 'AD FC autoencoder', build: () => fcAutoencoder({ name: 'ad' }), latencyBar: LATENCY_BAR, perMacBar: PER_MAC_BAR },
];

/**
 * Beside the trained VWW, the generated MobileNetV1 0.25 of the same shapes, dense (random weights,
 * no pruned channels, nothing sparse): a speed-up owed to the trained file's pruned channels shows
 * as the gap between the two rows. Its bar is the dense family's: 0.95x.
 */
export const DENSE_VWW = {
  key: 'vww-dense',
  title: 'VWW dense (generated)',
  build: MLPERF_MODELS[1]!.build,
  latencyBar: 0.95,
  perMacBar: 1.3,
};

const modelEntry = (key: string) => (key === DENSE_VWW.key ? DENSE_VWW : MLPERF_MODELS.find((x) => x.key === key)!);
/** The published figure a model is set against: the dense stand-in against VWW's. */
const publishedKey = (key: string) => (key === DENSE_VWW.key ? 'vww' : key);

const PLACEMENT_TITLE: Record<MlperfPlacement, string> = {
  default: "run's default (in flash as the vendors place them; staged per layer into the arena where the board's flash is slower and replayed)",
  auto: '--weights-in-ram auto (the most-read tables in SRAM for good, copied at boot)',
  staged: '--weights-in-ram staged',
  none: '--weights-in-ram none (every table read from flash)',
};

/** Where the weights are read from in a bench run: run's default, or `--weights-in-ram auto` (the most-read tables in SRAM for good). */
export type MlperfPlacement = 'default' | 'auto' | 'staged' | 'none';

/**
 * The lowest latency (ms, single stream) any submitter published for the board in the MLPerf Tiny
 * closed division, v1.1 to v1.3, and who published it.
 */
export const PUBLISHED_BEST: Record<string, { core: string; mhz: number; best: Record<string, { ms: number; by: string }> }> = {
  'nucleo-l4r5zi': {
    core: 'cortex-m4',
    mhz: 120,
    best: { kws: { ms: 43.19, by: 'ST' }, vww: { ms: 88.93, by: 'ST' }, ic: { ms: 165.1, by: 'ST' }, ad: { ms: 4.05, by: 'Plumerai' } },
  },
  'nucleo-h7a3zi-q': {
    core: 'cortex-m7',
    mhz: 280,
    best: { kws: { ms: 11.32, by: 'ST' }, vww: { ms: 23.8, by: 'ST' }, ic: { ms: 40.85, by: 'ST' }, ad: { ms: 1.08, by: 'Bosch' } },
  },
  'nucleo-u575zi-q': {
    core: 'cortex-m33',
    mhz: 160,
    best: { kws: { ms: 29.0, by: 'ST' }, vww: { ms: 59.27, by: 'ST' }, ic: { ms: 104.3, by: 'Plumerai' }, ad: { ms: 3.09, by: 'Bosch' } },
  },
  // the Helium board: Renesas's own submission, TFLite Micro + CMSIS-NN's MVE kernels
  'ek-ra8d1': {
    core: 'cortex-m85',
    mhz: 480,
    best: {
      kws: { ms: 3.47, by: 'Renesas (TFLM + CMSIS-NN)' },
      vww: { ms: 13.39, by: 'Renesas (TFLM + CMSIS-NN)' },
      ic: { ms: 8.48, by: 'Renesas (TFLM + CMSIS-NN)' },
      ad: { ms: 0.53, by: 'Renesas (TFLM + CMSIS-NN)' },
    },
  },
};

/** The boards whose exact instructions per MAC the table prints (the emulated core's count); `barred`: the model's per-MAC bar holds there. */
const PER_MAC_BOARDS: { board: string; label: string; barred?: boolean }[] = [
  { board: 'nucleo-l4r5zi', label: 'M4 insn/MAC', barred: true },
  { board: 'ek-ra8d1', label: 'M55 insn/MAC' },
];

export interface MlperfCell {
  model: string;
  board: string;
  placement: MlperfPlacement;
  /** estimated ms, or null with `error` */
  ms: number | null;
  best: number;
  by: string;
  ratio: number | null;
  meets: boolean;
  bitExact: boolean;
  instructions?: number;
  macs?: number;
  error?: string;
}

interface RunJson {
  perInference: number;
  macs: number;
  counter: { kind: string };
  matchesReference: boolean;
  estimates?: { kind: string; value: number }[];
}

async function runCell(modelPath: string, model: string, board: string, placement: MlperfPlacement): Promise<MlperfCell> {
  const published = PUBLISHED_BEST[board]!.best[publishedKey(model)]!;
  const cell: MlperfCell = { model, board, placement, ms: null, best: published.ms, by: published.by, ratio: null, meets: false, bitExact: false };
  const extra = placement === 'default' ? [] : ['--weights-in-ram', placement];
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/face/cli/main.ts'), 'run', modelPath, '--board', board, '--json', ...extra],
      {
        cwd: ROOT,
        maxBuffer: 64 << 20,
        timeout: 900_000,
      },
    );
    const out = JSON.parse(stdout) as RunJson;
    const ms = out.estimates?.find((e) => e.kind === 'ms-estimated')?.value;
    if (ms === undefined) throw new Error('no ms estimate in the run report');
    cell.ms = ms;
    cell.ratio = ms / published.ms;
    cell.bitExact = out.matchesReference;
    cell.meets = cell.bitExact && cell.ratio <= modelEntry(model).latencyBar;
    if (out.counter.kind === 'instructions') cell.instructions = out.perInference;
    cell.macs = out.macs;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    cell.error = (err.stderr?.trim().split('\n').pop() ?? err.message.split('\n')[0])!;
  }
  return cell;
}

function table(all: MlperfCell[], models: string[], boards: string[], placement: MlperfPlacement): string {
  const cells = all.filter((c) => c.placement === placement);
  const lines: string[] = [];
  const perMacBoards = PER_MAC_BOARDS.filter((p) => boards.includes(p.board));
  const head = [
    'model',
    ...boards.map((b) => `${b} ${PUBLISHED_BEST[b]!.core.replace('cortex-', '').toUpperCase()}@${PUBLISHED_BEST[b]!.mhz}`),
    ...perMacBoards.map((p) => p.label),
  ];
  const rows = models.map((m) => {
    const { title, perMacBar } = modelEntry(m);
    const perBoard = boards.map((b) => {
      const c = cells.find((x) => x.model === m && x.board === b)!;
      if (c.ms === null) return `error: ${c.error}`;
      return `${c.ms.toFixed(2)}/${c.best} ${c.ratio!.toFixed(2)}x ${c.meets ? 'ok' : c.bitExact ? 'OVER' : 'NOT BIT-EXACT'}`;
    });
    const perMac = perMacBoards.map(({ board, barred }) => {
      const c = cells.find((x) => x.model === m && x.board === board && x.instructions !== undefined);
      if (!c) return '-';
      const value = c.instructions! / c.macs!;
      return !barred ? value.toFixed(3) : `${value.toFixed(3)} ${value <= perMacBar ? 'ok' : 'OVER'}`;
    });
    return [title, ...perBoard, ...perMac];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt));
  return lines.join('\n');
}

/** Where the trained reference files are kept when the shared folder holds them (kws/vww/ic/ad.tflite). */
export const SHARED_MLPERF_FILES = resolve(ROOT, '..', 'shared', 'models', 'mlperf');

export async function runMlperf(options: { models?: string[]; boards?: string[]; json: boolean; weightsInRam?: string; files?: string }): Promise<number> {
  // the trained files where given or shared, else the generated shapes (the source is printed)
  const files = options.files ?? (MLPERF_MODELS.every((m) => existsSync(join(SHARED_MLPERF_FILES, `${m.key}.tflite`))) ? SHARED_MLPERF_FILES : undefined);
  // both placements unless one is asked for: the default (weights in flash, as the vendors place them) and auto
  const given = options.weightsInRam;
  if (given !== undefined && !['auto', 'staged', 'none'].includes(given)) throw new Error(`--weights-in-ram must be staged, auto or none, got '${given}'`);
  const placements: MlperfPlacement[] = given === undefined ? ['default', 'auto'] : [given as MlperfPlacement];
  const models = options.models ?? MLPERF_MODELS.map((m) => m.key);
  // the trained VWW gets its dense twin beside it
  if (files !== undefined && options.models === undefined) models.splice(models.indexOf('vww') + 1, 0, DENSE_VWW.key);
  const boards = options.boards ?? Object.keys(PUBLISHED_BEST);
  for (const m of models)
    if (!MLPERF_MODELS.some((x) => x.key === m) && m !== DENSE_VWW.key) throw new Error(`unknown model ${m} (kws, vww, vww-dense, ic, ad)`);
  for (const b of boards) if (!PUBLISHED_BEST[b]) throw new Error(`no published MLPerf Tiny result for board ${b} (${Object.keys(PUBLISHED_BEST).join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-mlperf-'));
  try {
    const paths = new Map<string, string>();
    for (const m of models) {
      // the reference files themselves where given (mlcommons/tiny's, named kws/vww/ic/ad.tflite)
      const file = files === undefined || m === DENSE_VWW.key ? undefined : join(files, `${m}.tflite`);
      if (file !== undefined && !existsSync(file)) throw new Error(`${file}: no such file (--mlperf-files holds kws.tflite, vww.tflite, ic.tflite, ad.tflite)`);
      const path = file ?? join(dir, `${m}.tflite`);
      if (file === undefined) saveTflite(path, modelEntry(m).build());
      paths.set(m, path);
    }
    const jobs = placements.flatMap((p) => models.flatMap((m) => boards.map((b) => [m, b, p] as const)));
    const cells: MlperfCell[] = [];
    // two at a time: each run is an emulator and a compiler, one core each
    for (let i = 0; i < jobs.length; i += 2) {
      const batch = jobs.slice(i, i + 2).map(([m, b, p]) => runCell(paths.get(m)!, m, b, p));
      for (const c of await Promise.all(batch)) {
        cells.push(c);
        process.stderr.write(`${c.model} on ${c.board} (${c.placement}): ${c.ms === null ? c.error : `${c.ms.toFixed(2)} ms`}\n`);
      }
    }
    const source = files === undefined ? 'the generated shapes, random weights' : `the trained reference files in ${files}`;
    if (options.json)
      process.stdout.write(
        JSON.stringify(
          { models: source, bar: Object.fromEntries(MLPERF_MODELS.map((x) => [x.key, { latency: x.latencyBar, perMac: x.perMacBar }])), cells },
          null,
          2,
        ) + '\n',
      );
    else {
      process.stdout.write(`models: ${source}\n`);
      process.stdout.write(
        `estimated ms/best published MLPerf Tiny ms (closed division, v1.1-v1.3), ratio; bar ${models.map((m) => `${m} <= ${modelEntry(m).latencyBar}x`).join(', ')}\n`,
      );
      for (const p of placements) process.stdout.write(`\nweights: ${PLACEMENT_TITLE[p]}\n${table(cells, models, boards, p)}\n`);
      const by = boards.map((b) => `${b}: ${models.map((m) => `${m} ${PUBLISHED_BEST[b]!.best[publishedKey(m)]!.by}`).join(', ')}`);
      process.stdout.write(`best published by: ${by.join('; ')}\n`);
    }
    const failed = cells.filter((c) => !c.meets).length;
    (options.json ? process.stderr : process.stdout).write(`${cells.length - failed} of ${cells.length} cells at or under their bar\n`);
    return failed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
