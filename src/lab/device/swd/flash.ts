// SPDX-License-Identifier: Apache-2.0
/**
 * Flashing over SWD through a CMSIS-DAP probe, with dapjs (CmsisDAP + ADI) on a transport of ours
 * (probe.ts): connect the SW-DP and power up the debug domain, check the chip is the one the board
 * descriptor names, halt the core, erase the pages the image touches and program it with the chip's
 * own flash controller through AHB-AP writes (nRF52: NVMC; STM32L4+ and U5: FLASH), read every byte back
 * and compare, then reset the core into the image (or leave it halted: --no-go).
 *
 * An image is reported flashed only when it read back identical. Every failure is one line naming
 * the probe and the step; the transport is closed whatever happens.
 *
 * MEM-AP block transfers are split at 1 KiB boundaries: ADIv5 only promises TAR auto-increment
 * inside a 1 KiB block (dapjs's readBlock/writeBlock set TAR once).
 */
import type { ADI, CmsisDAP, Transport } from 'dapjs';
import { TinyforgeError } from '../../../core/errors.ts';
import type { FlashImage } from '../stm32/image.ts';
import { NRF52, SCS, STM32L4, STM32U5, type SwdFlashFamily } from './chips.ts';
import { type ProbeSpec, TcpDapTransport, loadDapjs, openUsbTransport, probeName } from './probe.ts';
import { withTimeout } from '../../timeout.ts';

export interface SwdFlashOptions {
  probe: ProbeSpec;
  family: SwdFlashFamily;
  /** the descriptor's chip (for messages) */
  chip: string;
  /** the chip's flash, from the board descriptor */
  flash: { origin: number; bytes: number };
  /** write and verify, leave the core halted */
  noGo?: boolean;
  progress?: (message: string) => void;
  count?: (done: number, total: number, what: string) => void;
  /** how long the probe may take to answer one command (default 5 s) */
  timeoutMs?: number;
  /** SWCLK (default 1 MHz) */
  clockHz?: number;
}

export interface SwdFlashReport {
  probe: string;
  chip: string;
  family: SwdFlashFamily;
  /** DP IDR as read at connect */
  dpidr: number;
  pagesErased: number;
  bytesWritten: number;
  verified: true;
  /** the core was reset into the image (false: --no-go, left halted) */
  started: boolean;
  elapsedMs: number;
}

/** A run of bytes to program, aligned to the controller's programming unit (padded with 0xFF). */
interface Run {
  address: number;
  data: Uint8Array;
}

const hex32 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** The image as aligned runs, padding with 0xFF (an erased byte) inside a programming unit. */
export function alignedRuns(image: FlashImage, align: number): Run[] {
  const runs: { address: number; end: number; parts: { address: number; data: Uint8Array }[] }[] = [];
  for (const s of image.segments) {
    const start = Math.floor(s.address / align) * align;
    const end = Math.ceil((s.address + s.data.length) / align) * align;
    const last = runs[runs.length - 1];
    if (last && start <= last.end) {
      last.end = Math.max(last.end, end);
      last.parts.push(s);
    } else runs.push({ address: start, end, parts: [s] });
  }
  return runs.map((r) => {
    const data = new Uint8Array(r.end - r.address).fill(0xff);
    for (const p of r.parts) data.set(p.data, p.address - r.address);
    return { address: r.address, data };
  });
}

/** [address, bytes] pieces of a run that do not cross a 1 KiB boundary. */
function* kibChunks(address: number, length: number): Generator<[number, number]> {
  let at = address;
  const end = address + length;
  while (at < end) {
    const next = Math.min(end, (Math.floor(at / 1024) + 1) * 1024);
    yield [at, next - at];
    at = next;
  }
}

