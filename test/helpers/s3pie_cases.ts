// SPDX-License-Identifier: Apache-2.0
/**
 * The edge cases of the ESP32-S3 PIE checks (test/helpers/s3pie.ts): every instruction
 * xtensa_s3_simd.h models, on int8 extremes, sums that leave ACCX's 40 bits and QACC's 20-bit
 * lanes, misaligned pointers and the largest pointer steps each instruction encodes.
 */
import type { PieCase, Step } from './s3pie.ts';

const fill = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const bytes16 = (f: (i: number) => number) => fill(16, f);

/** a pseudo-random byte pattern (an LCG's high byte) */
function pattern(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return fill(n, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 24;
  });
}

/** QACC read back: its four stores to `block` (64 bytes: QACC_L's 20 at 0, QACC_H's at 32), then the block */
export function qaccReadBack(block: string): Step[] {
  return [
    { op: 'stQacc', which: 'l.l.128', block, offset: 0, step: 16 },
    { op: 'stQacc', which: 'l.h.32', block, offset: 16, step: 4 },
    { op: 'stQacc', which: 'h.l.128', block, offset: 32, step: 16 },
    { op: 'stQacc', which: 'h.h.32', block, offset: 48, step: 0 },
    { op: 'dump', block },
  ];
}

/** The ten WUR.QACC words that give the 16 lanes (20 bits each, lane i of a half at bit 20 i). */
export function qaccWords(lanes: number[]): number[] {
  const half = (l: number[]) => {
    let bits = 0n;
    l.forEach((v, i) => (bits |= BigInt(v & 0xfffff) << BigInt(20 * i)));
    return fill(5, (i) => Number((bits >> BigInt(32 * i)) & 0xffffffffn) | 0);
  };
  return [...half(lanes.slice(0, 8)), ...half(lanes.slice(8))];
}

const SCRATCH = fill(64, () => 0x5a);
const NEG = bytes16(() => -128);
const POS = bytes16(() => 127);

