// SPDX-License-Identifier: Apache-2.0
/**
 * Whether a compiled model can fit a target's memory, decided from the plan before anything is
 * built, so that a model too big for a board is refused in one line saying by how much instead of
 * after a long build with a linker error.
 *
 * RAM needs the arena (scratch included), the stack the target reserves, and the harness's own
 * static data; flash needs the weights and the code. The harness and code figures are lower
 * bounds measured on our builds (src/lab/toolchain/fit.ts is checked against real builds in
 * test/device/boards.test.ts), so a refusal is certain; a model that passes can still miss by a
 * little, which the linker then reports.
 */
import type { CompiledModel } from '../../core/compile.ts';
import { TinyforgeError } from '../../core/errors.ts';
import { type ArtGeometry, type BoardDescriptor, type TargetDescriptor, externalRamOf, memoryFor, memoryRegions } from '../../core/targets/targets.ts';
import type { ExternalRam } from '../../core/plan/regions.ts';
import type { WeightsInRamOption } from '../../core/plan/weight_regions.ts';
import { STAGE_MIN_READS_PER_BYTE, type StageWeightsOption } from '../../core/plan/weight_staging.ts';

/** Static RAM of the device harness and platform besides the arena (frame buffers, counters): at least this. */
export const HARNESS_RAM_BYTES = 512;
/** Code and constants of the harness, platform and a model's layer functions: at least this. */
export const CODE_FLASH_BYTES = 3072;

export interface FitEstimate {
  /** `weightsInRam`: constant tables placed in internal RAM (compile's `weightsInRam`), when any */
  ram: { arena: number; weightsInRam?: number; stack: number; harness: number; total: number; available: number };
  flash: { weights: number; code: number; total: number; available: number };
}

/** Bytes of the model's constant tensors (weights, biases): what codegen puts in flash as arrays. */
export function constantBytes(compiled: CompiledModel): number {
  return compiled.graph.tensors.reduce((n, t) => n + (t.data ? t.data.length : 0), 0);
}

/**
 * The estimate for the target's memory, or with `board` for that board's: a real board's chip
 * (its largest flash and RAM regions: the arena, stack and harness data are linked into one).
 */
export function estimateFit(compiled: CompiledModel, target: TargetDescriptor, board?: BoardDescriptor): FitEstimate | null {
  const fit = estimateFitOf({ arena: compiled.plan.arenaBytes, weights: constantBytes(compiled) }, target, board);
  const inRam = compiled.weightsInRam?.bytes ?? 0;
  // the tables placed in RAM keep their initial copy in flash: both count
  if (!fit || inRam === 0) return fit;
  return { ...fit, ram: { ...fit.ram, weightsInRam: inRam, total: fit.ram.total + inRam } };
}

