// SPDX-License-Identifier: Apache-2.0
/** The last pixel of an odd pixel count (or a lone head pixel) of a 1x1 quad layer, one pixel by four channels in assembly. */
import { type ClampRegs, type RunClamp, laneClampLoads, laneClampOps, roundLines, rqLines, turnGuardLines, nakedRunText } from './run_asm.ts';

/** A step of quadLoneAsm's loop in code bytes: two halves of three LDR.W, 4 SMLAD and 2 SXTB16. */
const QUAD_LONE_STEP_BYTES = 72;

/** Steps of 4 values a turn of quadLoneAsm's loop (the stop stays in a register: the turn costs 3 cycles). */
const QUAD_LONE_STEPS_PER_TURN = 4;

/** quadLoneAsm's form: the quads' requantization without its SUB (`floor`: at or above the zero point), in three instructions (`round`: the rounding records). */
export interface LoneQuadForm {
  floor?: boolean;
  round?: boolean;
}

/**
 * The channel quads of a 1x1 `pairs` layer over one pixel: the last pixel of an odd pixel count, or
 * a lone pixel (a head), which quadRunAsm would compute as a pair with itself, half its MACs thrown
 * away. The same weights and frame (tf_dsp_pw_run_t; out_b unused), the columns as the pair's packing
 * leaves them with the pixel twice (its words 0 and 2 of every four read). A half step is one LDR of
 * a column word, two LDR of the pairs' weight words, 2 SXTB16 and 4 SMLAD: 10 cycles per 8 MACs on
 * the M4, where the pair with itself spends 15 per 8 that count. Registers: r0 r1 P's accumulators
 * (r; r + 256 s), r2 r3 Q's, r8 the column word, r9 the stop, r10 r11 the weight words, r12 the
 * columns, lr the weights; per block the four outputs requantized into one word.
 */
export function quadLoneAsm(name: string, fast: number, clamp: RunClamp, form: LoneQuadForm = {}): string {
  const { floor = false, round = false } = form;
  if (round && !floor) throw new Error('quadLoneAsm: the rounding records need the floor at the zero point');
  const rq = (acc: string, m: string, p: string) => (round ? roundLines(acc, m, p, fast, 'r8') : rqLines(acc, m, p, fast, 'r8', floor));
  if (fast !== 1 && fast !== 2) throw new Error('quadLoneAsm: FAST or WIDE requantization only');
  const half = [
    'ldr.w r8, [r12], #8', // the pixel's word; the twin's after it is skipped
    'ldr.w r11, [lr, #4]',
    'ldr.w r10, [lr], #8',
    'smlad r1, r8, r10, r1',
    'sxtb16 r10, r10',
    'smlad r0, r8, r10, r0',
    'smlad r3, r8, r11, r3',
    'sxtb16 r11, r11',
    'smlad r2, r8, r11, r2',
  ];
  const step = [...half, ...half];
  const turn = QUAD_LONE_STEPS_PER_TURN;
  const regs: ClampRegs = { lo: 'r5', hi: 'r6', zp: 'r7' };
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldm r2, {r4-r11}', // cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    // the entry: (cols - stop) & (16 turn - 1) is 16 times the steps skipped, times 72 / 16
    'sub r3, r4, r11',
    `and r3, r3, #${16 * turn - 1}`,
    'lsr r3, r3, #1',
    'add r3, r3, r3, lsl #3',
    'adr.w r12, 10f',
    'add r3, r3, r12',
    'push {r3-r11}', // the frame of quadRunAsm: entry address, cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    'mov r9, r11',
    'mov lr, r1',
    '1:',
    'ldrd r0, r2, [lr], #8', // start r, start r'
    'mov r1, r0',
    'mov r3, r2',
    'ldrd r4, r12, [sp]', // entry address, cols
    'mov pc, r4',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: turn - 1 }, () => step).flat(),
    '13:',
    ...turnGuardLines('quadLoneAsm', 'step', QUAD_LONE_STEP_BYTES, turn),
    'cmp r12, r9',
    'bne 10b',
    'ldrd r4, r5, [lr], #8', // start s, start s'
    'sub r1, r1, r0',
    'add r1, r4, r1, asr #8',
    'sub r3, r3, r2',
    'add r3, r5, r3, asr #8',
    'ldm lr!, {r4, r5, r6, r7}', // m r, P r, m s, P s
    // the rounding form's zero point (FAST), from the frame's zp4 word
    ...(round && fast !== 2 ? ['ldr r8, [sp, #28]'] : []),
    ...rq('r0', 'r4', 'r5'),
    ...rq('r1', 'r6', 'r7'),
    'ldm lr!, {r4, r5, r6, r7}', // m r', P r', m s', P s'
    ...rq('r2', 'r4', 'r5'),
    ...rq('r3', 'r6', 'r7'),
    // the pixel's four channels r, s, r', s' in one word
    'bfi r0, r1, #8, #8',
    'bfi r0, r2, #16, #8',
    'bfi r0, r3, #24, #8',
    'ldr r4, [sp, #8]', // out_a
    'ldr r11, [sp, #16]', // end_a
    ...laneClampLoads(fast, clamp, regs),
    ...laneClampOps(fast, clamp, ['r0'], regs),
    'str r0, [r4], #4',
    'str r4, [sp, #8]',
    'cmp r4, r11',
    'bne 1b',
    'mov r0, lr',
    'add sp, #36',
    'pop {r4-r11, pc}',
  ];
  return nakedRunText(
    `/* the channel quads of a 1x1 pairs layer over one pixel in assembly (common/isa/dsp_conv/lone_quad_run.ts quadLoneAsm): ${fast === 2 ? 'WIDE' : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : floor ? ' (floor at the zero point)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    name,
    lines,
    'quads',
  );
}
