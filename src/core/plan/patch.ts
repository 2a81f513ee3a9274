// SPDX-License-Identifier: Apache-2.0
/**
 * Patch-based execution of an initial chain of convolutions in row bands (MCUNetV2's idea, bands
 * instead of 2-D patches): the high-resolution tensors inside the chain never exist whole. For each
 * band of `tileRows` rows of the chain's LAST output, the rows each layer needs (its receptive field
 * back through strides, dilation and padding) are computed into small band buffers, layer by layer,
 * and the last layer writes its rows straight into the full output tensor. Rows of a band that fall
 * outside the image are the padding: they are set to the tensor's zero point after the layer before
 * wrote them (an int8 convolution skips padded taps, which is the same as reading the input zero
 * point), so every layer runs on its band with VALID height and its own width padding. Bands overlap
 * by the halo, whose rows are computed again (the recompute cost, `extraMacs`).
 *
 * Each band layer is an ordinary prepared layer with a smaller height (`inH`, `outH`, `padTop` 0):
 * the same kernel variants emit it with compile-time constants, and the stage is one layer to the
 * planner (its band buffers are its scratch). The reference semantics stay the original layers'.
 */
import { type Op, type Tensor, isConstant } from '../ir/graph.ts';
import { type TensorBuffer, tensorBuffer } from '../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../ops/op.ts';
import { type PreparedGraph, type PreparedLayer, withVariant } from '../ops/prepare.ts';
import { selectVariant } from '../ops/variant.ts';
import { renderOpTemplate } from '../ops/common/render.ts';
import type { ConvWindowParams } from '../ops/common/conv_geometry.ts';
import type { AddParams } from '../ops/add/index.ts';
import { ARENA_ALIGNMENT, type MemoryPlan } from './arena.ts';
import { alignUp, bufferRequests, liveBytesLowerBound, overlapPairs } from './lifetimes.ts';
import { planMemory } from './schedule.ts';
import { layerCostPerMac } from '../ops/kernel_cost.ts';
import { type IsaFamily, type Prefer, isaFamily } from '../ops/op.ts';

/**
 * A chain of `length` layers from execution position `start`, run in bands of `tileRows` output rows;
 * with `add`, the residual ADD that sums the chain's output with the chain's input is run in the
 * same bands (see fusableAdd).
 */
export interface PatchChoice {
  start: number;
  length: number;
  tileRows: number;
  add?: boolean;
  /** keep the rows consecutive bands share in each inner band buffer instead of computing them again (see SteadyLayer) */
  cache?: boolean;
}

/**
 * `off`: whole tensors; `auto`: the band stage that lowers the arena most, if any; `default` (what
 * compile does unasked): a stage only when it pays for itself (DEFAULT_MIN_ARENA_SAVING for at most
 * DEFAULT_MAX_EXTRA_INSTRUCTIONS) where RAM is scarce (DEFAULT_MIN_RAM_SHARE); or one stage.
 */
export type PatchOption = 'off' | 'auto' | 'default' | PatchChoice;

const PATCHABLE = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D']);

/**
 * The cost model's price of the bands' bookkeeping (a stage's `extraInstructions`): a copied or
 * moved byte (memcpy / memmove of band rows, word copies plus their loop) and one band's call of one
 * layer (the call, the row arithmetic, the padding-row checks). Rough: they rank stages, the
 * kernels' halo MACs dominate.
 */
const COPY_INSTRUCTIONS_PER_BYTE = 0.5;
const BAND_CALL_INSTRUCTIONS = 60;
/**
 * What a convolution costs more per MAC on a band than on its whole tensor, by family: the RV32
 * kernels gather pixels in blocks, and a band of a few rows ends in a short block whose weight loads
 * are shared by fewer pixels. Measured on the emulated ESP32-C3 (23 Nov 2026, default stage against
 * whole tensors, less the halo estimate): 4.4% of the stage's whole-tensor instructions on ResNet-8,
 * 7.1% on person_detect, 3.6-4.1% on 96x96 MobileNet-like nets. The Arm kernels showed none worth
 * pricing (M4 +0.2% on ResNet-8; the RP2040 figures come in under the estimate).
 */
const BAND_KERNEL_OVERHEAD: Partial<Record<IsaFamily, number>> = { rv32: 0.05 };

/**
 * The default takes a stage only when it cuts the arena by at least this share of the whole-tensor
 * arena: smaller cuts are not worth a slower model nobody asked for.
 */
export const DEFAULT_MIN_ARENA_SAVING = 0.1;
/**
 * ... and adds at most this share of the model's instructions (RP2040: cycles), both estimated by the
 * cost model (kernel_cost.ts): within the run-to-run spread of a board's clock and far below the
 * speed bars' margin, while the RAM a stage saves is often what lets a model fit at all.
 */
export const DEFAULT_MAX_EXTRA_INSTRUCTIONS = 0.05;
/**
 * ... and only where RAM is scarce: when the whole-tensor arena takes at least this share of the RAM
 * of the smallest real part the target stands for (PartRam, targets.ts smallestPartRam). A stage
 * costs instructions and code flash (its loop, the band instances of its kernels, the row mover:
 * 400-800 B measured on the Arm targets); a model that takes a few percent of its part's RAM whole
 * does not need to pay them to fit, and `--patch auto` or `--max-ram` still ask for the bytes. With
 * no real part known (the host, emulated-only targets), RAM counts as scarce.
 */
export const DEFAULT_MIN_RAM_SHARE = 0.05;

/** The RAM of the smallest real part a target stands for: its bytes and the board that has it. */
export interface PartRam {
  bytes: number;
  board: string;
}

/**
 * A layer's instance for the bands after the first when the stage caches rows (PatchChoice.cache):
 * the next layer's band buffer keeps its last `keepRows` rows (moved to its top: the rows the next
 * band shares), so this layer computes only the `band.outH` rows after them, from the last rows of
 * its own band input (from `inOffsetRows` on). No halo row is computed twice, except in a last band
 * that the output height clamps (it runs the full instances).
 */
interface SteadyLayer {
  band: PreparedLayer;
  inOffsetRows: number;
  keepRows: number;
  /** rows the next layer's input advances per band */
  stepRows: number;
}

interface BandLayer {
  original: PreparedLayer;
  band: PreparedLayer;
  steady?: SteadyLayer;
  /** rows of its input (and output) per band */
  inRows: number;
  outRows: number;
  /** the height of its full input tensor */
  inH: number;
  inRowBytes: number;
  outRowBytes: number;
  strideH: number;
  padTop: number;
  inputZeroPoint: number;
  /** its op's input i → the stage op's input index (-1: absent) */
  inputMap: number[];
}

/**
 * A residual ADD run inside the stage: each band's ADD sums the last layer's output rows (a band
 * buffer) with the same rows of the skip tensor, which is the chain's input, and writes the sum's
 * rows into the stage output. The chain's own output never exists whole, and since the skip dies at
 * the stage the output may lie over it (a few rows behind: the overlap gap), so a residual block
 * needs one block-sized tensor instead of three. The ADD is its own kernel, unchanged, on the band's
 * elements: bit-exact with TFLite Micro's conv -> int8 -> ADD.
 */
