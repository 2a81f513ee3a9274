// SPDX-License-Identifier: Apache-2.0
/**
 * The cheap half of `tinyforge tune` (docs/tune.md): the candidates the compression and compile
 * options span, dominance on (accuracy, ms, RAM, flash), the front per board, the constraints, the
 * bound that decides whether a candidate can still reach the front before its accuracy is measured,
 * and the resume file's contents. Nothing here trains, runs a model or builds firmware.
 */
import { TinyforgeError } from '../core/errors.ts';
import type { Prefer } from '../core/ops/op.ts';

/** How many channels a pruned layer keeps (structured.ts), beside the grid that uses it. */
export { keptChannels } from './structured.ts';

/** How the float model becomes the candidate's int8 model (board-independent: its accuracy is measured once). */
export interface Recipe {
  /** stable name, e.g. `int8`, `w4`, `pal3`, `mixed-l0.5`, `ch30`, `ch30+w4` */
  id: string;
  /** share of output channels removed from every prunable layer, with fine-tuning (0: none) */
  channels: number;
  /** with `channels`: each layer keeps a multiple of this many channels (the kernels' channel groups) */
  channelMultiple?: number;
  /** per-layer bits and sparsities from the sensitivity analysis, within this loss budget (accuracy points) */
  sensitivityLoss?: number;
  /** every weighted layer at these bits (2..8, per channel) */
  weightBits?: number;
  /** every weighted layer's int8 values as a palette of 2^bits entries per channel */
  paletteBits?: number;
  /** quantization-aware training when post-training quantization loses more than the grid's `qatAbove` */
  qat?: boolean;
}

/** What the compiled firmware is built with: the weight storage choice and the core's clock. */
export interface BuildChoice {
  prefer: Prefer;
  /** Hz; the board descriptor's clock when the board offers only one */
  clockHz: number;
}

export interface Candidate {
  /** `${recipe.id}/${prefer}@${MHz}` */
  id: string;
  board: string;
  recipe: Recipe;
  build: BuildChoice;
}

/** The cheap figures of a candidate: exact at compile time (flash, RAM) and the cost model's instructions. */
export interface CheapFigures {
  flash: number;
  ram: number;
  /** instructions per inference from the kernels' cost model, over the clock: a lower-bound-like ms for ranking */
  msEstimate: number;
}

/** A point on a board: its accuracy on the held-out data and its measured costs. */
export interface Point {
  id: string;
  board: string;
  recipe: Recipe;
  build: BuildChoice;
  /** held-out accuracy in [0, 1] (classification), or 1 - relative output error */
  accuracy: number;
  /** the timing model's estimated ms per inference at `build.clockHz` */
  ms: number;
  /** peak RAM: arena, stack and the harness's static data (the linker's figure after a build) */
  ram: number;
  /** flash of the built firmware (the linker's figure) */
  flash: number;
  /** of which the model's constant tables (weights, biases, indices) */
  flashWeights: number;
  cheap: CheapFigures;
  /** every output on the board equal to the host reference's byte for byte (the samples run) */
  bitExact: { matched: number; total: number };
  /** how the board ran: `emulated` or the farm worker's instance */
  ranOn: string;
  /** the int8 model file the point is built from */
  model: string;
  /** its project file (`tinyforge.json`): `compile --config` and `run --config` rebuild the point */
  config?: string;
}

export interface Constraints {
  maxRam?: number;
  maxFlash?: number;
  maxMs?: number;
  /** in [0, 1] */
  minAccuracy?: number;
}

type Figures = Pick<Point, 'accuracy' | 'ms' | 'ram' | 'flash'>;

/** `a` is at least as good as `b` on all four axes (higher accuracy, lower ms, RAM, flash) and better on one. */
export function dominates(a: Figures, b: Figures): boolean {
  const noWorse = a.accuracy >= b.accuracy && a.ms <= b.ms && a.ram <= b.ram && a.flash <= b.flash;
  const better = a.accuracy > b.accuracy || a.ms < b.ms || a.ram < b.ram || a.flash < b.flash;
  return noWorse && better;
}

export function meets(p: Figures, c: Constraints): boolean {
  return (
    (c.maxRam === undefined || p.ram <= c.maxRam) &&
    (c.maxFlash === undefined || p.flash <= c.maxFlash) &&
    (c.maxMs === undefined || p.ms <= c.maxMs) &&
    (c.minAccuracy === undefined || p.accuracy >= c.minAccuracy)
  );
}

/**
 * The non-dominated points that meet the constraints, by ascending ms. Points equal on all four
 * axes keep the first one listed.
 */
