// SPDX-License-Identifier: Apache-2.0
/**
 * Mocha root hooks (loaded by .mocharc.json for every test file): the test or hook that is running, so
 * that a helper deep in a call (the oracle without a recorded answer, a shared model that is absent)
 * can skip it with a notice, and at the end one line of how the TFLite Micro oracle was consulted;
 * and the run's scratch folder (below).
 */
import Mocha from 'mocha';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oracleCounts } from '../helpers/oracle_answers.ts';

// The run's scratch folder, removed at its end: the one scripts/test.mjs shares between its processes,
// else one of this process's own. In it the models' own C units are cached for the run
// (src/lab/toolchain/object_cache.ts), so that a model built alike in several tests is compiled once
// (TINYFORGE_MODEL_UNIT_CACHE set but empty: no such cache), and test fixtures that are the same in
// every process (test/compress/mnist_fixture.ts's trained CNN) are made once. Never across runs.
if (process.env.TINYFORGE_TEST_RUN_DIR === undefined) {
  const run = mkdtempSync(join(tmpdir(), 'tinyforge-test-run-'));
  process.env.TINYFORGE_TEST_RUN_DIR = run;
  process.on('exit', () => rmSync(run, { recursive: true, force: true }));
}
process.env.TINYFORGE_MODEL_UNIT_CACHE ??= join(process.env.TINYFORGE_TEST_RUN_DIR, 'model-units');

// on globalThis: mocha loads this file with --require, the tests import it, and the two must agree
const slot = globalThis as { tinyforgeCurrentTest?: Mocha.Test; tinyforgeCurrentRunnable?: Mocha.Runnable; tinyforgeRunPatched?: boolean };

// Every test and hook passes through Runnable#run; mocha runs them one at a time, so the last one
// started is the one whose code is running (an awaited step included) until the next starts.
if (!slot.tinyforgeRunPatched) {
  slot.tinyforgeRunPatched = true;
  const run = Mocha.Runnable.prototype.run;
  Mocha.Runnable.prototype.run = function (this: Mocha.Runnable, fn: Parameters<typeof run>[0]) {
    slot.tinyforgeCurrentRunnable = this;
    return run.call(this, fn);
  };
}

/** The test now running (undefined in before/after hooks). */
export function currentTest(): Mocha.Test | undefined {
  return slot.tinyforgeCurrentTest;
}

/**
 * The test or hook now running, or undefined while mocha loads the test files (describe time). Its
 * skip() marks it pending: a test is skipped, a before-all hook skips its suite's tests.
 */
export function currentRunnable(): Mocha.Runnable | undefined {
  return slot.tinyforgeCurrentRunnable;
}

export const mochaHooks = {
  beforeEach(this: Mocha.Context) {
    slot.tinyforgeCurrentTest = this.currentTest;
  },
  afterEach() {
    slot.tinyforgeCurrentTest = undefined;
  },
  afterAll() {
    const { live, replayed, missing, tests } = oracleCounts;
    if (live + replayed + missing > 0)
      console.log(
        `  TFLite Micro oracle: ${live} run(s) live, ${replayed} answer(s) replayed from test/oracle/answers in ${tests.size} test(s), ${missing} without a recorded answer (skipped)`,
      );
  },
};
