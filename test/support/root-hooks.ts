// SPDX-License-Identifier: Apache-2.0
/**
 * Mocha root hooks (loaded by .mocharc.json for every test file): the test that is running, so that
 * a helper deep in a call (the oracle without a recorded answer) can skip it with a notice, and at
 * the end one line of how the TFLite Micro oracle was consulted.
 */
import { oracleCounts } from '../helpers/oracle_answers.ts';

// on globalThis: mocha loads this file with --require, the tests import it, and the two must agree
const slot = globalThis as { tinyforgeCurrentTest?: Mocha.Test };

/** The test now running (undefined in before/after hooks). */
export function currentTest(): Mocha.Test | undefined {
  return slot.tinyforgeCurrentTest;
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
