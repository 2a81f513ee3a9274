// SPDX-License-Identifier: Apache-2.0
/**
 * The row-band stage (plan/patch.ts makes it): a pseudo-op that runs an initial chain of convolutions,
 * and optionally the residual ADD after it, band by band of output rows. Its parameters hold each
 * layer's band instance (an ordinary prepared layer on fewer rows) and where its band buffers lie in
 * the stage's scratch; its reference kernel runs the original layers on whole tensors, and its C is a
 * loop over the bands that calls each layer's band instance, built by that layer's own kernel variant.
 * A layer whose bands after the first reuse cached rows also has a steady instance, merged with the
 * band one from their structured C (merge.ts).
 *
 * Not in the op table (index.ts): no model holds this op; only the planner puts it in a graph.
 */
import type { Tensor } from '../../ir/graph.ts';
import { type TensorBuffer, tensorBuffer } from '../../ir/buffers.ts';
import type { KernelVariant, LayerEmitContext, OpDef } from '../op.ts';
import type { PreparedLayer } from '../prepare.ts';
import { renderOpTemplate } from '../common/render.ts';
import { layerText, printLayer } from '../layer_code.ts';
import { ARENA_ALIGNMENT, alignUp } from '../../ir/alignment.ts';
import { mergeBandInstances } from './merge.ts';

/**
 * A chain of `length` layers from execution position `start`, run in bands of `tileRows` output rows;
 * with `add`, the residual ADD that sums the chain's output with the chain's input is run in the
 * same bands (plan/patch.ts fusableAdd).
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
 * A layer's instance for the bands after the first when the stage caches rows (PatchChoice.cache):
 * the next layer's band buffer keeps its last `keepRows` rows (moved to its top: the rows the next
 * band shares), so this layer computes only the `band.outH` rows after them, from the last rows of
 * its own band input (from `inOffsetRows` on). No halo row is computed twice, except in a last band
 * that the output height clamps (it runs the full instances).
 */
export interface SteadyLayer {
  band: PreparedLayer;
  inOffsetRows: number;
  keepRows: number;
  /** rows the next layer's input advances per band */
  stepRows: number;
}

