// SPDX-License-Identifier: Apache-2.0
/**
 * A device-side peer for the Espressif ROM loader tests: the ESP32-family ROM's serial download mode
 * as far as flashing needs it (SYNC, READ_REG of the chip magic, SPI_ATTACH, SPI_SET_PARAMS, FLASH_BEGIN/DATA/END,
 * SPI_FLASH_MD5), over one end of a socat pty pair, with faults on request. Written from the
 * protocol's description: requests 0x00|cmd|size|checksum|data, answers 0x01|cmd|size|value|data|status(4).
 */
import { createHash } from 'node:crypto';
import { SlipDecoder, slipEncode, SLIP_END, SLIP_ESC } from '../../src/lab/device/esp/slip.ts';
import { EspCommand, espChecksum } from '../../src/lab/device/esp/rom_loader.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';

export interface PeerOptions {
  /** the word at 0x40001000 (default: an ESP32-C3's) */
  magic?: number;
  /** SYNCs ignored before the first answer (a chip still booting) */
  ignoreSyncs?: number;
  /** the first time this block arrives, one of its bytes is flipped on the way (its checksum fails) */
  damageBlock?: number;
  /** the first answer to this block goes out as a corrupt SLIP frame */
  garbleAnswerToBlock?: number;
  /** after this many FLASH_DATA blocks the chip says nothing more (a cable pulled, a crash) */
  silentAfterBlocks?: number;
  /** a written byte silently comes out wrong (a bad flash cell): only the MD5 can tell */
  badFlashByte?: number;
  /** the first this many READ_REG answers carry a value garbled on the line (another bit each time) */
  garbleMagicAnswers?: number;
  /** the first this many SPI_FLASH_MD5 answers carry a digest garbled on the line (another digit each time) */
  garbleMd5Answers?: number;
  /** every FLASH_DATA answer comes this late (a chip that takes its bytes slower than the line's rate) */
  slowBlocksMs?: number;
  /** the first this many SPI_ATTACH answers come back with their status byte flipped to failure (error 0) */
  garbleStatusAnswers?: number;
}

const FLASH_BYTES = 4 * 1024 * 1024;
const ESP32C3_MAGIC = 0x1b31506f;

export class FakeEspRom {
  readonly flash = new Uint8Array(FLASH_BYTES).fill(0xff);
  /** commands in arrival order */
  readonly received: number[] = [];
  /** FLASH_DATA sequence numbers as they arrived (repeats show retries) */
  readonly blocksReceived: number[] = [];
  rebooted = false;
  private readonly decoder = new SlipDecoder();
  private syncsSeen = 0;
  private blocksWritten = 0;
  private writeOffset = 0;
  /** the block number the ROM takes next: one that failed its checksum counts as taken (as the ESP32-C3's ROM does) */
  private nextSeq = 0;
  private damaged = false;
  private garbled = false;
  private magicsGarbled = 0;
  private md5sGarbled = 0;
  private statusesGarbled = 0;

  private constructor(
    private readonly port: SerialTransport,
    private readonly options: PeerOptions,
  ) {
    port.onData((bytes) => {
      // an answer into a port closed meanwhile (the session ended, the link unplugged) is lost, as a real chip's would be
      for (const event of this.decoder.push(bytes)) if (event.kind === 'packet') void this.handle(event.packet).catch(() => {});
    });
  }

  static async open(path: string, options: PeerOptions = {}): Promise<FakeEspRom> {
    return new FakeEspRom(await SerialTransport.open(path), options);
  }

  close(): Promise<void> {
    return this.port.close();
  }

  private silent(): boolean {
    return this.options.silentAfterBlocks !== undefined && this.blocksWritten >= this.options.silentAfterBlocks;
  }

  private async answer(command: number, status: number, error: number, data = new Uint8Array(0), value = 0, garble = false): Promise<void> {
    const packet = new Uint8Array(8 + data.length + 4);
    const view = new DataView(packet.buffer);
    packet[0] = 0x01;
    packet[1] = command;
    view.setUint16(2, data.length + 4, true);
    view.setUint32(4, value, true);
    packet.set(data, 8);
    packet.set([status, error, 0, 0], 8 + data.length);
    let frame = slipEncode(packet);
    // an escape byte followed by something that is no escape: a frame no decoder may accept
    if (garble) frame = Uint8Array.from([SLIP_END, 0x01, SLIP_ESC, 0x42, ...frame.subarray(1)]);
    await this.port.write(frame);
  }

