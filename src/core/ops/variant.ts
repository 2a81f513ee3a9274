// SPDX-License-Identifier: Apache-2.0
/**
 * The one place a layer's kernel is chosen: an op's target variants (`OpDef.variants`) are tried in
 * order on targets of their ISA family; the portable C variant (the op's own `emitC`) runs
 * everywhere else. The planner and codegen both read the chosen variant, so scratch size, overlap
 * rule, emitted code and C files can never disagree.
 */
import { type KernelChoices, type KernelIsa, type KernelVariant, type OpDef, type Prefer, type VariantFacts, familyChain } from './op.ts';
import { chooseEncoding } from './encoding_choice.ts';

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

/**
 * The first of the op's variants of the target's family that covers the layer (and meets `also`), else
 * of the family it falls back to (`familyChain`), else the portable C.
 */
export function firstApplicableVariant<P>(def: OpDef<P>, p: P, facts: VariantFacts, also: (v: KernelVariant<P>) => boolean = () => true): KernelVariant<P> {
  for (const family of familyChain(facts.isa)) {
    const variant = def.variants?.find((v) => v.family === family && !v.cost && also(v) && v.applies(p, facts));
    if (variant) return variant;
  }
  return portableVariant(def);
}

/**
 * For a layer that must match ONNX Runtime (prepared `ortScale`): the first variant of the target's
 * family chain that covers it with ONNX Runtime's requantization (`ortExact`), else the portable C.
 */
export function firstOrtVariant<P>(def: OpDef<P>, p: P, facts: VariantFacts): KernelVariant<P> {
  return firstApplicableVariant(def, p, facts, (v) => v.ortExact === true);
}

/**
 * The storage alternatives (variants with `cost`) that cover the layer on the target: those of its
 * family and the portable ones (plain C runs anywhere; the cost model prices it on the family).
 */
export function storageAlternatives<P>(def: OpDef<P>, p: P, facts: VariantFacts): KernelVariant<P>[] {
  const families = familyChain(facts.isa);
  const own = (def.variants ?? []).filter((v) => v.cost && families.includes(v.family) && v.applies(p, facts));
  // the portable C of a storage only where the family has no kernel of its own for it
  const portable = (def.variants ?? []).filter((v) => v.cost && v.family === 'portable' && v.applies(p, facts) && !own.some((o) => o.storage === v.storage));
  return [...own, ...portable];
}

/**
 * The dense default (`firstApplicableVariant`) or a storage alternative, by the cost model of
 * encoding_choice.ts and `prefer`.
 */
/** A model that stores the weights as INT4 sets the speed choice's byte limit to that storage's. */
function storedBytes<P>(p: P, alternatives: KernelVariant<P>[], isa: KernelIsa | undefined): number | undefined {
  if (!(p as { weightsStoredInt4?: boolean }).weightsStoredInt4) return undefined;
  return alternatives.find((v) => v.storage === 'int4')?.cost!(p, isa).flashBytes;
}

export function chooseStorage<P>(def: OpDef<P>, p: P, isa: KernelIsa | undefined, prefer: Prefer = 'speed', kernels: KernelChoices = {}): KernelVariant<P> {
  const facts = { isa, prefer };
  const dense = firstApplicableVariant(def, p, facts);
  const alternatives = storageAlternatives(def, p, facts);
  const densePrice = alternatives.length > 0 ? def.denseCost?.(p, isa, prefer) : undefined;
  if (!densePrice) return dense;
  // kernels.sparse 'force': the sparse storage wherever it applies (measurements, tests)
  if (kernels.sparse === 'force') return alternatives.find((v) => v.storage === 'sparse') ?? dense;
  const chosen = chooseEncoding(
    { option: dense, cost: densePrice },
    alternatives.map((v) => ({ option: v, cost: v.cost!(p, isa) })),
    prefer,
    storedBytes(p, alternatives, isa),
  );
  return chosen.option;
}

/**
 * A layer whose accumulator may pass its type (`accWraps`, common/numerics/accumulator_bound.ts) runs the
 * portable C, which sums where wrapping is defined: the target kernels are taken only where the
 * compile-time bound proves they cannot overflow.
 */
export function selectVariant<P>(def: OpDef<P>, p: P, isa: KernelIsa | undefined, prefer: Prefer = 'speed', kernels: KernelChoices = {}): KernelVariant<P> {
  if ((p as { accWraps?: boolean }).accWraps) return portableVariant(def);
  // an int32-accumulator output (no requantization) is written by the portable C only
  if ((p as { int32Output?: boolean }).int32Output) return portableVariant(def);
  // ONNX Runtime's float32 requantization: the family kernels that run it as their epilogue, else the portable C
  if ((p as { ortScale?: number[] }).ortScale) return firstOrtVariant(def, p, { isa, prefer });
  return def.selectVariant ? def.selectVariant(p, isa, prefer, kernels) : chooseStorage(def, p, isa, prefer, kernels);
}
