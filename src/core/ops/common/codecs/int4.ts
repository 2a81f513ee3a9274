// SPDX-License-Identifier: Apache-2.0
/**
 * Int4 weight storage on the device: layers whose weights all lie in [-8, 7] keep them
 * packed two a byte in flash, and kernels decode the nibbles in registers (common/codecs/int4_dot.h).
 * The IR still holds one int8 per weight; only the emitted C stores nibbles.
 *
 * Layouts (int4_dot.h explains why):
 * - rows (FULLY_CONNECTED, CONV_2D: one row per output channel): ceil(n / 8) int32 words per row,
 *   word k = values 8k..8k+7, byte j = v[8k + j] | v[8k + j + 4] << 4, zeros past n;
 * - taps (DEPTHWISE_CONV_2D): per output channel its kH*kW taps two a byte, low nibble first
 *   (TFLite's INT4 order), ceil(taps / 2) bytes per channel.
 */
import { fitsInt4 } from '../../../ir/int4.ts';
import { type IsaFamily, type KernelChoices, type PricedFamily, pricingFamily } from '../../op.ts';

export { fitsInt4 };

/** `kernels.int4: false` keeps int4-valued layers on the int8 kernels (to measure both). */
export function int4KernelsEnabled(kernels: KernelChoices = {}): boolean {
  return kernels.int4 !== false;
}

/** Rows longer than this could overflow the DSP kernel's 16x accumulator (int4_dot.h). */
export const INT4_MAX_ROW = 131072 - 1;

/**
 * Whether a layer's weights take the int4 kernels: every value fits a nibble, the rows are short
 * enough, and the packed form (`packedBytes`) is smaller than the int8 weights (until the per-layer
 * chooser weighs bytes against instructions).
 */
export function int4Applies(weights: Int8Array, rowLength: number, packedBytes: number, kernels: KernelChoices = {}): boolean {
  return int4KernelsEnabled(kernels) && weights.length > 0 && rowLength <= INT4_MAX_ROW && packedBytes < weights.length && fitsInt4(weights);
}

export function int4RowWords(rowLength: number): number {
  return Math.ceil(rowLength / 8);
}

/** Weights [rows, rowLength] (row-major int8) as int4_dot.h's packed words, one Int32 each. */
export function packInt4Rows(weights: Int8Array, rows: number, rowLength: number): Int32Array {
  const perRow = int4RowWords(rowLength);
  const words = new Int32Array(rows * perRow);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rowLength; i++) {
      const k = i >> 3;
      const j = i & 7;
      const bit = j < 4 ? 8 * j : 8 * (j - 4) + 4;
      words[r * perRow + k]! |= (weights[r * rowLength + i]! & 0x0f) << bit;
    }
  }
  return words;
}

/** Depthwise weights [1, kH, kW, channels] as one row of kH*kW taps per channel, two a byte. */
export function packInt4Taps(weights: Int8Array, taps: number, channels: number): Uint8Array {
  const perChannel = Math.ceil(taps / 2);
  const bytes = new Uint8Array(channels * perChannel);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < taps; t++) bytes[c * perChannel + (t >> 1)]! |= (weights[t * channels + c]! & 0x0f) << ((t & 1) * 4);
  }
  return bytes;
}

export function int4RowsBytes(rows: number, rowLength: number): number {
  return rows * int4RowWords(rowLength) * 4;
}

/**
 * Estimated instructions of the int4 row kernels (int4_rows.ts) by family: per multiply-accumulate
 * and per output (requantization, loop). Arm DSP measured on the emulated Cortex-M4 with
 * bench/int4.ts (FC 256->64: 34,040 instructions; CONV 1x1 16x16x32->32: 728,880; docs/kernels.md),
 * Armv6-M on the RP2040 (cycles: FC 256->64 190,132) and RV32 on the ESP32-C3 (FC 256->64: 90,126
 * instructions); portable as RV32.
 */
const INT4_PER_MAC: Record<PricedFamily, number> = { 'arm-dsp': 2.0, armv6m: 11.5, rv32: 5.4, portable: 5.4 };
const INT4_PER_OUTPUT: Record<PricedFamily, number> = { 'arm-dsp': 25, armv6m: 40, rv32: 30, portable: 30 };

export function int4RowsInstructions(family: IsaFamily, macs: number, outputs: number): number {
  return Math.round(macs * INT4_PER_MAC[pricingFamily(family)] + outputs * INT4_PER_OUTPUT[pricingFamily(family)]);
}

/** CONV_2D's one-window copy (memcpy or memset per tap): measured about 20 + inC / 4 a tap on the M4. */
export function int4WindowCopyInstructions(pixels: number, taps: number, inC: number): number {
  return Math.round(pixels * taps * (20 + inC / 4));
}