export const PIE_CASES: PieCase[] = [
  {
    name: 'EE.VLD.128.IP: aligned and misaligned addresses, steps 0, +-16, 2032, -2048',
    blocks: { big: pattern(4096, 11) },
    steps: [
      { op: 'vld', q: 0, block: 'big', offset: 2048, step: 16 },
      { op: 'dumpQ', q: 0 },
      { op: 'vld', q: 1, block: 'big', offset: 2049, step: -16 },
      { op: 'dumpQ', q: 1 },
      { op: 'vld', q: 2, block: 'big', offset: 2063, step: 2032 },
      { op: 'dumpQ', q: 2 },
      { op: 'vld', q: 3, block: 'big', offset: 2056, step: -2048 },
      { op: 'dumpQ', q: 3 },
      { op: 'vld', q: 7, block: 'big', offset: 2047, step: 0 },
      { op: 'dumpQ', q: 7 },
      { op: 'vld', q: 4, block: 'big', offset: 4095, step: 0 },
      { op: 'dumpQ', q: 4 },
      { op: 'dumpQ', q: 0 },
    ],
  },
  {
    name: 'EE.VMULAS.S8.ACCX: int8 extremes, RUR.ACCX_0 and ACCX bits 39..32',
    blocks: {
      a: bytes16((i) => (i % 2 ? -128 : 127)),
      b: bytes16((i) => (i < 8 ? -128 : i - 8)),
      r: pattern(16, 3),
    },
    steps: [
      { op: 'zeroAccx' },
      { op: 'vld', q: 0, block: 'a', offset: 0, step: 0 },
      { op: 'vld', q: 5, block: 'b', offset: 0, step: 0 },
      { op: 'vld', q: 6, block: 'r', offset: 0, step: 0 },
      { op: 'vmulasAccx', qx: 0, qy: 5 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 0, qy: 0 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 6, qy: 0 },
      { op: 'vmulasAccx', qx: 5, qy: 6 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'zeroAccx' },
      { op: 'vmulasAccx', qx: 6, qy: 0 },
      { op: 'vmulasAccx', qx: 0, qy: 5 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
    ],
  },
  {
    name: 'EE.VMULAS.S8.ACCX: a sum past 2^31 keeps its bits 39..32 (8193 x 16 x -128 x -128)',
    blocks: { n: NEG },
    steps: [
      { op: 'zeroAccx' },
      { op: 'vld', q: 2, block: 'n', offset: 0, step: 0 },
      { op: 'vmulasAccx', qx: 2, qy: 2, times: 8193 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
    ],
  },
  {
    name: 'EE.VMULAS.S8.ACCX: a sum of 2^39 (2^21 x 16 x -128 x -128) saturates to 2^39 - 1',
    blocks: { n: NEG, p: POS },
    steps: [
      { op: 'zeroAccx' },
      { op: 'vld', q: 2, block: 'n', offset: 0, step: 0 },
      { op: 'vld', q: 3, block: 'p', offset: 0, step: 0 },
      { op: 'vmulasAccx', qx: 2, qy: 2, times: 2097151 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 2, qy: 2 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 2, qy: 3 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
    ],
  },
  {
    name: 'EE.VMULAS.S8.ACCX: a sum below -2^39 (2113666 x 16 x -128 x 127) saturates',
    blocks: { n: NEG, p: POS },
    steps: [
      { op: 'zeroAccx' },
      { op: 'vld', q: 2, block: 'n', offset: 0, step: 0 },
      { op: 'vld', q: 3, block: 'p', offset: 0, step: 0 },
      { op: 'vmulasAccx', qx: 2, qy: 3, times: 2113665 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 3, qy: 2 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'vmulasAccx', qx: 2, qy: 2 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
    ],
  },
  {
    name: 'EE.VMULAS.S8.ACCX.LD.IP: multiplies the old registers, then loads; misaligned, steps 496 and -512',
    blocks: { x: pattern(1536, 5) },
    steps: [
      { op: 'zeroAccx' },
      { op: 'vld', q: 1, block: 'x', offset: 512, step: 0 },
      { op: 'vmulasAccxLd', qu: 1, block: 'x', offset: 531, step: 496, qx: 1, qy: 1 },
      { op: 'rurAccx0' },
      { op: 'dumpQ', q: 1 },
      { op: 'vmulasAccxLd', qu: 2, block: 'x', offset: 512, step: -512, qx: 1, qy: 1 },
      { op: 'rurAccx0' },
      { op: 'dumpQ', q: 2 },
      { op: 'vmulasAccxLd', qu: 3, block: 'x', offset: 1023, step: 0, qx: 2, qy: 1 },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'dumpQ', q: 3 },
    ],
  },
  {
    name: 'EE.VMULAS.S8.QACC: lane i of QACC gets qx[i] x qy[i]; EE.ST.QACC_* lay the lanes out',
    blocks: { a: bytes16((i) => i * 17 - 128), b: bytes16((i) => 127 - i * 13), acc: SCRATCH },
    steps: [
      { op: 'zeroQacc' },
      { op: 'vld', q: 0, block: 'a', offset: 0, step: 0 },
      { op: 'vld', q: 1, block: 'b', offset: 0, step: 0 },
      { op: 'vmulasQacc', qx: 0, qy: 1, times: 3 },
      ...qaccReadBack('acc'),
      { op: 'vmulasQacc', qx: 0, qy: 0 },
      ...qaccReadBack('acc'),
    ],
  },
  {
    name: 'EE.VMULAS.S8.QACC: lanes at 2^19 - 1 and -2^19 saturate',
    blocks: { n: NEG, m: bytes16((i) => (i < 8 ? -128 : 127)), acc: SCRATCH },
    steps: [
      { op: 'zeroQacc' },
      { op: 'vld', q: 4, block: 'n', offset: 0, step: 0 },
      { op: 'vld', q: 5, block: 'm', offset: 0, step: 0 },
      { op: 'vmulasQacc', qx: 4, qy: 5, times: 31 },
      ...qaccReadBack('acc'),
      { op: 'vmulasQacc', qx: 4, qy: 5 },
      ...qaccReadBack('acc'),
      { op: 'vmulasQacc', qx: 4, qy: 5 },
      ...qaccReadBack('acc'),
    ],
  },
  {
    name: 'WUR.QACC and EE.VMULAS.S8.QACC: extreme lanes read back sign-extended and saturate',
    blocks: { one: bytes16((i) => (i % 4 === 0 ? 1 : i % 4 === 1 ? -1 : 0)), u: bytes16(() => 1), acc: SCRATCH },
    steps: [
      { op: 'setQacc', words: qaccWords([524287, -524288, -1, 0, 1, 0x55555, -0x55556, 0x12345, -524288, 524287, 7, -7, 0x7abcd, -0x7abcd, 0, -1]) },
      ...qaccReadBack('acc'),
      { op: 'vld', q: 6, block: 'u', offset: 0, step: 0 },
      { op: 'vld', q: 7, block: 'one', offset: 0, step: 0 },
      { op: 'vmulasQacc', qx: 6, qy: 7 },
      ...qaccReadBack('acc'),
      { op: 'vmulasQacc', qx: 7, qy: 7 },
      ...qaccReadBack('acc'),
    ],
  },
  {
    name: 'EE.ST.QACC_*: the 128-bit stores ignore an address low four bits, the 32-bit ones its low two; steps',
    blocks: { acc: fill(128, () => 0x5a) },
    steps: [
      { op: 'setQacc', words: [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, 0x13121110, 0x23222120, 0x27262524, 0x2b2a2928, 0x2f2e2d2c, 0x33323130] },
      { op: 'stQacc', which: 'l.l.128', block: 'acc', offset: 5, step: 2032 - 1920 },
      { op: 'stQacc', which: 'l.h.32', block: 'acc', offset: 19 + 64, step: -64 },
      { op: 'stQacc', which: 'h.l.128', block: 'acc', offset: 47, step: -32 },
      { op: 'stQacc', which: 'h.h.32', block: 'acc', offset: 51 + 64, step: -4 },
      { op: 'stQacc', which: 'l.h.32', block: 'acc', offset: 124, step: 0 },
      { op: 'dump', block: 'acc' },
    ],
  },
  {
    name: 'EE.ZERO.ACCX and EE.ZERO.QACC clear every bit',
    blocks: { n: NEG, acc: SCRATCH },
    steps: [
      { op: 'vld', q: 0, block: 'n', offset: 0, step: 0 },
      { op: 'vmulasAccx', qx: 0, qy: 0, times: 9000 },
      { op: 'zeroAccx' },
      { op: 'rurAccx0' },
      { op: 'accx1' },
      { op: 'setQacc', words: fill(10, () => -1) },
      { op: 'vmulasQacc', qx: 0, qy: 0 },
      { op: 'zeroQacc' },
      ...qaccReadBack('acc'),
    ],
  },
];

/** Cases the model cannot run: an emulator fault beside what the silicon does. */
export const PIE_EMULATOR_ONLY: PieCase[] = [
  {
    name: 'EE.VMULAS.U8.QACC: 17 x 255 x 255 (the silicon saturates every lane to 0xfffff: espressif/qemu#165)',
    emulatorOnly: true,
    blocks: { ff: bytes16(() => 255), acc: SCRATCH },
    steps: [{ op: 'zeroQacc' }, { op: 'vld', q: 0, block: 'ff', offset: 0, step: 0 }, { op: 'vmulasQaccU8', qx: 0, qy: 0, times: 17 }, ...qaccReadBack('acc')],
  },
];
