// SPDX-License-Identifier: Apache-2.0
import { type Graph, byteSize, isConstant } from '../../core/ir/graph.ts';
import { type PreparedGraph, type PreparedLayer, executedMacs, factsOf } from '../../core/ops/prepare.ts';
import { externalTraffic } from '../../core/plan/regions.ts';
import type { MemoryPlan } from '../../core/plan/arena.ts';
import type { SharedArenaPlan } from '../../core/plan/shared_arena.ts';
import { underFloor } from './run.ts';
import { formatTable } from './table.ts';
import { terminalText } from './terminal_text.ts';
import { wrap } from './layout.ts';
import { onnxArithmeticCounts } from '../../core/ops/common/numerics/requant_f32.ts';

const shape = (graph: Graph, i: number) => `${graph.tensors[i]!.dtype}[${graph.tensors[i]!.shape.join(',')}]`;

export function formatTensors(graph: Graph): string {
  const rows = graph.tensors.map((t) => [
    t.index,
    terminalText(t.name.length > 40 ? `…${t.name.slice(-39)}` : t.name),
    `${t.dtype}[${t.shape.join(',')}]`,
    t.quant
      ? t.quant.scale.length > 1
        ? `per-channel(${t.quant.scale.length}) axis ${t.quant.axis}`
        : `s=${t.quant.scale[0]?.toPrecision(6)} z=${t.quant.zeroPoint[0]}`
      : '-',
    isConstant(t) ? 'const' : t.isVariable ? 'variable' : 'activation',
    byteSize(t),
  ]);
  return formatTable(['#', 'name', 'type', 'quantization', 'kind', 'bytes'], rows, 'Tensors', {
    shrink: [
      { column: 1, from: 'start', min: 24 },
      { column: 3, min: 16 },
    ],
  });
}

/** Ops with shapes and cost; works on a graph tinyforge cannot compile too (MACs then unknown). */
export function formatOps(graph: Graph, prepared?: PreparedGraph): string {
  const rows = graph.ops.map((op, position) => {
    const layer = prepared?.layers[position];
    const weights = op.inputs.filter((i) => i >= 0 && isConstant(graph.tensors[i]!)).reduce((n, i) => n + byteSize(graph.tensors[i]!), 0);
    return [
      op.index,
      // a custom op's name comes from the model
      terminalText(op.kind),
      op.inputs
        .filter((i) => i >= 0 && !isConstant(graph.tensors[i]!))
        .map((i) => shape(graph, i))
        .join(' '),
      op.outputs.map((i) => shape(graph, i)).join(' '),
      // what the chosen kernel executes: a sparse kernel skips the zeros (the dense count is in --json's macs)
      layer ? executedMacs(layer) : '?',
      weights,
      // the kernel selectVariant chose for the target (aliases run no code)
      layer ? (layer.isAlias ? 'alias' : layer.variant.name) : '?',
      layer ? storageLabel(layer, prepared!) : '?',
    ];
  });
  // the kernel names of a row-band stage and the inputs of a many-input op give way first (all in --json)
  return formatTable(['#', 'op', 'input', 'output', 'MACs', 'weights', 'kernel', 'storage'], rows, 'Ops', {
    shrink: [
      { column: 6, min: 10 },
      { column: 2, min: 14 },
      { column: 3, min: 14 },
      { column: 1, min: 12 },
      { column: 7, min: 10 },
    ],
  });
}

/**
 * Each kernel the layers run, named in full (a table elides a long name to fit the terminal), with
 * the ops that run it by their `#`; `layers` in run order, aliases (no code) left out by the caller.
 */
export function formatKernelList(layers: { op: number; kind: string; kernel: string }[]): string {
  // one op's kernel names are its own: DEPTHWISE_CONV_2D's arm-dsp is not AVERAGE_POOL_2D's
  const opsOf = new Map<string, number[]>();
  for (const { op, kind, kernel } of layers) opsOf.set(`${kind} ${kernel}`, [...(opsOf.get(`${kind} ${kernel}`) ?? []), op]);
  const lines = [...opsOf].map(([name, ops]) => wrap(`${terminalText(name)}: ${ops.length === 1 ? 'op' : 'ops'} ${ops.join(', ')}`, undefined, '  ', '    '));
  return `Kernels\n${lines.join('\n')}`;
}

