// SPDX-License-Identifier: Apache-2.0
/**
 * examples/kws_trained: the committed int8 keyword model, through the pipeline's reference (the
 * micro_speech front-end on each clip, then the model), gives the first test clip of each label the
 * class its clips.json records (what make_model.ts measured, the test accuracy of the README among
 * its figures); and one clip through the pipeline compiled for nucleo-l4r5zi, on its emulator, is
 * bit-exact with that reference and gives the same class.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadGraph } from '../../src/core/model/load.ts';
import { audioStreamShape, prepareStreamModel, runAudioReference } from '../../src/core/pipeline/stream.ts';
import { readAudioClip } from '../../src/lab/data/wav.ts';
import { requireTools } from '../build/helpers.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { sharedDataSet, sharedFile } from '../helpers/shared.ts';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'kws_trained');
const MODEL = join(EXAMPLE, 'kws_int8.tflite');
const LABELS = ['_silence_', '_unknown_', 'down', 'go', 'left', 'no', 'off', 'on', 'right', 'stop', 'up', 'yes'];

interface Recorded {
  testClips: number;
  int8TestAccuracy: number;
  clips: { clip: string; int8Class: number }[];
}

const recorded = JSON.parse(readFileSync(join(EXAMPLE, 'clips.json'), 'utf8')) as Recorded;

const int8Scores = (bytes: Uint8Array) => Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length));
const argmax = (values: number[]) => values.indexOf(Math.max(...values));

describe('examples/kws_trained: the trained keyword spotter', function () {
  let data: string;
  let frontEnd: string;
  before(function () {
    data = sharedDataSet('speech_commands');
    frontEnd = sharedFile('zoo', 'tflm_audio_preprocessor_int8.tflite');
  });

  it('gives the first test clip of each label the recorded class (host reference)', function () {
    expect(recorded.clips.map((c) => c.clip.split('/')[0])).to.deep.equal(LABELS);
    const feGraph = loadGraph(frontEnd);
    const graph = loadGraph(MODEL);
    const shape = audioStreamShape(feGraph, basename(frontEnd), graph, basename(MODEL), { stride: 320 });
    const fe = prepareStreamModel(feGraph, basename(frontEnd));
    const model = prepareStreamModel(graph, basename(MODEL));
    const classes = recorded.clips.map(({ clip }) => {
      const result = runAudioReference(shape, fe, model, readAudioClip(join(data, clip)).samples);
      expect(result.windows).to.have.length(1);
      return argmax(int8Scores(result.windows[0]!.outputs[0]!));
    });
    expect(classes).to.deep.equal(recorded.clips.map((c) => c.int8Class));
    // the recorded figures are those of a model that gets most of these right
    const right = classes.filter((c, i) => c === i).length;
    expect(right).to.be.at.least(Math.floor(recorded.int8TestAccuracy * LABELS.length) - 3);
  });

  it('runs a test clip on nucleo-l4r5zi bit-exact with the reference', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const { clip, int8Class } = recorded.clips.find((c) => c.clip.startsWith('yes/'))!;
    const r = tinyforge([
      'run',
      frontEnd,
      MODEL,
      '--input',
      join(data, clip),
      '--stride',
      '320',
      '--labels',
      LABELS.join(','),
      '--board',
      'nucleo-l4r5zi',
      '--json',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout) as { windows: { top: { label: string } }[]; matchesReference: boolean };
    expect(json.matchesReference).to.equal(true);
    expect(json.windows).to.have.length(1);
    expect(json.windows[0]!.top.label).to.equal(LABELS[int8Class]);
  });
});