const words = (bytes: Uint8Array): Uint32Array => {
  const out = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Remembers the acknowledgement of the last DAP_Transfer / DAP_TransferBlock answer: dapjs checks the
 * transfer count before the ack, so a WAIT or FAULT reaches us as "Transfer count mismatch".
 */
class AckWatch implements Transport {
  lastAck = 1;

  constructor(readonly inner: Transport) {}

  get packetSize(): number {
    return this.inner.packetSize;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  write(data: BufferSource): Promise<void> {
    return this.inner.write(data);
  }

  async read(): Promise<DataView> {
    const view = await this.inner.read();
    const command = view.getUint8(0);
    if (command === 0x05) this.lastAck = view.getUint8(2);
    else if (command === 0x06) this.lastAck = view.getUint8(3);
    return view;
  }
}

/** What an ack byte of DAP_Transfer means (CMSIS-DAP: bits 0..2 the SWD ack, bit 3 protocol error). */
function ackMeaning(ack: number): string | undefined {
  if ((ack & 0x08) !== 0) return 'PROTOCOL_ERROR';
  if ((ack & 7) === 2) return 'WAIT';
  if ((ack & 7) === 4) return 'FAULT';
  if ((ack & 7) === 7) return 'NO_ACK';
  return undefined;
}

/** A connected target: dapjs's ADI with every error turned into one line naming the probe and step. */
class SwdLink {
  constructor(
    readonly name: string,
    readonly adi: ADI,
    private readonly acks: AckWatch,
  ) {}

  async op<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw this.explain(what, e);
    }
  }

  explain(what: string, e: unknown): TinyforgeError {
    if (e instanceof TinyforgeError) return e;
    let message = e instanceof Error ? e.message : String(e);
    if (/count mismatch/.test(message)) message = ackMeaning(this.acks.lastAck) ?? message;
    let why = message;
    if (/WAIT/.test(message))
      why = 'the target kept answering WAIT after the probe retried (a flash operation that does not end, or SWCLK too fast for the chip)';
    else if (/FAULT/.test(message)) why = 'the target answered FAULT (a bus error: locked or protected flash, or an address that is not there)';
    else if (/NO_ACK/.test(message)) why = 'no target answers (SWDIO/SWCLK wiring, target power, or SWD pins reused by the running firmware)';
    else if (/PROTOCOL_ERROR/.test(message)) why = 'an SWD protocol error (parity or line noise: lower the clock)';
    return new TinyforgeError(`--probe ${this.name}: ${what}: ${why}`);
  }

  read32(address: number, what = `reading ${hex32(address)}`): Promise<number> {
    return this.op(what, async () => (await this.adi.readMem32(address)) >>> 0);
  }

  write32(address: number, value: number, what = `writing ${hex32(address)}`): Promise<void> {
    return this.op(what, () => this.adi.writeMem32(address, value >>> 0));
  }

  async readBytes(address: number, length: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (const [at, n] of kibChunks(address, length)) {
      const got = await this.op(what, () => this.adi.readBlock(at, n / 4));
      const view = new DataView(out.buffer, at - address, n);
      got.forEach((w, i) => view.setUint32(4 * i, w, true));
    }
    return out;
  }

  /** Polls until `done` says so, or fails after `ms`. */
  async until(what: string, ms: number, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await done()) return;
      if (Date.now() > deadline) throw new TinyforgeError(`--probe ${this.name}: ${what}: not done after ${ms / 1000} s`);
      await sleep(1);
    }
  }
}

interface Programmer {
  /** the programming unit in bytes */
  align: number;
  pageBytes: number;
  identify(): Promise<string>;
  prepare(): Promise<void>;
  erase(page: number): Promise<void>;
  /** programs one chunk inside a 1 KiB block */
  program(address: number, data: Uint8Array): Promise<void>;
  finish(): Promise<void>;
}

function nrf52(link: SwdLink, chip: string): Programmer {
  const ready = (what: string) => link.until(what, 2000, async () => ((await link.read32(NRF52.READY, `${what}: reading NVMC.READY`)) & 1) === 1);
  return {
    align: 4,
    pageBytes: NRF52.PAGE_BYTES,
    async identify() {
      const part = await link
        .op('reading FICR INFO.PART', () => link.adi.readMem32(NRF52.FICR_INFO_PART))
        .catch((e: TinyforgeError) => {
          // with APPROTECT set the AHB-AP answers FAULT
          if (!/FAULT/.test(e.message)) throw e;
          throw new TinyforgeError(`${e.message}; with APPROTECT set the AHB-AP is closed (nrfjprog --recover erases the chip and opens it)`);
        });
      if (part >>> 0 !== 0x52840)
        throw new TinyforgeError(`--probe ${link.name}: the target is not an ${chip}: FICR INFO.PART reads ${hex32(part)} (0x00052840 expected)`);
      return 'nRF52840 (FICR INFO.PART 0x52840)';
    },
    async prepare() {
      await ready('waiting for the NVMC');
    },
    async erase(page) {
      await link.write32(NRF52.CONFIG, NRF52.CONFIG_EEN, 'enabling NVMC erase');
      await link.write32(NRF52.ERASEPAGE, page, `erasing the page at ${hex32(page)}`);
      await ready(`erasing the page at ${hex32(page)}`);
      await link.write32(NRF52.CONFIG, NRF52.CONFIG_REN, 'ending NVMC erase');
    },
    async program(address, data) {
      await link.write32(NRF52.CONFIG, NRF52.CONFIG_WEN, 'enabling NVMC writes');
      await link.op(`writing ${data.length} bytes at ${hex32(address)}`, () => link.adi.writeBlock(address, words(data)));
      await ready(`writing at ${hex32(address)}`);
    },
    async finish() {
      await link.write32(NRF52.CONFIG, NRF52.CONFIG_REN, 'ending NVMC writes');
    },
  };
}

