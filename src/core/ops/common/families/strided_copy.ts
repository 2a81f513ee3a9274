// SPDX-License-Identifier: Apache-2.0
/**
 * The one primitive behind the data-movement ops (TRANSPOSE, SLICE, STRIDED_SLICE, PAD, SPLIT,
 * CONCATENATION, PACK, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE): a nest of loops that copies elements
 * from `src + Σ i_k·srcStride_k` to `dst + Σ i_k·dstStride_k`. Each op describes its movement in this
 * form at compile time; the description is then reduced to the fewest loops (dimensions of extent 1
 * dropped, neighbours that continue each other merged) so a slice of whole rows becomes one memcpy
 * per row and a copy of a whole tensor becomes one memcpy.
 */
import { renderOpTemplate } from '../render.ts';
import type { TensorBuffer } from '../../../ir/buffers.ts';

/** One loop: its trip count and the element strides it advances in the source and destination. */
export interface CopyLoop {
  extent: number;
  src: number;
  dst: number;
}

/** A strided copy, outermost loop first; offsets and strides in elements. */
export interface StridedCopy {
  loops: CopyLoop[];
  srcOffset: number;
  dstOffset: number;
  /** elements copied (0 when some extent is 0) */
  count: number;
}

/** Row-major element strides of a dense tensor. */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/**
 * Describes and simplifies a copy over `extents` (outermost first). Extent-1 loops go; a loop merges
 * into the one inside it when, on both sides, one step of it equals a full run of the inner loop.
 */
export function stridedCopy(
  extents: readonly number[],
  srcStrides: readonly number[],
  dstStrides: readonly number[],
  srcOffset = 0,
  dstOffset = 0,
): StridedCopy {
  const count = extents.reduce((n, e) => n * e, 1);
  if (count === 0) return { loops: [], srcOffset, dstOffset, count: 0 };
  const loops: CopyLoop[] = [];
  extents.forEach((extent, k) => {
    if (extent !== 1) loops.push({ extent, src: srcStrides[k]!, dst: dstStrides[k]! });
  });
  for (let k = loops.length - 2; k >= 0; k--) {
    const outer = loops[k]!;
    const inner = loops[k + 1]!;
    if (outer.src === inner.src * inner.extent && outer.dst === inner.dst * inner.extent) {
      loops.splice(k, 2, { extent: outer.extent * inner.extent, src: inner.src, dst: inner.dst });
    }
  }
  return { loops, srcOffset, dstOffset, count };
}

/** Whether the copy moves `total` elements unchanged from offset 0 to offset 0 (a plain memcpy of everything). */
export function isWholeCopy(copy: StridedCopy, total: number): boolean {
  if (copy.count !== total || copy.srcOffset !== 0 || copy.dstOffset !== 0) return false;
  if (total <= 1) return true;
  return copy.loops.length === 1 && copy.loops[0]!.src === 1 && copy.loops[0]!.dst === 1;
}

/** Runs a copy on typed arrays: what the emitted C does, for checking the loop merging in TS. */
export function applyCopy(copy: StridedCopy, src: TensorBuffer, dst: TensorBuffer): void {
  if (copy.count === 0) return;
  const s = src as unknown as unknown[];
  const d = dst as unknown as unknown[];
  const walk = (k: number, si: number, di: number) => {
    if (k === copy.loops.length) {
      d[di] = s[si];
      return;
    }
    const { extent, src: ss, dst: ds } = copy.loops[k]!;
    for (let i = 0; i < extent; i++) walk(k + 1, si + i * ss, di + i * ds);
  };
  walk(0, copy.srcOffset, copy.dstOffset);
}

const COMMON_DIR = import.meta.dirname;

/**
 * The C block (braced, indented two spaces) that performs `copy` between two pointer expressions
 * of element type `ctype`. A contiguous innermost loop becomes a memcpy.
 */
export function renderCopy(copy: StridedCopy, ctype: string, src: string, dst: string): string {
  const loops = copy.loops;
  const last = loops[loops.length - 1];
  const contiguous = last !== undefined && last.src === 1 && last.dst === 1;
  const looped = contiguous ? loops.slice(0, -1) : loops;
  const index = (side: 'src' | 'dst') =>
    looped
      .map((l, k) => ({ k, s: l[side] }))
      .filter(({ s }) => s !== 0)
      .map(({ k, s }) => (s === 1 ? `i${k}` : `i${k} * ${s < 0 ? `(${s})` : s}`))
      .join(' + ') || '0';
  return renderOpTemplate(COMMON_DIR, 'strided_copy.c.hbs', {
    empty: copy.count === 0,
    ctype,
    src,
    dst,
    srcOffset: copy.srcOffset,
    dstOffset: copy.dstOffset,
    loops: looped.map((l, k) => ({ k, extent: l.extent, pad: '  '.repeat(k) })),
    closers: looped.map((_, k) => ({ line: `${'  '.repeat(looped.length - 1 - k)}}` })),
    bodyPad: '  '.repeat(looped.length),
    loopVars: looped.map((_, k) => `i${k}`).join(', '),
    srcIndex: index('src'),
    dstIndex: index('dst'),
    runBytes: contiguous ? `${last!.extent} * sizeof(${ctype})` : '',
    elements: copy.count,
  }).replace(/\n+$/, '');
}

/** One copy of a data-movement op: from input position `input` to output position `output`. */
export interface Movement {
  input: number;
  output: number;
  copy: StridedCopy;
}

/**
 * Prepared parameters every data-movement op shares, so graph passes can reason about them
 * (an op whose single movement copies everything unchanged is a no-op and becomes an alias).
 */
export interface MovementParams {
  dtype: string;
  ctype: string;
  moves: Movement[];
  /** elements of each output */
  outputElements: number[];
}

/** The op moves every element of its one input to the same place in its one output. */
export function isIdentityMovement(p: MovementParams): boolean {
  return p.moves.length === 1 && p.outputElements.length === 1 && isWholeCopy(p.moves[0]!.copy, p.outputElements[0]!);
}
