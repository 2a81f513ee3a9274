// SPDX-License-Identifier: Apache-2.0
/**
 * Target descriptors: one JSON file per `--target` in `targets/`, checked against the types below
 * when loaded so a wrong field fails with a one-line message naming the file and field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../errors.ts';

export const TARGETS_DIR = resolve(import.meta.dirname, '../../../targets');
export const FIRMWARE_DIR = resolve(import.meta.dirname, '../../../firmware');

/**
 * Which firmware tree builds for the target: `firmware/host`, `firmware/cortex-m`, `firmware/rp2040`,
 * `firmware/riscv`, `firmware/xtensa` (QEMU's Xtensa sim machine with the ESP32 and ESP32-S3 cores).
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
  /**
   * emulated boards whose counts come from the project's QEMU instruction-counting plugin
   * (firmware/qemu-plugin/insn_timing.c: the invoke function's and the layers' own instructions,
   * exact): what produced them, printed with every figure; `source` and `countsPerTick` then
   * describe the firmware's counter, the labelled fallback where the plugin cannot be built or loaded
   */
  plugin?: string;
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
  /**
   * folders searched before PATH, patterns as the toolchain's `searchDirs` (`{tools}`: the
   * reference-runtimes folder): an emulator built there with cores that a distribution's build of
   * the same name lacks (Debian's qemu-system-xtensa has no ESP32 core)
   */
  searchDirs?: string[];
  /**
   * false: the emulator is looked for in `searchDirs` only, never on PATH (a distribution's build of
   * the same name lacks the board's machine: Debian's qemu-system-xtensa has no `esp32s3`)
   */
  searchPath?: boolean;
}

export interface BoardDescriptor {
  name: string;
  emulated: boolean;
  description: string;
  /**
   * processor clock (Hz): the clock our firmware runs the board at (its counter and UART divisor are
   * derived from it); for a real board we build no firmware for, the chip's maximum, the clock its
   * figures are estimated for
   */
  clockHz: number;
  /** linker script, relative to `firmware/`; absent on a real board we build no firmware for yet */
  linkerScript?: string;
  /**
   * a faster RAM our firmware places the model's arena in where it fits (the STM32H7A3's DTCM:
   * zero wait states, outside the data cache): the linker script that does it, the bytes the arena
   * may take there, and that RAM's name
   */
  fastArena?: { linkerScript: string; bytes: number; memory: string };
  /** the board's facts handed to the firmware as -D flags */
  defines: Record<string, string>;
  /** what its counts are; absent on a real board we build no firmware for yet */
  counter?: CounterSpec;
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
  /** the silicon of a real board (required when `emulated` is false): docs/adding-a-target.md, Boards */
  hardware?: BoardHardware;
  /**
   * instruction-set facts that differ from the target's on this board: an emulator that lacks an
   * extension the chip has (QEMU 7.2's esp32s3 core runs no `ee.*` SIMD instruction: `s3simd: false`),
   * so code built to run here takes the kernels of the family below (`boardIsa`)
   */
  isa?: { s3simd?: boolean };
  /**
   * an emulated board of the same target that runs the code where this board's emulator is not
   * installed (Espressif's QEMU absent: QEMU's Xtensa sim machine), said so when it does
   */
  otherwise?: string;
}

/** The ISA the kernels are chosen for when the code runs on `board` (the target's, less what the board lacks). */
export function boardIsa(target: TargetDescriptor, board: BoardDescriptor | undefined): TargetDescriptor['isa'] {
  return board?.isa ? { ...target.isa, ...board.isa } : target.isa;
}

/** Where a fact about the silicon came from: the vendor document and its section (by title where the number is not at hand). */
export interface FactSource {
  document: string;
  section: string;
  /** a second source the figures were checked against (a vendor HAL's table, a board manual) */
  checkedAgainst?: string;
}

/** A fact that could not be found: stored as unknown, with why, never guessed. */
export interface UnknownFact {
  unknown: string;
}

