// SPDX-License-Identifier: Apache-2.0
/**
 * A fake CMSIS-DAP probe on a TCP socket, for tests: it speaks the CMSIS-DAP command set (DAP_Info,
 * DAP_Connect, DAP_SWJ_Clock, DAP_SWJ_Sequence, DAP_TransferConfigure, DAP_Transfer,
 * DAP_TransferBlock, DAP_WriteAbort, DAP_Disconnect, ...) framed as OpenOCD's cmsis_dap_tcp backend
 * frames it (an 8-byte header: "DAP\0" little-endian, u16 length, type 1 request / 2 response, one
 * reserved byte), and behind it emulates an SWD-DP with one AHB-AP (MEM-AP: CSW, TAR with
 * auto-increment inside a 1 KiB block, DRW, BD0..BD3, IDR) on a Cortex-M target whose memory has the
 * flash controller of an nRF52840 (NVMC), an STM32L4+ or an STM32U5 (FLASH, non-secure): erase sets 0xFF, programming only
 * clears bits, and writes that the controller would refuse (not enabled, locked, misaligned) fail
 * the way the chip fails them.
 *
 * Faults for tests: WAIT acks from some transfer on, a FAULT at an address, a stuck flash bit (it
 * reads 1 whatever is programmed), the socket closed after some requests.
 *
 * This is a model of what the documents say, not of silicon: timing (BSY, READY), the nRF52's
 * write-count limits and the STM32's ECC are not modelled.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { NRF52, SCS, STM32L4, STM32U5, type SwdFlashFamily } from '../../../src/lab/device/swd/chips.ts';
import { DAP_TCP_HEADER, DAP_TCP_REQUEST, DAP_TCP_RESPONSE, DAP_TCP_SIGNATURE } from '../../../src/lab/device/swd/probe.ts';

/** Transfer acks as CMSIS-DAP reports them. */
const ACK_OK = 1;
const ACK_WAIT = 2;
const ACK_FAULT = 4;

export interface FakeProbeOptions {
  family: SwdFlashFamily;
  /** the probe's packet size (DAP_Info 0xFF), default 64 as on full-speed HID probes */
  packetSize?: number;
  serial?: string;
  /** every transfer from this one on (counted over DAP_Transfer and DAP_TransferBlock requests) answers WAIT */
  waitFromTransfer?: number;
  /** an access to this address answers FAULT (sets STICKYERR) */
  faultAt?: number;
  /** flash bits that read 1 whatever is programmed */
  stuckBits?: { address: number; bit: number }[];
  /** the socket is destroyed when this request (1-based, counting every command) arrives */
  closeAtRequest?: number;
  /** STM32: OPTR.DBANK (default 1: two banks of 4 KiB pages) */
  dualBank?: boolean;
}

interface Region {
  base: number;
  bytes: Uint8Array;
}

/** The target behind the probe: memory, the core's debug state, the flash controller. */
export class FakeTarget {
  readonly flash: Region;
  readonly ram: Region;
  halted = false;
  resets = 0;
  debugEnabled = false;
  demcr = 0;
  /** nRF52 NVMC.CONFIG */
  nvmcConfig = 0;
  /** STM32 FLASH_CR / FLASH_SR and the key sequence position */
  cr = STM32L4.CR_LOCK;
  sr = 0;
  private keyStep = 0;
  /** STM32: the words of a double (L4) or quad (U5) word waiting for the rest */
  private pendingWords: { address: number; value: number }[] = [];
  /** STM32 register addresses and geometry of this family */
  private readonly stm: { keyr: number; sr: number; cr: number; optr: number; idcode: number; idValue: number; unit: number; errors: number };
  erases: number[] = [];

  constructor(
    readonly family: SwdFlashFamily,
    private readonly options: FakeProbeOptions,
  ) {
    this.flash =
      family === 'nrf52' ? { base: 0, bytes: new Uint8Array(1 << 20).fill(0xff) } : { base: STM32L4.FLASH_BASE, bytes: new Uint8Array(2 << 20).fill(0xff) };
    // (the STM32L4R5 and U575 both have 2 MiB)
    this.ram = { base: 0x20000000, bytes: new Uint8Array(64 << 10) };
    this.stm =
      family === 'stm32u5'
        ? {
            keyr: STM32U5.KEYR,
            sr: STM32U5.SR,
            cr: STM32U5.CR,
            optr: STM32U5.OPTR,
            idcode: STM32U5.DBGMCU_IDCODE,
            idValue: 0x30016482,
            unit: 16,
            errors: STM32U5.SR_ERRORS,
          }
        : {
            keyr: STM32L4.KEYR,
            sr: STM32L4.SR,
            cr: STM32L4.CR,
            optr: STM32L4.OPTR,
            idcode: STM32L4.DBGMCU_IDCODE,
            idValue: 0x10006470,
            unit: 8,
            errors: STM32L4.SR_ERRORS,
          };
  }

