// SPDX-License-Identifier: Apache-2.0
/**
 * What IF and WHILE share: a called subgraph compiled into the calling layer. TFLite Micro runs a
 * subgraph through its interpreter, copying the op's tensors into the subgraph's inputs and its
 * outputs back (kernel_util.cc: CopyOpInputsToSubgraphInputs, CopySubgraphOutputsToOpOutputs).
 * Here each called subgraph is prepared and planned as a graph of its own when the model compiles:
 * its layers become static functions of their own, its tensors live in the calling layer's scratch
 * (one region of the model's arena, planned with the rest), the subgraphs of one op sharing it, as
 * they never run at the same time. The calling layer's function copies, runs the subgraph's
 * functions in order and copies back; a WHILE's loop state lives in the op's outputs across the
 * iterations. Called subgraphs are compiled for the model's target (their layers' kernel variants
 * are chosen for it, as any layer's); recursion is refused (calledGraph).
 */
import { OpError, TinyforgeError } from '../../../errors.ts';
import { DTYPE_C, type Graph, type Op, type Tensor, byteSize } from '../../../ir/graph.ts';
import { type TensorBuffer, fromBytes, toBytes } from '../../../ir/buffers.ts';
import type { KernelIsa, KernelVariant, LayerEmitContext, Prefer } from '../../op.ts';
import type { PreparedGraph } from '../../prepare.ts';
import { interpret } from '../../interpreter.ts';
import { renderOpTemplate } from '../render.ts';
import { layerText } from '../../layer_code.ts';
import { tensorLabel } from './weighted.ts';

/** What the calling layer reads of a called subgraph's arena plan (plan/arena.ts's MemoryPlan). */
export interface CalledPlan {
  arenaBytes: number;
  tensorOffset: ReadonlyMap<number, number>;
  scratchOffset: ReadonlyMap<number, number>;
}

/** One called subgraph, prepared for a target and planned. */
export interface CalledSubgraph {
  /** the file's subgraph index */
  index: number;
  prepared: PreparedGraph;
  plan: CalledPlan;
}

/** The constant dtypes a subgraph's C holds as const tables (ctx.addConst). */
const CONST_CTYPE: Partial<Record<string, 'int8_t' | 'int16_t' | 'int32_t' | 'uint8_t' | 'float'>> = {
  int8: 'int8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  bool: 'uint8_t',
  uint8: 'uint8_t',
  float32: 'float',
};

/** The subgraph indices an op calls: IF's then and else branches, WHILE's cond and body. */
function callees(op: Op): number[] {
  if (op.kind === 'IF') return [op.attrs.thenSubgraphIndex, op.attrs.elseSubgraphIndex].map(Number);
  if (op.kind === 'WHILE') return [op.attrs.condSubgraphIndex, op.attrs.bodySubgraphIndex].map(Number);
  return [];
}

