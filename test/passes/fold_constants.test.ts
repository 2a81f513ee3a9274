// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { foldConstants, optimizeGraph } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

const Q = { scale: 0.1, zeroPoint: 0 };

describe('pass: constant folding', () => {
  it("folds a SHAPE → STRIDED_SLICE → PACK chain (a flatten's target shape) and drops it with the RESHAPE shape input", () => {
    const b = new GraphBuilder('flatten');
    const x = b.input({ shape: [1, 4, 4, 2], q: Q });
    const [shape] = b.op('SHAPE', [x], [{ shape: [4], dtype: 'int32' }], { outType: 'INT32' });
    const [batch] = b.op('STRIDED_SLICE', [shape!, b.ints([0]), b.ints([1]), b.ints([1])], [{ shape: [], dtype: 'int32' }], { shrinkAxisMask: 1 });
    const [target] = b.op('PACK', [batch!, b.tensor({ shape: [], dtype: 'int32' }, Int32Array.from([-1]))], [{ shape: [2], dtype: 'int32' }], {
      valuesCount: 2,
      axis: 0,
    });
    const [y] = b.op('RESHAPE', [x, target!], [{ shape: [1, 32], q: Q }]);
    b.output(y!);
    const graph = b.build();

    const folded = foldConstants(graph);
    expect(folded.ops.map((op) => op.kind)).to.deep.equal(['RESHAPE']);
    expect(Array.from(fromBytes('int32', folded.tensors[target!]!.data!) as Int32Array)).to.deep.equal([1, -1]);
    expect(graph.ops.length, 'the input graph is not changed').to.equal(4);
    expect(graph.tensors[target!]!.data).to.equal(undefined);

    const optimized = optimizeGraph(graph);
    expect(optimized.ops.map((op) => [op.kind, op.inputs])).to.deep.equal([['RESHAPE', [x]]]);
    const compiled = compileGraph(graph);
    expect(compiled.plan.buffers.length, 'the reshape aliases its input').to.equal(1);
  });

  it('folds int64 SHAPE outputs and a constant TRANSPOSE, and the model computes the same', () => {
    const build = (withShape: boolean) => {
      const b = new GraphBuilder('consts');
      const x = b.input({ shape: [1, 3], q: Q });
      const w = b.constant({ shape: [3, 1], q: { scale: 0.2, zeroPoint: 4 } }, Int8Array.from([1, -2, 100]));
      const [wt] = b.op('TRANSPOSE', [w, b.ints([1, 0])], [{ shape: [1, 3], q: { scale: 0.2, zeroPoint: 4 } }]);
      const [y] = b.op('ADD', [x, wt!], [{ shape: [1, 3], q: { scale: 0.25, zeroPoint: -3 } }], { activation: 'NONE' });
      if (!withShape) {
        b.output(y!);
        return { graph: b.build(), wt: wt!, s: -1 };
      }
      const [s] = b.op('SHAPE', [y!], [{ shape: [2], dtype: 'int64' }], { outType: 'INT64' });
      const [z] = b.op('RESHAPE', [y!, s!], [{ shape: [1, 3], q: { scale: 0.25, zeroPoint: -3 } }]);
      b.output(z!);
      return { graph: b.build(), wt: wt!, s: s! };
    };
    const { graph, wt, s } = build(true);
    const folded = foldConstants(graph);
    expect(folded.ops.map((op) => op.kind)).to.deep.equal(['ADD', 'RESHAPE']);
    expect(Array.from(fromBytes('int8', folded.tensors[wt]!.data!) as Int8Array)).to.deep.equal([1, -2, 100]);
    expect(Array.from(fromBytes('int64', folded.tensors[s]!.data!) as BigInt64Array)).to.deep.equal([1n, 3n]);
    // the reference interpreter runs the TRANSPOSE at run time (and has no SHAPE): same outputs
    const input = [new Uint8Array(Int8Array.from([100, -50, 7]).buffer)];
    const expected = interpret(prepareGraph(build(false).graph), input).outputs[0];
    expect(interpret(compileGraph(graph).prepared, input).outputs[0]).to.deep.equal(expected);
  });

  it('leaves ops producing a model output, ops its checks refuse, and ops with activation inputs', () => {
    const b = new GraphBuilder('kept');
    const x = b.input({ shape: [2], q: Q });
    const c = b.constant({ shape: [2, 1], q: Q }, Int8Array.from([5, 6]));
    const [out] = b.op('TRANSPOSE', [c, b.ints([1, 0])], [{ shape: [1, 2], q: Q }]);
    const [bad] = b.op('TRANSPOSE', [c, b.ints([0, 0])], [{ shape: [2, 2], q: Q }]);
    const [y] = b.op('PAD', [x, b.ints([1, 1], [1, 2])], [{ shape: [4], q: Q }]);
    b.output(out!, bad!, y!);
    expect(foldConstants(b.build()).ops.map((op) => op.kind)).to.deep.equal(['TRANSPOSE', 'TRANSPOSE', 'PAD']);
  });
});
