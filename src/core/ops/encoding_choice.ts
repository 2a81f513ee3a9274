// SPDX-License-Identifier: Apache-2.0
/**
 * Dense or another weight storage (sparse, int4, palette, ...), per layer, from a cost model: every
 * storage variant prices itself (`KernelVariant.cost`: flash bytes of weights + tables + indices,
 * estimated instructions per inference from measured per-element costs) and the op prices its dense
 * default (`OpDef.denseCost`). `--prefer` says which wins:
 * - `speed` (default): the fewest instructions among the options no bigger than dense;
 * - `size`: the fewest bytes.
 * An option another option beats on both counts (bigger and slower, or equal on one and worse on the
 * other) is never chosen, whatever `prefer` says: in particular never a storage both bigger and
 * slower than dense.
 */
import { type EncodingCost, type IsaFamily, type KernelIsa, type Prefer, isaFamily } from './op.ts';
import { denseCostPerMac } from './kernel_cost.ts';

/**
 * Under `prefer speed`, another storage wins only where it is priced at least 5 % under dense: the
 * cost tables are fits to a few shapes and miss others by a few percent, and near break-even a
 * storage priced a little faster can run a little slower (pruned FC rows at 90 % zeros in batches of
 * four: priced 1 % under dense, measured 1.5 % over). A pruned model must never be slower than its
 * dense twin.
 */
export const SPEED_MARGIN = 0.95;

export interface PricedOption<T> {
  option: T;
  cost: EncodingCost;
}

/** `a` is at least as good as `b` on both counts and better on one. */
function dominates(a: EncodingCost, b: EncodingCost): boolean {
  return a.flashBytes <= b.flashBytes && a.instructions <= b.instructions && (a.flashBytes < b.flashBytes || a.instructions < b.instructions);
}

/**
 * The option `prefer` picks among `dense` and `alternatives`. Ties go to the option listed first,
 * dense before the alternatives.
 */
export function chooseEncoding<T>(
  dense: PricedOption<T>,
  alternatives: readonly PricedOption<T>[],
  prefer: Prefer = 'speed',
  /** under speed, the most bytes an option may take (default: dense int8's); a model's own smaller storage */
  maxBytes = dense.cost.flashBytes,
): PricedOption<T> {
  const all = [dense, ...alternatives];
  const undominated = all.filter((o) => !all.some((other) => dominates(other.cost, o.cost)));
  const better =
    prefer === 'size'
      ? (a: EncodingCost, b: EncodingCost) => a.flashBytes < b.flashBytes || (a.flashBytes === b.flashBytes && a.instructions < b.instructions)
      : (a: EncodingCost, b: EncodingCost) => a.instructions < b.instructions || (a.instructions === b.instructions && a.flashBytes < b.flashBytes);
  // under speed, a storage bigger than dense never wins: compression must not cost flash
  // under speed: nothing bigger than dense int8, nor than the model file's own storage of the weights
  const limit = Math.min(maxBytes, dense.cost.flashBytes);
  const within = undominated.filter((o) => o.cost.flashBytes <= limit);
  // where dense itself is a candidate, another storage must be priced SPEED_MARGIN under it (the tables' error near break-even)
  const priced = within.includes(dense) ? within.filter((o) => o === dense || o.cost.instructions <= SPEED_MARGIN * dense.cost.instructions) : within;
  const eligible = prefer === 'speed' ? (priced.length > 0 ? priced : [dense]) : undominated;
  let best = eligible[0] ?? dense;
  for (const o of eligible) if (better(o.cost, best.cost)) best = o;
  return best;
}

/**
 * The dense default's price from the per-MAC figures of ops/kernel_cost.ts (the perf sweep's medians
 * for the family kernel, or the portable C on the target's family; on the Arm DSP cores by the
 * MACs of one output, `shape.k`, and the rows): `weightBytes` of int8 weights.
 */
export function denseCostFromRates(
  opKind: string,
  macs: number,
  weightBytes: number,
  denseFamily: IsaFamily,
  isa: KernelIsa | undefined,
  shape: { k?: number; batches?: number } = {},
): EncodingCost {
  return { flashBytes: weightBytes, instructions: Math.round(macs * denseCostPerMac(opKind, denseFamily, isaFamily(isa), shape)) };
}