  /** STM32: page size and where bank 2 starts (offset into flash) for a page erase. */
  private stmLayout(): { pageBytes: number; bank2At: number | undefined } {
    if (this.family === 'stm32u5') return { pageBytes: STM32U5.PAGE_BYTES, bank2At: STM32U5.BANK_BYTES };
    return (this.options.dualBank ?? true) ? { pageBytes: 4096, bank2At: STM32L4.BANK_BYTES } : { pageBytes: 8192, bank2At: undefined };
  }

  private inRegion(r: Region, address: number): boolean {
    return address >= r.base && address < r.base + r.bytes.length;
  }

  private word(r: Region, address: number): number {
    const o = address - r.base;
    return (r.bytes[o]! | (r.bytes[o + 1]! << 8) | (r.bytes[o + 2]! << 16) | (r.bytes[o + 3]! << 24)) >>> 0;
  }

  private setWord(r: Region, address: number, value: number): void {
    const o = address - r.base;
    for (let i = 0; i < 4; i++) r.bytes[o + i] = (value >>> (8 * i)) & 0xff;
  }

  private flashWord(address: number): number {
    let v = this.word(this.flash, address);
    for (const s of this.options.stuckBits ?? []) {
      if (s.address >>> 2 === address >>> 2) v = (v | (1 << (s.bit + 8 * (s.address & 3)))) >>> 0;
    }
    return v;
  }

  /** Programming only clears bits. */
  private program(address: number, value: number): void {
    this.setWord(this.flash, address, (this.word(this.flash, address) & value) >>> 0);
  }

  private erasePage(address: number, bytes: number): void {
    const o = address - this.flash.base;
    this.flash.bytes.fill(0xff, o, o + bytes);
    this.erases.push(address);
  }

  private reset(): void {
    this.resets++;
    this.halted = (this.demcr & SCS.VC_CORERESET) !== 0;
    this.nvmcConfig = 0;
    this.cr = STM32L4.CR_LOCK;
    this.keyStep = 0;
    this.pendingWords = [];
  }

  /** A 32-bit read; false for a bus fault. */
  read32(address: number): number | false {
    if (address === this.options.faultAt || (address & 3) !== 0) return false;
    if (this.inRegion(this.flash, address)) return this.flashWord(address);
    if (this.inRegion(this.ram, address)) return this.word(this.ram, address);
    if (address === SCS.DHCSR) return ((this.halted ? SCS.S_HALT : 0) | (this.debugEnabled ? SCS.C_DEBUGEN : 0) | (this.halted ? SCS.C_HALT : 0)) >>> 0;
    if (address === SCS.DEMCR) return this.demcr;
    if (address === SCS.AIRCR) return 0xfa050000;
    if (this.family === 'nrf52') {
      if (address === NRF52.FICR_INFO_PART) return 0x52840;
      if (address === NRF52.READY) return 1;
      if (address === NRF52.CONFIG) return this.nvmcConfig;
    } else {
      const m = this.stm;
      if (address === m.idcode) return m.idValue;
      if (address === m.sr) return this.sr;
      if (address === m.cr) return this.cr >>> 0;
      if (address === m.optr) return this.family === 'stm32u5' ? 0x1feff8aa : (this.options.dualBank ?? true) ? 0xffeff8aa : 0xffaff8aa;
      if (address === m.keyr) return 0;
    }
    return false;
  }

