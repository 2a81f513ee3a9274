// SPDX-License-Identifier: Apache-2.0
/**
 * The one price of a layer run by a kernel: what the compiler's choices (fast forms, row bands), the
 * memory-budget search, the pipeline's estimate and `tune` all read. Estimated instructions per
 * inference (cycles on the RP2040), from the measured figures of kernel_cost.ts and the variants' own
 * prices; they rank kernels and schedules, they do not promise a latency (src/lab/estimate does).
 */
import { type KernelIsa, type Prefer, isaFamily } from './op.ts';
import { layerCostPerMac, offGroupFactor, variantFactor } from './kernel_cost.ts';
import { type PreparedGraph, type PreparedLayer, executedMacs } from './prepare.ts';
import { firstApplicableVariant } from './variant.ts';

/** What a price needs of a layer: its op, parameters, kernel and dense MAC count (a PreparedLayer, or one with another kernel). */
export type PricedLayer = Pick<PreparedLayer, 'op' | 'def' | 'params' | 'variant' | 'macs'>;

/**
 * Estimated instructions (RP2040: cycles) of one evaluation of `layer` by its kernel (`layer.variant`)
 * on a target of `isa`:
 * - a storage variant (sparse, INT4, palette, Huffman) by its own price (`KernelVariant.cost`), what
 *   the compiler's storage choice weighs;
 * - a kernel of the family the op's dense default runs (`firstApplicableVariant`) by the op's dense
 *   price (`OpDef.denseCost`, with its shape terms), times the variant's factor where a family's
 *   variants differ (kernel_cost.ts VARIANT_FACTOR);
 * - any other kernel (the portable C on a family target) by the MACs it executes at its family's
 *   cost per MAC on the target (kernel_cost.ts `layerCostPerMac`);
 * the last two times `offGroupFactor` where the layer's channel counts leave the kernel's groups.
 */
export function layerInstructions(layer: PricedLayer, isa: KernelIsa | undefined, prefer: Prefer = 'speed'): number {
  const storage = layer.variant.cost?.(layer.params, isa);
  if (storage) return storage.instructions;
  const family = isaFamily(isa);
  // the op declines to price a layer its dense int8 kernels do not run (int16, float32: the
  // dispatchers of common/families; an int32 output), whose params those kernels cannot be asked about
  const densePrice = layer.def.denseCost?.(layer.params, isa, prefer);
  const dense =
    densePrice && layer.variant.family === firstApplicableVariant(layer.def, layer.params, { isa, prefer }).family
      ? densePrice.instructions * variantFactor(layer.op.kind, layer.variant.name)
      : executedMacs(layer) * layerCostPerMac(layer, family);
  return dense * offGroupFactor(layer, family);
}

/** Estimated instructions (RP2040: cycles) of one inference of `prepared` on `isa` (default: the ISA it was prepared for): `layerInstructions` summed over the layers that run code. */
export function graphInstructions(prepared: PreparedGraph, isa: KernelIsa | undefined = prepared.isa): number {
  return Math.round(prepared.layers.reduce((n, l) => n + (l.isAlias ? 0 : layerInstructions(l, isa, prepared.prefer)), 0));
}
