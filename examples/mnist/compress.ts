// SPDX-License-Identifier: Apache-2.0
/**
 * From a float model to a profiled board with tinyforge alone, on MNIST digits:
 *   1. trains the float CNN of model.ts on 3,000 digits of the `mnist` package (tfjs, wasm backend)
 *      and saves it as a TensorFlow.js layers model (examples/mnist/float/model.json), unless it is
 *      there already;
 *   2. writes the training digits and 500 held-out digits as .npz files;
 *   3. runs `tinyforge compress` on it: structured pruning (30% of the channels removed, 8 epochs of
 *      fine-tuning), int8 post-training quantization, compile for cortex-m4, build, and run the first
 *      200 held-out digits on the emulated board (QEMU mps2-an386), every board output checked against
 *      the host reference interpreter, beside the unpruned int8 model (`--baseline`). Structured, not
 *      magnitude pruning: this CNN's convolutions hold fewer than 256 weights each (kept dense), so
 *      magnitude pruning only thins the classifier, 12% of the MACs: at 70% to 85% zeros its firmware is
 *      smaller but no faster than dense int8; removing channels
 *      makes it smaller and faster (README.md);
 *   4. prints the report.
 *
 *   npm run example:mnist [-- --json]
 *
 * With --json the last line of stdout is one JSON object: `steps` [{name, accuracy, sparsity, flash,
 * arena, perInference}], `floatAccuracy` (the float model it started from), `hostInt8Accuracy`,
 * `deviceAccuracy`, `deviceMatchesHost`.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CompressReport } from '../../src/compress/pipeline.ts';
import { formatCompressReport } from '../../src/face/report/compress.ts';
import { FLOAT_MODEL, ROOT, SEED, TEST_PER_DIGIT, WORK, exampleDigits, tinyforge, trainFloatModel, writeDigitFiles } from './files.ts';

const DEVICE_DIGITS = 200;

const json = process.argv.includes('--json');
/** progress and logs go to stderr; stdout carries the report (or the JSON line) */
const log = (m: string) => process.stderr.write(`${m}\n`);

async function main(): Promise<void> {
  const split = exampleDigits();
  if (!existsSync(FLOAT_MODEL)) await trainFloatModel(split.train, log);
  else log(`using ${relative(ROOT, FLOAT_MODEL)} (delete it to train again)`);
  const data = writeDigitFiles(split);
  const output = join(WORK, 'mnist_cnn_compressed_int8.tflite');
  const stdout = await tinyforge([
    'compress',
    relative(ROOT, FLOAT_MODEL),
    '--data',
    data.train,
    '--eval',
    data.test,
    '--target',
    'cortex-m4',
    '--structured',
    '--sparsity',
    '0.3',
    '--epochs',
    '8',
    '--device-samples',
    String(DEVICE_DIGITS),
    '--baseline',
    '--seed',
    String(SEED),
    '-o',
    output,
    '--json',
  ]);
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as CompressReport;
  // the model every step starts from: the report's first row
  const floatAccuracy = report.steps.find((s) => s.name === 'float')?.accuracy ?? null;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        steps: report.steps.map((s) => ({
          name: s.name,
          accuracy: s.accuracy,
          sparsity: Number(s.sparsity.toFixed(4)),
          flash: s.flash,
          arena: s.arena,
          perInference: s.perInference,
          measured: s.measured,
          macs: s.macs,
          ...(s.fineTuning ? { fineTuning: s.fineTuning } : {}),
        })),
        floatModel: relative(ROOT, FLOAT_MODEL),
        floatAccuracy,
        hostInt8Accuracy: report.hostInt8Accuracy,
        deviceAccuracy: report.deviceAccuracy,
        deviceMatchesHost: report.deviceMatchesHost,
        deviceDigits: report.deviceCases,
        target: report.target,
        board: report.board,
        counter: report.counter,
        fits: report.fits.ok,
        model: relative(ROOT, output),
      })}\n`,
    );
  } else {
    process.stdout.write(`${formatCompressReport(report)}\n`);
    if (floatAccuracy !== null) {
      process.stdout.write(
        `started from the float model ${relative(ROOT, FLOAT_MODEL)}: ${(floatAccuracy * 100).toFixed(2)}% on ${TEST_PER_DIGIT * 10} held-out digits\n`,
      );
    }
  }
  if (!report.deviceMatchesHost) process.exitCode = 3;
}

try {
  await main();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}
