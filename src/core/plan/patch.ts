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
 *
 * This file is the transform (which chains qualify, the band geometry, buffers and cost of one
 * stage); the stage op is ops/patch_stage/, the choice of a stage patch_policy.ts.
 */
import type { Op } from '../ir/graph.ts';
import { isConstant } from '../ir/graph.ts';
import { type PreparedGraph, type PreparedLayer, factsOf, withVariant } from '../ops/prepare.ts';
import { selectVariant } from '../ops/variant.ts';
import type { ConvWindowParams } from '../ops/common/families/conv_geometry.ts';
import type { AddParams } from '../ops/add/index.ts';
import {
  type BandLayer,
  type FusedAdd,
  PATCH_STAGE,
  type PatchChoice,
  type PatchStageParams,
  patchStageDef,
  patchStageVariant,
} from '../ops/patch_stage/index.ts';
import { ARENA_ALIGNMENT } from './arena.ts';
import { alignUp } from './lifetimes.ts';
import { layerInstructions } from '../ops/layer_cost.ts';
import { type IsaFamily, isaFamily } from '../ops/op.ts';

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
 * are shared by fewer pixels. On the emulated ESP32-C3 (default stage against whole tensors, less the halo
 * estimate) it is a few percent of the stage's whole-tensor instructions, up to 7% on person_detect.
 * The Arm kernels show none worth pricing.
 */
const BAND_KERNEL_OVERHEAD: Partial<Record<IsaFamily, number>> = { rv32: 0.05 };