export interface HardwareRegion {
  /** the vendor's name for it: "SRAM1+SRAM2+SRAM3", "AXI SRAM", "DTCM" */
  name: string;
  origin: number;
  bytes: number;
  /**
   * what a byte read or written here costs relative to internal SRAM (1): a region behind a cache
   * (PSRAM, flash) gives its cost on a miss, streaming; absent: as internal SRAM
   */
  accessCost?: number;
  /** how `accessCost` was derived from the source's figures (bus width, clock) */
  accessCostDerivation?: string;
}

/** What kind of memory a region is: the planner puts the arena in internal SRAM, then in PSRAM. */
export type MemoryKind = 'internal-sram' | 'psram' | 'flash';

/** A board's memory region with its kind: memoryRegions lists them. */
export interface BoardMemoryRegion extends HardwareRegion {
  kind: MemoryKind;
  accessCost: number;
}

/** One clock the chip can run the core at, and the power range that allows it. */
export interface ClockOption {
  name: string;
  maxHz: number;
  /** the clock is exactly `maxHz` (a fixed PLL setting), not any clock up to it */
  exact?: boolean;
  /** the wait-state steps' `range` this option runs in (default: the option's name) */
  range?: string;
}

/** A run-mode current the source tabulates at one clock, in one power range. */
export interface RunCurrentPoint {
  /** the power range (a clock option's `range`, or its name) */
  range: string;
  hz: number;
  microampsPerMHz: number;
  /** what the source gives, as it gives it ("10.9 mA at 80 MHz"), where that is not µA/MHz */
  given?: string;
  /** how `microampsPerMHz` was derived from `given` */
  derivation?: string;
  conditions?: string;
  /** the supply of this figure where it differs from the board's `volts` */
  volts?: number;
}

/** A board's run-mode current: a headline figure and, where the source tabulates them, figures per clock. */
export interface RunCurrent {
  microampsPerMHz: number;
  /** null where the source does not state the supply of the figure */
  volts: number | null;
  conditions: string;
  source: FactSource;
  given?: string;
  derivation?: string;
  /** per clock and power range; the estimate takes the one for the range in use at the nearest clock at or above its own */
  perClock?: RunCurrentPoint[];
}

/** Flash wait states for core clocks up to `maxHz` (in the named power range). */
/**
 * ST's ART accelerator as the timing model replays it (src/lab/estimate/timing/art.ts): the lines of
 * its instruction and data caches (4 x 64-bit flash words each), and whether our firmware turns its
 * instruction prefetch on.
 */
export interface ArtGeometry {
  instructionLines: number;
  dataLines: number;
  prefetch: boolean;
}

/** One cache's shape: `sets` x `ways` lines of `lineBytes`. */
export interface CacheGeometry {
  sets: number;
  ways: number;
  lineBytes: number;
  /** a write miss allocates a line (the Cortex-M7 D-cache on write-back write-allocate memory) */
  writeAllocate?: boolean;
}

/**
 * The caches in front of a board's slow memory, as the timing model replays them
 * (src/lab/estimate/timing/caches.ts): the instruction cache, the data cache (absent: the
 * instruction cache also serves the data reads of flash, as the STM32U5's ICACHE on the code bus and
 * the RP2040's XIP cache do), what a line fill from flash costs, and whether the RAM holding the
 * arena is cached too (the Cortex-M7's AXI SRAM) and what its line fill costs.
 */
export interface BoardCaches {
  /** one line for the basis: "Cortex-M7 L1, 16 KiB I (2-way) and 16 KiB D (4-way), 32-byte lines" */
  what: string;
  instruction: CacheGeometry;
  data?: CacheGeometry;
  /** per flash word read, `waitStates + 1` cycles, plus the bus's; or a fixed count (serial flash) */
  flashLineFill: { flashWordBytes: number; busCycles: number } | { cycles: number };
  ramLineFill?: { cycles: number };
  /** what is assumed beyond the source, in a sentence */
  assumed: string;
  source: FactSource;
}

export interface WaitStateStep {
  range: string;
  maxHz: number;
  waitStates: number;
}

export type FlashingMethod = 'stm32-usart-bootloader' | 'uf2' | 'esp-rom-loader' | 'swd-stlink' | 'swd-jlink' | 'swd-cmsis-dap';
export const FLASHING_METHODS: readonly FlashingMethod[] = ['stm32-usart-bootloader', 'uf2', 'esp-rom-loader', 'swd-stlink', 'swd-jlink', 'swd-cmsis-dap'];

