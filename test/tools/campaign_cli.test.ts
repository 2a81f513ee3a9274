// SPDX-License-Identifier: Apache-2.0
/**
 * The project's own long-running scripts (`npm run bench`, `fuzz`, `fuzz:inputs`, `fuzz:links`):
 * `--help` prints the usage and starts nothing (fuzz:links --help used to run a 300 s campaign),
 * and a bad option or value is one `error:` line naming it, exit 2, before any work starts (a
 * `--count abc` used to run a campaign on NaN).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

function script(path: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(PROJECT_ROOT, path), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: HANG_GUARD_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCRIPTS: { name: string; path: string; bad: [string[], RegExp][] }[] = [
  { name: 'bench', path: 'bench/bench.ts', bad: [[['--quick'], /--quick is an option of --sweep/]] },
  {
    name: 'fuzz',
    path: 'test/fuzz/cli.ts',
    bad: [[['--count', 'abc'], /--count <n>' argument 'abc' is invalid\. It takes an integer of at least 1\./]],
  },
  {
    name: 'fuzz:inputs',
    path: 'test/fuzz/inputs/cli.ts',
    bad: [
      [['--seed', '1.5'], /--seed <n>' argument '1\.5' is invalid\. It takes an integer\./],
      [['--jobs', '0'], /It takes an integer from 1 to 64\./],
      [['--max-minutes', '-5'], /--max-minutes <m>' argument '-5' is invalid\. It takes a number above 0\./],
    ],
  },
  {
    name: 'fuzz:links',
    path: 'test/faults/cli.ts',
    bad: [[['--sessions', '0'], /--sessions <n>' argument '0' is invalid\. It takes an integer of at least 1\./]],
  },
];

describe('campaign scripts: --help and bad options', function () {
  for (const { name, path, bad } of SCRIPTS) {
    it(`${name}: --help prints the usage and exits 0; an unknown option or a bad value is one error line, exit 2`, () => {
      const help = script(path, ['--help']);
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^Usage: ${name} \\[options\\]`));
      for (const [args, message] of [[['--bogus'], /unknown option '--bogus'/] as [string[], RegExp], ...bad]) {
        const r = script(path, args);
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).to.equal(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines, `${args.join(' ')}: one line`).to.have.length(1);
        expect(lines[0]).to.match(/^error: /);
        expect(lines[0]).to.match(message);
        expect(r.stdout).to.equal('');
      }
    });
  }
});
