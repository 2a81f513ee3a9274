// SPDX-License-Identifier: Apache-2.0
/**
 * The pieces the Arm DSP convolution runs share in their assembly: the four-lane activation clamp,
 * the requantization lines (SMMLAR by records, the rounding records' three instructions) and the
 * naked function's attributes.
 */

/**
 * Which bounds of the activation range the run's four-lane clamp applies (the others cut nothing):
 * FAST clamps the saturated int8 outputs, so a floor of -128 or a ceiling of 127 needs no step; WIDE
 * clamps USAT8(v) in [0, 255], so a floor at the zero point or a ceiling 255 above it needs none.
 */
export interface RunClamp {
  lo: boolean;
  hi: boolean;
}

export function runClamp(fast: number, actMin: number, actMax: number, outputZeroPoint: number): RunClamp {
  return fast === 2 ? { lo: actMin > outputZeroPoint, hi: actMax - outputZeroPoint < 255 } : { lo: actMin > -128, hi: actMax < 127 };
}

/**
 * The clamp of packed output words on four lanes, signed outputs (FAST) or unsigned v (WIDE), each
 * bound only where it cuts: lo4, hi4, zp4 (WIDE's zero point) read from sp + 20, 24, 28 into r8..r10.
 */
export function laneClampLines(fast: number, clamp: RunClamp, words: string[]): string[] {
  if (fast !== 2 && !clamp.lo && !clamp.hi) return [];
  const lines: string[] = [];
  if (clamp.lo && clamp.hi) lines.push('ldrd r8, r9, [sp, #20]');
  else if (clamp.lo) lines.push('ldr r8, [sp, #20]');
  else if (clamp.hi) lines.push('ldr r9, [sp, #24]');
  if (fast === 2) lines.push('ldr r10, [sp, #28]');
  const sub = fast === 2 ? 'usub8' : 'ssub8';
  for (const v of words) {
    if (clamp.lo) lines.push(`${sub} r12, ${v}, r8`, `sel ${v}, ${v}, r8`);
    if (clamp.hi) lines.push(`${sub} r12, ${v}, r9`, `sel ${v}, r9, ${v}`);
    if (fast === 2) lines.push(`uadd8 ${v}, ${v}, r10`);
  }
  return lines;
}

/** Registers of the lane clamp's words: floor, ceiling, WIDE's zero point. */
export interface ClampRegs {
  lo: string;
  hi: string;
  zp: string;
}

export const CLAMP_REGS: ClampRegs = { lo: 'r8', hi: 'r9', zp: 'r10' };

/** laneClampLines' loads alone: the bounds and zero point it uses, from sp + 20, 24, 28. */
export function laneClampLoads(fast: number, clamp: RunClamp, regs: ClampRegs = CLAMP_REGS): string[] {
  return [
    ...(clamp.lo ? [`ldr ${regs.lo}, [sp, #20]`] : []),
    ...(clamp.hi ? [`ldr ${regs.hi}, [sp, #24]`] : []),
    ...(fast === 2 ? [`ldr ${regs.zp}, [sp, #28]`] : []),
  ];
}

/** laneClampLines' operations alone, on the words laneClampLoads loaded (`flags` the flags' scratch, r12 unless given). */
export function laneClampOps(fast: number, clamp: RunClamp, words: string[], regs: ClampRegs = CLAMP_REGS, flags = 'r12'): string[] {
  const sub = fast === 2 ? 'usub8' : 'ssub8';
  return words.flatMap((v) => [
    ...(clamp.lo ? [`${sub} ${flags}, ${v}, ${regs.lo}`, `sel ${v}, ${v}, ${regs.lo}`] : []),
    ...(clamp.hi ? [`${sub} ${flags}, ${v}, ${regs.hi}`, `sel ${v}, ${regs.hi}, ${v}`] : []),
    ...(fast === 2 ? [`uadd8 ${v}, ${v}, ${regs.zp}`] : []),
  ]);
}

/**
 * The assembly runs' function attributes. At least word-aligned: each run finds its loop with `adr.w`,
 * which the assembler resolves against the word-aligned PC as if the function's section began on a
 * word; at -Os a function is only halfword aligned, and one placed 2 bytes past a word jumped 2 bytes
 * off its loop's entry (a HardFault on the Cortex-M4 under --prefer size). aligned(32): a run starts
 * on an instruction-cache line (the STM32L4's ART: 32-byte lines, 1 KB), so the lines its loop spans
 * do not depend on where the linker puts it; one line more than the cache holds beside the layer's
 * other code made VWW's 24x24x32 1x1 layer 9 % slower on the NUCLEO-L4R5ZI.
 */
