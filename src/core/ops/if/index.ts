// SPDX-License-Identifier: Apache-2.0
/**
 * IF: runs the then or the else subgraph on inputs 1.. as the bool input 0 says (TFLite Micro's
 * if.cc), read when the layer runs. Each branch is compiled into the layer (common/families/subgraph_call.ts): its
 * layers are static functions, its tensors in the layer's scratch; the op's inputs are copied into
 * the branch's inputs and its outputs back into the op's. TFLite Micro checks the then branch's
 * counts when it prepares and the branch taken when it runs; both are checked here when the model
 * compiles, with the types and sizes the copies need.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { KernelIsa, LayerEmitContext, OpDef } from '../op.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';
import {
  type CalledSubgraph,
  callingVariant,
  calledGraph,
  copyC,
  copyInto,
  emitCalled,
  prepareCalled,
  requireSameTensor,
  runCalled,
} from '../common/families/subgraph_call.ts';

export interface IfParams {
  graph: Graph;
  op: Op;
  thenIndex: number;
  elseIndex: number;
  /** both branches prepared for the reference (portable kernels) */
  branches: [CalledSubgraph, CalledSubgraph];
}

function check(graph: Graph, op: Op): void {
  if (op.inputs.length < 1) throw new OpError(op.index, op.kind, 'has no inputs; IF needs a bool condition as input 0');
  const cond = requireInput(graph, op, 0, 'condition');
  if (cond.dtype !== 'bool' || elementCount(cond.shape) !== 1) {
    throw new OpError(op.index, op.kind, `condition ${tensorLabel(cond)} is ${cond.dtype}[${cond.shape.join(',')}]; TFLite Micro's IF needs one bool`);
  }
  for (const [role, k] of [
    ['then', op.attrs.thenSubgraphIndex],
    ['else', op.attrs.elseSubgraphIndex],
  ] as const) {
    const sub = calledGraph(graph, op, k, role);
    if (sub.inputs.length !== op.inputs.length - 1 || sub.outputs.length !== op.outputs.length) {
      throw new OpError(
        op.index,
        op.kind,
        `${role} subgraph ${String(k)} takes ${sub.inputs.length} inputs and gives ${sub.outputs.length} outputs; the op has ${op.inputs.length - 1} inputs after the condition and ${op.outputs.length} outputs`,
      );
    }
    op.inputs.slice(1).forEach((t, i) => {
      if (t < 0) throw new OpError(op.index, op.kind, `input ${i + 1} is absent; IF copies every input into its branch`);
      requireSameTensor(op, graph.tensors[t]!, sub.tensors[sub.inputs[i]!]!, `input ${i + 1}, copied into ${role} subgraph ${String(k)}:`);
    });
    op.outputs.forEach((t, i) =>
      requireSameTensor(op, graph.tensors[t]!, sub.tensors[sub.outputs[i]!]!, `output ${i}, copied from ${role} subgraph ${String(k)}:`),
    );
  }
}

function prepareFor(p: IfParams, isa: KernelIsa | undefined): CalledSubgraph[] {
  return [prepareCalled(p.op, p.graph, p.thenIndex, isa), prepareCalled(p.op, p.graph, p.elseIndex, isa)];
}

function emit(p: IfParams, ctx: LayerEmitContext, called: CalledSubgraph[], isa: KernelIsa | undefined): string {
  const cond = ctx.input(0);
  const branches = called.map((c) => emitCalled(c, ctx, isa));
  const body = (b: (typeof branches)[number]) => [
    ...p.op.inputs.slice(1).map((_, i) => `    ${copyC(b.pointer(b.inputs[i]!), ctx.input(i + 1), b.bytes(b.inputs[i]!))}`),
    ...b.calls.map((f) => `    ${f}();`),
    ...p.op.outputs.map((_, i) => `    ${copyC(ctx.output(i), b.pointer(b.outputs[i]!), b.bytes(b.outputs[i]!))}`),
  ];
  return [
    ...branches.map((b) => b.functions),
    `/* IF: subgraph ${p.thenIndex} when the condition holds, else subgraph ${p.elseIndex}; each branch's tensors in this layer's scratch */`,
    `static void ${ctx.fnName}(void) {`,
    `  if (*(const uint8_t *)${cond}) {`,
    ...body(branches[0]!),
    '  } else {',
    ...body(branches[1]!),
    '  }',
    '}',
    '',
  ].join('\n');
}

const ifOp: OpDef<IfParams> = {
  kind: 'IF',
  dir: import.meta.dirname,
  // the branches' own layers say what they compute; IF itself only copies
  floatKernel: true,
  check,
  prepare(graph, op) {
    const thenIndex = op.attrs.thenSubgraphIndex as number;
    const elseIndex = op.attrs.elseSubgraphIndex as number;
    const p: IfParams = { graph, op, thenIndex, elseIndex, branches: undefined as unknown as [CalledSubgraph, CalledSubgraph] };
    p.branches = prepareFor(p, undefined) as [CalledSubgraph, CalledSubgraph];
    return p;
  },
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const taken = (inputs[0] as Uint8Array)[0] ? p.branches[0] : p.branches[1];
    runCalled(taken, inputs.slice(1) as TensorBuffer[]).forEach((o, i) => copyInto(outputs[i]!, o));
  },
  emitC: (p, ctx) => emit(p, ctx, p.branches, undefined),
  scratchBytes: (p) => Math.max(0, ...p.branches.map((c) => c.plan.arenaBytes)),
  selectVariant: (p, isa) => callingVariant(p, prepareFor, emit, isa),
};

export default ifOp;
