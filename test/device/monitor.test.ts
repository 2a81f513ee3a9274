// SPDX-License-Identifier: Apache-2.0
/**
 * The console monitor (src/lab/device/monitor.ts): lines split from bytes as firmwares end them, and
 * an emulated board's console read while its firmware runs, on QEMU and on rp2040js.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { type ConsoleLine, LineSplitter, consoleBaud, openMonitor } from '../../src/lab/device/monitor.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { buildConsoleApp } from './console-app.ts';

const APP_LINES = ['console up', 'line two', 'three', 'after the pause', 'no ending'];

describe('monitor: lines from bytes', () => {
  const split = (chunks: (string | number[])[]) => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (const c of chunks) splitter.push(typeof c === 'string' ? new TextEncoder().encode(c) : Uint8Array.from(c));
    splitter.flush();
    return lines;
  };

  it('LF, CRLF and a lone CR each end one line, also split across chunks', () => {
    expect(split(['a\r\nb\nc\rd'])).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(split(['a\r', '\nb\r', 'c\n'])).to.deep.equal(['a', 'b', 'c']);
    expect(split(['par', 'tial', '\n\n'])).to.deep.equal(['partial', '']);
  });

  it('UTF-8 split across chunks stays one character; no trailing line when the stream ends at an ending', () => {
    expect(split([[0xc3], [0xa9, 0x0a]])).to.deep.equal(['é']);
    expect(split(['x\n'])).to.deep.equal(['x']);
  });

  it("the console rate: the user's, else the board's, else 115200", () => {
    expect(consoleBaud(findBoard('nucleo-l4r5zi').board, undefined)).to.equal(115200);
    expect(consoleBaud(findBoard('nucleo-l4r5zi').board, 921600)).to.equal(921600);
    expect(consoleBaud(undefined, undefined)).to.equal(115200);
  });
});

describe('monitor: an emulated board running a firmware that prints', function () {
  let scratch: ReturnType<typeof scratchDir>;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    scratch = scratchDir('monitor');
  });
  after(() => scratch?.cleanup());

  async function watch(board: string, pause: number): Promise<{ lines: ConsoleLine[]; end: Awaited<ReturnType<typeof openMonitor>>['ended'] }> {
    const elf = await buildConsoleApp(board, join(scratch.dir, board), { pause, status: 3 });
    const lines: ConsoleLine[] = [];
    const monitor = await openMonitor({ board, firmware: elf, onLine: (l) => lines.push(l) });
    return { lines, end: monitor.ended };
  }

  it('qemu-mps2-an386: every line with the time it arrived, the pause between them, the exit status at the end', async () => {
    const before = Date.now();
    // the pause is emulated instructions, so its wall time is the host's speed: ~60 M is 200 ms or more
    // on a fast host, seconds on a loaded one
    const { lines, end } = await watch('qemu-mps2-an386', 60_000_000);
    expect(await end).to.deep.equal({ reason: 'qemu-mps2-an386: the firmware exited with status 3', exitStatus: 3, stopped: false });
    expect(lines.map((l) => l.text)).to.deep.equal(APP_LINES);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.ms, lines[i]!.text).to.be.at.least(lines[i - 1]!.ms);
    // the emulated loop between "three" and the next line; the first lines arrive together
    expect(lines[3]!.ms - lines[2]!.ms).to.be.above(100);
    expect(lines[2]!.ms - lines[0]!.ms).to.be.below(100);
    expect(lines[0]!.ms).to.be.above(0);
    for (const l of lines) expect(l.at.getTime()).to.be.within(before, Date.now());
  });

  it('rp2040js: the same lines, the first ones included (sent before the host listened)', async () => {
    const { lines, end } = await watch('rp2040js', 300_000);
    expect((await end).exitStatus).to.equal(3);
    expect(lines.map((l) => l.text)).to.deep.equal(APP_LINES);
  });

  it('stop() ends a firmware that would run for long, and says it was stopped', async () => {
    const elf = await buildConsoleApp('qemu-mps2-an386', join(scratch.dir, 'long'), { pause: 4_000_000_000, status: 0 });
    const lines: string[] = [];
    let first!: () => void;
    const firstLine = new Promise<void>((r) => (first = r));
    const monitor = await openMonitor({
      board: 'qemu-mps2-an386',
      firmware: elf,
      // the three lines before the pause may arrive in separate reads on a loaded host: stop after the third
      onLine: (l) => {
        lines.push(l.text);
        if (lines.length === 3) first();
      },
    });
    await firstLine;
    const started = Date.now();
    await monitor.stop();
    expect(await monitor.ended).to.deep.equal({ reason: 'stopped', exitStatus: null, stopped: true });
    expect(Date.now() - started).to.be.below(2000);
    expect(lines).to.deep.equal(['console up', 'line two', 'three']);
  });

  it('bad input: a real board without a port, an emulated board without firmware, a missing file', async () => {
    const fail = (options: Parameters<typeof openMonitor>[0]) =>
      openMonitor(options).then(
        () => expect.fail('opened'),
        (e: Error) => e.message,
      );
    const onLine = () => {};
    expect(await fail({ board: 'nucleo-l4r5zi', onLine })).to.equal(
      'nucleo-l4r5zi is a real board: give --port /dev/ttyXXX (its console: LPUART1 at 115200 baud, through the ST-LINK virtual COM port (USB))',
    );
    expect(await fail({ board: 'qemu-mps2-an386', onLine })).to.equal(
      'qemu-mps2-an386 is emulated: give the firmware it runs (monitor --board qemu-mps2-an386 FIRMWARE)',
    );
    expect(await fail({ board: 'qemu-mps2-an386', firmware: '/no/such.elf', onLine })).to.equal('/no/such.elf: firmware not found');
    expect(await fail({ board: 'no-such-board', onLine })).to.match(/^unknown board 'no-such-board' \(known: /);
  });
});
