// SPDX-License-Identifier: Apache-2.0
/**
 * Resource variables (streaming state) between the TFLite form and the IR.
 *
 * The converter writes a tf.Variable as: a CALL_ONCE in subgraph 0 naming an init subgraph; in that
 * subgraph a VAR_HANDLE (container, shared_name) giving a RESOURCE tensor and an ASSIGN_VARIABLE of
 * a constant to it; in subgraph 0 another VAR_HANDLE with the same names, READ_VARIABLE(resource)
 * giving the value and ASSIGN_VARIABLE(resource, new value) storing it for the next inference.
 *
 * The IR has no resource type and one subgraph: the reader lowers this to a variable tensor (the
 * kind LSTM state already is: persistent, reset at init) standing where subgraph 0's RESOURCE tensor
 * stood (same tensor index), with the dtype, shape and quantization of the value assigned to it;
 * READ_VARIABLE(var) -> value and ASSIGN_VARIABLE(var, value) (no outputs) keep their places, and
 * VAR_HANDLE and CALL_ONCE go. The writer raises that form back (tensor indices of subgraph 0 kept).
 *
 * TFLite Micro's semantics, which the IR form keeps: a variable's buffer is created (in Prepare of
 * the first ASSIGN_VARIABLE naming it) filled with the low byte of the assigned value's zero point,
 * or 0 when it has none; that is what tf_model_init's variable reset writes (variableResetByte). The
 * init subgraph then runs once, at the first Invoke. Only init values equal to that reset fill are
 * accepted (what a quantized zeros initializer gives); any other initial value is rejected, since
 * the generated code resets a variable to one byte. (TFLite Micro's own reset, ResetAll, also goes
 * back to that byte and never re-runs CALL_ONCE.)
 */
import * as tfl from './generated/schema_generated.ts';
import { type Op, type Tensor, byteSize } from '../../ir/graph.ts';
import { variableResetByte } from '../../ir/buffers.ts';

export const VARIABLE_OPS = new Set(['READ_VARIABLE', 'ASSIGN_VARIABLE']);

/** Tensors of type RESOURCE in a subgraph (the IR has no dtype for them). */
export function resourceTensorIndices(subgraph: tfl.SubGraph): Set<number> {
  const found = new Set<number>();
  for (let i = 0; i < subgraph.tensorsLength(); i++) {
    if (subgraph.tensors(i)?.type() === tfl.TensorType.RESOURCE) found.add(i);
  }
  return found;
}

/** What the reader hands over: subgraph 0 as read (resource tensors as placeholders) and a way to read the others. */
export interface LoweringInput {
  tensors: Tensor[];
  ops: Op[];
  resources: Set<number>;
  subgraphCount: number;
  /** ops and constant tensors of subgraph k > 0 */
  readSubgraph(k: number): { ops: Op[]; tensor(index: number): Tensor; resources: Set<number> };
  fail(problem: string): Error;
  /** the subgraphs IF and WHILE call (read as graphs of their own, not lowered here) */
  called?: ReadonlySet<number>;
}

const keyOf = (op: Op) => `${String(op.attrs.container ?? '')}\u0000${String(op.attrs.sharedName ?? '')}`;
const nameOf = (op: Op) => String(op.attrs.sharedName ?? '') || `variable${op.outputs[0]}`;

/**
 * Lowers subgraph 0's resource variables and checks the init subgraphs; throws `fail(...)` for any
 * use of several subgraphs other than CALL_ONCE initialisation of variables.
 */
