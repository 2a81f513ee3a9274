// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge monitor` as a user runs it: an emulated board running a firmware that prints, a real
 * port (one end of a socat pty pair; this test writes the board's lines into the other end, and ends
 * the monitor with Ctrl-C), and bad input.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { type PtyPair, ptyPair } from '../device/protocol-fakes.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { buildConsoleApp } from '../device/console-app.ts';
import { lastLine, tinyforgeAsync } from './async-cli.ts';
import { createProgram } from '../../src/face/cli/program.ts';
import { TinyforgeError } from '../../src/core/errors.ts';

const MNIST = resolve(PROJECT_ROOT, 'examples/mnist/mnist_cnn_int8.tflite');
const APP_LINES = ['console up', 'line two', 'three', 'after the pause', 'no ending'];
const RELATIVE = /^\[ *(\d+\.\d{3})\] (.*)$/;

describe('cli: monitor', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let pair: PtyPair | undefined;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm', 'socat']);
    scratch = scratchDir('cli-monitor');
  });
  after(() => scratch?.cleanup());
  afterEach(() => {
    pair?.kill();
    pair = undefined;
  });

  it('--board qemu-mps2-an386 FIRMWARE: the lines with seconds since start, then the exit status', async () => {
    // the pause is emulated instructions, so its wall time is the host's speed: 60 M is 200 ms or more
    const elf = await buildConsoleApp('qemu-mps2-an386', join(scratch.dir, 'app'), { pause: 60_000_000, status: 0 });
    const r = await tinyforgeAsync(['monitor', '--board', 'qemu-mps2-an386', elf]);
    expect(r.status, r.stderr).to.equal(0);
    const parsed = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => RELATIVE.exec(l));
    expect(
      parsed.every((m) => m !== null),
      r.stdout,
    ).to.equal(true);
    expect(parsed.map((m) => m![2])).to.deep.equal(APP_LINES);
    const seconds = parsed.map((m) => Number(m![1]));
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).to.be.at.least(seconds[i - 1]!);
    expect(seconds[3]! - seconds[2]!).to.be.above(0.1);
    expect(r.stderr).to.include('qemu-mps2-an386 (qemu-system-arm): the console follows; Ctrl-C ends it');
    expect(lastLine(r.stderr)).to.equal('qemu-mps2-an386: the firmware exited with status 0');
  });

  it('--json --timestamps wall, a firmware exiting with status 3: one object a line, then one error line and exit 1', async () => {
    const elf = await buildConsoleApp('qemu-mps2-an386', join(scratch.dir, 'app3'), { pause: 1000, status: 3 });
    const r = await tinyforgeAsync(['monitor', '--board', 'qemu-mps2-an386', elf, '--json', '--timestamps', 'wall']);
    expect(r.status).to.equal(1);
    const objects = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: number; wall: string; line: string });
    expect(objects.map((o) => o.line)).to.deep.equal(APP_LINES);
    for (const o of objects) {
      expect(Object.keys(o)).to.deep.equal(['t', 'wall', 'line']);
      expect(o.t).to.be.a('number').at.least(0);
      expect(Date.parse(o.wall)).to.be.within(Date.now() - 60_000, Date.now());
    }
    expect(lastLine(r.stderr)).to.equal('error: qemu-mps2-an386: the firmware exited with status 3');
  });

  it('--board qemu-mps2-an386 MODEL --project-app: the starter app built for the board, its inference on the console', async () => {
    const r = await tinyforgeAsync(['monitor', '--board', 'qemu-mps2-an386', MNIST, '--project-app']);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => RELATIVE.exec(l)?.[2]);
    expect(lines[0]).to.equal('mnist_cnn_int8: one inference on the sample input');
    expect(lines[1]).to.match(/^status 0, \d+ counter ticks$/);
    expect(lines[2]).to.match(/^top class (\d+) \(tinyforge's reference: \1\)$/);
    expect(r.stderr).to.include('building the starter app of mnist_cnn_int8 for qemu-mps2-an386');
  });

  it('--port: the lines the board sends, timestamped as they come, at the board console rate; Ctrl-C ends it with status 0', async () => {
    pair = await ptyPair();
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'bin/tinyforge.js'), 'monitor', '--port', pair.a, '--board', 'nucleo-l4r5zi'], {
      cwd: PROJECT_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const until = async (ready: () => boolean, what: string) => {
      for (let waited = 0; !ready(); waited += 20) {
        if (waited > 20_000) throw new Error(`${what}: stdout ${stdout} stderr ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const board = await SerialTransport.open(pair.b);
    try {
      await until(() => stderr.includes('Ctrl-C ends it'), 'the monitor opened the port');
      expect(stderr).to.include(`${pair.a} at 115200 baud: the console follows; Ctrl-C ends it`);
      await board.write(new TextEncoder().encode('boot\r\nready'));
      await until(() => stdout.includes('boot'), 'the first line');
      await new Promise((r) => setTimeout(r, 300));
      await board.write(new TextEncoder().encode('\n\u001b[0;32mI (42) green\u001b[0m\n'));
      await until(() => stdout.includes('green'), 'the last line');
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      await board.close();
    }
    const parsed = stdout
      .trimEnd()
      .split('\n')
      .map((l) => RELATIVE.exec(l)!);
    expect(parsed.map((m) => m[2])).to.deep.equal(['boot', 'ready', 'I (42) green']);
    expect(Number(parsed[1]![1]) - Number(parsed[0]![1])).to.be.above(0.2);
    expect(stderr).to.not.include('error');
  });

  it('bad input: one line each and a non-zero exit', async () => {
    // the one-line error and its exit status, through the real CLI once
    const r = tinyforge(['monitor', '--port', '/dev/tinyforge-no-such-port']);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr.trim()).to.match(/^error: --port \/dev\/tinyforge-no-such-port: no such port/);
    // the rest in this process: each is refused before a port or an emulator is opened
    const cases: [string[], RegExp][] = [
      [['--board', 'nucleo-l4r5zi'], /^nucleo-l4r5zi is a real board: give --port \/dev\/ttyXXX \(its console: LPUART1 at 115200 baud/],
      [['--board', 'qemu-mps2-an386', 'no-such.elf'], /^\/.*\/no-such\.elf: firmware not found$/],
      [['--board', 'qemu-mps2-an386', 'model.tflite'], /^model\.tflite is a model: monitor runs a firmware .* or with --project-app/],
      [['--board', 'qemu-mps2-an386', 'app.elf', '--project-app'], /^--project-app builds a model's starter app for an emulated board/],
      [
        ['--board', 'nucleo-l4r5zi', 'model.tflite', '--project-app'],
        /^--project-app runs the starter app on an emulated board; nucleo-l4r5zi is a real board/,
      ],
      [['--board', 'qemu-mps2-an386', 'no-such.tflite', '--project-app'], /^no-such\.tflite: model not found$/],
      [['--port', '/dev/null', 'app.elf'], /^with --port the board runs what it was flashed with: flash app\.elf first/],
      [['--baud', '9600', '--board', 'qemu-mps2-an386', 'app.elf'], /^--baud sets a real serial port's rate: give --port too$/],
      [['--board', 'qemu-mps2-an386', 'app.elf', '--timestamps', 'utc'], /^--timestamps must be relative or wall, got 'utc'$/],
      [[], /^monitor needs --port P \(a real board\) or --board B FIRMWARE \(an emulated board\)$/],
    ];
    for (const [args, expected] of cases) {
      const error = await createProgram()
        .parseAsync(['node', 'tinyforge', 'monitor', ...args])
        .then(
          () => null,
          (e: Error) => e,
        );
      expect(error, args.join(' ')).to.be.instanceOf(TinyforgeError);
      expect(error!.message, args.join(' ')).to.match(expected);
    }
  });
});
