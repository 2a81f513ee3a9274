// SPDX-License-Identifier: Apache-2.0
/**
 * Builds a generated model directory (model.h, model.c, weights.c, ...) together with the harness of
 * a target into an executable: a bare-metal ELF for an MCU board, or a native program for `host`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { type ObjectCache, compileCached, modelUnitCacheFromEnv, objectCacheFromEnv, pruneObjectCache } from './object_cache.ts';
import { toolchainPath } from './compilers.ts';
import { finishRp2040Image, finishRp2350Image, isRp2350Board } from './rp2040_image.ts';
import { embeddedSizes, type FirmwareSizes, hostSizes, parseSizeOutput, weightsInObject } from './sizes.ts';
import { FIRMWARE_DIR, type FirmwareFamily, boardOf, loadTarget, type BoardDescriptor, type TargetDescriptor } from '../../core/targets/targets.ts';
import { MODEL_STRICT_CFLAGS, findTool, firstErrorLines, isCompiledSource, objectStem, runTool } from './toolchain.ts';

export interface BuildOptions {
  /** `--target` name, e.g. `host` or `cortex-m4` */
  target: string;
  /** directory holding the generated <name>.h and its .c files */
  modelDir: string;
  /** where objects, the generated cases.c, the map file, the log and the executable go */
  outDir: string;
  /** host only: AddressSanitizer + UBSan, aborting on the first report */
  sanitize?: boolean;
  /** builds with -DTF_PROFILE: <name>.c calls the per-layer hooks, the harness times each layer */
  profile?: boolean;
  /** board of the target (default: the target's default board); picks linker script and defines */
  board?: string;
  /** extra -D or -f flags for every compile (tests use it to shrink the SysTick period) */
  extraCflags?: string[];
  /**
   * `--prefer size`: the harness, startup and drivers are compiled for size too (GCC's -Os in place of
   * the target's -O), as model.c's pragma does for the layers, so the firmware is the smaller build of
   * what it holds; the same image whichever command builds it (run, flash, ...)
   */
  optimizeForSize?: boolean;
  /** the harness console's baud rate (default 115200 in the firmware): a real port opened at another rate */
  consoleBaud?: number;
  /**
   * MCU targets: the arena offset of input 0 in the model's plan. The harness finds the arena from
   * it, which enables "arena used" (by painting) and READ_TENSOR; without it both are unavailable.
   */
  input0ArenaOffset?: number;
  /**
   * MCU targets: link the image this many bytes into the code memory instead of at its start, for
   * an application that a boot loader there receives and starts (firmware/loader). The board's
   * linker script must support it (the micro:bit's Cortex-M0 has no VTOR and refuses it).
   */
  flashOffset?: number;
  /**
   * MCU targets: the model folder holds an application with its own `main` (a starter app): the
   * device harness (firmware/common/harness.c) is left out; startup, platform and console stay.
   */
  ownMain?: boolean;
  /**
   * Cache the model's own units too, in this cache (keyed like the harness's: by their preprocessed
   * text). For a caller that builds many models sharing a `model.c` or a `weights.c` in the same
   * folder, the input fuzzer's mutants: not the user's cache, which they would flood. Absent: the
   * cache TINYFORGE_MODEL_UNIT_CACHE names, if any (a test run's: object_cache.ts).
   */
  modelUnitCache?: ObjectCache;
}

export interface BuildResult {
  target: string;
  /** the board the image is linked for; null for host */
  board: string | null;
  /** the ELF image (MCU) or the native executable (host) */
  elf: string;
  /** linker map (MCU targets) */
  mapFile: string | null;
  sizes: FirmwareSizes;
  /**
   * 16 hex digits: a hash of every source and flag of the build (paths excluded), baked into MCU
   * firmware and reported by HELLO, so a host can tell whether a board runs this very build.
   */
  buildId: string;
  /** RP2040 targets and RP2350 boards: the flash image as a UF2 file (for a BOOTSEL drive, and the emulated RP2040) */
  uf2?: string;
}

interface CompileUnit {
  source: string;
  object: string;
  /** the generated model's own sources, as opposed to harness and platform code */
  fromModel: boolean;
}

const OBJECT_DIR = 'obj';

