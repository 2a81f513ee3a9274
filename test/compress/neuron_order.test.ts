// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { orderNeuronsForGroups, similarGroupsOrder } from '../../src/compress/neuron_order.ts';
import { TrainableGraph, weightedLayers } from '../../src/compress/trainable.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { floatMlp } from '../helpers/float_mlp.ts';
import { rng } from '../helpers/op_harness.ts';

function outputs(graph: Graph, x: tf.Tensor): Float32Array {
  const model = new TrainableGraph(graph);
  try {
    return model.predict(x).dataSync() as Float32Array;
  } finally {
    model.dispose();
  }
}

describe('neuron order before pruning in row groups (neuron_order.ts)', () => {
  it('reorders the hidden neurons without changing what the model computes', () => {
    const graph = floatMlp([24, 12], 5, { softmax: false, randomBias: true });
    const layers = weightedLayers(graph);
    const ordered = orderNeuronsForGroups(
      graph,
      new Map([
        [layers[0]!.op.index, 4],
        [layers[1]!.op.index, 2],
      ]),
    );
    const rand = rng(9);
    const x = tf.tensor2d(
      Float32Array.from({ length: 8 * 20 }, () => rand() * 2 - 1),
      [8, 20],
    );
    const before = outputs(graph, x);
    const after = outputs(ordered, x);
    x.dispose();
    after.forEach((v, i) => expect(v).to.be.closeTo(before[i]!, 1e-4));
    // the weights did move: both hidden layers' rows are in another order
    const changed = [0, 1].map(
      (k) => Buffer.compare(Buffer.from(graph.tensors[layers[k]!.weights]!.data!), Buffer.from(ordered.tensors[layers[k]!.weights]!.data!)) !== 0,
    );
    expect(changed).to.deep.equal([true, true]);
  });

  it('puts rows that weigh the same inputs in one group', () => {
    // 12 rows of 30 columns: three patterns of large weights, four rows each, shuffled
    const rand = rng(3);
    const rows = 12;
    const columns = 30;
    const pattern = [0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 2, 1];
    const values = new Float32Array(rows * columns);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) values[r * columns + c] = (Math.floor(c / 10) === pattern[r] ? 1 : 0.05) * (rand() < 0.5 ? -1 : 1) * (0.5 + rand());
    }
    const order = similarGroupsOrder(values, rows, columns, 4);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: rows }, (_, r) => r));
    for (let g = 0; g < 3; g++) expect(new Set(order.slice(4 * g, 4 * g + 4).map((r) => pattern[r])).size).to.equal(1);
  });

  it('refuses a layer whose output no single FULLY_CONNECTED layer reads, in one line', () => {
    const graph = floatMlp([16], 2, { softmax: false, randomBias: true });
    const last = weightedLayers(graph).at(-1)!;
    expect(() => orderNeuronsForGroups(graph, new Map([[last.op.index, 2]])))
      .to.throw(TinyforgeError)
      .with.property('message')
      .that.matches(/^op \d+ \(FULLY_CONNECTED\): its neurons can be reordered only when one FULLY_CONNECTED layer alone reads its output$/);
  });
});
