// SPDX-License-Identifier: Apache-2.0
/**
 * The RP2040 emulated in this process by rp2040js, seen by the host as a serial line (a Transport)
 * on the chip's UART0.
 *
 * rp2040js ships no boot ROM, so `start` does the ROM's part of booting itself, the way the chip's
 * ROM does it: the UF2 image is written into the emulated flash, the first 256 bytes (the second
 * stage) are copied to the top of SRAM and their CRC32 checked, and the core starts there with the
 * ROM's stack. From then on the firmware runs exactly as on the chip: boot2 sets up XIP and enters
 * the vector table, our startup and clock code run, the harness talks on UART0.
 *
 * Time: every instruction advances the emulated clock by its cycles in rp2040js's Cortex-M0+ timing
 * model at the current clk_sys, so SysTick (the firmware's counter) counts the model's cycles. While
 * the core sleeps in WFI waiting for the host, nothing runs; the clock only moves on to the next timer
 * event if the host stays silent (so timer interrupts still arrive, but idle waits cost no CPU).
 *
 * Host to chip: rp2040js's UART receive FIFO holds 32 bytes and drops the rest, so bytes from the
 * host are queued here and fed only while the FIFO has room.
 *
 * The emulation is stricter than rp2040js alone: an access to unmapped memory, an unimplemented
 * instruction or peripheral register ends the run with an error (on the chip it would be a fault or
 * wrong behaviour), instead of a warning on the console.
 */
import { RP2040, type Logger } from 'rp2040js';
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from '../transport/transport.ts';
import { BOOT2_BYTES, boot2Valid } from '../../toolchain/rp2040/boot2.ts';
import { writeUf2IntoFlash } from '../../toolchain/rp2040/uf2.ts';

/** where the boot ROM copies the second stage, and the stack it gives it (RP2040 datasheet 2.8.1) */
const BOOT2_SRAM_ADDRESS = 0x20041f00;
const BOOT_STACK_TOP = 0x20042000;
const SRAM_BASE = 0x20000000;
/** instructions between looks at the host (new bytes, output to hand on, close) */
const SLICE_CYCLES = 2_000_000;
/** how long an idle core waits for the host before its clock jumps to the next timer event */
const IDLE_WAIT_MS = 20;
/** UARTFR.RXFF: the receive FIFO is full */
const UART_FR_RXFF = 1 << 6;

export interface Rp2040Exit {
  /** the firmware's exit status (r0 at its `bkpt`), or null if the run ended another way */
  status: number | null;
  /** why the run ended, for messages: "firmware exited with status 0", "closed by the host" */
  reason: string;
}

/**
 * What follows the emulated core instruction by instruction (estimate/timing/trace.ts's Rp2040Tracer
 * measures layer timings with it); an interface here, so the device needs nothing from the estimates.
 */
export interface InstructionTracer {
  /** once, before the run: how the tracer reads the instruction halfwords of the emulated memory */
  bind(readHalfword: (address: number) => number): void;
  /** before each instruction: its pc and the core's cycle count so far */
  before(pc: number, cycles: number): void;
  /** once, when the run ends */
  close(cycles: number): void;
  /** whether it needs every data access (`access`): a cache replay */
  readonly replaysCaches?: boolean;
  /** each data access of the instruction running (its own fetch excluded) */
  access?(address: number, write: boolean): void;
}

export class Rp2040Emulation implements Transport {
  readonly mcu = new RP2040();
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private readonly rx: number[] = [];
  private rxAt = 0;
  private tx: number[] = [];
  private ended: Rp2040Exit | null = null;
  private wake: (() => void) | null = null;
  private nanosPerCycle: number;
  private readonly finished: Promise<Rp2040Exit>;
  private resolveFinished!: (exit: Rp2040Exit) => void;

