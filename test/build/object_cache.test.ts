// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFirmware, type BuildOptions } from '../../src/lab/toolchain/index.ts';
import { modelUnitCacheFromEnv, objectCacheDir, objectCacheFromEnv, pruneObjectCache } from '../../src/lab/toolchain/object_cache.ts';
import { runOnHost } from '../../src/lab/device/index.ts';
import { FAKE_IO_BYTES, FAKE_MODEL_DIR, fakeModelExpected, requireTools, scratchDir } from './helpers.ts';

const HIT_NOTE = '(from the object cache: ';

describe('build: object cache', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let cacheDir: string;
  let counter = 0;
  const saved = { dir: process.env.TINYFORGE_CACHE_DIR, off: process.env.TINYFORGE_NO_CACHE, units: process.env.TINYFORGE_MODEL_UNIT_CACHE };

  before(function () {
    requireTools(this, ['gcc', 'size']);
    scratch = scratchDir('object-cache');
  });
  after(() => {
    for (const [name, value] of [
      ['TINYFORGE_CACHE_DIR', saved.dir],
      ['TINYFORGE_NO_CACHE', saved.off],
      ['TINYFORGE_MODEL_UNIT_CACHE', saved.units],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    scratch?.cleanup();
  });
  beforeEach(() => {
    // every test starts from an empty cache of its own
    cacheDir = join(scratch.dir, `cache-${++counter}`);
    process.env.TINYFORGE_CACHE_DIR = cacheDir;
    delete process.env.TINYFORGE_NO_CACHE;
    // the test run's cache of the models' units (test/support/root-hooks.ts): off but where a test sets it
    delete process.env.TINYFORGE_MODEL_UNIT_CACHE;
  });

  const build = async (name: string, options: Partial<BuildOptions> = {}) => {
    const outDir = join(scratch.dir, `${counter}-${name}`);
    const built = await buildFirmware({ target: 'host', modelDir: FAKE_MODEL_DIR, outDir, ...options });
    const log = readFileSync(join(outDir, 'build.log'), 'utf8');
    return { ...built, hits: log.split(HIT_NOTE).length - 1 };
  };
  const entries = () => {
    try {
      return readdirSync(cacheDir).sort();
    } catch {
      return [];
    }
  };
  const expectWorks = async (elf: string) => {
    const input = Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => i * 29);
    expect(Array.from((await runOnHost(elf, input)).outputs)).to.deep.equal(Array.from(fakeModelExpected(input)));
  };

  it('puts the cache under TINYFORGE_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(objectCacheDir({ TINYFORGE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).to.equal('/c');
    expect(objectCacheDir({ XDG_CACHE_HOME: '/x' })).to.equal('/x/tinyforge/objects');
    expect(objectCacheDir({})).to.match(/\.cache\/tinyforge\/objects$/);
    expect(objectCacheFromEnv({ TINYFORGE_NO_CACHE: '1' })).to.equal(null);
  });

  it('a warm build links the same bytes as a cold one, and a copy of the model in another folder hits too', async () => {
    const cold = await build('cold');
    expect(cold.hits).to.equal(0);
    expect(entries()).to.have.length(1); // host_main.c: the model's own units are not cached
    expect(entries()[0]).to.match(/^tfobj-[0-9a-f]{64}\.o$/);
    const warm = await build('warm');
    expect(warm.hits).to.equal(1);
    expect(readFileSync(warm.elf).equals(readFileSync(cold.elf))).to.equal(true);
    await expectWorks(warm.elf);

    const copy = join(scratch.dir, 'model-copy');
    cpSync(FAKE_MODEL_DIR, copy, { recursive: true });
    const moved = await build('moved', { modelDir: copy });
    expect(moved.hits).to.equal(1);
    await expectWorks(moved.elf);
  });

  it("with modelUnitCache, the model's own units are cached there (not in the user's cache); a comment-only change hits, a code change misses", async () => {
    const unitCache = { dir: join(scratch.dir, `units-${counter}`), maxBytes: 64 * 1024 * 1024 };
    const modelDir = join(scratch.dir, `units-model-${counter}`);
    cpSync(FAKE_MODEL_DIR, modelDir, { recursive: true });
    const sources = readdirSync(modelDir).filter((f) => f.endsWith('.c'));
    const cold = await build('units-cold', { modelDir, modelUnitCache: unitCache });
    expect(cold.hits).to.equal(0);
    expect(readdirSync(unitCache.dir)).to.have.length(sources.length);
    expect(entries()).to.have.length(1); // the user's cache holds the harness only
    const warm = await build('units-warm', { modelDir, modelUnitCache: unitCache });
    expect(warm.hits).to.equal(1 + sources.length);
    expect(readFileSync(warm.elf).equals(readFileSync(cold.elf))).to.equal(true);
    // a comment is gone once preprocessed: the same object
    const first = join(modelDir, sources[0]!);
    writeFileSync(first, `/* a comment: */ ${readFileSync(first, 'utf8')}`);
    expect((await build('units-comment', { modelDir, modelUnitCache: unitCache })).hits).to.equal(1 + sources.length);
    // code that differs is compiled
    writeFileSync(first, `${readFileSync(first, 'utf8')}\nint tf_unit_cache_probe = 1;\n`);
    const changed = await build('units-code', { modelDir, modelUnitCache: unitCache });
    expect(changed.hits).to.equal(sources.length);
    await expectWorks(changed.elf);
  });

  it("a model's units generated again in another folder hit (no debug info names the folder), with debug info they miss", async () => {
    const unitCache = { dir: join(scratch.dir, `units-${counter}`), maxBytes: 64 * 1024 * 1024 };
    const sources = readdirSync(FAKE_MODEL_DIR).filter((f) => f.endsWith('.c'));
    const copies = ['a', 'b', 'c', 'd'].map((name) => {
      const dir = join(scratch.dir, `units-moved-${counter}-${name}`);
      cpSync(FAKE_MODEL_DIR, dir, { recursive: true });
      return dir;
    });
    const first = await build('moved-a', { modelDir: copies[0], modelUnitCache: unitCache });
    expect(first.hits).to.equal(0);
    const second = await build('moved-b', { modelDir: copies[1], modelUnitCache: unitCache });
    expect(second.hits).to.equal(1 + sources.length);
    await expectWorks(second.elf);
    // -g: the objects hold their source's path, so another folder's units are compiled (the harness still hits)
    expect((await build('moved-g-c', { modelDir: copies[2], modelUnitCache: unitCache, extraCflags: ['-g'] })).hits).to.equal(0);
    expect((await build('moved-g-d', { modelDir: copies[3], modelUnitCache: unitCache, extraCflags: ['-g'] })).hits).to.equal(1);
    expect((await build('moved-g-c-again', { modelDir: copies[2], modelUnitCache: unitCache, extraCflags: ['-g'] })).hits).to.equal(1 + sources.length);
  });

  it("TINYFORGE_MODEL_UNIT_CACHE names a cache for the models' units; TINYFORGE_NO_CACHE=1 turns it off too", async () => {
    expect(modelUnitCacheFromEnv({})).to.equal(null);
    expect(modelUnitCacheFromEnv({ TINYFORGE_MODEL_UNIT_CACHE: '/u', TINYFORGE_NO_CACHE: '1' })).to.equal(null);
    expect(modelUnitCacheFromEnv({ TINYFORGE_MODEL_UNIT_CACHE: '/u', TINYFORGE_CACHE_MAX_MB: '3' })).to.deep.equal({ dir: '/u', maxBytes: 3 * 1024 * 1024 });
    const unitDir = join(scratch.dir, `env-units-${counter}`);
    process.env.TINYFORGE_MODEL_UNIT_CACHE = unitDir;
    const sources = readdirSync(FAKE_MODEL_DIR).filter((f) => f.endsWith('.c'));
    expect((await build('env-units-cold')).hits).to.equal(0);
    expect(readdirSync(unitDir)).to.have.length(sources.length);
    expect(entries()).to.have.length(1); // the user's cache holds the harness only
    const warm = await build('env-units-warm');
    expect(warm.hits).to.equal(1 + sources.length);
    await expectWorks(warm.elf);
  });

  it('misses when a header the unit includes changes, or a flag changes', async () => {
    await build('base');
    const variant = join(scratch.dir, 'header-variant');
    cpSync(FAKE_MODEL_DIR, variant, { recursive: true });
    writeFileSync(join(variant, 'model.h'), `${readFileSync(join(variant, 'model.h'), 'utf8')}\nint tf_extra_declaration(void);\n`);
    const changedHeader = await build('header', { modelDir: variant });
    expect(changedHeader.hits).to.equal(0);
    await expectWorks(changedHeader.elf);
    const changedFlag = await build('flag', { extraCflags: ['-fno-inline'] });
    expect(changedFlag.hits).to.equal(0);
    expect(entries()).to.have.length(3);
    expect((await build('flag-again', { extraCflags: ['-fno-inline'] })).hits).to.equal(1);
  });

  it('concurrent builds of the same unit all succeed and leave one valid entry', async () => {
    const builds = await Promise.all([0, 1, 2, 3].map((i) => build(`parallel-${i}`)));
    for (const built of builds) await expectWorks(built.elf);
    expect(entries()).to.have.length(1);
    expect((await build('after-parallel')).hits).to.equal(1);
  });

  it('ignores and rebuilds a truncated or corrupt entry', async () => {
    await build('fill');
    const [entry] = entries();
    const path = join(cacheDir, entry!);
    const good = readFileSync(path);
    writeFileSync(path, good.subarray(0, good.length >> 1));
    const afterTruncation = await build('truncated');
    expect(afterTruncation.hits).to.equal(0);
    await expectWorks(afterTruncation.elf);
    expect(readFileSync(path).equals(good)).to.equal(true); // stored again

    const flipped = Buffer.from(good);
    flipped[flipped.length - 100] = flipped[flipped.length - 100]! ^ 0xff;
    writeFileSync(path, flipped);
    const afterCorruption = await build('corrupt');
    expect(afterCorruption.hits).to.equal(0);
    await expectWorks(afterCorruption.elf);
    expect((await build('healed')).hits).to.equal(1);
  });

  it('TINYFORGE_NO_CACHE=1 neither reads nor writes the cache', async () => {
    await build('fill');
    process.env.TINYFORGE_NO_CACHE = '1';
    const bypassed = await build('bypassed');
    expect(bypassed.hits).to.equal(0);
    await expectWorks(bypassed.elf);
    process.env.TINYFORGE_CACHE_DIR = join(scratch.dir, 'never-made');
    await build('bypassed-2');
    expect(() => statSync(join(scratch.dir, 'never-made'))).to.throw();
  });

  it('prunes the least recently used entries, and nothing it did not write', () => {
    mkdirSync(cacheDir, { recursive: true });
    const names = [0, 1, 2, 3].map((i) => `tfobj-${String(i).repeat(64)}.o`);
    names.forEach((name, i) => {
      writeFileSync(join(cacheDir, name), Buffer.alloc(1000));
      const when = new Date(Date.now() - (10 - i) * 60_000); // names[0] is the oldest
      utimesSync(join(cacheDir, name), when, when);
    });
    const foreign = ['notes.txt', 'tfobj-short.o', `tfobj-${'a'.repeat(64)}.obj`];
    for (const name of foreign) writeFileSync(join(cacheDir, name), Buffer.alloc(5000));
    pruneObjectCache({ dir: cacheDir, maxBytes: 2500 }, true);
    expect(entries()).to.deep.equal([...foreign, ...names.slice(2)].sort());
    // within a minute of that, a build's pruning leaves the folder alone (it stats every entry)
    const late = `tfobj-${'9'.repeat(64)}.o`;
    writeFileSync(join(cacheDir, late), Buffer.alloc(1000));
    pruneObjectCache({ dir: cacheDir, maxBytes: 2500 });
    expect(entries()).to.include(late).and.to.include(names[2]);
  });
});
