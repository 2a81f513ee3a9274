// SPDX-License-Identifier: Apache-2.0
/**
 * Mixed precision by sensitivity (docs/mixed-precision.md): reduceWeightBits on generated int8 models
 * (random conv / depthwise / dense stacks, quantized by our PTQ), checked for the levels each channel
 * uses, the bias scales TFLite requires, and the outputs TensorFlow Lite Micro computes for the result;
 * the sensitivity table and the search on the MNIST example's int8 CNN and real digits.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../src/core/ir/graph.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { f32 } from '../../src/core/ops/common/numerics/fixedpoint.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { calibrateRanges } from '../../src/compress/calibrate.ts';
import { quantizeGraph } from '../../src/compress/ptq.ts';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { bestClipScale, channelLevels, compressLayers, int8WeightedLayers, reduceWeightBits, weightMax } from '../../src/compress/weight_bits.ts';
import {
  Int8Evaluator,
  type SensitivityReport,
  analyzeSensitivity,
  greedyChoice,
  layerWeightBytes,
  searchMixedPrecision,
} from '../../src/compress/sensitivity.ts';
import { formatSearch, formatSensitivity } from '../../src/face/report/compress.ts';
import type { Dataset } from '../../src/lab/data/dataset.ts';
import { seededRandom } from '../../examples/mnist/dataset.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { tinyforge } from '../helpers/cli.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { npyBytes } from '../../src/lab/data/npy.ts';
import { writeZip } from '../../src/lab/data/zip.ts';
import { TrainableGraph } from '../../src/compress/trainable.ts';
import { pruneUnstructured } from '../../src/compress/prune.ts';
import { taskFor } from '../../src/compress/task.ts';
import { subset } from '../../src/lab/data/dataset.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnistData } from './mnist_fixture.ts';

/** A random conv -> depthwise -> conv -> dense float model and its int8 PTQ, on random inputs. */
function generatedModel(seed: number): { float: Graph; int8: Graph; inputs: Uint8Array[] } {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const size = int(5, 10);
  const channels = int(1, 3);
  const init = (k: number) => tf.initializers.randomUniform({ minval: -0.5 - rand(), maxval: 0.5 + rand(), seed: seed * 10 + k });
  const model = tf.sequential({ name: `gen${seed}` });
  model.add(
    tf.layers.conv2d({
      inputShape: [size, size, channels],
      filters: int(2, 8),
      kernelSize: int(1, 3),
      strides: int(1, 2),
      padding: rand() < 0.5 ? 'same' : 'valid',
      activation: 'relu',
      kernelInitializer: init(1),
      biasInitializer: init(2),
    }),
  );
  model.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: int(1, 2), depthwiseInitializer: init(3), biasInitializer: init(4) }));
  model.add(tf.layers.conv2d({ filters: int(2, 6), kernelSize: 1, activation: 'relu', kernelInitializer: init(5), biasInitializer: init(6) }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: int(2, 12), kernelInitializer: init(7), biasInitializer: init(8) }));
  const float = layersModelToFloatGraph(model, `gen${seed}`);
  model.dispose();
  const samples = 24;
  const x = tf.randomUniform([samples, size, size, channels], -1, 1, 'float32', seed);
  const values = x.dataSync() as Float32Array;
  const int8 = quantizeGraph(float, calibrateRanges(float, [x]));
  x.dispose();
  const input = int8.tensors[int8.inputs[0]!]!;
  const n = size * size * channels;
  const inputs = Array.from({ length: 4 }, (_, k) =>
    Uint8Array.from(values.subarray(k * n, (k + 1) * n), (v) =>
      Math.max(-128, Math.min(127, Math.round(v / input.quant!.scale[0]!) + input.quant!.zeroPoint[0]!)),
    ),
  );
  return { float, int8, inputs };
}

