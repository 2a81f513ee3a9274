// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
// the registry first: IF prepares its subgraphs through it (if/index.ts imports prepare.ts, which imports the registry)
import { opDef } from '../index.ts';
import { OpError, TinyforgeError } from '../../errors.ts';
import type { Graph } from '../../ir/graph.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { parseTflite } from '../../model/tflite/reader.ts';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../targets/targets.ts';
import { ifModel, whileModel } from '../../../../test/helpers/control_flow_models.ts';

const def = opDef('IF')!;
const ifOps = (g: Graph) => g.ops.filter((op) => op.kind === 'IF');

describe('IF', () => {
  it('reads and writes its subgraphs: the file round-trips', () => {
    const g = ifModel();
    const back = parseTflite(writeTflite(g), 'if.tflite');
    expect(Object.keys(back.subgraphs!)).to.deep.equal(['1', '2', '3', '4', '5', '6']);
    expect(back.subgraphs![3]!.ops.map((op) => op.kind)).to.deep.equal(['ADD']);
    expect(back.subgraphs![6]!.ops).to.deep.equal([]);
    expect(ifOps(back).map((op) => [op.attrs.thenSubgraphIndex, op.attrs.elseSubgraphIndex])).to.deep.equal([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('refuses a condition that is not one bool, and branches that do not fit the op', () => {
    const g = ifModel();
    const op = ifOps(g)[0]!;
    const cond = g.tensors[op.inputs[0]!]!;
    expect(() => def.check({ ...g, tensors: g.tensors.map((t) => (t === cond ? { ...t, shape: [2] } : t)) }, op)).to.throw(OpError, /needs one bool/);
    const short = { ...op, inputs: op.inputs.slice(0, 2) };
    expect(() => def.check(g, short)).to.throw(OpError, /then subgraph 1 takes 2 inputs and gives 1 outputs; the op has 1 inputs after the condition/);
    // the int8 branches where the float ones are expected
    const crossed = { ...op, attrs: { thenSubgraphIndex: 3, elseSubgraphIndex: 2 } };
    expect(() => def.check(g, crossed)).to.throw(
      OpError,
      /input 1, copied into then subgraph 3: .* is float32\[2,3\], the subgraph's tensor 0 't0' int8\[2,3\]/,
    );
    const missing = { ...op, attrs: { thenSubgraphIndex: 9, elseSubgraphIndex: 2 } };
    expect(() => def.check(g, missing)).to.throw(OpError, /then subgraph 9 does not exist/);
  });

  it('refuses a recursive subgraph call in one line', () => {
    const g = whileModel();
    // the body calls itself through a WHILE of its own
    const body = g.subgraphs![2]!;
    body.ops.push({
      index: body.ops.length,
      kind: 'WHILE',
      inputs: [...body.inputs],
      outputs: [...body.outputs],
      attrs: { condSubgraphIndex: 1, bodySubgraphIndex: 2 },
    });
    const back = parseTflite(writeTflite(g), 'loop.tflite');
    expect(() => compileGraph(back, 'loop.tflite')).to.throw(
      TinyforgeError,
      /op 0 \(WHILE\): body subgraph 2 calls back into 2 -> 2; recursive subgraph calls are unsupported$/,
    );
    const h = ifModel();
    ifOps(h)[0]!.attrs.elseSubgraphIndex = 0;
    expect(() => def.check(h, ifOps(h)[0]!)).to.throw(
      OpError,
      /^op 1 \(IF\): else subgraph 0 calls back into subgraph 0, the main graph; recursive subgraph calls are unsupported$/,
    );
  });

  it("plans the branches' tensors in the layer's scratch, inside the model's one arena", () => {
    const compiled = compileGraph(ifModel(), 'if', { isa: loadTarget('cortex-m4').isa });
    const layers = compiled.prepared.layers.filter((l) => l.op.kind === 'IF');
    // by then branch: float ADD and MUL, two [2,3] inputs and an output of 24 bytes each at 16-byte
    // alignment; int8 ADD and SUB, 6 bytes each, the output over an input; NEG in place
    const scratch = Object.fromEntries(layers.map((l) => [l.op.attrs.thenSubgraphIndex, l.scratchBytes]));
    expect(scratch).to.deep.equal({ 1: 96, 3: 32, 5: 32 });
    for (const l of layers) expect(compiled.plan.scratchOffset.get(l.position)! + l.scratchBytes).to.be.at.most(compiled.plan.arenaBytes);
  });
});
