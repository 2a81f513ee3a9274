// SPDX-License-Identifier: Apache-2.0
/**
 * Reads a byte stream from a Transport the way a request/response boot loader protocol needs it:
 * "the next n bytes, within t ms". Bytes that arrive while nobody waits are queued; a port that
 * goes away fails the waiting read (and every later one) with the transport's reason.
 */
import type { Transport } from '../transport/transport.ts';

/** A read that did not complete: `timeout` (nothing, or too little, arrived) or `closed`. */
export class ReadFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'closed',
    message: string,
    readonly received: Uint8Array,
  ) {
    super(message);
    this.name = 'ReadFailure';
  }
}

interface Waiter {
  count: number;
  resolve: (bytes: Uint8Array) => void;
  reject: (failure: ReadFailure) => void;
  timer: NodeJS.Timeout;
}

export class ByteReader {
  private queue: number[] = [];
  private waiter: Waiter | null = null;
  private closedReason: string | null = null;

  constructor(readonly transport: Transport) {
    transport.onData((bytes) => {
      for (const b of bytes) this.queue.push(b);
      this.serve();
    });
    transport.onClose((reason) => {
      this.closedReason = reason;
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = null;
        clearTimeout(waiter.timer);
        waiter.reject(new ReadFailure('closed', reason, this.take(this.queue.length)));
      }
    });
  }

  get closed(): string | null {
    return this.closedReason;
  }

  /** The next `count` bytes, or a ReadFailure after `timeoutMs` or when the port closes. */
  read(count: number, timeoutMs: number): Promise<Uint8Array> {
    if (this.waiter) throw new Error('internal: one read at a time');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const got = this.take(this.queue.length);
        const what = got.length === 0 ? 'no answer' : `only ${got.length} of ${count} bytes`;
        reject(new ReadFailure('timeout', `${what} within ${timeoutMs} ms`, got));
      }, timeoutMs);
      this.waiter = { count, resolve, reject, timer };
      this.serve();
    });
  }

  async readByte(timeoutMs: number): Promise<number> {
    return (await this.read(1, timeoutMs))[0]!;
  }

  /** Forgets what arrived unasked (a boot banner, noise, the tail of a failed exchange). */
  discard(): number {
    const n = this.queue.length;
    this.queue = [];
    return n;
  }

  async write(bytes: Uint8Array | number[]): Promise<void> {
    if (this.closedReason !== null) throw new ReadFailure('closed', this.closedReason, new Uint8Array(0));
    try {
      await this.transport.write(Uint8Array.from(bytes));
    } catch (e) {
      throw new ReadFailure('closed', this.closedReason ?? `write failed: ${(e as Error).message}`, new Uint8Array(0));
    }
  }

  private serve(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.queue.length >= waiter.count) {
      this.waiter = null;
      clearTimeout(waiter.timer);
      waiter.resolve(this.take(waiter.count));
    } else if (this.closedReason !== null) {
      this.waiter = null;
      clearTimeout(waiter.timer);
      waiter.reject(new ReadFailure('closed', this.closedReason, this.take(this.queue.length)));
    }
  }

  private take(count: number): Uint8Array {
    const out = Uint8Array.from(this.queue.slice(0, count));
    this.queue = this.queue.slice(count);
    return out;
  }
}