export interface BandLayer {
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

export const PATCH_STAGE = 'PATCH_STAGE';

/** The stage's layers, band geometry and cost, one line (inspect, compile). */
export function describePatchStage(layer: PreparedLayer): string | undefined {
  if (layer.op.kind !== PATCH_STAGE) return undefined;
  return describeStage(layer.params as PatchStageParams, layer.position);
}

export function describeStage(p: PatchStageParams, position: number): string {
  const kinds = p.layers.map((b) => `${b.original.op.kind}#${b.original.op.index}`).join(' -> ');
  const pct = p.macs > 0 ? ((100 * p.extraMacs) / p.macs).toFixed(1) : '0';
  const add = `${p.add ? ` -> ADD#${p.add.original.op.index} (over its skip input)` : ''}${p.layers.some((b) => b.steady) ? ', shared rows cached' : ''}`;
  return `patch stage (layer ${position}): ${kinds}${add} in ${p.bands} bands of ${p.choice.tileRows} output row${p.choice.tileRows === 1 ? '' : 's'}, band buffers ${p.scratchBytes.toLocaleString('en-US')} B, +${p.extraMacs.toLocaleString('en-US')} MACs recomputed (${pct}% of the chain's)`;
}

export const patchStageDef: OpDef<PatchStageParams> = {
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

/** The stage's kernel: its scratch (the band buffers), its overlap rule and its loop over the bands. */
export function patchStageVariant(p: PatchStageParams): KernelVariant<PatchStageParams> {
  const bands = [...p.layers.map((b) => b.band), ...(p.add ? [p.add.band] : [])];
  const cFiles = [...new Set(bands.flatMap((band) => [...(band.variant.cFiles ?? []), ...(band.variant.layerCFiles?.(band.params) ?? [])]))];
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

/** The C names of the stage's row helpers, one each per model. */
interface BandHelpers {
  copyRows: string;
  fillRows: string;
  move: string;
}

function emitStage(p: PatchStageParams, ctx: LayerEmitContext): string {
  const fn = ctx.fnName;
  const scratch = ctx.scratch();
  const buffer = (offset: number) => `((int8_t *)(${scratch} + ${offset}u))`;
  const helpers: BandHelpers = { copyRows: `${ctx.prefix}_band_copy_rows`, fillRows: `${ctx.prefix}_band_fill_rows`, move: `${ctx.prefix}_band_move` };
  defineBandHelpers(ctx, helpers, p.layers.length > 1);
  const { subs, mergedLayers } = bandFunctions(p, ctx, buffer);
  const rowLines = firstRowLines(p);
  const body = bandBody(p, ctx, { helpers, buffer, mergedLayers });
  const cached = p.layers.some((b) => b.steady);
  const add = p.add;
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

/**
 * The file-scope row helpers every stage shares: the move, the copy of a tensor's rows into a band,
 * and (for a stage of more than one layer: `fills`) the padding of a band's rows outside its tensor.
 */
function defineBandHelpers(ctx: LayerEmitContext, helpers: BandHelpers, fills: boolean): void {
  const { copyRows, fillRows, move } = helpers;
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
  if (fills)
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
}

/**
 * The C of every band layer's function (its band instance, and its steady instance or the one
 * function taking `steady` both merge into) and of the fused ADD's, with the layers that merged.
 */
function bandFunctions(p: PatchStageParams, ctx: LayerEmitContext, buffer: (offset: number) => string): { subs: string[]; mergedLayers: Set<number> } {
  const fn = ctx.fnName;
  const scratch = ctx.scratch();
  const last = p.layers.length - 1;
  // layers whose band and steady instances are one function taking `steady` (merge.ts)
  const mergedLayers = new Set<number>();
  const subs = p.layers.map((b, k) => {
    const sub: LayerEmitContext = {
      ...ctx,
      op: b.original.op,
      fnName: `${fn}_band${k}`,
      input: (i) => (i === 0 ? (k === 0 ? `((int8_t *)${fn}_source)` : buffer(p.inputBuffer[k]!)) : ctx.input(b.inputMap[i]!)),
      output: () => (k < last ? buffer(p.inputBuffer[k + 1]!) : p.outputBuffer !== undefined ? buffer(p.outputBuffer) : `((int8_t *)${fn}_destination)`),
      scratch: () => `(${scratch} + ${p.subScratch}u)`,
      addConst: (suffix, ctype, values, align) => ctx.addConst(`band${k}_${suffix}`, ctype, values, align),
      render: (file, view) => renderOpTemplate(b.original.def.dir, file, view),
    };
    const full = b.band.variant.emit(b.band.params, sub);
    const steady = b.steady;
    if (!steady) return layerText(full);
    const inAt = steady.inOffsetRows * b.inRowBytes;
    const steadySub: LayerEmitContext = {
      ...sub,
      fnName: `${fn}_band${k}s`,
      input: (i) => (i === 0 ? (k === 0 ? `((int8_t *)${fn}_source + ${inAt})` : buffer(p.inputBuffer[k]! + inAt)) : ctx.input(b.inputMap[i]!)),
      output: () => buffer(p.inputBuffer[k + 1]! + steady.keepRows * b.outRowBytes),
      addConst: (suffix, ctype, values, align) => ctx.addConst(`band${k}s_${suffix}`, ctype, values, align),
    };
    const steadyCode = steady.band.variant.emit(steady.band.params, steadySub);
    // kernels emitted as text keep both functions
    const merged = typeof full === 'string' || typeof steadyCode === 'string' ? undefined : mergeBandInstances(full, steadyCode);
    if (merged === undefined) return `${layerText(full)}\n${layerText(steadyCode)}`;
    mergedLayers.add(k);
    return printLayer(merged);
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
      addConst: (suffix, ctype, values, align) => ctx.addConst(`add_${suffix}`, ctype, values, align),
      render: (file, view) => renderOpTemplate(add.original.def.dir, file, view),
    };
    subs.push(layerText(add.band.variant.emit(add.band.params, sub)));
  }
  return { subs, mergedLayers };
}

/** Where each layer's input band starts in its input tensor, from the last layer's output row back. */
function firstRowLines(p: PatchStageParams): string[] {
  const rowLines: string[] = [];
  let below = 'row';
  for (let k = p.layers.length - 1; k >= 0; k--) {
    const b = p.layers[k]!;
    rowLines.push(`    const int first${k} = ${below} * ${b.strideH} - ${b.padTop};`);
    below = `first${k}`;
  }
  return rowLines;
}

/** One band's statements: its input rows in place, each layer run (steady where its rows are cached), the output rows out. */
function bandBody(
  p: PatchStageParams,
  ctx: LayerEmitContext,
  emitted: { helpers: BandHelpers; buffer: (offset: number) => string; mergedLayers: Set<number> },
): string[] {
  const { helpers, buffer, mergedLayers } = emitted;
  const { copyRows, fillRows, move } = helpers;
  const fn = ctx.fnName;
  const last = p.layers.length - 1;
  const first = p.layers[0]!;
  const lastBand = p.layers[last]!;
  const add = p.add;
  const outputTensor = ctx.output(0);
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
  return body;
}

function describeParams(p: PatchStageParams): string {
  const kinds = p.layers.map((b) => `${b.original.op.kind} ${b.inRows}->${b.outRows} rows`).join(', ');
  const add = p.add ? `, then ADD with the input rows into the output (over the input)` : '';
  return `row bands: ${p.bands} bands of ${p.choice.tileRows} rows through ${kinds}${add}; ${p.extraMacs} MACs recomputed in the halos`;
}
