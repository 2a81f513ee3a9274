// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { elementCount } from '../../src/core/ir/graph.ts';

const EXAMPLE_DIR = resolve(import.meta.dirname, '../../examples/mnist');

interface ExampleSummary {
  model: string;
  digits: string;
  bytesPerDigit: number;
  labels: number[];
  int8Predictions: number[];
  int8Accuracy: number;
}

/** The files `examples/mnist/make_model.ts` ships: they must still agree with each other. */
describe('examples/mnist: the shipped int8 model and digits', () => {
  const summary = JSON.parse(readFileSync(join(EXAMPLE_DIR, 'labels.json'), 'utf8')) as ExampleSummary;

  it('is an int8 model of the TFLite op set that prepareGraph accepts', () => {
    const graph = readTflite(join(EXAMPLE_DIR, summary.model));
    expect(graph.name).to.equal('mnist_cnn_int8');
    expect(graph.ops.map((op) => op.kind)).to.deep.equal([
      'CONV_2D',
      'DEPTHWISE_CONV_2D',
      'CONV_2D',
      'AVERAGE_POOL_2D',
      'RESHAPE',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ]);
    const input = graph.tensors[graph.inputs[0]!]!;
    expect(input.dtype).to.equal('int8');
    expect(elementCount(input.shape)).to.equal(summary.bytesPerDigit);
    expect(() => prepareGraph(graph)).to.not.throw();
  });

  it('classifies the shipped digits as labels.json records, under the reference interpreter', () => {
    const prepared = prepareGraph(readTflite(join(EXAMPLE_DIR, summary.model)));
    const digits = readFileSync(join(EXAMPLE_DIR, summary.digits));
    expect(digits.length).to.equal(summary.labels.length * summary.bytesPerDigit);
    const predicted = summary.labels.map((_, i) => {
      const input = new Uint8Array(digits.subarray(i * summary.bytesPerDigit, (i + 1) * summary.bytesPerDigit));
      const scores = new Int8Array(interpret(prepared, [input]).outputs[0]!.buffer);
      return scores.indexOf(Math.max(...scores));
    });
    expect(predicted).to.deep.equal(summary.int8Predictions);
    // a model that learned: the shipped digits are right but for at most one, and the test accuracy is high
    expect(predicted.filter((p, i) => p === summary.labels[i]).length).to.be.at.least(summary.labels.length - 1);
    expect(summary.int8Accuracy).to.be.at.least(0.9);
  });
});
