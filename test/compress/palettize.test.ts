// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterHistogram, palettize } from '../../src/compress/palettize.ts';
import { palettizeAction, parseLayerBits } from '../../src/face/cli/palettize_action.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { Graph, Tensor } from '../../src/core/ir/graph.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';

function int8(t: Tensor): Int8Array {
  return new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.length);
}

/** Largest number of distinct values in one output channel (axis 0, or 3 for depthwise) or in the layer. */
function maxDistinct(t: Tensor, axis: number, perChannel: boolean): number {
  const data = int8(t);
  if (!perChannel) return new Set(data).size;
  const channels = t.shape[axis]!;
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const sets = Array.from({ length: channels }, () => new Set<number>());
  data.forEach((v, i) => sets[Math.floor(i / inner) % channels]!.add(v));
  return Math.max(...sets.map((s) => s.size));
}

function weightTensors(graph: Graph): { t: Tensor; axis: number }[] {
  return graph.ops
    .filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.kind))
    .map((op) => ({ t: graph.tensors[op.inputs[1]!]!, axis: op.kind === 'DEPTHWISE_CONV_2D' ? 3 : 0 }));
}

describe('palettize (k-means of int8 weights to 2^b values per channel or layer)', () => {
  it('clusters a histogram to at most k int8 values, keeps zero, and its error shrinks as k grows', () => {
    const rand = rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const counts = new Int32Array(256);
      // a bell of values around a random centre, sometimes with many zeros (pruned)
      const centre = Math.floor(rand() * 60) - 30;
      for (let i = 0; i < 2000; i++) counts[Math.max(0, Math.min(255, 128 + centre + Math.round((rand() + rand() + rand() - 1.5) * 80)))]!++;
      if (trial % 2) counts[128]! += 500;
      let previous = Infinity;
      for (let bits = 2; bits <= 6; bits++) {
        const map = clusterHistogram(counts, 1 << bits);
        const used = new Set<number>();
        let err = 0;
        for (let v = 0; v < 256; v++) {
          if (!counts[v]) continue;
          used.add(map[v]!);
          err += counts[v]! * (map[v]! - (v - 128)) ** 2;
        }
        expect(used.size, `trial ${trial} b=${bits}`).to.be.at.most(1 << bits);
        if (counts[128]) expect(map[128]).to.equal(0);
        expect(err, `trial ${trial} b=${bits}`).to.be.at.most(previous);
        previous = err;
      }
    }
  });

  it('leaves at most 2^b values per channel or per layer in every weight tensor, deterministically, and the model stays a valid int8 model TFLite Micro runs', function () {
    if (!sharedModelsAvailable(this)) return;
    const graph = readTflite(sharedModelPath('micro_speech'));
    for (const perChannel of [true, false]) {
      let previous = Infinity;
      for (const bits of [2, 3, 4, 6]) {
        const { graph: out, layers } = palettize(graph, { bits, perChannel });
        expect(layers.length).to.equal(weightTensors(graph).length);
        for (const { t, axis } of weightTensors(out)) expect(maxDistinct(t, axis, perChannel), `${t.name} b=${bits}`).to.be.at.most(1 << bits);
        const again = palettize(graph, { bits, perChannel }).graph;
        expect(Buffer.from(writeTflite(again)).equals(Buffer.from(writeTflite(out)))).to.equal(true);
        const rmse = layers.reduce((s, l) => s + l.rmse, 0);
        expect(rmse).to.be.at.most(previous);
        previous = rmse;
        // the original graph is untouched
        expect(weightTensors(graph).every(({ t }) => graph.tensors[t.index] === t)).to.equal(true);
      }
    }
    if (!tflmRefAvailable(this)) return;
    const { graph: out } = palettize(graph, { bits: 3, perChannel: true });
    const reread = parseTflite(writeTflite(out), 'palette.tflite');
    const rand = rng(9);
    const input = new Uint8Array(randomInt8(rand, 49 * 40).buffer);
    const ours = interpret(prepareGraph(reread), [input]).outputs;
    expect(Array.from(tflmOutputs(reread, [input])[0]!)).to.deep.equal(Array.from(ours[0]!));
  });

  it('takes per-layer bits and leaves small tensors alone', function () {
    if (!sharedModelsAvailable(this)) return;
    const graph = readTflite(sharedModelPath('micro_speech'));
    const [first, second] = weightTensors(graph);
    const { graph: out, layers } = palettize(graph, { bits: 5, layerBits: { [second!.t.name]: 2 }, minWeights: first!.t.data!.length + 1 });
    expect(layers.map((l) => l.tensor)).to.deep.equal([second!.t.name]);
    expect(layers[0]!.bits).to.equal(2);
    expect(out.tensors[first!.t.index]).to.equal(graph.tensors[first!.t.index]);
    expect(maxDistinct(out.tensors[second!.t.index]!, second!.axis, true)).to.be.at.most(4);
  });

  it('palettize command: writes the clustered .tflite, takes per-layer bits, refuses bad ones', async function () {
    if (!sharedModelsAvailable(this)) return;
    expect(parseLayerBits('a/b=3, c=2')).to.deep.equal({ 'a/b': 3, c: 2 });
    expect(() => parseLayerBits('a=7')).to.throw(/2 to 6/);
    expect(() => parseLayerBits('a')).to.throw(/name>=<bits>/);
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-palettize-'));
    const write = process.stdout.write;
    const err = process.stderr.write;
    try {
      const output = join(dir, 'hw.tflite');
      let printed = '';
      process.stderr.write = (() => true) as typeof process.stdout.write;
      process.stdout.write = ((text: string) => ((printed += text), true)) as typeof process.stdout.write;
      await palettizeAction(sharedModelPath('hello_world_int8'), { bits: '2', minWeights: '1', output });
      process.stdout.write = (() => true) as typeof process.stdout.write;
      // the storage is compile's choice: the output says how to get it
      expect(printed).to.equal(
        `wrote ${output}\nto store these weights as 2-bit palettes: tinyforge compile ${output} --prefer size\n` +
          '(the default, --prefer speed, keeps int8 storage where it runs faster)\n',
      );
      const graph = readTflite(output);
      for (const { t, axis } of weightTensors(graph)) expect(maxDistinct(t, axis, true)).to.be.at.most(4);
      let refusal: unknown;
      await palettizeAction(sharedModelPath('hello_world_int8'), { bits: '2', minWeights: '1', layerBits: 'nope=3', output }).catch((e) => (refusal = e));
      expect(String(refusal)).to.match(/no weight tensor named "nope"/);
    } finally {
      process.stdout.write = write;
      process.stderr.write = err;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
