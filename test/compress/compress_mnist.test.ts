// SPDX-License-Identifier: Apache-2.0
/**
 * The compression recipe on real data (MNIST digits from the `mnist` package): a small CNN trained
 * here, pruned to 70% sparsity with fine-tuning, quantized to int8, compiled for the Cortex-M4 and
 * run on the emulated board, where its predictions on 200 held-out digits must equal the host int8
 * reference exactly; and the sparse kernels measured against the dense ones on the same weights.
 */
import { expect } from 'chai';
import { formatCompressReport } from '../../src/face/report/compress.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { compressModel, type CompressReport } from '../../src/compress/pipeline.ts';
import { TrainableGraph } from '../../src/compress/trainable.ts';
import { floatMetric, int8Metric, taskFor } from '../../src/compress/task.ts';
import { weightSparsity } from '../../src/compress/prune.ts';
import { quantizeInput } from '../../src/compress/ptq.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { Dataset } from '../../src/lab/data/dataset.ts';
import { requireTools } from '../build/helpers.ts';
import { mnistData, trainedMnistCnn } from './mnist_fixture.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';

/** run --json counts instructions between two SysTick reads: the same binary varies by tens run to run */
const SYSTICK_NOISE = 200;

describe('compress: a CNN trained on real MNIST digits, pruned, quantized and run on the emulated Cortex-M4', function () {
  let dir: string;
  let float: Graph;
  let train: Dataset;
  let test: Dataset;
  let floatAccuracy: number;
  let report: CompressReport;
  let int8: Graph;

  before(async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-compress-'));
    ({ train, test } = mnistData());
    float = await trainedMnistCnn();
    const model = new TrainableGraph(float);
    floatAccuracy = (await floatMetric(model, test, taskFor(float, test))).value;
    model.dispose();
    ({ report, int8 } = await compressModel(float, train, test, taskFor(float, train), {
      target: 'cortex-m4',
      sparsity: 0.7,
      epochs: 3,
      learningRate: 0.002,
      seed: 5,
      deviceSamples: 200,
      // the flash saving is the point here: at 70% zeros the sparse FC is smaller but slower on the M4
      prefer: 'size',
      output: join(dir, 'mnist_compressed_int8.tflite'),
    }));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trained a float model worth compressing (>= 90% on 500 held-out digits)', () => {
    expect(test.count).to.equal(500);
    expect(floatAccuracy).to.be.at.least(0.9);
    expect(report.steps[0]!.accuracy).to.equal(floatAccuracy);
  });

  it('prunes to at least 70% sparsity, and the int8 model loses at most 1 point against its float self', () => {
    expect(report.steps.map((s) => s.name)).to.deep.equal(['float', 'prune', 'quantize (int8)']);
    const [, pruned, quantized] = report.steps;
    expect(pruned!.sparsity).to.be.at.least(0.7);
    expect(quantized!.sparsity).to.be.at.least(0.7);
    expect(weightSparsity(int8)).to.be.at.least(0.7);
    expect(quantized!.accuracy!, `int8 ${quantized!.accuracy} vs float ${floatAccuracy}`).to.be.at.least(floatAccuracy - 0.01);
  });

  it('writes a standard int8 .tflite that reads back as the same graph', () => {
    expect({ ...readTflite(report.output), name: int8.name }).to.deep.equal(int8);
  });

  it('on the board, the predictions on 200 held-out digits equal the host int8 reference exactly', async () => {
    expect(report.deviceCases).to.equal(200);
    expect(report.deviceMatchesHost).to.equal(true);
    expect(report.deviceAccuracy).to.equal(report.hostInt8Accuracy);
    expect(report.deviceAccuracy!).to.be.at.least(0.85);
    // the host side independently: the reference interpreter's top-1 on the same 200 digits
    const prepared = prepareGraph(int8);
    const size = test.x.length / test.count;
    const labels = (test.labels as { values: Int32Array }).values;
    let correct = 0;
    for (let n = 0; n < 200; n++) {
      const out = new Int8Array(interpret(prepared, [quantizeInput(int8, test.x.subarray(n * size, (n + 1) * size))]).outputs[0]!.buffer);
      if (out.indexOf(Math.max(...out)) === labels[n]) correct++;
    }
    expect(correct / 200).to.equal(report.hostInt8Accuracy);
    expect(report.counter!.kind).to.equal('instructions');
    expect(report.fits.ok).to.equal(true);
  });

  // The sparse kernel walks nonzeros one at a time (about 7 instructions each). Without SIMD it
  // beats the dense loop from half zeros on; against the M4's SMLAD loops (about 1.2 instructions a
  // weight) only from about 85% zeros, so at 70% --prefer speed keeps the M4's dense kernel and
  // --prefer size (this compress run) takes the flash saving.
  it('compiles the pruned dense layer to a sparse encoding: less flash, fewer instructions on the M3; on the M4 the chooser keeps dense under speed', async () => {
    const generated = compileGraph(int8).generated.files;
    const source = generated.map((f) => f.text).join('\n');
    expect(source).to.match(/FULLY_CONNECTED .*sparse: 7\d\.\d% zeros/);
    const cases = [[quantizeInput(int8, test.x.subarray(0, 784))]];
    const denseOnly = { sparse: 'off' } as const;
    expect(
      compileGraph(int8, int8.name, { kernels: denseOnly })
        .generated.files.map((f) => f.text)
        .join('\n'),
    ).to.not.include('sparse:');
    const dense = await runModel(report.output, { target: 'cortex-m4', cases, kernels: denseOnly });
    const denseM3 = await runModel(report.output, { target: 'cortex-m3', cases, kernels: denseOnly });
    const sparse = report.steps.at(-1)!;
    const sparseM3 = await runModel(report.output, { target: 'cortex-m3', cases });
    // every kernel equals the reference interpreter on the board, so they equal each other
    expect(dense.matchesReference).to.equal(true);
    expect(denseM3.matchesReference).to.equal(true);
    expect(sparseM3.matchesReference).to.equal(true);
    expect(sparse.flash, `sparse flash ${sparse.flash} vs dense ${dense.memory.flash}`).to.be.below(dense.memory.flash - 2000);
    expect(sparseM3.perInference!, `M3: sparse ${sparseM3.perInference} vs dense ${denseM3.perInference} instructions`).to.be.below(denseM3.perInference!);
    // the choice itself: under speed the M4 compiles the very C of the dense build (sparse kernels off)
    const m4 = loadTarget('cortex-m4').isa;
    // the banners differ in the choices they record (--prefer speed, --sparse-kernels off); the C does not
    const m4Source = (options: { prefer?: 'speed'; kernels?: { sparse: 'off' } }) =>
      compileGraph(int8, int8.name, { isa: m4, ...options })
        .generated.files.map((f) => f.text.replace(/^(?: \*|#)\s+choices: .*\n/gm, ''))
        .join('\n');
    // (both under speed: the default may run layers in row bands, a memory choice, not the kernels')
    expect(m4Source({ prefer: 'speed' })).to.equal(m4Source({ prefer: 'speed', kernels: denseOnly }));
    const speedM4 = await runModel(report.output, { target: 'cortex-m4', cases, prefer: 'speed' });
    expect(speedM4.matchesReference).to.equal(true);
    // the same code on the board; run's SysTick-window count moves by tens of instructions run to run
    expect(
      Math.abs(speedM4.perInference! - dense.perInference!),
      `M4 --prefer speed: ${speedM4.perInference} vs dense ${dense.perInference} instructions`,
    ).to.be.at.most(SYSTICK_NOISE);
  });

  it('measures every step: weights, MACs, arena, and the int8 step on the board', () => {
    for (const s of report.steps) {
      expect(s.weights).to.equal(8112);
      expect(s.macs).to.be.above(50_000);
      expect(s.arena).to.be.above(0);
    }
    const last = report.steps.at(-1)!;
    expect(last.measured).to.equal(true);
    expect(last.perInference!).to.be.above(50_000);
    // int8 activations in a planned arena: well under the float model's float32 peak
    expect(last.arena).to.be.below(report.steps[0]!.arena / 2);
  });

  it('says which model the pruning step kept (the better on held-out digits), and counts the MACs the kernels execute', () => {
    const prune = report.steps.find((s) => s.name === 'prune')!;
    const { kept, before, after } = prune.fineTuning!;
    expect(prune.accuracy).to.equal(kept === 'after' ? after : before);
    expect(prune.accuracy).to.equal(Math.max(before, after));
    // MACs are what the kernels execute: under --prefer size the pruned layers take the smallest
    // storage (sparse or Huffman-coded rows skip the zeros; palette and int4 run every weight), never
    // more than the compiled dense count of the first int8 step
    const int8Steps = report.steps.filter((s) => s.measured);
    expect(report.steps.at(-1)!.macs).to.be.at.most(int8Steps[0]!.macs);
    expect(formatCompressReport(report)).to.match(/prune: kept the (fine-tuned model|model from BEFORE fine-tuning)/);
  });

  it('evaluates the int8 model on the host as the board computes it (int8Metric = reference interpreter)', async () => {
    const m = await int8Metric(int8, test, taskFor(int8, test));
    expect(m.value).to.equal(report.steps.at(-1)!.accuracy);
  });
});
