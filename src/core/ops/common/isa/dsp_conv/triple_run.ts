// SPDX-License-Identifier: Apache-2.0
/** The im2col triple run: three pixels by a channel pair in one halfword (conv_2d_dsp_im2col_triples.h) in assembly. */
import { NAKED_RUN, type RunClamp, laneClampLines, rqLines, asmBody } from './run_asm.ts';

/** One step of the triple loop (4 values of three pixels by one channel pair, conv_2d_dsp_im2col.h TF_DSP_STEP3X2P), registers pinned. */
function tripleStep(dual: boolean): string[] {
  // r0..r2 r of pixels A, B, C; r3..r5 r + 256 s; r6 r8 r9 the column words; r10 r11 the weight words; r12 the columns; lr the weights
  if (!dual)
    return [
      'ldm.w r12!, {r6, r8, r9}',
      'ldm.w lr!, {r10, r11}',
      'smlad r3, r6, r10, r3',
      'smlad r4, r8, r10, r4',
      'smlad r5, r9, r10, r5',
      'sxtb16 r10, r10',
      'smlad r0, r6, r10, r0',
      'smlad r1, r8, r10, r1',
      'smlad r2, r9, r10, r2',
      'ldm.w r12!, {r6, r8, r9}',
      'smlad r3, r6, r11, r3',
      'smlad r4, r8, r11, r4',
      'smlad r5, r9, r11, r5',
      'sxtb16 r11, r11',
      'smlad r0, r6, r11, r0',
      'smlad r1, r8, r11, r1',
      'smlad r2, r9, r11, r2',
    ];
  // the Cortex-M7's schedule (conv_2d_dsp_im2col.h): a load beside each MAC, the next step's first words loaded ahead
  return [
    'smlad r3, r6, r10, r3',
    'ldr.w r8, [r12], #4',
    'smlad r4, r8, r10, r4',
    'ldr.w r9, [r12], #4',
    'smlad r5, r9, r10, r5',
    'sxtb16 r10, r10',
    'smlad r0, r6, r10, r0',
    'ldr.w r11, [lr], #4',
    'smlad r1, r8, r10, r1',
    'ldr.w r6, [r12], #4',
    'smlad r2, r9, r10, r2',
    'sxtb16 r10, r11',
    'smlad r0, r6, r10, r0',
    'ldr.w r8, [r12], #4',
    'smlad r3, r6, r11, r3',
    'ldr.w r9, [r12], #4',
    'smlad r1, r8, r10, r1',
    'smlad r2, r9, r10, r2',
    'ldr.w r10, [lr], #4',
    'smlad r4, r8, r11, r4',
    'ldr.w r6, [r12], #4',
    'smlad r5, r9, r11, r5',
  ];
}

/** tripleRunAsm's form: the Cortex-M7's schedule (`dual`), steps of 4 values a turn of the loop (2, 4 or 8). */
export interface TripleRunForm {
  dual: boolean;
  turn?: number;
}

/**
 * conv_2d_dsp_im2col_triples.h's channel pairs of an im2col pixel triple in the `pairs` layout as a naked function
 * (one per model and mode; `dual`: the Cortex-M7's schedule, which the header picks with
 * TF_DSP_DUAL_ISSUE). Per block: the start r in six accumulators, the loop entered part-way (the
 * entry address on the frame), one LDM of { start s, m r, P r, m s, P s }, the extraction of s for
 * the three pixels, six requantizations, the outputs packed (A and B in one word, C in another), the
 * clamp on their lanes where it cuts, three halfword stores (A at out, B out_c and C 2 out_c on).
 * Registers: the loop's thirteen (tripleStep) and r7 the stop; the frame holds the entry address,
 * then tf_dsp_tr_run_t's cols, out, end, out_c, lo4, hi4, zp4 (copied from it).
 */
