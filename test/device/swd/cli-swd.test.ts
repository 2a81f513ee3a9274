// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge flash --board B --probe tcp:HOST:PORT` as a user runs it, against the fake CMSIS-DAP
 * probe served in this process while the CLI runs as a child: the image lands in the emulated flash,
 * and a fault is one error line, a non-zero exit and nothing on stdout that claims a flash.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { FakeProbe } from './fake-probe.ts';
import { STM32L4 } from '../../../src/lab/device/swd/chips.ts';
import { requireTools, scratchDir } from '../../build/helpers.ts';
import { sharedModelPath, sharedModelsAvailable } from '../../helpers/shared.ts';
import { lastLine, tinyforgeAsync } from '../../cli/async-cli.ts';

describe('cli: flash --probe (a fake CMSIS-DAP probe on TCP)', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let bin: string;
  const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) & 0xff);

  before(() => {
    scratch = scratchDir('cli-swd');
    bin = join(scratch.dir, 'app.bin');
    writeFileSync(bin, payload);
  });
  after(() => scratch.cleanup());

  it('nrf52840-dk: a .bin at the start of flash, verified and started', async () => {
    const probe = await FakeProbe.start({ family: 'nrf52' });
    try {
      const r = await tinyforgeAsync(['flash', bin, '--board', 'nrf52840-dk', '--probe', probe.address]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(
        [
          `flashed ${bin} (3000 bytes) to nrf52840-dk (nRF52840-QIAA) by SWD through the CMSIS-DAP probe ${probe.address}`,
          `  1 page erased, 3000 bytes written and read back identical in ${/in (\d+\.\d) s/.exec(r.stdout)![1]} s`,
          '  the core was reset into the image',
          '',
        ].join('\n'),
      );
      expect([...probe.target.flash.bytes.subarray(0, 3000)]).to.deep.equal([...payload]);
      expect(probe.target.resets).to.equal(1);
    } finally {
      await probe.close();
    }
  });

  it('nrf52840-dk: a model is built into the harness for the chip and flashed over SWD, with its build id', async function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    if (!sharedModelsAvailable(this)) return;
    const probe = await FakeProbe.start({ family: 'nrf52' });
    try {
      const r = await tinyforgeAsync(['flash', sharedModelPath('hello_world_int8'), '--board', 'nrf52840-dk', '--probe', probe.address, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const json = JSON.parse(r.stdout);
      expect(json).to.deep.include({ board: 'nrf52840-dk', method: 'cmsis-dap' });
      expect(json.image.source).to.equal('the harness firmware of hello_world_int8.tflite');
      expect(json.buildId).to.match(/^[0-9a-f]{16}$/);
      const flash = probe.target.flash.bytes;
      const words = new DataView(flash.buffer, flash.byteOffset, 8);
      expect(words.getUint32(0, true)).to.be.within(0x20000000, 0x20000000 + (256 << 10)); // initial SP in the nRF52840's RAM
      expect(words.getUint32(4, true) & 1).to.equal(1); // a Thumb reset vector
      expect(words.getUint32(4, true)).to.be.below(json.image.bytes);
      expect(probe.target.resets).to.equal(1);
    } finally {
      await probe.close();
    }
  });

  it('nucleo-l4r5zi with a stuck flash bit: one error line, exit 1, no flashed claim (--json prints nothing)', async () => {
    const probe = await FakeProbe.start({ family: 'stm32l4', stuckBits: [{ address: STM32L4.FLASH_BASE + 0x10, bit: 2 }] });
    try {
      const r = await tinyforgeAsync(['flash', bin, '--board', 'nucleo-l4r5zi', '--probe', probe.address, '--json']);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(lastLine(r.stderr)).to.equal(
        `error: --probe ${probe.address}: verify at 0x08000010: reads 0x5f, 0x5b was written; the image is not flashed (core left halted)`,
      );
      expect(r.stderr).to.not.match(/^\s+at /m);
      expect(probe.target.resets).to.equal(0);
    } finally {
      await probe.close();
    }
  });
});
