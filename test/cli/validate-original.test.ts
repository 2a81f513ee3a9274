// SPDX-License-Identifier: Apache-2.0
/**
 * `validate INT8 --original FLOAT --inputs DATA`: the figures on cases worked out by hand (the
 * distances of two lists, a confusion matrix; a float RELU and its int8 twin, whose int8 outputs are
 * the float ones rounded to the quantization step), then the CLI on the MNIST example's float and
 * int8 models, on the host and on the emulated board.
 */
import { expect } from 'chai';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { npyBytes } from '../../src/lab/data/npy.ts';
import { classAgreement, outputDistances } from '../../src/lab/run/accuracy.ts';
import { type OriginalComparison, compareWithOriginal } from '../../src/compress/validate_original.ts';
import { formatOriginalComparison } from '../../src/face/report/validate.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';

const MNIST = resolve(import.meta.dirname, '../../examples/mnist');

/** RELU on three values: float32, or int8 with scale 0.5 and zero point -1. */
function reluGraph(int8: boolean): Graph {
  const g = new GraphBuilder(int8 ? 'relu_int8' : 'relu_float');
  const spec = int8 ? { shape: [1, 3], q: { scale: 0.5, zeroPoint: -1 } } : { shape: [1, 3], dtype: 'float32' as const };
  const x = g.input({ ...spec, name: 'x' });
  const [y] = g.op('RELU', [x], [{ ...spec, name: 'y' }]);
  g.output(y!);
  return g.build();
}

