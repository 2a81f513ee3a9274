// SPDX-License-Identifier: Apache-2.0
/**
 * The SMLAD of a half step of the channel-quad routines (common/isa/dsp_conv/quad_run.ts quadRunAsm, bandRunAsm): two
 * pixels by two channel pairs, in the registers both pin. r8 r9 pixel A's and B's column words,
 * r10 r11 the weight words of pairs P and Q (lanes r + 256 s); r0..r3 P's accumulators (r of pixel
 * A, B, then r + 256 s of A, B), r4..r7 Q's. The first SMLAD of each weight word reads its r + 256 s
 * lanes, then SXTB16 leaves the r lanes for the other two.
 */

/** A half step's MACs, each accumulator adding to itself. */
export function quadHalfMacs(): string[] {
  return [
    'smlad r2, r8, r10, r2',
    'smlad r3, r9, r10, r3',
    'sxtb16 r10, r10',
    'smlad r0, r8, r10, r0',
    'smlad r1, r9, r10, r1',
    'smlad r6, r8, r11, r6',
    'smlad r7, r9, r11, r7',
    'sxtb16 r11, r11',
    'smlad r4, r8, r11, r4',
    'smlad r5, r9, r11, r5',
  ];
}

/**
 * A block's first half step, from the starts (r0 start r, r4 start r'): each accumulator's first
 * SMLAD adds to its start instead of a copy of it (no MOV a block), the r lanes' last, so that r0
 * and r4 are read before they are overwritten.
 */
export function quadBlockStartMacs(): string[] {
  return [
    'smlad r2, r8, r10, r0',
    'smlad r3, r9, r10, r0',
    'sxtb16 r10, r10',
    'smlad r1, r9, r10, r0',
    'smlad r0, r8, r10, r0',
    'smlad r6, r8, r11, r4',
    'smlad r7, r9, r11, r4',
    'sxtb16 r11, r11',
    'smlad r5, r9, r11, r4',
    'smlad r4, r8, r11, r4',
  ];
}
