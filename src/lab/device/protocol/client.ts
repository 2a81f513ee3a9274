// SPDX-License-Identifier: Apache-2.0
/**
 * The host side of the device protocol: one request at a time, each waiting for its answer with a
 * timeout, retried with the same sequence number (the device answers a repeat from memory, so a
 * retried INVOKE never runs twice). Failures are one-line TinyforgeErrors naming the port and step.
 * With a `Recovery` set (real serial ports only), a port that vanishes is reopened and the device
 * re-synced before the interrupted request is sent again (docs/protocol.md, "A port that vanishes").
 */
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from '../transport/transport.ts';
import { type DecodedEvent, FrameDecoder, encodeFrame } from './frame.ts';
import { Command, NACK, PROTOCOL_VERSION, RESPONSE_BIT, Reader, Status, statusText } from './messages.ts';

export interface ClientOptions {
  /** how long one try waits for its answer (default 2000 ms) */
  timeoutMs?: number;
  /** tries after the first (default 3) */
  retries?: number;
  /** told about every retry, for progress output */
  onRetry?: (step: string, why: string, attempt: number) => void;
}

export interface RequestOptions {
  /** what the request is for, as the error message names it: "HELLO", "WRITE_INPUT at 512" */
  step: string;
  timeoutMs?: number;
  retries?: number;
  /**
   * A request whose answer may take long (INVOKE: an inference): wait up to this long in all for an
   * answer that does not come, sending the request again (same sequence number: the device runs it
   * once and answers repeats from memory) after `timeoutMs`, then twice, four times as long... (at
   * most 16 s apart), so that a request lost on the way costs seconds, not the whole wait. Such
   * silences do not count against `retries`, which are for damaged answers and NACKs.
   */
  patienceMs?: number;
}

/** the longest pause between two sends of a patient request (INVOKE) */
const MAX_RESEND_GAP_MS = 16_000;

/** A device answered, but with an error status. */
export class DeviceStatusError extends TinyforgeError {
  constructor(
    message: string,
    readonly status: number,
    readonly payload: Uint8Array,
  ) {
    super(message);
    this.name = 'DeviceStatusError';
  }
}

/** How a session brings a vanished port back; without one, a vanished port ends the session. */
export interface Recovery {
  /** reopens the port, or throws the one-line error for `step` when it does not come back */
  reopen(step: string): Promise<void>;
  /**
   * Re-syncs the device after a reopen (HELLO, restoring its state) through `request`, which
   * may be called from here although a request is under way.
   */
  resync(step: string, command: number): Promise<void>;
}

/** A port flapping without end must not keep one request alive for ever. */
const MAX_RECOVERIES_PER_REQUEST = 3;

type Incoming = DecodedEvent | { kind: 'closed'; reason: string };

const NOISE_KEPT = 2048;

export class ProtocolClient {
  private decoder = new FrameDecoder();
  private sequence = 0;
  private waiter: ((event: Incoming) => void) | null = null;
  private closedReason: string | null = null;
  private noise = '';
  private busy = false;
  private recovery: Recovery | null = null;
  private recovering = false;

  constructor(
    readonly transport: Transport,
    private readonly options: ClientOptions = {},
  ) {
    transport.onData((bytes) => {
      for (const event of this.decoder.push(bytes)) {
        if (event.kind === 'noise') this.keepNoise(event.bytes);
        else this.waiter?.(event);
      }
    });
    transport.onClose((reason) => {
      this.closedReason = reason;
      this.waiter?.({ kind: 'closed', reason });
    });
  }

  /** Text the device sent outside frames (a fault report, a boot banner), most recent last. */
  get unframedOutput(): string {
    return this.noise;
  }

  /** From now on a vanished port is brought back by `recovery` instead of ending the session. */
  setRecovery(recovery: Recovery | null): void {
    this.recovery = recovery;
  }

