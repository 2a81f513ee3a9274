// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
// the registry first: WHILE prepares its subgraphs through it (subgraph_call.ts imports prepare.ts, which imports the registry)
import { opDef } from '../index.ts';
import { OpError } from '../../errors.ts';
import type { Graph } from '../../ir/graph.ts';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../targets/targets.ts';
import { whileModel } from '../../../../test/helpers/control_flow_models.ts';

const def = opDef('WHILE')!;
const whileOp = (g: Graph) => g.ops.find((op) => op.kind === 'WHILE')!;

describe('WHILE', () => {
  it('refuses what TFLite Micro refuses: unequal counts, a cond without a bool output 0, mismatched state', () => {
    const g = whileModel();
    const op = whileOp(g);
    expect(() => def.check(g, { ...op, outputs: op.outputs.slice(0, 3) })).to.throw(
      OpError,
      /has 4 inputs and 3 outputs; TFLite Micro's WHILE needs as many of each/,
    );
    // cond and body swapped: the body's output 0 is an int32
    expect(() => def.check(g, { ...op, attrs: { condSubgraphIndex: 2, bodySubgraphIndex: 1 } })).to.throw(
      OpError,
      /body subgraph 1 takes 4 inputs and gives 1 outputs/,
    );
    const cond = g.subgraphs![1]!;
    const flag = cond.tensors[cond.outputs[0]!]!;
    const intCond = { ...cond, tensors: cond.tensors.map((t) => (t === flag ? { ...t, dtype: 'int32' as const } : t)) };
    const h = { ...g, subgraphs: { ...g.subgraphs, 1: intCond } };
    expect(() => def.check(h, op)).to.throw(OpError, /cond subgraph 1 output 0 .* is int32\[1\]; WHILE needs one bool/);
    const state = g.tensors[op.outputs[2]!]!;
    const k = { ...g, tensors: g.tensors.map((t) => (t === state ? { ...t, shape: [5] } : t)) };
    expect(() => def.check(k, op)).to.throw(OpError, /input 2 \(the loop's state, copied into output 2\):/);
  });

  it("plans cond and body in one scratch region of the model's arena, the loop state in the op's outputs", () => {
    const compiled = compileGraph(whileModel(), 'while', { isa: loadTarget('cortex-m4').isa });
    const layer = compiled.prepared.layers.find((l) => l.op.kind === 'WHILE')!;
    // the body's arena is the larger: i, n, the float and int8 accumulators and their sums
    expect(layer.scratchBytes).to.be.greaterThan(0);
    expect(compiled.plan.scratchOffset.get(layer.position)! + layer.scratchBytes).to.be.at.most(compiled.plan.arenaBytes);
    for (const t of layer.op.outputs) expect(compiled.plan.tensorOffset.has(t)).to.equal(true);
  });
});