export function paretoFront<P extends Figures>(points: readonly P[], constraints: Constraints = {}): P[] {
  const ok = points.filter((p) => meets(p, constraints));
  const front = ok.filter((p, i) => !ok.some((q, j) => dominates(q, p) || (j < i && same(q, p))));
  return front.sort((a, b) => a.ms - b.ms || b.accuracy - a.accuracy || a.flash - b.flash);
}

function same(a: Figures, b: Figures): boolean {
  return a.accuracy === b.accuracy && a.ms === b.ms && a.ram === b.ram && a.flash === b.flash;
}

/**
 * Whether a candidate can still reach the front before its accuracy is measured: false when its cheap
 * figures break a constraint (flash and RAM are exact; the ms estimate is compared as the cost model
 * gives it), or when a point already measured on the same board is no worse on every cheap figure
 * and already has the best accuracy the candidate could reach (`accuracyCeiling`, the float model's
 * or the dense int8 model's, the higher). Measured points are compared by their own cheap figures,
 * so that both sides of the comparison come from the same estimate.
 */
export function canReachFront(
  candidate: { board: string; cheap: CheapFigures },
  measured: readonly Pick<Point, 'board' | 'accuracy' | 'cheap'>[],
  accuracyCeiling: number,
  constraints: Constraints = {},
): boolean {
  const c = candidate.cheap;
  if (constraints.maxFlash !== undefined && c.flash > constraints.maxFlash) return false;
  if (constraints.maxRam !== undefined && c.ram > constraints.maxRam) return false;
  if (constraints.maxMs !== undefined && c.msEstimate > constraints.maxMs) return false;
  return !measured.some(
    (p) =>
      p.board === candidate.board && p.accuracy >= accuracyCeiling && p.cheap.flash <= c.flash && p.cheap.ram <= c.ram && p.cheap.msEstimate <= c.msEstimate,
  );
}

/** A recipe that cannot reach `minAccuracy`: its accuracy is measured, and below it. */
export function belowAccuracy(accuracy: number, constraints: Constraints): boolean {
  return constraints.minAccuracy !== undefined && accuracy < constraints.minAccuracy;
}

/** The compression grid the search spans; `defaultGrid()` is small enough for a CNN on two cores in minutes. */
export interface TuneGrid {
  /** channel-pruning ratios (0 always included) */
  channels: number[];
  /** each channel-pruned layer keeps a multiple of this many channels (1: the ratio as it falls) */
  channelMultiple: number;
  /** loss budgets (accuracy points) for the sensitivity search of per-layer bits and sparsities */
  sensitivityLosses: number[];
  /** uniform weight bits below 8 */
  weightBits: number[];
  /** palette index bits */
  paletteBits: number[];
  /** weight storage choices (compile --prefer) */
  prefer: Prefer[];
  /** QAT for recipes whose post-training int8 loses more than this many points against float (Infinity: never) */
  qatAbove: number;
}

export function defaultGrid(): TuneGrid {
  return {
    channels: [0.3, 0.5],
    channelMultiple: 4,
    sensitivityLosses: [0.25],
    weightBits: [4],
    paletteBits: [3],
    prefer: ['speed', 'size'],
    qatAbove: 0.5,
  };
}

/**
 * Every recipe of the grid: dense int8; each weight-bit width, palette and sensitivity budget on
 * the unpruned model; each channel ratio alone and with the smallest weight width.
 */
export function recipesOf(grid: TuneGrid): Recipe[] {
  const recipes: Recipe[] = [{ id: 'int8', channels: 0 }];
  for (const b of grid.weightBits) recipes.push({ id: `w${b}`, channels: 0, weightBits: b });
  for (const b of grid.paletteBits) recipes.push({ id: `pal${b}`, channels: 0, paletteBits: b });
  for (const l of grid.sensitivityLosses) recipes.push({ id: `mixed-l${l}`, channels: 0, sensitivityLoss: l });
  const narrowest = grid.weightBits.length > 0 ? Math.min(...grid.weightBits) : undefined;
  for (const r of grid.channels.filter((c) => c > 0)) {
    const pct = Math.round(r * 100);
    const multiple = grid.channelMultiple > 1 ? { channelMultiple: grid.channelMultiple } : {};
    recipes.push({ id: `ch${pct}`, channels: r, ...multiple });
    if (narrowest !== undefined) recipes.push({ id: `ch${pct}+w${narrowest}`, channels: r, ...multiple, weightBits: narrowest });
  }
  return recipes;
}

