// SPDX-License-Identifier: Apache-2.0
/**
 * The build gate: every shared model, and a keyword-spotting DS-CNN built in code, compiled for every
 * target in targets/ with that target's own toolchain and flags (-Werror included); not one
 * diagnostic allowed. The firmware is built and linked where it is built here (host, Cortex-M,
 * RP2040, ESP32-C3: the harness with the model, as `run` builds it), the model's C compile-checked
 * for Xtensa (ESP32, ESP32-S3). A model too big for a board (person_detect on the micro:bit) has its
 * C compiled alone there. src/lab/toolchain/gate.ts's compileForEveryTarget does the work; the fuzzer calls
 * it on fuzzed models.
 */
import { expect } from 'chai';
import { listTargets, loadTarget } from '../../src/core/targets/targets.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { compileForEveryTarget, type GateResult } from '../../src/lab/toolchain/gate.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { SHARED_MODEL_NAMES, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { FAKE_MODEL_DIR, atInvokeStart, fakeModelVariant, scratchDir } from './helpers.ts';
import { lstmGraph } from '../helpers/lstm_cases.ts';
import { prunedWeights } from '../helpers/sparse_cases.ts';
import { rng } from '../helpers/op_harness.ts';

function expectClean(result: GateResult, what: string): void {
  expect(result.failures, `${what}: ${result.failures.join('\n')}`).to.deep.equal([]);
  expect(result.targets.map((t) => t.target)).to.deep.equal(listTargets());
  for (const t of result.targets) {
    if (t.mode === 'skipped') continue; // toolchain missing on a user's machine (a failure under CI)
    expect(t.mode, t.target).to.equal(t.target.startsWith('esp32') && t.target !== 'esp32c3' ? 'compile' : 'link');
    // <name>.c and <name>_weights.c
    expect(
      t.files.filter((f) => f.endsWith('_weights.c')),
      t.target,
    ).to.have.length(1);
    expect(t.files, t.target).to.include(t.files.find((f) => f.endsWith('_weights.c'))!.replace(/_weights\.c$/, '.c'));
  }
}

describe('build gate: every model, every target, no warning', function () {
  let scratch: ReturnType<typeof scratchDir>;
  before(() => {
    scratch = scratchDir('gate');
  });
  after(() => scratch?.cleanup());

  it('the KWS DS-CNN (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, FULLY_CONNECTED 64 -> 12, SOFTMAX)', async () => {
    expectClean(await compileForEveryTarget(kwsDsCnn(), { link: true }), 'kws_ds_cnn');
  });

  it('a pruned LSTM under --prefer size (the sparse gate-weight kernel, unidirectional_sequence_lstm/sparse.ts)', async () => {
    const rand = rng(3);
    const weights = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => prunedWeights(rand, 20 * (k < 4 ? 28 : 20), 0.9));
    const { graph } = lstmGraph({ batches: 1, steps: 4, inputSize: 28, units: 20, inZp: 5, hZp: -2, cellClip: 1, weights });
    graph.name = 'lstm_sparse_gate';
    for (const target of ['cortex-m4', 'rp2040', 'esp32c3'])
      expect(compileGraph(graph, 'lstm_sparse_gate.tflite', { isa: loadTarget(target).isa, prefer: 'size' }).prepared.layers[0]!.variant.name, target).to.equal(
        'sparse',
      );
    expectClean(await compileForEveryTarget(graph, { link: true, prefer: 'size' }), 'lstm_sparse_gate');
  });

  for (const name of SHARED_MODEL_NAMES) {
    it(name, async function () {
      if (!sharedModelsAvailable(this)) return;
      expectClean(await compileForEveryTarget(sharedModelPath(name), { link: true }), name);
    });
  }

  it('fails on a single warning, naming the target and the warning', async () => {
    const dir = fakeModelVariant(scratch.dir, 'warns', atInvokeStart('int unused_here;'));
    const result = await compileForEveryTarget(dir, { targets: ['host', 'cortex-m4', 'esp32'], requireToolchains: false });
    const ran = result.targets.filter((t) => t.mode !== 'skipped');
    expect(ran.length).to.be.greaterThan(0);
    expect(result.ok).to.equal(false);
    for (const t of ran) {
      expect(t.ok, t.target).to.equal(false);
      expect(t.diagnostics.join('\n'), t.target).to.match(/unused variable 'unused_here'/);
    }
    expect(result.failures.map((f) => f.split(':')[0])).to.deep.equal(ran.map((t) => t.target));
  });

  it('a clean model directory passes, linked or compiled only', async () => {
    for (const link of [false, true]) {
      const result = await compileForEveryTarget(FAKE_MODEL_DIR, { targets: ['host', 'cortex-m0', 'esp32s3'], link, requireToolchains: false });
      expect(result.failures, `link ${link}`).to.deep.equal([]);
      expect(result.targets.filter((t) => t.mode !== 'skipped').every((t) => t.files.includes('model.c'))).to.equal(true);
    }
  });
});
