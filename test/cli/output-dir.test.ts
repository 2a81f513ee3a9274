// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforge } from '../helpers/cli.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { OUTPUT_MARKER, writeDirectoryAtomically } from '../../src/lab/output.ts';
import { TinyforgeError } from '../../src/core/errors.ts';

/** A one-op int8 model written by our writer: no shared model needed. */
function tinyModel(dir: string): string {
  const b = new GraphBuilder('tiny');
  const x = b.input({ shape: [1, 4], q: { scale: 0.1, zeroPoint: 3 } });
  const [y] = b.op('RELU', [x], [{ shape: [1, 4], q: { scale: 0.1, zeroPoint: 3 } }]);
  b.output(y!);
  const path = join(dir, 'tiny.tflite');
  writeFileSync(path, writeTflite(b.build()));
  return path;
}

describe('compile -o: never deletes or overwrites a file tinyforge did not create', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-out-'));
  const model = tinyModel(dir);

  it("refuses a non-empty directory of the user's (-o .) and leaves every file and subfolder as it was", () => {
    const user = join(dir, 'user');
    mkdirSync(join(user, 'sub'), { recursive: true });
    writeFileSync(join(user, 'notes.txt'), 'mine');
    writeFileSync(join(user, 'model.c'), 'my own model.c');
    writeFileSync(join(user, 'sub', 'keep.c'), 'int x;');
    const r = tinyforge(['compile', model, '-o', '.'], { cwd: user });
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^error: \.: not empty and not a tinyforge output .*--force/);
    expect(readdirSync(user).sort()).to.deep.equal(['model.c', 'notes.txt', 'sub']);
    expect(readFileSync(join(user, 'model.c'), 'utf8')).to.equal('my own model.c');
    expect(readFileSync(join(user, 'sub', 'keep.c'), 'utf8')).to.equal('int x;');
  });

  it('writes a new or empty directory with its marker, and replaces its own earlier output', () => {
    const out = join(dir, 'out');
    expect(tinyforge(['compile', model, '-o', out]).status).to.equal(0);
    const marker = JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')) as { files: string[] };
    expect(marker.files).to.include('tiny.c');
    expect(tinyforge(['compile', model, '-o', out, '--target', 'cortex-m0']).status).to.equal(0);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(tinyforge(['compile', model, '-o', empty]).status).to.equal(0);
    expect(existsSync(join(empty, 'tiny.h'))).to.equal(true);
  });

  it('-o is --output, as in every command that writes; --out is another spelling of it, given once', () => {
    const long = join(dir, 'long');
    expect(tinyforge(['compile', model, '--output', long]).status).to.equal(0);
    expect(existsSync(join(long, 'tiny.h'))).to.equal(true);
    const legacy = join(dir, 'legacy');
    expect(tinyforge(['compile', model, '--out', legacy]).status).to.equal(0);
    expect(existsSync(join(legacy, 'tiny.h'))).to.equal(true);
    const both = tinyforge(['compile', model, '-o', join(dir, 'both1'), '--out', join(dir, 'both2')]);
    expect(both.status).to.not.equal(0);
    expect(both.stderr.trim()).to.equal('error: -o/--output and --out are one option: give it once');
    const reversed = tinyforge(['compile', model, '--out', join(dir, 'both2'), '--output', join(dir, 'both1')]);
    expect(reversed.stderr.trim()).to.equal('error: -o/--output and --out are one option: give it once');
    expect(existsSync(join(dir, 'both1')) || existsSync(join(dir, 'both2'))).to.equal(false);
  });

  it('refuses its own earlier output once the user has added a file to it', () => {
    const out = join(dir, 'added');
    expect(tinyforge(['compile', model, '-o', out]).status).to.equal(0);
    writeFileSync(join(out, 'main.c'), 'int main(void) { return 0; }');
    const r = tinyforge(['compile', model, '-o', out]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.match(/holds main\.c/);
    expect(readFileSync(join(out, 'main.c'), 'utf8')).to.equal('int main(void) { return 0; }');
  });

  it("with --force writes into the user's directory and deletes nothing already there", () => {
    const user = join(dir, 'forced');
    mkdirSync(join(user, 'sub'), { recursive: true });
    writeFileSync(join(user, 'notes.txt'), 'mine');
    writeFileSync(join(user, 'sub', 'keep.c'), 'int x;');
    const r = tinyforge(['compile', model, '-o', user, '--force']);
    expect(r.status, r.stderr).to.equal(0);
    expect(readFileSync(join(user, 'notes.txt'), 'utf8')).to.equal('mine');
    expect(readFileSync(join(user, 'sub', 'keep.c'), 'utf8')).to.equal('int x;');
    expect(existsSync(join(user, 'tiny.c'))).to.equal(true);
    expect(readdirSync(user).filter((f) => f.includes('.tmp-'))).to.deep.equal([]);
  });

  it('-o / and -o /proc: refused in one line at the first entries, without walking the whole tree', () => {
    for (const out of ['/', '/proc']) {
      const started = Date.now();
      const r = tinyforge(['compile', model, '-o', out]);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(new RegExp(`^error: ${out}: not empty and not a tinyforge output \\(holds .*, \\.\\.\\.\\)`));
      expect(Date.now() - started).to.be.below(30_000);
    }
  });

  it("a user's empty folder inside an earlier output is theirs: refused, and the folder stays", () => {
    const out = join(dir, 'emptysub');
    expect(tinyforge(['compile', model, '-o', out]).status).to.equal(0);
    mkdirSync(join(out, 'mine'));
    const r = tinyforge(['compile', model, '-o', out]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.match(/holds mine\//);
    expect(existsSync(join(out, 'mine'))).to.equal(true);
  });

  it('-o given as a link to an empty folder writes into that folder and keeps the link', () => {
    const real = join(dir, 'real-out');
    mkdirSync(real);
    const link = join(dir, 'link-out');
    symlinkSync(real, link);
    for (let k = 0; k < 2; k++) {
      const r = tinyforge(['compile', model, '-o', link]);
      expect(r.status, r.stderr).to.equal(0);
      expect(lstatSync(link).isSymbolicLink()).to.equal(true);
      expect(existsSync(join(real, 'tiny.c'))).to.equal(true);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.old-') || f.includes('.tmp-'))).to.deep.equal([]);
  });

  it('--force writes all of its files or none: a failure leaves the earlier files and no temporary one', () => {
    const user = join(dir, 'force-fail');
    mkdirSync(user);
    writeFileSync(join(user, 'notes.txt'), 'mine');
    writeFileSync(join(user, 'model.h'), 'old model.h');
    // a file where the output needs a folder: the second file cannot be written
    writeFileSync(join(user, 'sub'), 'a file, not a folder');
    const files = [
      { name: 'model.h', text: 'new model.h' },
      { name: 'sub/kernel.c', text: 'int k;' },
      { name: 'new/deeper/x.c', text: 'int x;' },
    ];
    expect(() => writeDirectoryAtomically(user, files, { force: true }))
      .to.throw(TinyforgeError)
      .with.property('message')
      .match(/could not write the output, nothing changed/);
    expect(readFileSync(join(user, 'model.h'), 'utf8')).to.equal('old model.h');
    expect(readdirSync(user).sort()).to.deep.equal(['model.h', 'notes.txt', 'sub']);
    // and in the other order, the folders it made for the failed set are gone too
    const reversed = [files[2]!, files[0]!, files[1]!];
    expect(() => writeDirectoryAtomically(user, reversed, { force: true })).to.throw(TinyforgeError);
    expect(readdirSync(user).sort()).to.deep.equal(['model.h', 'notes.txt', 'sub']);
  });

  it('--client inside the output (OUT/client.ts, OUT/api/client.ts) is one of its files: a new folder works, and so does every later compile', () => {
    for (const name of ['client.ts', 'api/client.ts']) {
      const out = join(dir, `client-in-${name.replace('/', '-')}`);
      for (let k = 0; k < 2; k++) {
        const r = tinyforge(['compile', model, '-o', out, '--client', join(out, name)]);
        expect(r.status, r.stderr).to.equal(0);
        expect(readFileSync(join(out, name), 'utf8')).to.match(/tinyforge/);
        expect(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')).files).to.include(name);
      }
    }
  });

  it('refuses --project layouts into a user directory the same way', () => {
    const user = join(dir, 'proj');
    mkdirSync(user);
    writeFileSync(join(user, 'CMakeLists.txt'), 'project(mine)');
    const r = tinyforge(['compile', model, '-o', user, '--target', 'rp2040', '--project', 'pico-sdk']);
    expect(r.status).to.not.equal(0);
    expect(readFileSync(join(user, 'CMakeLists.txt'), 'utf8')).to.equal('project(mine)');
  });
});
