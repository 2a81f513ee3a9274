// SPDX-License-Identifier: Apache-2.0
/**
 * Weights staged in the arena: on a board whose flash is slower than its internal RAM (the
 * NUCLEO-L4R5ZI: a 64-bit flash word missing the ART's 256 B data cache pays 5 wait states, and
 * every data read of the flash one cycle of contention with the instruction fetch), a layer that
 * reads its tables many times per inference (a convolution reads its weights once per pixel or pair
 * of pixels) copies them once, at its start, into its own scratch in the arena, and its kernel reads
 * them there. The tables stay `const` in flash (nothing is copied at boot and no RAM is kept for
 * them between layers); the arena grows by the largest staged layer's tables at most, where it
 * grows at all (a layer's scratch shares the arena with the tensors not live in it).
 *
 * A layer is staged when its tables are read at least `minReadsPerByte` times per inference (MACs
 * per byte of its tables, as weight_regions.ts counts them) and are larger than the flash's own
 * data cache (`cachedBytes`: smaller tables stay in it). The C is the same kernel reading other
 * addresses, so the answers are the same bytes.
 */
import { alignUp } from '../ir/alignment.ts';
import type { PreparedGraph } from '../ops/prepare.ts';
import { executedMacs } from '../ops/prepare.ts';

/** What the compile may do: stage layers whose tables are read this often, within this much internal RAM. */
export interface StageWeightsOption {
  /** internal RAM the arena (the staged tables included) may take: the chip's, less stack and harness */
  internalBytes: number;
  /** bytes of the flash's data cache: tables this small are read from it at RAM speed */
  cachedBytes: number;
  /** the fewest reads per byte (MACs per byte of the layer's tables) that pay for the copy */
  minReadsPerByte: number;
  /**
   * a faster RAM the build places the arena in while it fits (the STM32H7A3's DTCM, outside its data
   * cache): an arena that fits there unstaged keeps within it, staged (every access to it is worth
   * more than a copy saves)
   */
  fastBytes?: number;
}

/**
 * The default threshold: the copy costs about two reads of each byte from flash. MACs per byte
 * undercounts the reads (a kernel reads each weight once per pixel or pair of pixels, and its
 * tables hold records and widened weights besides), and a layer whose weights feed one MAC per byte
 * (a fully connected layer on one row) reads them once: no copy pays there.
 */
export const STAGE_MIN_READS_PER_BYTE = 2;

/** One constant table of a layer, as codegen emitted it. */
export interface LayerTable {
  symbol: string;
  ctype: string;
  bytes: number;
}

/** A staged table: where in its layer's scratch the copy lives. */
export interface StagedTable extends LayerTable {
  /** byte offset from the start of the layer's scratch (a multiple of STAGE_ALIGNMENT) */
  offset: number;
}

/** One staged layer: its kernel's own scratch first, then its tables. */
export interface StagedLayer {
  position: number;
  /** the kernel's own scratch bytes (the staged tables follow it, aligned) */
  kernelScratch: number;
  tables: StagedTable[];
  /** bytes of tables copied per inference */
  bytes: number;
  /** MACs per byte of its tables */
  readsPerByte: number;
}

/** What the compile staged. */
export interface StagedWeightsPlan {
  layers: StagedLayer[];
  /** bytes copied from flash per inference */
  bytesCopied: number;
  /** the arena before staging, and after */
  arenaBefore: number;
  arenaAfter: number;
}

/** Every staged table starts on this boundary (LDRD, LDM and 128-bit vector loads all take it). */
export const STAGE_ALIGNMENT = 16;

/** The layers worth staging, most-read per byte first (the order in which they are dropped, last first, when the arena outgrows the RAM). */
export function stagingCandidates(prepared: PreparedGraph, layerTables: readonly (readonly LayerTable[])[], option: StageWeightsOption): StagedLayer[] {
  return prepared.layers
    .filter((layer) => !layer.isAlias)
    .flatMap((layer) => {
      const tables = layerTables[layer.position] ?? [];
      const bytes = tables.reduce((n, t) => n + t.bytes, 0);
      if (bytes <= option.cachedBytes) return [];
      const readsPerByte = executedMacs(layer) / bytes;
      if (readsPerByte < option.minReadsPerByte) return [];
      const kernelScratch = layer.scratchBytes;
      let at = alignUp(kernelScratch, STAGE_ALIGNMENT);
      const staged = tables.map((t) => {
        const table = { ...t, offset: at };
        at = alignUp(at + t.bytes, STAGE_ALIGNMENT);
        return table;
      });
      return [{ position: layer.position, kernelScratch, tables: staged, bytes, readsPerByte }];
    })
    .sort((a, b) => b.readsPerByte - a.readsPerByte || a.position - b.position);
}

/** The scratch a staged layer asks the planner for: its kernel's, then its tables, each aligned. */
export function stagedScratchBytes(layer: StagedLayer): number {
  const last = layer.tables[layer.tables.length - 1];
  return last ? last.offset + last.bytes : layer.kernelScratch;
}

/** The graph with each staged layer's scratch grown to hold its tables (the planner then places them). */
export function withStagedScratch(prepared: PreparedGraph, staged: readonly StagedLayer[]): PreparedGraph {
  const byPosition = new Map(staged.map((s) => [s.position, s]));
  return {
    ...prepared,
    layers: prepared.layers.map((layer) => {
      const s = byPosition.get(layer.position);
      return s ? { ...layer, scratchBytes: stagedScratchBytes(s) } : layer;
    }),
  };
}
