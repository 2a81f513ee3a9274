// SPDX-License-Identifier: Apache-2.0
/**
 * Runs inputs through the device harness of a board (an emulated one started here, or a real one on
 * a serial port) over the device protocol and collects outputs, counters and memory.
 */
import { TinyforgeError } from '../../core/errors.ts';
import type { CounterSpec } from '../../core/targets/targets.ts';
import type { DeviceMemory } from './protocol/messages.ts';
import { type Calibration, type DeviceSession, type SessionOptions, withSession } from './session.ts';

export interface LayerTiming {
  /** layer position (prepared.layers index) */
  index: number;
  ticks: number;
  /** ticks × countsPerTick, in the counter's unit, as measured (hooks' inside cost included) */
  count: number;
}

export interface CaseResult {
  index: number;
  /** raw ticks of the board's counter for one tf_model_invoke */
  ticks: number;
  /** ticks × countsPerTick, in the unit of `counter.kind` */
  count: number;
  /** the same as `count` when the counter counts instructions (emulators); absent otherwise */
  instructions?: number;
  /** all output tensors concatenated in output order */
  outputs: Uint8Array;
  /** per-layer timings (profile builds only; empty otherwise) */
  layers: LayerTiming[];
}

export interface BoardRun {
  board: string;
  /** the port or pipe the session went through */
  port: string;
  /** TF_MODEL_NAME as the firmware reports it */
  model: string;
  /** the firmware's build id (HELLO) */
  buildId: string;
  counter: { kind: CounterSpec['kind']; source: string; countsPerTick: number; device: string };
  cases: CaseResult[];
  memory: {
    /** planned arena bytes (TF_MODEL_ARENA_BYTES) */
    arena: number;
    /** highest arena byte ever written + 1 (by painting); null when the firmware cannot tell */
    arenaUsed: number | null;
    /** deepest stack use since reset (painted stack), harness included */
    stack: number;
    /** deepest stack use of any single inference, measured below the harness's frame */
    stackInvoke: number;
    /** bytes reserved for the stack */
    stackCapacity: number;
  };
  /** profile builds: the hooks' own cost, in ticks */
  hookOverhead: Calibration | null;
}

export interface BoardRunOptions extends Omit<SessionOptions, 'invokeTimeoutMs'> {
  /** inputs, each all input tensors concatenated in input order; each runs once from a reset state */
  cases: Uint8Array[];
  /** run the cases back to back with the model's state carried (reset once, before the first) */
  carryState?: boolean;
  /** limit for each inference (default 120 s) */
  timeoutMs?: number;
  /** read per-layer counters after each case (the firmware must be a profile build) */
  layers?: boolean;
}

export async function runOnBoard(options: BoardRunOptions): Promise<BoardRun> {
  return withSession({ ...options, invokeTimeoutMs: options.timeoutMs }, (session) =>
    runCases(session, options.cases, options.layers ?? false, options.carryState ?? false),
  );
}

/**
 * Each case from a reset state (or, with `carryState`, the state left by the one before): write
 * inputs, invoke once, read outputs (and layer counters).
 */
export async function runCases(session: DeviceSession, cases: Uint8Array[], layers: boolean, carryState = false): Promise<BoardRun> {
  const { counter, hello } = session;
  // rounded: a tick is not always a whole number of counts (62.5 instructions on the micro:bit)
  const withCount = (ticks: number) => Math.round(ticks * counter.countsPerTick);
  const results: CaseResult[] = [];
  let hookOverhead: Calibration | null = null;
  for (const [index, input] of cases.entries()) {
    if (!carryState || index === 0) await session.resetState();
    await session.writeInputs(input);
    const invoked = await session.invoke(1);
    const outputs = await session.readOutputs();
    let layerTimings: LayerTiming[] = [];
    if (layers) {
      const read = await session.readLayers();
      hookOverhead = read.calibration;
      layerTimings = read.ticks.map((ticks, i) => ({ index: i, ticks, count: withCount(ticks) }));
    }
    const count = withCount(invoked.firstTicks);
    results.push({
      index,
      ticks: invoked.firstTicks,
      count,
      outputs,
      layers: layerTimings,
      ...(counter.kind === 'instructions' ? { instructions: count } : {}),
    });
  }
  const memory = await session.readMemory();
  checkStack(session.portName, memory);
  return {
    board: session.boardName,
    port: session.portName,
    model: hello.model,
    buildId: hello.buildId,
    counter: { kind: counter.kind, source: counter.source, countsPerTick: counter.countsPerTick, device: hello.counter },
    cases: results,
    memory: {
      arena: memory.arenaPlanned,
      arenaUsed: memory.arenaUsed,
      stack: memory.stackHighWater,
      stackInvoke: memory.stackInvoke,
      stackCapacity: memory.stackCapacity,
    },
    hookOverhead,
  };
}

export function checkStack(port: string, memory: DeviceMemory): void {
  if (memory.stackHighWater >= memory.stackCapacity) {
    throw new TinyforgeError(`${port}: READ_MEMORY: stack overflow (high-water ${memory.stackHighWater} reached the stack's ${memory.stackCapacity} bytes)`);
  }
}
