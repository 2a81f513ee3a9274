// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench -- --sweep`: the perf sweep. Every layer of the grid (bench/sweep_grid.ts) as a
 * one-op int8 model, compiled for each target, built, run once on the emulated board, and reported
 * as instructions (cycles on the RP2040) per MAC (per tap or element for MAC-free ops, as the ops'
 * own `macs` count them), with the kernel variant chosen and whether the output is bit-exact with the
 * TS reference; on the Cortex-M4, the Cortex-M55 and the RP2040 the same .tflite also runs under
 * TFLite Micro + CMSIS-NN on the same emulated board (test/helpers/runtimes.ts: tflm-cmsis-m4/run,
 * exact instructions of Invoke; tflm-cmsis-m55/run, the same with CMSIS-NN's MVE kernels;
 * tflm-cmsis-m0/run, rp2040js cycles of Invoke) for ours / theirs and theirs per MAC, with their
 * outputs checked equal to ours. Then per op and target: best, median and worst per MAC with their shapes, every
 * shape more than 1.5x the best of its op and target flagged, best, median and worst ours / theirs,
 * and every layer over CMSIS_BAR x theirs.
 *
 * One model per layer (no batching): the whole-invoke count is then the layer's count exactly, on
 * QEMU by the instruction-window plugin, and the CMSIS-NN run sees the very same model.
 * Counts include the invoke call's fixed cost (tens of instructions for us; TFLite Micro's
 * interpreter adds about a thousand per Invoke), which only tiny layers notice.
 *
 *   npm run bench -- --sweep [--quick] [--ops conv,dw,fc,avgpool,maxpool,add,mul,mean,softmax]
 *                            [--targets cortex-m4,cortex-m55,rp2040,esp32c3] [--json] [--no-cmsis]
 *   npm run bench -- --sweep --report bench/sweep.json    (the tables of a saved run, even a partial one)
 *   npm run bench -- --sweep --report bench/sweep.json --markdown docs/kernels.md   (its summary into the page)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileGraph } from '../src/core/compile.ts';
import { writeDirectoryAtomically } from '../src/lab/output.ts';
import { writeTflite } from '../src/core/model/tflite/writer.ts';
import { interpret } from '../src/core/ops/interpreter.ts';
import { buildFirmware, boardOf, loadTarget } from '../src/lab/toolchain/index.ts';
import { runOnBoard } from '../src/lab/device/index.ts';
import { buildPlugin, invokeWindow, pluginWrapper } from './plugin.ts';
import { type LayerSpec, SWEEP_OPS, type SweepOp, interleaved, layerGraph, sizeOf, sweepGrid } from './sweep_grid.ts';
import { type RuntimeName, missingRuntimeNotice, runtimePath } from '../test/helpers/runtimes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT_JSON = join(ROOT, 'bench', 'sweep.json');
/** a shape this much above the best per-MAC figure of its op and target is flagged */
export const FLAG_RATIO = 1.5;
/** issue #39's bar per layer: ours at most this much of TFLite Micro + CMSIS-NN's count on the same board */
export const CMSIS_BAR = 0.5;

/**
 * TFLite Micro + CMSIS-NN per target, and the figure of its report that is ours' counterpart.
 * M4 and M55: instructions of Invoke, as the plugin counts ours (the M55's build runs CMSIS-NN's
 * MVE kernels on QEMU's mps3-an547, the board of our cortex-m55 target). RP2040: both are rp2040js cycles, the same
 * timing model of the same package (the runner imports the project's rp2040js) on the same core at
 * the same clock: ours is SysTick on clk_sys (firmware/arm/systick_counter.h) around our invoke,
 * which rp2040js advances by each instruction's cycles (src/lab/device/rp2040/emulator.ts); theirs is
 * core.cycles between markers around Invoke, minus an empty bracket. rp2040js prices memory alike
 * in flash (XIP, no cache misses modelled) and SRAM, so where each build puts code and weights does
 * not move either count. Ours keeps the counter reads and a SysTick wrap every 2^24 cycles (tens of
 * cycles), theirs the interpreter's per-Invoke walk (about a thousand): noise except on tiny layers.
 */