  private constructor(
    readonly name: string,
    private readonly tracer: InstructionTracer | null,
  ) {
    this.mcu.logger = this.strictLogger();
    this.nanosPerCycle = 1e9 / this.mcu.clkSys;
    this.mcu.addClockListener((clkSys) => (this.nanosPerCycle = 1e9 / clkSys));
    this.mcu.uart[0]!.onByte = (byte) => this.tx.push(byte);
    this.mcu.onBreak = () => this.end({ status: this.mcu.core.registers[0]! | 0, reason: `firmware exited with status ${this.mcu.core.registers[0]! | 0}` });
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /**
   * Writes the UF2 image into the emulated flash, runs the boot ROM's checks and starts the core.
   * `file` names the image in messages.
   */
  static start(uf2: Uint8Array, file: string, name = 'rp2040js', tracer: InstructionTracer | null = null): Rp2040Emulation {
    return Rp2040Emulation.boot((flash) => writeUf2IntoFlash(uf2, flash, file), file, name, tracer);
  }

  /**
   * Boots whatever `fill` puts into the (erased) emulated flash, as the chip's ROM boots its flash
   * after a reset: a board that took a UF2 copy, damaged or not (test/device/fake-pico.ts).
   */
  static boot(fill: (flash: Uint8Array) => void, file: string, name = 'rp2040js', tracer: InstructionTracer | null = null): Rp2040Emulation {
    const emulation = new Rp2040Emulation(name, tracer);
    const { mcu } = emulation;
    tracer?.bind((address) => mcu.readUint16(address));
    if (tracer?.replaysCaches) emulation.reportAccesses(tracer);
    fill(mcu.flash);
    const stage2 = mcu.flash.subarray(0, BOOT2_BYTES);
    if (!boot2Valid(stage2)) {
      throw new TinyforgeError(`${file}: the first 256 bytes of flash are not a second stage with a valid CRC32; the RP2040's boot ROM would not start it`);
    }
    mcu.sram.set(stage2, BOOT2_SRAM_ADDRESS - SRAM_BASE);
    mcu.core.SP = BOOT_STACK_TOP;
    mcu.core.LR = 0;
    mcu.core.PC = BOOT2_SRAM_ADDRESS;
    void emulation.run();
    return emulation;
  }

  /**
   * Hands the tracer every data access of the core: its loads and stores go through the core's own
   * read and write methods, wrapped here; the halfwords at the pc are the instruction's fetch.
   */
  private reportAccesses(tracer: InstructionTracer): void {
    const core = this.mcu.core as unknown as Record<string, (address: number, value?: number) => number | void> & { PC: number };
    const report = (name: string, write: boolean, fetchable: boolean) => {
      const original = core[name]!.bind(core);
      core[name] = (address: number, value?: number) => {
        const pc = core.PC & ~1;
        if (!(fetchable && (address === pc || address === pc + 2))) tracer.access!(address, write);
        return original(address, value);
      };
    };
    report('readUint32', false, false);
    report('readUint16', false, true);
    report('readUint8', false, false);
    report('writeUint32', true, false);
    report('writeUint16', true, false);
    report('writeUint8', true, false);
  }

  /** Cycles the core has run, by rp2040js's timing model. */
  get cycles(): number {
    return this.mcu.core.cycles;
  }

  /** Resolves when the run ends: the firmware exits, fails, or the host closes it. */
  get exit(): Promise<Rp2040Exit> {
    return this.finished;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.ended) throw new TinyforgeError(`${this.name}: cannot write: ${this.ended.reason}`);
    for (const b of bytes) this.rx.push(b);
    this.wake?.();
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
    // what the firmware sent before anyone listened (its first slice runs inside start)
    if (this.tx.length > 0) queueMicrotask(() => this.flushTx());
  }

  onClose(listener: (reason: string) => void): void {
    if (this.ended) listener(`${this.name}: ${this.ended.reason}`);
    else this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.end({ status: null, reason: 'closed by the host' });
    await this.finished;
  }

  private end(exit: Rp2040Exit): void {
    if (this.ended) return;
    this.ended = exit;
    this.wake?.();
  }

  /** Hands the bytes sent so far to the listeners; kept until there is one, as a UART line holds them for a pty. */
  private flushTx(): void {
    if (this.tx.length === 0 || this.dataListeners.length === 0) return;
    const bytes = Uint8Array.from(this.tx);
    this.tx = [];
    for (const listener of this.dataListeners) listener(bytes);
  }

  private feedRx(): void {
    const uart = this.mcu.uart[0]!;
    while (this.rxAt < this.rx.length && !(uart.flags & UART_FR_RXFF)) uart.feedByte(this.rx[this.rxAt++]!);
    if (this.rxAt === this.rx.length && this.rxAt > 0) {
      this.rx.length = 0;
      this.rxAt = 0;
    }
  }

  private async run(): Promise<void> {
    const { core, clock } = this.mcu;
    const simulation = clock as unknown as { tick(nanos: number): void; nanosToNextAlarm: number };
    try {
      while (!this.ended) {
        const sliceEnd = core.cycles + SLICE_CYCLES;
        while (!this.ended && core.cycles < sliceEnd) {
          if (this.rxAt < this.rx.length) this.feedRx();
          if (core.waiting) {
            // rp2040js wakes WFI on a new interrupt line, but not on a SysTick that became pending
            if (core.interruptsUpdated && core.checkForInterrupts()) {
              core.waiting = false;
              continue;
            }
            break;
          }
          if (this.tracer) this.tracer.before(core.PC & ~1, core.cycles);
          const cycles = core.executeInstruction();
          simulation.tick(cycles * this.nanosPerCycle);
        }
        this.flushTx();
        if (this.ended) break;
        if (core.waiting && this.rxAt >= this.rx.length) {
          const woken = await this.idle();
          if (!woken && !this.ended && Number.isFinite(simulation.nanosToNextAlarm)) simulation.tick(simulation.nanosToNextAlarm);
        } else {
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } catch (e) {
      this.end({ status: null, reason: `emulation failed: ${(e as Error).message}` });
    }
    this.flushTx();
    this.tracer?.close(core.cycles);
    const exit = this.ended!;
    for (const listener of this.closeListeners) listener(`${this.name}: ${exit.reason}`);
    this.resolveFinished(exit);
  }

  /** Waits until the host writes or closes (true), or IDLE_WAIT_MS pass (false). */
  private idle(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, IDLE_WAIT_MS);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(true);
      };
    });
  }

  /** rp2040js reports bad accesses and unimplemented things as log lines: here they end the run. */
  private strictLogger(): Logger {
    const fail = (component: string, message: string) =>
      this.end({ status: null, reason: `${component}: ${message} (pc=0x${(this.mcu.core.PC >>> 0).toString(16)})` });
    return {
      debug: () => {},
      info: () => {},
      warn: fail,
      error: fail,
    };
  }
}
