// SPDX-License-Identifier: Apache-2.0
/**
 * A serial port through `serialport`: a real board's /dev/tty* or QEMU's pseudo-terminal (which
 * serialport opens like any port). Opening is retried briefly (a USB port may still be appearing);
 * a port that disappears later is reported through onClose with its path, and can be reopened at
 * the same path (a USB-serial adapter re-enumerating, a board resetting its USB) with `reopen`.
 */
import { write as writeFd } from 'node:fs';
import { SerialPort } from 'serialport';
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from './transport.ts';

export interface SerialOptions {
  baudRate?: number;
  /** parity bit (default none); ST's USART boot loader (AN3155) wants 8 data bits, even parity */
  parity?: 'none' | 'even';
  /** tries to open before giving up (default 3, 200 ms apart) */
  openTries?: number;
}

export interface ReopenOptions {
  /** tries to open the path again (default 5) */
  tries?: number;
  /** wait before each try (default 1000 ms): the device needs a moment to come back */
  delayMs?: number;
}

/**
 * How often an open port is checked for a hangup. A pseudo-terminal whose other end closed (QEMU or
 * socat gone) is hung up: from then on its reads return 0 bytes, which serialport's reader retries
 * forever instead of reporting, so the vanished port would never be noticed. A hung-up tty fails
 * every write with EIO, even an empty one, and an empty write to a live tty does nothing: that is
 * the probe.
 */
const HANGUP_PROBE_MS = 250;

export class SerialTransport implements Transport {
  private closing = false;
  private hangupProbe: ReturnType<typeof setInterval> | undefined;
  private readonly reported = new WeakSet<SerialPort>();
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private readonly dataListeners: ((bytes: Uint8Array) => void)[] = [];

  private constructor(
    private port: SerialPort,
    readonly name: string,
    private readonly options: SerialOptions,
  ) {
    this.listen(port);
  }

  static async open(path: string, options: SerialOptions = {}): Promise<SerialTransport> {
    const tries = options.openTries ?? 3;
    let last: Error | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      try {
        return new SerialTransport(await openPort(path, options), path, options);
      } catch (e) {
        last = e as Error;
        if (attempt < tries) await sleep(200);
      }
    }
    throw new TinyforgeError(`${path}: cannot open the serial port: ${last?.message ?? 'unknown error'}`);
  }

  /** Whether our end is open: false once the port vanished (until reopened) or was closed. */
  get isOpen(): boolean {
    return !this.closing && this.port.isOpen;
  }

  /**
   * Opens the same path again after the port vanished, keeping every listener. Resolves false when
   * it did not come back within `tries` × `delayMs`, or when the transport was closed meanwhile.
   */
  async reopen(options: ReopenOptions = {}): Promise<boolean> {
    const tries = options.tries ?? 5;
    const delayMs = options.delayMs ?? 1000;
    if (this.port.isOpen) await new Promise<void>((r) => this.port.close(() => r()));
    for (let attempt = 1; attempt <= tries; attempt++) {
      await sleep(delayMs);
      if (this.closing) return false;
      try {
        const port = await openPort(this.name, this.options);
        this.port.removeAllListeners();
        this.port.on('error', () => {});
        this.stopHangupProbe();
        this.port = port;
        this.listen(port);
        return true;
      } catch {
        // not back yet
      }
    }
    return false;
  }

  /**
   * Resolves once the bytes are handed to the OS. No drain: every request waits for its answer
   * anyway, and serialport's drain on a port that closes meanwhile throws outside any callback.
   */
  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port.isOpen) return Promise.reject(new Error(`${this.name} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
    });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    if (this.closing || !this.port.isOpen) {
      this.closing = true;
      return Promise.resolve();
    }
    this.closing = true;
    this.stopHangupProbe();
    return new Promise((resolve) => this.port.close(() => resolve()));
  }

  /** Tells the listeners once per port, whichever of the hangup probe and serialport sees it first. */
  private reportClosed(port: SerialPort, reason: string): void {
    if (this.reported.has(port)) return;
    this.reported.add(port);
    for (const listener of this.closeListeners) listener(reason);
  }

  private stopHangupProbe(): void {
    clearInterval(this.hangupProbe);
    this.hangupProbe = undefined;
  }

  /** Closes `port` as disconnected once an empty write to its descriptor fails (see HANGUP_PROBE_MS). */
  private watchForHangup(port: SerialPort): void {
    this.stopHangupProbe();
    let probing = false;
    this.hangupProbe = setInterval(() => {
      // the binding's descriptor: serialport does not type it, and it is null once closed
      const fd = (port.port as { fd?: number | null } | undefined)?.fd;
      if (probing || typeof fd !== 'number' || port !== this.port || this.closing) return;
      probing = true;
      writeFd(fd, new Uint8Array(0), (err) => {
        probing = false;
        // EIO (ENXIO for a device gone) is the hangup; EAGAIN only says the output buffer is full
        if (!err || (err.code !== 'EIO' && err.code !== 'ENXIO') || port !== this.port || this.closing || !port.isOpen) return;
        this.stopHangupProbe();
        this.reportClosed(port, `the port disappeared (hung up: ${err.code ?? err.message})`);
        port.close(() => {});
      });
    }, HANGUP_PROBE_MS);
    this.hangupProbe.unref();
  }

  private listen(port: SerialPort): void {
    port.on('data', (chunk: Buffer) => {
      if (port !== this.port) return;
      const bytes = new Uint8Array(chunk);
      for (const listener of this.dataListeners) listener(bytes);
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closing || port !== this.port) return;
      this.reportClosed(port, err?.disconnected ? 'the port disappeared (disconnected)' : 'the port was closed');
    });
    // errors after opening show up as a close or a failed write; keep them from becoming uncaught
    port.on('error', () => {});
    this.watchForHangup(port);
  }
}

function openPort(path: string, options: SerialOptions): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: options.baudRate ?? 115200, parity: options.parity ?? 'none', autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
