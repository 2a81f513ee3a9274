// SPDX-License-Identifier: Apache-2.0
/**
 * A session with a device harness over the framed protocol: an emulated board started here (QEMU
 * over a pseudo-terminal or stdio) or a real board on a serial port. `run`, `profile` and
 * `validate` all go through it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type BoardDescriptor, type CounterSpec, type TargetDescriptor, counterFor, findBoard } from '../../core/targets/targets.ts';
import { findEmulator } from '../toolchain/compilers.ts';
import type { ModelFacts } from '../../core/codegen/generate.ts';
import { ProtocolClient } from './protocol/client.ts';
import {
  Command,
  type DeviceMemory,
  type Hello,
  type InvokeResult,
  LAYERS_PER_READ,
  NO_STOP,
  PROTOCOL_VERSION,
  READ_CHUNK,
  type Reader,
  WRITE_CHUNK,
  parseHello,
  parseInvoke,
  parseLayers,
  parseMemory,
  requests,
} from './protocol/messages.ts';
import { defaultLink, type EmulatorLink, type RunningEmulator, startQemu } from './transport/qemu.ts';
import { startRp2040js } from './rp2040/board.ts';
import type { InstructionTracer } from './rp2040/emulator.ts';
import { SerialTransport } from './transport/serial.ts';
import type { Transport } from './transport/transport.ts';
import { within } from '../timeout.ts';

export interface SessionOptions {
  /** an emulated board to start (needs `elf`), or the board behind `port` (for its counter facts) */
  board?: string;
  /** a serial port with a board already running our harness */
  port?: string;
  /** the port's baud rate (default 115200): what the harness on the board was built with (--baud) */
  baudRate?: number;
  /** firmware for the emulated board */
  elf?: string;
  /** emulated boards: the UART over a pseudo-terminal (default, the real-port path) or stdio */
  link?: EmulatorLink;
  /** per request (default 2000 ms) */
  timeoutMs?: number;
  /** per INVOKE (default 120 s): inference on an emulator can take seconds */
  invokeTimeoutMs?: number;
  /** tries of the first HELLO (default 8, one per second): the first bytes can arrive ~1 s late */
  helloTries?: number;
  /** refuse a device whose firmware reports another build id */
  expectBuildId?: string;
  /** what HELLO must say of the model this session's build compiled: other figures are not believed */
  expectModel?: ModelFacts;
  /** retries and other notes */
  progress?: (message: string) => void;
  /**
   * A real port (`port`) that vanishes is reopened: `tries` tries, `delayMs` apart (default 5 ×
   * 1000 ms). Emulated boards never reconnect: an emulator that exits is gone.
   */
  reconnect?: { tries?: number; delayMs?: number };
  /** emulated boards: trace the executed instructions for the timing model (src/lab/estimate/timing/) */
  timing?: { qemuPlugin?: string; rp2040Tracer?: InstructionTracer };
}

/**
 * HELLO's model figures checked against the compile's: a firmware whose build id matches but whose
 * figures do not is lying or damaged, and nothing it would report is believed. One line naming the
 * first figure that differs.
 */
export function checkHelloModel(portName: string, hello: Hello, expected: ModelFacts): void {
  const figures: [string, number, number][] = [
    ['inputs', hello.numInputs, expected.numInputs],
    ['outputs', hello.numOutputs, expected.numOutputs],
    ['input bytes', hello.inputBytes, expected.inputBytes],
    ['output bytes', hello.outputBytes, expected.outputBytes],
    ['layers', hello.numLayers, expected.numLayers],
    ['arena bytes', hello.arenaBytes, expected.arenaBytes],
  ];
  for (const [name, said, compiled] of figures) {
    if (said !== compiled) {
      throw new TinyforgeError(
        `${portName}: HELLO: the board reports ${said} ${name} where the compiled model has ${compiled}, which cannot be; not believed (other or damaged firmware?)`,
      );
    }
  }
}

/** A request that changed the device's state since the last RESET_STATE, to restore it after a reconnection. */
interface StateChange {
  command: number;
  payload: Uint8Array;
  step: string;
}

export interface Calibration {
  /** ticks the hooks add inside every layer's figure (an empty layer's reading) */
  insideTicks: number;
  /** ticks one begin/end pair costs as the whole inference's counter sees it */
  pairTicks: number;
}

