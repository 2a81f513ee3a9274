// SPDX-License-Identifier: Apache-2.0
/**
 * An emulator's stdin/stdout as the serial line (QEMU `-serial stdio`). The pipe exists from the
 * first instruction, so nothing the board sends is lost; the transport closes when the process ends.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Transport } from './transport.ts';
import { within } from '../../timeout.ts';

/** How long a write that met a closed pipe waits for the process's exit to be reported. */
const EXIT_AFTER_EPIPE_MS = 1000;

export class StdioTransport implements Transport {
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private ended = false;
  private readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable | null>,
    readonly name: string,
    describeExit: () => string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('exit', () => {
      this.ended = true;
      const reason = describeExit();
      for (const listener of this.closeListeners) listener(reason);
    });
    child.stdin.on('error', () => {}); // EPIPE after the process ended shows as the exit above
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error('the process has ended'));
      this.child.stdin.write(Buffer.from(bytes), (err) => {
        if (!err) return resolve();
        // a pipe whose reader ended fails before the exit is reported: the exit says why, so the
        // caller, which learns the close reason from onClose, is given the chance to see it first
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') return reject(err);
        void within(this.exited, EXIT_AFTER_EPIPE_MS, () => undefined).then(() => reject(err));
      });
    });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.child.stdout.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
  }
}