/** estimateFit of an arena and constant tables of any origin (several models sharing one arena). */
export function estimateFitOf(needs: { arena: number; weights: number }, target: TargetDescriptor, board?: BoardDescriptor): FitEstimate | null {
  const memory = memoryFor(target, board);
  if (!memory) return null; // the host: no fixed memory
  const { arena, weights } = needs;
  const stack = memory.stackBytes;
  return {
    ram: { arena, stack, harness: HARNESS_RAM_BYTES, total: arena + stack + HARNESS_RAM_BYTES, available: memory.ramBytes },
    flash: { weights, code: CODE_FLASH_BYTES, total: weights + CODE_FLASH_BYTES, available: memory.flashBytes },
  };
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * The compile options of a board with PSRAM (core/compile.ts externalRam, internalRam): its PSRAM,
 * and the internal RAM the arena may take without --max-ram (the chip's, less the stack and the
 * harness's static data); none on other boards.
 */
export function externalRamOptions(target: TargetDescriptor, board: BoardDescriptor | undefined): { externalRam?: ExternalRam; internalRam?: number } {
  const externalRam = externalRamOf(board);
  const memory = memoryFor(target, board);
  if (!externalRam || !memory) return {};
  return { externalRam, internalRam: Math.max(0, memory.ramBytes - memory.stackBytes - HARNESS_RAM_BYTES) };
}

/**
 * Where the weight tables are read from (compile --weights-in-ram):
 * - `staged`: each layer that reads its tables many times per inference copies them from flash into
 *   its scratch in the arena at its start (plan/weight_staging.ts); the default on a board whose
 *   flash is slower than its RAM and whose flash path the timing model replays (the ART of the
 *   NUCLEO-L4R5ZI);
 * - `auto`: the most-read tables kept in the internal RAM the arena leaves, copied there at boot
 *   (plan/weight_regions.ts): fastest, and the RAM they take is the board's for good;
 * - `none`: every table read where the linker put it, in flash (the default elsewhere).
 */
export type WeightsInRamMode = 'auto' | 'staged' | 'none';

/** compile's options for --weights-in-ram MODE (undefined: the board's default, weightsInRamDefault). */
export function weightsInRamChoice(
  mode: WeightsInRamMode | undefined,
  target: TargetDescriptor,
  board: BoardDescriptor | undefined,
): { weightsInRam?: WeightsInRamOption; stageWeights?: StageWeightsOption } {
  const chosen = mode ?? weightsInRamDefault(target, board);
  if (chosen === 'none') return {};
  if (!board) throw new TinyforgeError(`--weights-in-ram ${chosen} weighs a board's flash against its internal RAM: give the --board`);
  return chosen === 'auto' ? weightsInRamOptions(target, board) : stageWeightsOptions(target, board);
}

/** The placement a board gets without --weights-in-ram: staged where its flash is slower and its flash path replayed, else none. */
export function weightsInRamDefault(target: TargetDescriptor, board: BoardDescriptor | undefined): WeightsInRamMode {
  const costs = flashAndRamCosts(target, board);
  return costs && costs.flash > costs.ram && (artOf(board) || board?.hardware?.caches) ? 'staged' : 'none';
}

/**
 * Bytes of weight tables the flash's data path keeps at RAM speed: the ART's data cache; a data
 * cache of the board's own; half a cache that also holds the code (the STM32U5's ICACHE, the
 * RP2040's XIP cache: the kernels' loops take the rest).
 */
function cachedWeightBytes(board: BoardDescriptor | undefined): number {
  const art = artOf(board);
  if (art) return art.dataLines * ART_LINE_BYTES;
  const caches = board?.hardware?.caches;
  if (!caches) return 0;
  const size = (g: { sets: number; ways: number; lineBytes: number }) => g.sets * g.ways * g.lineBytes;
  return caches.data ? size(caches.data) : size(caches.instruction) / 2;
}

/**
 * Cycles the weights' reads from flash add per inference over SRAM's, for ranking candidates: the
 * bytes beyond what the flash's cache keeps (cachedWeightBytes) stream through it once an inference,
 * each 32-bit read paying the board's flash `accessCost` less its SRAM's; 0 where the descriptor
 * gives no slower flash.
 */
export function flashCyclesOfWeights(target: TargetDescriptor, board: BoardDescriptor | undefined, weightBytes: number): number {
  const costs = flashAndRamCosts(target, board);
  if (!costs || costs.flash <= costs.ram) return 0;
  return (Math.max(0, weightBytes - cachedWeightBytes(board)) * (costs.flash - costs.ram)) / 4;
}

/** The access costs of a board's flash and internal RAM (its descriptor's `accessCost`), null without a board. */
function flashAndRamCosts(target: TargetDescriptor, board: BoardDescriptor | undefined): { flash: number; ram: number; internalBytes: number } | null {
  const memory = memoryFor(target, board);
  if (!board || !memory) return null;
  const regions = memoryRegions(board);
  const cost = (kind: string) => Math.min(...regions.filter((r) => r.kind === kind).map((r) => r.accessCost));
  const ram = cost('internal-sram');
  const flash = cost('flash');
  if (!Number.isFinite(ram) || !Number.isFinite(flash)) return null;
  return { flash, ram, internalBytes: Math.max(0, memory.ramBytes - memory.stackBytes - HARNESS_RAM_BYTES) };
}

/** The ART accelerator a board's flash sits behind, as the timing model replays it; absent elsewhere. */
function artOf(board: BoardDescriptor | undefined): ArtGeometry | undefined {
  const waits = board?.hardware?.flashWaitStates;
  return waits && 'art' in waits ? waits.art : undefined;
}

/**
 * The compile option that places the most-read weight tables in internal RAM (core/plan/weight_regions.ts)
 * on a board whose flash costs more per byte than its internal RAM: the internal RAM the arena and
 * those tables may share (the chip's, less stack and harness). Nothing on other boards or without a board.
 */
export function weightsInRamOptions(target: TargetDescriptor, board: BoardDescriptor | undefined): { weightsInRam?: WeightsInRamOption } {
  const costs = flashAndRamCosts(target, board);
  if (!costs || costs.flash <= costs.ram) return {};
  return { weightsInRam: { internalBytes: costs.internalBytes, flashAccessCost: costs.flash, ramAccessCost: costs.ram } };
}

/**
 * The compile option that stages the most-read layers' tables in the arena (core/plan/weight_staging.ts)
 * on a board whose flash costs more per byte than its internal RAM: the internal RAM the arena may
 * grow to, and the flash's data cache (the ART's 8 lines of 32 B), whose tables need no copy.
 */
export function stageWeightsOptions(target: TargetDescriptor, board: BoardDescriptor | undefined): { stageWeights?: StageWeightsOption } {
  const costs = flashAndRamCosts(target, board);
  if (!costs || costs.flash <= costs.ram) return {};
  const fast = board?.fastArena ? { fastBytes: board.fastArena.bytes } : {};
  return { stageWeights: { internalBytes: costs.internalBytes, cachedBytes: cachedWeightBytes(board), minReadsPerByte: STAGE_MIN_READS_PER_BYTE, ...fast } };
}

/** Where a compiled model's kernels read their weight tables: all in flash, staged per layer, all in RAM, or some in RAM. */
export type WeightsPlacement = 'flash' | 'staged' | 'ram' | 'ram+flash';

export function weightsPlacement(compiled: CompiledModel): WeightsPlacement {
  if (compiled.stagedWeights) return 'staged';
  const inRam = compiled.weightsInRam?.bytes ?? 0;
  if (inRam === 0) return 'flash';
  return inRam >= compiled.generated.weightBytes ? 'ram' : 'ram+flash';
}

/** Bytes of one line of the ART's caches: four 64-bit flash words. */
const ART_LINE_BYTES = 32;

/** Throws a one-line TinyforgeError when the model cannot fit; returns the estimate otherwise. */
export function checkFits(compiled: CompiledModel, modelName: string, target: TargetDescriptor, board?: BoardDescriptor): FitEstimate | null {
  return checkFitOf(estimateFit(compiled, target, board), modelName, target, board);
}

/** checkFits of an estimate (estimateFitOf): `what` names what must fit in the refusal. */
export function checkFitOf(fit: FitEstimate | null, what: string, target: TargetDescriptor, board?: BoardDescriptor): FitEstimate | null {
  if (!fit) return null;
  const modelName = what;
  const problems: string[] = [];
  const { ram, flash } = fit;
  if (ram.total > ram.available) {
    problems.push(
      `RAM needs at least ${n(ram.total)} bytes (arena ${n(ram.arena)} + stack ${n(ram.stack)} + harness ~${n(ram.harness)}) ` +
        `of ${n(ram.available)}: ${n(ram.total - ram.available)} bytes over`,
    );
  }
  if (flash.total > flash.available) {
    problems.push(
      `flash needs at least ${n(flash.total)} bytes (weights ${n(flash.weights)} + code ~${n(flash.code)}) ` +
        `of ${n(flash.available)}: ${n(flash.total - flash.available)} bytes over`,
    );
  }
  if (problems.length > 0) {
    const where = board ? `${target.name} (${board.name}${board.hardware ? `: ${board.hardware.chip}` : ''})` : target.name;
    throw new TinyforgeError(`${modelName} does not fit ${where}: ${problems.join('; ')}`);
  }
  return fit;
}
