// SPDX-License-Identifier: Apache-2.0
/** The command line's conventions, checked on every command at once (in process: no spawn per command). */
import { expect } from 'chai';
import { createProgram } from '../../src/face/cli/program.ts';
import { COMMAND_EXAMPLES } from '../../src/face/cli/examples.ts';

/** Commands whose output is only ever for people, files or a shell: listed here with why. */
const WITHOUT_JSON: Record<string, string> = { completion: 'prints a shell script', farm: 'a group: its sweep and status take --json' };

describe('CLI: conventions on every command', () => {
  const program = createProgram();
  const commands = program.commands;

  it('every command ends its help with examples, each a tinyforge command line of that command', () => {
    // commander prints the 'after' text only on --help: check it is attached by rendering it
    let printed = '';
    const c0 = commands.find((c) => c.name() === 'run')!;
    c0.configureOutput({ writeOut: (s) => (printed += s) });
    c0.outputHelp();
    expect(printed).to.match(/Examples:\n {2}tinyforge run /);
    expect(commands.length).to.be.greaterThan(15);
    for (const c of commands) {
      expect(COMMAND_EXAMPLES[c.name()], `${c.name()} has examples`).to.be.an('array').that.is.not.empty;
      for (const e of COMMAND_EXAMPLES[c.name()]!) expect(e, c.name()).to.match(new RegExp(`^tinyforge ${c.name()}\\b`));
    }
    for (const name of Object.keys(COMMAND_EXAMPLES))
      expect(
        commands.map((c) => c.name()),
        `examples of an unknown command ${name}`,
      ).to.include(name);
  });

  it('required options say so in the help', () => {
    let seen = 0;
    for (const c of commands) {
      const help = c.helpInformation();
      for (const o of c.options.filter((o) => o.mandatory)) {
        seen++;
        const line = help.slice(help.indexOf(o.flags));
        expect(line.slice(0, line.indexOf('\n  -') >= 0 ? line.indexOf('\n  -') : undefined), `${c.name()} ${o.flags}`).to.include('(required)');
      }
    }
    expect(seen, 'distill --teacher/--student at least').to.be.at.least(2);
  });

  it('--json on every command, one spelling per option across commands', () => {
    const spellings = new Map<string, Set<string>>();
    for (const c of commands) {
      const longs = c.options.map((o) => o.long).filter((l): l is string => l !== undefined);
      if (!WITHOUT_JSON[c.name()]) expect(longs, `${c.name()} --json`).to.include('--json');
      for (const o of c.options) {
        if (!o.short || !o.long) continue;
        const set = spellings.get(o.short) ?? new Set();
        set.add(o.long);
        spellings.set(o.short, set);
      }
    }
    // a short flag means one thing everywhere: -o/--output names what a command writes (compile's folder, a compressed model)
    for (const [short, longs] of spellings) {
      const names = [...longs];
      expect(names.length, `${short} is ${[...longs].join(' and ')}`).to.be.at.most(1);
    }
  });
});

describe('CLI: --baud wherever a port is', function () {
  it('run, profile, validate and flash take --baud; it needs --port and a sane rate', async function () {
    const { tinyforge } = await import('../helpers/cli.ts');
    const program = createProgram();
    for (const name of ['run', 'profile', 'validate', 'flash']) {
      const c = program.commands.find((x) => x.name() === name)!;
      const longs = c.options.map((o) => o.long);
      expect(longs, name).to.include('--port').and.include('--baud');
    }
    let r = tinyforge(['run', 'model.tflite', '--baud', '9600']);
    expect(r.stderr.trim()).to.equal("error: --baud sets a real serial port's rate: give --port too");
    r = tinyforge(['run', 'model.tflite', '--port', '/dev/null', '--baud', 'fast']);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^error: --baud must be a whole number of bits per second from 1200 to 4000000 .*got 'fast'$/);
  });

  it('the harness is built for the rate: another --baud is another image (build id), 115200 is the default image', async function () {
    const { requireTools, FAKE_MODEL_DIR, scratchDir } = await import('../build/helpers.ts');
    requireTools(this, ['arm-none-eabi-gcc']);
    const { buildFirmware } = await import('../../src/lab/toolchain/index.ts');
    const scratch = scratchDir('baud');
    try {
      const build = (consoleBaud: number | undefined, dir: string) =>
        buildFirmware({ target: 'cortex-m4', modelDir: FAKE_MODEL_DIR, outDir: `${scratch.dir}/${dir}`, ...(consoleBaud ? { consoleBaud } : {}) });
      const plain = await build(undefined, 'plain');
      const same = await build(115200, 'same');
      const slow = await build(9600, 'slow');
      expect(same.buildId).to.equal(plain.buildId);
      expect(slow.buildId).to.not.equal(plain.buildId);
    } finally {
      scratch.cleanup();
    }
  });
});
