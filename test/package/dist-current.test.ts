// SPDX-License-Identifier: Apache-2.0
/**
 * A source checkout's bin/tinyforge.js runs dist/ only while it was built from the sources now under
 * src/ (scripts/dist-sources.mjs): an edit, a new file or a removed one sends it back to tsx, so a
 * stale build never runs.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAMP, distIsCurrent, distStamp } from '../../scripts/dist-sources.mjs';

describe('bin/tinyforge.js in a checkout: dist/ only while it is current', () => {
  let root: string;
  let src: string;
  let dist: string;
  const past = (seconds: number) => new Date(Date.now() - seconds * 1000);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tf-dist-current-'));
    src = join(root, 'src');
    dist = join(root, 'dist');
    mkdirSync(join(src, 'cli'), { recursive: true });
    mkdirSync(dist);
    for (const f of ['cli/main.ts', 'kernel.c', 'cli/main.test.ts']) {
      writeFileSync(join(src, f), '// x\n');
      utimesSync(join(src, f), past(60), past(60));
    }
    writeFileSync(join(dist, STAMP), distStamp(src, Date.now() - 30_000));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a build after the last edit is current', () => {
    expect(distIsCurrent(src, dist)).to.equal(true);
  });

  it('an edited source, an added one or a removed one is not; tests do not count', () => {
    utimesSync(join(src, 'cli/main.test.ts'), new Date(), new Date());
    expect(distIsCurrent(src, dist), 'a test edited').to.equal(true);
    utimesSync(join(src, 'kernel.c'), new Date(), new Date());
    expect(distIsCurrent(src, dist), 'a source edited').to.equal(false);
    utimesSync(join(src, 'kernel.c'), past(60), past(60));
    writeFileSync(join(src, 'new.ts'), '');
    utimesSync(join(src, 'new.ts'), past(60), past(60));
    expect(distIsCurrent(src, dist), 'a source added').to.equal(false);
    unlinkSync(join(src, 'new.ts'));
    unlinkSync(join(src, 'kernel.c'));
    expect(distIsCurrent(src, dist), 'a source removed').to.equal(false);
  });

  it('no stamp or a broken one: not current', () => {
    writeFileSync(join(dist, STAMP), '{');
    expect(distIsCurrent(src, dist)).to.equal(false);
    rmSync(join(dist, STAMP));
    expect(distIsCurrent(src, dist)).to.equal(false);
  });
});
