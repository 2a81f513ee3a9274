// SPDX-License-Identifier: Apache-2.0
/**
 * CONV_2D's RV32IMC variant (the ESP32-C3 class): every int8 layer runs the register-blocked matrix
 * product of common/isa/rv32_matmul.ts (4 pixels x 4 output channels per pass, each loaded byte shared
 * by 4 multiply-accumulates, the input offset folded into per-channel start values, weights re-laid
 * in read order).
 *
 * - 1x1 at stride 1 without padding: the input pixels are already the product's rows.
 * - Every other shape (k x k, strided, dilated, padded, one input channel, grouped): im2col. A block
 *   of 4 output pixels' receptive fields is gathered into scratch as rows of K = kH*kW*filterInC
 *   bytes (kernel rows copied whole when they lie inside the image), padded taps filled with the
 *   input zero point: its byte plus the input offset is 0, so with the offset folded into the starts
 *   a padded tap adds exactly nothing, as the reference kernel's skipped taps. Grouped layers gather
 *   each group's channels into their own rows and run one product per group.
 *
 * Same int32 sums as the portable kernel and the same requantization, so bit-exact with it. The
 * variant covers every int8 CONV_2D the op accepts (`convRv32Applies` is always true).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8, foldedAccumulatorInit, isUniform } from '../common/families/weighted.ts';
import { emitRv32Matmul, rv32Block, rv32MatmulRecords, rv32MatmulWeights, rv32PassFunction, rv32RightOnly, rv32RqFunction } from '../common/isa/rv32_matmul.ts';
import type { Conv2DParams } from './contract.ts';
import { isPointwise, summary } from './describe.ts';
import { gatherFunction } from '../common/families/im2col_gather.ts';
import { rowWindowGap } from '../common/isa/dsp.ts';
import { ortMultipliersFit } from '../common/numerics/requant_f32.ts';

/** Every int8 CONV_2D: pointwise layers directly, the rest through im2col (ONNX Runtime's multipliers: those rv32.h tf_rv32_rq_ort takes). */
export function convRv32Applies(p: Conv2DParams): boolean {
  return ortMultipliersFit(p.ortScale);
}

/** Depth of one product row: a receptive field of one group. */
function fieldBytes(p: Conv2DParams): number {
  return p.kH * p.kW * p.filterInC;
}

/** Pixels per gathered block (the register block's rows). */
function blockPixels(p: Conv2DParams): number {
  return rv32Block(p.batches * p.outH * p.outW, p.outC / p.groups).rows;
}

/** im2col: one block of receptive fields per group; pointwise layers need none. */
export function convRv32ScratchBytes(p: Conv2DParams): number {
  return isPointwise(p) ? 0 : p.groups * blockPixels(p) * fieldBytes(p);
}

