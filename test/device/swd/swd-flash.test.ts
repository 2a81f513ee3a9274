// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing over SWD through a CMSIS-DAP probe, end to end against the fake probe (fake-probe.ts): the
 * real code path (dapjs on our TCP transport, the flash controller sequences, the read-back) writes
 * into an emulated nRF52840 NVMC and STM32L4+ FLASH. Faults: WAIT and FAULT acks, a stuck flash bit,
 * the socket closed mid-transfer: one line each, and never a report of an image flashed.
 */
import { expect } from 'chai';
import { TinyforgeError } from '../../../src/core/errors.ts';
import { makeImage } from '../../../src/lab/device/stm32/image.ts';
import { FakeProbe, type FakeProbeOptions } from './fake-probe.ts';
import { type SwdFlashOptions, alignedRuns, flashSwd } from '../../../src/lab/device/swd/flash.ts';
import { parseProbe } from '../../../src/lab/device/swd/probe.ts';
import { STM32L4 } from '../../../src/lab/device/swd/chips.ts';

const NRF_FLASH = { origin: 0, bytes: 1 << 20 };
const STM_FLASH = { origin: STM32L4.FLASH_BASE, bytes: 2 << 20 };

/** An image of `length` bytes at `address` (a pattern with both 0 and 1 bits in every position). */
function imageAt(address: number, length: number) {
  const data = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff);
  return { image: makeImage('app.bin', [{ address, data }]), data };
}

async function withProbe<T>(options: FakeProbeOptions, work: (probe: FakeProbe) => Promise<T>): Promise<T> {
  const probe = await FakeProbe.start(options);
  try {
    return await work(probe);
  } finally {
    await probe.close();
  }
}

const CHIPS = { nrf52: 'nRF52840-QIAA', stm32l4: 'STM32L4R5ZIT6', stm32u5: 'STM32U575ZIT6Q' } as const;

function optionsFor(probe: FakeProbe, extra: Partial<SwdFlashOptions> = {}): SwdFlashOptions {
  const nrf = probe.options.family === 'nrf52';
  return {
    probe: parseProbe(probe.address),
    family: probe.options.family,
    chip: CHIPS[probe.options.family],
    flash: nrf ? NRF_FLASH : STM_FLASH,
    timeoutMs: 2000,
    ...extra,
  };
}

async function failure(work: () => Promise<unknown>): Promise<TinyforgeError> {
  try {
    await work();
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    expect((e as Error).message).to.not.include('\n');
    return e as TinyforgeError;
  }
  throw new Error('expected a failure');
}

