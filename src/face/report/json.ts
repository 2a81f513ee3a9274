// SPDX-License-Identifier: Apache-2.0
import { type Graph, byteSize, isConstant } from '../../core/ir/graph.ts';
import { type PreparedGraph, type PreparedLayer, executedMacs, factsOf } from '../../core/ops/prepare.ts';
import type { MemoryPlan, PlacedBuffer } from '../../core/plan/arena.ts';
import { externalTraffic } from '../../core/plan/regions.ts';
import type { SharedArenaPlan } from '../../core/plan/shared_arena.ts';

/** `inspect --json`: the model, its cost per layer and its memory plan. */
export function inspectionJson(graph: Graph, prepared: PreparedGraph | undefined, plan: MemoryPlan | undefined, unsupported: string[], problem?: string) {
  return {
    model: graph.name,
    inputs: graph.inputs,
    outputs: graph.outputs,
    unsupported,
    problem: problem ?? null,
    tensors: graph.tensors.map((t) => ({
      index: t.index,
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      bytes: byteSize(t),
      constant: isConstant(t),
      variable: t.isVariable === true,
      scale: t.quant?.scale ?? null,
      zeroPoint: t.quant?.zeroPoint ?? null,
    })),
    layers: graph.ops.map((op, position) => ({
      index: op.index,
      op: op.kind,
      inputs: op.inputs,
      outputs: op.outputs,
      macs: prepared?.layers[position]?.macs ?? null,
      // what the chosen kernel executes (sparse kernels skip zeros); `macs` is the dense count
      executedMacs: prepared?.layers[position] ? executedMacs(prepared.layers[position]) : null,
      weightBytes: op.inputs.filter((i) => i >= 0 && isConstant(graph.tensors[i]!)).reduce((n, i) => n + byteSize(graph.tensors[i]!), 0),
      // the kernel chosen and how it stores the weights (encoding_choice.ts): `sparse`, or `dense`, with its bytes
      kernel: prepared?.layers[position]?.variant.name ?? null,
      weightStorage: prepared?.layers[position] ? storageJson(prepared.layers[position], prepared) : null,
    })),
    memory: plan ? planJson(plan, prepared) : null,
  };
}

function storageJson(layer: PreparedLayer, prepared: PreparedGraph): { kind: string; bytes: number } | null {
  const v = layer.variant;
  if (v.storage && v.cost) return { kind: v.storage, bytes: v.cost(layer.params, prepared.isa).flashBytes };
  const dense = layer.def.denseCost?.(layer.params, prepared.isa, prepared.prefer);
  if (!dense || !layer.def.variants?.some((x) => x.cost && x.applies(layer.params, factsOf(prepared)))) return null;
  return { kind: 'dense', bytes: dense.flashBytes };
}

export function planJson(plan: MemoryPlan, prepared?: PreparedGraph) {
  const buffer = (region: 'internal' | 'external') => (b: PlacedBuffer) => ({
    tensors: b.tensors,
    scratchOf: b.scratchOf ?? null,
    region,
    offset: b.offset,
    bytes: b.bytes,
    firstUse: b.firstUse,
    lastUse: b.lastUse,
  });
  const external = plan.external;
  return {
    arena: plan.arenaBytes,
    lowerBound: plan.lowerBound,
    classicFloor: plan.classicFloor,
    scratch: plan.scratchBytes,
    strategy: plan.strategy,
    buffers: plan.buffers.map(buffer('internal')),
    // the part of a split plan in external RAM (PSRAM): its own arena and offsets; null when all is internal
    external: external
      ? {
          region: external.region,
          accessCost: external.accessCost,
          arena: external.arenaBytes,
          strategy: external.strategy,
          trafficBytes: prepared ? externalTraffic(prepared, plan) : null,
          buffers: external.buffers.map(buffer('external')),
        }
      : null,
  };
}

/** The shared arena of several models (`compile --json` and `inspect --json` of several models). */
export function sharedArenaJson(names: string[], shared: SharedArenaPlan) {
  return {
    bytes: shared.arenaBytes,
    separateBytes: shared.separateBytes,
    alignment: shared.alignment,
    scratchOffset: shared.scratchOffset,
    models: shared.slots.map((s, k) => ({
      name: names[k]!,
      aloneBytes: s.aloneBytes,
      stateOffset: s.stateOffset,
      stateBytes: s.stateBytes,
      scratchBytes: s.scratchBytes,
      usedBytes: s.usedBytes,
    })),
  };
}