  /** A 32-bit write; false for a bus fault. */
  write32(address: number, value: number): boolean {
    if (address === this.options.faultAt || (address & 3) !== 0) return false;
    if (this.inRegion(this.flash, address)) return this.writeFlash(address, value >>> 0);
    if (this.inRegion(this.ram, address)) {
      this.setWord(this.ram, address, value);
      return true;
    }
    if (address === SCS.DHCSR) {
      if (value >>> 16 !== SCS.DBGKEY >>> 16) return true;
      this.debugEnabled = (value & SCS.C_DEBUGEN) !== 0;
      this.halted = this.debugEnabled && (value & SCS.C_HALT) !== 0;
      return true;
    }
    if (address === SCS.DEMCR) {
      this.demcr = value >>> 0;
      return true;
    }
    if (address === SCS.AIRCR) {
      if (value >>> 16 === SCS.VECTKEY >>> 16 && (value & SCS.SYSRESETREQ) !== 0) this.reset();
      return true;
    }
    return this.family === 'nrf52' ? this.writeNvmc(address, value >>> 0) : this.writeStm32Flash(address, value >>> 0);
  }

  private writeNvmc(address: number, value: number): boolean {
    if (address === NRF52.CONFIG) {
      this.nvmcConfig = value & 3;
      return true;
    }
    if (address === NRF52.ERASEPAGE) {
      // ignored unless erasing is enabled, as on the chip
      if (this.nvmcConfig === NRF52.CONFIG_EEN && this.inRegion(this.flash, value) && value % NRF52.PAGE_BYTES === 0) this.erasePage(value, NRF52.PAGE_BYTES);
      return true;
    }
    return address >= NRF52.NVMC && address < NRF52.NVMC + 0x1000;
  }

  private writeStm32Flash(address: number, value: number): boolean {
    const L = STM32L4;
    const m = this.stm;
    if (address === m.keyr) {
      if (this.keyStep === 0 && value === L.KEY1) this.keyStep = 1;
      else if (this.keyStep === 1 && value === L.KEY2) {
        this.cr = (this.cr & ~L.CR_LOCK) >>> 0;
        this.keyStep = 0;
      } else this.keyStep = 2; // a wrong key locks the controller until reset (bus error on the chip)
      return true;
    }
    if (address === m.sr) {
      this.sr = (this.sr & ~(value & (m.errors | L.SR_EOP))) >>> 0;
      return true;
    }
    if (address === m.cr) {
      if ((this.cr & L.CR_LOCK) !== 0) return true; // locked: ignored
      this.cr = value >>> 0;
      if ((value & L.CR_STRT) !== 0 && (value & L.CR_PER) !== 0) {
        const { pageBytes, bank2At } = this.stmLayout();
        const page = (value >>> L.CR_PNB_SHIFT) & (this.family === 'stm32u5' ? 0x7f : 0xff);
        const bank = bank2At !== undefined && (value & L.CR_BKER) !== 0 ? bank2At : 0;
        this.erasePage(L.FLASH_BASE + bank + page * pageBytes, pageBytes);
        this.sr |= L.SR_EOP;
        this.cr = (this.cr & ~L.CR_STRT) >>> 0;
      }
      return true;
    }
    return address >= 0x40022000 && address < 0x40022400;
  }

  private writeFlash(address: number, value: number): boolean {
    if (this.family === 'nrf52') {
      // a write without CONFIG=Wen is a bus fault here (the chip ignores it: the verify would catch it)
      if (this.nvmcConfig !== NRF52.CONFIG_WEN) return false;
      this.program(address, value);
      return true;
    }
    const L = STM32L4;
    if ((this.cr & L.CR_LOCK) !== 0 || (this.cr & L.CR_PG) === 0) {
      this.sr |= L.SR_PGSERR;
      return false;
    }
    // a double (L4) or quad (U5) word is programmed when its last word arrives, in order and aligned
    const unit = this.stm.unit;
    const pending = this.pendingWords;
    const expected = pending.length === 0 ? undefined : pending[0]!.address + 4 * pending.length;
    if ((pending.length === 0 && address % unit !== 0) || (expected !== undefined && address !== expected)) {
      this.pendingWords = [];
      this.sr |= L.SR_PGAERR;
      return false;
    }
    pending.push({ address, value });
    if (pending.length * 4 < unit) return true;
    this.pendingWords = [];
    const erased = pending.every((w) => this.word(this.flash, w.address) === 0xffffffff);
    if (!erased && !pending.every((w) => w.value === 0)) {
      this.sr |= L.SR_PROGERR;
      return false;
    }
    for (const w of pending) this.program(w.address, w.value);
    this.sr |= L.SR_EOP;
    return true;
  }
}

/** SWD-DP and AHB-AP state. */
class DebugPort {
  select = 0;
  ctrlStat = 0;
  sticky = false;
  csw = 0x23000052;
  tar = 0;
  rdbuff = 0;