export interface FusedAdd {
  original: PreparedLayer;
  band: PreparedLayer;
  /** which of the ADD's inputs is the chain's output (the other is the skip: the chain's input) */
  chainInput: 0 | 1;
  rowBytes: number;
}

export interface PatchStageParams {
  choice: PatchChoice;
  add?: FusedAdd;
  layers: BandLayer[];
  /** intermediate tensors (the reference interpreter's buffers for them) */
  intermediates: Tensor[];
  bands: number;
  /** the last layer's output height */
  outH: number;
  /** offsets in the stage scratch: the band buffer holding each layer's input, the last layer's output band (when its rows are not 16-byte aligned in the tensor), the band layers' own scratch */
  inputBuffer: number[];
  outputBuffer?: number;
  subScratch: number;
  scratchBytes: number;
  /**
   * The output may start this many bytes before the input (OverlapRule): bands run top to bottom,
   * each reads its input rows before it writes its output rows, and no band writes over input rows
   * a later band still reads.
   */
  overlapGap: number;
  /** the model's MACs of the chain, and those the halo rows add */
  macs: number;
  extraMacs: number;
  /**
   * The instructions (RP2040: cycles) per inference the stage adds over the whole-tensor layers,
   * estimated by the planner's cost model (kernel_cost.ts): the halo MACs and any slower band kernel
   * at their kernels' cost per MAC (plus BAND_KERNEL_OVERHEAD), the rows the bands copy and the
   * per-band calls.
   */
  extraInstructions: number;
}

/** The window geometry of a conv / depthwise layer (both prepare ConvWindowParams). */
const windowOf = (l: PreparedLayer) => l.params as ConvWindowParams & { inputOffset: number };

/** The layers from `start` a band stage may cover, at most `max`: int8 convolutions, one consumer each. */
export function patchableChain(prepared: PreparedGraph, start: number, max = 8): number {
  const { graph, layers } = prepared;
  const uses = new Map<number, number>();
  for (const l of layers) for (const t of l.op.inputs) if (t >= 0) uses.set(t, (uses.get(t) ?? 0) + 1);
  const keep = new Set([...graph.outputs, ...graph.tensors.filter((t) => t.isVariable).map((t) => t.index)]);
  let n = 0;
  for (let p = start; p < layers.length && n < max; p++, n++) {
    const l = layers[p]!;
    if (!PATCHABLE.has(l.op.kind) || l.isAlias) break;
    const input = graph.tensors[l.op.inputs[0]!]!;
    const output = graph.tensors[l.op.outputs[0]!]!;
    if (input.dtype !== 'int8' || output.dtype !== 'int8' || input.shape[0] !== 1 || windowOf(l).batches !== 1) break;
    if (l.op.inputs.slice(1).some((t) => t >= 0 && !isConstant(graph.tensors[t]!))) break;
    if (n > 0) {
      const before = layers[p - 1]!;
      const link = before.op.outputs[0]!;
      if (l.op.inputs[0] !== link || uses.get(link) !== 1 || keep.has(link)) break;
    }
  }
  return n;
}

/**
 * The position of the int8 ADD a band stage over `start..start+length-1` can run in its bands: it
 * sums the chain's output (read by nothing else, not a model output) and the chain's input, element
 * by element (same shapes, no broadcast), and comes after the chain. Undefined when there is none.
 */
export function fusableAdd(prepared: PreparedGraph, start: number, length: number): number | undefined {
  const { graph, layers } = prepared;
  const chain = layers.slice(start, start + length);
  if (chain.length !== length || length < 1) return undefined;
  const x = chain[0]!.op.inputs[0]!;
  const y = chain[length - 1]!.op.outputs[0]!;
  if (graph.outputs.includes(y) || graph.tensors[y]!.isVariable) return undefined;
  const readers = layers.filter((l) => l.op.inputs.includes(y));
  if (readers.length !== 1) return undefined;
  const add = readers[0]!;
  if (add.op.kind !== 'ADD' || add.position < start + length || add.isAlias || add.op.outputs.length !== 1) return undefined;
  const [a, b] = add.op.inputs;
  if (!((a === y && b === x) || (a === x && b === y))) return undefined;
  const p = add.params as Partial<AddParams> & { activationBits?: number };
  const loops = p.loops;
  if (p.activationBits === 16 || !loops || loops.length !== 1 || loops[0]!.strideA !== 1 || loops[0]!.strideB !== 1) return undefined;
  const out = graph.tensors[add.op.outputs[0]!]!;
  const yT = graph.tensors[y]!;
  if (out.dtype !== 'int8' || yT.dtype !== 'int8' || out.shape.join() !== yT.shape.join()) return undefined;
  if (graph.outputs.includes(x) || graph.tensors[x]!.isVariable) return undefined;
  return add.position;
}

