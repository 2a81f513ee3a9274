// SPDX-License-Identifier: Apache-2.0
/**
 * Which row-band stage a compile takes, if any (`--patch`, `--max-ram`, the default policy): the
 * candidate stages the graph admits, each made by the transform (patch.ts) and planned, weighed by
 * the arena they save against the instructions they add (layer_cost.ts); and the report lines that
 * say which stage was taken, or why the default declined the best one.
 */
import { PATCH_STAGE, type PatchChoice, type PatchStageParams, describeStage } from '../ops/patch_stage/index.ts';
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import type { Prefer } from '../ops/op.ts';
import { ARENA_ALIGNMENT, type MemoryPlan } from './arena.ts';
import { bufferRequests, liveBytesLowerBound, overlapPairs } from './lifetimes.ts';
import { planMemory } from './schedule.ts';
import { graphInstructions } from '../ops/layer_cost.ts';
import { applyPatch, cacheable, fusableAdd, patchableChain, windowOf } from './patch.ts';

/**
 * `off`: whole tensors; `auto`: the band stage that lowers the arena most, if any; `default` (what
 * compile does unasked): a stage only when it pays for itself (DEFAULT_MIN_ARENA_SAVING for at most
 * DEFAULT_MAX_EXTRA_INSTRUCTIONS) where RAM is scarce (DEFAULT_MIN_RAM_SHARE); or one stage.
 */
export type PatchOption = 'off' | 'auto' | 'default' | PatchChoice;

/**
 * The default takes a stage only when it cuts the arena by at least this share of the whole-tensor
 * arena: smaller cuts are not worth a slower model nobody asked for.
 */
export const DEFAULT_MIN_ARENA_SAVING = 0.1;
/**
 * ... and adds at most this share of the model's instructions (RP2040: cycles), both estimated by the
 * cost model (kernel_cost.ts): within the run-to-run spread of a board's clock and far below the
 * speed bars' margin, while the RAM a stage saves is often what lets a model fit at all.
 */
export const DEFAULT_MAX_EXTRA_INSTRUCTIONS = 0.05;
/**
 * ... and only where RAM is scarce: when the whole-tensor arena takes at least this share of the RAM
 * of the smallest real part the target stands for (PartRam, targets.ts smallestPartRam). A stage
 * costs instructions and code flash (its loop, the band instances of its kernels, the row mover:
 * 400-800 B measured on the Arm targets); a model that takes a few percent of its part's RAM whole
 * does not need to pay them to fit, and `--patch auto` or `--max-ram` still ask for the bytes. With
 * no real part known (the host, emulated-only targets), RAM counts as scarce.
 */
export const DEFAULT_MIN_RAM_SHARE = 0.05;

/** The RAM of the smallest real part a target stands for: its bytes and the board that has it. */
export interface PartRam {
  bytes: number;
  board: string;
}

/** The band stage a compile used: its layers and what it saved and cost. */
export interface PatchReport {
  stage: PatchStageParams;
  position: number;
  /** arena bytes with whole tensors, and with the stage */
  arenaBefore: number;
  arenaAfter: number;
  /** the model's estimated instructions (RP2040: cycles) per inference, what the stage's are a share of */
  modelInstructions: number;
  /** the cost model's unit on the target's family: instructions, or RP2040 cycles on Armv6-M (kernel_cost.ts) */
  unit: 'instructions' | 'cycles';
  /** how the stage was chosen: the default policy, `--patch auto`, one forced stage, or a RAM budget */
  chosenBy: 'default' | 'auto' | 'forced' | 'budget';
}

/** How a stage came to be taken: the `--patch` the user gave (undefined: none) and the option the compile resolved it to. */
export function chosenBy(requested: PatchOption | undefined, resolved: PatchOption): PatchReport['chosenBy'] {
  if (typeof resolved === 'object') return 'forced';
  if (requested === undefined && resolved === 'auto') return 'budget';
  return resolved === 'auto' ? 'auto' : 'default';
}

/** The report of a planned outcome's stage; undefined when it has none. */
export function patchReport(outcome: PatchOutcome, chosenBy: PatchReport['chosenBy']): PatchReport | undefined {
  const stage = outcome.stage;
  if (!stage) return undefined;
  return {
    stage: stage.params as PatchStageParams,
    position: stage.position,
    arenaBefore: outcome.before,
    arenaAfter: outcome.plan.arenaBytes,
    modelInstructions: outcome.modelInstructions,
    unit: outcome.prepared.isa?.armv6m ? 'cycles' : 'instructions',
    chosenBy,
  };
}

const CHOSEN_BY: Record<PatchReport['chosenBy'], string> = {
  default: `by default: it saves at least ${100 * DEFAULT_MIN_ARENA_SAVING}% of the arena for at most ${100 * DEFAULT_MAX_EXTRA_INSTRUCTIONS}% more instructions, where whole tensors take at least ${100 * DEFAULT_MIN_RAM_SHARE}% of the RAM of the target's smallest part (when it has one); --patch off or --prefer speed keeps whole tensors`,
  auto: '--patch auto',
  forced: '--patch',
  budget: '--max-ram',
};

