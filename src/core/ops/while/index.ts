// SPDX-License-Identifier: Apache-2.0
/**
 * WHILE: the op's inputs are the loop's state; while the cond subgraph's bool output 0 holds, the
 * body subgraph maps the state to the next (TFLite Micro's while.cc). As TFLite Micro: the inputs are
 * copied into cond's inputs and into the op's outputs, cond runs; then per iteration the outputs are
 * copied into the body's inputs, the body runs, its outputs are copied into the op's outputs, and
 * cond runs on them. The op's outputs hold the state across the iterations; cond and body run from
 * this layer's scratch, one after the other (common/families/subgraph_call.ts). The iteration count is the model's:
 * a cond that never turns false loops forever, as in TFLite Micro.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { KernelIsa, LayerEmitContext, OpDef } from '../op.ts';
import { tensorLabel } from '../common/families/weighted.ts';
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

export interface WhileParams {
  graph: Graph;
  op: Op;
  condIndex: number;
  bodyIndex: number;
  /** cond and body prepared for the reference (portable kernels) */
  called: [CalledSubgraph, CalledSubgraph];
}

function check(graph: Graph, op: Op): void {
  const n = op.inputs.length;
  if (op.outputs.length !== n)
    throw new OpError(op.index, op.kind, `has ${n} inputs and ${op.outputs.length} outputs; TFLite Micro's WHILE needs as many of each`);
  op.inputs.forEach((t, i) => {
    if (t < 0) throw new OpError(op.index, op.kind, `input ${i} is absent; WHILE copies every input`);
    requireSameTensor(op, graph.tensors[t]!, graph.tensors[op.outputs[i]!]!, `input ${i} (the loop's state, copied into output ${i}):`);
  });
  const cond = calledGraph(graph, op, op.attrs.condSubgraphIndex, 'cond');
  const body = calledGraph(graph, op, op.attrs.bodySubgraphIndex, 'body');
  if (cond.inputs.length !== n)
    throw new OpError(op.index, op.kind, `cond subgraph ${String(op.attrs.condSubgraphIndex)} takes ${cond.inputs.length} inputs; the op has ${n}`);
  if (body.inputs.length !== n || body.outputs.length !== n) {
    throw new OpError(
      op.index,
      op.kind,
      `body subgraph ${String(op.attrs.bodySubgraphIndex)} takes ${body.inputs.length} inputs and gives ${body.outputs.length} outputs; the op has ${n} of each`,
    );
  }
  const flag = cond.outputs.length > 0 ? cond.tensors[cond.outputs[0]!]! : undefined;
  if (!flag || flag.dtype !== 'bool' || elementCount(flag.shape) !== 1) {
    throw new OpError(
      op.index,
      op.kind,
      `cond subgraph ${String(op.attrs.condSubgraphIndex)} output 0 ${flag ? `${tensorLabel(flag)} is ${flag.dtype}[${flag.shape.join(',')}]` : 'is missing'}; WHILE needs one bool`,
    );
  }
  op.outputs.forEach((t, i) => {
    const ot = graph.tensors[t]!;
    requireSameTensor(op, ot, cond.tensors[cond.inputs[i]!]!, `output ${i}, copied into cond's input ${i}:`);
    requireSameTensor(op, ot, body.tensors[body.inputs[i]!]!, `output ${i}, copied into body's input ${i}:`);
    requireSameTensor(op, ot, body.tensors[body.outputs[i]!]!, `output ${i}, copied from body's output ${i}:`);
  });
}

function prepareFor(p: WhileParams, isa: KernelIsa | undefined): CalledSubgraph[] {
  return [prepareCalled(p.op, p.graph, p.condIndex, isa), prepareCalled(p.op, p.graph, p.bodyIndex, isa)];
}

function emit(p: WhileParams, ctx: LayerEmitContext, called: CalledSubgraph[], isa: KernelIsa | undefined): string {
  const [cond, body] = called.map((c) => emitCalled(c, ctx, isa)) as [ReturnType<typeof emitCalled>, ReturnType<typeof emitCalled>];
  const n = p.op.inputs.length;
  const each = (f: (i: number) => string, indent: string) => Array.from({ length: n }, (_, i) => `${indent}${f(i)}`);
  const runCond = (indent: string) => cond.calls.map((f) => `${indent}${f}();`);
  return [
    cond.functions,
    body.functions,
    `/* WHILE: cond subgraph ${p.condIndex}, body subgraph ${p.bodyIndex}; the loop's state in the outputs, cond and body in this layer's scratch */`,
    `static void ${ctx.fnName}(void) {`,
    ...each((i) => copyC(cond.pointer(cond.inputs[i]!), ctx.input(i), cond.bytes(cond.inputs[i]!)), '  '),
    ...each((i) => copyC(ctx.output(i), ctx.input(i), cond.bytes(cond.inputs[i]!)), '  '),
    ...runCond('  '),
    `  while (*(const uint8_t *)${cond.pointer(cond.outputs[0]!)}) {`,
    ...each((i) => copyC(body.pointer(body.inputs[i]!), ctx.output(i), body.bytes(body.inputs[i]!)), '    '),
    ...body.calls.map((f) => `    ${f}();`),
    ...each((i) => copyC(ctx.output(i), body.pointer(body.outputs[i]!), body.bytes(body.outputs[i]!)), '    '),
    ...each((i) => copyC(cond.pointer(cond.inputs[i]!), ctx.output(i), cond.bytes(cond.inputs[i]!)), '    '),
    ...runCond('    '),
    '  }',
    '}',
    '',
  ].join('\n');
}

const whileOp: OpDef<WhileParams> = {
  kind: 'WHILE',
  dir: import.meta.dirname,
  // cond's and body's own layers say what they compute; WHILE itself only copies
  floatKernel: true,
  check,
  prepare(graph, op) {
    const p: WhileParams = {
      graph,
      op,
      condIndex: op.attrs.condSubgraphIndex as number,
      bodyIndex: op.attrs.bodySubgraphIndex as number,
      called: undefined as unknown as [CalledSubgraph, CalledSubgraph],
    };
    p.called = prepareFor(p, undefined) as [CalledSubgraph, CalledSubgraph];
    return p;
  },
  macs: () => 0,
  evaluate(p, inputs, outputs) {
    const [cond, body] = p.called;
    const state = inputs as TensorBuffer[];
    state.forEach((x, i) => copyInto(outputs[i]!, x));
    let go = (runCalled(cond, state)[0] as Uint8Array)[0] !== 0;
    while (go) {
      runCalled(body, outputs).forEach((o, i) => copyInto(outputs[i]!, o));
      go = (runCalled(cond, outputs)[0] as Uint8Array)[0] !== 0;
    }
  },
  emitC: (p, ctx) => emit(p, ctx, p.called, undefined),
  scratchBytes: (p) => Math.max(0, ...p.called.map((c) => c.plan.arenaBytes)),
  selectVariant: (p, isa) => callingVariant(p, prepareFor, emit, isa),
};

export default whileOp;
