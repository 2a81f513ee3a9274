// SPDX-License-Identifier: Apache-2.0
/**
 * Pipelines (docs/pipeline.md): the framing and the ring against the two models run one after the
 * other through the reference interpreter, the generated tf_pipeline.c on the host under ASan/UBSan
 * with odd push sizes, WAV parsing, and the CSV sensor stream. Any front-end and model pair runs
 * through the same checks, TFLite Micro's micro_speech pair (its signal-op front-end, state carried
 * from frame to frame) among them.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { declaredHop, frameCount, quantizeInt8, windowCount } from '../../src/core/pipeline/stream.ts';
import { parseRawPcm, parseWav, readAudioClip } from '../../src/lab/data/wav.ts';
import {
  type LoadedPipeline,
  compilePipeline,
  hostReference,
  loadPipeline,
  loadPipelineModels,
  preparedModel,
  runPipelineOnHost,
} from '../../src/lab/run/pipeline.ts';
import { runPipelineOnBoard } from '../../src/lab/run/pipeline_device.ts';
import { compileCheck } from '../../src/lab/toolchain/compile_check.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { standInClassifier, standInFrontEnd, testClip, wavBytes, writeModelFile } from '../helpers/pipeline_models.ts';

interface Pair {
  name: string;
  /** writes the front-end and the model into `dir`; returns their paths */
  files: (dir: string) => { frontEnd: string; model: string };
  /** a synthetic clip of this many samples, or `clip` */
  samples: number;
  /** a recorded clip (.wav) instead of the synthetic one */
  clip?: string;
  stride?: number;
  windowStride?: number;
  /** uses ../shared/models (skipped with a notice where they are absent) */
  shared?: boolean;
}

const PAIRS: Pair[] = [
  {
    name: 'W 48, F 8, K 5, hop 32',
    files: (dir) => ({
      frontEnd: writeModelFile(dir, 'fe_a', standInFrontEnd({ window: 48, features: 8 })),
      model: writeModelFile(dir, 'cls_a', standInClassifier(5, 8)),
    }),
    samples: 1000,
    stride: 32,
  },
  {
    name: 'W 30, F 5, K 4, hop from its name (40 > W), window stride 2',
    files: (dir) => ({
      frontEnd: writeModelFile(dir, 'fe_b', standInFrontEnd({ window: 30, features: 5, hopInName: 40, seed: 3 })),
      model: writeModelFile(dir, 'cls_b', standInClassifier(4, 5, 3, 9)),
    }),
    samples: 777,
    windowStride: 2,
  },
  {
    name: 'W 16, F 3, K 7, half the window',
    files: (dir) => ({
      frontEnd: writeModelFile(dir, 'fe_c', standInFrontEnd({ window: 16, features: 3, seed: 8 })),
      model: writeModelFile(dir, 'cls_c', standInClassifier(7, 3, 2, 4)),
    }),
    samples: 300,
  },
  {
    name: 'micro_speech.tflite (49 x 40) after a 480-sample stand-in front-end, yes_1000ms.wav, hop 320',
    files: (dir) => ({
      frontEnd: writeModelFile(dir, 'fe_speech', standInFrontEnd({ window: 480, features: 40, seed: 17 })),
      model: sharedModelPath('micro_speech'),
    }),
    samples: 0,
    clip: sharedFile('zoo', 'audio', 'yes_1000ms.wav'),
    stride: 320,
    shared: true,
  },
  {
    name: "TFLite Micro's micro_speech: its audio front-end (signal ops) and keyword model, no_1000ms.wav, hop 320",
    files: () => ({ frontEnd: sharedFile('zoo', 'tflm_audio_preprocessor_int8.tflite'), model: sharedModelPath('micro_speech') }),
    samples: 0,
    clip: sharedFile('zoo', 'audio', 'no_1000ms.wav'),
    stride: 320,
    shared: true,
  },
];

