// SPDX-License-Identifier: Apache-2.0
/**
 * Makes the shipped int8 model from the float one train.ts saved, as a user would: `tinyforge
 * quantize` with its default options (calibrated on the folder's training clips, its input pinned to
 * the front-end's features), then `tinyforge validate --original` on the 600 test clips on the host:
 * the float and int8 test accuracy. Writes
 *   kws_int8.tflite  the int8 model, as `tinyforge quantize` writes it
 *   clips.json       the figures, and for the first test clip of each label the class the int8
 *                    model gives it through the pipeline's reference (test/examples/kws_trained.test.ts)
 *
 *   npm run example:kws:model
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { loadGraph } from '../../src/core/model/load.ts';
import { audioStreamShape, prepareStreamModel, runAudioReference } from '../../src/core/pipeline/stream.ts';
import { readAudioClip } from '../../src/lab/data/wav.ts';
import { DATA, FLOAT_MODEL, FRONT_END, ROOT, STRIDE, requireShared } from './train.ts';

export const INT8_MODEL = join(import.meta.dirname, 'kws_int8.tflite');
const CLIPS_FILE = join(import.meta.dirname, 'clips.json');

const log = (m: string) => process.stderr.write(`${m}\n`);
const fromRoot = (path: string) => relative(ROOT, path);

/** The data arguments every command of the example takes. */
const dataArgs = () => ['--front-end', fromRoot(FRONT_END), '--stride', String(STRIDE)];

/** Runs the CLI from the project's root as a user runs it, passing its stderr through; returns its stdout. */
function tinyforge(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'face', 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`tinyforge ${args[0]} exited with ${code}`))));
  });
}

const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

/** The first test clip of each label folder (testing_list.txt order). */
export function firstTestClips(): string[] {
  const seen = new Set<string>();
  return readFileSync(join(DATA, 'testing_list.txt'), 'utf8')
    .split(/\r?\n/)
    .filter((line) => {
      const label = line.split('/')[0]!;
      if (line === '' || seen.has(label)) return false;
      seen.add(label);
      return true;
    })
    .sort();
}

/** The top class the int8 model gives each clip through the pipeline's reference (front-end from a fresh state, one window). */
export function referenceClasses(model: string, clips: string[]): number[] {
  const feGraph = loadGraph(FRONT_END);
  const graph = loadGraph(model);
  const shape = audioStreamShape(feGraph, basename(FRONT_END), graph, basename(model), { stride: STRIDE });
  const fe = prepareStreamModel(feGraph, basename(FRONT_END));
  const prepared = prepareStreamModel(graph, basename(model));
  return clips.map((clip) => {
    const result = runAudioReference(shape, fe, prepared, readAudioClip(join(DATA, clip)).samples);
    const scores = new Int8Array(result.windows[0]!.outputs[0]!.buffer, result.windows[0]!.outputs[0]!.byteOffset, result.windows[0]!.outputs[0]!.length);
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    return best;
  });
}

async function main(): Promise<void> {
  requireShared('make_model.ts');
  const quantize = ['quantize', fromRoot(FLOAT_MODEL), '--data', fromRoot(DATA), ...dataArgs(), '-o', fromRoot(INT8_MODEL), '--json'];
  log(`tinyforge ${quantize.join(' ')}`);
  const quantized = lastLine(await tinyforge(quantize)) as { float: { value: number }; int8: { value: number } };
  const validate = ['validate', fromRoot(INT8_MODEL), '--original', fromRoot(FLOAT_MODEL), '--inputs', fromRoot(DATA), ...dataArgs()];
  const validateTest = [...validate, '--split', 'test', '-t', 'host', '--json'];
  log(`tinyforge ${validateTest.join(' ')}`);
  const validated = lastLine(await tinyforge(validateTest)) as {
    inputs: number;
    classes: { accuracy: { compiled: number; original: number }; agreement: number };
  };
  const clips = firstTestClips();
  const classes = referenceClasses(INT8_MODEL, clips);
  const round = (v: number) => Number(v.toFixed(4));
  const summary = {
    model: basename(INT8_MODEL),
    testClips: validated.inputs,
    floatTestAccuracy: round(validated.classes.accuracy.original),
    int8TestAccuracy: round(validated.classes.accuracy.compiled),
    int8FloatAgreement: round(validated.classes.agreement),
    floatValidationAccuracy: round(quantized.float.value),
    int8ValidationAccuracy: round(quantized.int8.value),
    clips: clips.map((clip, i) => ({ clip, int8Class: classes[i] })),
  };
  writeFileSync(CLIPS_FILE, `${JSON.stringify(summary, null, 2)}\n`);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  log(`validation (quantize): float ${pct(quantized.float.value)}, int8 ${pct(quantized.int8.value)}`);
  log(`test (${validated.inputs} clips): float ${pct(validated.classes.accuracy.original)}, int8 ${pct(validated.classes.accuracy.compiled)}`);
  log(`wrote ${fromRoot(INT8_MODEL)}, ${fromRoot(CLIPS_FILE)}`);
}

try {
  await main();
} catch (e) {
  log(`error: ${(e as Error).message.split('\n')[0]}`);
  process.exit(1);
}
