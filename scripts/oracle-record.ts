// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run oracle:record [-- FILE|FOLDER...]`: runs the tests with TensorFlow Lite Micro live
 * (tflm-ref, found as test/helpers/runtimes.ts says) and records every answer they ask for under
 * test/oracle/answers/, so that machines without tflm-ref (CI among them) replay them. Run on the
 * whole suite and passing, it also drops the answers no test asked for any more. Prints what the
 * store holds at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ANSWERS_DIR } from '../test/helpers/oracle_answers.ts';
import { findRuntime, missingRuntimeNotice } from '../test/helpers/runtimes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const files = process.argv.slice(2);

if (!findRuntime('tflm-ref')) {
  console.error(`oracle:record: ${missingRuntimeNotice('tflm-ref', 'nothing can be recorded without it')}`);
  process.exit(2);
}

/** Every recorded answer: key -> path. */
function storedAnswers(): Map<string, string> {
  const answers = new Map<string, string>();
  if (!existsSync(ANSWERS_DIR)) return answers;
  for (const bucket of readdirSync(ANSWERS_DIR)) {
    const dir = join(ANSWERS_DIR, bucket);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.json.gz')) answers.set(f.slice(0, -'.json.gz'.length), join(dir, f));
  }
  return answers;
}

const work = mkdtempSync(join(tmpdir(), 'tinyforge-oracle-record-'));
const used = join(work, 'used.txt');
let status: number;
try {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'test.mjs'), ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TINYFORGE_ORACLE: 'record', TINYFORGE_ORACLE_USED: used },
  });
  status = run.status ?? 1;
  const asked = new Set(existsSync(used) ? readFileSync(used, 'utf8').split('\n').filter(Boolean) : []);
  const stored = storedAnswers();
  let dropped = 0;
  if (files.length === 0 && status === 0) {
    for (const [key, path] of stored) {
      if (asked.has(key)) continue;
      rmSync(path);
      stored.delete(key);
      dropped++;
    }
  } else if (files.length === 0) {
    console.log('oracle:record: the suite did not pass, so no answer is dropped');
  }
  const bytes = [...stored.values()].reduce((n, p) => n + statSync(p).size, 0);
  console.log(
    `oracle:record: ${asked.size} answers asked for; ${stored.size} recorded in test/oracle/answers (${(bytes / 1024 / 1024).toFixed(2)} MB)${dropped ? `, ${dropped} no longer asked for dropped` : ''}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
