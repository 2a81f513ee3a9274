import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from './helpers/cli.ts';

describe('TypeScript', () => {
  it('the whole project typechecks under strict mode', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'tsc output').to.equal('');
    expect(r.status).to.equal(0);
  });
});
