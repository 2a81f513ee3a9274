// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { loadImage, makeImage } from '../../src/lab/device/stm32/image.ts';
import { scratchDir } from '../build/helpers.ts';

/** One Intel HEX record with its checksum (two's complement of the byte sum). */
function record(type: number, offset: number, data: number[]): string {
  const bytes = [data.length, offset >> 8, offset & 0xff, type, ...data];
  const sum = bytes.reduce((a, b) => a + b, 0);
  return `:${[...bytes, (0x100 - (sum & 0xff)) & 0xff].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`;
}

describe('device/stm32: images to flash', () => {
  let scratch: ReturnType<typeof scratchDir>;
  before(() => (scratch = scratchDir('stm32-image')));
  after(() => scratch.cleanup());

  it('reads Intel HEX with linear base addresses, merging adjacent records', () => {
    const file = join(scratch.dir, 'app.hex');
    writeFileSync(
      file,
      [record(4, 0, [0x08, 0x00]), record(0, 0x0000, [1, 2, 3, 4]), record(0, 0x0004, [5, 6]), record(0, 0x0100, [9]), record(1, 0, [])].join('\r\n'),
    );
    const image = loadImage(file);
    expect(image.segments.map((s) => [s.address, Array.from(s.data)])).to.deep.equal([
      [0x08000000, [1, 2, 3, 4, 5, 6]],
      [0x08000100, [9]],
    ]);
    expect(image.start).to.equal(0x08000000);
    expect(image.bytes).to.equal(7);
  });

  it('names the line of a HEX record with a bad checksum, and a file without its end record', () => {
    const bad = join(scratch.dir, 'bad.hex');
    writeFileSync(bad, `${record(0, 0, [1, 2])}\n${record(0, 2, [3]).slice(0, -2)}00\n${record(1, 0, [])}\n`);
    expect(() => loadImage(bad)).to.throw(TinyforgeError, /bad\.hex:2: checksum mismatch$/);
    const cut = join(scratch.dir, 'cut.hex');
    writeFileSync(cut, `${record(0, 0, [1, 2])}\n`);
    expect(() => loadImage(cut)).to.throw(TinyforgeError, /cut\.hex: no end-of-file record \(truncated\?\)$/);
  });

  it('needs an address for a raw binary, and knows only .elf, .bin and .hex', () => {
    const bin = join(scratch.dir, 'app.bin');
    writeFileSync(bin, Buffer.from([1, 2, 3]));
    expect(() => loadImage(bin)).to.throw(TinyforgeError, /app\.bin: a raw binary needs the address to write it to \(--address\)$/);
    expect(loadImage(bin, 0x08004000).segments).to.deep.equal([{ address: 0x08004000, data: Uint8Array.of(1, 2, 3) }]);
    const txt = join(scratch.dir, 'app.txt');
    writeFileSync(txt, 'hello');
    expect(() => loadImage(txt)).to.throw(TinyforgeError, /unknown image type '\.txt' \(expected \.elf, \.bin or \.hex\)$/);
    expect(() => loadImage(join(scratch.dir, 'missing.elf'))).to.throw(TinyforgeError, /missing\.elf: no such file$/);
  });

  it('rejects a file that is not an ELF and overlapping segments', () => {
    const fake = join(scratch.dir, 'fake.elf');
    writeFileSync(fake, 'not an elf at all');
    expect(() => loadImage(fake)).to.throw(TinyforgeError, /fake\.elf: not a usable ELF image: no ELF magic$/);
    expect(() =>
      makeImage('x', [
        { address: 0, data: new Uint8Array(8) },
        { address: 4, data: new Uint8Array(8) },
      ]),
    ).to.throw(TinyforgeError, /x: segments overlap at 0x4$/);
    expect(() => makeImage('y', [])).to.throw(TinyforgeError, /y: the image holds no bytes to flash$/);
  });
});
