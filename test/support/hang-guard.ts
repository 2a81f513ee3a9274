// SPDX-License-Identifier: Apache-2.0
/**
 * The one wall-clock limit on test code: a guard against a hang, never a check of speed (speed is
 * `npm run bench`'s). Every mocha test and hook gets it (`.mocharc.json`'s timeout; no test sets a
 * smaller one), and so does every child process a test waits for synchronously, where mocha's own
 * timer cannot fire. It is sized from the measured times with a wide margin: at least 4x the slowest
 * test file's whole time alone in `test/support/test-times.json` (a file's tests together), so a
 * 2-core machine busy with another job of the same size still finishes far inside it.
 * `test/hygiene.test.ts` holds all of this.
 */
export const HANG_GUARD_MS = 900_000;
