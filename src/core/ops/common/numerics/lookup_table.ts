// SPDX-License-Identifier: Apache-2.0
/**
 * Unary int8 -> int8 ops as a 256-entry table. An int8 activation takes only 256 values, so an
 * elementwise op whose output depends on nothing but its input value (LOGISTIC, TANH, HARD_SWISH,
 * LEAKY_RELU, a requantizing RELU...) is fully described by its output for each of them. The table
 * is computed at compile time by the op's bit-exact reference function (TFLite Micro's integer
 * algorithm, run on every possible input), so a lookup gives TFLite Micro's result for every input
 * while the device does one load per element instead of the fixed-point arithmetic.
 */

/** Entry `i` holds f(q) for the input byte i, i.e. q = (int8)i: C indexes it with `(uint8_t)x`. */
export function int8Table(f: (q: number) => number): number[] {
  const table: number[] = [];
  for (let i = 0; i < 256; i++) {
    const value = f(i < 128 ? i : i - 256);
    if (!Number.isInteger(value) || value < -128 || value > 127) throw new Error(`internal: int8 table entry ${i} is ${value}`);
    table.push(value);
  }
  return table;
}

/** The table applied to a whole tensor, as the emitted C does it. */
export function applyInt8Table(table: readonly number[], input: Int8Array, output: Int8Array): void {
  for (let i = 0; i < input.length; i++) output[i] = table[input[i]! & 0xff]!;
}