/** The Kernels section of inspect: the kernel each compiled layer runs. */
export function formatKernels(graph: Graph, prepared: PreparedGraph): string {
  const layers = prepared.layers.flatMap((layer, position) =>
    layer.isAlias ? [] : [{ op: graph.ops[position]!.index, kind: layer.op.kind, kernel: layer.variant.name }],
  );
  return formatKernelList(layers);
}

/**
 * How a layer stores its weights on the target: `sparse 1,020 B` when a storage variant runs it (its
 * flash bytes), `dense 4,608 B` where the op could have chosen another storage and kept dense, `-`
 * where there is no choice (encoding_choice.ts).
 */
export function storageLabel(layer: PreparedLayer, prepared: PreparedGraph): string {
  const n = (v: number) => v.toLocaleString('en-US');
  if (layer.variant.storage && layer.variant.cost) return `${layer.variant.storage} ${n(layer.variant.cost(layer.params, prepared.isa).flashBytes)} B`;
  const dense = layer.def.denseCost?.(layer.params, prepared.isa, prepared.prefer);
  if (!dense || !layer.def.variants?.some((v) => v.cost && v.applies(layer.params, factsOf(prepared)))) return '-';
  return `dense ${n(dense.flashBytes)} B`;
}

/**
 * How the layers of an ONNX model compute (compile's summary): as ONNX Runtime (float32
 * requantization) or in TFLite's fixed point; empty for a model with none.
 */
export function formatOnnxArithmetic(prepared: PreparedGraph): string {
  const { exact, fixed } = onnxArithmeticCounts(prepared.layers);
  if (exact + fixed === 0) return '';
  const layers = (n: number) => `${n} layer${n === 1 ? '' : 's'}`;
  return `ONNX arithmetic: ${layers(exact)} as ONNX Runtime (float32 requantization, exact), ${layers(fixed)} in fixed point (within 1 LSB; --onnx-requant)`;
}

/** The layers whose weights are stored other than dense int8, one line each (compile's summary). */
export function formatStorage(prepared: PreparedGraph): string {
  const lines = prepared.layers
    .filter((l) => !l.isAlias && (l.variant.storage || l.def.variants?.some((v) => v.cost && v.applies(l.params, factsOf(prepared)))))
    .map((l) => `  layer ${l.position} ${l.op.kind}: ${storageLabel(l, prepared)} (${l.variant.name})`);
  if (lines.length === 0) return '';
  return `weight storage (--prefer ${prepared.prefer ?? 'speed'}):\n${lines.join('\n')}`;
}

/** A plan buffer as a table row: what it holds (its tensors, or whose scratch), offset, bytes, first and last use. */
function bufferRow(graph: Graph, b: MemoryPlan['buffers'][number]): (string | number)[] {
  const holds =
    b.scratchOf !== undefined
      ? `scratch of layer ${b.scratchOf}`
      : b.tensors
          .map((t) => `${t} ${terminalText(graph.tensors[t]!.name)}`)
          .join(' = ')
          .slice(0, 60);
  return [holds, b.offset, b.bytes, b.firstUse, b.lastUse];
}

export function formatPlan(graph: Graph, plan: MemoryPlan, prepared?: PreparedGraph): string {
  const rows = plan.buffers.map((b) => bufferRow(graph, b));
  const table = formatTable(['buffer', 'offset', 'bytes', 'first', 'last'], rows, 'Memory plan (arena offsets; first/last = layer positions)', {
    shrink: [{ column: 0, min: 24 }],
  });
  const shared = plan.overlaps.length > 0 ? `, ${plan.overlaps.length} layers may write over their dying input` : '';
  return (
    `${table}\narena: ${plan.arenaBytes} bytes (peak), lower bound ${plan.lowerBound} bytes (largest live set less overlaps), scratch ${plan.scratchBytes} bytes, strategy: ${plan.strategy}${shared}\n` +
    `classic live-set floor: ${plan.classicFloor} bytes (every tensor its own buffer, no overlaps, the model's op order, no scratch: ` +
    `the best a whole-tensor planner such as TFLite Micro's can do); this arena, scratch included, is ${underFloor(plan.arenaBytes, plan.classicFloor)}` +
    formatExternal(graph, plan, prepared)
  );
}