const SR_NAMES: [number, string][] = [
  [STM32L4.SR_OPERR, 'OPERR'],
  [STM32L4.SR_PROGERR, 'PROGERR (not erased)'],
  [STM32L4.SR_WRPERR, 'WRPERR (write-protected)'],
  [STM32L4.SR_PGAERR, 'PGAERR (misaligned)'],
  [STM32L4.SR_SIZERR, 'SIZERR'],
  [STM32L4.SR_PGSERR, 'PGSERR (sequence)'],
  [STM32L4.SR_MISERR, 'MISERR'],
  [STM32L4.SR_FASTERR, 'FASTERR'],
  [STM32L4.SR_RDERR, 'RDERR'],
  [STM32L4.SR_OPTVERR, 'OPTVERR'],
  [STM32U5.SR_OPTWERR, 'OPTWERR'],
];

/** What differs between the STM32 flash controllers driven here (the sequences are the same). */
interface Stm32Flash {
  name: string;
  keyr: number;
  sr: number;
  cr: number;
  optr: number;
  errors: number;
  /** the programming unit: 8 (double word) or 16 (quad word) bytes */
  align: number;
  idcode: number;
  devId: number;
  /** page size and bank split, from OPTR */
  layout(optr: number): { pageBytes: number; bank2At: number | undefined };
  /** a reason the controller cannot be driven this way, from OPTR */
  refuse?(optr: number): string | undefined;
}

const STM32_FLASHES: Record<'stm32l4' | 'stm32u5', Stm32Flash> = {
  stm32l4: {
    name: 'STM32L4R/L4S',
    keyr: STM32L4.KEYR,
    sr: STM32L4.SR,
    cr: STM32L4.CR,
    optr: STM32L4.OPTR,
    errors: STM32L4.SR_ERRORS,
    align: 8,
    idcode: STM32L4.DBGMCU_IDCODE,
    devId: STM32L4.DEV_ID_L4R_L4S,
    layout: (optr) => ((optr & STM32L4.OPTR_DBANK) !== 0 ? { pageBytes: 4096, bank2At: STM32L4.BANK_BYTES } : { pageBytes: 8192, bank2At: undefined }),
  },
  stm32u5: {
    name: 'STM32U575/U585',
    keyr: STM32U5.KEYR,
    sr: STM32U5.SR,
    cr: STM32U5.CR,
    optr: STM32U5.OPTR,
    errors: STM32U5.SR_ERRORS,
    align: 16,
    idcode: STM32U5.DBGMCU_IDCODE,
    devId: STM32U5.DEV_ID_U575_U585,
    // the 2 MiB parts are always two banks of 1 MiB (OPTR.DUALBANK is for the 1 MiB ones)
    layout: () => ({ pageBytes: STM32U5.PAGE_BYTES, bank2At: STM32U5.BANK_BYTES }),
    refuse: (optr) =>
      (optr & STM32U5.OPTR_TZEN) !== 0
        ? 'TrustZone is on (OPTR.TZEN): the non-secure flash registers cannot erase secure pages; use STM32CubeProgrammer'
        : undefined,
  },
};