/** The stage a compile used, what it saved (arena bytes) and cost (estimated instructions), and why it was taken: one line. */
export function formatPatch(r: PatchReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const saved = r.arenaBefore - r.arenaAfter;
  const extra = r.stage.extraInstructions;
  return (
    `${describeStage(r.stage, r.position)}; arena ${n(r.arenaBefore)} -> ${n(r.arenaAfter)} B ` +
    `(${saved >= 0 ? `${n(saved)} B, ${percent(saved, r.arenaBefore)} saved` : `${n(-saved)} B more`}) ` +
    `for about +${n(extra)} ${r.unit} per inference (${percent(extra, r.modelInstructions)} of the model's ${n(r.modelInstructions)}, cost-model estimate); ` +
    `chosen ${CHOSEN_BY[r.chosenBy]}`
  );
}

/** Why the default ran whole tensors though a stage would have lowered the arena (inspect, compile); undefined when it did not weigh one. */
export function formatDeclined(outcome: PatchOutcome): string | undefined {
  const d = outcome.declined;
  if (!d) return undefined;
  return `row bands: none by default; the best stage, ${describeStage(d.stage, d.stage.choice.start)}, would give arena ${outcome.before.toLocaleString('en-US')} -> ${d.arena.toLocaleString('en-US')} B for about +${d.stage.extraInstructions.toLocaleString('en-US')} estimated instructions, but ${d.reason} (--patch auto takes it)`;
}

/** Output rows per band tried: small bands cost recompute, large ones band buffers. */
const TILE_ROWS = [1, 2, 3, 4, 6, 8, 12, 16];
/**
 * `auto` without a budget takes no stage that recomputes more than this share of the model's MACs:
 * 1-row bands can double a chain's work for the last few hundred bytes (ResNet-8 on the RP2040:
 * -25% arena for +39% cycles). A budget lifts the cap (it asks for the bytes).
 */
export const AUTO_MAX_EXTRA_MACS = 0.1;
/** Stages fully planned (the best by the live-bytes bound); the rest are judged by that bound. */
const PLANNED = 6;

/** The estimated instructions (RP2040: cycles) of one inference (layer_cost.ts), the default's yardstick. */
export function estimatedInstructions(prepared: PreparedGraph): number {
  return graphInstructions(prepared);
}

/**
 * The patch option a compile without `--patch` uses: whole tensors under an explicit `--prefer speed`,
 * else the default policy.
 */
export function defaultPatchOption(prefer: Prefer | undefined): PatchOption {
  return prefer === 'speed' ? 'off' : 'default';
}

export interface PatchOutcome {
  prepared: PreparedGraph;
  plan: MemoryPlan;
  /** arena bytes without a stage */
  before: number;
  stage?: PreparedLayer;
  /** the model's estimated instructions (estimatedInstructions), what a stage's cost is a share of */
  modelInstructions: number;
  /** `default` only: the best stage it weighed and left out, and why */
  declined?: { stage: PatchStageParams; arena: number; reason: string };
}

/** Every band stage the graph admits (chains of 2+ layers, band heights below the output height). */
export function patchCandidates(prepared: PreparedGraph): PatchChoice[] {
  const out: PatchChoice[] = [];
  prepared.layers.forEach((_, start) => {
    const most = patchableChain(prepared, start);
    for (let length = 1; length <= most; length++) {
      const outH = windowOf(prepared.layers[start + length - 1]!).outH;
      const add = fusableAdd(prepared, start, length) !== undefined;
      const rows = prepared.layers.slice(start, start + length).map((l) => {
        const w = windowOf(l);
        return { inRowBytes: w.inW * w.inC, outRowBytes: w.outW * w.outC };
      });
      const caches = cacheable(rows) ? [false, true] : [false];
      for (const tileRows of TILE_ROWS) {
        if (tileRows >= outH) continue;
        for (const cache of caches) {
          const extra = cache ? { cache } : {};
          if (length >= 2) out.push({ start, length, tileRows, ...extra });
          if (add) out.push({ start, length, tileRows, add: true, ...extra });
        }
      }
    }
  });
  return out;
}

/**
 * The graph with a band stage, when one makes the arena smaller than without (`choice` forces one
 * stage). Without `ramBudget`: `auto` takes the smallest arena among stages recomputing at most
 * AUTO_MAX_EXTRA_MACS of the model's MACs, `default` the smallest among those adding at most
 * DEFAULT_MAX_EXTRA_INSTRUCTIONS of its estimated instructions, and only when it saves at least
 * DEFAULT_MIN_ARENA_SAVING of the arena and, given `partRam`, whole tensors take at least
 * DEFAULT_MIN_RAM_SHARE of it (else it says why in `declined`); ties to the cheaper (`auto`: fewer recomputed MACs,
 * `default`: fewer estimated instructions). With it: the stage with
 * the fewest recomputed MACs among those that fit the budget (taller bands recompute less), else
 * the smallest arena. Plans in the memory-optimal op order.
 */