/**
 * The silicon of a real board: what its fit checks and (later) its timing and energy estimates use,
 * each figure with the document it came from.
 */
export interface BoardHardware {
  /** the part on the board: "STM32L4R5ZIT6" */
  chip: string;
  /**
   * the regions the linker may use; the arena, stack and static data of our harness go in one RAM
   * region (`ram`: internal SRAM); `psram`, where the board has it, is external RAM mapped into the
   * data address space through the cache, where the planner may put the arena's coldest buffers
   */
  memory: { flash: HardwareRegion[]; ram: HardwareRegion[]; psram?: HardwareRegion[]; source: FactSource; speedSource?: FactSource };
  /** `resetHz` null where the chip starts on an uncalibrated oscillator the source gives no single figure for */
  clock: { resetHz: number | null; maxHz: number; options: ClockOption[]; source: FactSource };
  /** what hides the flash latency (ART accelerator, cache) and the wait states per clock */
  flashWaitStates: { accelerator: string; steps: WaitStateStep[]; art?: ArtGeometry; source: FactSource } | UnknownFact;
  /** the caches the timing model replays, where the board has them */
  caches?: BoardCaches;
  /** Run-mode supply current per MHz; `volts` null where the source does not state the supply of the figure */
  runCurrent: RunCurrent | UnknownFact;
  flashing: {
    method: FlashingMethod;
    /** how it is done on this board, with which tool */
    how: string;
    /** whether `tinyforge flash` does it today */
    byTinyforge: boolean;
  };
  console: { uart: string; baud: number; via: string };
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
  /**
   * extra compile and link flags of `--prefer size` builds (the firmware's `optimizeForSize`): GCC's
   * link-time optimization (`-flto`) where the toolchain is tested with it; absent: none
   */
  sizeFlags?: string[];
  /**
   * folders searched for `cc` and `size` after PATH, in order: `{tools}` is the reference-runtimes
   * folder ($TINYFORGE_TFLM_TOOLS, else `tflm-tools/` beside the checkout), `{idf}` ESP-IDF's tools
   * folder ($IDF_TOOLS_PATH, else `~/.espressif`); a `*` segment matches any entry, the highest
   * version first. Expanded by the lab (src/lab/toolchain/compilers.ts), never here.
   */
  searchDirs?: string[];
  /**
   * a compiler that stands in when `cc` is found nowhere: it compile-checks the generated C with its
   * own flags and proves less (`note` says what); nothing is built or measured with it
   */
  fallback?: ToolchainFallback;
}

export interface ToolchainFallback {
  cc: string;
  install: string;
  cflags: string[];
  /** what a check with this compiler proves, and what it cannot */
  note: string;
}

