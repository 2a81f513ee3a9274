// SPDX-License-Identifier: Apache-2.0
/** Random cases for SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND tests and fuzzing. Test-only. */
import { randomInt, randomInt8, singleOpGraph } from './op_harness.ts';
import type { CCase } from './op_harness.ts';
import { count, pick } from '../fuzz/draw.ts';

export interface BatchSpaceShape {
  inShape: number[];
  outShape: number[];
  block: number[];
  pads: number[];
}

/** A valid random geometry; rank 3 (NHC) one time in four. */
export function randomBatchSpace(rand: () => number, toBatch: boolean, channels: readonly number[] = [1, 2, 3, 5, 7]): BatchSpaceShape {
  const rank = rand() < 0.25 ? 3 : 4;
  const B = randomInt(rand, 1, 2);
  const C = pick(rand, channels);
  const bh = randomInt(rand, 1, 3),
    bw = rank === 4 ? randomInt(rand, 1, 3) : 1;
  const h = randomInt(rand, 1, 4),
    w = rank === 4 ? randomInt(rand, 1, 4) : 1;
  // the batch side is [B·bh·bw, h, w, C]; the space side h·bh − top − bottom rows
  const split = (total: number) => {
    const cut = randomInt(rand, 0, Math.min(total - 1, 3));
    const a = randomInt(rand, 0, cut);
    return [a, cut - a];
  };
  const [top, bottom] = split(h * bh);
  const [left, right] = rank === 4 ? split(w * bw) : [0, 0];
  const space = [B, h * bh - top! - bottom!, w * bw - left! - right!, C];
  const batch = [B * bh * bw, h, w, C];
  const drop = (s: number[]) => (rank === 4 ? s : [s[0]!, s[1]!, s[3]!]);
  const block = rank === 4 ? [bh, bw] : [bh];
  const pads = rank === 4 ? [top!, bottom!, left!, right!] : [top!, bottom!];
  return toBatch ? { inShape: drop(space), outShape: drop(batch), block, pads } : { inShape: drop(batch), outShape: drop(space), block, pads };
}

export function batchSpaceGraph(kind: string, s: BatchSpaceShape, q = { scale: 0.05, zeroPoint: -7 }) {
  const spatial = s.block.length;
  return singleOpGraph(
    kind,
    [
      { shape: s.inShape, ...q },
      { shape: [spatial], dtype: 'int32', data: Int32Array.from(s.block) },
      { shape: [spatial, 2], dtype: 'int32', data: Int32Array.from(s.pads) },
    ],
    [{ shape: s.outShape, ...q }],
  );
}

export function batchSpaceCases(kind: string, rand: () => number, n: number): Omit<CCase, 'def'>[] {
  return Array.from({ length: n }, () => {
    const s = randomBatchSpace(rand, kind === 'SPACE_TO_BATCH_ND');
    const q = { scale: 0.01 + rand(), zeroPoint: randomInt(rand, -128, 127) };
    return { ...batchSpaceGraph(kind, s, q), inputs: [randomInt8(rand, count(s.inShape))] };
  });
}