export async function buildFirmware(options: BuildOptions): Promise<BuildResult> {
  const target = loadTarget(options.target);
  const modelDir = resolve(options.modelDir);
  const outDir = resolve(options.outDir);
  const header = modelHeaderOf(modelDir);
  if (options.sanitize && !target.toolchain.sanitizeFlags) {
    throw new TinyforgeError(`sanitizers are only available for the host target, not ${target.name}`);
  }
  const board = target.firmware === 'host' ? undefined : boardOf(target, options.board);
  if (board && board.linkerScript === undefined) {
    throw new TinyforgeError(
      `${board.name}: tinyforge builds no firmware for this board yet (no linker script or console driver of ours); compile --board ${board.name} gives the C for your own project (docs/boards/)`,
    );
  }
  // PATH, then the target's own folders (the ESP32 compilers built into the reference-runtimes folder);
  // never the compile check's fallback: a firmware needs the core's own compiler and C library
  const toolEnv = { ...process.env, PATH: toolchainPath(target) };
  const cc = findTool(target.toolchain.cc, target.toolchain.install, toolEnv);
  const size = findTool(target.toolchain.size, target.toolchain.install, toolEnv);

  mkdirSync(join(outDir, OBJECT_DIR), { recursive: true });
  const units = sourcesFor(target, board, modelDir, outDir, options.ownMain ?? false);
  const baseFlags = compileFlags(target, board, modelDir, header, options);
  // --prefer size: the target's size flags too (link-time optimization: GCC inlines and drops across
  // the harness's units, about 200 B of a 9 KB LeNet firmware on the M4), on every unit but those
  // that define naked functions: their assembly names C symbols (tf_report_fault, reset_continue)
  // that LTO cannot see and would drop or rename
  const sizeFlags = options.optimizeForSize ? (target.toolchain.sizeFlags ?? []) : [];
  const buildId = hashBuild(target, board, options.optimizeForSize ? [...baseFlags, 'harness -Os', ...sizeFlags] : baseFlags, units);
  // what differs from model to model (its header's name, the build id, the arena's offset) reaches
  // only the units that include the model's header: the others' flags are the same in every build of
  // the board, so their cache keys are found without preprocessing them again (object_cache.ts)
  const withBoard = (flags: string[]) => (board ? [...flags, ...boardDefines(target, board)] : flags);
  const cflags = withBoard(baseFlags.filter((f) => !f.startsWith('-DTF_MODEL_HEADER=')));
  const modelFacing = board ? [...withBoard(baseFlags), ...buildDefines(buildId, options)] : baseFlags;
  // --prefer size: the harness, startup and drivers at -Os; the model's sources keep the target's -O
  // (model.c compiles its layers for size by its own pragma; a command-line -Os makes GCC's choices
  // for the whole unit, 5% more instructions on the example CNN for no fewer bytes in the layers)
  const forSize = (flags: string[]) => (options.optimizeForSize ? flags.map((f) => (/^-O/.test(f) ? '-Os' : f)) : flags);
  const log: string[] = [];

  // The model's own units are new in nearly every build (generated per model, in a fresh folder), so
  // preprocessing them for a key would only add time: the cache holds the fixed harness and firmware,
  // and the model's units only where a caller (or TINYFORGE_MODEL_UNIT_CACHE) gives a cache for them.
  const cache = objectCacheFromEnv();
  const modelCache = options.modelUnitCache ?? modelUnitCacheFromEnv();
  await runLimited(units, availableParallelism(), async (unit) => {
    const flags = [
      ...(unit.fromModel ? [...cflags, ...MODEL_STRICT_CFLAGS] : forSize(MODEL_FACING_UNITS.includes(basename(unit.source)) ? modelFacing : cflags)),
      ...(sizeFlags.length > 0 && !definesNakedFunction(unit.source) ? sizeFlags : []),
    ];
    const args = [...flags, '-c', unit.source, '-o', unit.object];
    const compiled = await compileCached(unit.fromModel ? modelCache : cache, {
      cc,
      flags,
      source: unit.source,
      object: unit.object,
      volatilePaths: [modelDir],
    });
    const result = compiled.result;
    const note = compiled.cache === 'hit' ? `(from the object cache: ${compiled.key})\n` : '';
    log.push(`$ ${cc} ${args.join(' ')}\n${note}${result.stderr}`);
    if (result.code !== 0) failBuild(`compiling ${basename(unit.source)} for ${target.name}`, result.stderr, outDir, log);
  });

  const elf = join(outDir, target.firmware === 'host' ? `${target.name}-harness` : 'firmware.elf');
  const mapFile = board ? join(outDir, 'firmware.map') : null;
  // with LTO the link compiles: at the harness's -Os (the layers keep their own pragma)
  const script = board ? await linkerScriptFor(board, target, units, toolEnv) : undefined;
  if (script && script !== board?.linkerScript) log.push(`(the arena fits in ${board!.fastArena!.memory}: linked with ${script})`);
  const linkArgs = [
    ...(sizeFlags.length > 0 ? [...forSize(cflags), ...sizeFlags] : cflags),
    ...units.map((u) => u.object),
    ...linkFlags(target, script, mapFile, options.flashOffset),
    '-o',
    elf,
  ];
  const linked = await runTool(cc, linkArgs);
  log.push(`$ ${cc} ${linkArgs.join(' ')}\n${linked.stderr}`);
  if (linked.code !== 0) failBuild(`linking for ${target.name}`, linked.stderr, outDir, log);
  writeFileSync(join(outDir, 'build.log'), log.join('\n'));
  if (cache) pruneObjectCache(cache);
  if (modelCache && modelCache !== options.modelUnitCache) pruneObjectCache(modelCache);

  const uf2 = target.firmware === 'rp2040' ? finishRp2040Image(elf, target) : isRp2350Board(board) ? finishRp2350Image(elf, board!) : undefined;
  const sizes = await measure(size, elf, target, units);
  return { target: target.name, board: board?.name ?? null, elf, mapFile, sizes, buildId, ...(uf2 ? { uf2 } : {}) };
}