export interface TargetDescriptor {
  name: string;
  description: string;
  firmware: FirmwareFamily;
  cpu: string;
  arch: string;
  /**
   * `armv6m`: Cortex-M0/M0+ (Thumb-1 only): picks the Armv6-M kernel variants; `rv32`: RV32IMC
   * (the ESP32-C3 class): picks the RISC-V kernel variants; `xtensa`: Xtensa LX6/LX7 (the ESP32 and
   * ESP32-S3): picks the Xtensa kernel variants; `mac16`: the core has the MAC16 option
   * (XCHAL_HAVE_MAC16 of its configuration), which those variants' dot products use; `core`: `cpu`
   * again, so that the kernels see which core of their family they run on (KernelIsa.core)
   */
  isa: {
    core: string;
    thumb: boolean;
    dsp: boolean;
    fpu: FpuKind;
    armv6m?: boolean;
    rv32?: boolean;
    mve?: boolean;
    xtensa?: boolean;
    mac16?: boolean;
    s3simd?: boolean;
  };
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

/** The default target when neither --target nor --board names one. */
export const DEFAULT_TARGET = 'cortex-m4';

/**
 * The target and board a command was given: `--board` alone implies its target; with both, the board
 * must be one of the target's.
 */
export function resolveTargetAndBoard(
  targetName: string | undefined,
  boardName: string | undefined,
): { target: TargetDescriptor; board: BoardDescriptor | undefined } {
  if (boardName !== undefined && targetName === undefined) return findBoard(boardName);
  const target = loadTarget(targetName ?? DEFAULT_TARGET);
  if (boardName !== undefined && !target.boards.some((b) => b.name === boardName)) {
    const owner = listTargets().find((n) => loadTarget(n).boards.some((b) => b.name === boardName));
    if (owner) throw new TinyforgeError(`board ${boardName} is a ${owner} board, not a ${target.name} one: drop --target or give --target ${owner}`);
  }
  return { target, board: boardOf(target, boardName) };
}

/** The target `--board` implies, or the one given (checked against the board), or the default. */
export function targetNameFor(targetName: string | undefined, boardName: string | undefined): string {
  return resolveTargetAndBoard(targetName, boardName).target.name;
}

/** Whether we build firmware (our harness) for the board: it has a linker script of ours. */
export function buildsFirmware(board: BoardDescriptor): boolean {
  return board.linkerScript !== undefined;
}

/**
 * Where a model runs and whose memory it must fit: on a port, the named real board (or the target's
 * only real board we build firmware for; with several, --board must say which) for both; without a port, an emulated board runs it (the named one, or for a
 * named real board the target's default emulated board: the emulator of that core) while the fit
 * is checked for the named board.
 */
export function placeOnBoards(
  target: TargetDescriptor,
  boardName: string | undefined,
  port: boolean,
): { runOn: BoardDescriptor | undefined; fitFor: BoardDescriptor | undefined } {
  if (port) {
    const ours = target.boards.filter((b) => !b.emulated && buildsFirmware(b));
    if (boardName === undefined && ours.length > 1)
      throw new TinyforgeError(`--port: give --board, the real board on the port (${target.name}: ${ours.map((b) => b.name).join(', ')})`);
    const board = boardName !== undefined ? boardOf(target, boardName) : ours[0];
    if (board && !board.emulated && !buildsFirmware(board)) {
      // an ESP chip runs our harness from the ESP-IDF project (compile --project esp-idf), which reports its own clock and counter
      if (target.name.startsWith('esp32')) return { runOn: undefined, fitFor: board };
      throw new TinyforgeError(
        `${board.name}: tinyforge builds no firmware for this board yet, so nothing of ours runs on its port; compile --board ${board.name} gives the C for your own project (docs/boards/)`,
      );
    }
    return { runOn: board, fitFor: board };
  }
  const named = boardOf(target, boardName);
  if (!named || named.emulated) return { runOn: named, fitFor: named };
  const stand = target.boards.find((b) => b.name === target.defaultBoard && b.emulated) ?? target.boards.find((b) => b.emulated);
  if (!stand) {
    throw new TinyforgeError(
      `${named.name} is a real board and ${target.name} has no emulated board to stand in for it: give --port, or compile --board ${named.name}`,
    );
  }
  return { runOn: stand, fitFor: named };
}

/** The memory a model must fit on a board: its chip's largest flash and RAM regions, else the target's. */
export function memoryFor(target: TargetDescriptor, board: BoardDescriptor | undefined): { flashBytes: number; ramBytes: number; stackBytes: number } | null {
  if (!target.memory) return null;
  const largest = (regions: HardwareRegion[]) => Math.max(...regions.map((r) => r.bytes));
  if (board?.hardware) {
    return { flashBytes: largest(board.hardware.memory.flash), ramBytes: largest(board.hardware.memory.ram), stackBytes: target.memory.stackBytes };
  }
  return { flashBytes: target.memory.flash.bytes, ramBytes: target.memory.ram.bytes, stackBytes: target.memory.stackBytes };
}

/** Every memory region of a board's chip with its kind and access cost (internal SRAM first). */
export function memoryRegions(board: BoardDescriptor): BoardMemoryRegion[] {
  if (!board.hardware) return [];
  const { memory } = board.hardware;
  const as = (kind: MemoryKind) => (r: HardwareRegion) => ({ ...r, kind, accessCost: r.accessCost ?? 1 });
  return [...memory.ram.map(as('internal-sram')), ...(memory.psram ?? []).map(as('psram')), ...memory.flash.map(as('flash'))];
}

/**
 * The external RAM a compile may put part of the arena in: a real board's largest PSRAM region;
 * undefined on boards without one (and on emulated boards: the emulator has none).
 */
export function externalRamOf(board: BoardDescriptor | undefined): { name: string; bytes: number; accessCost: number } | undefined {
  const psram = board?.hardware?.memory.psram;
  if (!psram || psram.length === 0) return undefined;
  const largest = psram.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  // named by its kind in plans and messages; the board's own name for it is in `boards`
  return { name: 'PSRAM', bytes: largest.bytes, accessCost: largest.accessCost ?? 1 };
}

/**
 * The RAM of the smallest real part the target stands for: the least, over its real boards, of
 * their chips' largest RAM region (as memoryFor counts it); undefined when the target has no real
 * board (the host, emulated-only targets: an emulator's RAM is no part's). The default row-band
 * policy weighs a model's arena against it (plan/patch.ts DEFAULT_MIN_RAM_SHARE).
 */
export function smallestPartRam(target: TargetDescriptor): { bytes: number; board: string } | undefined {
  let smallest: { bytes: number; board: string } | undefined;
  for (const board of target.boards) {
    if (!board.hardware) continue;
    const bytes = memoryFor(target, board)?.ramBytes;
    if (bytes !== undefined && (!smallest || bytes < smallest.bytes)) smallest = { bytes, board: board.name };
  }
  return smallest;
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
  r.only(['kind', 'source', 'countsPerTick', 'plugin']);
  return {
    kind: r.field('kind').oneOf(['instructions', 'cycles'] as const),
    source: r.field('source').string(),
    countsPerTick: r.field('countsPerTick').positiveNumber(),
    ...(r.has('plugin') ? { plugin: r.field('plugin').string() } : {}),
  };
}

function parseSource(r: Reader): FactSource {
  r.only(['document', 'section', 'checkedAgainst']);
  return {
    document: r.field('document').string(),
    section: r.field('section').string(),
    ...(r.has('checkedAgainst') ? { checkedAgainst: r.field('checkedAgainst').string() } : {}),
  };
}

/** A fact, or `{"unknown": "why"}` where no source gave it. */
function parseOrUnknown<T>(r: Reader, parse: (r: Reader) => T): T | UnknownFact {
  if (r.has('unknown')) return { unknown: r.only(['unknown']).field('unknown').string() };
  return parse(r);
}

function parseHardwareRegions(r: Reader): HardwareRegion[] {
  const regions = r.array().map((e) => {
    e.only(['name', 'origin', 'bytes', 'accessCost', 'accessCostDerivation']);
    const region: HardwareRegion = {
      name: e.field('name').string(),
      origin: e.field('origin').nonNegativeInteger(),
      bytes: e.field('bytes').positiveInteger(),
    };
    if (e.has('accessCost')) {
      region.accessCost = e.field('accessCost').positiveNumber();
      if (region.accessCost < 1) e.field('accessCost').fail('at least 1 (internal SRAM is the fastest data memory)');
      region.accessCostDerivation = e.field('accessCostDerivation').string();
    }
    return region;
  });
  if (regions.length === 0) r.fail('a non-empty list of regions');
  return regions;
}

function parseCacheGeometry(r: Reader): CacheGeometry {
  r.only(['sets', 'ways', 'lineBytes', 'writeAllocate']);
  const geometry: CacheGeometry = {
    sets: r.field('sets').positiveInteger(),
    ways: r.field('ways').positiveInteger(),
    lineBytes: r.field('lineBytes').positiveInteger(),
  };
  if ((geometry.lineBytes & (geometry.lineBytes - 1)) !== 0) r.field('lineBytes').fail('a power of two');
  if (geometry.ways > 8) r.field('ways').fail('at most 8');
  if (r.has('writeAllocate')) geometry.writeAllocate = r.field('writeAllocate').boolean();
  return geometry;
}

function parseCaches(r: Reader): BoardCaches {
  r.only(['what', 'instruction', 'data', 'flashLineFill', 'ramLineFill', 'assumed', 'source']);
  const fill = r.field('flashLineFill');
  const caches: BoardCaches = {
    what: r.field('what').string(),
    instruction: parseCacheGeometry(r.field('instruction')),
    flashLineFill: fill.has('cycles')
      ? { cycles: fill.only(['cycles']).field('cycles').positiveInteger() }
      : {
          flashWordBytes: fill.only(['flashWordBytes', 'busCycles']).field('flashWordBytes').positiveInteger(),
          busCycles: fill.field('busCycles').nonNegativeInteger(),
        },
    assumed: r.field('assumed').string(),
    source: parseSource(r.field('source')),
  };
  if (r.has('data')) caches.data = parseCacheGeometry(r.field('data'));
  if (r.has('ramLineFill')) {
    const ram = r.field('ramLineFill').only(['cycles']);
    caches.ramLineFill = { cycles: ram.field('cycles').positiveInteger() };
  }
  return caches;
}

function parseHardware(r: Reader): BoardHardware {
  r.only(['chip', 'memory', 'clock', 'flashWaitStates', 'caches', 'runCurrent', 'flashing', 'console']);
  const mem = r.field('memory').only(['flash', 'ram', 'psram', 'source', 'speedSource']);
  const clock = r.field('clock').only(['resetHz', 'maxHz', 'options', 'source']);
  const flashing = r.field('flashing').only(['method', 'how', 'byTinyforge']);
  const consoleSpec = r.field('console').only(['uart', 'baud', 'via']);
  const hardware: BoardHardware = {
    chip: r.field('chip').string(),
    memory: {
      flash: parseHardwareRegions(mem.field('flash')),
      ram: parseHardwareRegions(mem.field('ram')),
      ...(mem.has('psram') ? { psram: parseHardwareRegions(mem.field('psram')) } : {}),
      source: parseSource(mem.field('source')),
      ...(mem.has('speedSource') ? { speedSource: parseSource(mem.field('speedSource')) } : {}),
    },
    clock: {
      resetHz: clock.field('resetHz').value === null ? null : clock.field('resetHz').positiveInteger(),
      maxHz: clock.field('maxHz').positiveInteger(),
      options: clock
        .field('options')
        .array()
        .map((o) => {
          o.only(['name', 'maxHz', 'exact', 'range']);
          const option: ClockOption = { name: o.field('name').string(), maxHz: o.field('maxHz').positiveInteger() };
          if (o.has('exact')) option.exact = o.field('exact').boolean();
          if (o.has('range')) option.range = o.field('range').string();
          return option;
        }),
      source: parseSource(clock.field('source')),
    },
    flashWaitStates: parseOrUnknown(r.field('flashWaitStates'), (w) => {
      w.only(['accelerator', 'steps', 'art', 'source']);
      const steps = w
        .field('steps')
        .array()
        .map((e) => {
          e.only(['range', 'maxHz', 'waitStates']);
          return { range: e.field('range').string(), maxHz: e.field('maxHz').positiveInteger(), waitStates: e.field('waitStates').nonNegativeInteger() };
        });
      const waits: { accelerator: string; steps: WaitStateStep[]; art?: ArtGeometry; source: FactSource } = {
        accelerator: w.field('accelerator').string(),
        steps,
        source: parseSource(w.field('source')),
      };
      if (w.has('art')) {
        const a = w.field('art');
        a.only(['instructionLines', 'dataLines', 'prefetch']);
        waits.art = {
          instructionLines: a.field('instructionLines').positiveInteger(),
          dataLines: a.field('dataLines').positiveInteger(),
          prefetch: a.field('prefetch').boolean(),
        };
      }
      return waits;
    }),
    runCurrent: parseOrUnknown(r.field('runCurrent'), (c) => {
      c.only(['microampsPerMHz', 'volts', 'conditions', 'source', 'given', 'derivation', 'perClock']);
      const current: RunCurrent = {
        microampsPerMHz: c.field('microampsPerMHz').positiveNumber(),
        volts: c.field('volts').value === null ? null : c.field('volts').positiveNumber(),
        conditions: c.field('conditions').string(),
        source: parseSource(c.field('source')),
      };
      if (c.has('given')) current.given = c.field('given').string();
      if (c.has('derivation')) current.derivation = c.field('derivation').string();
      if (c.has('perClock'))
        current.perClock = c
          .field('perClock')
          .array()
          .map((p) => {
            p.only(['range', 'hz', 'microampsPerMHz', 'given', 'derivation', 'conditions', 'volts']);
            const point: RunCurrentPoint = {
              range: p.field('range').string(),
              hz: p.field('hz').positiveInteger(),
              microampsPerMHz: p.field('microampsPerMHz').positiveNumber(),
            };
            for (const k of ['given', 'derivation', 'conditions'] as const) if (p.has(k)) point[k] = p.field(k).string();
            if (p.has('volts')) point.volts = p.field('volts').positiveNumber();
            return point;
          });
      return current;
    }),
    flashing: {
      method: flashing.field('method').oneOf(FLASHING_METHODS),
      how: flashing.field('how').string(),
      byTinyforge: flashing.field('byTinyforge').boolean(),
    },
    console: { uart: consoleSpec.field('uart').string(), baud: consoleSpec.field('baud').positiveInteger(), via: consoleSpec.field('via').string() },
  };
  if (r.has('caches')) hardware.caches = parseCaches(r.field('caches'));
  if (hardware.clock.resetHz !== null && hardware.clock.maxHz < hardware.clock.resetHz) clock.field('maxHz').fail('at least resetHz');
  for (const [i, o] of hardware.clock.options.entries()) {
    if (o.maxHz > hardware.clock.maxHz) clock.field('options').array()[i]!.field('maxHz').fail(`at most clock.maxHz (${hardware.clock.maxHz})`);
  }
  return hardware;
}

function parseBoard(r: Reader): BoardDescriptor {
  r.only([
    'name',
    'emulated',
    'description',
    'clockHz',
    'linkerScript',
    'fastArena',
    'defines',
    'counter',
    'deviceCounter',
    'sources',
    'emulator',
    'loader',
    'hardware',
    'isa',
    'otherwise',
  ]);
  const board: BoardDescriptor = {
    name: r.field('name').string(),
    emulated: r.field('emulated').boolean(),
    description: r.field('description').string(),
    clockHz: r.field('clockHz').positiveInteger(),
    defines: r.has('defines') ? r.field('defines').stringMap() : {},
  };
  if (r.has('linkerScript')) board.linkerScript = r.field('linkerScript').string();
  if (r.has('fastArena')) {
    const f = r.field('fastArena').only(['linkerScript', 'bytes', 'memory']);
    board.fastArena = { linkerScript: f.field('linkerScript').string(), bytes: f.field('bytes').positiveInteger(), memory: f.field('memory').string() };
  }
  if (r.has('isa')) board.isa = { s3simd: r.field('isa').only(['s3simd']).field('s3simd').boolean() };
  if (r.has('counter')) board.counter = parseCounter(r.field('counter'));
  if (r.has('hardware')) board.hardware = parseHardware(r.field('hardware'));
  // a board we build firmware for says where it links and what its counts are
  if ((board.emulated || board.linkerScript !== undefined || board.counter !== undefined) && board.linkerScript === undefined)
    r.field('linkerScript').fail('present on an emulated board or one with a counter');
  if (board.linkerScript !== undefined && board.counter === undefined) r.field('counter').fail('present on a board with a linker script');
  if (!board.emulated && !board.hardware) r.field('hardware').fail('present on a real board (its chip, memory, clocks, flashing, console)');
  if (board.emulated && board.hardware) r.field('hardware').fail('absent on an emulated board (the silicon is described on the real board)');
  if (r.has('emulator')) {
    const e = r.field('emulator').only(['command', 'install', 'args', 'inProcess', 'searchDirs', 'searchPath']);
    board.emulator = { command: e.field('command').string(), install: e.field('install').string(), args: e.field('args').strings() };
    if (e.has('inProcess')) board.emulator.inProcess = e.field('inProcess').boolean();
    if (e.has('searchDirs')) board.emulator.searchDirs = e.field('searchDirs').strings();
    if (e.has('searchPath')) board.emulator.searchPath = e.field('searchPath').boolean();
    if (!board.emulator.inProcess && !board.emulator.args.includes('{elf}')) e.field('args').fail('a list containing "{elf}"');
  }
  if (board.emulated && !board.emulator) r.field('emulator').fail('present on an emulated board');
  if (r.has('otherwise')) board.otherwise = r.field('otherwise').string();
  if (r.has('deviceCounter')) board.deviceCounter = r.field('deviceCounter').string();
  if (r.has('sources')) board.sources = r.field('sources').strings();
  if (r.has('loader')) {
    const l = r.field('loader').only(['protocol', 'flashOffset']);
    board.loader = { protocol: l.field('protocol').oneOf(['stm32-usart-bootloader'] as const), flashOffset: l.field('flashOffset').positiveInteger() };
  }
  return board;
}

function parseFallback(r: Reader): ToolchainFallback {
  const f = r.only(['cc', 'install', 'cflags', 'note']);
  return { cc: f.field('cc').string(), install: f.field('install').string(), cflags: f.field('cflags').strings(), note: f.field('note').string() };
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
  const isa = r.field('isa').only(['thumb', 'dsp', 'fpu', 'armv6m', 'rv32', 'mve', 'xtensa', 'mac16', 's3simd']);
  const tc = r.field('toolchain').only(['cc', 'size', 'install', 'cflags', 'ldflags', 'sanitizeFlags', 'sizeFlags', 'searchDirs', 'fallback']);
  const mem = r.field('memory');
  const cpu = r.field('cpu').string();
  const target: TargetDescriptor = {
    name: r.field('name').string(),
    description: r.field('description').string(),
    firmware: r.field('firmware').oneOf(FIRMWARE_FAMILIES),
    cpu,
    arch: r.field('arch').string(),
    isa: {
      core: cpu,
      thumb: isa.field('thumb').boolean(),
      dsp: isa.field('dsp').boolean(),
      fpu: isa.field('fpu').oneOf(['none', 'fpv4-sp-d16', 'fpv5-sp-d16', 'fpv5-d16', 'native'] as const),
      ...(isa.has('armv6m') ? { armv6m: isa.field('armv6m').boolean() } : {}),
      ...(isa.has('rv32') ? { rv32: isa.field('rv32').boolean() } : {}),
      ...(isa.has('mve') ? { mve: isa.field('mve').boolean() } : {}),
      ...(isa.has('xtensa') ? { xtensa: isa.field('xtensa').boolean() } : {}),
      ...(isa.has('s3simd') ? { s3simd: isa.field('s3simd').boolean() } : {}),
      ...(isa.has('mac16') ? { mac16: isa.field('mac16').boolean() } : {}),
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
      ...(tc.has('sizeFlags') ? { sizeFlags: tc.field('sizeFlags').strings() } : {}),
      ...(tc.has('searchDirs') ? { searchDirs: tc.field('searchDirs').strings() } : {}),
      ...(tc.has('fallback') ? { fallback: parseFallback(tc.field('fallback')) } : {}),
    },
    boards: r.field('boards').array().map(parseBoard),
    defaultBoard: r.field('defaultBoard').value === null ? null : r.field('defaultBoard').string(),
    file,
  };
  if (target.firmware !== 'host' && target.memory === null) r.field('memory').fail('present for an embedded target');
  if (target.defaultBoard !== null && !target.boards.some((b) => b.name === target.defaultBoard)) {
    r.field('defaultBoard').fail(`the name of one of its boards`);
  }
  for (const [i, board] of target.boards.entries()) {
    if (board.otherwise === undefined) continue;
    const other = target.boards.find((b) => b.name === board.otherwise);
    if (!board.emulated || !other?.emulated || other === board || other.otherwise !== undefined)
      r.field('boards').field(String(i)).field('otherwise').fail("another emulated board of the target's, itself without `otherwise`, on an emulated board");
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
    if (!board.counter) throw new Error(`internal: emulated board ${board.name} without a counter`);
    return board.counter;
  }
  const spec = target.counters?.[reported];
  if (!spec) {
    const known = Object.keys(target.counters ?? {}).join(', ') || 'none';
    throw new TinyforgeError(`${target.name}: the firmware reported counter '${reported}', which this target does not describe (known: ${known})`);
  }
  return spec;
}
