// SPDX-License-Identifier: Apache-2.0
/**
 * The project file (tinyforge.json): `init` writes one and never replaces one unasked; the commands
 * read it (./tinyforge.json or --config FILE) with flags winning; each mistake in it is one line
 * naming the file and the key. Option filling is checked on the real command definitions with their
 * actions replaced (milliseconds); a few runs of the real executable check the whole path.
 */
import { expect } from 'chai';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { TinyforgeError } from '../../src/core/errors.ts';
import { applyProjectConfig, readProjectConfig } from '../../src/face/cli/project_config.ts';
import { compileCommand } from '../../src/face/cli/compile.ts';
import { runCommand } from '../../src/face/cli/run.ts';
import { validateCommand } from '../../src/face/cli/validate.ts';
import { profileCommand } from '../../src/face/cli/profile.ts';
import { targetsCommand } from '../../src/face/cli/targets.ts';
import { scratchDir } from '../build/helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { createProgram } from '../../src/face/cli/program.ts';
import { listTargets, loadTarget, targetNameFor } from '../../src/core/targets/targets.ts';

const MODEL = resolve(import.meta.dirname, '../../examples/mnist/mnist_cnn_int8.tflite');

/** Parses `args` with the real command's options and the project-file hook; returns what its action would get. */
function parse(make: () => Command, args: string[]): { model: string; opts: Record<string, unknown>; sources: Record<string, string | undefined> } {
  const program = new Command().option('--config <file>').exitOverride();
  program.hook('preAction', (_p, command) => applyProjectConfig(command, (program.opts() as { config?: string }).config));
  const command = make();
  let seen: { model: string; opts: Record<string, unknown>; sources: Record<string, string | undefined> } | undefined;
  command.action((model: string) => {
    const opts = command.opts();
    seen = { model, opts, sources: Object.fromEntries(Object.keys(opts).map((k) => [k, command.getOptionValueSource(k)])) };
  });
  program.addCommand(command.exitOverride());
  program.parse(['node', 'tinyforge', command.name(), ...args]);
  return seen!;
}

function expectError(body: () => unknown, message: string): void {
  try {
    body();
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    expect((e as Error).message).to.equal(message);
    return;
  }
  expect.fail(`expected the error: ${message}`);
}