function emitIm2col(p: Conv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const depth = fieldBytes(p);
  const perGroup = p.outC / p.groups;
  const pixels = p.batches * p.outH * p.outW;
  const block = rv32Block(pixels, perGroup);
  const c = block.columns;
  const perChannel = !isUniform(p);
  const rightOnly = rv32RightOnly(p);
  // one product per group over its filters (OHWI: a group's rows are consecutive, K in gather order)
  const weightParts: Int8Array[] = [];
  const recordParts: Int32Array[] = [];
  for (let g = 0; g < p.groups; g++) {
    const rows = filter.subarray(g * perGroup * depth, (g + 1) * perGroup * depth);
    const groupBias = bias?.subarray(g * perGroup, (g + 1) * perGroup);
    const start = foldedAccumulatorInit(rows, perGroup, depth, p.inputOffset, groupBias);
    const m = {
      multiplier: p.multiplier.slice(g * perGroup, (g + 1) * perGroup),
      shift: p.shift.slice(g * perGroup, (g + 1) * perGroup),
      ortScale: p.ortScale?.slice(g * perGroup, (g + 1) * perGroup),
    };
    weightParts.push(rv32MatmulWeights(rows, perGroup, depth, c));
    recordParts.push(rv32MatmulRecords(start, m, perGroup, c, perChannel, rightOnly));
  }
  const concat = <T extends Int8Array | Int32Array>(parts: T[], make: (n: number) => T): T => {
    const out = make(parts.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of parts) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  const w = ctx.addConst(
    'w_rv32',
    'int8_t',
    concat(weightParts, (n) => new Int8Array(n)),
  );
  const rec = ctx.addConst(
    'rec_rv32',
    'int32_t',
    concat(recordParts, (n) => new Int32Array(n)),
  );
  const layer = { ...p, rows: pixels, depth, columns: p.outC };
  const fullBlocks = Math.floor(pixels / block.rows);
  const restRows = pixels % block.rows;
  const groupRows = block.rows * depth;
  const fullColumnGroups = Math.floor(perGroup / c);
  const tail = perGroup % c;
  const recordStep = c * (perChannel ? 3 : 1);
  // the product of one gathered block: per group, its column groups (the last one maybe partial)
  const product = (rows: number) => {
    const lines = [`const int8_t *w = ${w};`, `const int32_t *rec = ${rec};`];
    const groupBody = (x: string, out: string) => [
      ...(fullColumnGroups > 0
        ? [
            `for (int n = 0; n < ${fullColumnGroups}; ++n, w += ${c * depth}, rec += ${recordStep}) ${ctx.fnName}_pass${rows}(${x}, w, rec, ${out} + n * ${c}, ${c});`,
          ]
        : []),
      ...(tail ? [`${ctx.fnName}_pass${rows}(${x}, w, rec, ${out} + ${fullColumnGroups * c}, ${tail});`] : []),
      // the next group's tables follow the padded last column group
      ...(tail && p.groups > 1 ? [`w += ${c * depth}, rec += ${recordStep};`] : []),
    ];
    if (p.groups === 1) lines.push(...groupBody('cols', 'out'));
    else {
      lines.push(`for (int g = 0; g < ${p.groups}; ++g) {`);
      lines.push(...groupBody(`cols + g * ${groupRows}`, `out + g * ${perGroup}`).map((l) => `  ${l}`));
      lines.push('}');
    }
    return lines;
  };
  const passes = [block.rows, ...(restRows ? [restRows] : [])].map((rows) => rv32PassFunction(ctx.fnName, rows, layer, c));
  return ctx.render('conv_2d_rv32.c.hbs', {
    fnName: ctx.fnName,
    summary: summary(p),
    how: `im2col of ${block.rows} pixel${block.rows > 1 ? 's' : ''} (K = ${depth}), ${block.rows} x ${c} per pass in registers, weights re-laid in read order`,
    input: ctx.input(0),
    output: ctx.output(0),
    scratch: ctx.scratch(),
    rq: rv32RqFunction(layer, c, ctx),
    gather: gatherFunction(p, ctx.fnName, groupRows),
    passes,
    fullBlocks,
    blockRows: block.rows,
    blockOutput: block.rows * p.outC,
    depth,
    fullProduct: product(block.rows),
    restRows,
    restProduct: restRows ? product(restRows) : [],
    outH: p.outH,
    outW: p.outW,
    inImage: p.inH * p.inW * p.inC,
  });
}

export const convRv32Variant: KernelVariant<Conv2DParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: convRv32Applies,
  scratchBytes: convRv32ScratchBytes,
  // the im2col loop (every layer but 1x1) gathers a block of pixels, in raster order, before it
  // writes the block's outputs: output rows may overwrite input rows no later window reads
  overlap: (p) =>
    isPointwise(p) || p.batches !== 1 ? undefined : { input: 0, gap: rowWindowGap(p.outH, p.outW * p.outC, p.strideH, p.padTop, p.inW * p.inC) },
  ortExact: true,
  emit(p, ctx) {
    if (!isPointwise(p)) return emitIm2col(p, ctx);
    const weights = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
    const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
    return emitRv32Matmul({ ...p, rows: p.batches * p.outH * p.outW, depth: p.inC, columns: p.outC }, weights, bias, ctx, {
      input: ctx.input(0),
      output: ctx.output(0),
      summary: summary(p),
    });
  },
};
