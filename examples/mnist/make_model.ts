// SPDX-License-Identifier: Apache-2.0
/**
 * Makes the shipped example model as a user would: `tinyforge quantize` with its default options on
 * the shipped float model (float/model.json, trained by files.ts's trainFloatModel when it is
 * absent), calibrated on the example's training digits, then `tinyforge validate --original` on the
 * 500 held-out digits on the host. Writes
 *   mnist_cnn_int8.tflite  the int8 model, as `tinyforge quantize` writes it
 *   digits.bin             the first held-out digits, int8-quantized for the model input, 784 bytes each
 *   labels.json            their labels, and the figures of this run
 *
 *   npx tsx examples/mnist/make_model.ts
 *
 * Deterministic: the data split is seeded and quantization has no randomness, so the same float
 * model gives the same bytes every time.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { quantizeInput } from '../../src/compress/ptq.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { IMAGE_SIZE } from './dataset.ts';
import {
  FLOAT_EPOCHS,
  FLOAT_MODEL,
  ROOT,
  SHIPPED_MODEL,
  exampleDigits,
  quantizeArgs,
  tinyforge,
  trainFloatModel,
  validateArgs,
  writeDigitFiles,
} from './files.ts';

const MODEL_FILE = basename(SHIPPED_MODEL);
const SHIPPED_DIGITS = 8;

const log = (m: string) => process.stderr.write(`${m}\n`);

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

async function main(): Promise<void> {
  const split = exampleDigits();
  if (!existsSync(FLOAT_MODEL)) await trainFloatModel(split.train, log);
  else log(`using ${relative(ROOT, FLOAT_MODEL)} (delete it to train again)`);
  const data = writeDigitFiles(split);
  const quantize = quantizeArgs(data, SHIPPED_MODEL);
  const validate = validateArgs(SHIPPED_MODEL, data.test);

  log(`tinyforge ${quantize.join(' ')}`);
  const quantized = lastLine(await tinyforge(quantize)) as { float: { value: number }; int8: { value: number } };
  log(`tinyforge ${validate.join(' ')}`);
  const validated = lastLine(await tinyforge(validate)) as {
    inputs: number;
    bitExact: { matched: number; total: number };
    outputs: { cosine: number }[];
    classes: { accuracy: { compiled: number; original: number }; agreement: number };
  };
  const { classes } = validated;

  const bytes = new Uint8Array(readFileSync(SHIPPED_MODEL));
  const written = parseTflite(bytes, MODEL_FILE);
  const prepared = prepareGraph(written);
  const shipped = split.test.slice(0, SHIPPED_DIGITS).map((d) => ({ label: d.label, input: quantizeInput(written, d.pixels) }));
  const int8Predictions = shipped.map(({ input }) => {
    const out = interpret(prepared, [input]).outputs[0]!;
    return argmax(new Int8Array(out.buffer, out.byteOffset, out.length));
  });
  writeFileSync(join(import.meta.dirname, 'digits.bin'), Buffer.concat(shipped.map((d) => d.input)));

  const round = (v: number) => Number(v.toFixed(4));
  const summary = JSON.stringify(
    {
      model: MODEL_FILE,
      digits: 'digits.bin',
      bytesPerDigit: IMAGE_SIZE * IMAGE_SIZE,
      labels: shipped.map((d) => d.label),
      int8Predictions,
      testDigits: validated.inputs,
      floatAccuracy: round(classes.accuracy.original),
      int8Accuracy: round(classes.accuracy.compiled),
      int8FloatAgreement: round(classes.agreement),
      cosine: round(validated.outputs[0]!.cosine),
      trainDigits: split.train.length,
      epochs: FLOAT_EPOCHS,
    },
    null,
    2,
  ).replace(/\[[\d,\s]+\]/g, (list) => list.replace(/\s+/g, '').replace(/,/g, ', '));
  writeFileSync(join(import.meta.dirname, 'labels.json'), `${summary}\n`);

  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  log(`quantize: float ${pct(quantized.float.value)}, int8 ${pct(quantized.int8.value)} on ${split.test.length} held-out digits`);
  log(
    `validate --original (host): int8 ${pct(classes.accuracy.compiled)}, float ${pct(classes.accuracy.original)}, ` +
      `top-1 agreement ${pct(classes.agreement)}, cosine ${validated.outputs[0]!.cosine.toFixed(4)}, ` +
      `${validated.bitExact.matched}/${validated.bitExact.total} bit-exact with the host reference`,
  );
  log(`wrote ${MODEL_FILE} (${bytes.length} bytes), digits.bin (${shipped.length} digits), labels.json`);
}

try {
  await main();
} catch (e) {
  log(`error: ${(e as Error).message.split('\n')[0]}`);
  process.exit(1);
}