const CMSIS: Record<string, { runtime: RuntimeName; figure: 'invoke_instructions' | 'invoke_cycles' }> = {
  'cortex-m4': { runtime: 'tflm-cmsis-m4', figure: 'invoke_instructions' },
  'cortex-m55': { runtime: 'tflm-cmsis-m55', figure: 'invoke_instructions' },
  rp2040: { runtime: 'tflm-cmsis-m0', figure: 'invoke_cycles' },
};

interface TargetPlan {
  target: string;
  board: string;
  /** counted exactly by the plugin (QEMU Arm boards); otherwise the board's own counter */
  plugin: boolean;
}

const TARGETS: TargetPlan[] = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', plugin: true },
  { target: 'cortex-m55', board: 'qemu-mps3-an547', plugin: true },
  { target: 'rp2040', board: 'rp2040js', plugin: false },
  // minstret under -icount: exact instructions without a plugin
  { target: 'esp32c3', board: 'qemu-riscv32-virt', plugin: false },
];

export interface SweepRow {
  op: SweepOp;
  shape: string;
  target: string;
  counter: 'instructions' | 'cycles';
  macs: number;
  variant: string;
  /** per inference; null when the layer did not run (see `skipped`) */
  count: number | null;
  perMac: number | null;
  bitExact: boolean | null;
  arena: number;
  /** TFLite Micro + CMSIS-NN on the same board: its count in this row's unit, arena, ours / theirs */
  cmsis?: { count: number; arena: number; ratio: number; sameOutputs: boolean } | { error: string };
  skipped?: string;
  seconds: number;
}

interface SweepOptions {
  quick: boolean;
  ops?: SweepOp[];
  targets?: string[];
  json: boolean;
  /** reprint the tables of a saved --json run instead of running */
  report?: string;
  cmsis: boolean;
  /** with `report`: write the summary table into this Markdown file, between the sweep markers */
  markdown?: string;
  /** only the layers whose `op shape` contains one of these (e.g. `k1s1 7x7`, `dw k3s1m1 56x56`) */
  shapes?: string[];
}

/** The sweep's options from `npm run bench -- --sweep ...` (bench.ts parses the command line). */
export interface SweepArgs {
  quick?: boolean;
  json?: boolean;
  report?: string;
  cmsis?: boolean;
  markdown?: string;
  shapes?: string;
  ops?: string;
  targets?: string;
}

/** Checks the sweep's options; a bad one is one line naming it, thrown as a plain Error for bench.ts to print. */
export function sweepOptions(a: SweepArgs): SweepOptions {
  const o: SweepOptions = { quick: a.quick === true, json: a.json === true, cmsis: a.cmsis !== false, report: a.report, markdown: a.markdown };
  if (o.markdown !== undefined && o.report === undefined) throw new Error('--markdown: takes the tables of a saved run: give --report too');
  if (a.shapes !== undefined) o.shapes = a.shapes.split(',');
  if (a.ops !== undefined) {
    o.ops = a.ops.split(',') as SweepOp[];
    const bad = o.ops.filter((op) => !SWEEP_OPS.includes(op));
    if (bad.length > 0) throw new Error(`--ops: unknown ${bad.join(', ')} (known: ${SWEEP_OPS.join(', ')})`);
  }
  if (a.targets !== undefined) {
    o.targets = a.targets.split(',');
    const bad = o.targets.filter((t) => !TARGETS.some((p) => p.target === t));
    if (bad.length > 0) throw new Error(`--targets: unknown ${bad.join(', ')} (known: ${TARGETS.map((p) => p.target).join(', ')})`);
  }
  return o;
}

/** What the target's RAM leaves the arena: all of it but the stack and the harness's own statics. */
function arenaBudget(target: ReturnType<typeof loadTarget>): number {
  return target.memory!.ram.bytes - target.memory!.stackBytes - 16 * 1024;
}