function referenceOutputs(graph: Graph, inputs: Uint8Array[]): Uint8Array[] {
  const prepared = prepareGraph(graph);
  return inputs.map((x) => interpret(prepared, [x]).outputs[0]!);
}

/** |Δ| of the real weights of layer `opIndex` between two graphs, over each channel's new step. */
function worstStepError(before: Graph, after: Graph, opIndex: number): number {
  const layer = int8WeightedLayers(before).find((l) => l.op.index === opIndex)!;
  const a = before.tensors[layer.weights]!;
  const b = after.tensors[layer.weights]!;
  const qa = fromBytes('int8', a.data!) as Int8Array;
  const qb = fromBytes('int8', b.data!) as Int8Array;
  const channels = a.shape[layer.outputAxis]!;
  const inner = a.shape.slice(layer.outputAxis + 1).reduce((n, d) => n * d, 1);
  let worst = 0;
  qa.forEach((v, i) => {
    const c = Math.floor(i / inner) % channels;
    const sa = a.quant!.scale[a.quant!.scale.length === 1 ? 0 : c]!;
    const sb = b.quant!.scale[b.quant!.scale.length === 1 ? 0 : c]!;
    worst = Math.max(worst, Math.abs(v * sa - qb[i]! * sb) / sb);
  });
  return worst;
}

