// SPDX-License-Identifier: Apache-2.0
/**
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (TFLite Micro's reference kernels), int8 (the only integer
 * type TFLite Micro's kernels take; float32 aside). The converter wraps dilated convolutions in them.
 * 4-D NHWC tensors with a block [bh, bw] and paddings/crops [[top, bottom], [left, right]], or 3-D
 * NHC tensors (block [bh], the width block taken as 1), as TFLite Micro extends NHC to NH1C.
 *
 * Space to batch: output batch (sh·bw + sw)·B + b holds the pixels (oh·bh + sh − top, ow·bw + sw −
 * left) of input batch b. Surprise matched: the padding is raw 0, NOT the output zero point. The
 * reference kernel memsets padding to params.output_offset, but TFLite Micro's Prepare never sets
 * that field (a persistent buffer the arena hands out zeroed), so an asymmetric int8 model gets
 * padding of real value −scale·zero_point there (checked against tflm-ref).
 * Batch to space is the inverse, dropping the cropped rows and columns.
 *
 * Both are pure data movement: for each block offset (sh, sw) one strided copy over [B, h, w, C] of
 * the rows and columns that land inside, after a fill of the padding (space to batch only).
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_BYTES, DTYPE_C, type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext, OpDef } from '../../op.ts';
import { type StridedCopy, applyCopy, renderCopy, stridedCopy } from './strided_copy.ts';
import { constIndexValues, requireSameDtype, shapeComment, shapeText } from './shape_ops.ts';
import { requireInput, requireOutput, tensorLabel } from './weighted.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';

export interface BatchSpaceParams {
  toBatch: boolean;
  dtype: string;
  ctype: string;
  inShape: number[];
  outShape: number[];
  block: [number, number];
  /** paddings (space to batch) or crops (batch to space): top, left */
  top: number;
  left: number;
  copies: StridedCopy[];
  /** the byte the padding is filled with; absent when nothing is padding */
  fill?: number;
  outputBytes: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