async function runLayer(
  l: LayerSpec,
  plan: TargetPlan,
  dir: string,
  plugin: string,
  pluginDir: string,
  /** the layer's .tflite when TFLite Micro + CMSIS-NN is to run it too on this target, else '' */
  modelFile: string,
  input: Uint8Array,
): Promise<SweepRow> {
  const t0 = performance.now();
  const target = loadTarget(plan.target);
  const board = boardOf(target, plan.board)!;
  const { graph } = layerGraph(l);
  const compiled = compileGraph(graph, graph.name, { isa: target.isa });
  const layer = compiled.prepared.layers.find((x) => !x.isAlias) ?? compiled.prepared.layers[0]!;
  const base: SweepRow = {
    op: l.op,
    shape: l.shape,
    target: plan.target,
    counter: board.counter?.kind === 'cycles' ? 'cycles' : 'instructions',
    macs: layer.macs,
    variant: layer.variant.name,
    count: null,
    perMac: null,
    bitExact: null,
    arena: compiled.plan.arenaBytes,
    seconds: 0,
  };
  const done = (r: SweepRow) => ({ ...r, seconds: (performance.now() - t0) / 1000 });
  if (compiled.plan.arenaBytes > arenaBudget(target))
    return done({ ...base, skipped: `arena ${compiled.plan.arenaBytes} B over the board's ${arenaBudget(target)}` });
  const work = join(dir, `${plan.target}`);
  rmSync(work, { recursive: true, force: true });
  const modelDir = writeDirectoryAtomically(join(work, 'model'), compiled.generated.files);
  let build;
  try {
    build = await buildFirmware({
      target: target.name,
      board: board.name,
      modelDir,
      outDir: join(work, 'build'),
      input0ArenaOffset: compiled.plan.tensorOffset.get(graph.inputs[0]!),
    });
  } catch (e) {
    return done({ ...base, skipped: `build: ${(e as Error).message.split('\n')[0]}` });
  }
  const countsFile = join(work, 'insn_counts.txt');
  const savedPath = process.env.PATH;
  if (plan.plugin) {
    const { start, stops } = invokeWindow(build.elf, compiled.generated.prefix);
    process.env.TF_BENCH_PLUGIN = [plugin, `start=0x${start.toString(16)}`, ...stops.map((s) => `stop=0x${s.toString(16)}`), `out=${countsFile}`].join(',');
    process.env.PATH = `${pluginWrapper(pluginDir, board.emulator!.command)}:${savedPath}`;
  }
  let run;
  try {
    run = await runOnBoard({ board: board.name, elf: build.elf, cases: [input], timeoutMs: 600_000 });
  } finally {
    process.env.PATH = savedPath;
  }
  const c = run.cases[0]!;
  let count = c.count;
  if (plan.plugin) {
    const windows = existsSync(countsFile)
      ? readFileSync(countsFile, 'utf8')
          .trim()
          .split('\n')
          .filter((x) => x !== '')
          .map(Number)
      : [];
    if (windows.length === 0 || Math.abs(windows[0]! - c.count) > 40 * 3)
      throw new Error(`${l.shape} on ${plan.target}: plugin ${windows[0]} and SysTick x 40 ${c.count} disagree`);
    count = windows[0]!;
  }
  const expected = interpret(compiled.prepared, splitInputs(graph, input)).outputs;
  const expectedBytes = Buffer.concat(expected);
  const bitExact = Buffer.from(c.outputs).equals(expectedBytes);
  const row: SweepRow = { ...base, counter: run.counter.kind, count, perMac: layer.macs > 0 ? count / layer.macs : null, bitExact };
  const cmsis = CMSIS[plan.target];
  if (cmsis && modelFile) row.cmsis = cmsisRun(cmsis, modelFile, join(dir, 'input.bin'), count, expectedBytes);
  return done(row);
}