export function lowerResourceVariables(input: LoweringInput): { tensors: Tensor[]; ops: Op[] } {
  const { tensors, ops, resources, fail } = input;
  const controlFlow = () => fail(`has ${input.subgraphCount} subgraphs: control-flow subgraphs (IF, WHILE, CALL_ONCE) are unsupported`);
  // every VAR_HANDLE of subgraph 0: its resource tensor -> the canonical tensor of its variable
  const canonical = new Map<string, number>();
  const redirect = new Map<number, number>();
  const names = new Map<number, string>();
  for (const op of ops) {
    if (op.kind !== 'VAR_HANDLE') continue;
    const out = op.outputs[0];
    if (out === undefined || !resources.has(out)) throw fail(`op ${op.index} (VAR_HANDLE): its output is not a RESOURCE tensor`);
    const key = keyOf(op);
    if (!canonical.has(key)) {
      canonical.set(key, out);
      names.set(out, nameOf(op));
    }
    redirect.set(out, canonical.get(key)!);
  }
  for (const r of resources) {
    if (!redirect.has(r))
      throw fail(`tensor ${r} '${tensors[r]!.name}' is a RESOURCE no VAR_HANDLE of subgraph 0 produces (resources passed between subgraphs are unsupported)`);
  }
  // the init subgraphs CALL_ONCE names: VAR_HANDLE + ASSIGN_VARIABLE of constants only
  const initValues = new Map<string, Tensor>();
  const initOf = new Set<number>();
  for (const op of ops) {
    if (op.kind !== 'CALL_ONCE') continue;
    const k = op.attrs.initSubgraphIndex;
    if (typeof k !== 'number' || k < 1 || k >= input.subgraphCount) throw fail(`op ${op.index} (CALL_ONCE): init subgraph ${String(k)} does not exist`);
    initOf.add(k);
  }
  for (let k = 1; k < input.subgraphCount; k++) if (!initOf.has(k) && !input.called?.has(k)) throw controlFlow();
  for (const k of initOf) {
    const sub = input.readSubgraph(k);
    const keys = new Map<number, string>();
    for (const op of sub.ops) {
      if (op.kind === 'VAR_HANDLE') {
        keys.set(op.outputs[0]!, keyOf(op));
      } else if (op.kind === 'ASSIGN_VARIABLE') {
        const key = keys.get(op.inputs[0]!);
        const value = sub.tensor(op.inputs[1]!);
        if (key === undefined || !value.data)
          throw fail(`init subgraph ${k}: ASSIGN_VARIABLE (op ${op.index}) must assign a constant to a VAR_HANDLE of that subgraph`);
        initValues.set(key, value);
      } else {
        throw fail(`init subgraph ${k} holds ${op.kind} (op ${op.index}); only VAR_HANDLE and ASSIGN_VARIABLE are supported in CALL_ONCE subgraphs`);
      }
    }
  }
  // each variable takes the dtype, shape and quantization of the first value assigned to it (TFLite
  // Micro prepares subgraph 0 before the init subgraph and allocates the buffer from that tensor),
  // else of the init value, else of what READ_VARIABLE reads
  const fromAssign = new Map<number, Tensor>();
  const fromRead = new Map<number, Tensor>();
  for (const op of ops) {
    const r = op.inputs[0];
    if (!VARIABLE_OPS.has(op.kind) || r === undefined || !redirect.has(r)) continue;
    const c = redirect.get(r)!;
    const [map, source] = op.kind === 'ASSIGN_VARIABLE' ? [fromAssign, tensors[op.inputs[1]!]] : [fromRead, tensors[op.outputs[0]!]];
    if (source && !map.has(c)) map.set(c, source);
  }
  const spec = new Map<number, Tensor>();
  for (const [key, c] of canonical) {
    const s = fromAssign.get(c) ?? initValues.get(key) ?? fromRead.get(c);
    if (s) spec.set(c, s);
  }
  const lowered = tensors.map((t) => {
    if (!resources.has(t.index)) return t;
    const c = redirect.get(t.index)!;
    const s = spec.get(c);
    if (t.index !== c || !s) return { index: t.index, name: t.name, shape: [], dtype: 'int32' } as Tensor;
    const v: Tensor = { index: t.index, name: names.get(c) ?? t.name, shape: [...s.shape], dtype: s.dtype, isVariable: true };
    if (s.quant) v.quant = { scale: [...s.quant.scale], zeroPoint: [...s.quant.zeroPoint], axis: s.quant.axis };
    return v;
  });
  for (const [key, c] of canonical) {
    const init = initValues.get(key);
    const v = lowered[c]!;
    if (!init || !v.isVariable) continue;
    if (init.dtype !== v.dtype || byteSize(init) !== byteSize(v)) {
      throw fail(`variable '${v.name}': the init subgraph assigns ${init.dtype}[${init.shape.join(',')}], subgraph 0 uses ${v.dtype}[${v.shape.join(',')}]`);
    }
    const fill = variableResetByte(v);
    if (init.data!.some((b) => b !== fill)) {
      throw fail(
        `variable '${v.name}': its initial value is not uniformly ${v.dtype === 'int8' ? 'the zero point' : 'zero'}; only such initial values are supported (the generated code resets a variable to one byte, as TFLite Micro's ResetAll)`,
      );
    }
  }
  const loweredOps = ops
    .filter((op) => op.kind !== 'VAR_HANDLE' && op.kind !== 'CALL_ONCE')
    .map((op) => (VARIABLE_OPS.has(op.kind) && redirect.has(op.inputs[0]!) ? { ...op, inputs: [redirect.get(op.inputs[0]!)!, ...op.inputs.slice(1)] } : op));
  return { tensors: lowered, ops: loweredOps };
}

