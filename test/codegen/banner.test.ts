// SPDX-License-Identifier: Apache-2.0
/**
 * The banner of the generated files names paths by their last component only: the same model and
 * flags compiled from two working directories, with the model and the output given once by absolute
 * and once by relative paths, give the same bytes in every file.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLine, portableArg } from '../../src/core/codegen/banner.ts';
import { tinyforge } from '../helpers/cli.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { smallConvNet } from '../helpers/small_models.ts';

describe('generated C: the banner records no machine-specific path', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-banner-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cuts every path of the command line to its last component', () => {
    expect(portableArg('/home/me/models/m.tflite')).to.equal('m.tflite');
    expect(portableArg('../m.tflite')).to.equal('m.tflite');
    expect(portableArg('/tmp/build/out/')).to.equal('out');
    expect(portableArg('--input=data/x.npy')).to.equal('--input=x.npy');
    expect(portableArg('cortex-m4')).to.equal('cortex-m4');
    expect(commandLine(['compile', '/a/b/m.tflite', '-o', '/c/d/out'])).to.equal('tinyforge compile m.tflite -o out');
  });

  it('the same model and flags from two working directories and output paths give the same bytes', function () {
    const first = join(dir, 'first', 'deep', 'cwd');
    const second = join(dir, 'second');
    mkdirSync(first, { recursive: true });
    mkdirSync(join(second, 'models'), { recursive: true });
    const model = join(second, 'models', 'hello_world_int8.tflite');
    writeFileSync(model, writeTflite(smallConvNet()));
    const absolute = tinyforge(['compile', model, '--target', 'cortex-m4', '-o', join(dir, 'elsewhere', 'out')], { cwd: first });
    expect(absolute.status, absolute.stderr).to.equal(0);
    const relative = tinyforge(['compile', 'models/hello_world_int8.tflite', '--target', 'cortex-m4', '-o', 'out/'], { cwd: second });
    expect(relative.status, relative.stderr).to.equal(0);
    const outA = join(dir, 'elsewhere', 'out');
    const outB = join(second, 'out');
    const names = readdirSync(outA).filter((f) => !f.startsWith('.'));
    expect(readdirSync(outB).filter((f) => !f.startsWith('.'))).to.deep.equal(names);
    for (const name of names) expect(readFileSync(join(outB, name), 'utf8'), name).to.equal(readFileSync(join(outA, name), 'utf8'));
    const header = readFileSync(join(outA, names.find((n) => n.endsWith('.h') && n.includes('hello')) ?? 'model.h'), 'utf8');
    expect(header).to.include('command: tinyforge compile hello_world_int8.tflite --target cortex-m4 -o out\n');
    expect(header).to.not.include(dir);
  });
});
