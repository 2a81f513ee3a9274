// SPDX-License-Identifier: Apache-2.0
/** Frames that exercise a fixed-point FFT: random, full scale either way, alternating extremes, zeros, a tone, small values. */
import { randomInt } from './op_harness.ts';

/** A frame of `count` samples of one kind: random, full scale, alternating extremes, zeros, a tone. */
export function samples(kind: string, width: 'int16' | 'int32', count: number, rand: () => number): Int16Array | Int32Array {
  const [lo, hi] = width === 'int16' ? [-32768, 32767] : [-2147483648, 2147483647];
  const out = width === 'int16' ? new Int16Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) {
    if (kind === 'random') out[i] = width === 'int16' ? randomInt(rand, lo, hi) : Math.floor(rand() * 2 ** 32) - 2 ** 31;
    else if (kind === 'max') out[i] = hi;
    else if (kind === 'min') out[i] = lo;
    else if (kind === 'alternating') out[i] = i % 2 ? lo : hi;
    else if (kind === 'tone') out[i] = Math.round(hi * Math.sin((2 * Math.PI * 5 * i) / count));
    else if (kind === 'small') out[i] = randomInt(rand, -3, 3);
  }
  return out;
}

export const FRAME_KINDS = ['random', 'max', 'min', 'alternating', 'zeros', 'tone', 'small'];

/**
 * A float32 frame of `count` samples of one kind: random in [-1, 1), large (to 1e30), tiny (products
 * fall to subnormals), subnormal samples, signed zeros, small integers (exact sums, zeros of both
 * signs), a tone, and magnitudes mixed over 2^-140..2^100. No inf or NaN: a NaN the FFT makes
 * (inf - inf) has other bits on x86 than on Arm.
 */
export function floatSamples(kind: string, count: number, rand: () => number): Float32Array {
  const out = new Float32Array(count);
  const r = () => rand() * 2 - 1;
  for (let i = 0; i < count; i++) {
    if (kind === 'random') out[i] = r();
    else if (kind === 'large') out[i] = r() * 1e30;
    else if (kind === 'tiny') out[i] = r() * 1e-36;
    else if (kind === 'subnormal') out[i] = r() * 1e-40;
    else if (kind === 'zeros') out[i] = i % 3 === 1 ? -0 : 0;
    else if (kind === 'integers') out[i] = randomInt(rand, -3, 3);
    else if (kind === 'tone') out[i] = Math.sin((2 * Math.PI * 5 * i) / count);
    else if (kind === 'mixed') out[i] = (rand() < 0.5 ? -1 : 1) * (1 + rand()) * 2 ** randomInt(rand, -140, 100);
  }
  return out;
}

export const FLOAT_FRAME_KINDS = ['random', 'large', 'tiny', 'subnormal', 'zeros', 'integers', 'tone', 'mixed'];
