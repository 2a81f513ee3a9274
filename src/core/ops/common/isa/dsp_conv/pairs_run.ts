// SPDX-License-Identifier: Apache-2.0
/** The 1x1 `pairs` layers' channel-pair run (conv_2d_dsp_pointwise_pairs.h) as one naked assembly routine. */
import { type RunClamp, rqLines, nakedRunText } from './run_asm.ts';

/**
 * conv_2d_dsp_pointwise_pairs.h's channel-pair run of a 1x1 `pairs` layer as a naked function (one per model and
 * mode). Registers: r0..r3 the accumulators (r, pixel A / B; r + 256 s, pixel A / B), r4 the
 * columns, r5..r8 their words, r9 r10 the weight words, r11 the weights, r12 the stop (cols + k4),
 * lr the loop's entry address; the tf_dsp_pw_run_t less stop and entry is copied to the stack so one
 * LDM reloads it per block. The step uses the raw weight word before SXTB16 overwrites it (no
 * temporary), which frees the register that holds the stop. Per block outside the loop: 5 to start
 * and enter, 1 LDM of { start s, m, P, m, P }, 4 to extract s, 20 to requantize, 8 (saturated) to 15
 * (clamped) to store and loop; 2 per turn of 8 steps.
 */
export function pairsRunAsm(name: string, fast: number, clamp: RunClamp): string {
  if (fast !== 1 && fast !== 2) throw new Error('pairsRunAsm: FAST or WIDE requantization only');
  const step = [
    'ldm.w r4!, {r5, r6, r7, r8}',
    'ldm.w r11!, {r9, r10}',
    'smlad r2, r5, r9, r2',
    'smlad r3, r6, r9, r3',
    'sxtb16 r9, r9',
    'smlad r0, r5, r9, r0',
    'smlad r1, r6, r9, r1',
    'smlad r2, r7, r10, r2',
    'smlad r3, r8, r10, r3',
    'sxtb16 r10, r10',
    'smlad r0, r7, r10, r0',
    'smlad r1, r8, r10, r1',
  ];
  const lines: string[] = [
    'push {r4-r11, lr}',
    'ldr r12, [r2, #28]', // stop
    'ldr lr, [r2, #32]', // entry bytes
    'adr.w r3, 10f',
    'add lr, lr, r3',
    'ldm r2, {r4-r10}', // cols, out_a, out_b, end_a, lo4, hi4, zp4
    'push {r4-r10}',
    'mov r11, r1',
    '1:',
    'ldr r0, [r11], #4', // start r
    'mov r1, r0',
    'mov r2, r0',
    'mov r3, r0',
    'mov pc, lr',
    '10:',
    ...step,
    '12:',
    ...Array.from({ length: 7 }, () => step).flat(),
    '13:',
    '.if (12b - 10b) != " TF_DSP_STR(TF_DSP_STEP2X2P_BYTES) "',
    '.error "pairsRunAsm: the step is no longer TF_DSP_STEP2X2P_BYTES of code (tf_dsp_entry_pairs)"',
    '.endif',
    '.if (13b - 10b) != " TF_DSP_STR(TF_DSP_STEP2X2P_BYTES) " * " TF_DSP_STR(TF_DSP_STEPS_PER_TURN) "',
    '.error "pairsRunAsm: the turn is not TF_DSP_STEPS_PER_TURN steps (tf_dsp_entry_pairs)"',
    '.endif',
    'cmp r4, r12',
    'bne 10b',
    'ldm r11!, {r5, r6, r7, r9, r10}', // start s, m r, P r, m s, P s
    'sub r2, r2, r0',
    'add r2, r5, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r5, r3, asr #8',
    ...rqLines('r0', 'r6', 'r7', fast),
    ...rqLines('r1', 'r6', 'r7', fast),
    ...rqLines('r2', 'r9', 'r10', fast),
    ...rqLines('r3', 'r9', 'r10', fast),
  ];
  if (fast === 1 && !clamp.lo && !clamp.hi) {
    lines.push('ldm sp, {r4, r5, r6, r7}', 'strb r0, [r5], #1', 'strb r2, [r5], #1', 'strb r1, [r6], #1', 'strb r3, [r6], #1');
  } else {
    lines.push('ldm sp, {r4, r5, r6, r7, r8, r9, r10}', 'bfi r0, r2, #8, #8', 'bfi r0, r1, #16, #8', 'bfi r0, r3, #24, #8');
    // the clamp on four lanes, signed outputs (FAST) or unsigned v (WIDE), each bound only where it cuts
    const sub = fast === 2 ? 'usub8' : 'ssub8';
    if (clamp.lo) lines.push(`${sub} r1, r0, r8`, 'sel r0, r0, r8');
    if (clamp.hi) lines.push(`${sub} r1, r0, r9`, 'sel r0, r9, r0');
    if (fast === 2) lines.push('uadd8 r0, r0, r10');
    lines.push('strh r0, [r5], #2', 'lsr r0, r0, #16', 'strh r0, [r6], #2');
  }
  lines.push('strd r5, r6, [sp, #4]', 'cmp r5, r7', 'bne 1b', 'mov r0, r11', 'add sp, #28', 'pop {r4-r11, pc}');
  // the .error texts' quotes escaped; the .if lines splice the header's constants in (TF_DSP_STR)
  return nakedRunText(
    `/* the channel pairs of a 1x1 pairs layer in assembly (common/isa/dsp_conv/pairs_run.ts pairsRunAsm): ${fast === 2 ? 'WIDE' : 'FAST'} requantization, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    name,
    lines,
    'pairs',
  );
}
