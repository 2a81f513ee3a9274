// SPDX-License-Identifier: Apache-2.0
/**
 * scripts/test.mjs, CI's test command: two shards, then the files that failed in a shard alone. Run
 * on three scratch test files: one that fails only while it shares the machine with the other shard
 * (it reads TINYFORGE_TEST_SHARD, which the re-run sets to "alone"), one that always fails, one that
 * passes and skips.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');

describe('scripts/test.mjs: shards, then the failed files alone', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-runner-'));
    writeFileSync(
      join(dir, 'shared.test.ts'),
      "describe('shared', () => { it('needs the machine to itself', () => { if (process.env.TINYFORGE_TEST_SHARD !== 'alone') throw new Error('starved'); }); it('passes', () => {}); });\n",
    );
    writeFileSync(join(dir, 'broken.test.ts'), "describe('broken', () => { it('fails', () => { throw new Error('always'); }); });\n");
    // aborts its process (as V8 does at its heap limit) except when run alone
    writeFileSync(
      join(dir, 'crash.test.ts'),
      "describe('crash', () => { it('aborts beside the other shard', () => { if (process.env.TINYFORGE_TEST_SHARD !== 'alone') process.abort(); }); });\n",
    );
    writeFileSync(join(dir, 'fine.test.ts'), "describe('fine', () => { it('passes', () => {}); it.skip('is skipped', () => {}); });\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (files: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['scripts/test.mjs', ...files.map((f) => join(dir, f))], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TINYFORGE_TEST_TIMES: '', ...env },
    });

  it('counts a file that fails in its shard and passes alone as passed, names it, and exits 0', () => {
    const r = run(['shared.test.ts', 'fine.test.ts']);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    // the shard's 1 failure and 1 pass of shared.test are replaced by its 2 passes alone
    expect(lines.at(-1)).to.equal('3 passed, 0 failed, 1 skipped');
    expect(r.stdout).to.match(/failed beside the other shard, passed alone[^\n]*\n\s+\S*shared\.test\.ts/);
  });

  it('takes folders (their *.test.ts files) and refuses a missing path in one line', () => {
    const listed = spawnSync(process.execPath, ['scripts/test.mjs', dir, '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(listed.status, listed.stderr).to.equal(0);
    for (const f of ['broken', 'fine', 'shared']) expect(listed.stdout).to.include(`${f}.test.ts`);
    const missing = spawnSync(process.execPath, ['scripts/test.mjs', join(dir, 'nope')], { cwd: ROOT, encoding: 'utf8' });
    expect(missing.status).to.equal(2);
    expect(missing.stderr.trim().split('\n')).to.have.length(1);
    expect(missing.stderr).to.match(/nope: no such test file or folder/);
  });

  it('still fails, with the failure shown, when a file fails alone too', () => {
    const r = run(['shared.test.ts', 'broken.test.ts', 'fine.test.ts']);
    expect(r.status).to.equal(1);
    expect(r.stdout.trim().split('\n').at(-1)).to.equal('3 passed, 1 failed, 1 skipped');
    expect(r.stdout).to.include('the failures alone:');
    expect(r.stdout).to.include('always');
  });

  it('a batch that crashes loses only its own files: they are re-run alone, the other batches counted', () => {
    const r = run(['crash.test.ts', 'fine.test.ts', 'shared.test.ts'], { TINYFORGE_TEST_SHARDS: '1', TINYFORGE_TEST_BATCH: '1' });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/shard 1: 2 passed, 1 failed, 1 skipped, exit \S+; 1 file\(s\) in a batch that ended without its summary/);
    expect(r.stdout).to.match(/re-running alone[^\n]*\n\s+\S*crash\.test\.ts\n\s+\S*shared\.test\.ts/);
    expect(r.stdout.trim().split('\n').at(-1)).to.equal('4 passed, 0 failed, 1 skipped');
  });
});

describe('scripts/test.mjs: the tiers', () => {
  // the project's own files: a host unit, an emulated op test, a whole-model test
  const seconds = new Map<string, number>();
  let tierOf: (file: string, seconds: Map<string, number>) => string;
  before(async () => {
    // by URL: the script is plain JavaScript, without declarations for the type checker
    ({ tierOf } = (await import(pathToFileURL(join(ROOT, 'scripts', 'test.mjs')).href)) as { tierOf: typeof tierOf });
  });

  it('models by folder, emulated by what a file (or a helper it imports) calls, the rest quick', () => {
    expect(tierOf('test/zoo/zoo.test.ts', seconds)).to.equal('models');
    expect(tierOf('test/fuzz/edge.test.ts', seconds)).to.equal('models');
    // calls expectExactOnBoard from test/helpers/emulated_variants.ts
    expect(tierOf('src/core/ops/depthwise_conv_2d/dsp_emulated.test.ts', seconds)).to.equal('emulated');
    // builds firmware through a helper only
    expect(tierOf('test/device/qemu.test.ts', seconds)).to.equal('emulated');
    expect(tierOf('test/docs-lists.test.ts', seconds)).to.equal('quick');
  });

  it('a file recorded at 5 s or more is not quick, whatever it calls', () => {
    expect(tierOf('test/docs-lists.test.ts', new Map([['test/docs-lists.test.ts', 5]]))).to.equal('emulated');
    expect(tierOf('test/docs-lists.test.ts', new Map([['test/docs-lists.test.ts', 4.9]]))).to.equal('quick');
  });

  it('refuses an unknown tier in one line', () => {
    const r = spawnSync(process.execPath, ['scripts/test.mjs', '--tier', 'slow', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.equal("test: --tier must be one of quick, emulated, models, got 'slow'");
  });
});
