// SPDX-License-Identifier: Apache-2.0
/**
 * examples/keyword_spotter: the command its run.sh runs, on one emulated board of each kernel family
 * (Arm DSP, Armv6-M, RV32), gives the clip's keyword, and every frame's features and the window's
 * scores equal what TFLite Micro's reference kernels give for the same two models on the same
 * frames (recorded answers where tflm-ref is absent).
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { readAudioClip } from '../../src/lab/data/wav.ts';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { runTflmRef } from '../helpers/tflm_ref.ts';
import { tinyforge } from '../helpers/cli.ts';

const FRONT_END = () => sharedFile('zoo', 'tflm_audio_preprocessor_int8.tflite');
const clipPath = (clip: string) => sharedFile('zoo', 'audio', `${clip}_1000ms.wav`);

const RUNS = [
  { board: 'nucleo-l4r5zi', clip: 'yes', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { board: 'pico', clip: 'no', tools: ['arm-none-eabi-gcc'] },
  { board: 'esp32-c3-devkitm-1', clip: 'yes', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

/** TFLite Micro on the clip: the front-end over 49 frames (state carried), then the keyword model. */
function tflmAnswers(clip: string): { features: number[][]; scores: number[] } {
  const samples = readAudioClip(clipPath(clip)).samples;
  const frames = Array.from({ length: 49 }, (_, k) => Buffer.from(samples.slice(k * 320, k * 320 + 480).buffer));
  const featureBytes = runTflmRef(FRONT_END(), Buffer.concat(frames)).outputs;
  const features = Array.from({ length: 49 }, (_, k) => Array.from(new Int8Array(featureBytes.buffer, featureBytes.byteOffset + 40 * k, 40)));
  const scores = Array.from(new Int8Array(runTflmRef(sharedModelPath('micro_speech'), featureBytes).outputs));
  return { features, scores };
}

describe('examples/keyword_spotter: a WAV in, the keyword out, as TFLite Micro gives it', function () {
  before(function () {
    sharedModelsAvailable(this);
  });

  for (const run of RUNS) {
    it(`${run.clip}_1000ms.wav on ${run.board}`, function () {
      requireTools(this, run.tools);
      const expected = tflmAnswers(run.clip);
      const r = tinyforge([
        'run',
        FRONT_END(),
        sharedModelPath('micro_speech'),
        '--input',
        clipPath(run.clip),
        '--stride',
        '320',
        '--labels',
        'silence,unknown,yes,no',
        '--board',
        run.board,
        '--battery',
        '1000mAh',
        '--json',
      ]);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout) as {
        features: number[][];
        windows: { outputs: number[][]; top: { label: string } }[];
        matchesReference: boolean;
        costs: { dutyCycle: number | null };
      };
      expect(json.matchesReference).to.equal(true);
      expect(json.features).to.deep.equal(expected.features);
      expect(json.windows).to.have.length(1);
      expect(json.windows[0]!.outputs[0]).to.deep.equal(expected.scores);
      expect(json.windows[0]!.top.label).to.equal(run.clip);
      expect(json.costs.dutyCycle).to.be.greaterThan(0).and.lessThan(1);
    });
  }
});