/** A chain of calls from subgraph `k` back to itself or to subgraph 0 (the main graph), if there is one. */
function recursion(subgraphs: Record<number, Graph>, k: number, path: number[] = [k]): number[] | undefined {
  for (const op of subgraphs[k]?.ops ?? []) {
    for (const next of callees(op)) {
      if (next === 0 || path.includes(next)) return [...path, next];
      const found = recursion(subgraphs, next, [...path, next]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The subgraph `k` an op calls, checked: not the main graph nor one that calls back (recursion, which
 * TFLite Micro runs until its stack overflows), present, without state or constants the C cannot hold.
 */
export function calledGraph(graph: Graph, op: Op, k: unknown, role: string): Graph {
  const back = k === 0 ? [0] : typeof k === 'number' && graph.subgraphs ? recursion(graph.subgraphs, k) : undefined;
  if (back) {
    throw new OpError(
      op.index,
      op.kind,
      `${role} subgraph ${String(k)} calls back into ${back.length === 1 ? 'subgraph 0, the main graph' : back.join(' -> ')}; recursive subgraph calls are unsupported`,
    );
  }
  const sub = typeof k === 'number' ? graph.subgraphs?.[k] : undefined;
  if (!sub) throw new OpError(op.index, op.kind, `${role} subgraph ${String(k)} does not exist`);
  for (const t of sub.tensors) {
    if (t.isVariable)
      throw new OpError(op.index, op.kind, `${role} subgraph ${k} holds variable tensor ${t.index} '${t.name}'; state inside a called subgraph is unsupported`);
    if (t.data && !CONST_CTYPE[t.dtype]) {
      throw new OpError(
        op.index,
        op.kind,
        `${role} subgraph ${k} holds a ${t.dtype} constant (tensor ${t.index} '${t.name}'); unsupported in a called subgraph`,
      );
    }
  }
  return sub;
}

/** Requires op tensor `t` and subgraph tensor `s` to be of one type and size, which TFLite Micro's copies need. */
export function requireSameTensor(op: Op, t: Tensor, s: Tensor, what: string): void {
  if (t.dtype !== s.dtype || byteSize(t) !== byteSize(s)) {
    throw new OpError(
      op.index,
      op.kind,
      `${what} ${tensorLabel(t)} is ${t.dtype}[${t.shape.join(',')}], the subgraph's tensor ${s.index} '${s.name}' ${s.dtype}[${s.shape.join(',')}]`,
    );
  }
}

/**
 * The compile steps a called subgraph goes through as a graph of its own. They sit above the ops in
 * the core's order (the float-op check in passes, the arena in plan) or close a load cycle through
 * the op registry (prepare), so compile.ts hands them in when it loads.
 */
export interface CalledSubgraphSteps {
  rejectFloatOps(graph: Graph, source: string): void;
  prepare(graph: Graph, name: string, isa?: KernelIsa, prefer?: Prefer): PreparedGraph;
  plan(prepared: PreparedGraph): CalledPlan;
}

let steps: CalledSubgraphSteps | undefined;

export function useCalledSubgraphSteps(given: CalledSubgraphSteps): void {
  steps = given;
}

/** Prepares and plans a called subgraph for `isa` (a subgraph's problems are the calling op's). */
export function prepareCalled(op: Op, graph: Graph, k: number, isa?: KernelIsa, prefer?: Prefer): CalledSubgraph {
  const sub = graph.subgraphs![k]!;
  if (!steps) throw new TinyforgeError(`op ${op.index} (${op.kind}): called subgraphs compile through src/core/compile.ts, which is not loaded`);
  try {
    steps.rejectFloatOps(sub, `subgraph ${k}`);
    const prepared = steps.prepare(sub, sub.name, isa, prefer);
    return { index: k, prepared, plan: steps.plan(prepared) };
  } catch (e) {
    if (e instanceof TinyforgeError && !(e instanceof OpError)) throw new OpError(op.index, op.kind, `subgraph ${k}: ${e.message}`);
    throw e;
  }
}

/** Runs a called subgraph on the reference interpreter: its output buffers. */
export function runCalled(called: CalledSubgraph, inputs: readonly TensorBuffer[]): TensorBuffer[] {
  const { graph } = called.prepared;
  const run = interpret(
    called.prepared,
    inputs.map((b) => new Uint8Array(toBytes(b))),
  );
  return run.outputs.map((bytes, i) => fromBytes(graph.tensors[graph.outputs[i]!]!.dtype, bytes));
}

/** Copies `from` into `to` (one type and length). */
export function copyInto(to: TensorBuffer, from: TensorBuffer): void {
  (to as unknown as { set(a: unknown): void }).set(from);
}

/** What the calling layer's C needs of one called subgraph. */
export interface CalledC {
  /** file-scope C: the subgraph's layer functions */
  functions: string;
  /** the names of its layer functions, in order */
  calls: string[];
  /** a C expression pointing at subgraph tensor i (its place in the scratch, or a const table) */
  pointer(i: number): string;
  inputs: number[];
  outputs: number[];
  /** bytes of subgraph tensor i */
  bytes(i: number): number;
}

/** Emits a called subgraph's layers as static functions whose tensors live in the caller's scratch. */
export function emitCalled(called: CalledSubgraph, ctx: LayerEmitContext, isa: KernelIsa | undefined): CalledC {
  const { prepared, plan, index: k } = called;
  const sub = prepared.graph;
  const base = `((uint8_t *)${ctx.scratch()})`;
  const consts = new Map<number, string>();
  const pointer = (i: number): string => {
    const t = sub.tensors[i]!;
    const ctype = DTYPE_C[t.dtype];
    if (t.data) {
      let symbol = consts.get(i);
      if (!symbol) {
        symbol = ctx.addConst(`s${k}_t${i}`, CONST_CTYPE[t.dtype]!, fromBytes(t.dtype, t.data) as ArrayLike<number>);
        consts.set(i, symbol);
      }
      return `((const ${ctype} *)${symbol})`;
    }
    const offset = plan.tensorOffset.get(i);
    if (offset === undefined) throw new Error(`internal: subgraph ${k} tensor ${i} has no arena offset`);
    return `((${ctype} *)(${base} + ${offset}))`;
  };
  const functions: string[] = [];
  const calls: string[] = [];
  for (const layer of prepared.layers) {
    if (layer.isAlias) continue;
    const fnName = `${ctx.fnName}_s${k}_l${layer.position}`;
    const { op } = layer;
    const at = (list: number[], i: number) => {
      const index = list[i];
      if (index === undefined || index < 0) throw new Error(`internal: subgraph ${k} op ${op.index} (${op.kind}) has no tensor ${i}`);
      return pointer(index);
    };
    const subCtx: LayerEmitContext = {
      graph: sub,
      op,
      fnName,
      prefix: ctx.prefix,
      input: (i) => at(op.inputs, i),
      output: (i) => at(op.outputs, i),
      scratch: () => {
        const offset = plan.scratchOffset.get(layer.position);
        if (offset === undefined) throw new Error(`internal: subgraph ${k} op ${op.index} (${op.kind}) asked for scratch it did not declare`);
        return `(${base} + ${offset})`;
      },
      addConst: (suffix, ctype, values, align) => ctx.addConst(`s${k}l${layer.position}_${suffix}`, ctype, values, align),
      render: (file, view) => renderOpTemplate(layer.def.dir, file, view),
      isa,
      defineOnce: (key, code) => ctx.defineOnce(key, code),
    };
    functions.push(layerText(layer.variant.emit(layer.params, subCtx)));
    calls.push(fnName);
  }
  return { functions: functions.join('\n'), calls, pointer, inputs: sub.inputs, outputs: sub.outputs, bytes: (i) => byteSize(sub.tensors[i]!) };
}

/**
 * The variant of a calling layer on `isa`: its subgraphs prepared for that target, their arenas
 * its scratch (the largest: they never run at once), their kernels' C files its own.
 */
export function callingVariant<P>(
  p: P,
  prepareFor: (p: P, isa: KernelIsa | undefined) => CalledSubgraph[],
  emit: (p: P, ctx: LayerEmitContext, called: CalledSubgraph[], isa: KernelIsa | undefined) => string,
  isa: KernelIsa | undefined,
): KernelVariant<P> {
  const called = prepareFor(p, isa);
  return {
    name: 'portable',
    family: 'portable',
    applies: () => true,
    scratchBytes: () => Math.max(0, ...called.map((c) => c.plan.arenaBytes)),
    emit: (q, ctx) => emit(q, ctx, called, isa),
    cFiles: [...new Set(called.flatMap((c) => c.prepared.layers.flatMap((l) => [...(l.variant.cFiles ?? [])])))],
  };
}

/** A C statement copying `bytes` bytes between two tensors, skipped when both are one buffer. */
export function copyC(to: string, from: string, bytes: number): string {
  return `if ((const void *)${to} != (const void *)${from}) memcpy(${to}, ${from}, ${bytes}u);`;
}
