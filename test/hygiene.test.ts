// SPDX-License-Identifier: Apache-2.0
/**
 * Hygiene the field expects, checked on every run: the license, an SPDX line in every source file,
 * and the formatters (prettier for TypeScript, clang-format for the hand-written C) finding nothing
 * to change. `npm run format` fixes the last two.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HANG_GUARD_MS } from './support/hang-guard.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');

function tracked(...patterns: string[]): string[] {
  return execFileSync('git', ['ls-files', '-z', '--', ...patterns], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f.length > 0 && existsSync(join(ROOT, f)));
}

const TS_SOURCES = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts'];
const C_SOURCES = ['src/**/*.h', 'src/**/*.c', 'firmware/**/*.c', 'firmware/**/*.h', 'tools/**/*.c', 'tools/**/*.h'];
// assembly is checked for its SPDX line; clang-format does not format it
const ASM_SOURCES = ['src/**/*.S', 'firmware/**/*.S'];
// flatc's output is regenerated, not edited
// the first commit whose successors keep subjects to 72 characters
const SUBJECT_RULE_SINCE = '97250c0';
const GENERATED = /^src\/core\/model\/tflite\/generated\//;

describe('hygiene: license, SPDX lines, formatting', function () {
  it('ships the Apache-2.0 license that package.json names', () => {
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).to.match(/Apache License\s+Version 2\.0/);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).license).to.equal('Apache-2.0');
  });

  it('every source file carries an SPDX line in its first lines', () => {
    const missing = tracked(...TS_SOURCES, ...C_SOURCES, ...ASM_SOURCES, 'src/**/*.fbs')
      .filter((f) => !GENERATED.test(f))
      .filter(
        (f) =>
          !readFileSync(join(ROOT, f), 'utf8')
            .split('\n')
            .slice(0, 20)
            .some((l) => l.includes('SPDX-License-Identifier: Apache-2.0')),
      );
    expect(missing, 'files without an SPDX-License-Identifier line').to.deep.equal([]);
  });

  it('prettier finds nothing to change in the TypeScript', () => {
    const files = tracked(...TS_SOURCES).filter((f) => !GENERATED.test(f));
    try {
      execFileSync(join(BIN, 'prettier'), ['--check', '--log-level', 'warn', ...files], { cwd: ROOT, stdio: 'pipe' });
    } catch (e) {
      const out = e as { stdout?: Buffer; stderr?: Buffer };
      expect.fail(`prettier would reformat (run npm run format):\n${out.stderr?.toString() ?? ''}${out.stdout?.toString() ?? ''}`);
    }
  });

  it('commit subjects are at most 72 characters, so `git log --oneline` reads on one line', function () {
    // the rule holds from the first commit of the layered source tree on; older subjects stay as git has them
    let subjects: string[];
    try {
      subjects = execFileSync('git', ['log', '--format=%s', `${SUBJECT_RULE_SINCE}..HEAD`], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
        .split('\n')
        .filter((s) => s.length > 0);
    } catch {
      console.log('    (skipped: the history before the rule is not in this clone)');
      this.skip();
    }
    expect(
      subjects.filter((s) => [...s].length > 72),
      'commit subjects over 72 characters',
    ).to.deep.equal([]);
  });

  it('clang-format finds nothing to change in the hand-written C', () => {
    // one clang-format process for every file (its npm wrapper is a node start per call): it exits
    // non-zero if any file would change and names each one in a `file:line:col: error:` diagnostic
    const files = tracked(...C_SOURCES);
    let unformatted: string[] = [];
    try {
      execFileSync(join(BIN, 'clang-format'), ['--dry-run', '--Werror', ...files], { cwd: ROOT, stdio: 'pipe' });
    } catch (e) {
      const out = e as { stdout?: Buffer; stderr?: Buffer };
      const text = `${out.stderr?.toString() ?? ''}${out.stdout?.toString() ?? ''}`;
      unformatted = files.filter((f) => text.includes(`${f}:`));
      if (unformatted.length === 0) expect.fail(`clang-format failed without naming a file:\n${text}`);
    }
    expect(unformatted, 'C files clang-format would change (run npm run format)').to.deep.equal([]);
  });
});

/** Test code: what `npm test` runs, and the helpers it imports. */
const TEST_CODE = ['test/**/*.ts', 'test/**/*.mjs', 'test/**/*.cjs', 'src/**/*.test.ts'];
/** The helpers that alone decide how a test meets an absence (see each one's header). */
const ABSENCE_HELPERS = new Set(['test/helpers/shared.ts', 'test/helpers/absent.ts', 'test/hygiene.test.ts']);