export function planWithPatch(prepared: PreparedGraph, option: PatchOption, base = planMemory(prepared), ramBudget?: number, partRam?: PartRam): PatchOutcome {
  const before = base.plan.arenaBytes;
  const modelInstructions = estimatedInstructions(prepared);
  if (option === 'off') return { ...base, before, modelInstructions };
  if (option !== 'auto' && option !== 'default') {
    const patched = planMemory(applyPatch(prepared, option));
    return { ...patched, before, modelInstructions, stage: patched.prepared.layers.find((l) => l.op.kind === PATCH_STAGE) };
  }
  const maxExtraMacs = AUTO_MAX_EXTRA_MACS * prepared.layers.reduce((n, l) => n + l.macs, 0);
  const maxExtraInstructions = DEFAULT_MAX_EXTRA_INSTRUCTIONS * modelInstructions;
  const affordable = (p: PatchStageParams) =>
    ramBudget !== undefined || (option === 'auto' ? p.extraMacs <= maxExtraMacs : p.extraInstructions <= maxExtraInstructions);
  const bound = (g: PreparedGraph) => {
    const requests = bufferRequests(g);
    return liveBytesLowerBound(requests, ARENA_ALIGNMENT, overlapPairs(g, requests));
  };
  // the bound is in the graph's own order, `before` the plan's after the ops were reordered: a stage
  // whose bound is no worse than the model's own may still plan below `before` (MLPerf's ResNet on the
  // M4 under --prefer size: 34,560 B of bound either way, 26,368 B planned with the stage, 34,480 without)
  const baseBound = bound(prepared);
  const costOf = (p: PatchStageParams) => (option === 'auto' ? p.extraMacs : p.extraInstructions);
  const ranked = patchCandidates(prepared)
    .map((choice) => {
      const g = applyPatch(prepared, choice);
      const params = g.layers[choice.start]!.params as PatchStageParams;
      return { g, bound: bound(g), params, extra: costOf(params) };
    })
    .filter((c) => (c.bound < before || c.bound <= baseBound) && affordable(c.params))
    .sort((a, b) => a.bound - b.bound || a.extra - b.extra);
  // under a budget, the cheapest stages whose bound fits are planned too
  const cheapFits = ramBudget === undefined ? [] : ranked.filter((c) => c.bound <= ramBudget).sort((a, b) => a.extra - b.extra);
  const planned = [...new Set([...ranked.slice(0, PLANNED), ...cheapFits.slice(0, PLANNED)])].map((c) => ({
    ...planMemory(c.g),
    before,
    modelInstructions,
    extra: c.extra,
  }));
  const fits = (o: { plan: MemoryPlan }) => ramBudget !== undefined && o.plan.arenaBytes <= ramBudget;
  let best: (PatchOutcome & { extra: number }) | undefined;
  for (const o of planned) {
    const size = o.plan.arenaBytes;
    if (size >= before) continue;
    const better = !best
      ? true
      : fits(best)
        ? fits(o) && (o.extra < best.extra || (o.extra === best.extra && size < best.plan.arenaBytes))
        : fits(o) || size < best.plan.arenaBytes || (size === best.plan.arenaBytes && o.extra < best.extra);
    if (better) best = { ...o, stage: o.prepared.layers.find((l) => l.op.kind === PATCH_STAGE) };
  }
  if (best && option === 'default' && ramBudget === undefined) {
    const saved = before - best.plan.arenaBytes;
    const reason =
      saved < DEFAULT_MIN_ARENA_SAVING * before
        ? `it saves ${saved.toLocaleString('en-US')} B (${percent(saved, before)}), under the ${100 * DEFAULT_MIN_ARENA_SAVING}% the default asks`
        : partRam && before < DEFAULT_MIN_RAM_SHARE * partRam.bytes
          ? `whole tensors take ${percent(before, partRam.bytes)} of the ${partRam.bytes.toLocaleString('en-US')} B of RAM of ${partRam.board}, ` +
            `the target's smallest part, under the ${100 * DEFAULT_MIN_RAM_SHARE}% where the default pays a stage's instructions and code`
          : undefined;
    if (reason) return { ...base, before, modelInstructions, declined: { stage: best.stage!.params as PatchStageParams, arena: best.plan.arenaBytes, reason } };
  }
  return best ?? { ...base, before, modelInstructions };
}

/** `part` as a percentage of `whole`, one decimal. */
function percent(part: number, whole: number): string {
  return `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0'}%`;
}
