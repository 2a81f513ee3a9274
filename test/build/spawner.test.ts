// SPDX-License-Identifier: Apache-2.0
/** Tools started through the helper process (src/lab/toolchain/spawner.ts): the same answers as a direct start. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runTool } from '../../src/lab/toolchain/toolchain.ts';
import { helperProcessId } from '../../src/lab/toolchain/spawner.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

describe('tools started through the helper process', () => {
  it("gives a tool's exit code, stdout bytes and stderr", async () => {
    const r = await runTool('/bin/sh', ['-c', 'printf "\\001\\377a"; echo warn >&2; exit 3']);
    expect(r.code).to.equal(3);
    expect([...r.stdout]).to.deep.equal([1, 255, 97]);
    expect(r.stderr).to.equal('warn\n');
    expect(helperProcessId()).to.be.a('number');
  });

  it('runs in the folder asked, with LC_ALL=C', async () => {
    const r = await runTool('/bin/sh', ['-c', 'pwd; echo $LC_ALL'], { cwd: '/tmp' });
    expect(r.stdout.toString()).to.equal('/tmp\nC\n');
  });

  it('names a tool that cannot start', async () => {
    let message = '';
    await runTool('/nonexistent/tinyforge-tool', []).catch((e: Error) => (message = e.message));
    expect(message).to.match(/^cannot run \/nonexistent\/tinyforge-tool: .*ENOENT/);
  });

  it('kills a tool past its time', async () => {
    const started = Date.now();
    const r = await runTool('/bin/sleep', ['600'], { timeoutMs: 200 });
    expect(r.signal).to.equal('SIGKILL');
    expect(Date.now() - started).to.be.below(HANG_GUARD_MS);
  });

  it('starts the tool itself when the helper is gone, and a new helper after', async () => {
    await runTool('/bin/true', []);
    const first = helperProcessId()!;
    process.kill(first, 'SIGKILL');
    const r = await runTool('/bin/sh', ['-c', 'echo still']);
    expect(r.stdout.toString()).to.equal('still\n');
    await runTool('/bin/true', []);
    expect(helperProcessId()).to.be.a('number').and.not.equal(first);
  });

  it('keeps no process alive after its parent ends', () => {
    const script = `import { runTool } from ${JSON.stringify(join(PROJECT_ROOT, 'src/lab/toolchain/toolchain.ts'))}; const r = await runTool('/bin/echo', ['done']); process.stdout.write(r.stdout);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: HANG_GUARD_MS,
    });
    expect(r.stdout).to.equal('done\n');
    expect(r.status).to.equal(0);
  });
});
