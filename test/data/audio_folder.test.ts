// SPDX-License-Identifier: Apache-2.0
/**
 * Folders of WAV clips as data sets (src/lab/data/audio_folder.ts): the split by the folder's own
 * lists, the seeded speaker-disjoint split without them, one line naming the file for every bad
 * clip or list, the features byte for byte those the pipeline's reference computes for the same
 * clip (a stand-in front-end, and TFLite Micro's micro_speech front-end where ../shared is here),
 * and `quantize --data FOLDER --front-end FILE` end to end.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../src/core/errors.ts';
import { type Dataset, type DataOptions, loadDataset, selectPart, splitDataset } from '../../src/lab/data/dataset.ts';
import { type SamplePart, speakerOf } from '../../src/lab/data/audio_folder.ts';
import { heldOutSplit } from '../../src/face/cli/compress_session.ts';
import type { DataCliOptions } from '../../src/face/cli/compress_options.ts';
import { hostReference, loadPipeline } from '../../src/lab/run/pipeline.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { standInClassifier, standInFrontEnd, testClip, wavBytes, writeModelFile } from '../helpers/pipeline_models.ts';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { tinyforge } from '../helpers/cli.ts';

/** The stand-in front-end: 48-sample frames every 32 (its name says), 8 features; the model's window: 5 frames (176 samples). */
const W = 48;
const F = 8;
const K = 5;
const HOP = 32;
const CLIP = 200;

function writeClip(dir: string, file: string, samples: Int16Array, rate = 16000, channels = 1, bits = 16): string {
  const path = join(dir, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, wavBytes(samples, rate, channels, bits));
  return path;
}

/** Clips of `labels`, `speakers` each (two clips a speaker), `_silence_` without speakers. */
function writeFolder(dir: string, speakers: string[]): string[] {
  const files: string[] = [];
  let seed = 1;
  for (const label of ['yes', 'no']) {
    for (const s of speakers) for (const n of [0, 1]) files.push(`${label}/${s}_nohash_${n}.wav`);
  }
  files.push('_silence_/noise_a.wav', '_silence_/noise_b.wav', '_silence_/noise_c.wav');
  for (const f of files) writeClip(dir, f, testClip(CLIP, seed++));
  return files;
}

/** The int8 features a dequantized sample came from. */
function requantized(d: Dataset, n: number): Int8Array {
  const { scale, zeroPoint } = d.inputQuant!;
  const size = d.x.length / d.count;
  return Int8Array.from(d.x.subarray(n * size, (n + 1) * size), (v) => Math.round(v / scale) + zeroPoint);
}

function loadError(path: string, options: DataOptions): string {
  try {
    loadDataset(path, options);
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    const message = (e as Error).message;
    expect(message).to.not.include('\n');
    return message;
  }
  throw new Error(`${path}: loaded without an error`);
}