export interface LayerCounters {
  /** INVOKE runs the ticks are summed over */
  runs: number;
  /** per layer position: ticks summed over `runs` (0 for layers without code, such as reshapes) */
  ticks: number[];
  calibration: Calibration;
}

/** More ticks than any counter reaches in an inference (2^48: three days of a 1 GHz counter): a board sending more is lying. */
const MAX_PLAUSIBLE_TICKS = 2 ** 48;

export class DeviceSession {
  private stateChanges: StateChange[] = [];
  /** the last INVOKE's counts, which READ_LAYERS' per-layer counts lie within */
  private lastInvoke: InvokeResult | undefined;
  /** a RESET_STATE was sent in this session: the device's state is fully known to the host */
  private stateFromReset = false;

  private constructor(
    private readonly client: ProtocolClient,
    readonly hello: Hello,
    readonly counter: CounterSpec,
    readonly boardName: string,
    private readonly emulator: RunningEmulator | null,
    private readonly options: SessionOptions,
  ) {
    if (client.transport instanceof SerialTransport && !emulator) {
      const port = client.transport;
      client.setRecovery({ reopen: (step) => this.reopen(port, step), resync: (step, command) => this.resync(step, command) });
    }
  }

  static async open(options: SessionOptions): Promise<DeviceSession> {
    let board: BoardDescriptor | undefined;
    let target: TargetDescriptor | undefined;
    if (options.board) ({ target, board } = findBoard(options.board));
    let transport: Transport;
    let emulator: RunningEmulator | null = null;
    if (options.port) {
      transport = await SerialTransport.open(options.port, { baudRate: options.baudRate });
    } else {
      if (!board) throw new TinyforgeError('a session needs --board (an emulated board) or --port (a serial port)');
      if (!board.emulated || !board.emulator) throw new TinyforgeError(`${board.name} is a real board: reach it with --port /dev/ttyXXX`);
      if (!options.elf) throw new Error('internal: an emulated board needs its firmware');
      const elf = resolve(options.elf);
      if (!existsSync(elf)) throw new TinyforgeError(`${elf}: firmware not found`);
      if (board.emulator.inProcess) {
        emulator = startRp2040js(board, elf, options.timing?.rp2040Tracer ?? null); // the only in-process emulator: rp2040js
      } else {
        const command = findEmulator(board.emulator);
        emulator = await startQemu(board, command, elf, { link: options.link ?? defaultLink(board), plugin: options.timing?.qemuPlugin });
      }
      transport = emulator.transport;
    }
    const client = new ProtocolClient(transport, {
      timeoutMs: options.timeoutMs ?? 2000,
      onRetry: (step, why, attempt) => {
        // the first HELLO over a fresh pty is expected to need a second try: not worth a note
        if (step !== 'HELLO' || attempt > 2) options.progress?.(`${transport.name}: ${step}: ${why}; try ${attempt}`);
      },
    });
    try {
      const hello = parseHello(
        await client.request(Command.HELLO, requests.hello(), {
          step: 'HELLO',
          timeoutMs: 1000,
          retries: (options.helloTries ?? 8) - 1,
        }),
      );
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        throw new TinyforgeError(`${transport.name}: HELLO: the device speaks protocol version ${hello.protocolVersion}, this host ${PROTOCOL_VERSION}`);
      }
      if (options.expectBuildId && hello.buildId !== options.expectBuildId) {
        throw new TinyforgeError(
          `${transport.name}: HELLO: the device runs build ${hello.buildId} of model ${hello.model}, not this build (${options.expectBuildId}): flash it first`,
        );
      }
      if (options.expectModel) checkHelloModel(transport.name, hello, options.expectModel);
      // a board's figures hold for the counter it is meant to use: counterFor checks the one HELLO names
      const counter =
        board && target
          ? counterFor(target, board, hello.counter)
          : { kind: 'cycles' as const, source: `${hello.counter} at ${hello.coreClockHz} Hz`, countsPerTick: 1 };
      return new DeviceSession(client, hello, counter, board?.name ?? hello.board, emulator, options);
    } catch (e) {
      await transport.close().catch(() => {});
      emulator?.kill();
      throw e;
    }
  }

  get portName(): string {
    return this.client.transport.name;
  }

  private async request(command: number, payload: Uint8Array, step: string, patienceMs?: number): Promise<Reader> {
    const answer = await this.client.request(command, payload, { step, patienceMs });
    if (command === Command.RESET_STATE) {
      this.stateChanges = [];
      this.stateFromReset = true;
    } else if (command === Command.WRITE_INPUT || command === Command.INVOKE) this.stateChanges.push({ command, payload, step });
    return answer;
  }

  private async reopen(port: SerialTransport, step: string): Promise<void> {
    const tries = this.options.reconnect?.tries ?? 5;
    const delayMs = this.options.reconnect?.delayMs ?? 1000;
    this.options.progress?.(`${port.name}: ${step}: the port vanished; waiting for it to come back`);
    if (!(await port.reopen({ tries, delayMs }))) {
      throw new TinyforgeError(`${port.name}: ${step}: port vanished and did not come back within ${(tries * delayMs) / 1000} s (${tries} tries)`);
    }
  }

  /**
   * After a reopen the board may have kept running or restarted, and HELLO cannot tell which; it
   * also clears the replay memory. So the device's state is rebuilt from the host's record: the
   * same firmware must answer HELLO, then RESET_STATE and every WRITE_INPUT and INVOKE since the last
   * RESET_STATE are sent again. Either way the device ends where it was before the interrupted
   * request, which then runs once on that state (an INVOKE included). Before the session's first
   * RESET_STATE the state the board started with is unknown, so no INVOKE is repeated then.
   */
  private async resync(step: string, command: number): Promise<void> {
    const where = `${this.portName}: ${step}`;
    if (!this.stateFromReset && (command === Command.INVOKE || this.stateChanges.some((c) => c.command === Command.INVOKE))) {
      throw new TinyforgeError(
        `${where}: the port vanished and the device's state cannot be rebuilt (no RESET_STATE in this session): an INVOKE that may have run is not repeated`,
      );
    }
    const hello = parseHello(
      await this.client.request(Command.HELLO, requests.hello(), { step: `${step}: HELLO after reconnecting`, timeoutMs: 1000, retries: 2 }),
    );
    const before = this.hello;
    if (
      hello.buildId !== before.buildId ||
      hello.model !== before.model ||
      hello.inputBytes !== before.inputBytes ||
      hello.outputBytes !== before.outputBytes
    ) {
      throw new TinyforgeError(
        `${where}: the port came back with a device running build ${hello.buildId} of model ${hello.model}, not build ${before.buildId} of ${before.model}`,
      );
    }
    if (this.stateFromReset) await this.client.request(Command.RESET_STATE, requests.empty(), { step: `${step}: RESET_STATE after reconnecting` });
    for (const change of this.stateChanges) {
      const patienceMs = change.command === Command.INVOKE ? (this.options.invokeTimeoutMs ?? 120_000) : undefined;
      await this.client.request(change.command, change.payload, { step: `${step}: ${change.step} again after reconnecting`, patienceMs });
    }
    this.options.progress?.(`${where}: the port came back; device re-synced (${this.stateChanges.length} requests replayed)`);
  }

  /** Writes all input tensors, concatenated in input order, in frames the device's UART can take. */
  async writeInputs(bytes: Uint8Array): Promise<void> {
    if (bytes.length !== this.hello.inputBytes) {
      throw new TinyforgeError(`${this.portName}: WRITE_INPUT: ${bytes.length} bytes given, the model on the device takes ${this.hello.inputBytes}`);
    }
    for (let at = 0; at < bytes.length; at += WRITE_CHUNK) {
      await this.request(Command.WRITE_INPUT, requests.writeInput(at, bytes.subarray(at, at + WRITE_CHUNK)), `WRITE_INPUT at ${at}`);
    }
  }

  /** Runs the model `count` times (or once up to the end of layer `stopAfter`). */
  async invoke(count = 1, stopAfter?: number): Promise<InvokeResult> {
    const step = stopAfter === undefined ? `INVOKE x${count}` : `INVOKE stopping after layer ${stopAfter}`;
    // The inference may take up to the invoke timeout: the request is sent again while the answer
    // does not come (a lost request costs seconds), and the device runs it once (docs/protocol.md).
    const reader = await this.request(Command.INVOKE, requests.invoke(count, stopAfter ?? NO_STOP), step, this.options.invokeTimeoutMs ?? 120_000);
    const result = parseInvoke(reader);
    this.checkInvoke(step, result, stopAfter === undefined ? count : 1);
    this.lastInvoke = result;
    return result;
  }

  /**
   * INVOKE_STEP (profile builds): runs the inference from the inputs as they are until layer
   * `pauseAfter` has run, where the board waits with the arena as that layer left it (read it with
   * readArena); the next step, with a later layer, continues the same inference, and `null` runs it to
   * its end. Returns the layer the board waits after, or null once the inference ended. Any other
   * request than a read or a step abandons the paused inference (docs/protocol.md). One inference for
   * every layer's output: the inputs are written once, not once per layer.
   */
  async invokeStep(pauseAfter: number | null): Promise<number | null> {
    const step = pauseAfter === null ? 'INVOKE_STEP to the end' : `INVOKE_STEP pausing after layer ${pauseAfter}`;
    const reader = await this.client.request(Command.INVOKE_STEP, requests.invokeStep(pauseAfter ?? NO_STOP), {
      step,
      patienceMs: this.options.invokeTimeoutMs ?? 120_000,
    });
    const at = reader.u16();
    if (at === NO_STOP) {
      if (pauseAfter !== null) throw this.impossible(step, 'the end of the inference');
      return null;
    }
    if (at !== pauseAfter) throw this.impossible(step, `a pause after layer ${at}`);
    return at;
  }

  /** A figure the board sent that cannot be: one line naming it, never a report. */
  private impossible(step: string, what: string): TinyforgeError {
    return new TinyforgeError(`${this.portName}: ${step}: the board reports ${what}, which cannot be; not believed (other or damaged firmware?)`);
  }

  /** INVOKE's counts as they must be: the runs asked for, min <= first/mean <= max, whole numbers a counter holds. */
  private checkInvoke(step: string, r: InvokeResult, runs: number): void {
    if (r.runs !== runs) throw this.impossible(step, `${r.runs} runs for ${runs} asked`);
    for (const [name, value] of [
      ['total', r.totalTicks],
      ['first', r.firstTicks],
      ['min', r.minTicks],
      ['max', r.maxTicks],
    ] as const) {
      if (!Number.isSafeInteger(value) || value > MAX_PLAUSIBLE_TICKS) throw this.impossible(step, `a ${name} count of ${value} ticks`);
    }
    if (r.minTicks > r.maxTicks) throw this.impossible(step, `min ${r.minTicks} > max ${r.maxTicks} ticks`);
    if (r.firstTicks < r.minTicks || r.firstTicks > r.maxTicks)
      throw this.impossible(step, `a first run of ${r.firstTicks} ticks outside min ${r.minTicks}..max ${r.maxTicks}`);
    if (r.totalTicks < r.minTicks * r.runs || r.totalTicks > r.maxTicks * r.runs)
      throw this.impossible(step, `${r.totalTicks} ticks over ${r.runs} runs of ${r.minTicks}..${r.maxTicks}`);
  }

  async readOutputs(): Promise<Uint8Array> {
    return this.readRange(Command.READ_OUTPUT, 'READ_OUTPUT', 0, this.hello.outputBytes);
  }

  /** Bytes of the arena (after an INVOKE: the tensors live at its end are intact). */
  async readArena(offset: number, length: number): Promise<Uint8Array> {
    if (!this.hello.arenaKnown) throw new TinyforgeError(`${this.portName}: READ_TENSOR: this firmware was built without the arena's location`);
    return this.readRange(Command.READ_TENSOR, 'READ_TENSOR', offset, length);
  }

  private async readRange(command: number, name: string, offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += READ_CHUNK) {
      const n = Math.min(READ_CHUNK, length - at);
      const data = (await this.request(command, requests.readRange(offset + at, n), `${name} at ${offset + at}`)).rest();
      if (data.length !== n) throw new TinyforgeError(`${this.portName}: ${name} at ${offset + at}: asked for ${n} bytes, got ${data.length}`);
      out.set(data, at);
    }
    return out;
  }

  async readLayers(): Promise<LayerCounters> {
    if (!this.hello.profile) throw new TinyforgeError(`${this.portName}: READ_LAYERS: the firmware is not a profile build`);
    const ticks: number[] = [];
    let runs = 0;
    let calibration: Calibration = { insideTicks: 0, pairTicks: 0 };
    for (let first = 0; first < this.hello.numLayers; first += LAYERS_PER_READ) {
      const count = Math.min(LAYERS_PER_READ, this.hello.numLayers - first);
      const chunk = parseLayers(await this.request(Command.READ_LAYERS, requests.readLayers(first, count), `READ_LAYERS from ${first}`));
      if (chunk.first !== first || chunk.ticks.length !== count)
        throw new TinyforgeError(`${this.portName}: READ_LAYERS from ${first}: answer for ${chunk.first}+${chunk.ticks.length}`);
      ticks.push(...chunk.ticks);
      runs = chunk.runs;
      const c = chunk.calibration;
      const step = `READ_LAYERS from ${first}`;
      const bad = chunk.ticks.find((t) => !Number.isSafeInteger(t) || t > MAX_PLAUSIBLE_TICKS);
      if (bad !== undefined) throw this.impossible(step, `a layer count of ${bad} ticks`);
      if (c.emptyTicks > c.pairTicks) throw this.impossible(step, `an empty hook pair of ${c.emptyTicks} ticks, more than a timed pair's ${c.pairTicks}`);
      calibration = { insideTicks: c.pairs ? c.insideTicks / c.pairs : 0, pairTicks: c.pairs ? (c.pairTicks - c.emptyTicks) / c.pairs : 0 };
    }
    // the layers run inside INVOKE: their counts cannot add up to more than INVOKE's, counter resolution apart
    const sum = ticks.reduce((a, b) => a + b, 0);
    const whole = this.lastInvoke;
    if (whole && whole.runs === runs && sum > whole.totalTicks + ticks.length * runs)
      throw this.impossible('READ_LAYERS', `layers summing to ${sum} ticks inside INVOKEs of ${whole.totalTicks} in all`);
    return { runs, ticks, calibration };
  }

  async readMemory(): Promise<DeviceMemory> {
    const m = parseMemory(await this.request(Command.READ_MEMORY, requests.empty(), 'READ_MEMORY'));
    const step = 'READ_MEMORY';
    if (m.arenaPlanned !== this.hello.arenaBytes) throw this.impossible(step, `an arena of ${m.arenaPlanned} B where HELLO said ${this.hello.arenaBytes}`);
    if (m.arenaUsed !== null && m.arenaUsed > m.arenaPlanned) throw this.impossible(step, `${m.arenaUsed} B of arena used of ${m.arenaPlanned}`);
    if (m.stackHighWater > m.stackCapacity) throw this.impossible(step, `a stack use of ${m.stackHighWater} B on a stack of ${m.stackCapacity}`);
    if (m.stackInvoke > m.stackHighWater) throw this.impossible(step, `${m.stackInvoke} B of stack in INVOKE above the high-water mark of ${m.stackHighWater}`);
    return m;
  }

  async resetState(): Promise<void> {
    await this.request(Command.RESET_STATE, requests.empty(), 'RESET_STATE');
  }

  /** Text the device printed outside frames (fault reports). */
  get unframedOutput(): string {
    return this.client.unframedOutput;
  }

  /**
   * Ends the session. An emulated board is told END (its harness exits through semihosting) and
   * must then exit cleanly; a real board is left running.
   */
  async close(): Promise<void> {
    try {
      if (this.emulator) {
        // The harness answers END and exits at once: the emulator may end, and its pty vanish,
        // before the answer is read. Its exit status is what tells whether END was taken.
        await this.client.request(Command.END, requests.empty(), { step: 'END', retries: 0 }).catch(() => {});
        const exit = await within(this.emulator.exited, 5000, () => null);
        if (exit === null) throw new TinyforgeError(`${this.boardName}: the emulator did not exit after END`);
        if (exit.code !== 0) throw new TinyforgeError(`${this.boardName}: the emulator exited with status ${exit.code ?? exit.signal} after END`);
      }
    } finally {
      await this.abort();
    }
  }

  /** Closes the port and stops an emulator without ceremony (after an error). */
  async abort(): Promise<void> {
    await this.client.transport.close().catch(() => {});
    this.emulator?.kill();
  }
}

/** Opens a session, runs `work`, and always closes it (cleanly on success, abruptly on error). */
export async function withSession<T>(options: SessionOptions, work: (session: DeviceSession) => Promise<T>): Promise<T> {
  const session = await DeviceSession.open(options);
  let result: T;
  try {
    result = await work(session);
  } catch (e) {
    await session.abort();
    throw e;
  }
  await session.close();
  return result;
}