const hex = (b: Uint8Array | Int8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('pipeline: a stream through a front-end and a model', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-pipeline-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const pair of PAIRS) {
    describe(pair.name, () => {
      let loaded: LoadedPipeline;
      before(function () {
        if (pair.shared && !sharedModelsAvailable(this)) return;
        const { frontEnd, model } = pair.files(dir);
        const clip = pair.clip ?? join(dir, `${pair.name.replace(/\W+/g, '_')}.wav`);
        if (!pair.clip) writeFileSync(clip, wavBytes(testClip(pair.samples)));
        loaded = loadPipeline(frontEnd, model, clip, { stride: pair.stride, windowStride: pair.windowStride });
      });

      it('equals the two models run one after the other on the same frames', () => {
        const { shape, stream } = loaded;
        if (stream.kind !== 'audio') throw new Error('audio expected');
        const fe = preparedModel(loaded.frontEnd!.graph, loaded.frontEnd!.path);
        const model = preparedModel(loaded.model.graph, loaded.model.path);
        const feState = new Map<number, TensorBuffer>();
        const frames: Uint8Array[] = [];
        for (let start = 0; start + shape.frameSamples <= stream.samples.length; start += shape.hop)
          frames.push(interpret(fe, [new Uint8Array(stream.samples.slice(start, start + shape.frameSamples).buffer)], feState).outputs[0]!);
        const modelState = new Map<number, TensorBuffer>();
        const expected: string[] = [];
        for (let last = shape.frames - 1; last < frames.length; last += shape.windowStride) {
          const window = Buffer.concat(frames.slice(last - shape.frames + 1, last + 1));
          expected.push(
            interpret(model, [new Uint8Array(window)], modelState)
              .outputs.map(hex)
              .join(' '),
          );
        }
        const ref = hostReference(loaded);
        expect(ref.features.map(hex)).to.deep.equal(frames.map(hex));
        expect(ref.windows.map((w) => w.outputs.map(hex).join(' '))).to.deep.equal(expected);
        expect(ref.windows.length)
          .to.equal(windowCount(shape, frameCount(shape, stream.samples.length)))
          .and.to.be.at.least(pair.clip ? 1 : 2);
      });

      it('tf_pipeline.c under ASan/UBSan gives the same features and scores for pushes of 1, 7, 333 samples and one push of all', async () => {
        const host = loadTarget('host');
        const compiled = compilePipeline(loaded, host);
        const ref = hostReference(loaded);
        for (const chunk of [1, 7, 333, 1_000_000]) {
          const got = await runPipelineOnHost(compiled, loaded, host, { chunk, sanitize: true });
          expect(got.features.map(hex), `push ${chunk}`).to.deep.equal(ref.features.map(hex));
          expect(
            got.windows.map((w) => w.outputs.map(hex).join(' ')),
            `push ${chunk}`,
          ).to.deep.equal(ref.windows.map((w) => w.outputs.map(hex).join(' ')));
        }
      });
    });
  }

  for (const target of ['host', 'cortex-m4', 'rp2040', 'esp32c3']) {
    it(`tf_pipeline.c and both models compile under -std=c99 -Wall -Wextra -Wpedantic -Werror for ${target}`, async () => {
      const { frontEnd, model } = PAIRS[0]!.files(dir);
      const compiled = compilePipeline(loadPipelineModels(frontEnd, model, { stride: 32 }), loadTarget(target));
      const out = join(dir, `check-${target}`);
      writeDirectoryAtomically(join(out, 'src'), compiled.files);
      const checked = await compileCheck({
        target,
        modelDir: join(out, 'src'),
        outDir: join(out, 'obj'),
        extraCflags: ['-Wall', '-Wextra', '-Werror', '-std=c99'],
      });
      expect(checked.checked).to.include('tf_pipeline.c');
      // the sensor stream's variant too
      const sensor = compilePipeline(loadPipelineModels(null, model, { channels: 8, stride: 2 }), loadTarget(target));
      writeDirectoryAtomically(join(out, 'sensor'), sensor.files);
      await compileCheck({ target, modelDir: join(out, 'sensor'), outDir: join(out, 'sensor-obj'), extraCflags: ['-Wall', '-Wextra', '-Werror', '-std=c99'] });
    });
  }

  it('refuses a model whose input is not a whole number of frames, in one line naming it', () => {
    const fe = writeModelFile(dir, 'fe_odd', standInFrontEnd({ window: 16, features: 3 }));
    const model = writeModelFile(dir, 'cls_odd', standInClassifier(5, 8));
    const clip = join(dir, 'odd.wav');
    writeFileSync(clip, wavBytes(testClip(100)));
    expect(() => loadPipeline(fe, model, clip)).to.throw(
      TinyforgeError,
      /cls_odd\.tflite: its input int8 \[1,5,8\] holds 40 values, not a whole number of .*3-feature frames/,
    );
  });

  it('takes the hop from a front-end that names it, else half the window', () => {
    expect(declaredHop(standInFrontEnd({ window: 480, features: 40, hopInName: 320 }))).to.equal(320);
    expect(declaredHop(standInFrontEnd({ window: 480, features: 40 }))).to.equal(null);
  });

  it('quantizes a sensor value as the generated quantize_input does (half away from zero, clamped)', () => {
    expect(quantizeInt8(0.25, 0.5, 0)).to.equal(1);
    expect(quantizeInt8(-0.25, 0.5, 0)).to.equal(-1);
    expect(quantizeInt8(100, 0.1, 3)).to.equal(127);
    expect(quantizeInt8(Number.NaN, 0.1, 3)).to.equal(3);
  });
});