describe('project file: tinyforge.json, tinyforge init, --config', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const write = (name: string, contents: unknown) => {
    const path = join(scratch.dir, name);
    writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
    return path;
  };

  before(() => {
    scratch = scratchDir('project-config');
    copyFileSync(MODEL, join(scratch.dir, 'digits.tflite'));
    writeFileSync(join(scratch.dir, 'digit.bin'), new Uint8Array(784));
  });
  after(() => scratch?.cleanup());

  it("fills a command's model and options from the file, paths relative to the file; flags win over it", () => {
    const file = write('full.json', {
      model: 'digits.tflite',
      target: 'rp2040',
      board: 'pico',
      inputs: 'digit.bin',
      budget: { ram: '8K', flash: 20000 },
      prefer: 'size',
      name: 'digits_v2',
      arena: 'caller',
      project: 'arduino',
      out: 'build/out',
    });
    const compile = parse(compileCommand, ['--config', file]);
    // compile takes several models: the file's one comes as a list of one
    expect(compile.model).to.deep.equal([join(scratch.dir, 'digits.tflite')]);
    expect(compile.opts).to.include({ target: 'rp2040', input: join(scratch.dir, 'digit.bin'), maxRam: 8192, maxFlash: 20000, prefer: 'size' });
    expect(compile.opts).to.include({ project: 'arduino', output: join(scratch.dir, 'build', 'out'), name: 'digits_v2', arena: 'caller' });
    expect(compile.sources.target).to.equal('config');
    // compile takes --board too: the model must fit that board's chip
    expect(compile.opts).to.include({ board: 'pico' });
    const run = parse(runCommand, ['--config', file, '-t', 'cortex-m4', '--max-ram', '16K', 'other.tflite']);
    expect(run.model).to.equal('other.tflite');
    expect(run.opts).to.include({ target: 'cortex-m4', maxRam: 16384, maxFlash: 20000, board: 'pico', input: join(scratch.dir, 'digit.bin') });
    expect(run.sources).to.include({ target: 'cli', maxRam: 'cli', maxFlash: 'config', board: 'config' });
    // validate takes many inputs (--inputs), and none from the file beside --reference
    expect(parse(validateCommand, ['--config', file]).opts.inputs).to.equal(join(scratch.dir, 'digit.bin'));
    expect(parse(validateCommand, ['--config', file, '--reference', 'dump']).opts.inputs).to.equal(undefined);
    // a folder of inputs is for validate; run takes one file
    const folder = write('folder.json', { model: 'digits.tflite', inputs: '.' });
    expect(parse(validateCommand, ['--config', folder]).opts.inputs).to.equal(scratch.dir);
    expectError(
      () => parse(runCommand, ['--config', folder]),
      `${folder}: inputs: a directory, which validate --inputs takes; run takes one file: give --input FILE`,
    );
    expect(parse(runCommand, ['--config', folder, '--input', 'digit.bin']).opts.input).to.equal('digit.bin');
  });

  it('"labels" fills --labels of compile, run, profile and validate, a path relative to the file', () => {
    write('digits.txt', '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
    const file = write('labelled.json', { model: 'digits.tflite', labels: 'digits.txt' });
    const labels = join(scratch.dir, 'digits.txt');
    for (const make of [compileCommand, runCommand, profileCommand, validateCommand]) expect(parse(make, ['--config', file]).opts.labels).to.equal(labels);
    expect(parse(runCommand, ['--config', file, '--labels', 'mine.txt']).opts.labels).to.equal('mine.txt');
    const exported = write('exported.json', { model: 'digits.tflite', onnxLayout: 'as-exported' });
    for (const make of [compileCommand, runCommand, profileCommand, validateCommand])
      expect(parse(make, ['--config', exported]).opts.onnxLayout).to.equal('as-exported');
  });

  it('names the file and the key of every mistake in it', () => {
    const cases: [unknown, string][] = [
      ['{"model": ', 'not valid JSON'],
      [[1], 'must hold one JSON object, such as {"model": "model.tflite"}'],
      [
        { modle: 'digits.tflite' },
        'modle: unknown key (known: model, target, board, inputs, budget, prefer, name, arena, project, out, clock, battery, labels, onnxLayout, weightsInRam)',
      ],
      [{ model: 'missing.tflite' }, 'model: no such file'],
      [{ target: 'cortex-m5' }, "target: unknown target 'cortex-m5' (known: "],
      [{ target: 4 }, 'target: must be a non-empty string, got 4'],
      [{ budget: { ram: '48 apples' } }, "budget.ram: must be a positive byte count (49152, 48K, 1M), got '48 apples'"],
      [{ budget: { rom: '1K' } }, 'budget.rom: unknown key (known: ram, flash)'],
      [{ budget: '48K' }, 'budget: must be an object such as {"ram": "48K", "flash": "200K"}'],
      [{ prefer: 'fast' }, "prefer: must be size or speed, got 'fast'"],
      [{ name: 'my-model' }, "name: must be a C identifier (letters, digits, _), got 'my-model'"],
      [{ arena: 'heap' }, "arena: must be static or caller, got 'heap'"],
      [{ onnxLayout: 'nchw' }, "onnxLayout: must be one of channels-last, as-exported, got 'nchw'"],
      [{ weightsInRam: 'sram' }, "weightsInRam: must be staged, auto or none, got 'sram'"],
      [{ project: 'keil' }, "project: unknown project kind 'keil' (known: cmake, make, arduino, platformio, zephyr, esp-idf, pico-sdk)"],
      [{ labels: 'classes.txt' }, 'labels: no such file'],
    ];
    for (const [contents, message] of cases) {
      const file = write('bad.json', contents);
      try {
        readProjectConfig(file);
        expect.fail(`accepted ${JSON.stringify(contents)}`);
      } catch (e) {
        expect(e, JSON.stringify(contents)).to.be.instanceOf(TinyforgeError);
        expect((e as Error).message.startsWith(`${file}: ${message}`), `${(e as Error).message} vs ${message}`).to.equal(true);
      }
    }
    expectError(() => readProjectConfig(join(scratch.dir, 'none.json')), `${join(scratch.dir, 'none.json')}: cannot read the project file`);
  });

  it('asks for a model when neither the command line nor the file gives one, and refuses --config where nothing reads it', () => {
    const file = write('no-model.json', { target: 'rp2040' });
    expectError(() => parse(compileCommand, ['--config', file, '-o', 'x']), `give the model to compile, or "model" in ${file}`);
    expectError(
      () => parse(targetsCommand, ['--config', file]),
      '--config: targets reads no project file (inspect, compile, run, profile, validate, flash do)',
    );
  });

  it("init --board B alone writes B's target, for every board, and the commands then resolve it", () => {
    // a board two targets share (qemu-mps3-an547 runs the M55 and the M85 code) implies the first of them
    const boards = listTargets()
      .flatMap((t) => loadTarget(t).boards.map((b) => ({ target: t, board: b.name })))
      .filter((b, i, all) => all.findIndex((x) => x.board === b.board) === i);
    expect(boards.length).to.be.greaterThan(10);
    const quiet = process.stdout.write;
    for (const { target, board } of boards) {
      const file = join(scratch.dir, `init-${board}.json`);
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        createProgram().parse(['node', 'tinyforge', '--config', file, 'init', join(scratch.dir, 'digits.tflite'), '--board', board]);
      } finally {
        process.stdout.write = quiet;
      }
      const config = readProjectConfig(file);
      expect(config.target, board).to.equal(target);
      // what run, compile, profile, ... do with the file's target and board
      expect(targetNameFor(config.target, config.board), board).to.equal(target);
      const { opts } = parse(runCommand, ['--config', file]);
      expect(targetNameFor(opts.target as string, opts.board as string), board).to.equal(target);
    }
    // a board of another target than the one given fails in init, naming the file and the key
    expectError(
      () =>
        createProgram().parse([
          'node',
          'tinyforge',
          '--config',
          join(scratch.dir, 'mixed.json'),
          'init',
          join(scratch.dir, 'digits.tflite'),
          '--target',
          'cortex-m4',
          '--board',
          'pico',
        ]),
      `${join(scratch.dir, 'mixed.json')}: board: board pico is a rp2040 board, not a cortex-m4 one: drop --target or give --target rp2040`,
    );
  });

  it('the documented first run: init --board pico, then run with no flags', () => {
    const cwd = scratch.dir;
    const init = tinyforge(['--config', 'pico.json', 'init', 'digits.tflite', '--board', 'pico'], { cwd });
    expect(init.status, init.stderr).to.equal(0);
    const run = tinyforge(['--config', 'pico.json', 'run'], { cwd });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/rp2040/);
    // compress checks the board against the target before it reads data or trains
    const compress = tinyforge(['compress', 'digits.tflite', '--board', 'pico', '--target', 'cortex-m4', '--data', 'nothing-here.npz'], { cwd });
    expect(compress.status).to.not.equal(0);
    expect(compress.stderr).to.equal('error: board pico is a rp2040 board, not a cortex-m4 one: drop --target or give --target rp2040\n');
  });

  it('init writes the file the commands then read from ./tinyforge.json, and never replaces one without --force', () => {
    const cwd = scratch.dir;
    const init = tinyforge(['init', '--target', 'rp2040', '--project', 'make', '--max-ram', '8K', '--inputs', 'digit.bin'], { cwd });
    expect(init.status, init.stderr).to.equal(0);
    const written = JSON.parse(readFileSync(join(cwd, 'tinyforge.json'), 'utf8')) as Record<string, unknown>;
    expect(written).to.deep.equal({ model: 'digits.tflite', target: 'rp2040', inputs: 'digit.bin', budget: { ram: 8192 }, project: 'make', out: 'out' });

    const again = tinyforge(['init', '--target', 'cortex-m4'], { cwd });
    expect(again.status).to.not.equal(0);
    expect(again.stderr).to.equal('error: tinyforge.json: exists already; pass --force to replace it\n');
    expect(JSON.parse(readFileSync(join(cwd, 'tinyforge.json'), 'utf8'))).to.deep.equal(written);

    // no flags at all: everything from ./tinyforge.json
    const compile = tinyforge(['compile'], { cwd });
    expect(compile.status, compile.stderr).to.equal(0);
    expect(compile.stdout).to.include(`wrote ${join(cwd, 'out')}: make project for rp2040`);
    const makefile = readFileSync(join(cwd, 'out', 'Makefile'), 'utf8');
    expect(makefile).to.include('ARCH_FLAGS ?= -mcpu=cortex-m0plus');
    // the banner's command regenerates the same output without the file
    expect(makefile).to.include('#   command: tinyforge compile digits.tflite --target rp2040 --input digit.bin --max-ram 8192 --project make --output out\n');

    const forced = tinyforge(['init', 'digits.tflite', '--target', 'cortex-m7', '--force', '-o', 'm7', '--inputs', 'digit.bin'], { cwd });
    expect(forced.status, forced.stderr).to.equal(0);
    // inputs without a project: compile writes the bare sources (the sample is for run, validate, ...)
    const bare = tinyforge(['compile'], { cwd });
    expect(bare.status, bare.stderr).to.equal(0);
    expect(bare.stdout, bare.stdout.slice(-300)).to.include(`wrote ${join(cwd, 'm7')} for cortex-m7: digits.h, digits.c`);
    const inspect = tinyforge(['inspect'], { cwd });
    expect(inspect.status, inspect.stderr).to.equal(0);
    expect(inspect.stdout).to.include('digits.tflite: 7 ops, 17 tensors, inputs 0, outputs 16; kernels for cortex-m7');

    const bad = tinyforge(['init', '--target', 'cortex-m5', '--config', 'other.json'], { cwd });
    expect(bad.stderr).to.match(/^error: other\.json: target: unknown target 'cortex-m5' \(known: [^\n]+\)\n$/);
  });
});
