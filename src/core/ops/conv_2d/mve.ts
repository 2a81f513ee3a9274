// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's Arm MVE variant (Cortex-M55, Cortex-M85): every int8 layer runs the VMLADAVA matrix
 * product of common/isa/mve_matmul.ts (2 pixels x 4 output channels per pass, each loaded vector
 * shared by 2 or 4 multiply-accumulate instructions, the input offset folded into per-channel starts,
 * weights re-laid in read order, K's tail under a predicate).
 *
 * - 1x1 at stride 1 without padding, and a lone pixel whose window is the whole input: the input
 *   pixels (batches) are already the product's rows.
 * - Every other shape (k x k, strided, dilated, padded, grouped): im2col. The receptive fields of 2
 *   output pixels are gathered into scratch as rows of K = kH*kW*filterInC bytes (conv_2d/rv32.ts's
 *   gather: kernel rows copied whole where they lie inside the image), padded taps filled with the
 *   input zero point, whose byte plus the input offset is 0: with the offset folded into the starts a
 *   padded tap adds exactly nothing, as the reference's skipped taps. Grouped layers gather each
 *   group's channels into their own rows and run one product per group.
 *
 * The variant covers every int8 CONV_2D the op accepts.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, foldedAccumulatorInit, isUniform } from '../common/families/weighted.ts';
import { emitMveMatmul, mveBlock, mveGroupCalls, mveHow, mveMatmulRecords, mveMatmulWeights, mvePasses, mveRequant } from '../common/isa/mve_matmul.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';
import { rowWindowGap } from '../common/isa/dsp.ts';
import { gatherFunction } from '../common/families/im2col_gather.ts';
import { isFullWindow } from './as_fc.ts';

/** Layers whose input pixels (or batches) are the product's rows as they lie in memory. */
function isDirect(p: Conv2DParams): boolean {
  return isPointwise(p) || isFullWindow(p);
}

/** Depth of one product row: a receptive field of one group. */
function fieldBytes(p: Conv2DParams): number {
  return p.kH * p.kW * p.filterInC;
}

function blockPixels(p: Conv2DParams): number {
  return mveBlock(p.batches * p.outH * p.outW).rows;
}

/** im2col: one block of receptive fields per group; direct layers need none. */
export function convMveScratchBytes(p: Conv2DParams): number {
  return isDirect(p) ? 0 : p.groups * blockPixels(p) * fieldBytes(p);
}

function concat<T extends Int8Array | Int32Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of parts) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function emitIm2col(p: Conv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const depth = fieldBytes(p);
  const perGroup = p.outC / p.groups;
  const pixels = p.batches * p.outH * p.outW;
  const block = mveBlock(pixels);
  const group = block.columns;
  const layer = { ...p, rows: pixels, depth, columns: p.outC };
  const rq = mveRequant(layer);
  // one product per group over its filters (OHWI: a group's filters are consecutive, K in gather order)
  const weightParts: Int8Array[] = [];
  const startParts: Int32Array[] = [];
  const recordParts: Int32Array[] = [];
  for (let g = 0; g < p.groups; g++) {
    const rows = filter.subarray(g * perGroup * depth, (g + 1) * perGroup * depth);
    startParts.push(foldedAccumulatorInit(rows, perGroup, depth, p.inputOffset, bias?.subarray(g * perGroup, (g + 1) * perGroup)));
    weightParts.push(mveMatmulWeights(rows, perGroup, depth, group));
    // every group's records from a whole quad, in the layer's layout (with left shifts if any group has one)
    const m = { multiplier: p.multiplier.slice(g * perGroup, (g + 1) * perGroup), shift: p.shift.slice(g * perGroup, (g + 1) * perGroup) };
    if (rq.perChannel) recordParts.push(mveMatmulRecords(m, perGroup, rq.fields));
  }
  const w = ctx.addConst(
    'w_mve',
    'int8_t',
    concat(weightParts, (n) => new Int8Array(n)),
  );
  const start = ctx.addConst(
    'start',
    'int32_t',
    concat(startParts, (n) => new Int32Array(n)),
  );
  const records = rq.perChannel
    ? ctx.addConst(
        'rq',
        'int32_t',
        concat(recordParts, (n) => new Int32Array(n)),
      )
    : undefined;
  const groupRows = block.rows * depth;
  const product = (rows: number) => {
    const lines = [`const int8_t *w = ${w};`, `const int32_t *start = ${start};`, ...(records ? [`const int32_t *rq = ${records};`] : [])];
    if (p.groups === 1) lines.push(...mveGroupCalls({ fnName: ctx.fnName, rows, group, columns: perGroup, rq, x: 'cols', out: 'out' }));
    else {
      lines.push(`for (int g = 0; g < ${p.groups}; ++g) {`);
      lines.push(
        ...mveGroupCalls({ fnName: ctx.fnName, rows, group, columns: perGroup, rq, x: `cols + g * ${groupRows}`, out: `out + g * ${perGroup}` }).map(
          (l) => `  ${l}`,
        ),
      );
      lines.push('}');
    }
    return lines;
  };
  const fullBlocks = Math.floor(pixels / block.rows);
  const restRows = pixels % block.rows;
  return ctx.render('conv_2d_mve.c.hbs', {
    fnName: ctx.fnName,
    summary: summary(p),
    how: `im2col of ${block.rows} pixel${block.rows > 1 ? 's' : ''}, ${mveHow(block, depth)}`,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    gather: gatherFunction(p, ctx.fnName, groupRows),
    passes: mvePasses({ fnName: ctx.fnName, rows: pixels, group, blockRows: block.rows, columns: perGroup, depth, outStride: p.outC, rq }),
    fullBlocks,
    blockRows: block.rows,
    blockOutput: block.rows * p.outC,
    depth,
    fullProduct: fullBlocks ? product(block.rows) : [],
    restRows,
    restProduct: restRows ? product(restRows) : [],
    outH: p.outH,
    outW: p.outW,
    inImage: p.inH * p.inW * p.inC,
  });
}

export const convMveVariant: KernelVariant<Conv2DParams> = {
  name: 'arm-mve',
  family: 'arm-mve',
  applies: () => true,
  scratchBytes: convMveScratchBytes,
  // the im2col loop gathers a block of pixels, in raster order, before it writes the block's
  // outputs: output rows may overwrite input rows no later window reads
  overlap: (p) => (isDirect(p) || p.batches !== 1 ? undefined : { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) }),
  emit(p, ctx) {
    if (!isDirect(p)) return emitIm2col(p, ctx);
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    const depth = p.kH * p.kW * p.inC;
    const rows = p.batches * p.outH * p.outW;
    return emitMveMatmul({ ...p, rows, depth, columns: p.outC }, weights, bias, ctx, {
      input: ctx.input(0),
      output: ctx.output(0),
      summary: `${summary(p)}${isPointwise(p) ? '' : ' (one pixel, the window the whole input)'}`,
    });
  },
};
