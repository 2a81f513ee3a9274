// SPDX-License-Identifier: Apache-2.0
/**
 * What a test does when something it needs is absent: the shared models, a reference runtime, an
 * optional tool (the Xtensa compilers, Chromium, redis-server, QEMU). On any machine it prints one
 * notice line and skips; on the project's own CI (`.ci/run` sets TINYFORGE_CI=1, after
 * `scripts/setup.sh` installed every tool from apt and with `../shared` beside the checkout) the
 * absence of what setup.sh installs, or of the shared models, fails the test instead, never a
 * silent skip. A user's CI (which sets CI=true, as GitHub's does) is a user's machine: it skips.
 */
import { currentRunnable } from '../support/root-hooks.ts';

/** Whether this is the project's own CI, where an absence is a failure. */
export function absenceFails(): boolean {
  return process.env.TINYFORGE_CI === '1';
}

/**
 * `what` is absent: under the project's CI (when `required`) an error; else one notice line and a
 * skip of `ctx`'s test or hook, or of the one running (a before-all hook: its suite). At describe
 * time, with nothing running, nothing: the test that opens the path skips.
 */
export function skipAbsent(what: string, skipped: string, ctx?: Mocha.Context, required = true): void {
  if (required && absenceFails()) throw new Error(`${what} (required on the project's CI, TINYFORGE_CI=1: scripts/setup.sh installs it)`);
  const runnable = ctx?.runnable() ?? currentRunnable();
  if (!runnable) return;
  console.warn(`  NOTICE: ${what}: ${skipped}`);
  runnable.skip(); // throws: the test or hook ends here
}