/** The prepared graph with the chain replaced by one band stage. */
export function applyPatch(prepared: PreparedGraph, choice: PatchChoice): PreparedGraph {
  const { graph, layers, isa, prefer, kernels } = prepared;
  const chain = layers.slice(choice.start, choice.start + choice.length);
  const addAt = choice.add ? fusableAdd(prepared, choice.start, choice.length) : undefined;
  if (
    chain.length !== choice.length ||
    choice.length < (choice.add ? 1 : 2) ||
    patchableChain(prepared, choice.start, choice.length) < choice.length ||
    (choice.add && addAt === undefined)
  ) {
    throw new Error(`internal: layers ${choice.start}..${choice.start + choice.length - 1} are not a chain a band stage can run`);
  }
  const last = windowOf(chain[chain.length - 1]!);
  const tileRows = Math.max(1, Math.min(choice.tileRows, last.outH));
  // the stage reads the chain's input and every weight, bias and table of its layers
  const stageInputs: number[] = [chain[0]!.op.inputs[0]!];
  const inputMaps = chain.map((l) =>
    l.op.inputs.map((t, i) => {
      if (i === 0) return 0;
      if (t < 0) return -1;
      stageInputs.push(t);
      return stageInputs.length - 1;
    }),
  );
  // rows per band, from the last layer back: a layer's input rows are the previous one's output rows
  const outRows: number[] = new Array(chain.length);
  const inRows: number[] = new Array(chain.length);
  let rows = tileRows;
  for (let k = chain.length - 1; k >= 0; k--) {
    const w = windowOf(chain[k]!);
    outRows[k] = rows;
    rows = (rows - 1) * w.strideH + (w.kH - 1) * w.dilationH + 1;
    inRows[k] = rows;
  }
  const bandLayers: BandLayer[] = chain.map((l, k) => {
    const w = windowOf(l);
    const params = { ...w, inH: inRows[k]!, outH: outRows[k]!, padTop: 0 };
    const band = withVariant({ ...l, params, macs: (l.macs / w.outH) * outRows[k]! }, selectVariant(l.def, params, isa, prefer, kernels));
    return {
      original: l,
      band,
      inRows: inRows[k]!,
      outRows: outRows[k]!,
      inH: w.inH,
      inRowBytes: w.inW * w.inC,
      outRowBytes: w.outW * w.outC,
      strideH: w.strideH,
      padTop: w.padTop,
      inputZeroPoint: -w.inputOffset,
      inputMap: inputMaps[k]!,
    };
  });
  const bands = Math.ceil(last.outH / tileRows);
  const lastBand = bandLayers[bandLayers.length - 1]!;
  // with a cache, every layer but the last gets its steady instance: it writes only the rows after
  // those the next layer's band keeps from the band before (rows advance by tileRows times the
  // strides below); rows offset in band buffers stay 16-byte aligned
  const cache = !!choice.cache && cacheable(bandLayers);
  if (cache) {
    for (let k = 0; k + 1 < bandLayers.length; k++) {
      const next = bandLayers[k + 1]!;
      const stepRows = bandLayers.slice(k + 1).reduce((n, b) => n * b.strideH, tileRows);
      const keepRows = Math.max(0, next.inRows - stepRows);
      if (keepRows === 0) continue;
      const l = bandLayers[k]!;
      const w = windowOf(l.original);
      const outRows = next.inRows - keepRows;
      const inRows = (outRows - 1) * w.strideH + (w.kH - 1) * w.dilationH + 1;
      const params = { ...w, inH: inRows, outH: outRows, padTop: 0 };
      const band = withVariant(
        { ...l.original, params, macs: (l.original.macs / w.outH) * outRows },
        selectVariant(l.original.def, params, isa, prefer, kernels),
      );
      l.steady = { band, inOffsetRows: l.inRows - inRows, keepRows, stepRows };
    }
  }
  let add: FusedAdd | undefined;
  if (addAt !== undefined) {
    const original = layers[addAt]!;
    const y = chain[chain.length - 1]!.op.outputs[0]!;
    const bandSize = tileRows * lastBand.outRowBytes;
    const params = { ...(original.params as AddParams), size: bandSize, loops: [{ extent: bandSize, strideA: 1, strideB: 1 }] };
    const band = withVariant({ ...original, params, macs: bandSize }, selectVariant(original.def, params, isa, prefer, kernels));
    add = { original, band, chainInput: original.op.inputs[0] === y ? 0 : 1, rowBytes: lastBand.outRowBytes };
  }
  // the last layer's rows go to a band buffer when a fused ADD reads them
  const writesInPlace = !add && lastBand.outRowBytes % ARENA_ALIGNMENT === 0;
  let inputBuffer: number[];
  let outputBuffer: number | undefined;
  let at: number;
  if (!cache) {
    // band buffers, ping-pong: layer k reads the band in region k % 2 and writes region (k + 1) % 2;
    // nothing in them outlives a band (halos are recomputed), so two regions hold the whole chain
    const regionBytes = [0, 1].map((parity) => {
      const held = bandLayers.filter((_, k) => k % 2 === parity).map((b) => b.inRows * b.inRowBytes);
      if (!writesInPlace && bandLayers.length % 2 === parity) held.push(lastBand.outRows * lastBand.outRowBytes);
      return alignUp(Math.max(0, ...held), ARENA_ALIGNMENT);
    });
    const regionAt = (parity: number) => (parity === 0 ? 0 : regionBytes[0]!);
    inputBuffer = bandLayers.map((_, k) => regionAt(k % 2));
    // the last output band goes through a buffer when its rows are not 16-byte aligned in the tensor
    outputBuffer = writesInPlace ? undefined : regionAt(bandLayers.length % 2);
    at = regionBytes[0]! + regionBytes[1]!;
  } else {
    // cached rows outlive the band: each inner layer's input has its own buffer; the first layer's
    // copied rows and the last layer's output rows share one (the first layer is done by then)
    const shared = alignUp(
      Math.max(bandLayers[0]!.inRows * bandLayers[0]!.inRowBytes, writesInPlace ? 0 : lastBand.outRows * lastBand.outRowBytes),
      ARENA_ALIGNMENT,
    );
    inputBuffer = [0];
    at = shared;
    for (const b of bandLayers.slice(1)) {
      inputBuffer.push(at);
      at += alignUp(b.inRows * b.inRowBytes, ARENA_ALIGNMENT);
    }
    outputBuffer = writesInPlace ? undefined : 0;
  }
  const subScratch = at;
  at += alignUp(
    Math.max(0, ...bandLayers.map((b) => Math.max(b.band.scratchBytes, b.steady?.band.scratchBytes ?? 0)), add?.band.scratchBytes ?? 0),
    ARENA_ALIGNMENT,
  );
  const macs = chain.reduce((n, l) => n + l.macs, 0) + (add?.original.macs ?? 0);
  // per band: the input rows it reads first, the output rows it writes last (monotone in the band)
  const firstInputRow = (row: number) => bandLayers.reduceRight((r, b) => r * b.strideH - b.padTop, row);
  const bandRow = (band: number) => Math.min(band * tileRows, last.outH - tileRows);
  let overlapGap = 0;
  for (let band = 0; band + 1 < bands; band++) {
    const written = (bandRow(band) + tileRows) * lastBand.outRowBytes;
    // a fused ADD also reads the next band's own rows of the input (its skip)
    const firstRead = add ? Math.min(firstInputRow(bandRow(band + 1)), bandRow(band + 1)) : firstInputRow(bandRow(band + 1));
    const stillRead = Math.min(Math.max(firstRead, 0), bandLayers[0]!.inH) * bandLayers[0]!.inRowBytes;
    overlapGap = Math.max(overlapGap, written - stillRead);
  }
  // with a cache, the first band and a last band the output height clamps run the full instances
  const fullBands = cache ? Math.min(bands, 1 + (last.outH % tileRows !== 0 && bands > 1 ? 1 : 0)) : bands;
  const executed =
    bandLayers.reduce((n, b) => n + b.band.macs * fullBands + (b.steady?.band.macs ?? b.band.macs) * (bands - fullBands), 0) +
    (add ? add.band.macs * bands : 0);
  const family = isaFamily(isa);
  const instructionsOf = (l: PreparedLayer, macs: number) => macs * layerCostPerMac(l, family);
  const bandInstructionsOf = (l: PreparedLayer, macs: number) => instructionsOf(l, macs) * (1 + (BAND_KERNEL_OVERHEAD[family] ?? 0));
  // bands whose first input rows are copied (all of them, or those reaching past the image when the
  // rows are read in place)
  const firstRowOf = (band: number) => firstInputRow(bandRow(band));
  const copiedBands =
    bandLayers[0]!.inRowBytes % ARENA_ALIGNMENT === 0
      ? Array.from({ length: bands }, (_, b) => b).filter((b) => firstRowOf(b) < 0 || firstRowOf(b) + bandLayers[0]!.inRows > bandLayers[0]!.inH).length
      : bands;
  const copiedBytes =
    copiedBands * bandLayers[0]!.inRows * bandLayers[0]!.inRowBytes +
    (bands - fullBands) * bandLayers.reduce((n, b) => n + (b.steady ? b.steady.keepRows * b.outRowBytes : 0), 0) +
    (outputBuffer !== undefined && !add ? bands * lastBand.outRows * lastBand.outRowBytes : 0);
  const kernelInstructions =
    bandLayers.reduce(
      (n, b) =>
        n +
        bandInstructionsOf(b.band, b.band.macs) * fullBands +
        bandInstructionsOf(b.steady?.band ?? b.band, b.steady?.band.macs ?? b.band.macs) * (bands - fullBands) -
        instructionsOf(b.original, b.original.macs),
      0,
    ) + (add ? instructionsOf(add.band, add.band.macs) * bands - instructionsOf(add.original, add.original.macs) : 0);
  const extraInstructions = Math.max(
    0,
    Math.round(kernelInstructions + COPY_INSTRUCTIONS_PER_BYTE * copiedBytes + BAND_CALL_INSTRUCTIONS * bands * (bandLayers.length + (add ? 1 : 0))),
  );
  const params: PatchStageParams = {
    choice: { ...choice, tileRows, ...(choice.cache ? { cache } : {}) },
    ...(add ? { add } : {}),
    layers: bandLayers,
    intermediates: (add ? chain : chain.slice(0, -1)).map((l) => graph.tensors[l.op.outputs[0]!]!),
    bands,
    outH: last.outH,
    inputBuffer,
    outputBuffer,
    subScratch,
    scratchBytes: at,
    overlapGap,
    macs,
    extraMacs: Math.round(executed - macs),
    extraInstructions,
  };
  const stageOutput = add ? add.original.op.outputs[0]! : chain[chain.length - 1]!.op.outputs[0]!;
  const op: Op = { index: chain[0]!.op.index, kind: PATCH_STAGE, inputs: stageInputs, outputs: [stageOutput], attrs: {} };
  const variant = stageVariant(params);
  const stage: PreparedLayer = {
    position: choice.start,
    op,
    def: stageDef,
    params,
    macs,
    variant,
    scratchBytes: params.scratchBytes,
    isAlias: false,
    overlap: variant.overlap?.(params),
  };
  // the fused ADD runs in the stage: its inputs (the chain's input and output) are ready there
  const rest = layers.slice(choice.start + choice.length).filter((l) => l.position !== addAt);
  const next = [...layers.slice(0, choice.start), stage, ...rest].map((l, position) => ({ ...l, position }));
  return { ...prepared, graph: { ...graph, ops: next.map((l) => l.op) }, layers: next };
}