  /** Sends one request and returns its answer's payload after the OK status byte. */
  async request(command: number, payload: Uint8Array, options: RequestOptions): Promise<Reader> {
    if (this.recovering) return this.exchange(command, payload, options); // re-sync's own requests
    if (this.busy) throw new Error('internal: one request at a time');
    this.busy = true;
    try {
      let needsRecovery = false;
      for (let recoveries = 0; ; ) {
        try {
          if (needsRecovery) await this.recover(options.step, command);
          needsRecovery = false;
          // after a recovery: sent again with a new sequence number (re-sync's HELLO cleared the replay memory)
          return await this.exchange(command, payload, options);
        } catch (e) {
          if (!(e instanceof PortVanished) || !this.recovery || recoveries >= MAX_RECOVERIES_PER_REQUEST) throw e;
          needsRecovery = true;
          recoveries++;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async recover(step: string, command: number): Promise<void> {
    await this.recovery!.reopen(step);
    this.closedReason = null;
    this.decoder = new FrameDecoder(); // a frame cut by the vanishing is not completed by the new port
    this.recovering = true;
    try {
      await this.recovery!.resync(step, command);
    } finally {
      this.recovering = false;
    }
  }

  private async exchange(command: number, payload: Uint8Array, options: RequestOptions): Promise<Reader> {
    const where = `${this.transport.name}: ${options.step}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 2000;
    const tries = 1 + (options.retries ?? this.options.retries ?? 3);
    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) & 0xff;
    const frame = encodeFrame({ version: PROTOCOL_VERSION, command, sequence, payload });
    let lastProblem = '';
    const patienceMs = options.patienceMs;
    const started = Date.now();
    let gapMs = timeoutMs;
    let sends = 0;
    for (let attempt = 1; attempt <= tries; attempt++) {
      if (attempt > 1) this.options.onRetry?.(options.step, lastProblem, attempt);
      this.failIfClosed(where);
      let waitMs = timeoutMs;
      if (patienceMs !== undefined) {
        const left = patienceMs - (Date.now() - started);
        if (left <= 0) {
          lastProblem = `no answer within ${patienceMs} ms`;
          break;
        }
        waitMs = Math.min(gapMs, left);
      }
      sends++;
      const answer = this.awaitAnswer(command, sequence, waitMs);
      try {
        await this.transport.write(frame);
      } catch (e) {
        this.waiter = null;
        this.failIfClosed(where);
        // a write into a port that is going away can fail before its close event arrives
        if (this.recovery) throw new PortVanished(`${where}: cannot write to the port: ${(e as Error).message}`);
        throw new TinyforgeError(`${where}: cannot write to the port: ${(e as Error).message}`);
      }
      const outcome = await answer;
      if (outcome.kind === 'closed') throw this.closedError(where, outcome.reason);
      if (outcome.kind === 'answer') {
        const body = outcome.payload;
        if (body.length === 0) throw new TinyforgeError(`${where}: the device answered with an empty payload`);
        const status = body[0]!;
        if (status === Status.OK) return new Reader(body.subarray(1), where);
        if (status === Status.BAD_LENGTH) {
          // the host's requests have the lengths the device takes: a length field damaged on the
          // way (past 256, answered before any CRC check) is the link's doing, worth another try
          lastProblem = `the device answered: ${statusText(status)}`;
          continue;
        }
        if (status === Status.BAD_VERSION) {
          throw new DeviceStatusError(`${where}: the device speaks protocol version ${body[1] ?? '?'}, this host version ${PROTOCOL_VERSION}`, status, body);
        }
        throw new DeviceStatusError(`${where}: the device answered: ${statusText(status)}`, status, body);
      }
      lastProblem = outcome.why;
      if (patienceMs !== undefined && outcome.silent) {
        // silence: no try used up while there is patience left; the next wait is longer
        attempt--;
        gapMs = Math.min(gapMs * 2, MAX_RESEND_GAP_MS);
        if (Date.now() - started >= patienceMs) {
          lastProblem = `no answer within ${patienceMs} ms`;
          break;
        }
      }
    }
    const said = this.noise.trim() ? `; the device printed: ${JSON.stringify(lastLine(this.noise))}` : '';
    throw new TinyforgeError(`${where}: ${lastProblem} after ${sends} ${sends === 1 ? 'try' : 'tries'}${said}`);
  }

  private awaitAnswer(
    command: number,
    sequence: number,
    timeoutMs: number,
  ): Promise<{ kind: 'answer'; payload: Uint8Array } | { kind: 'retry'; why: string; silent?: boolean } | { kind: 'closed'; reason: string }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'retry', why: `no answer within ${timeoutMs} ms`, silent: true }), timeoutMs);
      const finish = (value: Parameters<typeof resolve>[0]) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(value);
      };
      this.waiter = (event) => {
        switch (event.kind) {
          case 'closed':
            return finish({ kind: 'closed', reason: event.reason });
          case 'bad-crc':
            return finish({ kind: 'retry', why: 'answer failed its CRC check' });
          case 'too-long':
            return finish({ kind: 'retry', why: `answer with a length field of ${event.length} bytes` });
          case 'frame': {
            const f = event.frame;
            // a NACK names the sequence it got: one for an earlier request (a repeat the device
            // took damaged after answering it) is not about this one
            if (f.command === NACK) {
              if (f.sequence !== sequence) return;
              return finish({ kind: 'retry', why: 'the device rejected the request (NACK: CRC error on its side)' });
            }
            // a late answer to an earlier try or request: not ours, keep waiting
            if (f.sequence !== sequence || f.command !== (command | RESPONSE_BIT)) return;
            if (f.version !== PROTOCOL_VERSION && f.payload[0] !== Status.BAD_VERSION) {
              return finish({ kind: 'retry', why: `answer in protocol version ${f.version}` });
            }
            return finish({ kind: 'answer', payload: f.payload });
          }
          default:
            return;
        }
      };
    });
  }

  private failIfClosed(where: string): void {
    if (this.closedReason !== null) throw this.closedError(where, this.closedReason);
  }

  private closedError(where: string, reason: string): TinyforgeError {
    const said = this.noise.trim() ? `; the device printed: ${JSON.stringify(lastLine(this.noise))}` : '';
    return new PortVanished(`${where}: ${reason}${said}`);
  }

  private keepNoise(bytes: Uint8Array): void {
    this.noise = (this.noise + Buffer.from(bytes).toString('latin1')).slice(-NOISE_KEPT);
  }
}

/** The port went away under a request: a recoverable failure when the session has a Recovery. */
class PortVanished extends TinyforgeError {}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/[^\x20-\x7e]/g, '').trim())
    .filter((l) => l !== '');
  return lines.length > 0 ? lines[lines.length - 1]! : '(nothing)';
}

export { Command };