/** The part of a split plan in external RAM: its buffers, its size, what it costs (empty when none). */
function formatExternal(graph: Graph, plan: MemoryPlan, prepared?: PreparedGraph): string {
  const external = plan.external;
  if (!external) return '';
  const n = (v: number) => v.toLocaleString('en-US');
  const rows = external.buffers.map((b) => bufferRow(graph, b));
  const table = formatTable(['buffer', 'offset', 'bytes', 'first', 'last'], rows, `In ${external.region} (the arena's coldest buffers)`, {
    shrink: [{ column: 0, min: 24 }],
  });
  const traffic = prepared ? `, about ${n(externalTraffic(prepared, plan))} bytes read and written there per inference (estimated)` : '';
  return (
    `
${table}
external arena: ${n(external.arenaBytes)} bytes in ${external.region}, ${external.buffers.length} buffer${external.buffers.length === 1 ? '' : 's'}, strategy: ${external.strategy}; ` +
    `internal arena: ${n(plan.arenaBytes)} bytes${traffic}; a byte there costs up to ${external.accessCost}x internal SRAM's on a cache miss`
  );
}

export function formatTimeline(plan: MemoryPlan, width = 64): string {
  if (plan.arenaBytes === 0) return '';
  const layers = Math.max(0, ...plan.buffers.map((b) => b.lastUse)) + 1;
  const lines = [];
  for (let at = 0; at < layers; at++) {
    const row = new Array(width).fill('.');
    for (const b of plan.buffers.filter((x) => x.firstUse <= at && at <= x.lastUse)) {
      const from = Math.floor((b.offset / plan.arenaBytes) * width);
      const to = Math.max(from + 1, Math.ceil(((b.offset + b.bytes) / plan.arenaBytes) * width));
      for (let c = from; c < Math.min(to, width); c++) row[c] = b.scratchOf !== undefined ? 's' : '#';
    }
    lines.push(`${String(at).padStart(3)} |${row.join('')}|`);
  }
  return `Arena timeline (layer | bytes 0..${plan.arenaBytes}; # tensor, s scratch)\n${lines.join('\n')}`;
}

/**
 * The shared arena of several models (plan/shared_arena.ts): per model its arena alone, its state and
 * activation parts and where they sit, then the shared total against separate arenas.
 */
export function formatSharedArena(names: string[], shared: SharedArenaPlan): string {
  const rows = shared.slots.map((s, k) => [
    terminalText(names[k]!),
    s.aloneBytes,
    s.stateBytes,
    s.stateBytes > 0 ? String(s.stateOffset) : '-',
    s.scratchBytes,
    s.usedBytes,
  ]);
  const table = formatTable(
    ['model', 'arena alone', 'state', 'state at', 'activations+scratch', 'uses'],
    rows,
    wrap(
      `Shared arena (${names.length} models, one at a time: each model's state its own, activations and scratch from offset ${shared.scratchOffset} shared)`,
    ),
    { shrink: [{ column: 0, min: 16 }] },
  );
  const n = (v: number) => v.toLocaleString('en-US');
  const saved = shared.separateBytes - shared.arenaBytes;
  return `${table}\nshared arena: ${n(shared.arenaBytes)} bytes (states ${n(shared.scratchOffset)} + largest activations ${n(shared.arenaBytes - shared.scratchOffset)}); separate arenas: ${n(shared.separateBytes)} bytes${saved > 0 ? `, ${n(saved)} saved` : ''}`;
}
