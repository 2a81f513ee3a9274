// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing through OpenOCD, against a fake `openocd` (fake-openocd.ts: OpenOCD 0.12's remote_bitbang
 * has no SWD, so no real OpenOCD can reach a fake target here). What is tested: the arguments given
 * (board configs, `program {FILE} [ADDRESS] verify reset exit`), the outcome read from its output,
 * one-line errors (missing openocd, no probe, verify failed, timeout) and that a timed-out openocd's
 * whole process group is stopped.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { join } from 'node:path';
import { expect } from 'chai';
import { TinyforgeError } from '../../../src/core/errors.ts';
import { flashWithOpenOcd, openOcdArgs, openOcdFailure, type OpenOcdOptions } from '../../../src/lab/device/swd/openocd.ts';
import { swdChipOf } from '../../../src/lab/device/swd/chips.ts';
import { scratchDir } from '../../build/helpers.ts';
import { PROJECT_ROOT, tinyforge } from '../../helpers/cli.ts';
import { writeFakeOpenOcd } from './fake-openocd.ts';
import { HANG_GUARD_MS } from '../../support/hang-guard.ts';

/** Whether a process runs (a zombie does not: here PID 1 may not reap orphans). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('device/swd: flashing through OpenOCD (a fake openocd)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let fake: string;
  let elf: string;
  let argsFile: string;

  before(() => {
    scratch = scratchDir('openocd');
    fake = writeFakeOpenOcd(scratch.dir);
    // a .hex: OpenOCD and tinyforge both read it (one data record at 0x08000000, then EOF)
    elf = join(scratch.dir, 'my app.hex');
    writeFileSync(elf, ':020000040800F2\n:10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n');
    argsFile = join(scratch.dir, 'args.txt');
  });
  after(() => scratch.cleanup());
  afterEach(() => {
    delete process.env.FAKE_OPENOCD_MODE;
    delete process.env.FAKE_OPENOCD_ARGS;
    delete process.env.FAKE_OPENOCD_PIDS;
  });

  const base = (): OpenOcdOptions => ({
    file: elf,
    config: swdChipOf('STM32L4R5ZIT6')!.openocd,
    probe: { kind: 'openocd' },
    board: 'nucleo-l4r5zi',
    command: fake,
    timeoutMs: HANG_GUARD_MS,
  });

  async function failure(options: OpenOcdOptions): Promise<string> {
    try {
      await flashWithOpenOcd(options);
    } catch (e) {
      expect(e).to.be.instanceOf(TinyforgeError);
      expect((e as Error).message).to.not.include('\n');
      return (e as Error).message;
    }
    throw new Error('expected a failure');
  }

  it("gives the board's configs and program FILE verify reset exit; verified OK is success", async () => {
    process.env.FAKE_OPENOCD_ARGS = argsFile;
    const steps: string[] = [];
    const r = await flashWithOpenOcd({ ...base(), progress: (m) => steps.push(m) });
    expect(r).to.include({ verified: true, started: true, version: '0.12.0', probe: 'openocd' });
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).to.deep.equal([
      '-f',
      'interface/stlink.cfg',
      '-c',
      'transport select hla_swd',
      '-f',
      'target/stm32l4x.cfg',
      '-c',
      `program {${elf}} verify reset exit`,
    ]);
    expect(steps).to.include.members(['OpenOCD: programming', 'OpenOCD: verifying', 'OpenOCD: resetting the target']);
  });

  it('each SWD board chip has its OpenOCD target config', () => {
    expect(swdChipOf('STM32U575ZIT6Q')!.openocd).to.include('target/stm32u5x.cfg');
    expect(swdChipOf('STM32H7A3ZIT6Q')!.openocd).to.include('target/stm32h7x.cfg');
    expect(swdChipOf('nRF52840-QIAA')!.openocd).to.deep.equal(['-f', 'interface/jlink.cfg', '-c', 'transport select swd', '-f', 'target/nrf52.cfg']);
    expect(swdChipOf('RP2040')!.openocd).to.deep.equal(['-f', 'interface/cmsis-dap.cfg', '-f', 'target/rp2040.cfg', '-c', 'adapter speed 5000']);
    expect(swdChipOf('RP2040')!.family).to.equal(undefined);
    expect(swdChipOf('RP2350A')).to.equal(undefined);
  });

  it('a .bin gets its address, a serial picks the adapter, --no-go drops reset', () => {
    expect(openOcdArgs({ ...base(), file: 'a.bin', address: 0x08000000, probe: { kind: 'openocd', serial: '066DFF' }, noGo: true })).to.deep.equal([
      '-c',
      'adapter serial {066DFF}',
      ...swdChipOf('STM32L4R5ZIT6')!.openocd,
      '-c',
      'program {a.bin} 0x8000000 verify exit',
    ]);
  });

  it("reads OpenOCD's output: a checksum mismatch that the byte compare clears is a success", () => {
    const ok = 'Error: checksum mismatch - attempting binary compare\n** Verified OK **\n';
    expect(openOcdFailure(ok, 'pico')).to.equal(undefined);
    expect(openOcdFailure('** Programming Started **\nError: flash write algorithm aborted by target\n** Programming Failed **\n', 'pico')).to.equal(
      'OpenOCD could not program the flash: flash write algorithm aborted by target',
    );
    expect(openOcdFailure('** Programming Finished **\nshutdown command invoked\n', 'pico')).to.equal('OpenOCD did not report the image verified');
  });

  it('verify failed: one line, not reported flashed', async () => {
    process.env.FAKE_OPENOCD_MODE = 'verify-failed';
    expect(await failure(base())).to.equal(
      '--probe openocd: OpenOCD read the flash back and it differs from the image (verify failed); the image is not flashed',
    );
  });

  it('no probe: one line naming the cause', async () => {
    process.env.FAKE_OPENOCD_MODE = 'no-probe';
    expect(await failure(base())).to.equal(
      "--probe openocd: OpenOCD found no probe or no target for nucleo-l4r5zi (USB cable, the board's power, udev permissions for the probe): open failed",
    );
  });

  it('openocd missing: one line naming the apt package', async () => {
    expect(await failure({ ...base(), command: join(scratch.dir, 'no-such-openocd') })).to.match(/not found; install it \(apt-get install openocd\)/);
  });

  it('a timeout stops openocd and its children: nothing is left behind', async () => {
    process.env.FAKE_OPENOCD_MODE = 'hang';
    const pids = join(scratch.dir, 'pids.txt');
    process.env.FAKE_OPENOCD_PIDS = pids;
    expect(await failure({ ...base(), timeoutMs: 1500 })).to.equal(
      '--probe openocd: OpenOCD did not finish in 1.5 s and was stopped; the image is not known to be flashed',
    );
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    for (let i = 0; i < 50 && (alive(shell!) || alive(sleeper!)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(shell!), 'openocd').to.equal(false);
    expect(alive(sleeper!), "openocd's child").to.equal(false);
  });

  it('tinyforge flash --board nucleo-l4r5zi --probe openocd, with openocd on PATH', () => {
    const env = { ...process.env, PATH: `${scratch.dir}:${process.env.PATH}`, FAKE_OPENOCD_ARGS: argsFile };
    const r = tinyforge(['flash', elf, '--board', 'nucleo-l4r5zi', '--probe', 'openocd', '--json'], { env });
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json).to.deep.include({ board: 'nucleo-l4r5zi', chip: 'STM32L4R5ZIT6', method: 'openocd', image: { source: elf, bytes: 16 } });
    expect(json.flash).to.include({ verified: true, started: true });
    const failed = tinyforge(['flash', elf, '--board', 'nucleo-h7a3zi-q', '--probe', 'openocd'], { env: { ...env, FAKE_OPENOCD_MODE: 'verify-failed' } });
    expect(failed.status).to.equal(1);
    expect(failed.stdout).to.equal('');
    expect(failed.stderr.trim().split('\n').pop()).to.equal(
      'error: --probe openocd: OpenOCD read the flash back and it differs from the image (verify failed); the image is not flashed',
    );
  });

  it('Ctrl-C while openocd runs: openocd and its children are stopped, one line, exit 130', async () => {
    const pids = join(scratch.dir, 'pids-interrupt.txt');
    const env = { ...process.env, PATH: `${scratch.dir}:${process.env.PATH}`, FAKE_OPENOCD_MODE: 'hang', FAKE_OPENOCD_PIDS: pids };
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'bin/tinyforge.js'), 'flash', elf, '--board', 'nucleo-l4r5zi', '--probe', 'openocd'], { env });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const status = await new Promise<number | null>((done) => {
      const poll = setInterval(() => {
        if (existsSync(pids) && readFileSync(pids, 'utf8').includes(' ')) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
      child.on('close', (code) => {
        clearInterval(poll);
        done(code);
      });
    });
    expect(status).to.equal(130);
    expect(stdout).to.equal('');
    expect(stderr.trim().split('\n').pop()).to.equal('error: interrupted by SIGINT (stopped 1 child process); nothing was left half-written');
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(alive(shell!), 'openocd').to.equal(false);
    expect(alive(sleeper!), "openocd's child").to.equal(false);
  });
});