function stm32(link: SwdLink, chip: string, f: Stm32Flash): Programmer {
  const L = STM32L4; // the bits both controllers share: PG, PER, PNB at 3, BKER, STRT, LOCK, BSY
  let pageBytes = 4096;
  let bank2At: number | undefined;
  const notBusy = (what: string) => link.until(what, 5000, async () => ((await link.read32(f.sr, `${what}: reading FLASH_SR`)) & L.SR_BSY) === 0);
  const checkSr = async (what: string) => {
    const sr = await link.read32(f.sr, `${what}: reading FLASH_SR`);
    const errors = SR_NAMES.filter(([bit]) => (sr & bit & f.errors) !== 0).map(([, name]) => name);
    if (errors.length > 0) throw new TinyforgeError(`--probe ${link.name}: ${what}: FLASH_SR reports ${errors.join(', ')} (${hex32(sr)})`);
  };
  /** A FAULT while programming: FLASH_SR says why. */
  const explained = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (e) {
      if (e instanceof TinyforgeError && /FAULT/.test(e.message)) await checkSr(what);
      throw e;
    }
  };
  return {
    align: f.align,
    get pageBytes() {
      return pageBytes;
    },
    async identify() {
      const id = await link.read32(f.idcode, 'reading DBGMCU_IDCODE');
      if ((id & 0xfff) !== f.devId)
        throw new TinyforgeError(
          `--probe ${link.name}: the target is not an ${chip}: DBGMCU_IDCODE reads ${hex32(id)} (DEV_ID 0x${f.devId.toString(16)} expected)`,
        );
      return `${f.name} (DEV_ID 0x${f.devId.toString(16)}, rev 0x${(id >>> 16).toString(16)})`;
    },
    async prepare() {
      const optr = await link.read32(f.optr, 'reading FLASH_OPTR');
      const refused = f.refuse?.(optr);
      if (refused) throw new TinyforgeError(`--probe ${link.name}: ${refused}`);
      ({ pageBytes, bank2At } = f.layout(optr));
      await notBusy('waiting for the flash controller');
      if (((await link.read32(f.cr, 'reading FLASH_CR')) & L.CR_LOCK) !== 0) {
        await link.write32(f.keyr, L.KEY1, 'unlocking FLASH_CR');
        await link.write32(f.keyr, L.KEY2, 'unlocking FLASH_CR');
        if (((await link.read32(f.cr, 'reading FLASH_CR')) & L.CR_LOCK) !== 0)
          throw new TinyforgeError(
            `--probe ${link.name}: FLASH_CR stays locked after the key sequence (a wrong key locks it until reset: power-cycle the board)`,
          );
      }
      await link.write32(f.sr, f.errors | L.SR_EOP, 'clearing FLASH_SR');
    },
    async erase(page) {
      const what = `erasing the page at ${hex32(page)}`;
      const offset = page - L.FLASH_BASE;
      const bank2 = bank2At !== undefined && offset >= bank2At;
      const pnb = (offset - (bank2 ? bank2At! : 0)) / pageBytes;
      const cr = L.CR_PER | (pnb << L.CR_PNB_SHIFT) | (bank2 ? L.CR_BKER : 0);
      await link.write32(f.cr, cr, what);
      await link.write32(f.cr, cr | L.CR_STRT, what);
      await notBusy(what);
      await checkSr(what);
      await link.write32(f.cr, 0, what);
    },
    async program(address, data) {
      const what = `programming ${data.length} bytes at ${hex32(address)}`;
      await link.write32(f.cr, L.CR_PG, what);
      await explained(what, () => link.op(what, () => link.adi.writeBlock(address, words(data))));
      await notBusy(what);
      await checkSr(what);
    },
    async finish() {
      await link.write32(f.cr, L.CR_LOCK, 'locking FLASH_CR');
    },
  };
}