export const PATCH_STAGE = 'PATCH_STAGE';

/** The band stage a compile used: its layers and what it saved and cost. */
export interface PatchReport {
  stage: PatchStageParams;
  position: number;
  /** arena bytes with whole tensors, and with the stage */
  arenaBefore: number;
  arenaAfter: number;
  /** the model's estimated instructions (RP2040: cycles) per inference, what the stage's are a share of */
  modelInstructions: number;
  /** the cost model's unit on the target's family: instructions, or RP2040 cycles on Armv6-M (kernel_cost.ts) */
  unit: 'instructions' | 'cycles';
  /** how the stage was chosen: the default policy, `--patch auto`, one forced stage, or a RAM budget */
  chosenBy: 'default' | 'auto' | 'forced' | 'budget';
}

/** How a stage came to be taken: the `--patch` the user gave (undefined: none) and the option the compile resolved it to. */
export function chosenBy(requested: PatchOption | undefined, resolved: PatchOption): PatchReport['chosenBy'] {
  if (typeof resolved === 'object') return 'forced';
  if (requested === undefined && resolved === 'auto') return 'budget';
  return resolved === 'auto' ? 'auto' : 'default';
}

/** The report of a planned outcome's stage; undefined when it has none. */
export function patchReport(outcome: PatchOutcome, chosenBy: PatchReport['chosenBy']): PatchReport | undefined {
  const stage = outcome.stage;
  if (!stage) return undefined;
  return {
    stage: stage.params as PatchStageParams,
    position: stage.position,
    arenaBefore: outcome.before,
    arenaAfter: outcome.plan.arenaBytes,
    modelInstructions: outcome.modelInstructions,
    unit: outcome.prepared.isa?.armv6m ? 'cycles' : 'instructions',
    chosenBy,
  };
}

const CHOSEN_BY: Record<PatchReport['chosenBy'], string> = {
  default: `by default: it saves at least ${100 * DEFAULT_MIN_ARENA_SAVING}% of the arena for at most ${100 * DEFAULT_MAX_EXTRA_INSTRUCTIONS}% more instructions, where whole tensors take at least ${100 * DEFAULT_MIN_RAM_SHARE}% of the RAM of the target's smallest part (when it has one); --patch off or --prefer speed keeps whole tensors`,
  auto: '--patch auto',
  forced: '--patch',
  budget: '--max-ram',
};

/** The stage a compile used, what it saved (arena bytes) and cost (estimated instructions), and why it was taken: one line. */
export function formatPatch(r: PatchReport): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const saved = r.arenaBefore - r.arenaAfter;
  const extra = r.stage.extraInstructions;
  return (
    `${describeStage(r.stage, r.position)}; arena ${n(r.arenaBefore)} -> ${n(r.arenaAfter)} B ` +
    `(${saved >= 0 ? `${n(saved)} B, ${percent(saved, r.arenaBefore)} saved` : `${n(-saved)} B more`}) ` +
    `for about +${n(extra)} ${r.unit} per inference (${percent(extra, r.modelInstructions)} of the model's ${n(r.modelInstructions)}, cost-model estimate); ` +
    `chosen ${CHOSEN_BY[r.chosenBy]}`
  );
}

/** Why the default ran whole tensors though a stage would have lowered the arena (inspect, compile); undefined when it did not weigh one. */
export function formatDeclined(outcome: PatchOutcome): string | undefined {
  const d = outcome.declined;
  if (!d) return undefined;
  return `row bands: none by default; the best stage, ${describeStage(d.stage, d.stage.choice.start)}, would give arena ${outcome.before.toLocaleString('en-US')} -> ${d.arena.toLocaleString('en-US')} B for about +${d.stage.extraInstructions.toLocaleString('en-US')} estimated instructions, but ${d.reason} (--patch auto takes it)`;
}

/** The stage's layers, band geometry and cost, one line (inspect, compile). */
export function describePatchStage(layer: PreparedLayer): string | undefined {
  if (layer.op.kind !== PATCH_STAGE) return undefined;
  return describeStage(layer.params as PatchStageParams, layer.position);
}

