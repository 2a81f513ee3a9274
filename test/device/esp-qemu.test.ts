// SPDX-License-Identifier: Apache-2.0
/**
 * The ROM loader client against the chips' own ROM code: Espressif's QEMU (esp-qemu in the
 * reference-runtimes folder, docs/reference-runtimes.md) started in download mode, UART0 on a TCP
 * socket. Each live session is also recorded (TINYFORGE_RECORD_ESP_TRANSCRIPTS=1 rewrites
 * test/device/esp-rom-transcripts/*.json), and the recordings are replayed everywhere, CI included:
 * the client must make the very requests the ROM answered, and come to the same end.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flashEsp, type EspFlashOptions } from '../../src/lab/device/esp/flash.ts';
import { espAppImage, espAppImageFromElf } from '../../src/lab/device/esp/app_image.ts';
import { ESP_MACHINES, type EspMachineName, findEspQemu, flashEmulatedEsp, startEspQemu, writeFlashFile } from '../../src/lab/device/esp/emulated.ts';
import type { Transport } from '../../src/lab/device/transport/transport.ts';
import { FAKE_IO_BYTES, FAKE_MODEL_DIR, fakeModelExpected, requireTools, scratchDir } from '../build/helpers.ts';
import { DeviceSession } from '../../src/lab/device/session.ts';
import { tinyforgeAsync } from '../cli/async-cli.ts';
import { ESP32C3_QEMU_BOARD, buildEsp32c3Harness } from '../../src/lab/device/esp/c3_firmware.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { FaultyLink, type LinkFaults, RecordingTransport, ReplayTransport, type Transcript } from './esp-link.ts';

const TRANSCRIPTS = join(import.meta.dirname, 'esp-rom-transcripts');
const OFFSET = 0x10000;
const pattern = (bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => (i * 131 + 7) & 0xff);

interface Session {
  name: string;
  machine: EspMachineName;
  bytes: number;
  faults?: LinkFaults;
}

/** the sessions recorded: one per machine, and the faulted links on the C3 */
const SESSIONS: Session[] = [
  { name: 'esp32c3', machine: 'esp32c3', bytes: 1500 },
  { name: 'esp32s3', machine: 'esp32s3', bytes: 1024 },
  { name: 'esp32', machine: 'esp32', bytes: 1024 },
  { name: 'esp32c3-dropped-byte-once', machine: 'esp32c3', bytes: 1500, faults: { dropByteOfBlock: { at: 300, times: 1 } } },
  { name: 'esp32c3-dropped-byte-always', machine: 'esp32c3', bytes: 1500, faults: { dropByteOfBlock: { at: 300, times: 100 } } },
  { name: 'esp32c3-wrong-md5', machine: 'esp32c3', bytes: 1500, faults: { wrongMd5: true } },
];

type Outcome = { chip: string; retries: number; verified: boolean; md5: string[] } | { error: string };

