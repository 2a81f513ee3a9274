// SPDX-License-Identifier: Apache-2.0
/**
 * Fitting a model to a memory budget (`compile --max-ram N --max-flash N`): every layer starts on
 * the fastest kernel its target has; while the plan is over budget, one layer at a time moves to a
 * kernel that needs less memory (less scratch, a smaller weight layout), choosing each time the move
 * that recovers the most bytes per estimated instruction it adds. The result says what it cost; a
 * budget no schedule meets is refused with the shortfall of the most frugal one found.
 *
 * RAM is the arena (activations and scratch, planned); flash is the model's constant tables
 * (weights.c: weights, biases, requantization records), measured by generating them. Code size and
 * the stack are outside both: they do not depend on these choices.
 */
import { TinyforgeError } from '../errors.ts';
import type { KernelVariant, VariantFacts } from '../ops/op.ts';
import { type PreparedGraph, type PreparedLayer, factsOf, withVariant } from '../ops/prepare.ts';
import { portableVariant } from '../ops/variant.ts';
import { type MemoryPlan, planArena } from './arena.ts';
import { layerInstructions } from '../ops/layer_cost.ts';

export interface MemoryBudget {
  /** bytes of arena (activations and scratch) */
  ram?: number;
  /** bytes of constant tables in flash (weights.c) */
  flash?: number;
}

/** One layer moved off its fastest kernel to fit the budget. */
export interface BudgetMove {
  position: number;
  opKind: string;
  from: string;
  to: string;
  /** estimated instructions (RP2040: cycles) per inference the move adds (layer_cost.ts) */
  extraInstructions: number;
}

export interface BudgetOutcome {
  budget: MemoryBudget;
  /** arena and constant-table bytes with the fastest kernels everywhere */
  fastest: { ram: number; flash: number };
  /** the same with the moves made */
  chosen: { ram: number; flash: number };
  moves: BudgetMove[];
  extraInstructions: number;
}

/** Per layer and kernel choice, the bytes of constant tables that choice emits. */
export type ConstBytesOf = (prepared: PreparedGraph, plan: MemoryPlan) => number[];

/**
 * The kernels a layer could run on its target: the chosen one, the other family kernels that cover
 * it, and the portable C. A layer already on the portable C has no other choice.
 */