describe('data: a folder of WAV clips through a front-end', function () {
  let dir: string;
  let frontEnd: string;
  let options: DataOptions;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-audio-folder-'));
    frontEnd = writeModelFile(dir, 'fe', standInFrontEnd({ window: W, features: F, hopInName: HOP, seed: 4 }));
    options = { frontEnd, inputShape: [K, F] };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('splits by its own lists: training is every clip in neither list; classes in sorted folder order', () => {
    const root = join(dir, 'listed');
    const files = writeFolder(root, ['aa11', 'bb22', 'cc33']);
    writeFileSync(join(root, 'validation_list.txt'), 'yes/bb22_nohash_0.wav\nno/bb22_nohash_1.wav\n');
    writeFileSync(join(root, 'testing_list.txt'), 'yes/cc33_nohash_0.wav\n_silence_/noise_c.wav\n\n');
    const d = loadDataset(root, options);
    expect(d.count).to.equal(files.length);
    expect(d.classNames).to.deep.equal(['_silence_', 'no', 'yes']);
    expect(d.sampleShape).to.deep.equal([K, F]);
    const names = (part: Dataset) => Array.from(part.labels!.values as Int32Array, (c) => d.classNames![c]);
    const validation = selectPart(d, 'validation');
    const test = selectPart(d, 'test');
    const train = selectPart(d, 'train');
    expect(names(validation)).to.deep.equal(['no', 'yes']);
    expect(names(test)).to.deep.equal(['_silence_', 'yes']);
    expect(train.count).to.equal(files.length - 4);
    // only the parts asked for are read
    const onlyTest = loadDataset(root, { ...options, parts: ['test'] });
    expect(Array.from(onlyTest.x)).to.deep.equal(Array.from(test.x));
    expect(d.notes!.join('\n')).to.include('0 _silence_, 1 no, 2 yes (label folders in sorted order)');
  });

  it('without lists, splits by speaker: seeded, stable, no speaker on both sides; silence by file', () => {
    const root = join(dir, 'speakers');
    writeFolder(root, ['aa11', 'bb22', 'cc33', 'dd44', 'ee55', 'ff66']);
    writeClip(root, '_unknown_/backward_ab12_nohash_0.wav', testClip(CLIP, 77));
    const d = loadDataset(root, options);
    expect(d.parts).to.equal(undefined);
    expect(speakerOf('_unknown_/backward_ab12_nohash_0.wav')).to.equal('ab12');
    expect(speakerOf('_silence_/noise_a.wav')).to.equal(null);
    const a = splitDataset(d, 0.3, 7);
    const again = splitDataset(loadDataset(root, options), 0.3, 7);
    expect(Array.from(again.test.x)).to.deep.equal(Array.from(a.test.x));
    expect(a.rule).to.match(/seeded split by speaker/);
    const speakers = (part: Dataset) => new Set(part.groups!.filter((g) => g.startsWith('speaker ')));
    const trainSpeakers = speakers(a.train);
    expect([...speakers(a.test)].filter((s) => trainSpeakers.has(s))).to.deep.equal([]);
    expect(a.train.count + a.test.count).to.equal(d.count);
    expect(a.test.count).to.be.greaterThan(0);
    const other = splitDataset(d, 0.3, 8);
    expect(other.train.count + other.test.count).to.equal(d.count);
  });

  it("holds out the --split list of --data or --eval's folder, else a speaker split, and says which", () => {
    const load = (path: string, parts?: SamplePart[]) => loadDataset(path, { ...options, ...(parts ? { parts } : {}) });
    const opts = (more: Partial<DataCliOptions>): DataCliOptions => ({ holdout: '0.3', seed: '1', sampleRate: '16000', split: 'validation', ...more });
    const listed = join(dir, 'listed-split');
    writeFolder(listed, ['aa11', 'bb22', 'cc33']);
    writeFileSync(join(listed, 'validation_list.txt'), 'yes/bb22_nohash_0.wav\nno/bb22_nohash_1.wav\n');
    writeFileSync(join(listed, 'testing_list.txt'), 'yes/cc33_nohash_0.wav\n_silence_/noise_c.wav\n');
    const speakers = join(dir, 'speakers-split');
    writeFolder(speakers, ['aa11', 'bb22', 'cc33', 'dd44']);
    const own = heldOutSplit(load(listed, ['train', 'validation']), opts({}), load);
    expect([own.train.count, own.test.count]).to.deep.equal([selectPart(load(listed), 'train').count, 2]);
    expect(own.train.parts!.every((p) => p === 'train')).to.equal(true);
    expect(own.rule).to.match(/own lists: training on \d+ clips .* held out: its validation_list\.txt \(--split validation; --holdout not used\)/);
    const other = heldOutSplit(load(listed, ['train']), opts({ eval: listed, split: 'test' }), load);
    expect(other.test.parts).to.deep.equal(['test', 'test']);
    expect(other.rule).to.match(/held out: testing_list\.txt of .* \(--eval\)/);
    const bySpeaker = heldOutSplit(load(speakers), opts({}), load);
    expect(bySpeaker.rule).to.match(/^split: a seeded split by speaker/);
  });

  it('refuses each bad clip or list in one line naming the file', () => {
    const cases: [string, (root: string) => string][] = [
      ['8 kHz', (root) => writeClip(root, 'yes/aa_nohash_0.wav', testClip(CLIP), 8000)],
      ['8-bit', (root) => writeClip(root, 'yes/aa_nohash_0.wav', testClip(CLIP), 16000, 1, 8)],
      ['stereo', (root) => writeClip(root, 'yes/aa_nohash_0.wav', testClip(CLIP * 2), 16000, 2)],
      ['short', (root) => writeClip(root, 'yes/aa_nohash_0.wav', testClip(170))],
      [
        'empty label',
        (root) => {
          mkdirSync(join(root, 'up'));
          return join(root, 'up');
        },
      ],
      [
        'missing listed file',
        (root) => {
          writeFileSync(join(root, 'testing_list.txt'), 'no/bb_nohash_0.wav\nno/zz_nohash_9.wav\n');
          return join(root, 'no', 'zz_nohash_9.wav');
        },
      ],
    ];
    const expected: Record<string, RegExp> = {
      '8 kHz': /8000 Hz; the clips of this data set are 16000 Hz/,
      '8-bit': /8-bit samples/,
      stereo: /2 channels/,
      short: /170 samples give 4 frames .* takes 5 frames \(176 samples\)/,
      'empty label': /holds no \.wav clips/,
      'missing listed file': /testing_list\.txt:2: .* no such file/,
    };
    cases.forEach(([name, make], i) => {
      const root = join(dir, `bad${i}`);
      writeClip(root, 'no/bb_nohash_0.wav', testClip(CLIP));
      const file = make(root);
      const message = loadError(root, options);
      expect(message, name).to.include(file);
      expect(message, name).to.match(expected[name]!);
    });
    const noFrontEnd = loadError(join(dir, 'bad0'), { inputShape: [K, F] });
    expect(noFrontEnd).to.match(/give --front-end FILE/);
  });

  it('gives the features the pipeline reference computes for the same clip, byte for byte', () => {
    const root = join(dir, 'same');
    writeFolder(root, ['aa11']);
    const model = writeModelFile(dir, 'cls', standInClassifier(K, F));
    const d = loadDataset(root, options);
    expect(d.inputQuant).to.deep.equal({ scale: Math.fround(0.08), zeroPoint: -10 });
    // the clips in sorted order: _silence_/noise_a..c, no/aa11_nohash_0..1, yes/aa11_nohash_0..1
    (
      [
        ['_silence_/noise_a.wav', 0],
        ['yes/aa11_nohash_1.wav', 6],
      ] as const
    ).forEach(([file, n]) => {
      const reference = hostReference(loadPipeline(frontEnd, model, join(root, file)));
      const window = new Int8Array(K * F);
      reference.features.slice(0, K).forEach((f, i) => window.set(f, i * F));
      expect(Array.from(requantized(d, n)), file).to.deep.equal(Array.from(window));
    });
  });

  it("gives micro_speech's front-end features byte for byte (../shared)", function () {
    if (!sharedModelsAvailable(this)) return;
    const preprocessor = sharedFile('zoo', 'tflm_audio_preprocessor_int8.tflite');
    const root = join(dir, 'speech');
    mkdirSync(join(root, 'yes'), { recursive: true });
    mkdirSync(join(root, 'no'), { recursive: true });
    copyFileSync(sharedFile('zoo', 'audio', 'yes_1000ms.wav'), join(root, 'yes', 'yes_1000ms.wav'));
    copyFileSync(sharedFile('zoo', 'audio', 'no_1000ms.wav'), join(root, 'no', 'no_1000ms.wav'));
    const d = loadDataset(root, { frontEnd: preprocessor, inputShape: [49, 40], stride: 320 });
    expect(d.inputQuant).to.deep.equal({ scale: 1, zeroPoint: 0 });
    ['no/no_1000ms.wav', 'yes/yes_1000ms.wav'].forEach((file, n) => {
      const reference = hostReference(loadPipeline(preprocessor, sharedModelPath('micro_speech'), join(root, file), { stride: 320 }));
      expect(reference.features.length).to.equal(49);
      expect(Array.from(requantized(d, n)), file).to.deep.equal(reference.features.flatMap((f) => Array.from(f)));
    });
    // for the int8 keyword model, the unquantized features are its input bytes: its scale and zero point dequantize them
    const model = loadGraph(sharedModelPath('micro_speech'));
    const forInt8 = loadDataset(root, { frontEnd: preprocessor, inputShape: [1960], stride: 320, model: { graph: model, label: 'micro_speech' } });
    const q = model.tensors[model.inputs[0]!]!.quant!;
    expect(forInt8.inputQuant).to.deep.equal({ scale: q.scale[0], zeroPoint: q.zeroPoint[0] });
    expect(Array.from(requantized(forInt8, 1))).to.deep.equal(Array.from(requantized(d, 1)));
  });

  describe('quantize --data FOLDER --front-end FILE', () => {
    let root: string;
    let floatModel: string;

    before(() => {
      root = join(dir, 'cli');
      writeFolder(root, ['aa11', 'bb22', 'cc33', 'dd44']);
      writeFileSync(join(root, 'validation_list.txt'), 'yes/dd44_nohash_0.wav\nno/dd44_nohash_1.wav\n');
      const model = tf.sequential({
        name: 'kws',
        layers: [
          tf.layers.flatten({ inputShape: [K, F] }),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      floatModel = join(dir, 'kws_float.tflite');
      writeFileSync(floatModel, writeTflite(layersModelToFloatGraph(model, 'kws')));
      model.dispose();
    });

    it('calibrates on the training clips, measures on the validation list, and takes the features as they are', () => {
      const output = join(dir, 'kws_int8.tflite');
      const r = tinyforge(['quantize', floatModel, '--data', root, '--front-end', frontEnd, '-o', output]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.include('(label folders in sorted order)');
      expect(r.stderr).to.match(/split: .*own lists: training on 17 clips .* held out: its validation_list\.txt/);
      expect(r.stderr).to.match(/on 2 held-out samples/);
      const int8 = readTflite(output);
      const q = int8.tensors[int8.inputs[0]!]!.quant!;
      expect([q.scale[0], q.zeroPoint[0]]).to.deep.equal([Math.fround(0.08), -10]);
    });

    it('refuses a folder of WAV clips without --front-end in one line, writing nothing', () => {
      const output = join(dir, 'none_int8.tflite');
      const r = tinyforge(['quantize', floatModel, '--data', root, '-o', output]);
      expect(r.status).to.not.equal(0);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/give --front-end FILE/);
      expect(existsSync(output)).to.equal(false);
    });
  });
});
