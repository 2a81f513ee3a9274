// SPDX-License-Identifier: Apache-2.0
/** Generated palette-weight layers: weights drawing from at most 2^b values per row or per layer. */
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { randomInt } from './op_harness.ts';

/** [rows, columns] int8 weights drawing from at most 2^bits random values per row (or for the layer). */
export function paletteWeights(rand: () => number, rows: number, columns: number, bits: number, perChannel: boolean): Int8Array {
  const pick = () => {
    const values = new Set<number>();
    const want = randomInt(rand, 1, 1 << bits);
    while (values.size < want) values.add(randomInt(rand, -128, 127));
    return [...values];
  };
  let palette = pick();
  const w = new Int8Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    if (perChannel) palette = pick();
    for (let c = 0; c < columns; c++) w[r * columns + c] = palette[randomInt(rand, 0, palette.length - 1)]!;
  }
  return w;
}

/** Each family with the name its palette variant carries. */
export const PALETTE_ISAS: { name: string; isa: KernelIsa | undefined; variant: string }[] = [
  { name: 'portable', isa: undefined, variant: 'palette' },
  { name: 'arm-dsp', isa: { dsp: true }, variant: 'arm-dsp palette' },
  { name: 'armv6m', isa: { dsp: false, armv6m: true }, variant: 'armv6m palette' },
  { name: 'rv32', isa: { dsp: false, rv32: true }, variant: 'rv32 palette' },
];
