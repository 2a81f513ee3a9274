// SPDX-License-Identifier: Apache-2.0
/**
 * `compile` and `inspect` of several models: one library sharing one arena, its plan printed and in
 * `--json`; two models of one name refused in one line asking for `--name`, which takes a comma list.
 */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileLibrary } from '../../src/index.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

describe('cli: compile and inspect several models into one library', function () {
  let dir: string;
  const hello = sharedModelPath('hello_world_int8');
  const speech = sharedModelPath('micro_speech');
  before(function () {
    sharedModelsAvailable(this);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-several-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compile writes one library and prints the shared arena; --json carries it', () => {
    const out = join(dir, 'lib');
    const r = tinyforge(['compile', hello, speech, '-t', 'cortex-m4', '-o', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(unwrapped(r.stdout)).to.match(/shared arena: [\d,]+ bytes .*; separate arenas: [\d,]+ bytes/);
    expect(r.stdout).to.include('hello_world_int8').and.include('micro_speech');
    const files = readdirSync(out);
    expect(files).to.include.members(['hello_world_int8.h', 'micro_speech.c', 'tf_models.h', 'tf_models.c', 'CMakeLists.txt']);
    const json = tinyforge(['compile', hello, speech, '-t', 'cortex-m4', '-o', out, '--arena', 'caller', '--json']);
    expect(json.status, json.stderr).to.equal(0);
    const report = JSON.parse(json.stdout) as {
      files: string[];
      choices: { arena: string; names: string[] };
      models: { name: string; prefix: string; memory: { arena: number } }[];
      sharedArena: { bytes: number; separateBytes: number; models: { name: string; usedBytes: number }[] };
    };
    expect(report.choices).to.include({ arena: 'caller' });
    expect(report.choices.names).to.deep.equal(['hello_world_int8', 'micro_speech']);
    expect(report.models.map((m) => m.prefix)).to.deep.equal(['tf_hello_world_int8', 'tf_micro_speech']);
    expect(report.files).to.not.include('tf_models.c');
    expect(report.sharedArena.bytes).to.be.at.most(report.sharedArena.separateBytes);
    expect(report.sharedArena.models.map((m) => m.usedBytes)).to.deep.equal(report.models.map((m) => m.memory.arena));
  });

  it('refuses two models of one name in one line; --name a,b names them', () => {
    const again = join(dir, 'hello_world_int8.tflite');
    copyFileSync(speech, again);
    const r = tinyforge(['compile', hello, again, '-o', join(dir, 'same')]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.include("both named 'hello_world_int8'").and.include('--name');
    const named = tinyforge(['compile', hello, again, '-o', join(dir, 'named'), '--name', 'sine,speech']);
    expect(named.status, named.stderr).to.equal(0);
    expect(readdirSync(join(dir, 'named'))).to.include.members(['sine.h', 'speech.h']);
    const count = tinyforge(['compile', hello, again, '-o', join(dir, 'count'), '--name', 'a,b,c']);
    expect(count.stderr).to.include('one name per model');
  });

  it('the Node API compileLibrary writes the files compile writes', async () => {
    const out = join(dir, 'api');
    const result = await compileLibrary([hello, speech], { target: 'cortex-m4', outDir: out, names: ['sine', 'speech'] });
    expect(result.outDir).to.equal(out);
    expect(result.models.map((m) => m.generated.prefix)).to.deep.equal(['tf_sine', 'tf_speech']);
    expect(readdirSync(out).sort()).to.include.members(result.files.map((f) => f.name));
    const cli = join(dir, 'api-cli');
    expect(tinyforge(['compile', hello, speech, '-t', 'cortex-m4', '-o', cli, '--name', 'sine,speech']).status).to.equal(0);
    expect(readdirSync(cli).sort()).to.deep.equal(readdirSync(out).sort());
    expect(result.shared.arenaBytes).to.be.at.most(result.shared.separateBytes);
  });

  it('inspect prints each model and the shared arena against separate arenas', () => {
    const r = tinyforge(['inspect', hello, speech]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout)
      .to.include('Shared arena (2 models')
      .and.match(/separate arenas: [\d,]+ bytes/);
    const json = JSON.parse(tinyforge(['inspect', hello, speech, '--json']).stdout) as { models: unknown[]; sharedArena: { bytes: number } };
    expect(json.models).to.have.length(2);
    expect(json.sharedArena.bytes).to.be.greaterThan(0);
  });
});