  constructor(private readonly target: FakeTarget) {}

  /** One DAP_Transfer request: returns [ack, value read]. */
  transfer(request: number, value: number): [number, number] {
    const ap = (request & 1) !== 0;
    const read = (request & 2) !== 0;
    const a = request & 0x0c;
    if (!ap) {
      if (read) {
        if (a === 0x0) return [ACK_OK, 0x2ba01477];
        if (a === 0x4) {
          const acks = ((this.ctrlStat & (1 << 28)) !== 0 ? 1 << 29 : 0) | ((this.ctrlStat & (1 << 30)) !== 0 ? 1 << 31 : 0);
          return [ACK_OK, (this.ctrlStat | acks | (this.sticky ? 1 << 5 : 0)) >>> 0];
        }
        if (a === 0xc) return [ACK_OK, this.rdbuff];
        return [ACK_OK, 0];
      }
      if (a === 0x0) {
        if ((value & (1 << 2)) !== 0) this.sticky = false;
      } else if (a === 0x4) this.ctrlStat = value & 0xf0000f00;
      else if (a === 0x8) this.select = value >>> 0;
      return [ACK_OK, 0];
    }
    if (this.sticky) return [ACK_FAULT, 0];
    const apsel = this.select >>> 24;
    const reg = (this.select & 0xf0) | a;
    if (apsel !== 0) return [ACK_OK, 0];
    if (reg === 0x00) {
      if (!read) this.csw = value >>> 0;
      return [ACK_OK, this.csw];
    }
    if (reg === 0x04) {
      if (!read) this.tar = value >>> 0;
      return [ACK_OK, this.tar];
    }
    if (reg === 0xfc) return [ACK_OK, 0x24770011];
    if (reg === 0x0c || (reg >= 0x10 && reg <= 0x1c)) {
      const address = reg === 0x0c ? this.tar : ((this.tar & ~0xf) | (reg & 0xc)) >>> 0;
      if ((this.csw & 7) !== 2) {
        this.sticky = true;
        return [ACK_FAULT, 0];
      }
      let v: number | false = 0;
      if (read) v = this.target.read32(address);
      else if (!this.target.write32(address, value)) v = false;
      if (v === false) {
        this.sticky = true;
        return [ACK_FAULT, 0];
      }
      // auto-increment: only the low 10 bits of TAR count (ADIv5: 1 KiB at least)
      if (reg === 0x0c && (this.csw & 0x30) === 0x10) this.tar = ((this.tar & ~0x3ff) | ((this.tar + 4) & 0x3ff)) >>> 0;
      this.rdbuff = v;
      return [ACK_OK, v];
    }
    return [ACK_OK, 0];
  }
}

/** A fake CMSIS-DAP probe with its target, listening on 127.0.0.1. */
export class FakeProbe {
  readonly target: FakeTarget;
  private readonly dp: DebugPort;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** requests seen (every command) */
  requests = 0;
  private transfers = 0;
  commands: number[] = [];
  port = 0;

  constructor(readonly options: FakeProbeOptions) {
    this.target = new FakeTarget(options.family, options);
    this.dp = new DebugPort(this.target);
  }

  static async start(options: FakeProbeOptions): Promise<FakeProbe> {
    const probe = new FakeProbe(options);
    await probe.listen();
    return probe;
  }

  get address(): string {
    return `tcp:127.0.0.1:${this.port}`;
  }

