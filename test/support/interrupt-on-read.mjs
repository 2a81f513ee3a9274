// SPDX-License-Identifier: Apache-2.0
/**
 * Preloaded (`node --import`) into a CLI process by test/cli/interrupt.test.ts: the moment the process
 * reads the file named by TINYFORGE_TEST_INTERRUPT_ON_READ, it sends itself SIGINT. The signal is then
 * pending while the synchronous compile runs, as a Ctrl-C typed during it would be, whatever the
 * machine's speed: a fixed delay lands before the CLI has loaded on a busy machine and after the
 * compile has finished on a fast one.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';

const target = process.env.TINYFORGE_TEST_INTERRUPT_ON_READ;
if (target) {
  const readFileSync = fs.readFileSync;
  let sent = false;
  fs.readFileSync = function (path, ...rest) {
    const bytes = readFileSync.call(this, path, ...rest);
    if (!sent && typeof path === 'string' && resolve(path) === resolve(target)) {
      sent = true;
      process.kill(process.pid, 'SIGINT');
    }
    return bytes;
  };
  // ES modules importing { readFileSync } from 'node:fs' see the wrapper too
  syncBuiltinESMExports();
}