  private async handle(packet: Uint8Array): Promise<void> {
    if (packet[0] !== 0x00 || packet.length < 8) return;
    const command = packet[1]!;
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const size = view.getUint16(2, true);
    const checksum = view.getUint32(4, true);
    const data = packet.slice(8);
    const word = (i: number) => new DataView(data.buffer, data.byteOffset).getUint32(4 * i, true);
    if (this.silent()) return;
    this.received.push(command);
    if (data.length !== size) return this.answer(command, 1, 0x05);
    switch (command) {
      case EspCommand.SYNC:
        if (this.syncsSeen++ < (this.options.ignoreSyncs ?? 0)) return;
        // the ROM answers a SYNC several times
        for (let i = 0; i < 4; i++) await this.answer(command, 0, 0);
        return;
      case EspCommand.READ_REG: {
        const value = word(0) === 0x40001000 ? (this.options.magic ?? ESP32C3_MAGIC) : 0;
        const garble = (this.options.garbleMagicAnswers ?? 0) > this.magicsGarbled ? 1 << (8 + this.magicsGarbled++) : 0;
        return this.answer(command, 0, 0, new Uint8Array(0), (value ^ garble) >>> 0);
      }
      case EspCommand.SPI_ATTACH:
        if ((this.options.garbleStatusAnswers ?? 0) > this.statusesGarbled++) return this.answer(command, 1, 0);
        return this.answer(command, 0, 0);
      case EspCommand.SPI_SET_PARAMS:
        return this.answer(command, size === 24 ? 0 : 1, size === 24 ? 0 : 0x05);
      case EspCommand.FLASH_BEGIN: {
        if (size !== 20) return this.answer(command, 1, 0x05); // the ESP32-family ROMs take 5 words
        const [eraseSize, , , offset] = [word(0), word(1), word(2), word(3)];
        if (offset + eraseSize > FLASH_BYTES) return this.answer(command, 1, 0x06);
        this.flash.fill(0xff, offset, offset + eraseSize);
        this.writeOffset = offset;
        this.nextSeq = 0;
        return this.answer(command, 0, 0);
      }
      case EspCommand.FLASH_DATA: {
        const length = word(0);
        const seq = word(1);
        const block = data.slice(16);
        this.blocksReceived.push(seq);
        if (seq === this.options.damageBlock && !this.damaged) {
          this.damaged = true;
          block[7]! ^= 0x10;
        }
        if (block.length !== length || seq !== this.nextSeq) return this.answer(command, 1, 0x05);
        this.nextSeq++;
        if (espChecksum(block) !== checksum) return this.answer(command, 1, 0x07);
        if (this.options.badFlashByte !== undefined && seq === 0) block[this.options.badFlashByte]! ^= 0x01;
        this.flash.set(block, this.writeOffset + seq * length);
        this.blocksWritten++;
        if (this.options.slowBlocksMs) await new Promise((r) => setTimeout(r, this.options.slowBlocksMs));
        const garble = seq === this.options.garbleAnswerToBlock && !this.garbled;
        if (garble) this.garbled = true;
        return this.answer(command, 0, 0, new Uint8Array(0), 0, garble);
      }
      case EspCommand.SPI_FLASH_MD5: {
        const digest = createHash('md5')
          .update(this.flash.subarray(word(0), word(0) + word(1)))
          .digest('hex');
        const text = new TextEncoder().encode(digest);
        if ((this.options.garbleMd5Answers ?? 0) > this.md5sGarbled) text[this.md5sGarbled++]! ^= 0x01;
        return this.answer(command, 0, 0, text);
      }
      case EspCommand.FLASH_END:
        this.rebooted = word(0) === 0;
        return this.answer(command, 0, 0);
      default:
        return this.answer(command, 1, 0x05);
    }
  }
}