  private listen(): Promise<void> {
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        this.port = typeof a === 'object' && a ? a.port : 0;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= DAP_TCP_HEADER) {
        const length = pending.readUInt16LE(4);
        if (pending.readUInt32LE(0) !== DAP_TCP_SIGNATURE || pending[6] !== DAP_TCP_REQUEST) {
          socket.destroy();
          return;
        }
        if (pending.length < DAP_TCP_HEADER + length) break;
        const request = pending.subarray(DAP_TCP_HEADER, DAP_TCP_HEADER + length);
        pending = pending.subarray(DAP_TCP_HEADER + length);
        this.requests++;
        if (this.requests === this.options.closeAtRequest) {
          socket.destroy();
          return;
        }
        const response = this.handle(Buffer.from(request));
        const header = Buffer.alloc(DAP_TCP_HEADER);
        header.writeUInt32LE(DAP_TCP_SIGNATURE, 0);
        header.writeUInt16LE(response.length, 4);
        header[6] = DAP_TCP_RESPONSE;
        socket.write(Buffer.concat([header, response]));
      }
    });
  }

  private packetSize(): number {
    return this.options.packetSize ?? 64;
  }

  /** One CMSIS-DAP command → its response. */
  handle(request: Buffer): Buffer {
    const command = request[0]!;
    this.commands.push(command);
    const ok = Buffer.from([command, 0]);
    switch (command) {
      case 0x00:
        return this.info(request[1]!);
      case 0x02: // DAP_Connect: SWD
        return Buffer.from([command, request[1] === 2 ? 0 : 1]);
      case 0x01: // DAP_HostStatus
      case 0x03: // DAP_Disconnect
      case 0x04: // DAP_TransferConfigure
      case 0x09: // DAP_Delay
      case 0x11: // DAP_SWJ_Clock
      case 0x12: // DAP_SWJ_Sequence
      case 0x13: // DAP_SWD_Configure
        return ok;
      case 0x08: // DAP_WriteAbort
        if (request.length >= 6 && (request.readUInt32LE(2) & (1 << 2)) !== 0) this.dp.sticky = false;
        else if (request.length < 6) return Buffer.from([command, 0xff]); // a short request: DAP_ERROR
        return ok;
      case 0x0a: // DAP_ResetTarget: no device-specific sequence
        return Buffer.from([command, 0, 0]);
      case 0x05:
        return this.transfer(request);
      case 0x06:
        return this.transferBlock(request);
      default:
        return Buffer.from([0xff]);
    }
  }

  private info(id: number): Buffer {
    const text = (s: string) => Buffer.concat([Buffer.from([0x00, s.length + 1]), Buffer.from(`${s}\0`, 'latin1')]);
    switch (id) {
      case 0x01:
        return text('tinyforge');
      case 0x02:
        return text('fake CMSIS-DAP');
      case 0x03:
        return text(this.options.serial ?? 'FAKE0001');
      case 0x04:
        return text('2.1.0');
      case 0xf0:
        return Buffer.from([0x00, 1, 0x01]);
      case 0xfe:
        return Buffer.from([0x00, 1, 1]);
      case 0xff: {
        const b = Buffer.from([0x00, 2, 0, 0]);
        b.writeUInt16LE(this.packetSize(), 2);
        return b;
      }
      default:
        return Buffer.from([0x00, 0]);
    }
  }

  private waiting(): boolean {
    this.transfers++;
    return this.options.waitFromTransfer !== undefined && this.transfers >= this.options.waitFromTransfer;
  }

  private transfer(request: Buffer): Buffer {
    const count = request[2]!;
    const out: number[] = [];
    let done = 0;
    let ack = ACK_OK;
    let at = 3;
    const wait = this.waiting();
    for (let i = 0; i < count; i++) {
      const req = request[at++]!;
      const read = (req & 2) !== 0;
      const value = read ? 0 : request.readUInt32LE(at);
      if (!read) at += 4;
      if (wait) {
        ack = ACK_WAIT;
        break;
      }
      const [a, v] = this.dp.transfer(req, value);
      ack = a;
      if (a !== ACK_OK) break;
      if (read) out.push(v);
      done++;
    }
    const response = Buffer.alloc(3 + 4 * out.length);
    response[0] = 0x05;
    response[1] = done;
    response[2] = ack;
    out.forEach((v, i) => response.writeUInt32LE(v >>> 0, 3 + 4 * i));
    return response;
  }

  private transferBlock(request: Buffer): Buffer {
    const count = request.readUInt16LE(2);
    const req = request[4]!;
    const read = (req & 2) !== 0;
    const out: number[] = [];
    let done = 0;
    let ack = ACK_OK;
    if (this.waiting()) ack = ACK_WAIT;
    else {
      for (let i = 0; i < count; i++) {
        const [a, v] = this.dp.transfer(req, read ? 0 : request.readUInt32LE(5 + 4 * i));
        ack = a;
        if (a !== ACK_OK) break;
        if (read) out.push(v);
        done++;
      }
    }
    const response = Buffer.alloc(4 + 4 * out.length);
    response[0] = 0x06;
    response.writeUInt16LE(done, 1);
    response[3] = ack;
    out.forEach((v, i) => response.writeUInt32LE(v >>> 0, 4 + 4 * i));
    return response;
  }
}