function prepareBatchSpace(graph: Graph, op: Op, toBatch: boolean): BatchSpaceParams {
  const input = requireInput(graph, op, 0, 'input');
  const blockT = requireInput(graph, op, 1, 'block_shape');
  const padT = requireInput(graph, op, 2, toBatch ? 'paddings' : 'crops');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  if (input.dtype !== 'int8' && input.dtype !== 'float32')
    throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is ${input.dtype}; TFLite Micro's ${op.kind} supports int8 and float32`);
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} has rank ${rank}; expected 3 or 4`);
  if (output.shape.length !== rank) throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has rank ${output.shape.length}; expected ${rank}`);
  const spatial = rank - 2;
  const blockValues = constIndexValues(op, blockT, 'block_shape');
  const padValues = constIndexValues(op, padT, toBatch ? 'paddings' : 'crops');
  if (blockValues.length !== spatial || blockValues.some((v) => v < 1)) {
    throw new OpError(op.index, op.kind, `block_shape [${blockValues.join(',')}] must hold ${spatial} positive values`);
  }
  if (padValues.length !== spatial * 2 || padValues.some((v) => v < 0)) {
    throw new OpError(op.index, op.kind, `${toBatch ? 'paddings' : 'crops'} [${padValues.join(',')}] must hold ${spatial * 2} non-negative values`);
  }
  // NHC -> NH1C with a width block of 1
  const ext = (s: number[]) => (rank === 4 ? [...s] : [s[0]!, s[1]!, 1, s[2]!]);
  const [bh, bw] = [blockValues[0]!, rank === 4 ? blockValues[1]! : 1];
  const [top, bottom, left, right] = [padValues[0]!, padValues[1]!, rank === 4 ? padValues[2]! : 0, rank === 4 ? padValues[3]! : 0];
  const inS = ext(input.shape);
  const [IB, IH, IW, C] = inS as [number, number, number, number];
  let expected: number[];
  if (toBatch) {
    const ph = IH + top + bottom,
      pw = IW + left + right;
    if (ph % bh !== 0 || pw % bw !== 0) throw new OpError(op.index, op.kind, `padded size ${ph}x${pw} is not a multiple of the block ${bh}x${bw}`);
    expected = [IB * bh * bw, ph / bh, pw / bw, C];
  } else {
    if (IB % (bh * bw) !== 0) throw new OpError(op.index, op.kind, `input batch ${IB} is not a multiple of the block ${bh}x${bw}`);
    const oh = IH * bh - top - bottom,
      ow = IW * bw - left - right;
    if (oh < 1 || ow < 1) throw new OpError(op.index, op.kind, `crops [${padValues.join(',')}] remove the whole output`);
    expected = [IB / (bh * bw), oh, ow, C];
  }
  const outS = ext(output.shape);
  if (outS.some((d, k) => d !== expected[k])) {
    throw new OpError(
      op.index,
      op.kind,
      `output ${tensorLabel(output)} has shape ${shapeText(output.shape)}; expected ${shapeText(rank === 4 ? expected : [expected[0]!, expected[1]!, expected[3]!])}`,
    );
  }
  const [OB, OH, OW] = outS as [number, number, number, number];
  // the space side [B, H, W, C] and the batch side [bh·bw·B, h, w, C]
  const [B, SH, SW] = toBatch ? [IB, IH, IW] : [OB, OH, OW];
  const [h, w] = toBatch ? [OH, OW] : [IH, IW];
  const copies: StridedCopy[] = [];
  let covered = 0;
  for (let sh = 0; sh < bh; sh++) {
    for (let sw = 0; sw < bw; sw++) {
      // batch-side rows y with 0 <= y·bh + sh − top < SH, columns likewise
      const y0 = Math.max(0, ceilDiv(top - sh, bh));
      const y1 = Math.min(h, Math.floor((SH - 1 + top - sh) / bh) + 1);
      const x0 = Math.max(0, ceilDiv(left - sw, bw));
      const x1 = Math.min(w, Math.floor((SW - 1 + left - sw) / bw) + 1);
      if (y1 <= y0 || x1 <= x0) continue;
      const extents = [B, y1 - y0, x1 - x0, C];
      const batchStrides = [h * w * C, w * C, C, 1];
      const batchOffset = (sh * bw + sw) * B * h * w * C + (y0 * w + x0) * C;
      const spaceStrides = [SH * SW * C, bh * SW * C, bw * C, 1];
      const spaceOffset = ((y0 * bh + sh - top) * SW + (x0 * bw + sw - left)) * C;
      copies.push(
        toBatch
          ? stridedCopy(extents, spaceStrides, batchStrides, spaceOffset, batchOffset)
          : stridedCopy(extents, batchStrides, spaceStrides, batchOffset, spaceOffset),
      );
      covered += elementCount(extents);
    }
  }
  const outputElements = elementCount(output.shape);
  return {
    toBatch,
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    inShape: [...input.shape],
    outShape: [...output.shape],
    block: [bh, bw],
    top,
    left,
    copies,
    ...(covered < outputElements ? { fill: 0 } : {}),
    outputBytes: outputElements * DTYPE_BYTES[input.dtype],
  };
}

export function batchSpaceOp(kind: 'SPACE_TO_BATCH_ND' | 'BATCH_TO_SPACE_ND', dir: string): OpDef<BatchSpaceParams> {
  const toBatch = kind === 'SPACE_TO_BATCH_ND';
  return {
    kind,
    dir,
    // copies stored values: float32 layers run the same C
    floatKernel: true,
    check(graph, op) {
      prepareBatchSpace(graph, op, toBatch);
    },
    prepare: (graph, op) => prepareBatchSpace(graph, op, toBatch),
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const out = outputs[0]!;
      if (p.fill !== undefined) new Uint8Array(out.buffer, out.byteOffset, out.byteLength).fill(p.fill);
      for (const c of p.copies) applyCopy(c, inputs[0] as TensorBuffer, out);
    },
    emitC(p, ctx: LayerEmitContext) {
      const copies = p.copies.map((c) => renderCopy(c, p.ctype, ctx.input(0), ctx.output(0))).join('\n');
      const fill =
        p.fill === undefined ? '' : `  memset(${ctx.output(0)}, ${p.fill}, ${p.outputBytes}); /* padding: raw 0, as TFLite Micro (not the zero point) */\n`;
      return (
        `/* ${kind} ${p.dtype} [${shapeComment(p.inShape)}] -> [${shapeComment(p.outShape)}], block ${p.block.join('x')}, ${toBatch ? 'paddings' : 'crops'} top ${p.top} left ${p.left}, 0 MACs */\n` +
        `static void ${ctx.fnName}(void) {\n${fill}${copies}\n}\n`
      );
    },
  };
}