describe('pipeline: a sensor recording through a model', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-sensor-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('slides the window by --stride rows; tf_pipeline_push_rows agrees for any number of rows a push', async () => {
    const model = writeModelFile(dir, 'imu', standInClassifier(10, 3, 3, 31));
    const rows = Array.from({ length: 47 }, (_, t) => [Math.sin(t / 3) * 0.6, Math.cos(t / 5) * 0.5 - 0.2, ((t % 7) - 3) * 0.11]);
    const csv = join(dir, 'imu.csv');
    writeFileSync(csv, `ax,ay,az\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const loaded = loadPipeline(null, model, csv, { stride: 4 });
    expect(loaded.shape).to.include({ kind: 'sensor', features: 3, frames: 10, windowStride: 4 });
    const ref = hostReference(loaded);
    expect(ref.windows.map((w) => w.startSample)).to.deep.equal([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    // the windows are the rows quantized with the model input's scale and zero point
    const prepared = preparedModel(loaded.model.graph, loaded.model.path);
    const q = (x: number) => quantizeInt8(x, 0.08, -10);
    const first = Int8Array.from(rows.slice(0, 10).flat(), q);
    expect(hex(ref.windows[0]!.outputs[0]!)).to.equal(hex(interpret(prepared, [new Uint8Array(first.buffer)]).outputs[0]!));
    const host = loadTarget('host');
    const compiled = compilePipeline(loaded, host);
    for (const chunk of [1, 3, 47]) {
      const got = await runPipelineOnHost(compiled, loaded, host, { chunk, sanitize: true });
      expect(
        got.windows.map((w) => w.outputs.map(hex).join(' ')),
        `push ${chunk}`,
      ).to.deep.equal(ref.windows.map((w) => w.outputs.map(hex).join(' ')));
    }
    // and on an emulated board: the rows quantized by tf_pipeline_push_rows there too
    const m4 = loadTarget('cortex-m4');
    const board = await runPipelineOnBoard(compilePipeline(loaded, m4), loaded, m4);
    expect(board.result.windows.map((w) => w.outputs.map(hex).join(' '))).to.deep.equal(ref.windows.map((w) => w.outputs.map(hex).join(' ')));
    expect(board.perWindow).to.be.above(0);
  });

  it('refuses rows that do not divide the model input, and a non-CSV recording', () => {
    const model = writeModelFile(dir, 'imu2', standInClassifier(10, 3));
    const csv = join(dir, 'four.csv');
    writeFileSync(csv, 'a,b,c,d\n1,2,3,4\n');
    expect(() => loadPipeline(null, model, csv)).to.throw(TinyforgeError, /four\.csv: 4 columns a row, but .*imu2\.tflite's input int8 \[1,10,3\]/);
    expect(() => loadPipeline(null, model, join(dir, 'x.wav'))).to.throw(TinyforgeError, /x\.wav: a model without a front-end runs over a sensor recording/);
  });
});

describe('WAV and raw PCM clips', () => {
  const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);

  it('reads 16-bit PCM mono samples, skipping chunks before data', () => {
    expect([...parseWav(wavBytes(samples), 'a.wav').samples]).to.deep.equal([...samples]);
    const plain = wavBytes(samples);
    // a LIST chunk (odd size, padded) between fmt and data
    const list = Uint8Array.from([...'LIST'].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const withList = new Uint8Array(plain.length + list.length);
    withList.set(plain.subarray(0, 36));
    withList.set(list, 36);
    withList.set(plain.subarray(36), 36 + list.length);
    const clip = parseWav(withList, 'b.wav');
    expect([...clip.samples]).to.deep.equal([...samples]);
    expect(clip.sampleRate).to.equal(16000);
  });

  it('refuses other formats in one line naming the file', () => {
    expect(() => parseWav(wavBytes(samples, 16000, 2), 'stereo.wav')).to.throw(TinyforgeError, /^stereo\.wav: 2 channels; give one channel/);
    const eight = wavBytes(samples, 16000, 1, 8);
    expect(() => parseWav(eight, 'eight.wav')).to.throw(TinyforgeError, /^eight\.wav: 8-bit samples; give 16-bit PCM mono$/);
    const float = wavBytes(samples);
    float[20] = 3;
    expect(() => parseWav(float, 'float.wav')).to.throw(TinyforgeError, /^float\.wav: WAV format 3 is not PCM/);
    expect(() => parseWav(new Uint8Array(40), 'junk.wav')).to.throw(TinyforgeError, /^junk\.wav: not a WAV file \(no RIFF\/WAVE header\)/);
    expect(() => parseWav(wavBytes(samples).subarray(0, 36), 'cut.wav')).to.throw(TinyforgeError, /^cut\.wav: no data chunk/);
    expect(() => parseRawPcm(new Uint8Array(3), 'odd.raw')).to.throw(TinyforgeError, /^odd\.raw: 3 bytes, not a whole number of int16 samples$/);
    expect(() => readAudioClip('clip.mp3')).to.throw(TinyforgeError, /^clip\.mp3: a front-end's stream is audio/);
  });

  it('reads the recorded clips: 16 kHz, 49 frames of 480 samples at a 320-sample hop', function () {
    if (!sharedModelsAvailable(this)) return;
    for (const word of ['yes', 'no']) {
      const clip = readAudioClip(sharedFile('zoo', 'audio', `${word}_1000ms.wav`));
      expect(clip.sampleRate).to.equal(16000);
      expect(Math.floor((clip.samples.length - 480) / 320) + 1).to.equal(49);
    }
  });
});