export function tripleRunAsm(name: string, fast: number, clamp: RunClamp, form: TripleRunForm): string {
  const { dual, turn = 8 } = form;
  if (fast !== 1 && fast !== 2) throw new Error('tripleRunAsm: FAST or WIDE requantization only');
  if (turn !== 2 && turn !== 4 && turn !== 8) throw new Error('tripleRunAsm: turns of 2, 4 or 8 steps');
  const step = tripleStep(dual);
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldr r3, [r2, #32]', // entry bytes
    'adr.w r4, 10f',
    'add r3, r3, r4',
    'ldr r7, [r2, #28]', // stop
    'ldm r2, {r4, r5, r6, r8, r9, r10, r11}', // cols, out, end, out_c, lo4, hi4, zp4
    'push {r3, r4, r5, r6, r8, r9, r10, r11}',
    'mov lr, r1',
    '1:',
    'ldr r0, [lr], #4', // start r
    'mov r1, r0',
    'mov r2, r0',
    'mov r3, r0',
    'mov r4, r0',
    'mov r5, r0',
    'ldrd r11, r12, [sp]', // entry address, cols
    ...(dual ? ['ldr.w r10, [lr], #4', 'ldr.w r6, [r12], #4'] : []),
    'mov pc, r11',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: turn - 1 }, () => step).flat(),
    '13:',
    '.if (12b - 10b) != " TF_DSP_STR(TF_DSP_STEP3X2P_BYTES) "',
    '.error "tripleRunAsm: the step is no longer TF_DSP_STEP3X2P_BYTES of code (tf_dsp_entry_triple)"',
    '.endif',
    `.if (13b - 10b) != " TF_DSP_STR(TF_DSP_STEP3X2P_BYTES) " * ${turn}`,
    `.error "tripleRunAsm: the turn is not ${turn} steps (tf_dsp_im2col_triple_run_body's entry)"`,
    '.endif',
    'cmp r12, r7',
    'bne 10b',
    ...(dual ? ['sub lr, lr, #4'] : []), // the weight word read ahead
    'ldm lr!, {r6, r8, r9, r10, r11}', // start s, m r, P r, m s, P s
    'sub r3, r3, r0',
    'add r3, r6, r3, asr #8',
    'sub r4, r4, r1',
    'add r4, r6, r4, asr #8',
    'sub r5, r5, r2',
    'add r5, r6, r5, asr #8',
    ...rqLines('r0', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r1', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r2', 'r8', 'r9', fast, 'r12'),
    ...rqLines('r3', 'r10', 'r11', fast, 'r12'),
    ...rqLines('r4', 'r10', 'r11', fast, 'r12'),
    ...rqLines('r5', 'r10', 'r11', fast, 'r12'),
    // pixel A's (r, s) and B's in one word, C's in the low half of another
    'bfi r0, r3, #8, #8',
    'bfi r0, r1, #16, #8',
    'bfi r0, r4, #24, #8',
    'bfi r2, r5, #8, #8',
  ];
  lines.push(...laneClampLines(fast, clamp, ['r0', 'r2']));
  lines.push(
    'ldrd r8, r9, [sp, #8]', // out, end
    'ldr r10, [sp, #16]', // out_c
    'strh r0, [r8]',
    'lsr r0, r0, #16',
    'strh r0, [r8, r10]',
    'strh r2, [r8, r10, lsl #1]',
    'add r8, r8, #2',
    'str r8, [sp, #8]',
    'cmp r8, r9',
    'bne 1b',
    'mov r0, lr',
    'add sp, #32',
    'pop {r4-r11, pc}',
  );
  const body = asmBody(lines);
  return [
    `/* the channel pairs of an im2col pixel triple in assembly (common/isa/dsp_conv/triple_run.ts tripleRunAsm${dual ? ', the Cortex-M7 schedule' : ''}): ${fast === 2 ? 'WIDE' : 'FAST'} requantization, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_tr_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the pairs in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}
