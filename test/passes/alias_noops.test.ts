// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { aliasNoOps } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

const Q = { scale: 0.1, zeroPoint: 1 };

/** A model of one op on a [shape] input. */
function single(kind: string, shape: number[], extra: (b: GraphBuilder) => number[], outputs: number[][], attrs = {}): Graph {
  const b = new GraphBuilder(kind.toLowerCase());
  const x = b.input({ shape, q: Q });
  const ins = kind === 'SPLIT' ? [...extra(b), x] : [x, ...extra(b)];
  const outs = b.op(
    kind,
    ins,
    outputs.map((s) => ({ shape: s, q: Q })),
    attrs,
  );
  b.output(...outs);
  return b.build();
}

describe('pass: no-op data movement becomes an alias', () => {
  const cases: [string, Graph][] = [
    ['TRANSPOSE of unit dimensions (NCHW -> NHWC, one channel)', single('TRANSPOSE', [1, 1, 4, 4], (b) => [b.ints([0, 2, 3, 1])], [[1, 4, 4, 1]])],
    ['PAD by zeros', single('PAD', [2, 3], (b) => [b.ints([0, 0, 0, 0], [2, 2])], [[2, 3]])],
    ['SLICE of everything', single('SLICE', [2, 3], (b) => [b.ints([0, 0]), b.ints([-1, 3])], [[2, 3]])],
    ['STRIDED_SLICE of everything', single('STRIDED_SLICE', [2, 3], (b) => [b.ints([0, 0]), b.ints([2, 3]), b.ints([1, 1])], [[2, 3]])],
    ['SPLIT into one piece', single('SPLIT', [2, 3], (b) => [b.ints([1], [])], [[2, 3]], { numSplits: 1 })],
    ['CONCATENATION of one input', single('CONCATENATION', [2, 3], () => [], [[2, 3]], { axis: 0, activation: 'NONE' })],
    ['PACK of one input', single('PACK', [2, 3], () => [], [[1, 2, 3]], { valuesCount: 1, axis: 0 })],
    ['UNPACK of a unit axis', single('UNPACK', [1, 2, 3], () => [], [[2, 3]], { num: 1, axis: 0 })],
    ['SPACE_TO_DEPTH with block 1', single('SPACE_TO_DEPTH', [1, 2, 2, 3], () => [], [[1, 2, 2, 3]], { blockSize: 1 })],
    [
      'RESIZE_NEAREST_NEIGHBOR to the same size',
      single('RESIZE_NEAREST_NEIGHBOR', [1, 3, 3, 2], (b) => [b.ints([3, 3])], [[1, 3, 3, 2]], { halfPixelCenters: true }),
    ],
    ['RESIZE_BILINEAR to the same size', single('RESIZE_BILINEAR', [1, 3, 3, 2], (b) => [b.ints([3, 3])], [[1, 3, 3, 2]], { alignCorners: true })],
  ];
  for (const [what, graph] of cases) {
    it(`${what}: RESHAPE, no code, one buffer, same result`, () => {
      expect(aliasNoOps(graph).ops.map((op) => op.kind)).to.deep.equal(['RESHAPE']);
      const compiled = compileGraph(graph);
      expect(compiled.plan.buffers.length).to.equal(1);
      expect(compiled.generated.files.find((f) => f.role === 'source')!.text).to.match(/an alias, no code/);
      const n = graph.tensors[graph.inputs[0]!]!.shape.reduce((a, b) => a * b, 1);
      const input = [new Uint8Array(randomInt8(rng(n), n).buffer)];
      expect(interpret(compiled.prepared, input).outputs).to.deep.equal(interpret(prepareGraph(graph), input).outputs);
    });
  }

  it('keeps data movement that moves something (a real transpose, a real pad, align_corners nearest at the same size)', () => {
    expect(aliasNoOps(single('TRANSPOSE', [1, 2, 4, 4], (b) => [b.ints([0, 2, 3, 1])], [[1, 4, 4, 2]])).ops[0]!.kind).to.equal('TRANSPOSE');
    expect(aliasNoOps(single('PAD', [2, 3], (b) => [b.ints([0, 1, 0, 0], [2, 2])], [[3, 3]])).ops[0]!.kind).to.equal('PAD');
    // align_corners with half-pixel centres rounds (v + 0.5)·1 up: not the identity
    const shifted = single('RESIZE_NEAREST_NEIGHBOR', [1, 3, 3, 1], (b) => [b.ints([3, 3])], [[1, 3, 3, 1]], { alignCorners: true, halfPixelCenters: true });
    expect(aliasNoOps(shifted).ops[0]!.kind).to.equal('RESIZE_NEAREST_NEIGHBOR');
  });

  it('RESHAPE, SQUEEZE and EXPAND_DIMS chained share one buffer and emit no code', () => {
    const b = new GraphBuilder('chain');
    const x = b.input({ shape: [1, 6, 1], q: Q });
    const [s] = b.op('SQUEEZE', [x], [{ shape: [6], q: Q }], { squeezeDims: [] });
    const [r] = b.op('RESHAPE', [s!], [{ shape: [2, 3], q: Q }]);
    const [e] = b.op('EXPAND_DIMS', [r!, b.ints([0], [])], [{ shape: [1, 2, 3], q: Q }]);
    b.output(e!);
    const compiled = compileGraph(b.build());
    expect(compiled.plan.buffers.length).to.equal(1);
    expect(compiled.plan.arenaBytes).to.equal(16);
    const c = compiled.generated.files.find((f) => f.role === 'source')!.text;
    expect(c.match(/an alias, no code/g)!.length).to.equal(3);
    expect(c).to.not.match(/static void tf_chain_layer/);
  });
});
