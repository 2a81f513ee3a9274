// SPDX-License-Identifier: Apache-2.0
/**
 * Target descriptors: one JSON file per `--target` in `targets/`, checked against the types below
 * when loaded so a wrong field fails with a one-line message naming the file and field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../errors.ts';

export const TARGETS_DIR = resolve(import.meta.dirname, '../../targets');
export const FIRMWARE_DIR = resolve(import.meta.dirname, '../../firmware');

/**
 * Which firmware tree builds for the target: `firmware/host`, `firmware/cortex-m`, `firmware/rp2040`,
 * `firmware/riscv`; `xtensa` targets are compile-checked only (no image is linked here).
 */
export type FirmwareFamily = 'host' | 'cortex-m' | 'rp2040' | 'riscv' | 'xtensa';
export const FIRMWARE_FAMILIES: readonly FirmwareFamily[] = ['host', 'cortex-m', 'rp2040', 'riscv', 'xtensa'];
export type FpuKind = 'none' | 'fpv4-sp-d16' | 'fpv5-sp-d16' | 'fpv5-d16' | 'native';

export interface MemoryRegion {
  /** start address as the linker script places it */
  origin: number;
  bytes: number;
}

export interface CounterSpec {
  /** what one count is: an instruction (emulators) or a core clock cycle (real silicon) */
  kind: 'instructions' | 'cycles';
  /** what produced it, printed with every figure */
  source: string;
  /**
   * counts per raw tick of the hardware counter, found by experiment (see test/device); not always
   * whole (62.5 instructions per SysTick tick on the 16 MHz micro:bit under -icount shift=0), so
   * counts are rounded to integers
   */
  countsPerTick: number;
}

/** How an emulated board gets its application image over the serial path, when it can. */
export interface LoaderSpec {
  /** the protocol the board's loader firmware speaks: ST's USART boot loader (AN3155) */
  protocol: 'stm32-usart-bootloader';
  /** where the application is linked and written: this many bytes into the code memory */
  flashOffset: number;
}

export interface EmulatorSpec {
  /** the emulator's executable, or for an in-process emulator the npm package that is it */
  command: string;
  /** package(s) to install when the command is missing */
  install: string;
  /** arguments; `{elf}` is replaced by the firmware path (unused in process) */
  args: string[];
  /** runs inside this Node process (rp2040js) rather than as a child process */
  inProcess?: boolean;
}

export interface BoardDescriptor {
  name: string;
  emulated: boolean;
  description: string;
  /** processor clock (Hz) the board's counter and UART divisor are derived from */
  clockHz: number;
  /** linker script, relative to `firmware/` */
  linkerScript: string;
  /** the board's facts handed to the firmware as -D flags */
  defines: Record<string, string>;
  counter: CounterSpec;
  /**
   * the counter the firmware picks on this board and names in HELLO (firmware/cortex-m/counter.c:
   * "dwt" or "systick"); `counter` describes its figures
   */
  deviceCounter?: string;
  /** firmware sources of this board only (its UART driver), relative to `firmware/` */
  sources?: string[];
  /** present for emulated boards */
  emulator?: EmulatorSpec;
  /** present when a loader firmware of ours receives the image over the UART (`tinyforge flash`) */
  loader?: LoaderSpec;
}

export interface ToolchainSpec {
  cc: string;
  size: string;
  /** how to get `cc` and `size` when they are missing */
  install: string;
  cflags: string[];
  ldflags: string[];
  /** extra compile and link flags for `sanitize: true`; absent where sanitizers do not exist */
  sanitizeFlags?: string[];
}

export interface TargetDescriptor {
  name: string;
  description: string;
  firmware: FirmwareFamily;
  cpu: string;
  arch: string;
  /**
   * `armv6m`: Cortex-M0/M0+ (Thumb-1 only): picks the Armv6-M kernel variants; `rv32`: RV32IMC
   * (the ESP32-C3 class): picks the RISC-V kernel variants
   */
  isa: { thumb: boolean; dsp: boolean; fpu: FpuKind; armv6m?: boolean; rv32?: boolean };
  /** code and data memory the linker script uses; null for the host (not a fixed memory map) */
  memory: { flash: MemoryRegion; ram: MemoryRegion; stackBytes: number } | null;
  toolchain: ToolchainSpec;
  boards: BoardDescriptor[];
  /** the board used when none is named; null when the target only builds (host) */
  defaultBoard: string | null;
  /**
   * what each counter the firmware may pick (by the name HELLO reports) measures on real silicon of
   * this target, for boards reached through a port
   */
  counters?: Record<string, CounterSpec>;
  /** the file it came from */
  file: string;
}

