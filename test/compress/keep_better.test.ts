// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { keepBetter, mcNemar } from '../../src/compress/keep_better.ts';
import { pruneOneShot } from '../../src/compress/prune.ts';
import { weightedLayers } from '../../src/compress/trainable.ts';
import { fromBytes } from '../../src/ir/buffers.ts';
import { rng } from '../helpers/op_harness.ts';
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../src/ir/graph.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';

/** A float MLP of random hidden widths, seeded initial weights. */
function buildFloatMlp(hidden: number[], seed: number): Graph {
  const model = tf.sequential({ name: 'mlp' });
  hidden.forEach((units, i) =>
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + i }),
        ...(i === 0 ? { inputShape: [20] } : {}),
      }),
    ),
  );
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 9 }) }));
  const graph = layersModelToFloatGraph(model, 'mlp');
  model.dispose();
  return graph;
}

describe('honest training steps: keep the better of before and after fine-tuning', () => {
  it('keeps the fine-tuned model unless it is strictly worse on held-out data (accuracy up, loss down)', () => {
    const rand = rng(4);
    for (let n = 0; n < 200; n++) {
      const a = Math.round(rand() * 100) / 100;
      const b = Math.round(rand() * 100) / 100;
      const acc = keepBetter({ name: 'accuracy', value: a }, { name: 'accuracy', value: b });
      expect(acc.kept).to.equal(b >= a ? 'after' : 'before');
      const loss = keepBetter({ name: 'loss', value: a }, { name: 'loss', value: b });
      expect(loss.kept).to.equal(b <= a ? 'after' : 'before');
    }
  });

  it("McNemar's test: only disagreements count, and it rejects only clear differences", () => {
    const rand = rng(9);
    for (let n = 0; n < 100; n++) {
      const count = 200 + Math.floor(rand() * 800);
      const first = Array.from({ length: count }, () => rand() < 0.9);
      const second = first.map((f) => (rand() < 0.05 ? !f : f));
      const t = mcNemar(first, second);
      const b = first.filter((f, i) => f && !second[i]).length;
      const c = first.filter((f, i) => !f && second[i]).length;
      expect([t.onlyFirst, t.onlySecond]).to.deep.equal([b, c]);
      expect(t.chiSquare).to.be.closeTo(b + c === 0 ? 0 : Math.max(0, Math.abs(b - c) - 1) ** 2 / (b + c), 1e-12);
      // the test is symmetric
      expect(mcNemar(second, first).chiSquare).to.equal(t.chiSquare);
    }
    // 30 disagreements all one way: beyond noise; 16 against 14: within it
    const right = new Array(1000).fill(true);
    expect(
      mcNemar(
        right,
        right.map((r, i) => (i < 30 ? !r : r)),
      ).significant,
    ).to.equal(true);
    const mixed = right.map((r, i) => (i < 14 ? !r : r));
    expect(
      mcNemar(
        mixed,
        right.map((r, i) => (i >= 14 && i < 30 ? !r : r)),
      ).significant,
    ).to.equal(false);
  });

  it("one-shot pruning (prune's model before fine-tuning) zeroes each layer's smallest weights to the final per-layer sparsity", () => {
    const rand = rng(21);
    for (let n = 0; n < 6; n++) {
      const graph = buildFloatMlp([8 + Math.floor(rand() * 40), 4 + Math.floor(rand() * 30)], n);
      const sparsity = 0.3 + rand() * 0.6;
      const pruned = pruneOneShot(graph, sparsity, 1);
      for (const layer of weightedLayers(graph)) {
        const before = fromBytes('float32', graph.tensors[layer.weights]!.data!) as Float32Array;
        const after = fromBytes('float32', pruned.tensors[layer.weights]!.data!) as Float32Array;
        const zeros = after.filter((v) => v === 0).length;
        expect(zeros).to.be.at.least(Math.ceil(sparsity * before.length - 1e-9));
        // every kept weight is unchanged and at least as large as every zeroed one
        const kept = Array.from(after).filter((v) => v !== 0);
        kept.forEach((v) => expect(Array.from(before)).to.include(v));
        const smallestKept = Math.min(...kept.map(Math.abs));
        before.forEach((v, i) => {
          if (after[i] === 0) expect(Math.abs(v)).to.be.at.most(smallestKept);
        });
      }
    }
  });
});