async function openTransport(spec: ProbeSpec, timeoutMs: number): Promise<Transport> {
  if (spec.kind === 'tcp') {
    const t = new TcpDapTransport(spec.host, spec.port, probeName(spec), timeoutMs);
    await t.open();
    try {
      // DAP_Info(Packet Size): dapjs sizes its transfers from the transport's packet size
      await t.write(Uint8Array.from([0x00, 0xff]));
      const answer = await t.read();
      if (answer.getUint8(0) === 0x00 && answer.getUint8(1) === 2) {
        const size = answer.getUint16(2, true);
        if (size >= 64) t.packetSize = Math.min(size, 1024);
      }
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }
  if (spec.kind === 'usb') return openUsbTransport(spec.serial);
  throw new Error('openocd is not a CMSIS-DAP transport');
}

/** Refuses an image with bytes outside the chip's flash (before any probe is touched). */
export function checkInFlash(image: FlashImage, chip: string, flash: { origin: number; bytes: number }): void {
  const end = flash.origin + flash.bytes;
  for (const s of image.segments) {
    if (s.address < flash.origin || s.address + s.data.length > end)
      throw new TinyforgeError(
        `${image.source}: bytes at ${hex32(s.address)}..${hex32(s.address + s.data.length - 1)} are outside the flash of the ${chip} (${hex32(flash.origin)}..${hex32(end - 1)})`,
      );
  }
}

export async function flashSwd(image: FlashImage, options: SwdFlashOptions): Promise<SwdFlashReport> {
  const started = Date.now();
  const name = probeName(options.probe);
  const progress = options.progress ?? (() => {});
  checkInFlash(image, options.chip, options.flash);
  const dapjs = await loadDapjs();
  // the probe is reached before the first progress line: a probe that is not there is the only line
  const transport = new AckWatch(await openTransport(options.probe, options.timeoutMs ?? 5000));
  progress(`connecting to the ${options.chip} through ${name}`);
  const proxy: CmsisDAP = new dapjs.CmsisDAP(transport, 1 /* SWD */, options.clockHz ?? 1_000_000);
  const link = new SwdLink(name, new dapjs.ADI(proxy), transport);
  try {
    await link.op('connecting (DAP_Connect, SWD line reset, debug power-up)', () =>
      withTimeout(link.adi.connect(), 10_000, `--probe ${name}: the debug port did not power up in 10 s`),
    );
    const dpidr = await link.op('reading DP IDR', async () => (await link.adi.readDP(0)) >>> 0);
    const programmer = options.family === 'nrf52' ? nrf52(link, options.chip) : stm32(link, options.chip, STM32_FLASHES[options.family]);
    const identity = await programmer.identify();
    progress(`${name}: SW-DP ${hex32(dpidr)}, ${identity}; halting the core`);
    await link.write32(SCS.DHCSR, SCS.DBGKEY | SCS.C_DEBUGEN | SCS.C_HALT, 'halting the core (DHCSR)');
    await link.until('halting the core', 1000, async () => ((await link.read32(SCS.DHCSR, 'reading DHCSR')) & SCS.S_HALT) !== 0);
    await programmer.prepare();

    const runs = alignedRuns(image, programmer.align);
    const pages = new Set<number>();
    for (const r of runs) {
      for (let p = Math.floor(r.address / programmer.pageBytes); p * programmer.pageBytes < r.address + r.data.length; p++) pages.add(p * programmer.pageBytes);
    }
    const bytes = runs.reduce((n, r) => n + r.data.length, 0);
    progress(`erasing ${pages.size} page${pages.size === 1 ? '' : 's'} of ${programmer.pageBytes / 1024} KiB`);
    let done = 0;
    for (const page of [...pages].sort((a, b) => a - b)) {
      await programmer.erase(page);
      options.count?.(++done, pages.size, 'erasing pages');
    }
    progress(`writing ${bytes} bytes`);
    done = 0;
    for (const r of runs) {
      for (const [at, n] of kibChunks(r.address, r.data.length)) {
        await programmer.program(at, r.data.subarray(at - r.address, at - r.address + n));
        done += n;
        options.count?.(done, bytes, 'writing bytes');
      }
    }
    await programmer.finish();

    progress(`reading back ${bytes} bytes`);
    for (const r of runs) {
      const what = `reading back ${hex32(r.address)}`;
      let read = await link.readBytes(r.address, r.data.length, what);
      let bad = read.findIndex((b, i) => b !== r.data[i]);
      if (bad >= 0) {
        // once more, so a word garbled on the way back is told apart from a wrong byte in flash
        read = await link.readBytes(r.address, r.data.length, what);
        bad = read.findIndex((b, i) => b !== r.data[i]);
      }
      if (bad >= 0)
        throw new TinyforgeError(
          `--probe ${name}: verify at ${hex32(r.address + bad)}: reads 0x${read[bad]!.toString(16).padStart(2, '0')}, 0x${r.data[bad]!.toString(16).padStart(2, '0')} was written; the image is not flashed (core left halted)`,
        );
    }

    if (!options.noGo) {
      progress('resetting the core into the image');
      await link.write32(SCS.DEMCR, 0, 'clearing DEMCR');
      // the reset may cut this write's acknowledgement short on a real chip: not an error
      await link.write32(SCS.AIRCR, SCS.VECTKEY | SCS.SYSRESETREQ, 'resetting (AIRCR.SYSRESETREQ)').catch(() => undefined);
    }
    await link.op('disconnecting', () => proxy.disconnect());
    return {
      probe: name,
      chip: options.chip,
      family: options.family,
      dpidr,
      pagesErased: pages.size,
      bytesWritten: bytes,
      verified: true,
      started: !options.noGo,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await transport.close().catch(() => undefined);
  }
}
