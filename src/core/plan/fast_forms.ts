// SPDX-License-Identifier: Apache-2.0
/**
 * Kernel forms that spend arena for speed (KernelVariant.arenaForSpeed: DEPTHWISE_CONV_2D's
 * `arm-dsp padded-row channel quads`, whose scratch holds a padded copy of the image's rows): whether a compile with
 * no budget keeps them. The row-band policy's rule turned around (patch_policy.ts): where RAM is
 * scarce, a form that grows the arena by at least DEFAULT_MIN_ARENA_SAVING for at most
 * DEFAULT_MAX_EXTRA_INSTRUCTIONS of the model's estimated instructions is not worth its bytes, and
 * the layers run the next kernel of their family instead; a form that leaves the peak where it was
 * costs nothing and stays. `--prefer speed` keeps them all; `--max-ram` (budget.ts) moves them like
 * any other kernel.
 */
import type { KernelVariant, VariantFacts } from '../ops/op.ts';
import { type PreparedGraph, type PreparedLayer, factsOf, withVariant } from '../ops/prepare.ts';
import { kernelChoices } from './budget.ts';
import { DEFAULT_MAX_EXTRA_INSTRUCTIONS, DEFAULT_MIN_ARENA_SAVING, DEFAULT_MIN_RAM_SHARE, type PartRam, estimatedInstructions } from './patch_policy.ts';
import { planMemory } from './schedule.ts';

/** What the default decided about the arena-hungry forms, for the report. */
export interface FastFormsOutcome {
  /** positions of the layers that run the frugal form instead */
  declined: number[];
  /** the forms declined and what ran instead, `arm-dsp padded-row channel quads -> arm-dsp channel quads` */
  moves: string[];
  /** arena bytes with every fast form, and as chosen */
  arenaFast: number;
  arenaChosen: number;
  /** estimated instructions (RP2040: cycles) the declined forms would have saved */
  instructionsForgone: number;
}

/** The frugal alternative of a layer on an arena-hungry form: the next kernel of its family that covers it. */
function frugalOf(layer: PreparedLayer, facts: VariantFacts): KernelVariant | undefined {
  if (!layer.variant.arenaForSpeed) return undefined;
  return kernelChoices(layer, facts).find((v, k) => k > 0 && v.family === layer.variant.family);
}

/**
 * The graph with the arena-hungry forms the default keeps (see the module's comment); unchanged
 * when no layer runs one.
 */
export function chooseFastForms(prepared: PreparedGraph, partRam?: PartRam): { prepared: PreparedGraph; outcome?: FastFormsOutcome } {
  const hungry = prepared.layers.flatMap((l, i) => {
    const frugal = frugalOf(l, factsOf(prepared));
    return frugal ? [{ i, frugal }] : [];
  });
  if (hungry.length === 0) return { prepared };
  const graphWith = (frugalAt: ReadonlySet<number>): PreparedGraph => ({
    ...prepared,
    layers: prepared.layers.map((l, i) => {
      const h = frugalAt.has(i) ? hungry.find((x) => x.i === i) : undefined;
      return h ? withVariant(l, h.frugal, factsOf(prepared)) : l;
    }),
  });
  const arenaOf = (g: PreparedGraph) => planMemory(g).plan.arenaBytes;
  const arenaFast = arenaOf(prepared);
  const all = new Set(hungry.map((h) => h.i));
  const frugalGraph = graphWith(all);
  const arenaFrugal = arenaOf(frugalGraph);
  const modelInstructions = estimatedInstructions(frugalGraph);
  const saved = modelInstructions - estimatedInstructions(prepared);
  const scarce = !partRam || arenaFast >= DEFAULT_MIN_RAM_SHARE * partRam.bytes;
  const worth = arenaFast - arenaFrugal < DEFAULT_MIN_ARENA_SAVING * arenaFrugal || saved > DEFAULT_MAX_EXTRA_INSTRUCTIONS * modelInstructions;
  if (!scarce || worth) return { prepared };
  // declined: every layer on the frugal form, then each fast form back where the arena stays as small
  const declined = new Set(all);
  for (const { i } of hungry) {
    declined.delete(i);
    if (arenaOf(graphWith(declined)) > arenaFrugal) declined.add(i);
  }
  const chosen = graphWith(declined);
  return {
    prepared: chosen,
    outcome: {
      declined: [...declined].map((i) => prepared.layers[i]!.position),
      moves: [...new Set([...declined].map((i) => `${prepared.layers[i]!.variant.name} -> ${hungry.find((h) => h.i === i)!.frugal.name}`))],
      arenaFast,
      arenaChosen: arenaOf(chosen),
      instructionsForgone: Math.round(estimatedInstructions(chosen) - estimatedInstructions(prepared)),
    },
  };
}

/** The default's decline in one line for the terminal. */
export function formatFastForms(o: FastFormsOutcome): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const layers = `layer${o.declined.length === 1 ? '' : 's'} ${o.declined.join(', ')}`;
  return `fast kernel forms: none by default on ${layers} (${o.moves.join(', ')}): arena ${n(o.arenaFast)} -> ${n(o.arenaChosen)} B for about +${n(o.instructionsForgone)} estimated instructions (--prefer speed keeps them)`;
}
