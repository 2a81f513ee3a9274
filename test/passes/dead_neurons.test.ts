// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { optimizeGraph } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

const Q = { scale: 0.05, zeroPoint: -3 };

/**
 * input [1,12] -> FC a (8 neurons, ReLU) -> FC b (5) -> output; b's weight columns `deadColumns` are
 * zeros; a per tensor or per channel, with a bias; `alsoOutput` makes a's output a model output too.
 */
function chain(seed: number, deadColumns: number[], perChannel: boolean, alsoOutput = false, emptyRows: number[] = []): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder('chain');
  const x = b.input({ shape: [1, 12], q: Q });
  const aQuant = perChannel
    ? { scale: Array.from({ length: 8 }, (_, i) => 0.004 + 0.001 * i), zeroPoint: new Array<number>(8).fill(0), axis: 0 }
    : { scale: [0.006], zeroPoint: [0], axis: 0 };
  const waData = randomInt8(rand, 96, -127, 127);
  for (const j of emptyRows) waData.fill(0, j * 12, (j + 1) * 12);
  const wa = b.constant({ shape: [8, 12], quant: aQuant }, waData);
  const biasA = b.constant(
    { shape: [8], dtype: 'int32', quant: { scale: aQuant.scale.map((s) => s * Q.scale), zeroPoint: aQuant.scale.map(() => 0), axis: 0 } },
    Int32Array.from([-150, -110, -70, -30, 10, 50, 3000, 9000]),
  );
  const [hidden] = b.op('FULLY_CONNECTED', [x, wa, biasA], [{ shape: [1, 8], q: { scale: 0.1, zeroPoint: -128 } }], { activation: 'RELU', keepNumDims: false });
  const wbData = randomInt8(rand, 40, -127, 127);
  for (let r = 0; r < 5; r++) for (const j of deadColumns) wbData[r * 8 + j] = 0;
  const wb = b.constant({ shape: [5, 8], q: { scale: 0.01, zeroPoint: 0 } }, wbData);
  const biasB = b.constant({ shape: [5], dtype: 'int32', q: { scale: 0.001, zeroPoint: 0 } }, Int32Array.from([5, -7, 300, 0, -90]));
  const [y] = b.op('FULLY_CONNECTED', [hidden!, wb, biasB], [{ shape: [1, 5], q: { scale: 0.2, zeroPoint: 4 } }], { activation: 'NONE', keepNumDims: false });
  b.output(y!);
  if (alsoOutput) b.output(hidden!);
  return b.build();
}

describe('pass: dead neurons between FULLY_CONNECTED layers', () => {
  it("removes the neurons whose column in the next layer's weights is all zeros, bit-exact", () => {
    for (const perChannel of [false, true]) {
      const graph = chain(1, [1, 4, 7], perChannel);
      const optimized = optimizeGraph(graph);
      const [a, b] = optimized.ops;
      expect(optimized.tensors[a!.inputs[1]!]!.shape).to.deep.equal([5, 12]);
      expect(optimized.tensors[a!.inputs[2]!]!.shape).to.deep.equal([5]);
      expect(optimized.tensors[a!.outputs[0]!]!.shape).to.deep.equal([1, 5]);
      expect(b!.inputs[0]).to.equal(a!.outputs[0]);
      expect(optimized.tensors[b!.inputs[1]!]!.shape).to.deep.equal([5, 5]);
      if (perChannel) expect(optimized.tensors[a!.inputs[1]!]!.quant!.scale).to.deep.equal([0, 2, 3, 5, 6].map((i) => 0.004 + 0.001 * i));
      const rand = rng(2);
      for (let k = 0; k < 4; k++) {
        const input = [new Uint8Array(randomInt8(rand, 12).buffer)];
        const plain = interpret(prepareGraph(graph), input).outputs;
        const compiled = interpret(compileGraph(graph).prepared, input).outputs;
        expect(compiled, `per-channel ${perChannel}`).to.deep.equal(plain);
      }
    }
  });

  it("folds a neuron whose weight row is all zeros (a constant output) into the next layer's bias, bit-exact", () => {
    for (const perChannel of [false, true]) {
      // rows 0 and 1 clamp at the ReLU (negative biases), 6 and 7 do not; column 7 is also unread
      const graph = chain(5, [7], perChannel, false, [0, 1, 6, 7]);
      const optimized = optimizeGraph(graph);
      const [a, b] = optimized.ops;
      expect(optimized.tensors[a!.inputs[1]!]!.shape).to.deep.equal([4, 12]);
      expect(optimized.tensors[b!.inputs[1]!]!.shape).to.deep.equal([5, 4]);
      expect(b!.inputs[2]).to.not.equal(graph.ops[1]!.inputs[2]);
      const rand = rng(6);
      for (let k = 0; k < 4; k++) {
        const input = [new Uint8Array(randomInt8(rand, 12).buffer)];
        expect(interpret(compileGraph(graph).prepared, input).outputs, `per-channel ${perChannel}`).to.deep.equal(
          interpret(prepareGraph(graph), input).outputs,
        );
      }
    }
  });

  it('keeps every neuron when each is read, when the tensor between is a model output, and one when none is read', () => {
    expect(optimizeGraph(chain(3, [], false)).tensors.length).to.equal(chain(3, [], false).tensors.length);
    const both = optimizeGraph(chain(3, [0, 2], false, true));
    expect(both.tensors[both.ops[0]!.inputs[1]!]!.shape).to.deep.equal([8, 12]);
    const none = optimizeGraph(chain(3, [0, 1, 2, 3, 4, 5, 6, 7], true));
    expect(none.tensors[none.ops[1]!.inputs[1]!]!.shape).to.deep.equal([5, 1]);
    const input = [new Uint8Array(randomInt8(rng(4), 12).buffer)];
    expect(interpret(compileGraph(chain(3, [0, 1, 2, 3, 4, 5, 6, 7], true)).prepared, input).outputs).to.deep.equal(
      interpret(prepareGraph(chain(3, [0, 1, 2, 3, 4, 5, 6, 7], true)), input).outputs,
    );
  });
});