describe('device/swd: flashing through a CMSIS-DAP probe (fake probe on TCP)', function () {
  it('aligns an image into programming units, padding with erased bytes', () => {
    const image = makeImage('a.bin', [
      { address: 0x1001, data: Uint8Array.of(1, 2) },
      { address: 0x1006, data: Uint8Array.of(3) },
      { address: 0x2000, data: Uint8Array.of(4) },
    ]);
    const runs = alignedRuns(image, 8);
    expect(runs.map((r) => [r.address, [...r.data]])).to.deep.equal([
      [0x1000, [0xff, 1, 2, 0xff, 0xff, 0xff, 3, 0xff]],
      [0x2000, [4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ]);
  });

  for (const family of ['nrf52', 'stm32l4', 'stm32u5'] as const) {
    const base = family === 'nrf52' ? 0 : STM32L4.FLASH_BASE;
    const page = family === 'stm32u5' ? 8192 : 4096;

    it(`${family}: erases the pages the image touches, programs it, reads it back, resets into it`, async () => {
      await withProbe({ family }, async (probe) => {
        // the image starts 3 bytes into page 1, off alignment, and crosses 1 KiB blocks into page 2
        probe.target.flash.bytes.fill(0x00, 0, 4 * page);
        const { image, data } = imageAt(base + page + 3, page + 1000);
        const steps: string[] = [];
        const r = await flashSwd(image, optionsFor(probe, { progress: (m) => steps.push(m) }));
        expect(r.verified).to.equal(true);
        expect(r.started).to.equal(true);
        expect(r.pagesErased).to.equal(2);
        expect(r.dpidr).to.equal(0x2ba01477);
        const flash = probe.target.flash.bytes;
        expect([...flash.subarray(page + 3, page + 3 + data.length)]).to.deep.equal([...data]);
        expect(flash[page + 2]).to.equal(0xff); // erased with the page, not written
        expect(flash[page - 1]).to.equal(0x00); // page 0: untouched
        expect(flash[3 * page - 1]).to.equal(0xff);
        expect(flash[3 * page]).to.equal(0x00); // page 3: untouched
        expect(probe.target.resets).to.equal(1);
        expect(probe.target.halted).to.equal(false);
        if (family === 'nrf52') expect(probe.target.nvmcConfig).to.equal(0);
        else expect(probe.target.cr >>> 0).to.equal(STM32L4.CR_LOCK >>> 0);
        expect(steps.join('\n')).to.match(/SW-DP 0x2ba01477/);
      });
    });

    it(`${family}: --no-go writes and verifies but leaves the core halted`, async () => {
      await withProbe({ family, packetSize: 1024 }, async (probe) => {
        const { image } = imageAt(base, 2048);
        const r = await flashSwd(image, optionsFor(probe, { noGo: true }));
        expect(r.started).to.equal(false);
        expect(probe.target.resets).to.equal(0);
        expect(probe.target.halted).to.equal(true);
      });
    });

    it(`${family}: a stuck flash bit fails the verify: one line, the image is not reported flashed, the core is not started`, async () => {
      // byte 0x10 of the image is (16*37+11)&0xff = 0x5b: bit 2 is 0, stuck at 1 it reads 0x5f
      await withProbe({ family, stuckBits: [{ address: base + 0x10, bit: 2 }] }, async (probe) => {
        const { image } = imageAt(base, 256);
        const e = await failure(() => flashSwd(image, optionsFor(probe)));
        expect(e.message).to.equal(
          `--probe ${probe.address}: verify at 0x${(base + 0x10).toString(16).padStart(8, '0')}: reads 0x5f, 0x5b was written; the image is not flashed (core left halted)`,
        );
        expect(probe.target.resets).to.equal(0);
      });
    });
  }

  it('WAIT acks past the probe retries: one line naming the step, nothing reported', async () => {
    await withProbe({ family: 'nrf52', waitFromTransfer: 40 }, async (probe) => {
      const e = await failure(() => flashSwd(imageAt(0, 4096).image, optionsFor(probe)));
      expect(e.message).to.match(/^--probe tcp:127\.0\.0\.1:\d+: .*: the target kept answering WAIT after the probe retried/);
    });
  });

  it('a FAULT ack on a flash write: one line naming the address', async () => {
    await withProbe({ family: 'nrf52', faultAt: 0x400 }, async (probe) => {
      const e = await failure(() => flashSwd(imageAt(0, 4096).image, optionsFor(probe)));
      expect(e.message).to.match(/writing 1024 bytes at 0x00000400: the target answered FAULT/);
    });
  });

  it('STM32U5: an image in bank 2 erases its pages there (BKER, PNB counted from the bank)', async () => {
    await withProbe({ family: 'stm32u5' }, async (probe) => {
      const { image, data } = imageAt(STM32L4.FLASH_BASE + 0x100000 + 0x4000, 100);
      await flashSwd(image, optionsFor(probe));
      expect(probe.target.erases).to.deep.equal([STM32L4.FLASH_BASE + 0x104000]);
      expect([...probe.target.flash.bytes.subarray(0x104000, 0x104000 + 100)]).to.deep.equal([...data]);
    });
  });

  it('STM32L4+: bank 2 with DBANK=1 (4 KiB pages, BKER), one bank of 8 KiB pages with DBANK=0', async () => {
    await withProbe({ family: 'stm32l4' }, async (probe) => {
      await flashSwd(imageAt(STM32L4.FLASH_BASE + 0x101000, 32).image, optionsFor(probe));
      expect(probe.target.erases).to.deep.equal([STM32L4.FLASH_BASE + 0x101000]);
    });
    await withProbe({ family: 'stm32l4', dualBank: false }, async (probe) => {
      const r = await flashSwd(imageAt(STM32L4.FLASH_BASE + 0x103000, 32).image, optionsFor(probe));
      expect(probe.target.erases).to.deep.equal([STM32L4.FLASH_BASE + 0x102000]);
      expect(r.pagesErased).to.equal(1);
    });
  });

  it('STM32: a FAULT while programming says what FLASH_SR reports (programming over unerased flash)', async () => {
    await withProbe({ family: 'stm32l4' }, async (probe) => {
      // a page the erase does not reach: the image's second page is pre-erased by nobody
      const { image } = imageAt(STM32L4.FLASH_BASE, 64);
      const original = probe.target.write32.bind(probe.target);
      // swallow the page erase, so programming meets the 0x00 left there
      probe.target.flash.bytes.fill(0, 0, 64);
      probe.target.write32 = (address, value) => (address === STM32L4.CR && (value & STM32L4.CR_STRT) !== 0 ? true : original(address, value));
      const e = await failure(() => flashSwd(image, optionsFor(probe)));
      expect(e.message).to.match(/programming 64 bytes at 0x08000000: FLASH_SR reports PROGERR \(not erased\)/);
    });
  });

  it('the socket closed mid-transfer: one line, the flash may hold part of the image', async () => {
    await withProbe({ family: 'stm32l4', closeAtRequest: 60 }, async (probe) => {
      const e = await failure(() => flashSwd(imageAt(STM32L4.FLASH_BASE, 8192).image, optionsFor(probe)));
      expect(e.message).to.match(
        /^--probe tcp:127\.0\.0\.1:\d+: the probe closed the connection in the middle of a transfer; the flash may hold part of the image$/,
      );
    });
  });

  it('no probe listening: one line', async () => {
    const probe = await FakeProbe.start({ family: 'nrf52' });
    await probe.close();
    const e = await failure(() => flashSwd(imageAt(0, 16).image, optionsFor(probe)));
    expect(e.message).to.match(/cannot connect \(ECONNREFUSED\); is the probe's server running there\?$/);
  });

  it('the wrong chip on the wire: refused before anything is erased', async () => {
    await withProbe({ family: 'stm32l4' }, async (probe) => {
      const e = await failure(() => flashSwd(imageAt(0, 16).image, { ...optionsFor(probe), family: 'nrf52', chip: 'nRF52840-QIAA', flash: NRF_FLASH }));
      expect(e.message).to.match(/reading FICR INFO\.PART: the target answered FAULT.*nrfjprog --recover/);
      expect(probe.target.erases).to.deep.equal([]);
    });
  });

  it('an image outside the chip flash: refused before connecting', async () => {
    const e = await failure(() =>
      flashSwd(imageAt(0x20000000, 16).image, { probe: parseProbe('tcp:127.0.0.1:9'), family: 'nrf52', chip: 'nRF52840-QIAA', flash: NRF_FLASH }),
    );
    expect(e.message).to.equal('app.bin: bytes at 0x20000000..0x2000000f are outside the flash of the nRF52840-QIAA (0x00000000..0x000fffff)');
  });

  it('parses --probe', () => {
    expect(parseProbe('tcp:localhost:4441')).to.deep.equal({ kind: 'tcp', host: 'localhost', port: 4441 });
    expect(parseProbe('cmsis-dap')).to.deep.equal({ kind: 'usb', serial: undefined });
    expect(parseProbe('cmsis-dap:0240000034')).to.deep.equal({ kind: 'usb', serial: '0240000034' });
    expect(parseProbe('openocd')).to.deep.equal({ kind: 'openocd', serial: undefined });
    expect(() => parseProbe('stlink')).to.throw(TinyforgeError, /--probe must be cmsis-dap\[:SERIAL\]/);
  });
});