export function kernelChoices(layer: PreparedLayer, facts: VariantFacts): KernelVariant[] {
  const selected = layer.variant;
  if (selected.family === 'portable' || layer.isAlias) return [selected];
  const others = (layer.def.variants ?? []).filter((v) => v !== selected && v.family === selected.family && v.applies(layer.params, facts));
  return [selected, ...others, portableVariant(layer.def)];
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * Moves layers to more frugal kernels until the plan fits `budget`; returns the prepared graph and
 * plan to generate, and what it cost. Throws a one-line error naming the shortfall when no schedule
 * found fits.
 */
export function fitToBudget(
  prepared: PreparedGraph,
  budget: MemoryBudget,
  constBytesOf: ConstBytesOf,
  source: string,
): { prepared: PreparedGraph; plan: MemoryPlan; outcome: BudgetOutcome } {
  const choices = prepared.layers.map((l) => kernelChoices(l, factsOf(prepared)));
  const picked = prepared.layers.map(() => 0);
  const graphWith = (pick: number[]): PreparedGraph => ({
    ...prepared,
    layers: prepared.layers.map((l, i) => (pick[i] === 0 ? l : withVariant(l, choices[i]![pick[i]!]!, factsOf(prepared)))),
  });

  // constant bytes per layer and choice: one generation per choice index (a layer's tables depend
  // only on its own kernel)
  const maxChoices = Math.max(1, ...choices.map((c) => c.length));
  const constBytes: number[][] = prepared.layers.map(() => []);
  if (budget.flash !== undefined) {
    for (let k = 0; k < maxChoices; k++) {
      const pick = choices.map((c) => Math.min(k, c.length - 1));
      const g = graphWith(pick);
      const perLayer = constBytesOf(g, planArena(g));
      perLayer.forEach((bytes, i) => {
        if (pick[i] === k) constBytes[i]![k] = bytes;
      });
    }
  }
  const flashOf = (pick: number[]) => (budget.flash === undefined ? 0 : pick.reduce((sum, k, i) => sum + (constBytes[i]![k] ?? 0), 0));
  const ramOf = (pick: number[]) => planArena(graphWith(pick)).arenaBytes;
  const over = (ram: number, flash: number) => Math.max(0, ram - (budget.ram ?? Infinity)) + Math.max(0, flash - (budget.flash ?? Infinity));
  // each choice priced by the one cost model (a storage variant by its own price), once
  const costs: number[][] = choices.map(() => []);
  const costOf = (i: number, k: number) =>
    (costs[i]![k] ??= layerInstructions({ ...prepared.layers[i]!, variant: choices[i]![k]! }, prepared.isa, prepared.prefer));

  const scratchOf = (i: number, k: number) => choices[i]![k]!.scratchBytes?.(prepared.layers[i]!.params, factsOf(prepared)) ?? 0;
  let plateau = false;

  let ram = ramOf(picked);
  let flash = flashOf(picked);
  const fastest = { ram, flash };
  while (over(ram, flash) > 0) {
    let best: { i: number; k: number; ram: number; flash: number; score: number } | undefined;
    for (let i = 0; i < choices.length; i++) {
      for (let k = 0; k < choices[i]!.length; k++) {
        if (k === picked[i]) continue;
        const pick = picked.map((v, j) => (j === i ? k : v));
        const nextRam = budget.ram === undefined ? ram : ramOf(pick);
        const nextFlash = flashOf(pick);
        const gain = over(ram, flash) - over(nextRam, nextFlash);
        if (gain <= 0) continue;
        const extra = Math.max(1, costOf(i, k) - costOf(i, picked[i]!));
        const score = gain / extra;
        if (!best || score > best.score) best = { i, k, ram: nextRam, flash: nextFlash, score };
      }
    }
    // no single move lowers the peak (layers of equal scratch share it): the one that frees the
    // most scratch per instruction without going further over, so that the next move can
    if (!best && budget.ram !== undefined && ram > budget.ram) {
      for (let i = 0; i < choices.length; i++) {
        for (let k = 0; k < choices[i]!.length; k++) {
          const freed = scratchOf(i, picked[i]!) - scratchOf(i, k);
          if (freed <= 0) continue;
          const pick = picked.map((v, j) => (j === i ? k : v));
          const nextRam = ramOf(pick);
          const nextFlash = flashOf(pick);
          if (over(nextRam, nextFlash) > over(ram, flash)) continue;
          const score = freed / Math.max(1, costOf(i, k) - costOf(i, picked[i]!));
          if (!best || score > best.score) best = { i, k, ram: nextRam, flash: nextFlash, score };
        }
      }
      if (best) plateau = true;
    }
    if (!best) break;
    picked[best.i] = best.k;
    ram = best.ram;
    flash = best.flash;
  }
  // after moves that lowered nothing alone: back to the fastest kernel where the plan still fits
  if (plateau && over(ram, flash) === 0) {
    for (let i = 0; i < picked.length; i++) {
      if (picked[i] === 0) continue;
      const pick = picked.map((v, j) => (j === i ? 0 : v));
      const nextRam = ramOf(pick);
      const nextFlash = flashOf(pick);
      if (over(nextRam, nextFlash) > 0) continue;
      picked[i] = 0;
      ram = nextRam;
      flash = nextFlash;
    }
  }

  const shortfall: string[] = [];
  if (budget.ram !== undefined && ram > budget.ram)
    shortfall.push(`--max-ram ${n(budget.ram)}: the most frugal schedule found needs ${n(ram)} bytes of arena, ${n(ram - budget.ram)} over`);
  if (budget.flash !== undefined && flash > budget.flash)
    shortfall.push(`--max-flash ${n(budget.flash)}: the most frugal kernels need ${n(flash)} bytes of constant tables, ${n(flash - budget.flash)} over`);
  if (shortfall.length > 0) throw new TinyforgeError(`${source} does not fit ${shortfall.join('; ')}`);

  const moves: BudgetMove[] = [];
  picked.forEach((k, i) => {
    if (k === 0) return;
    const layer = prepared.layers[i]!;
    moves.push({
      position: layer.position,
      opKind: layer.op.kind,
      from: choices[i]![0]!.name,
      to: choices[i]![k]!.name,
      extraInstructions: Math.round(costOf(i, k) - costOf(i, 0)),
    });
  });
  const chosen = graphWith(picked);
  return {
    prepared: chosen,
    plan: planArena(chosen),
    outcome: { budget, fastest, chosen: { ram, flash }, moves, extraInstructions: moves.reduce((s, m) => s + m.extraInstructions, 0) },
  };
}

/** The outcome in a few lines for the terminal. */
export function formatBudget(o: BudgetOutcome): string {
  const limits = [o.budget.ram !== undefined ? `--max-ram ${n(o.budget.ram)}` : '', o.budget.flash !== undefined ? `--max-flash ${n(o.budget.flash)}` : '']
    .filter(Boolean)
    .join(' ');
  const sizes = (s: { ram: number; flash: number }) =>
    [o.budget.ram !== undefined ? `arena ${n(s.ram)} B` : '', o.budget.flash !== undefined ? `constant tables ${n(s.flash)} B` : ''].filter(Boolean).join(', ');
  if (o.moves.length === 0) return `budget ${limits}: fits with the fastest kernels (${sizes(o.fastest)})`;
  const lines = [
    `budget ${limits}: the fastest kernels need ${sizes(o.fastest)}; moved ${o.moves.length} layer${o.moves.length === 1 ? '' : 's'} to more frugal kernels: ${sizes(o.chosen)}, about ${n(o.extraInstructions)} more instructions per inference (estimated)`,
    ...o.moves.map((m) => `  layer ${m.position} ${m.opKind}: ${m.from} -> ${m.to}, about +${n(m.extraInstructions)} instructions`),
  ];
  return lines.join('\n');
}
