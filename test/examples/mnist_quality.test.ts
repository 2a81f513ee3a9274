// SPDX-License-Identifier: Apache-2.0
/**
 * examples/mnist: the int8 model `bash examples/run.sh` runs is what `tinyforge quantize` makes by
 * default from the shipped float model and the example's training digits (examples/mnist/make_model.ts),
 * byte for byte, and `validate --original` on the 500 held-out digits holds it within half a point of
 * the float model's accuracy, with the figures labels.json records.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_MODEL, digitsNpz, exampleDigits, quantizeArgs, validateArgs } from '../../examples/mnist/files.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';

/** the most int8 may lose against float on the held-out digits, in accuracy (half a point) */
const MAX_LOSS = 0.005;

interface Summary {
  testDigits: number;
  floatAccuracy: number;
  int8Accuracy: number;
  int8FloatAgreement: number;
  cosine: number;
}

const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('examples/mnist: the shipped int8 model is the default quantization of the shipped float model', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let data: { train: string; test: string };
  const summary = JSON.parse(readFileSync(join(SHIPPED_MODEL, '..', 'labels.json'), 'utf8')) as Summary;

  before(() => {
    scratch = scratchDir('mnist-quality');
    const split = exampleDigits();
    data = { train: join(scratch.dir, 'train.npz'), test: join(scratch.dir, 'test.npz') };
    writeFileSync(data.train, digitsNpz(split.train));
    writeFileSync(data.test, digitsNpz(split.test));
  });
  after(() => scratch?.cleanup());

  it('tinyforge quantize with its default options makes the same bytes, within half a point of float', () => {
    const output = join(scratch.dir, 'mnist_cnn_int8.tflite');
    const r = tinyforge(quantizeArgs(data, output));
    expect(r.status, r.stderr).to.equal(0);
    const figures = lastLine(r.stdout);
    expect(figures.ranges).to.equal('minmax');
    expect(figures.int8.value).to.be.at.least(figures.float.value - MAX_LOSS);
    const made = readFileSync(output);
    const shipped = readFileSync(SHIPPED_MODEL);
    expect(made.equals(shipped), `${output} (${made.length} B) differs from ${SHIPPED_MODEL} (${shipped.length} B): run examples/mnist/make_model.ts`).to.equal(
      true,
    );
  });

  it('validate --original on the 500 held-out digits (host): int8 within half a point of float, as labels.json records', function () {
    requireTools(this, ['gcc']);
    const r = tinyforge(validateArgs(SHIPPED_MODEL, data.test));
    expect(r.status, r.stderr).to.equal(0);
    const j = lastLine(r.stdout);
    expect(j).to.include({ inputs: 500, target: 'host' });
    expect(j.bitExact).to.deep.equal({ matched: 500, total: 500 });
    const { compiled, original } = j.classes.accuracy as { compiled: number; original: number };
    expect(compiled, `int8 ${compiled}, float ${original}`).to.be.at.least(original - MAX_LOSS);
    expect(j.classes.agreement).to.be.at.least(0.99);
    expect(j.outputs[0].cosine).to.be.at.least(0.999);
    const round = (v: number) => Number(v.toFixed(4));
    expect(summary).to.include({
      testDigits: j.inputs,
      floatAccuracy: round(original),
      int8Accuracy: round(compiled),
      int8FloatAgreement: round(j.classes.agreement),
      cosine: round(j.outputs[0].cosine),
    });
  });
});
