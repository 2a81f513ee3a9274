// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { keepBetter, mcNemar } from '../../src/compress/keep_better.ts';
import { groupMagnitudeMask, magnitudeMask, pruneOneShot } from '../../src/compress/prune.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { weightedLayers } from '../../src/compress/trainable.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { rng } from '../helpers/op_harness.ts';
import { floatMlp } from '../helpers/float_mlp.ts';
import * as tf from '@tensorflow/tfjs';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';

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
      const graph = floatMlp([8 + Math.floor(rand() * 40), 4 + Math.floor(rand() * 30)], n);
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

  describe('row-group pruning (one set of input columns per group of output rows, stored once by the compiler)', () => {
    /** the kept columns of each row of a [rows, columns] mask */
    const support = (mask: Float32Array, rows: number, columns: number) =>
      Array.from({ length: rows }, (_, r) => Array.from(mask.subarray(r * columns, (r + 1) * columns)).join(''));

    it('keeps the same columns in every row of a group and reaches the sparsity, a partial last group counting its real rows', () => {
      const rand = rng(33);
      for (let n = 0; n < 40; n++) {
        const rows = 1 + Math.floor(rand() * 30);
        const columns = 1 + Math.floor(rand() * 40);
        const group = 1 + Math.floor(rand() * 5);
        const sparsity = rand() * 0.99;
        const values = Float32Array.from({ length: rows * columns }, () => rand() * 2 - 1);
        const mask = groupMagnitudeMask(values, rows, columns, group, sparsity);
        const rowsKept = support(mask, rows, columns);
        for (let r = 0; r < rows; r++) expect(rowsKept[r]).to.equal(rowsKept[r - (r % group)]);
        // whole (group, column) pairs go: at least the target, short of it before the last pair dropped
        const zeros = mask.filter((m) => m === 0).length;
        const target = Math.ceil(rows * columns * sparsity - 1e-9);
        expect(zeros).to.be.at.least(target);
        expect(zeros).to.be.below(target + group);
        // the dropped pairs scored no more than the kept ones
        const score = (g: number, c: number) => {
          let sum = 0;
          for (let r = g * group; r < Math.min(rows, (g + 1) * group); r++) sum += Math.abs(values[r * columns + c]!);
          return sum;
        };
        let highestDropped = -Infinity;
        let lowestKept = Infinity;
        for (let g = 0; g * group < rows; g++)
          for (let c = 0; c < columns; c++) {
            if (mask[g * group * columns + c] === 0) highestDropped = Math.max(highestDropped, score(g, c));
            else lowestKept = Math.min(lowestKept, score(g, c));
          }
        expect(highestDropped).to.be.at.most(lowestKept);
      }
    });

    it('counts a partial last group by its real rows: exact where the target falls on its pairs', () => {
      // 5 rows in groups of 4: group 1 is row 4 alone, its weights the smallest, so its 3 columns go first
      const values = Float32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 0.1, 0.2, 0.3]);
      const mask = groupMagnitudeMask(values, 5, 3, 4, 0.2);
      expect(Array.from(mask)).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
      // then the lowest full group's column (4 weights): 7 of 15 at 0.4 (6 needed)
      expect(Array.from(groupMagnitudeMask(values, 5, 3, 4, 0.4))).to.deep.equal([0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0]);
    });

    it('is magnitudeMask with one row per group', () => {
      const rand = rng(7);
      for (let n = 0; n < 20; n++) {
        const rows = 1 + Math.floor(rand() * 20);
        const columns = 1 + Math.floor(rand() * 20);
        // ties included: magnitudes from a few values
        const values = Float32Array.from({ length: rows * columns }, () => (Math.floor(rand() * 7) - 3) / 3);
        const sparsity = rand();
        expect(Array.from(groupMagnitudeMask(values, rows, columns, 1, sparsity))).to.deep.equal(Array.from(magnitudeMask(values, sparsity)));
      }
    });

    it('one-shot pruning masks the listed dense layers by row groups and the others as before', () => {
      const graph = floatMlp([24, 12], 3);
      const layers = weightedLayers(graph);
      const layerSparsity = new Map(layers.map((l) => [l.op.index, 0.7]));
      const groups = [3, 2, 1];
      const pruned = pruneOneShot(graph, 0, 1, layerSparsity, new Map(layers.map((l, i) => [l.op.index, groups[i]!])));
      const unstructured = pruneOneShot(graph, 0, 1, layerSparsity);
      layers.forEach((layer, i) => {
        const [rows, columns] = graph.tensors[layer.weights]!.shape as [number, number];
        const after = fromBytes('float32', pruned.tensors[layer.weights]!.data!) as Float32Array;
        const mask = Float32Array.from(after, (v) => (v === 0 ? 0 : 1));
        const before = fromBytes('float32', graph.tensors[layer.weights]!.data!) as Float32Array;
        expect(Array.from(mask)).to.deep.equal(Array.from(groupMagnitudeMask(before, rows, columns, groups[i]!, 0.7)));
        if (groups[i] === 1)
          expect(Array.from(after)).to.deep.equal(Array.from(fromBytes('float32', unstructured.tensors[layer.weights]!.data!) as Float32Array));
      });
    });

    it('refuses row groups on a layer that is not FULLY_CONNECTED, in one line naming the op', () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      const graph = layersModelToFloatGraph(model, 'cnn');
      model.dispose();
      const conv = weightedLayers(graph).find((l) => l.op.kind === 'CONV_2D')!;
      const layerSparsity = new Map([[conv.op.index, 0.5]]);
      let message = '';
      try {
        pruneOneShot(graph, 0, 1, layerSparsity, new Map([[conv.op.index, 2]]));
      } catch (e) {
        expect(e).to.be.instanceOf(TinyforgeError);
        message = (e as Error).message;
      }
      expect(message).to.match(new RegExp(`^op ${conv.op.index} \\(CONV_2D\\): .*FULLY_CONNECTED`));
      expect(message).to.not.include('\n');
      // one row per group is unstructured pruning, allowed on any layer
      expect(() => pruneOneShot(graph, 0, 1, layerSparsity, new Map([[conv.op.index, 1]]))).to.not.throw();
    });
  });
});