/** The window geometry of a conv / depthwise layer (both prepare ConvWindowParams). */
export const windowOf = (l: PreparedLayer) => l.params as ConvWindowParams & { inputOffset: number };

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
  const { graph, layers } = prepared;
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
  const { stageInputs, inputMaps } = stageInputsOf(chain);
  const bandLayers = bandLayersOf(prepared, chain, tileRows, inputMaps);
  const bands = Math.ceil(last.outH / tileRows);
  const lastBand = bandLayers[bandLayers.length - 1]!;
  const cache = !!choice.cache && cacheable(bandLayers);
  if (cache) addSteadyInstances(prepared, bandLayers, tileRows);
  const chainOutput = chain[chain.length - 1]!.op.outputs[0]!;
  const add = addAt === undefined ? undefined : fusedAddOf(prepared, layers[addAt]!, chainOutput, { rows: tileRows, rowBytes: lastBand.outRowBytes });
  // the last layer's rows go to a band buffer when a fused ADD reads them
  const writesInPlace = !add && lastBand.outRowBytes % ARENA_ALIGNMENT === 0;
  const buffers = bandBuffers(bandLayers, cache, writesInPlace);
  const subScratch = buffers.at;
  const scratchBytes =
    buffers.at +
    alignUp(
      Math.max(0, ...bandLayers.map((b) => Math.max(b.band.scratchBytes, b.steady?.band.scratchBytes ?? 0)), add?.band.scratchBytes ?? 0),
      ARENA_ALIGNMENT,
    );
  const macs = chain.reduce((n, l) => n + l.macs, 0) + (add?.original.macs ?? 0);
  const cost = stageCost(prepared, { bandLayers, add, bands, tileRows, outH: last.outH, cache, copiesOutput: buffers.outputBuffer !== undefined });
  const params: PatchStageParams = {
    choice: { ...choice, tileRows, ...(choice.cache ? { cache } : {}) },
    ...(add ? { add } : {}),
    layers: bandLayers,
    intermediates: (add ? chain : chain.slice(0, -1)).map((l) => graph.tensors[l.op.outputs[0]!]!),
    bands,
    outH: last.outH,
    inputBuffer: buffers.inputBuffer,
    outputBuffer: buffers.outputBuffer,
    subScratch,
    scratchBytes,
    overlapGap: cost.overlapGap,
    macs,
    extraMacs: Math.round(cost.executed - macs),
    extraInstructions: cost.extraInstructions,
  };
  const stageOutput = add ? add.original.op.outputs[0]! : chainOutput;
  const op: Op = { index: chain[0]!.op.index, kind: PATCH_STAGE, inputs: stageInputs, outputs: [stageOutput], attrs: {} };
  const variant = patchStageVariant(params);
  const stage: PreparedLayer = {
    position: choice.start,
    op,
    def: patchStageDef,
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

/** `l` on a band: its params for the band's rows, its MACs in proportion, the variant chosen for those params. */
function bandInstance(prepared: PreparedGraph, l: PreparedLayer, params: PreparedLayer['params'], macs: number): PreparedLayer {
  const { isa, prefer, kernels } = prepared;
  return withVariant({ ...l, params, macs }, selectVariant(l.def, params, isa, prefer, kernels), factsOf(prepared));
}

/** The stage's inputs (the chain's input, then every weight, bias and table of its layers) and, per layer, where its op's inputs are among them. */
function stageInputsOf(chain: PreparedLayer[]): { stageInputs: number[]; inputMaps: number[][] } {
  const stageInputs: number[] = [chain[0]!.op.inputs[0]!];
  const inputMaps = chain.map((l) =>
    l.op.inputs.map((t, i) => {
      if (i === 0) return 0;
      if (t < 0) return -1;
      stageInputs.push(t);
      return stageInputs.length - 1;
    }),
  );
  return { stageInputs, inputMaps };
}

/** The chain's layers on bands of `tileRows` rows of the last output. */
function bandLayersOf(prepared: PreparedGraph, chain: PreparedLayer[], tileRows: number, inputMaps: number[][]): BandLayer[] {
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
  return chain.map((l, k) => {
    const w = windowOf(l);
    const params = { ...w, inH: inRows[k]!, outH: outRows[k]!, padTop: 0 };
    return {
      original: l,
      band: bandInstance(prepared, l, params, (l.macs / w.outH) * outRows[k]!),
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
}

/**
 * With a cache, every layer but the last gets its steady instance: it writes only the rows after
 * those the next layer's band keeps from the band before (rows advance by tileRows times the
 * strides below); rows offset in band buffers stay 16-byte aligned.
 */
function addSteadyInstances(prepared: PreparedGraph, bandLayers: BandLayer[], tileRows: number): void {
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
    const band = bandInstance(prepared, l.original, params, (l.original.macs / w.outH) * outRows);
    l.steady = { band, inOffsetRows: l.inRows - inRows, keepRows, stepRows };
  }
}

/** The residual ADD after the chain (whose output is tensor `y`), run on each band's rows of the chain's output. */
function fusedAddOf(prepared: PreparedGraph, original: PreparedLayer, y: number, band: { rows: number; rowBytes: number }): FusedAdd {
  const bandSize = band.rows * band.rowBytes;
  const params = { ...(original.params as AddParams), size: bandSize, loops: [{ extent: bandSize, strideA: 1, strideB: 1 }] };
  return { original, band: bandInstance(prepared, original, params, bandSize), chainInput: original.op.inputs[0] === y ? 0 : 1, rowBytes: band.rowBytes };
}

/**
 * Where each layer's input band is in the stage's scratch, where the last layer's output band is
 * (undefined: written in place), and the bytes they take.
 */
function bandBuffers(bandLayers: BandLayer[], cache: boolean, writesInPlace: boolean): { inputBuffer: number[]; outputBuffer: number | undefined; at: number } {
  const lastBand = bandLayers[bandLayers.length - 1]!;
  if (!cache) {
    // band buffers, ping-pong: layer k reads the band in region k % 2 and writes region (k + 1) % 2;
    // nothing in them outlives a band (halos are recomputed), so two regions hold the whole chain
    const regionBytes = [0, 1].map((parity) => {
      const held = bandLayers.filter((_, k) => k % 2 === parity).map((b) => b.inRows * b.inRowBytes);
      if (!writesInPlace && bandLayers.length % 2 === parity) held.push(lastBand.outRows * lastBand.outRowBytes);
      return alignUp(Math.max(0, ...held), ARENA_ALIGNMENT);
    });
    const regionAt = (parity: number) => (parity === 0 ? 0 : regionBytes[0]!);
    return {
      inputBuffer: bandLayers.map((_, k) => regionAt(k % 2)),
      // the last output band goes through a buffer when its rows are not 16-byte aligned in the tensor
      outputBuffer: writesInPlace ? undefined : regionAt(bandLayers.length % 2),
      at: regionBytes[0]! + regionBytes[1]!,
    };
  }
  // cached rows outlive the band: each inner layer's input has its own buffer; the first layer's
  // copied rows and the last layer's output rows share one (the first layer is done by then)
  const shared = alignUp(
    Math.max(bandLayers[0]!.inRows * bandLayers[0]!.inRowBytes, writesInPlace ? 0 : lastBand.outRows * lastBand.outRowBytes),
    ARENA_ALIGNMENT,
  );
  const inputBuffer = [0];
  let at = shared;
  for (const b of bandLayers.slice(1)) {
    inputBuffer.push(at);
    at += alignUp(b.inRows * b.inRowBytes, ARENA_ALIGNMENT);
  }
  return { inputBuffer, outputBuffer: writesInPlace ? undefined : 0, at };
}

/** A stage's bands as stageCost prices them. */
interface StageBands {
  bandLayers: BandLayer[];
  add: FusedAdd | undefined;
  bands: number;
  tileRows: number;
  outH: number;
  cache: boolean;
  /** the last layer's output rows are copied out of a band buffer */
  copiesOutput: boolean;
}

/**
 * What the stage costs beside its layers: how far its output may lie over its input (the overlap
 * gap), the MACs it executes (halos included), and the cost model's extra instructions.
 */
function stageCost(prepared: PreparedGraph, stage: StageBands): { overlapGap: number; executed: number; extraInstructions: number } {
  const { bandLayers, add, bands, tileRows, outH, cache } = stage;
  const lastBand = bandLayers[bandLayers.length - 1]!;
  // per band: the input rows it reads first, the output rows it writes last (monotone in the band)
  const firstInputRow = (row: number) => bandLayers.reduceRight((r, b) => r * b.strideH - b.padTop, row);
  const bandRow = (band: number) => Math.min(band * tileRows, outH - tileRows);
  let overlapGap = 0;
  for (let band = 0; band + 1 < bands; band++) {
    const written = (bandRow(band) + tileRows) * lastBand.outRowBytes;
    // a fused ADD also reads the next band's own rows of the input (its skip)
    const firstRead = add ? Math.min(firstInputRow(bandRow(band + 1)), bandRow(band + 1)) : firstInputRow(bandRow(band + 1));
    const stillRead = Math.min(Math.max(firstRead, 0), bandLayers[0]!.inH) * bandLayers[0]!.inRowBytes;
    overlapGap = Math.max(overlapGap, written - stillRead);
  }
  // with a cache, the first band and a last band the output height clamps run the full instances
  const fullBands = cache ? Math.min(bands, 1 + (outH % tileRows !== 0 && bands > 1 ? 1 : 0)) : bands;
  const executed =
    bandLayers.reduce((n, b) => n + b.band.macs * fullBands + (b.steady?.band.macs ?? b.band.macs) * (bands - fullBands), 0) +
    (add ? add.band.macs * bands : 0);
  const family = isaFamily(prepared.isa);
  const instructionsOf = (l: PreparedLayer, macs: number) => layerInstructions({ ...l, macs }, prepared.isa, prepared.prefer);
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
    (stage.copiesOutput && !add ? bands * lastBand.outRows * lastBand.outRowBytes : 0);
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
  return { overlapGap, executed, extraInstructions };
}

/**
 * Whether a stage's bands can cache rows: two layers or more, and every band row 16-byte aligned
 * (the steady instances read and write from row offsets inside band buffers and the input tensor).
 */
export function cacheable(layers: { inRowBytes: number; outRowBytes: number }[]): boolean {
  return layers.length >= 2 && layers.every((b) => b.inRowBytes % ARENA_ALIGNMENT === 0 && b.outRowBytes % ARENA_ALIGNMENT === 0);
}