function describeStage(p: PatchStageParams, position: number): string {
  const kinds = p.layers.map((b) => `${b.original.op.kind}#${b.original.op.index}`).join(' -> ');
  const pct = p.macs > 0 ? ((100 * p.extraMacs) / p.macs).toFixed(1) : '0';
  const add = `${p.add ? ` -> ADD#${p.add.original.op.index} (over its skip input)` : ''}${p.layers.some((b) => b.steady) ? ', shared rows cached' : ''}`;
  return `patch stage (layer ${position}): ${kinds}${add} in ${p.bands} bands of ${p.choice.tileRows} output row${p.choice.tileRows === 1 ? '' : 's'}, band buffers ${p.scratchBytes.toLocaleString('en-US')} B, +${p.extraMacs.toLocaleString('en-US')} MACs recomputed (${pct}% of the chain's)`;
}

const stageDef: OpDef<PatchStageParams> = {
  kind: PATCH_STAGE,
  dir: import.meta.dirname,
  check() {},
  prepare() {
    throw new Error('internal: a patch stage is made by applyPatch, not prepared from a model op');
  },
  macs: () => 0,
  // the reference: the original layers on whole tensors
  evaluate(p, inputs, outputs) {
    let current = inputs[0]!;
    p.layers.forEach((b, k) => {
      const ins = b.original.op.inputs.map((_, i) => (i === 0 ? current : b.inputMap[i]! < 0 ? undefined : inputs[b.inputMap[i]!]));
      const out: TensorBuffer = k === p.layers.length - 1 && !p.add ? outputs[0]! : tensorBuffer(p.intermediates[k]!);
      b.original.def.evaluate(b.original.params, ins, [out]);
      current = out;
    });
    if (p.add) {
      const ins = p.add.chainInput === 0 ? [current, inputs[0]] : [inputs[0], current];
      p.add.original.def.evaluate(p.add.original.params, ins, outputs);
    }
  },
  emitC: (p, ctx) => emitStage(p, ctx),
};

function stageVariant(p: PatchStageParams): KernelVariant<PatchStageParams> {
  const cFiles = [...new Set([...p.layers.flatMap((b) => b.band.variant.cFiles ?? []), ...(p.add?.band.variant.cFiles ?? [])])];
  const names = [...p.layers.map((b) => b.band.variant.name), ...(p.add ? [`ADD ${p.add.band.variant.name}`] : [])];
  return {
    name: `row bands (${names.join(', ')})`,
    family: 'portable',
    applies: () => true,
    scratchBytes: (q) => q.scratchBytes,
    overlap: (q) => ({ input: 0, gap: alignUp(q.overlapGap, ARENA_ALIGNMENT) }),
    emit: emitStage,
    cFiles,
  };
}