/** How the writer raises the IR form: which tensors become RESOURCE, the ops to prepend, the init subgraph. */
export interface RaisedVariables {
  /** subgraph 0 tensor indices written as RESOURCE tensors */
  resources: Set<number>;
  /** CALL_ONCE then one VAR_HANDLE per variable, run before subgraph 0's ops */
  prologue: Op[];
  /** the init subgraph: VAR_HANDLE + ASSIGN_VARIABLE of the reset value, per variable */
  init?: { tensors: Tensor[]; ops: Op[]; resources: Set<number> };
}

export function raiseResourceVariables(tensors: readonly Tensor[], ops: readonly Op[]): RaisedVariables {
  const vars: Tensor[] = [];
  const seen = new Set<number>();
  for (const op of ops) {
    if (!VARIABLE_OPS.has(op.kind)) continue;
    const t = tensors[op.inputs[0]!];
    if (t?.isVariable && !seen.has(t.index)) {
      seen.add(t.index);
      vars.push(t);
    }
  }
  if (vars.length === 0) return { resources: new Set(), prologue: [] };
  // the shared name identifies a variable in TFLite Micro: distinct variables need distinct names
  const sharedName = new Map<number, string>();
  const taken = new Set<string>();
  for (const t of vars) {
    const name = t.name && !taken.has(t.name) ? t.name : `${t.name || 'variable'}_${t.index}`;
    taken.add(name);
    sharedName.set(t.index, name);
  }
  const handle = (index: number, t: Tensor, output: number): Op => ({
    index,
    kind: 'VAR_HANDLE',
    inputs: [],
    outputs: [output],
    attrs: { container: '', sharedName: sharedName.get(t.index)! },
  });
  const prologue: Op[] = [
    { index: -1, kind: 'CALL_ONCE', inputs: [], outputs: [], attrs: { initSubgraphIndex: 1 } },
    ...vars.map((t) => handle(-1, t, t.index)),
  ];
  const initTensors: Tensor[] = [];
  const initOps: Op[] = [];
  const initResources = new Set<number>();
  for (const v of vars) {
    const r = initTensors.length;
    initTensors.push({ index: r, name: `${v.name}_handle`, shape: [], dtype: 'int32' });
    initResources.add(r);
    const value: Tensor = {
      index: r + 1,
      name: `${v.name}_init`,
      shape: [...v.shape],
      dtype: v.dtype,
      data: new Uint8Array(byteSize(v)).fill(variableResetByte(v)),
    };
    if (v.quant) value.quant = v.quant;
    initTensors.push(value);
    initOps.push(handle(initOps.length, v, r), { index: initOps.length + 1, kind: 'ASSIGN_VARIABLE', inputs: [r, r + 1], outputs: [], attrs: {} });
  }
  return { resources: seen, prologue, init: { tensors: initTensors, ops: initOps, resources: initResources } };
}
