// SPDX-License-Identifier: Apache-2.0
/**
 * The band run: the channel-quad run reading a pixel pair's columns from a band of int16 columns
 * (conv_2d_dsp_row_bands.h, conv_2d_dsp_stem_bands.h), and the signed WIDE form the im2col quad
 * layers take.
 */
import { quadBlockStartMacs, quadHalfMacs } from '../dsp_quad_macs.ts';
import { BAND_TURN_STEPS } from './choice.ts';
import { QUAD_STEP_BYTES } from './quad_run.ts';
import { NAKED_RUN, type RunClamp, laneClampLoads, laneClampOps, roundLines, rqLines, quadBlockRqLines, turnGuardLines, asmBody } from './run_asm.ts';

/** A step of bandRunAsm's loop in code bytes: two halves of four LDR.W, 8 SMLAD and 2 SXTB16. */
export const BAND_STEP_BYTES = 112;

/** The same in the LDRD form (bandLoads 'ldrd'): two halves of an LDRD and two LDR.W, 8 SMLAD and 2 SXTB16. */
export const BAND_LDRD_STEP_BYTES = 104;

/**
 * The channel quads of an im2col pixel pair read from a band of int16 columns (conv_2d_dsp_row_bands.h
 * tf_dsp_im2col_band_run_body) as a naked function, one per model, mode, clamp and pixel offset: the
 * Cortex-M4 schedule of quadRunAsm's loop (four LDR.W in a row, 2 + 1 + 1 + 1 cycles, 15 cycles per
 * 16 MACs), pixel A's column word post-indexed and B's at `off` bytes past it, since the two
 * pixels' fields lie in the band `off` (stride_w k_h in_c 2) bytes apart instead of interleaved;
 * `ldrd` (the Cortex-M33's, bandLoads): the weight pair in one LDRD, then the two column words
 * (2 + 1 + 1 cycles there, 14 per 16 MACs). The block's first half step runs before the loop from
 * the starts (as quadRunAsm's) and the loop is entered at a half step. The frame as quadRunAsm's
 * (tf_dsp_pw_run_t under the loop's entry address), the entry taken from the struct's `entry`
 * bytes; registers, records, requantization, clamp and stores as there. `off` undefined: the
 * interleaved columns' LDM step (the signed WIDE form of the pixel columns), entered at a step.
 * `halves` (a stem's, whose k4 is a constant of its instance): the block's first half branches to
 * the loop's half that leaves whole turns, or runs the rest straight where they are fewer than a
 * turn, with no entry read from the frame.
 */
interface BandRunForm {
  /** bytes between the pair's fields in the band; undefined: the interleaved columns' LDM step */
  off: number | undefined;
  /** steps of 4 values a turn (default BAND_TURN_STEPS) */
  turn?: number;
  /** the zero point added before an SSAT (signed WIDE) */
  zp?: number;
  /** the Cortex-M33's LDRD step */
  ldrd?: boolean;
  /** the rounding records (roundLines) */
  round?: boolean;
  /** a stem's fixed field length in halves */
  halves?: number;
}

/** bandRunAsm's form with its defaults filled in, checked, and what follows from it. */
interface BandShape {
  fast: number;
  clamp: RunClamp;
  off: number | undefined;
  turn: number;
  zp: number | undefined;
  ldrd: boolean;
  round: boolean;
  halves: number | undefined;
  /** the columns read from a band (off given), not interleaved */
  band: boolean;
  /** a fixed field length of fewer halves past the first than a turn: no loop */
  straight: boolean;
  /** the loop's half the block enters at after its first (a fixed field length), else 0 */
  entryHalf: number;
  /** the rounding form's zero point loaded right after the starts' LDRD */
  zpEarly: boolean;
  /** the loads and MACs of one half step */
  half: string[];
  loads: string[];
}