export const NAKED_RUN = '__attribute__((naked, noinline, aligned(32)))';

/**
 * The five instructions that requantize one accumulator (FAST: SSAT, zero point included; WIDE: USAT
 * of v, zero point added after the clamp); four under `floor` (floorAtZeroPoint), without the SUB
 * of 255 [h < 0].
 */
export function rqLines(acc: string, m: string, p: string, fast: number, tmp = 'r8', floor = false): string[] {
  const lines = [
    `smmlar ${acc}, ${acc}, ${m}, ${acc}`,
    `add ${tmp}, ${p}, ${acc}, lsl #${fast === 2 ? 8 : 9}`,
    ...(floor ? [] : [`sub ${tmp}, ${tmp}, ${acc}, lsr #24`]),
    `asr ${acc}, ${tmp}, ${p}`,
  ];
  return [...lines, fast === 2 ? `usat ${acc}, #8, ${acc}` : `ssat ${acc}, #8, ${acc}`];
}

/**
 * The three instructions that requantize one accumulator where the floor is at or above the zero
 * point and the record holds K = 2^(32 - e) in place of P (roundRecords): h = SMMLAR(acc, m', acc)
 * as in rqLines, then SMMLAR(h, K, zp) = zp + ((h K + 2^31) >> 32) = zp + floor(h / 2^e + 1/2),
 * h / 2^e rounded half up (exact in the 64-bit product), which is TFLite Micro's rounding for h >= 0
 * and at most the zero point for h < 0 (floorAtZeroPoint); then SSAT. WIDE: SMMULR(h, K) and USAT,
 * the zero point added after the clamp. `zp`: a register holding the output zero point (FAST).
 */
export function roundLines(acc: string, m: string, k: string, fast: number, zp: string): string[] {
  return [
    `smmlar ${acc}, ${acc}, ${m}, ${acc}`,
    fast === 2 ? `smmulr ${acc}, ${acc}, ${k}` : `smmlar ${acc}, ${acc}, ${k}, ${zp}`,
    fast === 2 ? `usat ${acc}, #8, ${acc}` : `ssat ${acc}, #8, ${acc}`,
  ];
}

/**
 * The eight requantizations of a block of the channel-quad runs (the records of r and s in r8-r11,
 * loaded by the caller; those of r' and s' loaded here) and the two pixels' outputs packed a word each.
 */
export function quadBlockRqLines(rq: (acc: string, m: string, p: string) => string[]): string[] {
  return [
    ...rq('r0', 'r8', 'r9'),
    ...rq('r1', 'r8', 'r9'),
    ...rq('r2', 'r10', 'r11'),
    ...rq('r3', 'r10', 'r11'),
    'ldm lr!, {r8, r9, r10, r11}', // m r', P r', m s', P s'
    ...rq('r4', 'r8', 'r9'),
    ...rq('r5', 'r8', 'r9'),
    ...rq('r6', 'r10', 'r11'),
    ...rq('r7', 'r10', 'r11'),
    // pixel A's four channels r, s, r', s' in one word, pixel B's in another
    'bfi r0, r2, #8, #8',
    'bfi r0, r4, #16, #8',
    'bfi r0, r6, #24, #8',
    'bfi r1, r3, #8, #8',
    'bfi r1, r5, #16, #8',
    'bfi r1, r7, #24, #8',
  ];
}

/**
 * The assembler's check that a run's loop keeps the bytes its computed entry assumes: one `unit` (a
 * step, a half step) from label 10 to 12, `count` of them from 10 to 13.
 */
export function turnGuardLines(routine: string, unit: string, unitBytes: number, count: number): string[] {
  return [
    `.if (12b - 10b) != ${unitBytes}`,
    `.error "${routine}: the ${unit} is no longer the bytes its entry assumes"`,
    '.endif',
    `.if (13b - 10b) != ${unitBytes * count}`,
    `.error "${routine}: the turn is not ${count} ${unit}s"`,
    '.endif',
  ];
}

/** A run's lines as the strings of an asm statement (the .error texts' quotes escaped; the .if lines splice the header's constants in: TF_DSP_STR). */
export function asmBody(lines: string[]): string {
  return lines.map((l) => `      "${l.startsWith('.error') ? l.replace(/"/g, '\\"') : l}\\n\\t"`).join('\n');
}

/** A run's text: its comment, then the naked function over (cols, w, s) returning the weights past its channel `pairs` or `quads`. */
export function nakedRunText(comment: string, name: string, lines: string[], what: 'pairs' | 'quads'): string {
  return [
    comment,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    `  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the ${what} in r0 */`,
    '  __asm__ volatile(',
    asmBody(lines) + ');',
    '}',
  ].join('\n');
}
