// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { optimizeGraph } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

const Q = { scale: 0.1, zeroPoint: -5 };

/** The model's outputs from the reference interpreter without passes, and after compileGraph's passes. */
function bothWays(graph: Graph, inputs: Uint8Array[]) {
  return { plain: interpret(prepareGraph(graph), inputs).outputs, compiled: interpret(compileGraph(graph).prepared, inputs).outputs };
}

describe('pass: TRANSPOSE folding', () => {
  it('reads an NCHW input through the PAD that follows its TRANSPOSE: no TRANSPOSE, no intermediate buffer', () => {
    const b = new GraphBuilder('nchw');
    const x = b.input({ shape: [1, 3, 6, 5], q: Q });
    const [nhwc] = b.op('TRANSPOSE', [x, b.ints([0, 2, 3, 1])], [{ shape: [1, 6, 5, 3], q: Q }]);
    const [padded] = b.op('PAD', [nhwc!, b.ints([0, 0, 1, 1, 2, 1, 0, 0], [4, 2])], [{ shape: [1, 8, 8, 3], q: Q }]);
    b.output(padded!);
    const graph = b.build();
    const optimized = optimizeGraph(graph);
    expect(optimized.ops.map((op) => op.kind)).to.deep.equal(['PAD']);
    expect(optimized.ops[0]!.inputs[0]).to.equal(x);
    expect(optimized.ops[0]!.attrs.inputPermutation).to.deep.equal([0, 2, 3, 1]);
    const input = [new Uint8Array(randomInt8(rng(1), 90).buffer)];
    const { plain, compiled } = bothWays(graph, input);
    expect(compiled).to.deep.equal(plain);
    expect(compileGraph(graph).plan.buffers.length).to.equal(2);
    expect(compileGraph(graph).generated.files.find((f) => f.role === 'source')!.text).to.match(
      /input read through perm \(0, 2, 3, 1\) \(a folded TRANSPOSE\)/,
    );
  });

  it('composes two TRANSPOSEs into one, and an inverse pair into an alias', () => {
    const b = new GraphBuilder('twice');
    const x = b.input({ shape: [2, 3, 4], q: Q });
    const [a] = b.op('TRANSPOSE', [x, b.ints([1, 2, 0])], [{ shape: [3, 4, 2], q: Q }]);
    const [c] = b.op('TRANSPOSE', [a!, b.ints([2, 0, 1])], [{ shape: [2, 3, 4], q: Q }]);
    const [d] = b.op('TRANSPOSE', [c!, b.ints([0, 2, 1])], [{ shape: [2, 4, 3], q: Q }]);
    b.output(d!);
    const graph = b.build();
    const optimized = optimizeGraph(graph);
    expect(optimized.ops.map((op) => op.kind)).to.deep.equal(['TRANSPOSE']);
    const input = [new Uint8Array(randomInt8(rng(2), 24).buffer)];
    const { plain, compiled } = bothWays(graph, input);
    expect(compiled).to.deep.equal(plain);

    const inv = new GraphBuilder('inverse');
    const y = inv.input({ shape: [2, 3, 4], q: Q });
    const [e] = inv.op('TRANSPOSE', [y, inv.ints([1, 2, 0])], [{ shape: [3, 4, 2], q: Q }]);
    const [f] = inv.op('TRANSPOSE', [e!, inv.ints([2, 0, 1])], [{ shape: [2, 3, 4], q: Q }]);
    inv.output(f!);
    expect(optimizeGraph(inv.build()).ops.map((op) => op.kind)).to.deep.equal(['RESHAPE']);
  });

  it("folds an NCHW flatten (TRANSPOSE → RESHAPE → FULLY_CONNECTED) into the weights' column order, bit-exact", () => {
    const rand = rng(3);
    for (const perChannel of [false, true]) {
      const b = new GraphBuilder('flatten');
      const x = b.input({ shape: [1, 3, 2, 4], q: Q });
      const [t] = b.op('TRANSPOSE', [x, b.ints([0, 3, 1, 2])], [{ shape: [1, 4, 3, 2], q: Q }]);
      const [r] = b.op('RESHAPE', [t!], [{ shape: [1, 24], q: Q }]);
      const quant = perChannel ? { scale: [0.01, 0.02, 0.005, 0.01, 0.03], zeroPoint: [0, 0, 0, 0, 0], axis: 0 } : { scale: [0.01], zeroPoint: [0], axis: 0 };
      const w = b.constant({ shape: [5, 24], quant }, randomInt8(rand, 120, -127, 127));
      const [y] = b.op('FULLY_CONNECTED', [r!, w, -1], [{ shape: [1, 5], q: { scale: 0.2, zeroPoint: 7 } }], { activation: 'NONE', keepNumDims: false });
      b.output(y!);
      const graph = b.build();
      const optimized = optimizeGraph(graph);
      expect(optimized.ops.map((op) => op.kind)).to.deep.equal(['RESHAPE', 'RESHAPE', 'FULLY_CONNECTED']);
      expect(optimized.ops[2]!.inputs[1]).to.not.equal(w);
      for (let k = 0; k < 3; k++) {
        const input = [new Uint8Array(randomInt8(rand, 24).buffer)];
        const { plain, compiled } = bothWays(graph, input);
        expect(compiled, `per-channel ${perChannel}`).to.deep.equal(plain);
      }
    }
  });

  it('keeps a TRANSPOSE whose output has another reader or is a model output', () => {
    const b = new GraphBuilder('shared');
    const x = b.input({ shape: [1, 2, 3, 3], q: Q });
    const [t] = b.op('TRANSPOSE', [x, b.ints([0, 2, 3, 1])], [{ shape: [1, 3, 3, 2], q: Q }]);
    const [p] = b.op('PAD', [t!, b.ints([0, 0, 1, 0, 0, 0, 0, 0], [4, 2])], [{ shape: [1, 4, 3, 2], q: Q }]);
    b.output(p!, t!);
    expect(optimizeGraph(b.build()).ops.map((op) => op.kind)).to.deep.equal(['TRANSPOSE', 'PAD']);
  });
});