function cmsisRun(cmsis: (typeof CMSIS)[string], modelFile: string, inputFile: string, ours: number, expected: Buffer): SweepRow['cmsis'] {
  try {
    const out = execFileSync(runtimePath(cmsis.runtime), [modelFile, inputFile], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const j = JSON.parse(out.trim().split('\n').pop()!) as Partial<Record<(typeof cmsis)['figure'], number>> & {
      outputs_hex?: string;
      arena_used_bytes?: number;
      error?: string;
    };
    const theirs = j[cmsis.figure];
    if (j.error || theirs === undefined) return { error: j.error ?? 'no count' };
    return {
      count: theirs,
      arena: j.arena_used_bytes ?? 0,
      ratio: ours / theirs,
      sameOutputs: j.outputs_hex === expected.toString('hex'),
    };
  } catch (e) {
    const stdout = (e as { stdout?: string }).stdout ?? '';
    return { error: stdout.trim() || (e as Error).message.split('\n')[0]! };
  }
}

function splitInputs(graph: ReturnType<typeof layerGraph>['graph'], bytes: Uint8Array): Uint8Array[] {
  let at = 0;
  return graph.inputs.map((i) => {
    const n = graph.tensors[i]!.shape.reduce((a, b) => a * b, 1);
    return bytes.slice(at, (at += n));
  });
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '-' : v.toFixed(digits));

function printRow(r: SweepRow): void {
  const unit = r.counter === 'cycles' ? 'cyc' : 'ins';
  const cm = r.cmsis
    ? 'error' in r.cmsis
      ? `  CMSIS-NN: ${r.cmsis.error}`
      : `  CMSIS-NN ${r.cmsis.count.toLocaleString('en-US')} ${unit}${r.macs > 0 ? `, ${fmt(r.cmsis.count / r.macs)} ${unit}/MAC` : ''}, ours/theirs ${r.cmsis.ratio.toFixed(2)}x${r.cmsis.sameOutputs ? '' : ' (OUTPUTS DIFFER)'}`
    : '';
  const what = r.skipped
    ? `skipped: ${r.skipped}`
    : `${r.count!.toLocaleString('en-US')} ${unit}, ${fmt(r.perMac)} ${unit}/MAC${r.bitExact ? '' : ' NOT BIT-EXACT'}`;
  process.stdout.write(`${r.op.padEnd(7)} ${r.shape.padEnd(24)} ${r.target.padEnd(9)} ${r.variant.padEnd(22)} ${what}${cm}  [${r.seconds.toFixed(1)} s]\n`);
}

export interface Summary {
  op: SweepOp;
  target: string;
  counter: string;
  n: number;
  best: SweepRow;
  median: SweepRow;
  worst: SweepRow;
  flagged: SweepRow[];
  /** ours / TFLite Micro + CMSIS-NN over the layers it ran: best, median, worst, and every layer over CMSIS_BAR */
  cmsis: { n: number; best: SweepRow; median: SweepRow; worst: SweepRow; over: SweepRow[] } | null;
}

/** ours / theirs of a row TFLite Micro + CMSIS-NN ran, else null */
export const cmsisRatio = (r: SweepRow): number | null => (r.cmsis && !('error' in r.cmsis) ? r.cmsis.ratio : null);

/** Per op and target: best, median, worst per MAC and the shapes over FLAG_RATIO x the best. */
export function summarize(rows: SweepRow[]): Summary[] {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    if (r.perMac === null) continue;
    const key = `${r.op}\t${r.target}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: Summary[] = [];
  for (const [, g] of groups) {
    const sorted = [...g].sort((a, b) => a.perMac! - b.perMac!);
    const best = sorted[0]!;
    const byRatio = g.filter((r) => cmsisRatio(r) !== null).sort((a, b) => cmsisRatio(a)! - cmsisRatio(b)!);
    out.push({
      op: best.op,
      target: best.target,
      counter: best.counter,
      n: g.length,
      best,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      worst: sorted[sorted.length - 1]!,
      flagged: sorted.filter((r) => r.perMac! > FLAG_RATIO * best.perMac!),
      cmsis:
        byRatio.length === 0
          ? null
          : {
              n: byRatio.length,
              best: byRatio[0]!,
              median: byRatio[Math.floor((byRatio.length - 1) / 2)]!,
              worst: byRatio[byRatio.length - 1]!,
              over: byRatio.filter((r) => cmsisRatio(r)! > CMSIS_BAR),
            },
    });
  }
  return out.sort((a, b) => SWEEP_OPS.indexOf(a.op) - SWEEP_OPS.indexOf(b.op) || a.target.localeCompare(b.target));
}

/** How many shapes are flagged, the three worst named (the per-layer table has them all). */
function flaggedCell(s: Summary): string {
  if (s.flagged.length === 0) return '-';
  const worst = [...s.flagged]
    .reverse()
    .slice(0, 3)
    .map((r) => `${r.shape} ${(r.perMac! / s.best.perMac!).toFixed(1)}x`);
  return `${s.flagged.length}: ${worst.join('; ')}${s.flagged.length > 3 ? '; ...' : ''}`;
}

/** Every layer over CMSIS_BAR x TFLite Micro + CMSIS-NN, worst first, each with its ratio. */
function overCell(s: Summary): string {
  if (!s.cmsis) return '-';
  if (s.cmsis.over.length === 0) return 'none';
  return [...s.cmsis.over]
    .reverse()
    .map((r) => `${r.shape} ${cmsisRatio(r)!.toFixed(2)}x`)
    .join('; ');
}

export function summaryTable(summaries: Summary[]): string {
  const cell = (r: SweepRow) => `${fmt(r.perMac)} (${r.shape}${r.variant === 'portable' ? '' : `, ${r.variant}`})`;
  const ratioCell = (r: SweepRow) => `${cmsisRatio(r)!.toFixed(2)}x (${r.shape})`;
  const lines = [
    `| op | target | unit/MAC | layers | best | median | worst | > ${FLAG_RATIO}x best | ours/CMSIS-NN best | median | worst | > ${CMSIS_BAR}x CMSIS-NN |`,
    '|---|---|---|---:|---|---|---|---|---|---|---|---|',
    ...summaries.map(
      (s) =>
        `| ${s.op} | ${s.target} | ${s.counter === 'cycles' ? 'cycles' : 'instr.'} | ${s.n} | ${cell(s.best)} | ${cell(s.median)} | ${cell(s.worst)} | ` +
        `${flaggedCell(s)} | ${s.cmsis ? `${ratioCell(s.cmsis.best)} | ${ratioCell(s.cmsis.median)} | ${ratioCell(s.cmsis.worst)}` : '- | - | -'} | ${overCell(s)} |`,
    ),
  ];
  return lines.join('\n');
}

/**
 * One line per layer, the targets side by side: count per MAC (variant where not portable), and
 * where TFLite Micro + CMSIS-NN ran: ours/theirs, arena ours/theirs, and theirs per MAC.
 */
export function layerTable(rows: SweepRow[]): string {
  const targets = [...new Set(rows.map((r) => r.target))];
  const layers = [...new Map(rows.map((r) => [`${r.op}\t${r.shape}`, r])).values()].sort((a, b) => SWEEP_OPS.indexOf(a.op) - SWEEP_OPS.indexOf(b.op));
  const unit = (t: string) => (rows.find((r) => r.target === t)?.counter === 'cycles' ? 'cycles' : 'instr.');
  const cell = (r: SweepRow | undefined) =>
    !r
      ? '-'
      : r.perMac === null
        ? (r.skipped ?? '-')
        : `${fmt(r.perMac)}${r.variant === 'portable' ? '' : ` ${r.variant}`}${r.bitExact ? '' : ' (NOT BIT-EXACT)'}`;
  const compared = targets.filter((t) => rows.some((r) => r.target === t && r.cmsis));
  const ratio = (r: SweepRow | undefined) => {
    const c = r?.cmsis;
    if (!c) return '-';
    if ('error' in c) return c.error;
    return `${c.ratio.toFixed(2)}x${c.ratio > CMSIS_BAR ? ' (over)' : ''}${c.sameOutputs ? '' : ' (OUTPUTS DIFFER)'}, ${(r!.arena / Math.max(1, c.arena)).toFixed(2)}x`;
  };
  const theirsPerMac = (r: SweepRow | undefined) => (r?.cmsis && !('error' in r.cmsis) && r.macs > 0 ? fmt(r.cmsis.count / r.macs) : '-');
  const lines = [
    `| op | shape | MACs | ${[
      ...targets.map((t) => `${t} ${unit(t)}/MAC`),
      ...compared.flatMap((t) => [`${t} ours/CMSIS-NN (${unit(t)}, arena)`, `${t} CMSIS-NN ${unit(t)}/MAC`]),
    ].join(' | ')} |`,
    `|---|---|---:|${targets.map(() => '---|').join('')}${compared.map(() => '---:|---:|').join('')}`,
    ...layers.map((l) => {
      const of = rows.filter((r) => r.op === l.op && r.shape === l.shape);
      const at = (t: string) => of.find((r) => r.target === t);
      return `| ${l.op} | ${l.shape} | ${l.macs.toLocaleString('en-US')} | ${[
        ...targets.map((t) => cell(at(t))),
        ...compared.flatMap((t) => [ratio(at(t)), theirsPerMac(at(t))]),
      ].join(' | ')} |`;
    }),
  ];
  return lines.join('\n');
}

const SUMMARY_BEGIN = '<!-- sweep summary: generated by `npm run bench -- --sweep --report FILE --markdown docs/kernels.md` -->';
const SUMMARY_END = '<!-- end of sweep summary -->';

/** Replaces what lies between the summary markers of a Markdown file (the docs' table stays the bench's output). */
function writeSummaryInto(file: string, text: string): void {
  const page = readFileSync(file, 'utf8');
  const begin = page.indexOf(SUMMARY_BEGIN);
  const end = page.indexOf(SUMMARY_END);
  if (begin < 0 || end < begin) throw new Error(`no summary markers (a line "${SUMMARY_BEGIN}", then one "${SUMMARY_END}")`);
  writeFileSync(file, `${page.slice(0, begin + SUMMARY_BEGIN.length)}\n${text}\n${page.slice(end)}`);
}

export async function runSweep(opts: SweepOptions): Promise<void> {
  if (opts.report) {
    let saved: { date: string; grid: string; complete?: boolean; rows: SweepRow[] };
    try {
      saved = JSON.parse(readFileSync(opts.report, 'utf8')) as typeof saved;
      if (!Array.isArray(saved.rows)) throw new Error('no rows: not a saved sweep (--json writes bench/sweep.json)');
    } catch (e) {
      process.stderr.write(
        `error: bench --sweep --report ${opts.report}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`,
      );
      process.exitCode = 2;
      return;
    }
    // runs saved before the RP2040 comparison named the M4's count `instructions`
    for (const r of saved.rows) {
      const old = r.cmsis as { instructions?: number } | undefined;
      if (old?.instructions !== undefined) r.cmsis = { ...(r.cmsis as object), count: old.instructions } as SweepRow['cmsis'];
    }
    const heading = `${saved.grid} grid, ${saved.date}${saved.complete === false ? ' (partial)' : ''}`;
    const summary = summaryTable(summarize(saved.rows));
    process.stdout.write(`${heading}\n\n${layerTable(saved.rows)}\n\n${summary}\n`);
    if (opts.markdown) {
      try {
        writeSummaryInto(
          opts.markdown,
          `From the ${saved.grid} grid's run of ${saved.date}${saved.complete === false ? ' (stopped early)' : ''}:\n\n${summary}`,
        );
      } catch (e) {
        process.stderr.write(`error: bench --sweep --markdown ${opts.markdown}: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`wrote the summary into ${opts.markdown}\n`);
    }
    return;
  }
  const grid = sweepGrid({ quick: opts.quick, ops: opts.ops });
  if (opts.shapes) grid.layers = grid.layers.filter((l) => opts.shapes!.some((s) => `${l.op} ${l.shape}`.includes(s)));
  const plans = TARGETS.filter((p) => !opts.targets || opts.targets.includes(p.target)).filter((p) => {
    // a target this checkout does not have yet (its JSON or board): one line, not a failed row per layer
    try {
      boardOf(loadTarget(p.target), p.board);
      return true;
    } catch (e) {
      process.stdout.write(`NOTICE: ${p.target} on ${p.board} skipped: ${(e as Error).message.split('\n')[0]}\n`);
      return false;
    }
  });
  const compared = plans.filter((p) => opts.cmsis && CMSIS[p.target]).map((p) => p.target);
  const cmsisOn = new Set(compared.filter((t) => existsSync(runtimePath(CMSIS[t]!.runtime))));
  process.stdout.write(
    `perf sweep: ${grid.layers.length} layers (${opts.quick ? 'quick' : 'full'} grid) on ${plans.map((p) => p.target).join(', ')}${cmsisOn.size > 0 ? `, CMSIS-NN on ${[...cmsisOn].join(', ')}` : ''}; ${grid.pruned.length} combinations pruned\n`,
  );
  for (const t of compared.filter((t) => !cmsisOn.has(t)))
    process.stdout.write(`${missingRuntimeNotice(CMSIS[t]!.runtime, `no ours/CMSIS-NN column for ${t}`)}\n`);
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-sweep-'));
  const rows: SweepRow[] = [];
  const started = Date.now();
  // rewritten after every layer, so a long run stopped early still leaves its figures
  const save = (complete: boolean) =>
    opts.json &&
    writeFileSync(
      OUT_JSON,
      `${JSON.stringify({ date: new Date().toISOString(), grid: opts.quick ? 'quick' : 'full', complete, minutes: Number(((Date.now() - started) / 60000).toFixed(1)), rows, pruned: grid.pruned }, null, 1)}\n`,
    );
  try {
    const pluginDir = join(work, 'plugin');
    mkdirSync(pluginDir);
    const plugin = buildPlugin(pluginDir);
    for (const [i, l] of interleaved(grid.layers).entries()) {
      const dir = join(work, `layer${i}`);
      mkdirSync(dir);
      const { graph, input } = layerGraph(l);
      const modelFile = join(dir, 'model.tflite');
      writeFileSync(modelFile, writeTflite(graph));
      writeFileSync(join(dir, 'input.bin'), input);
      for (const plan of plans) {
        let row: SweepRow;
        try {
          row = await runLayer(l, plan, dir, plugin, pluginDir, cmsisOn.has(plan.target) ? modelFile : '', input);
        } catch (e) {
          row = {
            op: l.op,
            shape: l.shape,
            target: plan.target,
            counter: 'instructions',
            macs: sizeOf(l).macs,
            variant: '?',
            count: null,
            perMac: null,
            bitExact: null,
            arena: 0,
            seconds: 0,
            skipped: `FAILED: ${(e as Error).message.split('\n')[0]}`,
          };
        }
        rows.push(row);
        printRow(row);
      }
      rmSync(dir, { recursive: true, force: true });
      save(false);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const summaries = summarize(rows);
  process.stdout.write(`\n${layerTable(rows)}\n\n${summaryTable(summaries)}\n\n`);
  for (const p of grid.pruned) process.stdout.write(`pruned: ${p}\n`);
  const failed = rows.filter((r) => r.bitExact === false || r.skipped?.startsWith('FAILED') || (r.cmsis && 'sameOutputs' in r.cmsis && !r.cmsis.sameOutputs));
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  process.stdout.write(
    `${rows.filter((r) => r.count !== null).length} runs in ${minutes} min; ${rows.filter((r) => r.skipped).length} skipped; ${failed.length} not bit-exact or failed\n`,
  );
  if (opts.json) {
    save(true);
    process.stdout.write(`wrote ${OUT_JSON}\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}