function emitStage(p: PatchStageParams, ctx: LayerEmitContext): string {
  const fn = ctx.fnName;
  const scratch = ctx.scratch();
  const buffer = (offset: number) => `((int8_t *)(${scratch} + ${offset}u))`;
  const last = p.layers.length - 1;
  const copyRows = `${ctx.prefix}_band_copy_rows`;
  const fillRows = `${ctx.prefix}_band_fill_rows`;
  const move = `${ctx.prefix}_band_move`;
  // band rows move with a plain word loop, not memcpy/memmove: the stage is the only caller of either
  // in most models, and newlib's speed-tuned memcpy is some 300 bytes of flash (person_detect's code
  // flash passed 0.3x TFLite Micro's with it)
  ctx.defineOnce(
    'patch band move',
    `/* Row bands (plan/patch.ts): bytes bytes from source to destination, front to back (so also down a
 * buffer over themselves: the cached rows move to its top); words when both ends and the length are
 * whole words, which band rows are wherever they are cached (4-byte memcpy: one load, one store). A
 * plain loop (GCC would make it a memcpy call again). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void ${move}(int8_t *destination, const int8_t *source, int bytes) {
  if ((((uintptr_t)destination | (uintptr_t)source | (uintptr_t)bytes) & 3u) == 0u) {
    for (; bytes > 0; bytes -= 4, destination += 4, source += 4) {
      uint32_t word;
      memcpy(&word, __builtin_assume_aligned(source, 4), 4);
      memcpy(__builtin_assume_aligned(destination, 4), &word, 4);
    }
  } else {
    for (; bytes > 0; bytes--) *destination++ = *source++;
  }
}`,
  );
  ctx.defineOnce(
    'patch band rows',
    `/* Row bands (plan/patch.ts): rows [first, first + count) of a tensor of height rows of row_bytes
 * bytes; a row outside the tensor is padding, the tensor's zero point. */
static void ${copyRows}(int8_t *band, const int8_t *tensor, int first, int count, int height, int row_bytes, int8_t zero_point) {
  int r;
  for (r = 0; r < count; r++) {
    const int y = first + r;
    if (y < 0 || y >= height) memset(band + r * row_bytes, (unsigned char)zero_point, (size_t)row_bytes);
    else ${move}(band + r * row_bytes, tensor + y * row_bytes, row_bytes);
  }
}`,
  );
  // a one-layer stage (a convolution and its residual ADD) fills no band of its own
  if (p.layers.length > 1)
    ctx.defineOnce(
      'patch band fill rows',
      `/* Row bands (plan/patch.ts): the rows of a band outside its tensor of height rows are padding. */
static void ${fillRows}(int8_t *band, int first, int count, int height, int row_bytes, int8_t zero_point) {
  int r;
  for (r = 0; r < count; r++) {
    const int y = first + r;
    if (y < 0 || y >= height) memset(band + r * row_bytes, (unsigned char)zero_point, (size_t)row_bytes);
  }
}`,
    );
  // layers whose band and steady instances are one function taking `steady` (mergeInstances)
  const mergedLayers = new Set<number>();
  const subs = p.layers.map((b, k) => {
    const sub: LayerEmitContext = {
      ...ctx,
      op: b.original.op,
      fnName: `${fn}_band${k}`,
      input: (i) => (i === 0 ? (k === 0 ? `((int8_t *)${fn}_source)` : buffer(p.inputBuffer[k]!)) : ctx.input(b.inputMap[i]!)),
      output: () => (k < last ? buffer(p.inputBuffer[k + 1]!) : p.outputBuffer !== undefined ? buffer(p.outputBuffer) : `((int8_t *)${fn}_destination)`),
      scratch: () => `(${scratch} + ${p.subScratch}u)`,
      addConst: (suffix, ctype, values) => ctx.addConst(`band${k}_${suffix}`, ctype, values),
      render: (file, view) => renderOpTemplate(b.original.def.dir, file, view),
    };
    const full = b.band.variant.emit(b.band.params, sub);
    const steady = b.steady;
    if (!steady) return full;
    const inAt = steady.inOffsetRows * b.inRowBytes;
    const steadySub: LayerEmitContext = {
      ...sub,
      fnName: `${fn}_band${k}s`,
      input: (i) => (i === 0 ? (k === 0 ? `((int8_t *)${fn}_source + ${inAt})` : buffer(p.inputBuffer[k]! + inAt)) : ctx.input(b.inputMap[i]!)),
      output: () => buffer(p.inputBuffer[k + 1]! + steady.keepRows * b.outRowBytes),
      addConst: (suffix, ctype, values) => ctx.addConst(`band${k}s_${suffix}`, ctype, values),
    };
    const steadyText = steady.band.variant.emit(steady.band.params, steadySub);
    const merged = mergeInstances(full, steadyText, `${fn}_band${k}`, `${fn}_band${k}s`);
    if (merged !== undefined) mergedLayers.add(k);
    return merged ?? `${full}\n${steadyText}`;
  });
  const add = p.add;
  if (add) {
    // the ADD's own kernel on one band's elements: the last layer's rows and the skip's same rows
    const sub: LayerEmitContext = {
      ...ctx,
      op: add.original.op,
      fnName: `${fn}_add`,
      input: (i) => (i === add.chainInput ? buffer(p.outputBuffer!) : `${fn}_skip`),
      output: () => `${fn}_destination`,
      scratch: () => `(${scratch} + ${p.subScratch}u)`,
      addConst: (suffix, ctype, values) => ctx.addConst(`add_${suffix}`, ctype, values),
      render: (file, view) => renderOpTemplate(add.original.def.dir, file, view),
    };
    subs.push(add.band.variant.emit(add.band.params, sub));
  }
  const first = p.layers[0]!;
  const lastBand = p.layers[last]!;
  const cached = p.layers.some((b) => b.steady);
  const outputTensor = ctx.output(0);
  // where each layer's input band starts in its input tensor, from the last layer's output row back
  const rowLines: string[] = [];
  let below = 'row';
  for (let k = last; k >= 0; k--) {
    const b = p.layers[k]!;
    rowLines.push(`    const int first${k} = ${below} * ${b.strideH} - ${b.padTop};`);
    below = `first${k}`;
  }
  const body: string[] = [];
  const directInput = first.inRowBytes % ARENA_ALIGNMENT === 0;
  body.push(
    directInput
      ? `    if (first0 >= 0 && first0 + ${first.inRows} <= ${first.inH}) ${fn}_source = ${ctx.input(0)} + first0 * ${first.inRowBytes};
    else {
      ${copyRows}(${buffer(p.inputBuffer[0]!)}, ${ctx.input(0)}, first0, ${first.inRows}, ${first.inH}, ${first.inRowBytes}, ${first.inputZeroPoint});
      ${fn}_source = ${buffer(p.inputBuffer[0]!)};
    }`
      : `    ${copyRows}(${buffer(p.inputBuffer[0]!)}, ${ctx.input(0)}, first0, ${first.inRows}, ${first.inH}, ${first.inRowBytes}, ${first.inputZeroPoint});
    ${fn}_source = ${buffer(p.inputBuffer[0]!)};`,
  );
  p.layers.forEach((b, k) => {
    if (k > 0) body.push(`    ${fillRows}(${buffer(p.inputBuffer[k]!)}, first${k}, ${b.inRows}, ${b.inH}, ${b.inRowBytes}, ${b.inputZeroPoint});`);
    if (k === last && p.outputBuffer === undefined) body.push(`    ${fn}_destination = ${outputTensor} + row * ${lastBand.outRowBytes};`);
    const steady = b.steady;
    if (steady) {
      // keep the rows the next layer's band shares with the band before, compute the rest
      const rowBytes = b.outRowBytes;
      const next = buffer(p.inputBuffer[k + 1]!);
      if (mergedLayers.has(k))
        body.push(`    if (steady) ${move}(${next}, ${next} + ${steady.stepRows * rowBytes}, ${steady.keepRows * rowBytes});
    ${fn}_band${k}(steady);`);
      else
        body.push(`    if (steady) {
      ${move}(${next}, ${next} + ${steady.stepRows * rowBytes}, ${steady.keepRows * rowBytes});
      ${fn}_band${k}s();
    } else {
      ${fn}_band${k}();
    }`);
    } else body.push(`    ${fn}_band${k}();`);
  });
  if (add) {
    // the sum's rows over the skip's: each element is read before it is written, and rows a later
    // band still reads lie at least the overlap gap above
    body.push(`    ${fn}_skip = ${ctx.input(0)} + row * ${add.rowBytes};`);
    body.push(`    ${fn}_destination = ${outputTensor} + row * ${add.rowBytes};`);
    body.push(`    ${fn}_add();`);
  } else if (p.outputBuffer !== undefined)
    body.push(`    ${move}(${outputTensor} + row * ${lastBand.outRowBytes}, ${buffer(p.outputBuffer)}, ${lastBand.outRows * lastBand.outRowBytes});`);
  const pointers = [`static int8_t *${fn}_source;`];
  if (p.outputBuffer === undefined || add) pointers.push(`static int8_t *${fn}_destination;`);
  if (add) pointers.push(`static int8_t *${fn}_skip;`);
  return `/* ${describeParams(p)} */
${pointers.join('\n')}
${subs.join('\n')}
static void ${fn}(void) {
  int band;
  for (band = 0; band < ${p.bands}; band++) {
    /* the last band ends at the last row (it may overlap the one before) */
    const int row = band * ${p.choice.tileRows} < ${p.outH - p.choice.tileRows} ? band * ${p.choice.tileRows} : ${p.outH - p.choice.tileRows};
${cached ? `    /* the band right after the one before: its cached rows are this band's first */\n    const int steady = band > 0 && row == band * ${p.choice.tileRows};\n` : ''}${rowLines.join('\n')}
${body.join('\n')}
  }
}
`;
}

/** One statement of an instance's body: a comment, a `static const` declaration (its type and name), or anything else. */
interface Statement {
  kind: 'comment' | 'decl' | 'other';
  lines: string[];
  type?: string;
  name?: string;
}

/** An instance function's body lines as statements; undefined for anything the merge does not know. */
function statementsOf(body: string[]): Statement[] | undefined {
  const out: Statement[] = [];
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('#')) return undefined;
    if (t.startsWith('/*')) {
      if (!t.endsWith('*/')) return undefined;
      out.push({ kind: 'comment', lines: [line] });
      continue;
    }
    const decl = /^static const ([\w ]+?) (\w+) = (.*)$/.exec(t);
    if (decl) {
      const lines = [line];
      if (decl[3] === '{') {
        while (++i < body.length && body[i]!.trim() !== '};') lines.push(body[i]!);
        if (i >= body.length) return undefined;
        lines.push(body[i]!);
      } else if (!t.endsWith(';')) return undefined;
      out.push({ kind: 'decl', lines, type: decl[1]!, name: decl[2]! });
      continue;
    }
    if (!t.endsWith(';')) return undefined;
    out.push({ kind: 'other', lines: [line] });
  }
  return out;
}

