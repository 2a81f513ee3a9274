// SPDX-License-Identifier: Apache-2.0
/**
 * Inputs and weights for float32 layers: values of mixed sign and magnitude (so sums round at every
 * step and the order of accumulation shows), with exact zeros, negative zeros and values past the
 * RELU6 and RELU_N1_TO_1 bounds among them.
 */
export function randomFloats(rand: () => number, count: number, magnitude = 4): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.03) out[i] = 0;
    else if (r < 0.05) out[i] = -0;
    else out[i] = Math.fround((rand() * 2 - 1) * magnitude * 2 ** Math.floor(rand() * 6 - 3));
  }
  return out;
}

/** The fused activations a float layer clamps with. */
export const FLOAT_ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const;