/** The form's defaults and the combinations bandRunAsm takes (it throws on any other). */
function bandShape(fast: number, clamp: RunClamp, form: BandRunForm): BandShape {
  const { off, turn = BAND_TURN_STEPS, zp, ldrd = false, round = false, halves } = form;
  if (fast !== 1 && fast !== 2) throw new Error('bandRunAsm: FAST or WIDE requantization only');
  if (halves !== undefined && (off === undefined || halves < 1)) throw new Error('bandRunAsm: a fixed field length reads a band');
  if (round && zp !== undefined) throw new Error('bandRunAsm: the rounding records under FAST or unsigned WIDE only');
  if (off !== undefined && (off <= 0 || off > 4088 || off % 4 !== 0)) throw new Error(`bandRunAsm: pixel offset ${off} out of the LDR immediate's range`);
  if (zp !== undefined && (fast !== 2 || zp < -128 || zp > 127)) throw new Error('bandRunAsm: a zero point before the SSAT under WIDE only');
  if (ldrd && off === undefined) throw new Error('bandRunAsm: the LDRD form reads a band');
  // the band's: pixel B's word at `off` past A's, four LDR in a row (or the weights' LDRD, then the
  // two column words); else the interleaved columns' two LDM of two
  const loads =
    off === undefined
      ? ['ldm.w r12!, {r8, r9}', 'ldm.w lr!, {r10, r11}']
      : ldrd
        ? ['ldrd r10, r11, [lr], #8', `ldr.w r9, [r12, #${off}]`, 'ldr.w r8, [r12], #4']
        : [`ldr.w r9, [r12, #${off}]`, 'ldr.w r8, [r12], #4', 'ldr.w r11, [lr, #4]', 'ldr.w r10, [lr], #8'];
  const half = [...loads, ...quadHalfMacs()];
  // the rounding form's zero point loaded where it pipelines, after the starts' LDRD (the M33's)
  const zpEarly = round && fast !== 2 && ldrd;
  // a fixed field length (halves): the loop's half the block enters at after its first, or none
  const straight = halves !== undefined && halves - 1 < 2 * turn;
  const entryHalf = halves === undefined || straight ? 0 : (2 * turn - ((halves - 1) % (2 * turn))) % (2 * turn);
  return { fast, clamp, off, turn, zp, ldrd, round, halves, band: off !== undefined, straight, entryHalf, zpEarly, half, loads };
}

/**
 * The start of a block. The interleaved columns: the starts copied into the accumulators, the loop
 * entered at a step; the band's: the block's first half step before the loop from the starts (as
 * quadRunAsm's), the loop entered at a half step (conv_2d_dsp_row_bands.h tf_dsp_im2col_band_run_body's `entry`)
 */
function bandBlockStart(s: BandShape): string[] {
  const { off, ldrd, loads, half, halves, straight, entryHalf } = s;
  return off === undefined
    ? [
        'ldr r4, [lr, #4]', // start r'
        'ldr r0, [lr], #8', // start r
        'ldr r10, [sp]', // entry address
        'ldr r12, [sp, #4]', // cols
        'mov r1, r0',
        'mov r2, r0',
        'mov r3, r0',
        'mov r5, r4',
        'mov r6, r4',
        'mov r7, r4',
        'mov pc, r10',
      ]
    : [
        'ldr r12, [sp, #4]', // cols
        ...(ldrd ? ['ldrd r0, r4, [lr], #8'] : ['ldr r4, [lr, #4]', 'ldr r0, [lr], #8']), // start r, start r'
        ...loads,
        ...quadBlockStartMacs(),
        // a fixed field length: the loop entered by a branch to its half (`11:`); past the first, fewer
        // halves than a turn run straight on, with no loop
        ...(halves === undefined
          ? ['ldr r10, [sp]', 'mov pc, r10']
          : straight
            ? Array.from({ length: halves - 1 }, () => half).flat()
            : entryHalf
              ? ['b 11f']
              : []),
      ];
}

