// SPDX-License-Identifier: Apache-2.0
/**
 * A depthwise filter [1][kh][kw][C] (tap-major: the C channels of tap t at t·C) read channel by
 * channel, [C][kh·kw]: each channel's taps together. With one input channel this is CONV_2D's OHWI
 * [C][kh][kw][1], which the kernels running such a layer as a convolution take; the others read a
 * channel's taps as one row (accumulator bounds, folded starts).
 */
export function channelMajor(filter: Int8Array, channels: number): Int8Array {
  const taps = filter.length / channels;
  const out = new Int8Array(filter.length);
  for (let c = 0; c < channels; c++) for (let t = 0; t < taps; t++) out[c * taps + t] = filter[t * channels + c]!;
  return out;
}
