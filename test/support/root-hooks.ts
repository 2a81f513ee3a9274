// SPDX-License-Identifier: Apache-2.0
/**
 * Mocha root hooks (loaded by .mocharc.json for every test file): the test or hook that is running, so
 * that a helper deep in a call (the oracle without a recorded answer, a shared model that is absent)
 * can skip it with a notice, and at the end one line of how the TFLite Micro oracle was consulted;
 * and the run's cache of the models' own units (below).
 */
import Mocha from 'mocha';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oracleCounts } from '../helpers/oracle_answers.ts';

// The models' own C units are cached for the run (src/lab/toolchain/object_cache.ts), so that a model
// built alike in several tests is compiled once: in the folder scripts/test.mjs shares between its
// processes, else in one of this process's own, removed when it exits. Never across runs. Set but
// empty: no such cache (every model unit compiled).
if (process.env.TINYFORGE_MODEL_UNIT_CACHE === undefined) {
  const units = mkdtempSync(join(tmpdir(), 'tinyforge-test-units-'));
  process.env.TINYFORGE_MODEL_UNIT_CACHE = units;
  process.on('exit', () => rmSync(units, { recursive: true, force: true }));
}

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
