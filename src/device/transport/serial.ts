/**
 * A serial port through `serialport`: a real board's /dev/tty* or QEMU's pseudo-terminal (which
 * serialport opens like any port). Opening is retried briefly (a USB port may still be appearing);
 * a port that disappears later is reported through onClose with its path.
 */
import { SerialPort } from 'serialport';
import { TinyforgeError } from '../../errors.ts';
import type { Transport } from './transport.ts';

export interface SerialOptions {
  baudRate?: number;
  /** parity bit (default none); ST's USART boot loader (AN3155) wants 8 data bits, even parity */
  parity?: 'none' | 'even';
  /** tries to open before giving up (default 3, 200 ms apart) */
  openTries?: number;
}

export class SerialTransport implements Transport {
  private closing = false;
  private readonly closeListeners: ((reason: string) => void)[] = [];

  private constructor(private readonly port: SerialPort, readonly name: string) {
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closing) return;
      const reason = err?.disconnected ? 'the port disappeared (disconnected)' : 'the port was closed';
      for (const listener of this.closeListeners) listener(reason);
    });
    // errors after opening show up as a close or a failed write; keep them from becoming uncaught
    port.on('error', () => {});
  }

  static async open(path: string, options: SerialOptions = {}): Promise<SerialTransport> {
    const tries = options.openTries ?? 3;
    let last: Error | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      try {
        const port = await openPort(path, options.baudRate ?? 115200, options.parity ?? 'none');
        return new SerialTransport(port, path);
      } catch (e) {
        last = e as Error;
        if (attempt < tries) await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new TinyforgeError(`${path}: cannot open the serial port: ${last?.message ?? 'unknown error'}`);
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) return reject(err);
        this.port.drain((e) => (e ? reject(e) : resolve()));
      });
    });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
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
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

function openPort(path: string, baudRate: number, parity: 'none' | 'even'): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, parity, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}