/** Ways into `../shared` other than test/helpers/shared.ts: a path literal, a join of 'shared', its old constants. */
const SHARED_ROUTES: [RegExp, string][] = [
  [/['"`](\.\.\/)+shared\b|\/\.\.\/shared\b/, 'a path literal into ../shared'],
  [/\b(join|resolve)\([^)]*['"`]shared['"`]/, "a join or resolve of 'shared'"],
  [/\bSHARED_(DIR|MODELS)\b/, 'the shared folder by a constant'],
];

/**
 * Every line of `files` that `says` finds fault with, as `file:line: what: the line`; comment lines
 * are passed over (they may name what the code must not reach).
 */
function offendingLines(files: string[], says: (line: string) => string | undefined): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        const what = says(line);
        if (what !== undefined) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
      });
  }
  return found;
}

describe('hygiene: tests reach what may be absent through one helper each', function () {
  it('no test file reaches ../shared except through test/helpers/shared.ts, which skips where it is absent', () => {
    const files = tracked(...TEST_CODE).filter((f) => !ABSENCE_HELPERS.has(f));
    const found = offendingLines(files, (line) => SHARED_ROUTES.find(([pattern]) => pattern.test(line))?.[1]);
    expect(found, 'use sharedFile / sharedModelPath / goldenCases of test/helpers/shared.ts').to.deep.equal([]);
  });

  it('no test file finds the reference runtimes except through test/helpers/runtimes.ts, which skips where they are absent', () => {
    const files = tracked(...TEST_CODE).filter((f) => f !== 'test/helpers/runtimes.ts' && f !== 'test/hygiene.test.ts');
    const found = offendingLines(files, (line) =>
      /['"`/]tflm-tools\b|['"`/]tflm-cmsis-m\d+\/run\b|['"`/]tflm-ref['"`]\s*\)/.test(line) &&
      !/requireRuntime|findRuntime|runtimePath|missingRuntimeNotice/.test(line)
        ? 'a runtime by its path'
        : undefined,
    );
    expect(found, 'use requireRuntime / findRuntime / runtimePath of test/helpers/runtimes.ts').to.deep.equal([]);
  });

  it('no test file decides by CI=true whether an absence fails: test/helpers/absent.ts does, by TINYFORGE_CI', () => {
    const files = tracked(...TEST_CODE).filter((f) => !ABSENCE_HELPERS.has(f));
    const found = offendingLines(files, (line) => (/\benv\.CI\b|\benv\[['"]CI['"]\]/.test(line) ? 'CI read' : undefined));
    expect(found, "a user's CI sets CI=true too: use skipAbsent / requireTools").to.deep.equal([]);
  });
});

/** A fuzzer's limit per case is a finding when it is exceeded (`npm run fuzz`), not a test's guard. */
const CASE_LIMITS = new Set(['test/fuzz/campaign.ts', 'test/fuzz/onnx/campaign.ts']);
/** Below this a wait is a protocol deadline of a fake under test (an ACK, a frame), chosen short on purpose. */
const PROTOCOL_DEADLINE_MS = 10_000;

describe('hygiene: no wall-clock limit a busy machine can break', function () {
  const numberOf = (literal: string) => Number(literal.replace(/_/g, ''));

  it("every test and hook runs under the hang guard: .mocharc.json's timeout, which no test lowers", () => {
    expect(JSON.parse(readFileSync(join(ROOT, '.mocharc.json'), 'utf8')).timeout).to.equal(HANG_GUARD_MS);
    const lowered = offendingLines(tracked(...TEST_CODE), (line) =>
      [...line.matchAll(/\.timeout\(([0-9_]+)\)/g)].some((m) => numberOf(m[1]!) !== 0 && numberOf(m[1]!) < HANG_GUARD_MS) ? 'below the guard' : undefined,
    );
    expect(lowered, 'a timeout below HANG_GUARD_MS (test/support/hang-guard.ts)').to.deep.equal([]);
  });

  it('every child process or board run a test waits for has the hang guard, not a tighter limit', () => {
    const files = tracked(...TEST_CODE).filter((f) => !CASE_LIMITS.has(f));
    const tight = offendingLines(files, (line) =>
      [...line.matchAll(/\btimeout(?:Ms)?: ([0-9_]+)\b/g)].some((m) => numberOf(m[1]!) >= PROTOCOL_DEADLINE_MS && numberOf(m[1]!) < HANG_GUARD_MS)
        ? 'below the guard'
        : undefined,
    );
    expect(tight, 'use HANG_GUARD_MS (test/support/hang-guard.ts)').to.deep.equal([]);
  });

  it('the hang guard is at least 4x the slowest test file measured alone', () => {
    const times = JSON.parse(readFileSync(join(ROOT, 'test/support/test-times.json'), 'utf8')) as { file: string; seconds: number }[];
    const slowest = Math.max(...times.map((t) => t.seconds));
    expect(HANG_GUARD_MS, `the slowest file takes ${slowest} s`).to.be.at.least(4 * slowest * 1000);
  });
});
