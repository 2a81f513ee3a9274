// SPDX-License-Identifier: Apache-2.0
/**
 * The compression commands as a user runs them (the real `tinyforge` executable), on float models
 * in both input formats (a float .tflite and a TensorFlow.js model.json) and real MNIST digits in
 * .npz files; and the model formats underneath: tfjs models through our filesystem IO handler, float
 * .tflite evaluated by our float kernels against an independent TFLite interpreter.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { runFloatGraph } from '../../src/compress/float_executor.ts';
import { loadFloatModel } from '../../src/compress/model_io.ts';
import { TrainableGraph } from '../../src/compress/trainable.ts';
import { fineTune } from '../../src/compress/train.ts';
import { taskFor } from '../../src/compress/task.ts';
import { quantizeInput } from '../../src/compress/ptq.ts';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { loadLayersModelFile } from '../../src/core/model/tfjs/io.ts';
import { saveLayersModelFile } from '../../src/lab/model_files.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { int8WeightedLayers } from '../../src/compress/weight_bits.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { Dataset } from '../../src/lab/data/dataset.ts';
import { npyBytes } from '../../src/lab/data/npy.ts';
import { tinyforge } from '../helpers/cli.ts';
import { runTfliteInterpreter } from '../helpers/tfjs_tflite.ts';
import { buildModel } from '../../examples/mnist/model.ts';
import { mnistData, writeMnistSplits } from './mnist_fixture.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

function mlp(): tf.Sequential {
  return tf.sequential({
    name: 'mlp',
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 48, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

/** The figures a command prints on stderr: `<label> NN.NN% on N held-out samples`. */
/** The --json object a command prints as its last stdout line. */
function lastJson(stdout: string): any {
  return expectSchemaValid(stdout.trim().split('\n').at(-1)!);
}

function accuracies(stderr: string): Map<string, number> {
  return new Map([...stderr.matchAll(/^(\S[^:\n]*):\s+(\d+\.\d\d)% on \d+ held-out samples/gm)].map((m) => [m[1]!.trim(), Number(m[2]) / 100]));
}