/** whether a C unit defines a naked function (its assembly may name C symbols that LTO cannot see) */
function definesNakedFunction(source: string): boolean {
  return /__attribute__\(\([^)]*\bnaked\b/.test(readFileSync(source, 'utf8'));
}

/** Facts of the board the device harness reports in HELLO (firmware/common/harness.c). */
function boardDefines(target: TargetDescriptor, board: BoardDescriptor): string[] {
  return [`-DTF_TARGET_NAME="${target.name}"`, `-DTF_BOARD_NAME="${board.name}"`, `-DTF_CORE_CLOCK_HZ=${board.clockHz}u`];
}

/** Facts of this build the device harness reports (firmware/common/harness_model.c). */
function buildDefines(buildId: string, options: BuildOptions): string[] {
  const defines = [`-DTF_BUILD_ID=0x${buildId}ull`];
  if (options.input0ArenaOffset !== undefined) defines.push(`-DTF_HARNESS_INPUT0_ARENA_OFFSET=${options.input0ArenaOffset}u`);
  return defines;
}

/** Hash of what goes into the image: flags without paths, and every source file's name and text. */
function hashBuild(target: TargetDescriptor, board: BoardDescriptor | undefined, flags: string[], units: CompileUnit[]): string {
  const hash = createHash('sha256');
  hash.update(`${target.name}\0${board?.name ?? ''}\0`);
  for (const flag of flags) if (!flag.startsWith('-I')) hash.update(`${flag}\0`);
  for (const unit of [...units].sort((a, b) => basename(a.source).localeCompare(basename(b.source)))) {
    hash.update(`${basename(unit.source)}\0`);
    hash.update(readFileSync(unit.source));
  }
  for (const dir of new Set(units.map((u) => dirname(u.source)))) {
    for (const header of readdirSync(dir)
      .filter((f) => f.endsWith('.h'))
      .sort()) {
      hash.update(`${header}\0`);
      hash.update(readFileSync(join(dir, header)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The model's API header in a generated model directory: `<name>.h`, the one header that defines
 * the model's short names (`#define TF_MODEL_NUM_INPUTS`; a hand-written `model.h` serves too).
 */
export function modelHeaderOf(modelDir: string): string {
  const headers = readdirSync(modelDir)
    .filter((f) => f.endsWith('.h'))
    .sort();
  const api = headers.filter((f) => /^#\s*define\s+TF_MODEL_NUM_INPUTS\b/m.test(readFileSync(join(modelDir, f), 'utf8')));
  if (api.length === 1) return api[0]!;
  if (api.length === 0 && headers.includes('model.h')) return 'model.h';
  if (api.length > 1)
    throw new TinyforgeError(
      `${modelDir}: holds the API headers of ${api.length} models (${api.join(', ')}); the harness runs one: give it a folder of one model`,
    );
  throw new TinyforgeError(`${modelDir}: not a generated model directory (no model header: <name>.h defining TF_MODEL_NUM_INPUTS)`);
}

/** Every .c and .S file under the model directory (sub-folders too), except hidden ones and our outDir. */
function modelSources(modelDir: string, outDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.name.startsWith('.') || path === outDir) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isCompiledSource(entry.name)) found.push(path);
    }
  };
  walk(modelDir);
  return found;
}

/** Firmware folders several families build from: Armv6-M and Armv7-M/Armv8-M share SysTick. */
const SHARED_FIRMWARE: Partial<Record<FirmwareFamily, readonly string[]>> = { 'cortex-m': ['arm'], rp2040: ['arm'] };

/** The folders a family's firmware comes from (besides firmware/common): its own, then shared ones. */
export function familyFirmwareDirs(family: FirmwareFamily): string[] {
  return [family, ...(SHARED_FIRMWARE[family] ?? [])].map((d) => join(FIRMWARE_DIR, d));
}

/** The .c files of a family's folders, ordered by file name as if they were one folder. */
export function familyFirmwareSources(family: FirmwareFamily): string[] {
  return familyFirmwareDirs(family)
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.c'))
        .map((f) => join(dir, f)),
    )
    .sort((a, b) => (basename(a) < basename(b) ? -1 : basename(a) > basename(b) ? 1 : 0));
}

function sourcesFor(target: TargetDescriptor, board: BoardDescriptor | undefined, modelDir: string, outDir: string, ownMain: boolean): CompileUnit[] {
  let harnessSources: string[];
  if (target.firmware === 'host') {
    harnessSources = [join(FIRMWARE_DIR, 'host', 'host_main.c')];
  } else {
    const cFiles = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.c'))
        .sort()
        .map((f) => join(dir, f));
    // the board's own drivers (its UART) come from its descriptor, beside the family's shared files
    const boardSources = (board?.sources ?? []).map((s) => join(FIRMWARE_DIR, s));
    const common = cFiles(join(FIRMWARE_DIR, 'common')).filter((f) => !ownMain || !HARNESS_UNITS.includes(basename(f)));
    harnessSources = [...common, ...familyFirmwareSources(target.firmware), ...boardSources];
  }
  // Object names carry their origin and folder, so model.c and a firmware file of the same name cannot clash.
  const objectName = (prefix: string, source: string, base: string) =>
    join(outDir, OBJECT_DIR, `${prefix}_${objectStem(relative(base, source)).replace(/[\\/]/g, '__')}.o`);
  const modelUnits = modelSources(modelDir, outDir).map((s) => ({ source: s, object: objectName('model', s, modelDir), fromModel: true }));
  const harnessUnits = harnessSources.map((s) => ({ source: s, object: objectName('fw', s, dirname(s)), fromModel: false }));
  if (modelUnits.length === 0) throw new TinyforgeError(`${modelDir}: no .c or .S files to build`);
  return [...modelUnits, ...harnessUnits];
}

/** the device harness: the protocol (no model header: one object per board and flags) and the model's side of it */
const HARNESS_UNITS = ['harness.c', 'harness_model.c'];
/** the firmware units that include the model's header (TF_MODEL_HEADER) and report the build (buildDefines) */
const MODEL_FACING_UNITS = ['harness_model.c', 'host_main.c'];

/** The harness console's rate when no --baud is given (TF_CONSOLE_BAUD in the firmware's UART drivers). */
export const DEFAULT_CONSOLE_BAUD = 115200;

function compileFlags(target: TargetDescriptor, board: BoardDescriptor | undefined, modelDir: string, header: string, options: BuildOptions): string[] {
  const flags = [...target.toolchain.cflags];
  // the harness includes TF_MODEL_HEADER, the model's own <name>.h (model.h when not given)
  if (header !== 'model.h') flags.push(`-DTF_MODEL_HEADER="${header}"`);
  if (options.sanitize) flags.push(...(target.toolchain.sanitizeFlags ?? []));
  if (options.profile) flags.push('-DTF_PROFILE');
  for (const [name, value] of Object.entries(board?.defines ?? {})) flags.push(`-D${name}=${value}`);
  // the link address is part of what the image is, so it enters the flags (and the build id) too
  if (options.flashOffset) flags.push(`-DTF_FLASH_OFFSET=0x${options.flashOffset.toString(16)}u`);
  // the console's rate is part of what the image is: it enters the flags, so the build id tells images apart
  // (the firmware's default rate adds nothing, so `--baud 115200` and no --baud build the same image)
  if (options.consoleBaud !== undefined && options.consoleBaud !== DEFAULT_CONSOLE_BAUD) flags.push(`-DTF_CONSOLE_BAUD=${options.consoleBaud}u`);
  flags.push(...(options.extraCflags ?? []));
  flags.push(`-I${modelDir}`, `-I${join(FIRMWARE_DIR, 'common')}`, ...familyFirmwareDirs(target.firmware).map((d) => `-I${d}`));
  return flags;
}

/**
 * The linker script for this build: the board's fast-arena script (the H7A3's arena in DTCM) where
 * the model's arenas fit its `fastArena.bytes`, else the board's own.
 */
async function linkerScriptFor(board: BoardDescriptor, target: TargetDescriptor, units: CompileUnit[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!board.fastArena) return board.linkerScript;
  const nm = findTool(target.toolchain.cc.replace(/gcc$/, 'nm'), target.toolchain.install, env);
  let bytes = 0;
  for (const unit of units.filter((u) => u.fromModel)) {
    const listed = await runTool(nm, ['-S', unit.object]);
    if (listed.code !== 0) throw new TinyforgeError(`${nm} failed on ${unit.object}: ${firstErrorLines(listed.stderr, 1)[0] ?? ''}`);
    for (const arena of arenasListed(listed.stdout.toString('utf8'))) bytes += arena.bytes;
  }
  return fastArenaFits(board, bytes) ? board.fastArena.linkerScript : board.linkerScript;
}

/** The model's arenas (`<prefix>_arena`, zero-initialized) in an `nm -S` listing: their addresses and bytes. */
export function arenasListed(listing: string): { origin: number; bytes: number }[] {
  return listing.split('\n').flatMap((line) => {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [bB] \S+_arena$/.exec(line.trim());
    return m ? [{ origin: parseInt(m[1]!, 16), bytes: parseInt(m[2]!, 16) }] : [];
  });
}

/** Whether arenas of `bytes` go in the board's fast RAM (its `fastArena`), as the firmware build places them. */
export function fastArenaFits(
  board: BoardDescriptor | undefined,
  bytes: number,
): board is BoardDescriptor & { fastArena: NonNullable<BoardDescriptor['fastArena']> } {
  return !!board?.fastArena && bytes > 0 && bytes <= board.fastArena.bytes;
}

function linkFlags(target: TargetDescriptor, linkerScript: string | undefined, mapFile: string | null, flashOffset?: number): string[] {
  const flags = [...target.toolchain.ldflags];
  if (linkerScript) {
    const script = join(FIRMWARE_DIR, linkerScript);
    // -L: the board's script INCLUDEs the family's shared sections from its own folder
    flags.push(`-T${script}`, `-L${dirname(script)}`);
    if (target.memory) flags.push(`-Wl,--defsym=__stack_size=${target.memory.stackBytes}`);
    if (flashOffset) flags.push(`-Wl,--defsym=__flash_offset=0x${flashOffset.toString(16)}`);
  }
  if (mapFile) flags.push(`-Wl,-Map=${mapFile}`);
  // after the objects: the float kernels of LOGISTIC, TANH, SOFTMAX, ... call the C library's expf, tanhf, logf
  flags.push('-lm');
  return flags;
}

async function measure(size: string, elf: string, target: TargetDescriptor, units: CompileUnit[]): Promise<FirmwareSizes> {
  const readSizes = async (file: string) => {
    const result = await runTool(size, ['-A', '-d', file]);
    if (result.code !== 0) throw new TinyforgeError(`${target.toolchain.size} failed on ${file}: ${firstErrorLines(result.stderr, 1)[0] ?? ''}`);
    return parseSizeOutput(result.stdout.toString('utf8'), file);
  };
  const image = await readSizes(elf);
  if (target.firmware !== 'host') return embeddedSizes(image);
  let weights = 0;
  for (const unit of units.filter((u) => u.fromModel)) weights += weightsInObject(await readSizes(unit.object));
  return hostSizes(image, weights);
}

function failBuild(what: string, stderr: string, outDir: string, log: string[]): never {
  const logFile = join(outDir, 'build.log');
  writeFileSync(logFile, log.join('\n'));
  const lines = firstErrorLines(stderr);
  throw new TinyforgeError(`${what} failed: ${lines.join(' | ') || 'no message from the compiler'} (full log: ${logFile})`);
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure wins. */
async function runLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && !failed) {
      try {
        await work(items[next++]!);
      } catch (e) {
        failed = true; // the others stop taking new items
        throw e;
      }
    }
  });
  await Promise.all(workers);
}