describe('mixed precision by sensitivity', function () {
  before(async () => {
    await useTrainingBackend();
  });

  describe('reduceWeightBits on generated models', () => {
    const seeds = [1, 2, 3, 4];
    let models: ReturnType<typeof generatedModel>[];
    before(() => {
      models = seeds.map(generatedModel);
    });

    it('keeps each channel within 2^b - 1 symmetric levels, bias at s_in * s_w, and the model running', () => {
      for (const { int8, float, inputs } of models) {
        for (const layer of int8WeightedLayers(int8)) {
          for (const bits of [2, 3, 4, 8]) {
            for (const source of [undefined, float]) {
              const reduced = reduceWeightBits(int8, layer.op.index, bits, { float: source });
              const w = reduced.tensors[layer.weights]!;
              const q = fromBytes('int8', w.data!) as Int8Array;
              const where = `${int8.name} op ${layer.op.index} ${layer.op.kind} ${bits} bits${source ? ' from float' : ''}`;
              expect(Math.max(...Array.from(q, Math.abs)), where).to.be.at.most(weightMax(bits));
              expect(Math.max(...channelLevels(reduced, layer.op.index)), where).to.be.at.most(2 ** bits - 1);
              const channels = w.shape[layer.outputAxis]!;
              if (bits < 8) expect(w.quant!.scale.length, where).to.equal(channels);
              if (layer.bias !== undefined) {
                const b = reduced.tensors[layer.bias]!;
                const sIn = int8.tensors[layer.op.inputs[0]!]!.quant!.scale[0]!;
                b.quant!.scale.forEach((s, c) => expect(s, where).to.equal(f32(f32(sIn) * w.quant!.scale[w.quant!.scale.length === 1 ? 0 : c]!)));
              }
              // from the int8 values: each real weight moves by at most half a new step
              if (!source) expect(worstStepError(int8, reduced, layer.op.index), where).to.be.at.most(0.5 + 1e-6);
              expect(referenceOutputs(reduced, inputs), where).to.have.length(inputs.length);
            }
          }
        }
      }
    });

    it("clip 'mse': a scale at most the max-abs one, with no more squared error on the nonzero weights, zeros kept", () => {
      const squaredError = (real: Float64Array, s: number, qmax: number) =>
        real.reduce((e, v) => e + (v === 0 ? 0 : (v - s * Math.max(-qmax, Math.min(qmax, Math.round(v / s)))) ** 2), 0);
      for (const { int8, float } of models) {
        for (const layer of int8WeightedLayers(int8)) {
          for (const bits of [3, 4]) {
            const configs = (clip: 'max' | 'mse') => new Map([[layer.op.index, { bits, sparsity: 0.5, perTensor: true, clip }]]);
            const reduce = (clip: 'max' | 'mse') => compressLayers(int8, configs(clip), { float }).tensors[layer.weights]!;
            const byMax = reduce('max');
            const byMse = reduce('mse');
            const where = `${int8.name} op ${layer.op.index} ${bits} bits`;
            expect(byMse.quant!.scale[0]!, where).to.be.at.most(byMax.quant!.scale[0]!);
            // a smaller scale rounds no kept weight to zero that the max-abs scale keeps
            const qMse = fromBytes('int8', byMse.data!) as Int8Array;
            (fromBytes('int8', byMax.data!) as Int8Array).forEach((v, i) => {
              if (v !== 0) expect(qMse[i], where).to.not.equal(0);
            });
          }
        }
      }
      // on a long-tailed layer the clipped scale beats max-abs by the measure it optimises
      const rand = seededRandom(5);
      const real = Float64Array.from({ length: 2000 }, () => (rand() < 0.5 ? 0 : Math.log(rand() + 1e-9) * (rand() < 0.5 ? -1 : 1)));
      const maxAbs = Math.max(...Array.from(real, Math.abs));
      const s = bestClipScale(
        Array.from(real).filter((v) => v !== 0),
        maxAbs,
        7,
      );
      expect(s).to.be.below(maxAbs / 7);
      expect(squaredError(real, s, 7)).to.be.below(squaredError(real, maxAbs / 7, 7));
    });

    it('writes models TensorFlow Lite Micro runs to the same bytes as the TS reference', function () {
      if (!tflmRefAvailable(this)) return;
      for (const { int8, float, inputs } of models) {
        const configs = new Map(int8WeightedLayers(int8).map((l, i) => [l.op.index, { bits: [4, 2, 3, 5][i % 4]!, sparsity: [0, 0.5, 0, 0.75][i % 4]! }]));
        for (const source of [undefined, float]) {
          const reduced = compressLayers(int8, configs, { float: source });
          for (const x of inputs.slice(0, 2)) {
            expect(Array.from(tflmOutputs(reduced, [x])[0]!), int8.name).to.deep.equal(Array.from(referenceOutputs(reduced, [x])[0]!));
          }
        }
      }
    });

    it('per tensor: one scale for the layer, TensorFlow Lite Micro runs it to the reference bytes, and FC compiles without requantization tables', function () {
      for (const { int8, float, inputs } of models) {
        for (const source of [undefined, float]) {
          const configs = new Map(int8WeightedLayers(int8).map((l) => [l.op.index, { bits: 4, sparsity: 0.5, perTensor: true }]));
          const reduced = compressLayers(int8, configs, { float: source });
          for (const layer of int8WeightedLayers(reduced)) {
            const w = reduced.tensors[layer.weights]!;
            const where = `${int8.name} op ${layer.op.index} ${layer.op.kind}${source ? ' from float' : ''}`;
            expect(w.quant!.scale, where).to.have.length(1);
            expect(Math.max(...Array.from(fromBytes('int8', w.data!) as Int8Array, Math.abs)), where).to.be.at.most(weightMax(4));
            if (layer.bias !== undefined) {
              const sIn = reduced.tensors[layer.op.inputs[0]!]!.quant!.scale[0]!;
              expect(reduced.tensors[layer.bias]!.quant!.scale, where).to.deep.equal([f32(f32(sIn) * w.quant!.scale[0]!)]);
            }
          }
          if (tflmRefAvailable(this)) {
            expect(Array.from(tflmOutputs(reduced, [inputs[0]!])[0]!), int8.name).to.deep.equal(Array.from(referenceOutputs(reduced, [inputs[0]!])[0]!));
          }
          // the dense layer's one multiplier and shift are literals in its kernel: no table of them in flash
          const compiled = compileGraph(reduced);
          const code = compiled.generated.files.map((f) => f.text).join('\n');
          const dense = compiled.prepared.layers.filter((l) => l.op.kind === 'FULLY_CONNECTED');
          expect(dense, int8.name).to.have.length(1);
          for (const table of ['mult', 'shift']) expect(code, int8.name).not.to.include(`_l${dense[0]!.position}_${table}`);
        }
      }
    });

    it('prunes one layer to the asked share of zeros and leaves the others as they were', () => {
      const { int8 } = models[0]!;
      const [first, second] = int8WeightedLayers(int8);
      const pruned = compressLayers(int8, new Map([[first!.op.index, { bits: 8, sparsity: 0.75 }]]));
      const q = fromBytes('int8', pruned.tensors[first!.weights]!.data!) as Int8Array;
      expect(q.filter((v) => v === 0).length).to.be.at.least(Math.ceil(q.length * 0.75));
      expect(pruned.tensors[second!.weights]).to.equal(int8.tensors[second!.weights]);
    });
  });

  it('the pruner takes per-layer rates (as the search picks them) in place of one rate for all layers', async () => {
    const { train } = mnistData();
    const few = subset(
      train,
      Array.from({ length: 128 }, (_, i) => i),
    );
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const float = layersModelToFloatGraph(model, 'mlp');
    model.dispose();
    const trainable = new TrainableGraph(float);
    const [first, second] = trainable.layers;
    const pruned = await pruneUnstructured(trainable, few, taskFor(float, few), {
      sparsity: 0,
      layerSparsity: new Map([
        [first!.op.index, 0.85],
        [second!.op.index, 0.3],
      ]),
      epochs: 1,
      learningRate: 0.002,
    });
    trainable.dispose();
    const zeros = (index: number) => {
      const v = fromBytes('float32', pruned.tensors[index]!.data!) as Float32Array;
      return v.filter((x) => x === 0).length / v.length;
    };
    expect(zeros(first!.weights)).to.be.within(0.85, 0.86);
    expect(zeros(second!.weights)).to.be.within(0.3, 0.31);
  });

  describe('sensitivity and search on the MNIST example CNN', () => {
    let graph: Graph;
    let evaluator: Int8Evaluator;
    let report: SensitivityReport;
    let digits: Dataset;

    before(async () => {
      graph = readTflite('examples/mnist/mnist_cnn_int8.tflite');
      digits = mnistData().test;
      evaluator = new Int8Evaluator(graph, digits, 40);
      report = await analyzeSensitivity(graph, evaluator, { bits: [4, 3, 2], sparsities: [0.5, 0.9] });
    });

    it('measures each layer alone: 2 bits worse than 4, 90% zeros worse than 50%', () => {
      expect(report.layers.map((l) => l.kind)).to.deep.equal(['CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'FULLY_CONNECTED']);
      const col = (bits: number, sparsity: number) => report.configs.findIndex((c) => c.bits === bits && c.sparsity === sparsity);
      for (const l of report.layers) {
        expect(l.results[col(2, 0)]!.outputError, l.name).to.be.greaterThan(l.results[col(4, 0)]!.outputError);
        expect(l.results[col(8, 0.9)]!.outputError, l.name).to.be.greaterThan(l.results[col(8, 0.5)]!.outputError);
        expect(l.results[col(2, 0)]!.loss, l.name).to.be.at.least(l.results[col(4, 0)]!.loss);
      }
      // the cached partial reruns give what a full run gives
      const changed = reduceWeightBits(graph, 2, 3);
      const full = referenceOutputs(changed, [(evaluator as unknown as { inputs: Uint8Array[] }).inputs[0]!])[0]!;
      expect(Array.from(evaluator.outputs(changed)[0]!)).to.deep.equal(Array.from(new Int8Array(full.buffer), (v) => (v + 128) / 256));
      const table = formatSensitivity(report);
      expect(table)
        .to.match(/logits\/kernel/)
        .and.match(/4b/)
        .and.match(/sp90/);
    });

    it('the search meets --max-loss (measured) and --max-flash (estimated bytes), with fewer bytes for a looser loss', () => {
      let previous = Infinity;
      for (const maxLoss of [0, 6]) {
        const { result, graph: chosen } = searchMixedPrecision(graph, report, evaluator, { maxLoss });
        expect(result.met, formatSearch(result)).to.equal(true);
        expect(result.measured.loss).to.be.at.most(maxLoss);
        expect(evaluator.measure(chosen).loss).to.equal(result.measured.loss);
        expect(result.bytes).to.be.at.most(previous);
        previous = result.bytes;
      }
      expect(previous).to.be.lessThan(report.layers.reduce((s, l) => s + l.weights, 0));
      for (const maxFlash of [6000, 3000]) {
        const { result } = searchMixedPrecision(graph, report, evaluator, { maxFlash });
        expect(result.met, formatSearch(result)).to.equal(true);
        expect(result.bytes).to.be.at.most(maxFlash);
      }
    });

    it('verification sends the search back with a tighter budget when the table under-estimates', () => {
      // a table that claims every change is free: the first choice must fail the measured check
      const blind: SensitivityReport = {
        ...report,
        layers: report.layers.map((l) => ({ ...l, results: l.results.map(() => ({ accuracy: report.baseline.accuracy, outputError: 0, loss: 0 })) })),
      };
      const all = greedyChoice(blind, { maxLoss: 1 });
      expect(all.every((c) => c.bits === 2)).to.equal(true);
      const { result } = searchMixedPrecision(graph, blind, evaluator, { maxLoss: 1 });
      expect(result.met).to.equal(true);
      expect(result.measured.loss).to.be.at.most(1);
      expect(result.rounds).to.be.greaterThan(1);
    });

    it('`tinyforge sensitivity` prints the table and the search as JSON, and writes the chosen model', function () {
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-mixed-'));
      try {
        const few = subset(
          digits,
          Array.from({ length: 30 }, (_, i) => i),
        );
        const data = join(dir, 'digits.npz');
        const labels = few.labels!.kind === 'classes' ? few.labels!.values : new Int32Array();
        writeFileSync(
          data,
          writeZip(
            new Map([
              ['x.npy', npyBytes(few.x, [few.count, 28, 28, 1])],
              ['y.npy', npyBytes(labels, [few.count])],
            ]),
          ),
        );
        const out = join(dir, 'mixed.tflite');
        const r = tinyforge([
          'sensitivity',
          'examples/mnist/mnist_cnn_int8.tflite',
          '--eval',
          data,
          '--bits',
          '4,2',
          '--sparsities',
          '0.5',
          '--sensitivity-samples',
          '30',
          '--max-loss',
          '0',
          '-o',
          out,
          '--json',
        ]);
        expect(r.status, r.stderr).to.equal(0);
        const json = JSON.parse(r.stdout) as { sensitivity: SensitivityReport; search: { met: boolean; measured: { loss: number } } };
        expect(json.sensitivity.layers).to.have.length(4);
        expect(json.sensitivity.configs.map((c) => [c.bits, c.sparsity])).to.deep.equal([
          [4, 0],
          [2, 0],
          [8, 0.5],
        ]);
        expect(json.search.met).to.equal(true);
        expect(json.search.measured.loss).to.be.at.most(0);
        expect(readTflite(out).ops.length).to.equal(graph.ops.length);
        expect(readFileSync(out).length).to.be.greaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('estimates sparse storage only where it is smaller than dense', () => {
      expect(layerWeightBytes(1000, 10, { bits: 8, sparsity: 0 })).to.equal(1000);
      expect(layerWeightBytes(1000, 10, { bits: 4, sparsity: 0 })).to.equal(500);
      expect(layerWeightBytes(1000, 10, { bits: 8, sparsity: 0.9 })).to.equal(100 * 2 + 20);
      expect(layerWeightBytes(1000, 10, { bits: 4, sparsity: 0.5 })).to.equal(500);
    });
  });
});