/** Names of all targets that have a descriptor, sorted. */
export function listTargets(): string[] {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadTarget(name: string): TargetDescriptor {
  const file = join(TARGETS_DIR, `${name}.json`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new TinyforgeError(`unknown target '${name}' (known: ${listTargets().join(', ')})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TinyforgeError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const target = parseTargetDescriptor(raw, file);
  if (target.name !== name) throw new TinyforgeError(`${file}: name is '${target.name}', expected '${name}'`);
  return target;
}

/** Finds an emulated or real board by its `--board` name among all targets. */
export function findBoard(boardName: string): { target: TargetDescriptor; board: BoardDescriptor } {
  for (const name of listTargets()) {
    const target = loadTarget(name);
    const board = target.boards.find((b) => b.name === boardName);
    if (board) return { target, board };
  }
  const known = listTargets().flatMap((n) => loadTarget(n).boards.map((b) => b.name));
  throw new TinyforgeError(`unknown board '${boardName}' (known: ${known.join(', ')})`);
}

/** The named board of a target, or its default board. */
export function boardOf(target: TargetDescriptor, boardName?: string): BoardDescriptor | undefined {
  const wanted = boardName ?? target.defaultBoard;
  if (wanted === null || wanted === undefined) return undefined;
  const board = target.boards.find((b) => b.name === wanted);
  if (!board) {
    throw new TinyforgeError(`target ${target.name} has no board '${wanted}' (boards: ${target.boards.map((b) => b.name).join(', ') || 'none'})`);
  }
  return board;
}

// ---- validation: small, explicit, with the path of the offending field in the message ----

class Reader {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: unknown,
  ) {}

  fail(expected: string): never {
    throw new TinyforgeError(`${this.file}: ${this.path || '(root)'} must be ${expected}`);
  }

  field(key: string): Reader {
    const obj = this.object();
    return new Reader(this.file, this.path ? `${this.path}.${key}` : key, obj[key]);
  }

  has(key: string): boolean {
    return this.object()[key] !== undefined;
  }

  object(): Record<string, unknown> {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('an object');
    return this.value as Record<string, unknown>;
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value.length === 0) this.fail('a non-empty string');
    return this.value as string;
  }

  oneOf<T extends string>(options: readonly T[]): T {
    const s = this.string();
    if (!options.includes(s as T)) this.fail(`one of ${options.join(', ')}`);
    return s as T;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('true or false');
    return this.value as boolean;
  }

  positiveNumber(): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value) || this.value <= 0) this.fail('a positive number');
    return this.value;
  }

  positiveInteger(): number {
    if (!Number.isSafeInteger(this.value) || (this.value as number) <= 0) this.fail('a positive integer');
    return this.value as number;
  }

  nonNegativeInteger(): number {
    if (!Number.isSafeInteger(this.value) || (this.value as number) < 0) this.fail('a non-negative integer');
    return this.value as number;
  }

  array(): Reader[] {
    if (!Array.isArray(this.value)) this.fail('an array');
    return (this.value as unknown[]).map((v, i) => new Reader(this.file, `${this.path}[${i}]`, v));
  }

  strings(): string[] {
    return this.array().map((r) => r.string());
  }

  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of Object.keys(this.object())) out[key] = this.field(key).string();
    return out;
  }

  /** rejects fields this schema does not know, so a typo does not pass silently */
  only(keys: string[]): this {
    for (const key of Object.keys(this.object())) {
      if (!keys.includes(key)) throw new TinyforgeError(`${this.file}: unknown field ${this.path ? `${this.path}.` : ''}${key}`);
    }
    return this;
  }
}

function parseRegion(r: Reader): MemoryRegion {
  r.only(['origin', 'bytes']);
  return { origin: r.field('origin').nonNegativeInteger(), bytes: r.field('bytes').positiveInteger() };
}

function parseCounter(r: Reader): CounterSpec {
  r.only(['kind', 'source', 'countsPerTick']);
  return {
    kind: r.field('kind').oneOf(['instructions', 'cycles'] as const),
    source: r.field('source').string(),
    countsPerTick: r.field('countsPerTick').positiveNumber(),
  };
}

function parseBoard(r: Reader): BoardDescriptor {
  r.only(['name', 'emulated', 'description', 'clockHz', 'linkerScript', 'defines', 'counter', 'deviceCounter', 'sources', 'emulator', 'loader']);
  const board: BoardDescriptor = {
    name: r.field('name').string(),
    emulated: r.field('emulated').boolean(),
    description: r.field('description').string(),
    clockHz: r.field('clockHz').positiveInteger(),
    linkerScript: r.field('linkerScript').string(),
    defines: r.field('defines').stringMap(),
    counter: parseCounter(r.field('counter')),
  };
  if (r.has('emulator')) {
    const e = r.field('emulator').only(['command', 'install', 'args', 'inProcess']);
    board.emulator = { command: e.field('command').string(), install: e.field('install').string(), args: e.field('args').strings() };
    if (e.has('inProcess')) board.emulator.inProcess = e.field('inProcess').boolean();
    if (!board.emulator.inProcess && !board.emulator.args.includes('{elf}')) e.field('args').fail('a list containing "{elf}"');
  }
  if (board.emulated && !board.emulator) r.field('emulator').fail('present on an emulated board');
  if (r.has('deviceCounter')) board.deviceCounter = r.field('deviceCounter').string();
  if (r.has('sources')) board.sources = r.field('sources').strings();
  if (r.has('loader')) {
    const l = r.field('loader').only(['protocol', 'flashOffset']);
    board.loader = { protocol: l.field('protocol').oneOf(['stm32-usart-bootloader'] as const), flashOffset: l.field('flashOffset').positiveInteger() };
  }
  return board;
}

export function parseTargetDescriptor(raw: unknown, file: string): TargetDescriptor {
  const r = new Reader(file, '', raw).only([
    'name',
    'description',
    'firmware',
    'cpu',
    'arch',
    'isa',
    'memory',
    'toolchain',
    'boards',
    'defaultBoard',
    'counters',
  ]);
  const isa = r.field('isa').only(['thumb', 'dsp', 'fpu', 'armv6m', 'rv32']);
  const tc = r.field('toolchain').only(['cc', 'size', 'install', 'cflags', 'ldflags', 'sanitizeFlags']);
  const mem = r.field('memory');
  const target: TargetDescriptor = {
    name: r.field('name').string(),
    description: r.field('description').string(),
    firmware: r.field('firmware').oneOf(FIRMWARE_FAMILIES),
    cpu: r.field('cpu').string(),
    arch: r.field('arch').string(),
    isa: {
      thumb: isa.field('thumb').boolean(),
      dsp: isa.field('dsp').boolean(),
      fpu: isa.field('fpu').oneOf(['none', 'fpv4-sp-d16', 'fpv5-sp-d16', 'fpv5-d16', 'native'] as const),
      ...(isa.has('armv6m') ? { armv6m: isa.field('armv6m').boolean() } : {}),
      ...(isa.has('rv32') ? { rv32: isa.field('rv32').boolean() } : {}),
    },
    memory:
      mem.value === null
        ? null
        : {
            flash: parseRegion(mem.only(['flash', 'ram', 'stackBytes']).field('flash')),
            ram: parseRegion(mem.field('ram')),
            stackBytes: mem.field('stackBytes').positiveInteger(),
          },
    toolchain: {
      cc: tc.field('cc').string(),
      size: tc.field('size').string(),
      install: tc.field('install').string(),
      cflags: tc.field('cflags').strings(),
      ldflags: tc.field('ldflags').strings(),
      ...(tc.has('sanitizeFlags') ? { sanitizeFlags: tc.field('sanitizeFlags').strings() } : {}),
    },
    boards: r.field('boards').array().map(parseBoard),
    defaultBoard: r.field('defaultBoard').value === null ? null : r.field('defaultBoard').string(),
    file,
  };
  if (target.firmware !== 'host' && target.memory === null) r.field('memory').fail('present for an embedded target');
  if (target.defaultBoard !== null && !target.boards.some((b) => b.name === target.defaultBoard)) {
    r.field('defaultBoard').fail(`the name of one of its boards`);
  }
  if (r.has('counters')) {
    const c = r.field('counters');
    target.counters = Object.fromEntries(Object.keys(c.object()).map((name) => [name, parseCounter(c.field(name))]));
  }
  return target;
}

/**
 * What the figures of the counter the firmware reported (HELLO's counter name) mean: on an
 * emulated board its own `counter` (after checking that the firmware picked the board's expected
 * counter), on a board reached through a port the target's real-silicon `counters` entry.
 */
export function counterFor(target: TargetDescriptor, board: BoardDescriptor | undefined, reported: string): CounterSpec {
  if (board?.emulated) {
    if (board.deviceCounter !== undefined && reported !== board.deviceCounter) {
      throw new TinyforgeError(`${board.name}: the firmware counted with '${reported}', but this board's figures are defined for '${board.deviceCounter}'`);
    }
    return board.counter;
  }
  const spec = target.counters?.[reported];
  if (!spec) {
    const known = Object.keys(target.counters ?? {}).join(', ') || 'none';
    throw new TinyforgeError(`${target.name}: the firmware reported counter '${reported}', which this target does not describe (known: ${known})`);
  }
  return spec;
}