describe('compress commands and model formats', function () {
  let dir: string;
  let floatTflite: string;
  let tfjsModel: string;
  let trainNpz: string;
  let testNpz: string;
  let trained: Graph;
  let test: Dataset;

  before(async () => {
    await useTrainingBackend();
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-compress-cli-'));
    const data = mnistData();
    test = data.test;
    ({ train: trainNpz, test: testNpz } = writeMnistSplits(dir, 1000, 200));
    // a trained MLP, saved in both formats
    const model = new TrainableGraph(layersModelToFloatGraph(mlp(), 'mlp'));
    await fineTune(model, data.train, taskFor(model.graph, data.train), { epochs: 3, learningRate: 0.003 });
    trained = model.toGraph();
    model.dispose();
    floatTflite = join(dir, 'mlp_float.tflite');
    writeFileSync(floatTflite, writeTflite(trained));
    const layers = mlp();
    await saveLayersModelFile(layers, join(dir, 'tfjs', 'model.json'));
    tfjsModel = join(dir, 'tfjs', 'model.json');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('TensorFlow.js layers models through our filesystem IO handler', () => {
    it('saves model.json + weights.bin and loads them back with the same weights', async () => {
      const json = JSON.parse(readFileSync(tfjsModel, 'utf8'));
      expect(json.format).to.equal('layers-model');
      expect(json.weightsManifest[0].paths).to.deep.equal(['weights.bin']);
      const back = await loadLayersModelFile(join(dir, 'tfjs'));
      const original = mlp();
      back.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).to.deep.equal(Array.from(original.getWeights()[i]!.dataSync())));
    });

    it('loads a converted model whose weights are split into several shard files', async () => {
      const json = JSON.parse(readFileSync(tfjsModel, 'utf8'));
      const weights = readFileSync(join(dir, 'tfjs', 'weights.bin'));
      const shardDir = join(dir, 'sharded');
      mkdirSync(shardDir, { recursive: true });
      const cut = 4096;
      writeFileSync(join(shardDir, 'group1-shard1of2.bin'), weights.subarray(0, cut));
      writeFileSync(join(shardDir, 'group1-shard2of2.bin'), weights.subarray(cut));
      json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
      writeFileSync(join(shardDir, 'model.json'), JSON.stringify(json));
      const back = await loadLayersModelFile(join(shardDir, 'model.json'));
      expect(Array.from(back.getWeights()[2]!.dataSync())).to.deep.equal(Array.from(mlp().getWeights()[2]!.dataSync()));
      rmSync(join(shardDir, 'group1-shard2of2.bin'));
      await loadLayersModelFile(join(shardDir, 'model.json')).then(
        () => expect.fail('loaded'),
        (e: Error) => {
          expect(e).to.be.instanceOf(TinyforgeError);
          expect(e.message).to.match(/weight file group1-shard2of2.bin is missing/);
        },
      );
    });

    it('refuses files that are not tfjs models, in one line', async () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"hello": 1}');
      await loadLayersModelFile(bad).then(
        () => expect.fail('loaded'),
        (e: Error) => expect(e.message).to.match(/bad.json: not a TensorFlow.js model/),
      );
    });
  });

  describe('float .tflite models', () => {
    it('evaluate in our float kernels as the independent TFLite interpreter does', async () => {
      const graph = await loadFloatModel(floatTflite);
      expect(graph.tensors[graph.inputs[0]!]!.dtype).to.equal('float32');
      for (let n = 0; n < 5; n++) {
        const pixels = test.x.subarray(n * 784, (n + 1) * 784);
        const ours = tf.tidy(() => runFloatGraph(graph, [tf.tensor(pixels, [1, 28, 28, 1])])[0]!.dataSync());
        const [theirs] = await runTfliteInterpreter(readFileSync(floatTflite), [new Uint8Array(Float32Array.from(pixels).buffer)]);
        const probs = new Float32Array(theirs!.slice().buffer);
        probs.forEach((p, k) => expect(p).to.be.closeTo(ours[k]!, 1e-5));
      }
    });

    it('`quantize` turns it into an int8 .tflite that TFLite interpreters load, close to the float model', async function () {
      const out = join(dir, 'mlp_int8.tflite');
      const r = tinyforge(['quantize', floatTflite, '--data', trainNpz, '--eval', testNpz, '-o', out]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`wrote ${out}\n`);
      const figures = accuracies(r.stderr);
      expect(figures.get('float')!).to.be.at.least(0.85);
      expect(figures.get('int8')!).to.be.at.least(figures.get('float')! - 0.02);
      const int8 = readTflite(out);
      expect(int8.tensors[int8.inputs[0]!]!.dtype).to.equal('int8');
      const prepared = prepareGraph(int8);
      const bytes = readFileSync(out);
      for (let n = 0; n < 5; n++) {
        const input = quantizeInput(int8, test.x.subarray(n * 784, (n + 1) * 784));
        const [theirs] = await runTfliteInterpreter(bytes, [input]);
        const ours = interpret(prepared, [input]).outputs[0]!;
        const a = new Int8Array(theirs!.buffer, theirs!.byteOffset, 10);
        const b = new Int8Array(ours.buffer, ours.byteOffset, 10);
        a.forEach((v, k) => expect(Math.abs(v - b[k]!)).to.be.at.most(1));
      }
    });
  });

  describe('commands', () => {
    it('`quantize` takes a tfjs model.json and any range method', () => {
      const out = join(dir, 'tfjs_int8.tflite');
      const r = tinyforge(['quantize', tfjsModel, '--data', testNpz, '--ranges', 'mse', '-o', out]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include('(ranges: mse)');
      expect(() => prepareGraph(readTflite(out))).to.not.throw();
    });

    it('`quantize --weight-bits 4 --weight-clip mse`: scales clipped below max-abs, 4-bit values, the model runs', () => {
      const scales = (clip: string) => {
        const out = join(dir, `clip_${clip}_int8.tflite`);
        const r = tinyforge(['quantize', floatTflite, '--data', testNpz, '--weight-bits', '4', '--weight-clip', clip, '-o', out]);
        expect(r.status, r.stderr).to.equal(0);
        const graph = readTflite(out);
        expect(() => prepareGraph(graph)).to.not.throw();
        return int8WeightedLayers(graph).map((l) => {
          const w = graph.tensors[l.weights]!;
          expect(Math.max(...Array.from(fromBytes('int8', w.data!) as Int8Array, Math.abs))).to.be.at.most(7);
          return w.quant!.scale;
        });
      };
      const byMax = scales('max');
      const byMse = scales('mse');
      byMse.forEach((layer, i) => layer.forEach((s, c) => expect(s).to.be.at.most(byMax[i]![c]!)));
      expect(byMse.flat().some((s, k) => s < byMax.flat()[k]!)).to.equal(true);
    });

    it('`prune --structured --int8` shrinks the model and reports before and after', () => {
      const out = join(dir, 'pruned_int8.tflite');
      const r = tinyforge([
        'prune',
        floatTflite,
        '--data',
        trainNpz,
        '--eval',
        testNpz,
        '--structured',
        '--sparsity',
        '0.5',
        '--epochs',
        '1',
        '--int8',
        '-o',
        out,
      ]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/: 48 -> 24 channels/);
      expect(r.stderr).to.match(/before: .* 38,?1\d\d weights/);
      const int8 = readTflite(out);
      expect(int8.tensors.find((t) => t.shape.join() === '24,784')).to.not.equal(undefined);
      expect(accuracies(r.stderr).get('int8')!).to.be.at.least(0.8);
    });

    it('`qat`, `distill` and `lowrank` write int8 models and print their figures', () => {
      const qat = tinyforge(['qat', floatTflite, '--data', trainNpz, '--eval', testNpz, '--epochs', '1', '--json', '-o', join(dir, 'qat.tflite')]);
      expect(qat.status, qat.stderr).to.equal(0);
      const qatFigures = accuracies(qat.stderr);
      expect([...qatFigures.keys()]).to.deep.equal(['float', 'int8, PTQ', 'int8, QAT']);
      // QAT is kept only if it beats PTQ on the held-out data, and says so
      const qatJson = lastJson(qat.stdout);
      expect(qatJson.fineTuning.kept).to.equal(qatFigures.get('int8, QAT')! >= qatFigures.get('int8, PTQ')! ? 'after' : 'before');
      expect(qat.stderr).to.match(/kept the (QAT model|model from before fine-tuning)/);
      const distill = tinyforge([
        'distill',
        '--teacher',
        floatTflite,
        '--student',
        tfjsModel,
        '--data',
        trainNpz,
        '--eval',
        testNpz,
        '--epochs',
        '2',
        '--json',
        '-o',
        join(dir, 'student.tflite'),
      ]);
      expect(distill.status, distill.stderr).to.equal(0);
      const d = accuracies(distill.stderr);
      expect(d.get('student after')!).to.be.above(d.get('student before')! + 0.3);
      // beside it, the same student trained without the teacher, and whether the gain is beyond noise
      const distillJson = lastJson(distill.stdout);
      expect(distillJson.withoutTeacher.value).to.be.closeTo(d.get('without the teacher (same student, seed and epochs)')!, 1e-4);
      expect(distillJson.teacherGain.significant).to.be.a('boolean');
      expect(distill.stderr).to.match(/the teacher's gain: [+-]\d+\.\d\d points, (beyond|within) noise \(McNemar/);
      const lowrank = tinyforge([
        'lowrank',
        floatTflite,
        '--data',
        trainNpz,
        '--eval',
        testNpz,
        '--rank',
        '12',
        '--epochs',
        '1',
        '--int8',
        '--json',
        '-o',
        join(dir, 'lowrank.tflite'),
      ]);
      expect(lowrank.status, lowrank.stderr).to.equal(0);
      const lowrankJson = lastJson(lowrank.stdout);
      const { kept, before, after } = lowrankJson.fineTuning;
      expect(kept).to.equal(after.value >= before.value ? 'after' : 'before');
      expect(lowrank.stderr).to.match(/kept the (fine-tuned model|model from before fine-tuning)/);
      expect(lowrank.stderr).to.match(/\[48,784\] -> rank 12/);
      for (const f of ['qat.tflite', 'student.tflite', 'lowrank.tflite']) expect(() => prepareGraph(readTflite(join(dir, f))), f).to.not.throw();
    });

    it('refuses broken input with one line and a non-zero exit: an int8 model, NaN weights, empty or mismatched data', () => {
      const nanGraph: Graph = {
        ...trained,
        tensors: trained.tensors.map((t) => {
          if (!t.data || t.dtype !== 'float32' || t.shape.length !== 2) return t;
          const v = new Float32Array(t.data.slice().buffer);
          v[3] = NaN;
          return { ...t, data: new Uint8Array(v.buffer) };
        }),
      };
      const nan = join(dir, 'nan.tflite');
      writeFileSync(nan, writeTflite(nanGraph));
      const empty = join(dir, 'empty.npy');
      writeFileSync(empty, npyBytes(new Float32Array(0), [0, 28, 28, 1]));
      const wrong = join(dir, 'wrong.npy');
      writeFileSync(wrong, npyBytes(new Float32Array(3 * 10), [3, 10]));
      const cases: [string[], RegExp][] = [
        [['quantize', join(dir, 'mlp_int8.tflite'), '--data', trainNpz], /already an int8 model/],
        [['quantize', nan, '--data', trainNpz], /nan.tflite: tensor \d+ ".*" has a non-finite value \(NaN\)/],
        [['quantize', floatTflite, '--data', empty], /empty.npy: the data set is empty/],
        [
          ['quantize', floatTflite, '--data', wrong],
          /wrong.npy: samples have shape \[10\] \(10 values\) but model input ".*" takes \[28,28,1\] \(784 values\)/,
        ],
        [['prune', floatTflite], /no data given \(--data PATH\)/],
        [['quantize', floatTflite], /no calibration data given \(--data PATH\)/],
        [['quantize', floatTflite, '--data', trainNpz, '--weight-bits', '4', '--weight-clip', 'best'], /--weight-clip best: expected max or mse/],
      ];
      for (const [args, pattern] of cases) {
        const r = tinyforge(args);
        expect(r.status, args.join(' ')).to.equal(1);
        expect(r.stderr.trim().split('\n').at(-1))
          .to.match(pattern)
          .and.match(/^error: /);
        expect(r.stderr).to.not.match(/\n\s+at /);
      }
    });
  });
});

// the example's own model goes through the tfjs path too
describe('compress: the example architecture from model.json', () => {
  it('lowers to the same float graph after a save and load', async () => {
    await useTrainingBackend();
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-tfjs-'));
    try {
      const model = buildModel(3);
      await saveLayersModelFile(model, join(dir, 'model.json'));
      const loaded = await loadFloatModel(join(dir, 'model.json'));
      const direct = layersModelToFloatGraph(model, loaded.name);
      expect(loaded.ops).to.deep.equal(direct.ops);
      expect(loaded.tensors.map((t) => t.data && Array.from(t.data))).to.deep.equal(direct.tensors.map((t) => t.data && Array.from(t.data)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
