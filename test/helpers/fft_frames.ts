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