/** A call statement's callee and top-level arguments; undefined if the line is not one call. */
function callOf(line: string): { callee: string; args: string[] } | undefined {
  const m = /^\s*(\w+)\((.*)\);\s*$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  let depth = 0;
  let at = 0;
  const text = m[2]!;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(at, i).trim());
      at = i + 1;
    }
    if (depth < 0) return undefined;
  }
  if (depth !== 0) return undefined;
  args.push(text.slice(at).trim());
  return { callee: m[1]!, args };
}

/** The designated fields `.name = value` of an initializer line, and the line with them taken out. */
function fieldsOf(line: string): { fields: [string, string][]; rest: string } {
  const fields: [string, string][] = [];
  const rest = line.replace(/\.(\w+) = ([^,]+),/g, (_, name: string, value: string) => {
    fields.push([name, value.trim()]);
    return '@,';
  });
  return { fields, rest };
}

/**
 * A row-band layer's band and steady instances (the same kernel on fewer rows from other offsets) as
 * one function taking `steady`: arguments that differ become `steady ? a : b`, and a constant struct
 * whose designated fields differ is copied and its fields patched when steady (after inlining, the
 * fields both instances share stay compile-time constants: a kernel called once keeps its geometry
 * folded as with whole tensors, where two instances passing two structs kept none). Not inlined into
 * the stage loop: the kernel inlined there spilled around it (person_detect M7: 76 B more code, and
 * more instructions). Undefined when the
 * two texts are not the same statements (the stage then keeps both functions).
 */
export function mergeInstances(band: string, steady: string, name: string, steadyName: string): string | undefined {
  const split = (text: string, fnName: string) => {
    const lines = text.replace(/\s+$/, '').split('\n');
    const head = lines.findIndex((l) => l === `static void ${fnName}(void) {`);
    if (
      head < 0 ||
      lines[lines.length - 1] !== '}' ||
      lines.slice(0, head).some((l) => !l.trim().startsWith('/*') && !l.trim().startsWith('*') && l.trim() !== '')
    )
      return undefined;
    const body = statementsOf(lines.slice(head + 1, -1));
    return body && { pre: lines.slice(0, head), body };
  };
  const a = split(band, name);
  const b = split(steady, steadyName);
  if (!a || !b || a.body.length !== b.body.length) return undefined;
  const decls: string[] = [];
  const patches: string[] = [];
  const renamed = new Map<string, string>();
  const statements: string[] = [];
  for (let i = 0; i < a.body.length; i++) {
    const x = a.body[i]!;
    const y = b.body[i]!;
    if (x.kind !== y.kind) return undefined;
    if (x.kind === 'comment') {
      statements.push(...x.lines);
      continue;
    }
    if (x.kind === 'decl') {
      if (x.name !== y.name || x.type !== y.type || x.lines.length !== y.lines.length) return undefined;
      decls.push(...x.lines);
      const sets: string[] = [];
      for (let j = 0; j < x.lines.length; j++) {
        if (x.lines[j] === y.lines[j]) continue;
        // a nested initializer's fields would need their path (`.pw = { .pixels = 64, ... }`)
        if (/[{}]/.test(x.lines[j]!) || /[{}]/.test(y.lines[j]!)) return undefined;
        const fx = fieldsOf(x.lines[j]!);
        const fy = fieldsOf(y.lines[j]!);
        if (j === 0 || fx.rest !== fy.rest || fx.fields.length !== fy.fields.length) return undefined;
        for (let f = 0; f < fx.fields.length; f++) {
          if (fx.fields[f]![0] !== fy.fields[f]![0]) return undefined;
          if (fx.fields[f]![1] !== fy.fields[f]![1]) sets.push(`${x.name}_v.${fy.fields[f]![0]} = ${fy.fields[f]![1]};`);
        }
      }
      if (sets.length > 0) {
        renamed.set(x.name!, `${x.name}_v`);
        patches.push(`  ${x.type} ${x.name}_v = ${x.name};`, `  if (steady) {`, ...sets.map((l) => `    ${l}`), `  }`);
      }
      continue;
    }
    const rename = (line: string) => [...renamed].reduce((l, [from, to]) => l.replace(new RegExp(`\\b${from}\\b`, 'g'), to), line);
    const lx = rename(x.lines[0]!);
    const ly = rename(y.lines[0]!);
    if (lx === ly) {
      statements.push(lx);
      continue;
    }
    const cx = callOf(lx);
    const cy = callOf(ly);
    if (!cx || !cy || cx.callee !== cy.callee || cx.args.length !== cy.args.length) return undefined;
    const indent = /^\s*/.exec(lx)![0];
    const args = cx.args.map((arg, n) => (arg === cy.args[n] ? arg : `(steady ? ${cy.args[n]} : ${arg})`));
    statements.push(`${indent}${cx.callee}(${args.join(', ')});`);
  }
  // the same text twice (no argument or field differs): steady unused
  const uses = patches.length > 0 || statements.some((l) => l.includes('(steady ? '));
  return [
    ...a.pre,
    `static __attribute__((noinline)) void ${name}(int steady) {`,
    ...decls,
    ...patches,
    ...(uses ? [] : ['  (void)steady;']),
    ...statements,
    '}',
    '',
  ].join('\n');
}

function describeParams(p: PatchStageParams): string {
  const kinds = p.layers.map((b) => `${b.original.op.kind} ${b.inRows}->${b.outRows} rows`).join(', ');
  const add = p.add ? `, then ADD with the input rows into the output (over the input)` : '';
  return `row bands: ${p.bands} bands of ${p.choice.tileRows} rows through ${kinds}${add}; ${p.extraMacs} MACs recomputed in the halos`;
}

/**
 * Whether a stage's bands can cache rows: two layers or more, and every band row 16-byte aligned
 * (the steady instances read and write from row offsets inside band buffers and the input tensor).
 */
function cacheable(layers: { inRowBytes: number; outRowBytes: number }[]): boolean {
  return layers.length >= 2 && layers.every((b) => b.inRowBytes % ARENA_ALIGNMENT === 0 && b.outRowBytes % ARENA_ALIGNMENT === 0);
}

/** Output rows per band tried: small bands cost recompute, large ones band buffers. */
const TILE_ROWS = [1, 2, 3, 4, 6, 8, 12, 16];
/**
 * `auto` without a budget takes no stage that recomputes more than this share of the model's MACs:
 * 1-row bands can double a chain's work for the last few hundred bytes (ResNet-8 on the RP2040:
 * -25% arena for +39% cycles). A budget lifts the cap (it asks for the bytes).
 */
export const AUTO_MAX_EXTRA_MACS = 0.1;
/** Stages fully planned (the best by the live-bytes bound); the rest are judged by that bound. */
const PLANNED = 6;

/** The estimated instructions (RP2040: cycles) of one inference (kernel_cost.ts), the default's yardstick. */
export function estimatedInstructions(prepared: PreparedGraph): number {
  const family = isaFamily(prepared.isa);
  return Math.round(prepared.layers.reduce((n, l) => n + (l.isAlias ? 0 : l.macs * layerCostPerMac(l, family)), 0));
}

