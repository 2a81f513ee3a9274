// SPDX-License-Identifier: Apache-2.0
/**
 * SPACE_TO_DEPTH and DEPTH_TO_SPACE, one data movement in two directions: the checks, the strided
 * copy, the reference loops and the C of both ops.
 */
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { LayerEmitContext } from '../../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from './strided_copy.ts';
import { requireSameDtype, requireShape, shapeComment } from './shape_ops.ts';
import { positiveIntAttr, requireInput, requireOutput, requireRank } from './weighted.ts';

/** SPACE_TO_DEPTH and DEPTH_TO_SPACE: NHWC shapes and the block size. */
export interface BlockParams extends MovementParams {
  inShape: number[];
  outShape: number[];
  block: number;
}

/**
 * The movement for both ops, walking the space side as [b, h, dy, w, dx, c] against the depth side
 * [b, h, w, (dy·bs + dx)·C + c] (TFLite's layout for both directions). `toDepth` says which side is
 * the output.
 */
export function blockParams(graph: Graph, op: Op, toDepth: boolean): BlockParams {
  const input = requireInput(graph, op, 0, 'input');
  const output = requireOutput(graph, op);
  requireSameDtype(op, input, output);
  requireRank(op, input, 'input', 4);
  const block = positiveIntAttr(op, 'block_size', op.attrs.blockSize || undefined);
  const [b, h, w, c] = input.shape as [number, number, number, number];
  let space: number[];
  if (toDepth) {
    if (h % block !== 0 || w % block !== 0) throw new OpError(op.index, op.kind, `input height ${h} and width ${w} must be multiples of block_size ${block}`);
    space = [b, h, w, c];
    requireShape(op, output, 'output', [b, h / block, w / block, c * block * block]);
  } else {
    if (c % (block * block) !== 0) throw new OpError(op.index, op.kind, `input depth ${c} must be a multiple of block_size² = ${block * block}`);
    space = [b, h * block, w * block, c / (block * block)];
    requireShape(op, output, 'output', space);
  }
  const [sb, sh, sw, sc] = space as [number, number, number, number];
  // the space tensor as [b, H/bs, bs, W/bs, bs, c] and the depth tensor's strides for the same walk
  const extents = [sb, sh / block, block, sw / block, block, sc];
  const spaceStrides = denseStrides(extents);
  const depthC = sc * block * block;
  const depthStrides = [(sh / block) * (sw / block) * depthC, (sw / block) * depthC, block * sc, depthC, sc, 1];
  const copy = toDepth ? stridedCopy(extents, spaceStrides, depthStrides) : stridedCopy(extents, depthStrides, spaceStrides);
  return {
    dtype: input.dtype,
    ctype: DTYPE_C[input.dtype],
    moves: [{ input: 0, output: 0, copy }],
    outputElements: [elementCount(output.shape)],
    inShape: [...input.shape],
    outShape: [...output.shape],
    block,
  };
}

/** Depth index of space element (y, x, c) inside its block: (dy·bs + dx)·C + c. */
function depthIndex(y: number, x: number, c: number, block: number, channels: number): number {
  return ((y % block) * block + (x % block)) * channels + c;
}

/** The reference kernel of both, walking the space-side coordinates (TFLite's SpaceToDepth/DepthToSpace loops). */
export function evaluateBlocks(p: BlockParams, input: unknown[], output: unknown[], toDepth: boolean): void {
  const space = toDepth ? p.inShape : p.outShape;
  const depth = toDepth ? p.outShape : p.inShape;
  const [B, H, W, C] = space as [number, number, number, number];
  const [, DH, DW, DC] = depth as [number, number, number, number];
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          const s = ((b * H + y) * W + x) * C + c;
          const d = ((b * DH + Math.floor(y / p.block)) * DW + Math.floor(x / p.block)) * DC + depthIndex(y, x, c, p.block, C);
          if (toDepth) output[d] = input[s];
          else output[s] = input[d];
        }
      }
    }
  }
}

export function emitBlocks(p: BlockParams, ctx: LayerEmitContext): string {
  return ctx.render('../common/families/space_depth.c.hbs', {
    fnName: ctx.fnName,
    kind: ctx.op.kind,
    dtype: p.dtype,
    inShape: shapeComment(p.inShape),
    outShape: shapeComment(p.outShape),
    block: p.block,
    copy: renderCopy(p.moves[0]!.copy, p.ctype, ctx.input(0), ctx.output(0)),
  });
}
