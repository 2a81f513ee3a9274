// SPDX-License-Identifier: Apache-2.0
/**
 * The one place a layer's kernel is chosen: an op's target variants (`OpDef.variants`) are tried in
 * order on targets of their ISA family; the portable C variant (the op's own `emitC`) runs
 * everywhere else. The planner and codegen both read the chosen variant, so scratch size, overlap
 * rule, emitted code and C files can never disagree.
 */
import { type KernelIsa, type KernelVariant, type OpDef, isaFamily } from './op.ts';

/** The op's portable C as a variant. */
export function portableVariant<P>(def: OpDef<P>): KernelVariant<P> {
  return {
    name: 'portable',
    family: 'portable',
    applies: () => true,
    scratchBytes: def.scratchBytes ? (p) => def.scratchBytes!(p) : undefined,
    overlap: def.overlap ? (p) => def.overlap!(p) : undefined,
    emit: (p, ctx) => def.emitC(p, ctx),
    cFiles: def.cFiles,
  };
}

/** The first of the op's variants of the target's family that covers the layer, else the portable C. */
export function firstApplicableVariant<P>(def: OpDef<P>, p: P, isa: KernelIsa | undefined): KernelVariant<P> {
  const family = isaFamily(isa);
  return def.variants?.find((v) => v.family === family && v.applies(p)) ?? portableVariant(def);
}

export function selectVariant<P>(def: OpDef<P>, p: P, isa: KernelIsa | undefined): KernelVariant<P> {
  return def.selectVariant ? def.selectVariant(p, isa) : firstApplicableVariant(def, p, isa);
}