/** The loop, `turn` steps a turn, with the assembler's checks of the step bytes its entry assumes; none where the block runs straight. */
function bandLoop(s: BandShape): string[] {
  const { off, ldrd, turn, half, halves, straight, entryHalf } = s;
  if (straight) return ['10:'];
  const stepBytes = off === undefined ? QUAD_STEP_BYTES : ldrd ? BAND_LDRD_STEP_BYTES : BAND_STEP_BYTES;
  return [
    // a fixed field length's loop on a word (never run: the branch above is unconditional): a taken
    // branch to a 32-bit instruction on a halfword refills for a cycle more, at every turn
    ...(halves !== undefined ? ['.balign 4'] : []),
    '10:',
    ...Array.from({ length: 2 * turn }, (_, i) => [...(i === 2 ? ['12:'] : []), ...(i > 0 && i === entryHalf ? ['11:'] : []), ...half]).flat(),
    ...(turn === 1 ? ['12:'] : []),
    '13:',
    ...turnGuardLines('bandRunAsm', 'step', stepBytes, turn),
    'ldr r10, [sp, #32]', // stop
    'cmp r12, r10',
    'bne 10b',
  ];
}

/** The block's eight accumulators from the starts s, s', requantized and packed: pixel A's four channels in r0, pixel B's in r1. */
function bandRequantize(s: BandShape): string[] {
  const { round, zp, fast, zpEarly } = s;
  // the signed WIDE form: the zero point added before an SSAT, the clamp on signed lanes as FAST's
  // `round`: the records hold K in place of P (roundRecords), three instructions an output (FAST: the zero point in r12)
  const rq = (acc: string, m: string, p: string) =>
    round
      ? roundLines(acc, m, p, fast, 'r12')
      : zp === undefined
        ? rqLines(acc, m, p, fast, 'r12')
        : [...rqLines(acc, m, p, fast, 'r12').slice(0, 4), zp < 0 ? `sub ${acc}, ${acc}, #${-zp}` : `add ${acc}, ${acc}, #${zp}`, `ssat ${acc}, #8, ${acc}`];
  return [
    'ldrd r8, r9, [lr], #8', // start s, start s'
    // the rounding form's zero point (FAST), from the frame's zp4 word (conv_2d_dsp.h
    // tf_dsp_im2col_stem_band_body): on the M33 right after the LDRD, where a load pipelines (VWW's
    // stem 750,649 -> 748,345 est. cycles); on the M4 after the LDM (two LDR for the LDRD and this
    // load after them moved the code against the ART: 856,729 -> 864,778)
    ...(zpEarly ? ['ldr r12, [sp, #28]'] : []),
    'sub r2, r2, r0',
    'add r2, r8, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r8, r3, asr #8',
    'sub r6, r6, r4',
    'add r6, r9, r6, asr #8',
    'sub r7, r7, r5',
    'add r7, r9, r7, asr #8',
    'ldm lr!, {r8, r9, r10, r11}', // m r, P r, m s, P s
    ...(round && fast !== 2 && !zpEarly ? ['ldr r12, [sp, #28]'] : []),
    ...quadBlockRqLines(rq),
  ];
}

/** The two pixels' words clamped and stored, the next block, the band's next pixel pair, and the routine's return. */
function bandStoreAndReturn(s: BandShape): string[] {
  const { zp, fast, clamp, band, off } = s;
  const clampMode = zp === undefined ? fast : 1;
  return [
    // out_a, out_b, end_a and the clamp's words in one run of LDR
    'ldr r2, [sp, #8]',
    'ldr r3, [sp, #12]',
    'ldr r4, [sp, #16]',
    ...laneClampLoads(clampMode, clamp),
    ...laneClampOps(clampMode, clamp, ['r0', 'r1']),
    'str r0, [r2], #4',
    'str r1, [r3], #4',
    'str r2, [sp, #8]',
    'str r3, [sp, #12]',
    'cmp r2, r4',
    'bne 1b',
    // the band's next pixel pair: its columns and stop 2 off bytes on; out_a from B's end (r3),
    // out_b and end_a out_c (B's end less A's, r4) past it; the weights from their start
    ...(band
      ? [
          'ldr r5, [sp, #40]', // pairs left
          'subs r5, r5, #1',
          'beq 2f',
          'str r5, [sp, #40]',
          'ldr r5, [sp, #4]',
          'ldr r6, [sp, #32]',
          `movw r7, #${2 * off!}`,
          'add r5, r5, r7',
          'add r6, r6, r7',
          'str r5, [sp, #4]',
          'str r6, [sp, #32]',
          'sub r5, r3, r4',
          'add r4, r3, r5',
          'str r3, [sp, #8]',
          'str r4, [sp, #12]',
          'str r4, [sp, #16]',
          'ldr lr, [sp, #36]',
          'b 1b',
          '2:',
        ]
      : []),
    'mov r0, lr',
    `add sp, #${band ? 44 : 36}`,
    'pop {r4-r11, pc}',
  ];
}

