// SPDX-License-Identifier: Apache-2.0
/**
 * Builds small multi-op graphs in code for pass and model tests: tensors by spec, ops in execution
 * order, model inputs and outputs. What the op tests' singleOpGraph is for one op.
 */
import type { DType, Graph, Op, OpAttrs, Quantization, Tensor } from '../../src/core/ir/graph.ts';
import { type TensorBuffer, toBytes } from '../../src/core/ir/buffers.ts';

export interface Q {
  scale: number;
  zeroPoint: number;
}

export interface Spec {
  shape: number[];
  dtype?: DType;
  q?: Q;
  /** full quantization parameters (per-channel weights); overrides `q` */
  quant?: Quantization;
  name?: string;
  shapeSignature?: number[];
  /** state that persists across inferences (SVDF, LSTM, VAR_HANDLE) */
  variable?: boolean;
}

export class GraphBuilder {
  private readonly tensors: Tensor[] = [];
  private readonly ops: Op[] = [];
  private readonly inputs: number[] = [];
  private readonly outputs: number[] = [];
  private readonly called: Graph[] = [];

  constructor(private readonly name: string) {}

  tensor(spec: Spec, data?: TensorBuffer): number {
    const index = this.tensors.length;
    const t: Tensor = { index, name: spec.name ?? `t${index}`, shape: spec.shape, dtype: spec.dtype ?? 'int8' };
    if (spec.q) t.quant = { scale: [spec.q.scale], zeroPoint: [spec.q.zeroPoint], axis: 0 };
    if (spec.quant) t.quant = spec.quant;
    if (data) t.data = new Uint8Array(toBytes(data));
    if (spec.shapeSignature) t.shapeSignature = spec.shapeSignature;
    if (spec.variable) t.isVariable = true;
    this.tensors.push(t);
    return index;
  }

  input(spec: Spec): number {
    const i = this.tensor(spec);
    this.inputs.push(i);
    return i;
  }

  /** An int32 constant (perm, paddings, axis, sizes). */
  ints(values: number[], shape: number[] = [values.length]): number {
    return this.tensor({ shape, dtype: 'int32' }, Int32Array.from(values));
  }

  constant(spec: Spec, data: TensorBuffer): number {
    return this.tensor(spec, data);
  }

  /** Adds an op writing new tensors of the given specs; returns their indices. */
  op(kind: string, inputs: number[], outputs: Spec[], attrs: OpAttrs = {}): number[] {
    const outs = outputs.map((s) => this.tensor(s));
    this.ops.push({ index: this.ops.length, kind, inputs, outputs: outs, attrs });
    return outs;
  }

  output(...indices: number[]): void {
    this.outputs.push(...indices);
  }

  /**
   * A subgraph that IF or WHILE of this graph calls (built by a GraphBuilder of its own): its index
   * in the model file (1, 2, ... in the order of the calls), for the op's subgraph attributes.
   */
  call(subgraph: Graph): number {
    this.called.push(subgraph);
    return this.called.length;
  }

  build(): Graph {
    const graph: Graph = { name: this.name, tensors: [...this.tensors], ops: [...this.ops], inputs: [...this.inputs], outputs: [...this.outputs] };
    if (this.called.length === 0) return graph;
    // one record, by file index, shared by the graph and every subgraph (as the reader gives them)
    const subgraphs: Record<number, Graph> = {};
    this.called.forEach((g, k) => (subgraphs[k + 1] = { ...g, subgraphs }));
    graph.subgraphs = subgraphs;
    return graph;
  }
}

/**
 * Independent graphs as one: their tensors (renamed `<k>_<name>`), ops, inputs and outputs side by
 * side in order, so one firmware image runs them all (one build and one emulator session instead of
 * one per graph). The model's inputs are those of graph 0, then graph 1, ...; its outputs likewise.
 */
export function sideBySide(name: string, graphs: readonly Graph[]): Graph {
  const merged: Graph = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  graphs.forEach((g, k) => {
    const base = merged.tensors.length;
    const at = (i: number) => (i < 0 ? i : i + base);
    for (const t of g.tensors) merged.tensors.push({ ...t, index: at(t.index), name: `${k}_${t.name}` });
    for (const op of g.ops) merged.ops.push({ ...op, index: merged.ops.length, inputs: op.inputs.map(at), outputs: op.outputs.map(at) });
    merged.inputs.push(...g.inputs.map(at));
    merged.outputs.push(...g.outputs.map(at));
  });
  return merged;
}

/** Graphs side by side (sideBySide) with their cases joined: case c is each graph's case c inputs, in order. */
export function sideBySideCases(name: string, parts: readonly { graph: Graph; cases: Uint8Array[][] }[]): { graph: Graph; cases: Uint8Array[][] } {
  const graph = sideBySide(
    name,
    parts.map((p) => p.graph),
  );
  return { graph, cases: parts[0]!.cases.map((_, c) => parts.flatMap((p) => p.cases[c]!)) };
}
