// SPDX-License-Identifier: Apache-2.0
/**
 * Checking a UF2 copy against what the rebooted board reports (src/lab/device/rp2040/verify.ts): the CRC
 * of the range the firmware names, computed over the UF2 copied, and the refusal of a range that is
 * not the file's whole image; HELLO's optional image fields. (End to end, with the harness on a
 * fake Pico: test/cli/flash-rp2040.test.ts and `npm run fuzz:links -- --command flash-uf2`.)
 */
import { expect } from 'chai';
import { TinyforgeError } from '../../src/core/errors.ts';
import { boot2Crc } from '../../src/lab/toolchain/rp2040/boot2.ts';
import {
  RP2040_FAMILY_ID,
  RP2040_FLASH_BASE,
  RP2350_ARM_S_FAMILY_ID,
  UF2_BLOCK_BYTES,
  UF2_MAGIC_END,
  UF2_MAGIC_START0,
  UF2_MAGIC_START1,
} from '../../src/lab/toolchain/rp2040/uf2.ts';
import { uf2RangeCrc, verifyUf2OnBoard } from '../../src/lab/device/rp2040/verify.ts';
import { requireTools } from '../build/helpers.ts';
import { FakeDevice, ptyPair } from './protocol-fakes.ts';
import { Reader, parseHello } from '../../src/lab/device/protocol/messages.ts';

/** A UF2 of `payload` at the start of flash, 256 bytes a block (the last padded with 0xff). */
function uf2Of(payload: Uint8Array, familyId = RP2040_FAMILY_ID): Uint8Array {
  const blocks = Math.ceil(payload.length / 256);
  const out = new Uint8Array(blocks * UF2_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const at = b * UF2_BLOCK_BYTES;
    [UF2_MAGIC_START0, UF2_MAGIC_START1, 0x2000, RP2040_FLASH_BASE + b * 256, 256, b, blocks, familyId].forEach((v, i) => view.setUint32(at + 4 * i, v, true));
    const page = new Uint8Array(256).fill(0xff);
    page.set(payload.subarray(b * 256, (b + 1) * 256));
    out.set(page, at + 32);
    view.setUint32(at + 508, UF2_MAGIC_END, true);
  }
  return out;
}

describe('UF2 verification: the image CRC the board reports', () => {
  const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 5) & 0xff);
  const uf2 = uf2Of(payload);

  it('is the CRC-32/MPEG-2 of the image bytes the UF2 writes', () => {
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, payload.length)).to.equal(boot2Crc(payload));
    // the range may take in the padding of the last page, which the UF2 writes too
    const padded = new Uint8Array(1024).fill(0xff);
    padded.set(payload);
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, 1024)).to.equal(boot2Crc(padded));
  });

  it('refuses a range that is not the whole image (a damaged report cannot hide damage outside it)', () => {
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE + 256, 500), 'does not start at the first page').to.equal(null);
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, 600), 'ends before the last page').to.equal(null);
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, 1025), 'runs past the last page').to.equal(null);
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, 0)).to.equal(null);
    expect(uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, 0xffffffff)).to.equal(null);
  });

  it("the Pico 2's UF2 (RP2350 Arm Secure family, the same XIP window): its range CRC, and not taken for an RP2040 image", () => {
    const pico2 = uf2Of(payload, RP2350_ARM_S_FAMILY_ID);
    expect(uf2RangeCrc(pico2, 'app.uf2', RP2040_FLASH_BASE, payload.length, RP2350_ARM_S_FAMILY_ID)).to.equal(boot2Crc(payload));
    expect(() => uf2RangeCrc(pico2, 'app.uf2', RP2040_FLASH_BASE, payload.length)).to.throw(TinyforgeError, /not for the RP2040/);
    expect(() => uf2RangeCrc(uf2, 'app.uf2', RP2040_FLASH_BASE, payload.length, RP2350_ARM_S_FAMILY_ID)).to.throw(TinyforgeError, /not for the RP2350/);
  });

  it('HELLO: the image fields after the strings when the firmware sends them, none from older firmware', () => {
    const strings = ['rp2040', 'pico', 'm', 'systick'].flatMap((t) => [t.length, ...new TextEncoder().encode(t)]);
    const head = new Uint8Array(33);
    head[0] = 1; // protocol version
    const image = new Uint8Array(12);
    new DataView(image.buffer).setUint32(0, 0xdeadbeef, true);
    new DataView(image.buffer).setUint32(4, RP2040_FLASH_BASE, true);
    new DataView(image.buffer).setUint32(8, 27000, true);
    const older = parseHello(new Reader(Uint8Array.from([...head, ...strings]), 'HELLO'));
    expect(older.image).to.equal(undefined);
    expect(older.counter).to.equal('systick');
    const newer = parseHello(new Reader(Uint8Array.from([...head, ...strings, ...image]), 'HELLO'));
    expect(newer.image).to.deep.equal({ crc: 0xdeadbeef, start: RP2040_FLASH_BASE, bytes: 27000 });
  });

  it('a HELLO whose fields do not hold (a string length damaged in flash, the frame CRC good) is one clean error', () => {
    // fuzz:links flash-uf2 #195 (seed 2026): a damaged image answered such a HELLO, and it was an internal error
    const strings = ['rp2040', 'pico', 'm', 'systick'].flatMap((t) => [t.length, ...new TextEncoder().encode(t)]);
    strings[0] = 0x86; // "rp2040" claims 134 bytes
    const payload = Uint8Array.from([1, 0, 0, 0, ...new Array(29).fill(0), ...strings]);
    let thrown: unknown;
    try {
      parseHello(new Reader(payload, '/dev/ttyUSB0: HELLO'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).to.be.instanceOf(TinyforgeError);
    expect((thrown as Error).message).to.equal(`/dev/ttyUSB0: HELLO: response too short (${payload.length} bytes): the board runs other or damaged firmware`);
  });

  it('a rebooted board answering a malformed HELLO: said at once as malformed (other or damaged firmware), not a board that did not answer', async function () {
    requireTools(this, ['socat']);
    const pair = await ptyPair();
    const fake = await FakeDevice.attach(pair.b, { malformedHello: true });
    const started = Date.now();
    try {
      let thrown: unknown;
      try {
        await verifyUf2OnBoard(uf2, 'app.uf2', { port: pair.a, waitMs: 30_000 });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).to.be.instanceOf(TinyforgeError);
      expect((thrown as Error).message).to.match(
        new RegExp(
          `^${pair.a}: after the UF2 copy: the board's HELLO answer is malformed \\(response too short \\(\\d+ bytes\\)\\): it runs other or damaged firmware, not verified$`,
        ),
      );
      // not after the 30 s of waiting for a board that does not answer
      expect(Date.now() - started).to.be.below(15_000);
    } finally {
      await fake.close().catch(() => {});
      pair.kill();
    }
  });
});