/** The routine's text around its lines: the comment, the naked function and its signature (the band's takes the pairs too). */
function bandRunText(name: string, s: BandShape, lines: string[]): string {
  const { band, off, ldrd, turn, fast, zp, round, clamp } = s;
  const body = asmBody(lines);
  if (band)
    return [
      `/* the channel quads of im2col pixel pairs in assembly (common/isa/dsp_conv/band_run.ts bandRunAsm, from a band of columns, pixel B ${off} bytes past A${ldrd ? ', weights by LDRD' : ''}, ${turn} steps a turn, \`pairs\` pairs ${2 * off!} bytes apart): ${fast === 2 ? (zp === undefined ? 'WIDE' : `WIDE, zero point ${zp} before the SSAT`) : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
      `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused)), int pairs __attribute__((unused))) {`,
      '  /* r0 cols, r1 w, r2 s, r3 pairs (AAPCS); returns the weights past the quads in r0 */',
      '  __asm__ volatile(',
      body + ');',
      '}',
    ].join('\n');
  return [
    `/* the channel quads of an im2col pixel pair in assembly (common/isa/dsp_conv/band_run.ts bandRunAsm, ${off === undefined ? 'interleaved columns' : `from a band of columns, pixel B ${off} bytes past A${ldrd ? ', weights by LDRD' : ''}`}, ${turn} steps a turn): ${fast === 2 ? (zp === undefined ? 'WIDE' : `WIDE, zero point ${zp} before the SSAT`) : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`,
    `${NAKED_RUN} static const int8_t *${name}(const uint32_t *cols __attribute__((unused)), const int8_t *w __attribute__((unused)),
                                                                const tf_dsp_pw_run_t *s __attribute__((unused))) {`,
    '  /* r0 cols, r1 w, r2 s (AAPCS); returns the weights past the quads in r0 */',
    '  __asm__ volatile(',
    body + ');',
    '}',
  ].join('\n');
}

export function bandRunAsm(name: string, fast: number, clamp: RunClamp, form: BandRunForm): string {
  const s = bandShape(fast, clamp, form);
  const { band, halves } = s;
  // the band's: r3 the pixel pairs of the call, each `2 off` bytes of band on from the one before,
  // its outputs 2 out_c bytes on; the weights' start and the pairs left lie past the frame
  const lines: string[] = [
    'push {r4-r11, lr}',
    ...(band ? ['push {r1, r3}'] : []), // weights, pairs
    // the loop's entry address into the frame's first word (a fixed field length reads none: the word is left as it is)
    ...(halves === undefined ? ['ldr r3, [r2, #32]', 'adr.w r12, 10f', 'add r3, r3, r12'] : []), // entry bytes
    'ldm r2, {r4-r11}', // cols, out_a, out_b, end_a, lo4, hi4, zp4, stop
    'push {r3-r11}',
    'mov lr, r1',
    '1:',
    ...bandBlockStart(s),
    ...bandLoop(s),
    ...bandRequantize(s),
    ...bandStoreAndReturn(s),
  ];
  return bandRunText(name, s, lines);
}
