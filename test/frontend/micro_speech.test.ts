// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Micro's micro_speech example end to end, as its authors ship it: the audio front-end model
 * (signal-library ops, state carried from frame to frame) turns a one-second 16 kHz clip into 49
 * frames of 40 features (480-sample window, 320-sample stride), and the keyword model classifies the
 * 49 x 40 features as silence, unknown, "yes" or "no". Our reference, our generated C (host, ASan +
 * UBSan) and TFLite Micro (recorded answers) must agree on every frame's features and on the scores.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { type FrameCase, expectFramesEqual, hostCOverFrames, referenceOverFrames, tflmOverFrames } from '../helpers/frame_checks.ts';
import { requireTools } from '../build/helpers.ts';

const FRONT_END = () => sharedFile('zoo', 'tflm_audio_preprocessor_int8.tflite');
const clipPath = (clip: string) => sharedFile('zoo', 'audio', `${clip}_1000ms.wav`);
const WINDOW = 480;
const STRIDE = 320;
const LABELS = ['silence', 'unknown', 'yes', 'no'];

/** The 16-bit samples of a mono PCM WAV (the clips' fixed 44-byte header is checked, not assumed). */
function wavSamples(path: string): Int16Array {
  const bytes = readFileSync(path);
  expect(bytes.toString('latin1', 0, 4)).to.equal('RIFF');
  const dataAt = bytes.indexOf('data', 12, 'latin1');
  const size = bytes.readUInt32LE(dataAt + 4);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + dataAt + 8, bytes.byteOffset + dataAt + 8 + size));
}

function frames(samples: Int16Array): Uint8Array[][] {
  const count = Math.floor((samples.length - WINDOW) / STRIDE) + 1;
  return Array.from({ length: count }, (_, k) => [new Uint8Array(samples.slice(k * STRIDE, k * STRIDE + WINDOW).buffer)]);
}

describe('micro_speech end to end: front-end and keyword model, bit-exact with TFLite Micro', function () {
  before(function () {
    sharedModelsAvailable(this);
  });

  for (const clip of ['yes', 'no']) {
    it(`${clip}_1000ms.wav: 49 frames of features and the scores, on the reference and the host C`, function () {
      requireTools(this, ['gcc']);
      const frontEnd: FrameCase = { name: `front-end ${clip}`, graph: readTflite(FRONT_END()), frames: frames(wavSamples(clipPath(clip))) };
      expect(frontEnd.frames.length).to.equal(49);
      const features = referenceOverFrames(frontEnd);
      expectFramesEqual(tflmOverFrames(frontEnd), features, `${clip}: front-end features (expected: TFLite Micro)`);
      const keyword: FrameCase = {
        name: `keywords ${clip}`,
        graph: readTflite(sharedModelPath('micro_speech')),
        frames: [[new Uint8Array(Buffer.concat(features.map((f) => f[0]!)))]],
      };
      const scores = referenceOverFrames(keyword);
      expectFramesEqual(tflmOverFrames(keyword), scores, `${clip}: scores (expected: TFLite Micro)`);
      const [cFeatures, cScores] = hostCOverFrames([frontEnd, keyword]);
      expectFramesEqual(features, cFeatures!, `${clip}: front-end features (generated C)`);
      expectFramesEqual(scores, cScores!, `${clip}: scores (generated C)`);
      const values = Array.from(new Int8Array(scores[0]![0]!.buffer, scores[0]![0]!.byteOffset, 4));
      expect(LABELS[values.indexOf(Math.max(...values))]).to.equal(clip);
    });
  }
});