/**
 * The patch option a compile without `--patch` uses: whole tensors under an explicit `--prefer speed`,
 * else the default policy.
 */
export function defaultPatchOption(prefer: Prefer | undefined): PatchOption {
  return prefer === 'speed' ? 'off' : 'default';
}

export interface PatchOutcome {
  prepared: PreparedGraph;
  plan: MemoryPlan;
  /** arena bytes without a stage */
  before: number;
  stage?: PreparedLayer;
  /** the model's estimated instructions (estimatedInstructions), what a stage's cost is a share of */
  modelInstructions: number;
  /** `default` only: the best stage it weighed and left out, and why */
  declined?: { stage: PatchStageParams; arena: number; reason: string };
}

/** Every band stage the graph admits (chains of 2+ layers, band heights below the output height). */
export function patchCandidates(prepared: PreparedGraph): PatchChoice[] {
  const out: PatchChoice[] = [];
  prepared.layers.forEach((_, start) => {
    const most = patchableChain(prepared, start);
    for (let length = 1; length <= most; length++) {
      const outH = windowOf(prepared.layers[start + length - 1]!).outH;
      const add = fusableAdd(prepared, start, length) !== undefined;
      const rows = prepared.layers.slice(start, start + length).map((l) => {
        const w = windowOf(l);
        return { inRowBytes: w.inW * w.inC, outRowBytes: w.outW * w.outC };
      });
      const caches = cacheable(rows) ? [false, true] : [false];
      for (const tileRows of TILE_ROWS) {
        if (tileRows >= outH) continue;
        for (const cache of caches) {
          const extra = cache ? { cache } : {};
          if (length >= 2) out.push({ start, length, tileRows, ...extra });
          if (add) out.push({ start, length, tileRows, add: true, ...extra });
        }
      }
    }
  });
  return out;
}

/**
 * The graph with a band stage, when one makes the arena smaller than without (`choice` forces one
 * stage). Without `ramBudget`: `auto` takes the smallest arena among stages recomputing at most
 * AUTO_MAX_EXTRA_MACS of the model's MACs, `default` the smallest among those adding at most
 * DEFAULT_MAX_EXTRA_INSTRUCTIONS of its estimated instructions, and only when it saves at least
 * DEFAULT_MIN_ARENA_SAVING of the arena and, given `partRam`, whole tensors take at least
 * DEFAULT_MIN_RAM_SHARE of it (else it says why in `declined`); ties to the cheaper (`auto`: fewer recomputed MACs,
 * `default`: fewer estimated instructions). With it: the stage with
 * the fewest recomputed MACs among those that fit the budget (taller bands recompute less), else
 * the smallest arena. Plans in the memory-optimal op order.
 */
export function planWithPatch(prepared: PreparedGraph, option: PatchOption, base = planMemory(prepared), ramBudget?: number, partRam?: PartRam): PatchOutcome {
  const before = base.plan.arenaBytes;
  const modelInstructions = estimatedInstructions(prepared);
  if (option === 'off') return { ...base, before, modelInstructions };
  if (option !== 'auto' && option !== 'default') {
    const patched = planMemory(applyPatch(prepared, option));
    return { ...patched, before, modelInstructions, stage: patched.prepared.layers.find((l) => l.op.kind === PATCH_STAGE) };
  }
  const maxExtraMacs = AUTO_MAX_EXTRA_MACS * prepared.layers.reduce((n, l) => n + l.macs, 0);
  const maxExtraInstructions = DEFAULT_MAX_EXTRA_INSTRUCTIONS * modelInstructions;
  const affordable = (p: PatchStageParams) =>
    ramBudget !== undefined || (option === 'auto' ? p.extraMacs <= maxExtraMacs : p.extraInstructions <= maxExtraInstructions);
  const bound = (g: PreparedGraph) => {
    const requests = bufferRequests(g);
    return liveBytesLowerBound(requests, ARENA_ALIGNMENT, overlapPairs(g, requests));
  };
  const costOf = (p: PatchStageParams) => (option === 'auto' ? p.extraMacs : p.extraInstructions);
  const ranked = patchCandidates(prepared)
    .map((choice) => {
      const g = applyPatch(prepared, choice);
      const params = g.layers[choice.start]!.params as PatchStageParams;
      return { g, bound: bound(g), params, extra: costOf(params) };
    })
    .filter((c) => c.bound < before && affordable(c.params))
    .sort((a, b) => a.bound - b.bound || a.extra - b.extra);
  // under a budget, the cheapest stages whose bound fits are planned too
  const cheapFits = ramBudget === undefined ? [] : ranked.filter((c) => c.bound <= ramBudget).sort((a, b) => a.extra - b.extra);
  const planned = [...new Set([...ranked.slice(0, PLANNED), ...cheapFits.slice(0, PLANNED)])].map((c) => ({
    ...planMemory(c.g),
    before,
    modelInstructions,
    extra: c.extra,
  }));
  const fits = (o: { plan: MemoryPlan }) => ramBudget !== undefined && o.plan.arenaBytes <= ramBudget;
  let best: (PatchOutcome & { extra: number }) | undefined;
  for (const o of planned) {
    const size = o.plan.arenaBytes;
    if (size >= before) continue;
    const better = !best
      ? true
      : fits(best)
        ? fits(o) && (o.extra < best.extra || (o.extra === best.extra && size < best.plan.arenaBytes))
        : fits(o) || size < best.plan.arenaBytes || (size === best.plan.arenaBytes && o.extra < best.extra);
    if (better) best = { ...o, stage: o.prepared.layers.find((l) => l.op.kind === PATCH_STAGE) };
  }
  if (best && option === 'default' && ramBudget === undefined) {
    const saved = before - best.plan.arenaBytes;
    const reason =
      saved < DEFAULT_MIN_ARENA_SAVING * before
        ? `it saves ${saved.toLocaleString('en-US')} B (${percent(saved, before)}), under the ${100 * DEFAULT_MIN_ARENA_SAVING}% the default asks`
        : partRam && before < DEFAULT_MIN_RAM_SHARE * partRam.bytes
          ? `whole tensors take ${percent(before, partRam.bytes)} of the ${partRam.bytes.toLocaleString('en-US')} B of RAM of ${partRam.board}, ` +
            `the target's smallest part, under the ${100 * DEFAULT_MIN_RAM_SHARE}% where the default pays a stage's instructions and code`
          : undefined;
    if (reason) return { ...base, before, modelInstructions, declined: { stage: best.stage!.params as PatchStageParams, arena: best.plan.arenaBytes, reason } };
  }
  return best ?? { ...base, before, modelInstructions };
}

/** `part` as a percentage of `whole`, one decimal. */
function percent(part: number, whole: number): string {
  return `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0'}%`;
}