describe('validate --original: the int8 model against its float original', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let digits: string;
  let truth: string;
  let classes: number[];
  before(() => {
    scratch = scratchDir('validate-original');
    // the example's shipped digits (int8, as the model takes them) back as the float pixels they came from
    const graph = loadGraph(join(MNIST, 'mnist_cnn_int8.tflite'));
    const q = graph.tensors[graph.inputs[0]!]!.quant!;
    const raw = new Int8Array(readFileSync(join(MNIST, 'digits.bin')));
    const pixels = Float32Array.from(raw, (v) => q.scale[0]! * (v - q.zeroPoint[0]!));
    classes = JSON.parse(readFileSync(join(MNIST, 'labels.json'), 'utf8')).labels;
    digits = join(scratch.dir, 'digits.npy');
    writeFileSync(digits, npyBytes(pixels, [classes.length, 28, 28, 1]));
    truth = join(scratch.dir, 'classes.npy');
    writeFileSync(truth, npyBytes(Int32Array.from(classes), [classes.length]));
  });
  after(() => scratch?.cleanup());

  it('RMSE, MAE, L2 relative error and cosine of two lists worked out by hand', () => {
    const d = outputDistances([1, 2, 3, 4], [1, 2, 3, 5]);
    expect(d.rmse).to.be.closeTo(0.5, 1e-12);
    expect(d.mae).to.be.closeTo(0.25, 1e-12);
    expect(d.l2Relative).to.be.closeTo(1 / Math.sqrt(39), 1e-12);
    expect(d.cosine).to.be.closeTo(34 / Math.sqrt(30 * 39), 1e-12);
    expect(outputDistances([0, 0], [0, 0])).to.deep.equal({ rmse: 0, mae: 0, l2Relative: 0, cosine: 1 });
    expect(outputDistances([1, 0], [0, 0]).l2Relative).to.equal(Infinity);
  });

  it('accuracy, agreement and the confusion matrix against the truth, or against the original without it', () => {
    const compiled = [
      [0.9, 0.1, 0],
      [0.2, 0.7, 0.1],
      [0.1, 0.1, 0.8],
      [0.6, 0.3, 0.1],
    ];
    const original = [
      [0.8, 0.2, 0],
      [0.1, 0.8, 0.1],
      [0.1, 0.6, 0.3],
      [0.6, 0.3, 0.1],
    ];
    const withTruth = classAgreement(compiled, original, 3, [0, 1, 1, 2], ['a', 'b', 'c']);
    expect(withTruth).to.deep.equal({
      count: 3,
      labels: ['a', 'b', 'c'],
      rows: 'truth',
      accuracy: { compiled: 0.5, original: 0.75 },
      agreement: 0.75,
      confusion: [
        [1, 0, 0],
        [0, 1, 1],
        [1, 0, 0],
      ],
    });
    const againstOriginal = classAgreement(compiled, original, 3, null, null);
    expect(againstOriginal.rows).to.equal('original');
    expect(againstOriginal.accuracy).to.equal(null);
    expect(againstOriginal.confusion).to.deep.equal([
      [2, 0, 0],
      [0, 1, 1],
      [0, 0, 0],
    ]);
  });

  it('the terminal report stays within 100 columns: long labels give numbered columns, too many classes none', () => {
    const report = (count: number, labels: string[] | null): OriginalComparison => ({
      model: 'int8.tflite',
      original: 'float.tflite',
      data: 'test.npz',
      inputs: 4,
      target: 'host',
      board: null,
      bitExact: { matched: 4, total: 4 },
      outputs: [{ output: 0, name: 'scores', elements: count, rmse: 0.01, mae: 0.005, l2Relative: 0.02, cosine: 0.999 }],
      classes: {
        count,
        labels,
        rows: 'truth',
        accuracy: { compiled: 0.75, original: 1 },
        agreement: 0.75,
        confusion: Array.from({ length: count }, (_, i) => Array.from({ length: count }, (_, j) => (i === j ? 1 : 0))),
      },
    });
    const names = Array.from({ length: 12 }, (_, i) => `class number ${i}`);
    const numbered = formatOriginalComparison(report(12, names));
    expect(numbered)
      .to.include('accuracy: int8 75.0% (3/4), original 100.0% (4/4)')
      .and.match(/\n0 class number\s+1\s+0/);
    const wide = formatOriginalComparison(report(40, null));
    expect(wide).to.include('confusion matrix: 40 classes, too wide to print (--json carries it)');
    for (const text of [numbered, wide]) for (const line of text.split('\n')) expect(line.length, line).to.be.at.most(100);
  });

  it('a float RELU and its int8 twin on the host: the figures of the rounding, worked out by hand', async () => {
    const float = join(scratch.dir, 'relu_float.tflite');
    const int8 = join(scratch.dir, 'relu_int8.tflite');
    writeFileSync(float, writeTflite(reluGraph(false)));
    writeFileSync(int8, writeTflite(reluGraph(true)));
    const x = Float32Array.from([-1, 0.5, 1.2, 2, 0.8, -3]);
    const inputs = join(scratch.dir, 'relu.npy');
    writeFileSync(inputs, npyBytes(x, [2, 3]));
    const classesFile = join(scratch.dir, 'relu_classes.npy');
    writeFileSync(classesFile, npyBytes(Int32Array.from([2, 1]), [2]));
    const r = await compareWithOriginal(int8, { original: float, data: inputs, truthFile: classesFile, target: 'host', classLabels: ['a', 'b', 'c'] });
    // float: [0, 0.5, 1.2], [2, 0.8, 0]; int8 (x rounded to steps of 0.5, then RELU): [0, 0.5, 1], [2, 1, 0]
    expect(r).to.include({ inputs: 2, target: 'host', board: null });
    expect(r.bitExact).to.deep.equal({ matched: 2, total: 2 });
    const o = r.outputs[0]!;
    expect(o).to.include({ output: 0, name: 'y', elements: 3 });
    expect(o.rmse).to.be.closeTo(Math.sqrt(0.08 / 6), 1e-6);
    expect(o.mae).to.be.closeTo(0.4 / 6, 1e-6);
    expect(o.l2Relative).to.be.closeTo(Math.sqrt(0.08 / 6.33), 1e-6);
    expect(o.cosine).to.be.closeTo(6.25 / Math.sqrt(6.25 * 6.33), 1e-6);
    // top-1 of both: class 2 then class 0; the truth says 2 then 1
    expect(r.classes).to.deep.equal({
      count: 3,
      labels: ['a', 'b', 'c'],
      rows: 'truth',
      accuracy: { compiled: 0.5, original: 0.5 },
      agreement: 1,
      confusion: [
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 1],
      ],
    });
  });

  it('the CLI on the MNIST example on the host: --json, and the table with labels', () => {
    const args = ['validate', join(MNIST, 'mnist_cnn_int8.tflite'), '--original', join(MNIST, 'float/model.json'), '--inputs', digits, '-t', 'host'];
    const json = tinyforge([...args, '--labels-file', truth, '--json']);
    expect(json.status, json.stderr).to.equal(0);
    const j = expectSchemaValid(json.stdout, 'validate --original --json');
    expect(j).to.include({ inputs: classes.length, target: 'host', board: null });
    expect(j.bitExact).to.deep.equal({ matched: classes.length, total: classes.length });
    expect(j.outputs).to.have.length(1);
    expect(j.outputs[0]).to.include({ output: 0, name: 'logits', elements: 10 });
    expect(j.outputs[0].cosine).to.be.within(0.99, 1);
    expect(j.outputs[0].l2Relative).to.be.within(0, 0.1);
    expect(j.outputs[0].rmse).to.be.within(0, 0.05);
    expect(j.classes).to.include({ count: 10, rows: 'truth', labels: null });
    // labels.json: the int8 model's predictions are the true classes on these digits
    expect(j.classes.accuracy.compiled).to.equal(1);
    const diagonal = j.classes.confusion.map((row: number[], i: number) => row[i]);
    expect(diagonal.reduce((n: number, v: number) => n + v, 0)).to.equal(classes.length);

    const labels = join(scratch.dir, 'digits.txt');
    writeFileSync(labels, 'zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n');
    const text = tinyforge([...args, '--labels-file', truth, '--labels', labels]);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout)
      .to.match(/0 "logits"\s+10\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(0\.99\d\d|1\.0000)\n/)
      .and.match(/accuracy: int8 100\.0% \(8\/8\), original \d+\.\d% \(\d\/8\)/)
      .and.include("confusion matrix: rows the true class, columns int8's top-1")
      .and.match(/\nnine\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+3\n/)
      .and.include(`int8 outputs on host: all ${classes.length} bit-exact with the host reference`);
    for (const line of text.stdout.split('\n')) expect(line.length, line).to.be.at.most(100);
  });

  it('refuses what does not go together, in one line', () => {
    const model = join(MNIST, 'mnist_cnn_int8.tflite');
    const cases: [string[], string][] = [
      [['--original', join(MNIST, 'float/model.json')], '--original needs --inputs DATA: the inputs both models run'],
      [['--inputs', digits, '--labels-file', truth], '--labels-file goes with --original: the true classes of its --inputs'],
      [['--original', join(MNIST, 'float/model.json'), '--inputs', digits, '--reference', scratch.dir], '--reference does not go with --original'],
    ];
    for (const [args, message] of cases) {
      const r = tinyforge(['validate', model, ...args]);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr.trim()).to.equal(`error: ${message}`);
    }
  });

  it('on the emulated board: the int8 outputs come from the board, bit-exact with the host reference', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const r = tinyforge([
      'validate',
      join(MNIST, 'mnist_cnn_int8.tflite'),
      '--original',
      join(MNIST, 'float/model.json'),
      '--inputs',
      digits,
      '--labels-file',
      truth,
      '--json',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j).to.include({ target: 'cortex-m4', board: 'qemu-mps2-an386' });
    expect(j.bitExact).to.deep.equal({ matched: classes.length, total: classes.length });
    expect(j.classes.accuracy.compiled).to.equal(1);
  });
});
