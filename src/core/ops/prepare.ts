// SPDX-License-Identifier: Apache-2.0
import { type Graph, type Op, byteSize, isConstant } from '../ir/graph.ts';
import { OpError, TinyforgeError } from '../errors.ts';
import { MultiplierRangeError } from './common/numerics/fixedpoint.ts';
import type { GraphFacts, KernelChoices, KernelIsa, KernelVariant, OpDef, OverlapRule, Prefer, VariantFacts } from './op.ts';
import { graphFacts } from './graph_facts.ts';
import { selectVariant } from './variant.ts';
import { opDef } from './index.ts';

/** One op with its compile-time parameters: what both the reference interpreter and codegen consume. */
export interface PreparedLayer {
  /** position in execution order */
  position: number;
  op: Op;
  def: OpDef;
  params: unknown;
  macs: number;
  /** the kernel chosen for the target (variant.ts): scratch, overlap, emitter and C files */
  variant: KernelVariant;
  scratchBytes: number;
  isAlias: boolean;
  /** the output may overlap this input (see KernelVariant.overlap) */
  overlap?: OverlapRule;
}

export interface PreparedGraph {
  graph: Graph;
  layers: PreparedLayer[];
  /** the ISA the kernels (and so their scratch sizes) were chosen for; absent: portable C */
  isa?: KernelIsa;
  /** what won where weight storages competed (encoding_choice.ts); absent: speed */
  prefer?: Prefer;
  /** the weight storages the compile allowed (CompileOptions.kernels); absent: all */
  kernels?: KernelChoices;
  /** the model's facts its layers' kernels were chosen under (prepareGraph); absent: none settled */
  graphFacts?: GraphFacts;
}

/** The compile's facts a variant's eligibility reads (op.ts VariantFacts), as the graph was prepared. */
export function factsOf(prepared: PreparedGraph): VariantFacts {
  return { isa: prepared.isa, prefer: prepared.prefer ?? 'speed', ...(prepared.graphFacts ? { graph: prepared.graphFacts } : {}) };
}

/** The layer run by `variant` on a compile of `facts`: the scratch and overlap the planner reads are the variant's. */
export function withVariant(layer: Omit<PreparedLayer, 'variant' | 'scratchBytes' | 'overlap'>, variant: KernelVariant, facts: VariantFacts): PreparedLayer {
  return { ...layer, variant, scratchBytes: variant.scratchBytes?.(layer.params, facts) ?? 0, overlap: variant.overlap?.(layer.params) };
}

/** Flash bytes of a layer's constant inputs as the chosen kernel stores them. */
export function layerWeightBytes(layer: PreparedLayer, prepared: PreparedGraph): number {
  if (layer.variant.storage && layer.variant.cost) return layer.variant.cost(layer.params, prepared.isa).flashBytes;
  const graph = prepared.graph;
  return layer.op.inputs.filter((i) => i >= 0 && isConstant(graph.tensors[i]!)).reduce((n, i) => n + byteSize(graph.tensors[i]!), 0);
}

/**
 * Multiply-accumulates the layer's chosen kernel executes per evaluation: the variant's own count
 * where it has one (sparse kernels skip zeros), else the op's dense count. `layer.macs` stays the
 * dense count (the work the layer describes, the denominator of instructions per MAC).
 */
export function executedMacs(layer: Pick<PreparedLayer, 'variant' | 'params' | 'macs'>): number {
  return layer.variant.macs?.(layer.params) ?? layer.macs;
}

/** Every op the model uses that tinyforge has no kernel for, with its index: `#3 LSTM`. */
export function unsupportedOps(graph: Graph): string[] {
  return graph.ops.filter((op) => !opDef(op.kind)).map((op) => `#${op.index} ${op.kind}`);
}

/**
 * Checks the whole model, then computes every layer's fixed-point parameters once. All problems are
 * reported together in one error so the user sees the full list at once. The model's facts
 * (GraphFacts) are read from the graph as given, before any pass (the row-band stage) rewrites its ops.
 */
export function prepareGraph(graph: Graph, fileName = graph.name, isa?: KernelIsa, prefer?: Prefer, kernels?: KernelChoices): PreparedGraph {
  const missing = unsupportedOps(graph);
  if (missing.length > 0) {
    throw new TinyforgeError(`${fileName}: unsupported ops (${missing.length}): ${missing.join(', ')}`);
  }
  const facts = { isa, prefer: prefer ?? 'speed', graph: graphFacts(graph) } as const;
  const layers = prepareLayers(graph, fileName, facts, kernels);
  return { graph, layers, isa, graphFacts: facts.graph, ...(prefer ? { prefer } : {}), ...(kernels && Object.keys(kernels).length > 0 ? { kernels } : {}) };
}

/** Every layer's params and kernel under `facts` (prepareGraph). */
function prepareLayers(graph: Graph, fileName: string, facts: VariantFacts, kernels: KernelChoices | undefined): PreparedLayer[] {
  const problems: string[] = [];
  const layers: PreparedLayer[] = [];
  graph.ops.forEach((op, position) => {
    const def = opDef(op.kind)!;
    try {
      def.check(graph, op);
      const params = def.prepare(graph, op, kernels, facts);
      // an alias of a constant cannot share its bytes (they are in flash): its C copies them
      const source = graph.tensors[op.inputs[0] ?? -1];
      const isAlias = def.isAlias === true && !(source && isConstant(source));
      const layer = { position, op, def, params, macs: def.macs(graph, op), isAlias };
      layers.push(withVariant(layer, selectVariant(def, params, facts.isa, facts.prefer, kernels), facts));
    } catch (e) {
      if (!(e instanceof TinyforgeError)) throw e;
      // the multiplier guard (fixedpoint.ts) does not know the op it computes for
      problems.push(e instanceof MultiplierRangeError ? new OpError(op.index, op.kind, e.message).message : e.message);
    }
  });
  if (problems.length > 0) throw new TinyforgeError(`${fileName}: ${problems.join('; ')}`);
  return layers;
}
