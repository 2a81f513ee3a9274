// SPDX-License-Identifier: Apache-2.0
/**
 * Random 16x8 layers for the bounds of common/numerics/int16_requant.h's 32-bit requantization (host tests in
 * common/families/int16_target_variants.test.ts, emulated ones in common/families/int16_emulated.test.ts).
 */
import { randomInt, singleOpGraph } from './op_harness.ts';

/** Mostly -32768, sometimes 32767 or any value. */
function extreme(rand: () => number, lo: number, hi: number): number {
  const r = rand();
  return r < 0.75 ? lo : r < 0.85 ? hi : randomInt(rand, lo, hi);
}

/**
 * A random layer whose channels straddle int16_requant.h's fast / 64-bit boundary: per-channel
 * effective scales 2^-21..2^2 (shifts -20..+2, the 32-bit form covering -17..-1), int64 biases near
 * either int32 limit (sum plus bias on both sides of it) or small, full-range inputs and weights:
 * CONV_2D (k 1-3, 8-24 channels), DEPTHWISE_CONV_2D (multiplier 1) or FULLY_CONNECTED (4-600 inputs).
 */
export function int16BoundaryCase(rand: () => number, k: number) {
  const kind = (['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'] as const)[k % 3]!;
  const outC = randomInt(rand, 4, 12);
  const inScale = 2 ** -12;
  const outScale = 2 ** -3;
  // effective scale inScale * wScale / outScale = 2^e: wScale = 2^e * outScale / inScale
  const wScale = Array.from({ length: outC }, () => 2 ** (-21 + 23 * rand()) * (outScale / inScale));
  const bias = BigInt64Array.from({ length: outC }, () => {
    const r = rand();
    const limit = r < 0.4 ? 2 ** 31 : r < 0.8 ? -(2 ** 31) : 0;
    return BigInt(limit + randomInt(rand, -(2 ** 26), 2 ** 26));
  });
  const input = (n: number) => Int16Array.from({ length: n }, () => extreme(rand, -32768, 32767));
  const weights = (n: number) => Int8Array.from({ length: n }, () => randomInt(rand, -128, 127));
  const biasTensor = { shape: [outC], dtype: 'int64' as const, data: bias };
  if (kind === 'FULLY_CONNECTED') {
    const depth = randomInt(rand, 4, 600);
    const { graph, op } = singleOpGraph(
      kind,
      [
        { shape: [1, depth], dtype: 'int16', scale: inScale, zeroPoint: 0 },
        { shape: [outC, depth], scale: wScale[0]!, zeroPoint: 0, data: weights(outC * depth) },
        biasTensor,
      ],
      [{ shape: [1, outC], dtype: 'int16', scale: outScale, zeroPoint: 0 }],
      { activation: 'NONE', keepNumDims: false },
    );
    return { graph, op, inputs: [input(depth)] };
  }
  const kh = randomInt(rand, 1, 3);
  const kw = randomInt(rand, 1, 3);
  const [h, w] = [randomInt(rand, 3, 6), randomInt(rand, 3, 6)];
  const inC = kind === 'CONV_2D' ? randomInt(rand, 8, 24) : outC;
  const wShape = kind === 'CONV_2D' ? [outC, kh, kw, inC] : [1, kh, kw, outC];
  const { graph, op } = singleOpGraph(
    kind,
    [
      { shape: [1, h, w, inC], dtype: 'int16', scale: inScale, zeroPoint: 0 },
      {
        shape: wShape,
        scale: wScale,
        zeroPoint: wScale.map(() => 0),
        axis: kind === 'CONV_2D' ? 0 : 3,
        data: weights(kind === 'CONV_2D' ? outC * kh * kw * inC : kh * kw * outC),
      },
      biasTensor,
    ],
    [{ shape: [1, h, w, outC], dtype: 'int16', scale: outScale, zeroPoint: 0 }],
    {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'NONE',
      ...(kind === 'DEPTHWISE_CONV_2D' ? { depthMultiplier: 1 } : {}),
    },
  );
  return { graph, op, inputs: [input(h * w * inC)] };
}