/** The candidates: every recipe on every board with every storage choice at every clock the board offers. */
export function candidatesOf(recipes: readonly Recipe[], boards: readonly { name: string; clocks: number[] }[], prefer: readonly Prefer[]): Candidate[] {
  const out: Candidate[] = [];
  for (const board of boards)
    for (const recipe of recipes)
      for (const p of prefer)
        for (const clockHz of board.clocks)
          out.push({ id: candidateId(recipe, { prefer: p, clockHz }), board: board.name, recipe, build: { prefer: p, clockHz } });
  return out;
}

export function candidateId(recipe: Recipe, build: BuildChoice): string {
  return `${recipe.id}/${build.prefer}@${formatMHz(build.clockHz)}`;
}

export function formatMHz(hz: number): string {
  const mhz = hz / 1e6;
  return `${Number.isInteger(mhz) ? mhz : mhz.toFixed(1)}MHz`;
}

/**
 * The clocks a board's descriptor offers: its clock, and the top of each clock option (power range)
 * up to its maximum, highest first; one clock where it lists no options.
 */
export function boardClocks(board: { clockHz: number; hardware?: { clock: { maxHz: number; options: { maxHz: number }[] } } }, all: boolean): number[] {
  const hw = board.hardware;
  if (!all || !hw) return [board.clockHz];
  const clocks = new Set([board.clockHz, ...hw.clock.options.map((o) => o.maxHz).filter((hz) => hz <= hw.clock.maxHz)]);
  return [...clocks].sort((a, b) => b - a);
}

/** A grid option `a,b,c` of numbers in [lo, hi]; an empty string is the empty list. */
export function numberList(text: string, flag: string, lo: number, hi: number, integer = false): number[] {
  if (text.trim() === '' || text === 'none') return [];
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isFinite(n) || n < lo || n > hi || (integer && !Number.isInteger(n)))
      throw new TinyforgeError(`${flag} ${text}: expected ${integer ? 'integers' : 'numbers'} in [${lo}, ${hi}], comma-separated`);
    return n;
  });
}

/** The resume file: what is known so far, keyed so that a run with the same model, data and grid can continue. */
export interface TuneState {
  version: 1;
  /** a hash of the model, the data and the grid: a state for other inputs is refused */
  key: string;
  /** held-out accuracy per recipe id, after its fine-tuning (and QAT where it paid) */
  accuracy: Record<string, number>;
  /** cheap figures per `${board} ${candidate id}` */
  cheap: Record<string, CheapFigures>;
  /** measured points per `${board} ${candidate id}` */
  points: Record<string, Point>;
  /** candidates pruned without measuring, and why */
  pruned: Record<string, string>;
  /**
   * candidates built but not measured, and why (the build or run failed, the run gave no cycle
   * count, a farm result that is not a run report); --resume tries them again
   */
  failed: Record<string, string>;
}

export function emptyState(key: string): TuneState {
  return { version: 1, key, accuracy: {}, cheap: {}, points: {}, pruned: {}, failed: {} };
}

export function stateKey(board: string, candidateId: string): string {
  return `${board} ${candidateId}`;
}

/** A state read back from its file, checked against the run's key. */
export function parseState(text: string, key: string, file: string): TuneState {
  let state: TuneState;
  try {
    state = JSON.parse(text) as TuneState;
  } catch {
    throw new TinyforgeError(`${file}: not a tune state (JSON expected)`);
  }
  const record = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!record(state) || state.version !== 1 || !record(state.accuracy) || !record(state.points))
    throw new TinyforgeError(`${file}: not a tune state of this version`);
  if (state.key !== key) throw new TinyforgeError(`${file}: a search of another model, data or grid; --resume continues the same search`);
  state.cheap ??= {};
  state.pruned ??= {};
  state.failed ??= {};
  // a point at no time, or at none a run can take, is no point (an earlier search recorded a run
  // without a counter at 0 ms): it is measured again
  for (const [k, p] of Object.entries(state.points)) if (!isPoint(p)) delete state.points[k];
  return state;
}

/** A figure a run can measure: a finite number above 0. */
function measurable(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

/** A point as the state keeps it, with a time, a flash and a RAM a run can measure and an accuracy in [0, 1]. */
function isPoint(p: unknown): p is Point {
  if (typeof p !== 'object' || p === null) return false;
  const q = p as Partial<Point>;
  return measurable(q.ms) && measurable(q.flash) && measurable(q.ram) && typeof q.accuracy === 'number' && q.accuracy >= 0 && q.accuracy <= 1;
}