async function flashOutcome(transport: Transport, session: Session, options: EspFlashOptions): Promise<Outcome> {
  const link = session.faults ? new FaultyLink(transport, session.faults) : transport;
  try {
    const report = await flashEsp(link, [{ offset: OFFSET, data: pattern(session.bytes), name: 'app.bin' }], {
      ...options,
      chip: ESP_MACHINES[session.machine].chip,
    });
    return { chip: report.chip, retries: report.retries, verified: report.verified, md5: report.images.map((i) => i.md5) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** what each session is to end in, against the real ROM */
function expectOutcome(session: Session, outcome: Outcome, port: string): void {
  const one = (message: string) => {
    expect(outcome).to.deep.equal({ error: message });
    expect(message).not.to.include('\n');
  };
  const md5 = 'e7f8e701d20b704616abf1bc530d2047';
  if (session.name === 'esp32') {
    // this emulator's ESP32 flash reads do not return the flash to the ROM: its MD5 is of other
    // bytes (and under load the machine's ROM loader at times answers late or not at all)
    expect('error' in outcome && outcome.error.startsWith(`${port}: `) && !outcome.error.includes('\n')).to.equal(true, JSON.stringify(outcome));
  } else if (session.name === 'esp32c3-dropped-byte-always') {
    one(`${port}: FLASH_DATA app.bin block 0 of 2: the ROM loader answered: invalid CRC in message after 3 tries`);
  } else if (session.name === 'esp32c3-wrong-md5') {
    expect('error' in outcome && /^.+: verify app\.bin at 0x10000: the flash holds MD5 [0-9a-f]{32}, the image has [0-9a-f]{32}$/.test(outcome.error)).to.equal(
      true,
      JSON.stringify(outcome),
    );
  } else {
    expect(outcome).to.deep.include({ chip: ESP_MACHINES[session.machine].chip, verified: true, retries: session.faults ? 1 : 0 });
    if (session.bytes === 1500) expect((outcome as { md5: string[] }).md5).to.deep.equal([md5]);
  }
}

describe('device/esp: the ROM loader against recorded sessions with the chips’ real ROMs', () => {
  const files = existsSync(TRANSCRIPTS) ? readdirSync(TRANSCRIPTS).filter((f) => f.endsWith('.json')) : [];

  it('has a recording of every session', () => {
    expect(files.sort()).to.deep.equal(SESSIONS.map((s) => `${s.name}.json`).sort());
  });

  for (const session of SESSIONS) {
    it(`replays ${session.name}: the same requests, the same end`, async () => {
      const transcript = JSON.parse(readFileSync(join(TRANSCRIPTS, `${session.name}.json`), 'utf8')) as Transcript;
      const port = transcript.about.port as string;
      const replay = new ReplayTransport(transcript, port);
      const outcome = await flashOutcome(replay, session, { lineBaud: ESP_MACHINES[session.machine].lineBaud, syncTries: 50 });
      expectOutcome(session, outcome, port);
      expect(outcome).to.deep.equal(transcript.about.outcome);
      expect(replay.finished).to.equal(true);
    });
  }
});

describe('device/esp: the ROM loader against the chips’ ROMs in Espressif’s QEMU', function () {
  for (const session of SESSIONS) {
    it(`${session.name}: ${session.faults ? `flashes over a faulty line (${Object.keys(session.faults).join(', ')})` : 'syncs, identifies the chip, flashes, verifies, ends'}`, async function () {
      const machine = ESP_MACHINES[session.machine];
      if (!findEspQemu(machine)) return skipAbsent(`${machine.qemu} (esp-qemu) not found in the reference-runtimes folder`, 'skipping', this, false);
      const scratch = scratchDir(`esp-qemu-${session.name}`);
      const flashFile = join(scratch.dir, 'flash.bin');
      try {
        writeFlashFile(flashFile, 4 * 1024 * 1024);
        const qemu = await startEspQemu(session.machine, { flashFile, mode: 'download' });
        const recording = new RecordingTransport(qemu.transport!);
        let outcome: Outcome;
        try {
          outcome = await flashOutcome(recording, session, { lineBaud: machine.lineBaud, syncTries: 50 });
        } finally {
          await qemu.stop();
        }
        expectOutcome(session, outcome, recording.name);
        // a verified image is in the flash file too
        const flash = readFileSync(flashFile);
        if (!('error' in outcome)) expect(Buffer.compare(flash.subarray(OFFSET, OFFSET + session.bytes), Buffer.from(pattern(session.bytes)))).to.equal(0);
        if (process.env.TINYFORGE_RECORD_ESP_TRANSCRIPTS) {
          const transcript: Transcript = {
            about: { machine: session.machine, bytes: session.bytes, offset: OFFSET, faults: session.faults ?? null, port: recording.name, outcome },
            exchange: recording.exchange,
          };
          writeFileSync(join(TRANSCRIPTS, `${session.name}.json`), `${JSON.stringify(transcript, null, 1)}\n`);
        }
      } finally {
        scratch.cleanup();
      }
    });
  }
});

describe('device/esp: a line slower than the loader assumes (the emulated ESP32-S3 at 115200)', () => {
  it('takes a late answer to a block as the answer, and gives the blocks after it more time', async function () {
    const machine = ESP_MACHINES.esp32s3;
    if (!findEspQemu(machine)) return skipAbsent(`${machine.qemu} (esp-qemu) not found in the reference-runtimes folder`, 'skipping', this, false);
    const scratch = scratchDir('esp32s3-slow');
    try {
      const flashFile = join(scratch.dir, 'flash.bin');
      writeFlashFile(flashFile, 4 * 1024 * 1024);
      const qemu = await startEspQemu('esp32s3', { flashFile, mode: 'download' });
      const notes: string[] = [];
      try {
        const data = pattern(2048);
        const report = await flashEsp(qemu.transport!, [{ offset: OFFSET, data, name: 'app.bin' }], {
          chip: 'ESP32-S3',
          syncTries: 50,
          progress: (m) => notes.push(m),
        });
        expect(report).to.deep.include({ chip: 'ESP32-S3', verified: true, retries: 0 });
        expect(notes.filter((n) => / a slow line, waiting up to \d+ ms a block$/.test(n))).to.have.length(1);
      } finally {
        await qemu.stop();
      }
      expect(Buffer.compare(readFileSync(flashFile).subarray(OFFSET, OFFSET + 2048), Buffer.from(pattern(2048)))).to.equal(0);
    } finally {
      scratch.cleanup();
    }
  });
});

describe('device/esp: the ESP image format the ROMs boot', () => {
  it('writes the header, the segments, the checksum at the end of a 16-byte line and the SHA-256', () => {
    const image = espAppImage('ESP32-C3', 0x40380000, [
      { address: 0x3fc90000, data: Uint8Array.of(1, 2, 3, 4, 5) },
      { address: 0x40380000, data: Uint8Array.of(0x13, 0, 0, 0) },
    ]);
    expect(Array.from(image.subarray(0, 24))).to.deep.equal([
      0xe9, 2, 2, 0x20, 0x00, 0x00, 0x38, 0x40, 0xee, 0, 0, 0, 5, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 1,
    ]);
    // 24 + (8 + 8) + (8 + 4) = 52 bytes, the checksum at 63: 0xEF ^ 1 ^ 2 ^ 3 ^ 4 ^ 5 ^ 0x13
    expect(image.length).to.equal(64 + 32);
    expect(Array.from(image.subarray(24, 40))).to.deep.equal([0, 0, 0xc9, 0x3f, 8, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
    expect(image[63]).to.equal(0xef ^ 1 ^ 2 ^ 3 ^ 4 ^ 5 ^ 0x13);
    expect(Buffer.from(image.subarray(64)).toString('hex')).to.equal(createHash('sha256').update(image.subarray(0, 64)).digest('hex'));
    expect(() => espAppImage('ESP32-C6', 0, [{ address: 0, data: Uint8Array.of(0) }])).to.throw(/no ESP image format for ESP32-C6/);
  });

  it('esp32c3: an image flashed through the ROM loader is booted by the ROM and talks on UART0', async function () {
    const machine = ESP_MACHINES.esp32c3;
    if (!findEspQemu(machine)) return skipAbsent(`${machine.qemu} (esp-qemu) not found in the reference-runtimes folder`, 'skipping', this, false);
    requireTools(this, ['riscv64-unknown-elf-gcc']);
    const scratch = scratchDir('esp32c3-boot');
    try {
      const elf = join(scratch.dir, 'boot.elf');
      const firmware = join(import.meta.dirname, '..', '..', 'firmware', 'esp32c3');
      execFileSync('riscv64-unknown-elf-gcc', [
        ...['-march=rv32imc_zicsr', '-mabi=ilp32', '-O2', '-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror'],
        ...['-ffreestanding', '-nostdlib', '-nostartfiles', '-T', join(firmware, 'esp32c3.ld'), join(firmware, 'boot.c'), '-o', elf],
      ]);
      const image = espAppImageFromElf('ESP32-C3', new Uint8Array(readFileSync(elf)), elf);
      const flashFile = join(scratch.dir, 'flash.bin');
      writeFlashFile(flashFile, 4 * 1024 * 1024);
      const flashed = await flashEmulatedEsp('esp32c3', flashFile, [{ offset: machine.bootOffset, data: image, name: 'boot.bin' }]);
      const running = flashed.running!;
      try {
        expect(flashed.report.verified).to.equal(true);
        let text = '';
        running.transport!.onData((b) => (text += Buffer.from(b).toString('latin1')));
        const until = async (pattern: RegExp) => {
          for (let waited = 0; !pattern.test(text) && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
          expect(text).to.match(pattern);
        };
        await until(/boot:0x8 \(SPI_FAST_FLASH_BOOT\)[\s\S]*entry 0x40380000\r\ntinyforge: esp32c3 image booted by the ROM\r\n/);
        await running.transport!.write(new TextEncoder().encode('ping'));
        await until(/booted by the ROM\r\nping$/);
      } finally {
        await running.stop();
      }
    } finally {
      scratch.cleanup();
    }
  });
});

describe('device/esp: the device harness on the ESP32-C3, booted by its ROM from flash', () => {
  it('is flashed through the ROM loader, answers HELLO on UART0 and runs the model', async function () {
    const machine = ESP_MACHINES.esp32c3;
    if (!findEspQemu(machine)) return skipAbsent(`${machine.qemu} (esp-qemu) not found in the reference-runtimes folder`, 'skipping', this, false);
    requireTools(this, ['riscv64-unknown-elf-gcc']);
    const scratch = scratchDir('esp32c3-harness');
    try {
      const build = await buildEsp32c3Harness(FAKE_MODEL_DIR, scratch.dir);
      const flashFile = join(scratch.dir, 'flash.bin');
      writeFlashFile(flashFile, 4 * 1024 * 1024);
      const flashed = await flashEmulatedEsp(
        'esp32c3',
        flashFile,
        [{ offset: machine.bootOffset, data: new Uint8Array(readFileSync(build.image)), name: 'harness.bin' }],
        {
          runLink: 'pty',
        },
      );
      const running = flashed.running!;
      try {
        expect(flashed.report.verified).to.equal(true);
        const session = await DeviceSession.open({ port: running.ptyPath!, expectBuildId: build.buildId });
        try {
          expect(session.hello).to.deep.include({
            target: 'esp32c3',
            board: ESP32C3_QEMU_BOARD,
            buildId: build.buildId,
            counter: 'minstret',
            inputBytes: FAKE_IO_BYTES,
          });
          const input = Uint8Array.from({ length: FAKE_IO_BYTES }, (_, i) => i * 17 + 3);
          await session.writeInputs(input);
          await session.invoke();
          expect(Array.from(await session.readOutputs())).to.deep.equal(Array.from(fakeModelExpected(input)));
        } finally {
          await session.close();
        }
      } finally {
        await running.stop();
      }
    } finally {
      scratch.cleanup();
    }
  });
});

describe('device/esp: `tinyforge flash` on the emulated ESP32-C3’s pseudo-terminal', () => {
  it('flashes the harness image through the ROM, which then boots it; a chip not in download mode is one error line', async function () {
    const machine = ESP_MACHINES.esp32c3;
    if (!findEspQemu(machine)) return skipAbsent(`${machine.qemu} (esp-qemu) not found in the reference-runtimes folder`, 'skipping', this, false);
    requireTools(this, ['riscv64-unknown-elf-gcc']);
    const scratch = scratchDir('esp32c3-cli');
    try {
      const build = await buildEsp32c3Harness(FAKE_MODEL_DIR, scratch.dir);
      const flashFile = join(scratch.dir, 'flash.bin');
      writeFlashFile(flashFile, 4 * 1024 * 1024);
      const loader = await startEspQemu('esp32c3', { flashFile, mode: 'download', link: 'pty' });
      try {
        const flashed = await tinyforgeAsync(['flash', build.image, '--target', 'esp32c3', '--port', loader.ptyPath!, '--address', '0x0']);
        expect(flashed.status).to.equal(0, flashed.stderr);
        expect(flashed.stdout).to.match(
          /^flashed 1 image to the ESP32-C3 on \/dev\/pts\/\d+ through its ROM loader, verified by MD5\n  0x00000000  harness\.bin/,
        );
      } finally {
        await loader.stop();
      }
      const running = await startEspQemu('esp32c3', { flashFile, mode: 'flash', link: 'pty' });
      try {
        const session = await DeviceSession.open({ port: running.ptyPath!, expectBuildId: build.buildId });
        expect(session.hello.board).to.equal(ESP32C3_QEMU_BOARD);
        await session.close();
        // the harness, not the ROM loader, is on the line now
        const refused = await tinyforgeAsync(['flash', build.image, '--target', 'esp32c3', '--port', running.ptyPath!, '--address', '0x0']);
        expect(refused.status).to.equal(1);
        expect(
          refused.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('error:')),
        ).to.deep.equal([`error: ${running.ptyPath}: SYNC: no answer from a ROM loader after 10 tries (is the chip in download mode?)`]);
      } finally {
        await running.stop();
      }
    } finally {
      scratch.cleanup();
    }
  });
});
