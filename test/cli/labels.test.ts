// SPDX-License-Identifier: Apache-2.0
/**
 * Class labels: a labels file (one a line, a JSON array, {"labels": [...]}), a count that does not fit
 * the output as one line naming the file and the tensor, the labels table `compile --labels` writes
 * in the model header (compiling under -std=c99 -Wall -Wextra -Wpedantic -Werror, used or not), and
 * `run --labels` printing each input's top class with its label and score.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { compileFile } from '../../src/core/compile.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { checkLabelCount, formatTopClass, readClassLabels, topClass } from '../../src/lab/data/labels.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';

const MODEL = resolve(import.meta.dirname, '../../examples/mnist/mnist_cnn_int8.tflite');
const DIGITS = resolve(import.meta.dirname, '../../examples/mnist/digits.bin');
const DIGIT_CLASSES: number[] = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/mnist/labels.json'), 'utf8')).labels;
const NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

function errorOf(body: () => unknown): string {
  try {
    body();
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    return (e as Error).message;
  }
  return expect.fail('expected an error');
}

describe('class labels: --labels FILE', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const write = (name: string, text: string) => {
    const path = join(scratch.dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => {
    scratch = scratchDir('labels');
  });
  after(() => scratch?.cleanup());

  it('reads one label a line, a JSON array or {"labels": [...]}; refuses an empty or malformed file', () => {
    expect(readClassLabels(write('lines.txt', 'cat\r\n\n dog \nbird\n'))).to.deep.equal(['cat', 'dog', 'bird']);
    expect(readClassLabels(write('array.json', '["cat", "dog", 3]'))).to.deep.equal(['cat', 'dog', '3']);
    expect(readClassLabels(write('object.json', '{"labels": ["cat", "dog"]}'))).to.deep.equal(['cat', 'dog']);
    // a JSON array in a file of any name
    expect(readClassLabels(write('labels.txt', '["a", "b"]\n'))).to.deep.equal(['a', 'b']);
    const empty = write('empty.txt', '\n\n');
    expect(errorOf(() => readClassLabels(empty))).to.equal(`${empty}: no labels in the file (one label a line, or a JSON array)`);
    const bad = write('bad.json', '{"names": ["a"]}');
    expect(errorOf(() => readClassLabels(bad))).to.equal(`${bad}: expected a JSON array of labels or {"labels": [...]}`);
    const nested = write('nested.json', '[["a"]]');
    expect(errorOf(() => readClassLabels(nested))).to.equal(`${nested}: label 0 is ["a"]; expected a string`);
    expect(errorOf(() => readClassLabels(join(scratch.dir, 'none.txt')))).to.equal(`${join(scratch.dir, 'none.txt')}: no such labels file`);
  });

  it("a count other than the output's is one line naming the file and the tensor", () => {
    const graph = loadGraph(MODEL);
    expect(errorOf(() => checkLabelCount(graph, ['a', 'b'], 'two.txt'))).to.equal('two.txt: 2 labels for output tensor 16 "logits" of 10 elements');
    checkLabelCount(graph, NAMES, 'ten.txt');
  });

  it('the top class: largest element, its label and dequantized score (a softmax as a probability)', () => {
    const graph = loadGraph(MODEL);
    const raw = [-128, -128, 127, -128, -128, -128, -128, -128, -128, -100];
    const top = topClass(graph, raw, NAMES);
    const q = graph.tensors[graph.outputs[0]!]!.quant!;
    expect(top).to.deep.equal({ index: 2, label: 'two', score: q.scale[0]! * (127 - q.zeroPoint[0]!) });
    expect(formatTopClass(top, true)).to.equal('2 "two" 99.6%');
    expect(formatTopClass({ ...top, label: null }, false)).to.equal('2 0.9961');
    // a long label is cut for the terminal
    expect(formatTopClass({ ...top, label: 'a'.repeat(40) }, true)).to.equal(`2 "${'a'.repeat(23)}…" 99.6%`);
  });

  it('compile --labels: a labels table in the model header that compiles, used or not', function () {
    const compiled = compileFile(MODEL, { labels: [...NAMES.slice(0, 9), 'nine "9"??'] });
    const header = compiled.generated.files.find((f) => f.role === 'header')!.text;
    expect(header)
      .to.include('#define TF_MNIST_CNN_INT8_NUM_LABELS 10')
      .and.include('static const char *const tf_mnist_cnn_int8_labels[TF_MNIST_CNN_INT8_NUM_LABELS] = {\n  "zero",\n  "one",')
      .and.include('  "nine \\"9\\"?\\?",\n};')
      .and.include('#define tf_model_labels tf_mnist_cnn_int8_labels');
    // no labels: no table
    expect(compileFile(MODEL).generated.files.find((f) => f.role === 'header')!.text).not.to.include('_labels');
    // the core checks the count too (a library caller reads no file)
    expect(errorOf(() => compileFile(MODEL, { labels: ['a'] }))).to.equal('1 labels for output tensor 16 "logits" of 10 elements');

    if (spawnSync('gcc', ['--version']).status !== 0) this.skip();
    const dir = join(scratch.dir, 'c');
    const out = tinyforge(['compile', MODEL, '-t', 'host', '-o', dir, '--labels', write('digits.txt', NAMES.join('\n'))]);
    expect(out.status, out.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'mnist_cnn_int8.h'), 'utf8')).to.include('tf_mnist_cnn_int8_labels[TF_MNIST_CNN_INT8_NUM_LABELS]');
    writeFileSync(join(dir, 'unused.c'), '#include "mnist_cnn_int8.h"\nint main(void) { return 0; }\n');
    writeFileSync(
      join(dir, 'used.c'),
      '#include <stdio.h>\n#include "mnist_cnn_int8.h"\nint main(void) { puts(tf_model_labels[TF_MODEL_NUM_LABELS - 1]); return 0; }\n',
    );
    for (const file of ['unused.c', 'used.c', 'mnist_cnn_int8.c']) {
      const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-c', file, '-o', '/dev/null'], { cwd: dir, encoding: 'utf8' });
      expect(cc.status, `${file}: ${cc.stderr}`).to.equal(0);
    }
  });

  it('the Node API: compile(model, { labels }) writes the table without a client, and names a file that does not fit', async () => {
    const { compile } = await import('../../src/index.ts');
    const result = await compile(MODEL, { target: 'cortex-m4', labels: write('api.txt', NAMES.join('\n')) });
    expect(result.client).to.equal(null);
    expect(result.generated.files.find((f) => f.role === 'header')!.text).to.include('#define TF_MNIST_CNN_INT8_NUM_LABELS 10');
    const two = write('api-two.json', '["a", "b"]');
    let message = '';
    await compile(MODEL, { labels: two }).catch((e: Error) => (message = e.message));
    expect(message).to.equal(`${two}: 2 labels for output tensor 16 "logits" of 10 elements`);
  });

  it('compile and run refuse labels that do not fit the output, naming the file and the tensor', () => {
    const three = write('three.txt', 'a\nb\nc\n');
    const c = tinyforge(['compile', MODEL, '-o', join(scratch.dir, 'refused'), '--labels', three]);
    expect(c.status).to.equal(1);
    expect(c.stderr.trim()).to.equal(`error: ${three}: 3 labels for output tensor 16 "logits" of 10 elements`);
    const r = tinyforge(['run', MODEL, '-t', 'host', '--labels', three]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(`error: ${three}: 3 labels for output tensor 16 "logits" of 10 elements`);
  });

  it("run --labels: each input's top class, label and probability beside the raw values; --json carries top", () => {
    const labels = write('digits.json', JSON.stringify({ labels: NAMES }));
    const text = tinyforge(['run', MODEL, '-t', 'host', '--input', DIGITS, '--labels', labels]);
    expect(text.status, text.stderr).to.equal(0);
    const rows = text.stdout.split('\n').filter((l) => /^\s+\d+\s+\d "/.test(l));
    expect(rows).to.have.length(DIGIT_CLASSES.length);
    rows.forEach((row, i) => expect(row).to.match(new RegExp(`^\\s+${i}\\s+${DIGIT_CLASSES[i]} "${NAMES[DIGIT_CLASSES[i]!]}" \\d+\\.\\d%\\s+\\[`)));
    expect(text.stdout).to.match(/case\s+top class\s+outputs/);

    const json = tinyforge(['run', MODEL, '-t', 'host', '--input', DIGITS, '--labels', labels, '--json']);
    expect(json.status, json.stderr).to.equal(0);
    const j = JSON.parse(json.stdout);
    expect(j.top).to.include({ index: DIGIT_CLASSES[0], label: NAMES[DIGIT_CLASSES[0]!] });
    expect(j.top.score).to.be.within(0.5, 1);
    expect(j.cases.map((c: { top: { index: number } }) => c.top.index)).to.deep.equal(DIGIT_CLASSES);
  });

  it("profile --labels: the profiled input's top class, in the table and in --json", function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const labels = write('profile.txt', NAMES.join('\n'));
    const first = write('first.bin', '');
    writeFileSync(first, readFileSync(DIGITS).subarray(0, 784));
    const r = tinyforge(['profile', MODEL, '--input', first, '--labels', labels, '--no-estimate', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.top).to.include({ index: DIGIT_CLASSES[0], label: NAMES[DIGIT_CLASSES[0]!] });
  });
});
