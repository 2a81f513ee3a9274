// SPDX-License-Identifier: Apache-2.0
/**
 * The channel-quad run: two pixels by four channels a block in one naked assembly routine, for the
 * 1x1 layers of whole channel quads (conv_2d_dsp_pointwise_quads.h) and the im2col quad layers
 * (conv_2d_dsp_im2col_quads.h), in the loads and turns each core's timings call for.
 */
import { quadBlockStartMacs, quadHalfMacs } from '../dsp_quad_macs.ts';
import { CLAMP_REGS, type RunClamp, laneClampLoads, laneClampOps, roundLines, rqLines, quadBlockRqLines, turnGuardLines, nakedRunText } from './run_asm.ts';

/** A step of quadRunAsm's loop in code bytes: two halves of two LDM.W (LDM step), or of four LDR.W (pipelined), 8 SMLAD and 2 SXTB16. */
export const QUAD_STEP_BYTES = 96;

const QUAD_PIPELINED_STEP_BYTES = 112;

/**
 * The word after the columns that ends quadRunAsm's sentinel loop: its high lane -32768, which no
 * SXTB16 of int8 values gives (conv_2d_dsp_pointwise_quads.h TF_DSP_QUAD_SENTINEL).
 */
export const QUAD_SENTINEL = 0x80000000;

/** The sentinel's bytes past the columns (TF_DSP_QUAD_SENTINEL_WORDS: a half step loads two words). */
export const QUAD_SENTINEL_BYTES = 8;

/**
 * The channel quads of a 1x1 `pairs` layer: conv_2d_dsp_pointwise_quads.h's run of two pixels by four channels (two
 * channel pairs) as a naked function (one per model and mode). A half step (two of a step's four
 * values) is one LDM of two column words (pixel A's lanes, pixel B's), one LDM of two weight words
 * (pair P's, pair Q's), 2 SXTB16 and 8 SMLAD: 12 instructions per 16 MACs like pairsRunAsm's step,
 * but 1.0 cycle per MAC on the M4 (LDM 1 + N) against 1.125, 0.875 on the M33 (LDM N) against 1.0,
 * 0.69 on the M7 (LDM ceil(N / 2)) against 0.75; and the per-block work (starts, the loop's entry,
 * the LDM of the records, the stores) is spread over eight outputs instead of four. Registers: r0..r3
 * P's accumulators (r pixel A, B; r + 256 s pixel A, B), r4..r7 Q's, r8 r9 the column words, r10 r11
 * the weight words, r12 the columns, lr the weights: all fourteen, so the loop's stop and entry and the
 * block's pointers live in the frame (tf_dsp_pw_run_t copied under the entry address) and come in
 * with LDR at the ends of a turn or a block. A block's first half step runs before the loop, its
 * words loaded in one run with the starts and each accumulator's first SMLAD adding to its start (no
 * copies of the starts: 6 cycles a block on the M4); the loop runs the other halves, `turn` steps a
 * turn (quadTurnSteps), entered part-way at a half step, the entry computed here from cols and stop
 * (`secondHalfEntry`: a B to the second half, the entry of every k4 a multiple of 4 turn steps).
 * Past the requantization the block's frame words (out_a, out_b - out_a, their end, the clamp's
 * bounds) come in one run of LDR, which the M4 pipelines, and pixel B's word is stored at out_a
 * plus that distance, so that only out_a goes back to the frame.
 * `sentinel` (the 1x1 layers' routine): the columns are followed by QUAD_SENTINEL, and each turn
 * ends by loading the next half step's words and testing the column word against it (the frame's
 * stop is not read: 3 cycles a turn on the M4, not 5); past the last turn those loads bring the
 * block's { start s, start s' } in, and the next block's columns address comes in with the frame's
 * other words. The im2col layers' columns have no sentinel: their routine reloads the stop.
 * `pixelLoop`: one call runs every whole pixel pair (pixelPairStep). `straightSteps` (the M33's and
 * M7's 1x1 layers of k4 up to quadStraightSteps' limit): the block's k4 / 2 halves in a row, no loop.
 */
interface QuadRunForm {
  /** true: the M4's pipelined LDR; 'dual': the M7's dual-issue schedule; false (default): LDM */
  loadForm?: boolean | 'dual';
  /** steps of 4 values a turn of the loop (default 4) */
  turn?: number;
  /** the 1x1 layers' columns, followed by QUAD_SENTINEL */
  sentinel?: boolean;
  /** the floor at or above the zero point: the requantization without its SUB */
  floor?: boolean;
  /** the rounding records (roundLines) */
  round?: boolean;
  secondHalfEntry?: boolean;
  pixelLoop?: boolean;
  straightSteps?: number;
}

/** quadRunAsm's form with its defaults filled in, checked, and what follows from it. */
interface QuadShape {
  fast: number;
  clamp: RunClamp;
  loadForm: boolean | 'dual';
  turn: number;
  sentinel: boolean;
  floor: boolean;
  round: boolean;
  secondHalfEntry: boolean;
  pixelLoop: boolean;
  straightSteps: number | undefined;
  /** the Cortex-M7's dual-issue schedule */
  dual: boolean;
  /** single LDR (pipelined on the M4, or the dual schedule's) in place of LDM */
  pipelined: boolean;
  /** half steps a turn of the loop */
  halves: number;
  /** the straight block's rounding form loads the zero point right behind the starts */
  zpAfterStarts: boolean;
}

/** The form's defaults and the combinations quadRunAsm takes (it throws on any other). */
function quadShape(fast: number, clamp: RunClamp, form: QuadRunForm): QuadShape {
  const { loadForm = false, turn = 4, sentinel = false, floor = false, round = false, secondHalfEntry = false, pixelLoop = false, straightSteps } = form;
  if (round && !floor) throw new Error('quadRunAsm: the rounding records need the floor at the zero point');
  if (pixelLoop && !sentinel) throw new Error("quadRunAsm: the pixel-pair loop is the 1x1 layers' (sentinel) form");
  if (secondHalfEntry && !sentinel) throw new Error("quadRunAsm: the fixed entry is the 1x1 layers' (sentinel) form");
  if (straightSteps !== undefined && (!sentinel || secondHalfEntry || loadForm === true || straightSteps < 1))
    throw new Error("quadRunAsm: the straight block is the 1x1 layers' (sentinel) form with LDM or dual loads");
  if (fast !== 1 && fast !== 2) throw new Error('quadRunAsm: FAST or WIDE requantization only');
  if (turn !== 4 && turn !== 8 && turn !== 16) throw new Error('quadRunAsm: four, eight or sixteen steps a turn');
  const dual = loadForm === 'dual';
  if (dual && !sentinel) throw new Error('quadRunAsm: the dual-issue schedule ends its loop on the sentinel only');
  // the straight block's LDM loads put the rounding form's zero point (FAST) right behind the LDRD
  // of the starts, where the M33 issues it in 1 cycle, not the 2 it takes behind the records' LDM
  const zpAfterStarts = straightSteps !== undefined && !dual && round && fast !== 2;
  const pipelined = loadForm !== false;
  return { fast, clamp, loadForm, turn, sentinel, floor, round, secondHalfEntry, pixelLoop, straightSteps, dual, pipelined, halves: 2 * turn, zpAfterStarts };
}

/**
 * The half steps of quadRunAsm's MACs: the loads of one (`loads`), a whole one (`half`), the dual
 * schedule's (`dualHalf`, its loads in `dualLoads`), and the block's first from the starts.
 */
function quadHalfSteps(s: QuadShape) {
  const { dual, pipelined, sentinel } = s;
  // pipelined: four LDR in a row (2 + 1 + 1 + 1 cycles on the M4) in place of two LDM of two (3 + 3)
  const loads = pipelined
    ? ['ldr.w r9, [r12, #4]', 'ldr.w r8, [r12], #8', 'ldr.w r11, [lr, #4]', 'ldr.w r10, [lr], #8']
    : ['ldm.w r12!, {r8, r9}', 'ldm.w lr!, {r10, r11}'];
  const half = [...loads, ...quadHalfMacs()];
  // a block's starts with its first half step's words: LDR in a row on the M4, LDRD and two LDM
  // elsewhere; the sentinel form loads the columns' address with the block's end (one LDR more in a run)
  const colsLoad = sentinel ? [] : ['ldr r12, [sp, #4]'];
  // dual (the Cortex-M7, which issues a load beside a MAC, never two MACs): each load sits between
  // two MACs, after the last MAC that reads its register: a half step reads its own Q word and the
  // next half's P word and column words (so a half begins with A, B and P in r8 r9 r10, lr at its
  // Q word and r12 at the next half's columns), 9 cycles in the timing model against 11 for the LDM
  const dualLoads = { q: 'ldr.w r11, [lr], #4', p: 'ldr.w r10, [lr], #4', a: 'ldr.w r8, [r12], #4', b: 'ldr.w r9, [r12], #4' };
  const firstLoads = dual
    ? ['ldrd r0, r4, [lr], #8', dualLoads.a, dualLoads.b, dualLoads.p]
    : pipelined
      ? [...colsLoad, 'ldr r4, [lr, #4]', 'ldr r0, [lr], #8', ...loads]
      : [...colsLoad, 'ldrd r0, r4, [lr], #8', ...loads];
  // the first half step from the starts (quadBlockStartMacs), the dual schedule's with its loads
  // between the MACs
  const firstHalf = dual
    ? [
        'smlad r2, r8, r10, r0',
        dualLoads.q,
        'smlad r3, r9, r10, r0',
        'sxtb16 r10, r10',
        'smlad r1, r9, r10, r0',
        'smlad r0, r8, r10, r0',
        dualLoads.p,
        'smlad r6, r8, r11, r4',
        'smlad r7, r9, r11, r4',
        'sxtb16 r11, r11',
        'smlad r5, r9, r11, r4',
        'smlad r4, r8, r11, r4',
        dualLoads.a,
        dualLoads.b,
      ]
    : quadBlockStartMacs();
  const dualHalf = [
    'smlad r2, r8, r10, r2',
    dualLoads.q,
    'smlad r3, r9, r10, r3',
    'sxtb16 r10, r10',
    'smlad r0, r8, r10, r0',
    'smlad r1, r9, r10, r1',
    dualLoads.p,
    'smlad r6, r8, r11, r6',
    'smlad r7, r9, r11, r7',
    'sxtb16 r11, r11',
    'smlad r4, r8, r11, r4',
    dualLoads.a,
    'smlad r5, r9, r11, r5',
    dualLoads.b,
  ];
  return { loads, half, dualHalf, firstLoads, firstHalf };
}

/**
 * The frame's words into registers and the loop's entry address in r3. Frame: [sp] the loop's entry
 * address, then tf_dsp_pw_run_t's cols, out_a, out_b - out_a (the pixels' distance), end_a, lo4,
 * hi4, zp4, stop. The block's first half step runs before the loop (firstHalf), so the loop runs
 * k4 / 2 - 1 halves: (cols - stop + 8) & (8 halves - 1) is 8 times the halves skipped, times the
 * half's bytes / 8 (7 or 6). The straight block has no entry to compute.
 */
function quadEntry(s: QuadShape): string[] {
  const { pipelined, halves, straightSteps } = s;
  const entry = [
    'ldm r2, {r4-r11}',
    'sub r6, r6, r5', // out_b - out_a
  ];
  const computedEntry = [
    'sub r3, r4, r11',
    'add r3, r3, #8',
    `and r3, r3, #${8 * halves - 1}`,
    pipelined ? 'rsb r3, r3, r3, lsl #3' : 'add r3, r3, r3, lsl #1',
    'adr.w r12, 10f',
    pipelined ? 'add r3, r3, r12' : 'add r3, r12, r3, lsl #1',
  ];
  return [...entry, ...(straightSteps === undefined ? computedEntry : [])];
}

/**
 * The loop, `turn` steps a turn, entered part-way: the entry address from the frame;
 * secondHalfEntry: a B to the second half (2 cycles a block less on the M4), then a NOP never run,
 * so that the loop keeps its place against the flash accelerator's 64-bit words (without it VWW's
 * deep 1x1 layers ran 4 cycles a block slower)
 */
function quadLoopHalves(s: QuadShape, steps: ReturnType<typeof quadHalfSteps>): string[] {
  const { dual, secondHalfEntry, pipelined, halves, sentinel } = s;
  const { loads, half, dualHalf } = steps;
  const halfBytes = (pipelined ? QUAD_PIPELINED_STEP_BYTES : QUAD_STEP_BYTES) / 2;
  // the loop's entry address: r10 (r11 under dual, whose r10 holds the next P word by then)
  const jump = dual ? 'r11' : 'r10';
  return [
    ...(secondHalfEntry ? ['b 12f', 'nop'] : [`ldr ${jump}, [sp]`, `mov pc, ${jump}`]),
    '10:',
    ...(dual
      ? [...dualHalf, '12:', ...Array.from({ length: halves - 1 }, () => dualHalf).flat()]
      : [...loads, '11:', ...half.slice(loads.length), '12:', ...Array.from({ length: halves - 1 }, () => half).flat()]),
    '13:',
    ...turnGuardLines('quadRunAsm', 'half step', halfBytes, halves),
    // sentinel: the next turn's first words are loaded before the test, and past the last turn they
    // are the sentinel word that follows the columns (no pair of int8 values extends to it) with
    // the block's { start s, start s' }; else the stop is reloaded from the frame
    // (dual: the last half loaded the sentinel and start s, start s' follows)
    ...(dual
      ? [`cmp r8, #0x${QUAD_SENTINEL.toString(16)}`, 'bne 10b', 'ldr r11, [lr], #4']
      : sentinel
        ? [...loads, `cmp r8, #0x${QUAD_SENTINEL.toString(16)}`, 'bne 11b']
        : ['ldr r10, [sp, #32]', 'cmp r12, r10', 'bne 10b', 'ldrd r10, r11, [lr], #8']),
  ];
}

/**
 * The straight block (`straightSteps`, k4 / 4 steps): the halves past the first one in a row, no
 * entry to compute and no sentinel to test; past them the block's { start s, start s' } (dual: the
 * last half loaded start s into r10; its column loads read the sentinel words, unused), and with
 * LDM loads the rounding form's zero point (FAST) right behind the LDRD (zpAfterStarts; r12 is free
 * until the block's end)
 */
function quadStraightHalves(s: QuadShape, steps: ReturnType<typeof quadHalfSteps>, count: number): string[] {
  const { half, dualHalf } = steps;
  return s.dual
    ? [...Array.from({ length: 2 * count - 1 }, () => dualHalf).flat(), 'ldr r11, [lr], #4']
    : [...Array.from({ length: 2 * count - 1 }, () => half).flat(), 'ldrd r10, r11, [lr], #8', ...(s.zpAfterStarts ? ['ldr r12, [sp, #28]'] : [])];
}

/** The block's eight accumulators requantized and packed: pixel A's four channels in r0, pixel B's in r1. */
function quadRequantize(s: QuadShape): string[] {
  const { round, fast, floor, pipelined, dual, zpAfterStarts } = s;
  // the requantization of accumulator `acc` by the record words m, P (or K): roundLines under `round` (FAST: the zero point in r12)
  const rq = (acc: string, m: string, p: string) => (round ? roundLines(acc, m, p, fast, 'r12') : rqLines(acc, m, p, fast, 'r12', floor));
  return [
    // r10 r11: start s, start s'
    'sub r2, r2, r0',
    'add r2, r10, r2, asr #8',
    'sub r3, r3, r1',
    'add r3, r10, r3, asr #8',
    'sub r6, r6, r4',
    'add r6, r11, r6, asr #8',
    'sub r7, r7, r5',
    'add r7, r11, r7, asr #8',
    // m r, P r, m s, P s; the rounding form's zero point (FAST), from the frame's zp4 word
    // (conv_2d_dsp_pointwise_quads.h tf_dsp_pointwise_quad_body): on the M4 (pipelined) the zero point first and the
    // records in a run of LDR behind it, each pipelined (6 cycles, not the LDM's 5 and an LDR's 2)
    ...(round && fast !== 2
      ? pipelined && !dual
        ? ['ldr r12, [sp, #28]', 'ldr r9, [lr, #4]', 'ldr r10, [lr, #8]', 'ldr r11, [lr, #12]', 'ldr r8, [lr], #16']
        : ['ldm lr!, {r8, r9, r10, r11}', ...(zpAfterStarts ? [] : ['ldr r12, [sp, #28]'])]
      : ['ldm lr!, {r8, r9, r10, r11}']),
    ...quadBlockRqLines(rq),
  ];
}

/** The two pixels' words clamped and stored, the next block, and past the last the routine's return. */
function quadStoreAndReturn(s: QuadShape): string[] {
  const { pipelined, dual, fast, clamp, sentinel, pixelLoop, loadForm } = s;
  return [
    // out_a, the pixels' distance, end_a and the clamp's words in one run of loads (LDR on the M4, which pipelines them)
    ...(pipelined && !dual ? ['ldr r2, [sp, #8]', 'ldr r3, [sp, #12]'] : ['ldrd r2, r3, [sp, #8]']),
    'ldr r4, [sp, #16]',
    ...laneClampLoads(fast, clamp),
    // the sentinel form: the next block's columns address in the same run (the clamp's flags in r5)
    ...(sentinel ? ['ldr r12, [sp, #4]'] : []),
    ...laneClampOps(fast, clamp, ['r0', 'r1'], CLAMP_REGS, sentinel ? 'r5' : 'r12'),
    'str r1, [r2, r3]', // pixel B's word at out_b
    'str r0, [r2], #4',
    'str r2, [sp, #8]',
    'cmp r2, r4',
    'bne 1b',
    ...(pixelLoop ? pixelPairStep(loadForm === true) : []),
    'mov r0, lr',
    `add sp, #${pixelLoop ? 48 : 36}`,
    'pop {r4-r11, pc}',
  ];
}

/** The routine's comment: its load schedule, loop and requantization. */
function quadRunComment(s: QuadShape): string {
  const { dual, pipelined, straightSteps, turn, secondHalfEntry, fast, round, floor, clamp } = s;
  return `/* the channel quads of a 1x1 pairs layer in assembly (common/isa/dsp_conv/quad_run.ts quadRunAsm${dual ? ', loads between the MACs' : pipelined ? ', pipelined loads' : ''}, ${straightSteps !== undefined ? `${straightSteps} steps a block, no loop` : `${turn} steps a turn`}${secondHalfEntry ? ', entered at the second half' : ''}): ${fast === 2 ? 'WIDE' : 'FAST'} requantization${round ? ' (floor at the zero point, rounding records)' : floor ? ' (floor at the zero point)' : ''}, ${clamp.lo || clamp.hi ? `clamped${clamp.lo ? ' from below' : ''}${clamp.hi ? ' from above' : ''}` : 'saturated'} */`;
}

export function quadRunAsm(name: string, fast: number, clamp: RunClamp, form: QuadRunForm = {}): string {
  const s = quadShape(fast, clamp, form);
  const { secondHalfEntry, pixelLoop, sentinel, straightSteps } = s;
  const steps = quadHalfSteps(s);
  const lines: string[] = [
    'push {r4-r11, lr}',
    // r3 the entry address (the straight block has none: the frame's word is left unread); cols,
    // out_a, out_b - out_a, end_a, lo4, hi4, zp4, stop
    ...quadEntry(s),
    // pixelLoop: the next pair's input and the pairs left from the frame, beside the weights' start,
    // in 8 bytes (the NOP), so that the loop keeps its place against the flash accelerator's words
    ...(pixelLoop ? ['ldr r0, [r2, #36]', 'ldr r2, [r2, #40]', 'push {r0, r1, r2}', 'nop'] : []),
    'push {r3-r11}',
    // secondHalfEntry: MOV.W puts the block's first instruction (32-bit, the target of every block's
    // branch back) on a word, one cycle a block on the M4; the 16-bit NOP past the B below gives the
    // two bytes back, so that the loop keeps its place
    secondHalfEntry ? 'mov.w lr, r1' : 'mov lr, r1',
    ...(sentinel ? ['mov r12, r4'] : []), // cols
    '1:',
    ...steps.firstLoads,
    ...steps.firstHalf,
    ...(straightSteps !== undefined ? quadStraightHalves(s, steps, straightSteps) : quadLoopHalves(s, steps)),
    ...quadRequantize(s),
    ...quadStoreAndReturn(s),
  ];
  return nakedRunText(quadRunComment(s), name, lines, 'quads');
}

/**
 * quadRunAsm's move to the next pixel pair without leaving the routine (`pixelLoop`: the C loop's
 * call, entry and exit cost ~90 cycles a pair on the M4, ~75 on the M33). Frame past the run's nine
 * words: the next pair's pixel A, the weights' start, the pairs left. The outputs move by the
 * pixels' distance (out_a already stands past pixel A's outputs, at pixel B's); the columns are
 * packed as tf_dsp_pack_pair packs them (k4 bytes = (stop - cols) / 4): four values first where k4
 * is not a multiple of 8, then eight a turn, `pipelined` (the M4) with four LDR in a row and single
 * STR, which it pipelines, else (the M33, M7) with two LDRD and two STM of four, which cost those
 * cores less than single loads and stores.
 */
function pixelPairStep(pipelined: boolean): string[] {
  // r5 pixel A's values, r8 pixel B's, r11 the end of pixel A's, r12 the columns
  const eight = pipelined
    ? [
        'ldr r3, [r5, #4]',
        'ldr r2, [r5], #8',
        'ldr r1, [r8, #4]',
        'ldr r0, [r8], #8',
        'sxtb16 r4, r2',
        'sxtb16 r6, r0',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r0, r0, ror #8',
        'str r4, [r12], #32',
        'str r6, [r12, #-28]',
        'str r2, [r12, #-24]',
        'str r0, [r12, #-20]',
        'sxtb16 r4, r3',
        'sxtb16 r6, r1',
        'sxtb16 r3, r3, ror #8',
        'sxtb16 r1, r1, ror #8',
        'str r4, [r12, #-16]',
        'str r6, [r12, #-12]',
        'str r3, [r12, #-8]',
        'str r1, [r12, #-4]',
      ]
    : [
        'ldrd r2, r6, [r5], #8',
        'ldrd r3, r7, [r8], #8',
        'sxtb16 r0, r2',
        'sxtb16 r1, r3',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r3, r3, ror #8',
        'stm r12!, {r0, r1, r2, r3}',
        'sxtb16 r0, r6',
        'sxtb16 r1, r7',
        'sxtb16 r6, r6, ror #8',
        'sxtb16 r7, r7, ror #8',
        'stm r12!, {r0, r1, r6, r7}',
      ];
  const four = pipelined
    ? [
        'ldr r0, [r5], #4',
        'ldr r1, [r8], #4',
        'sxtb16 r2, r0',
        'sxtb16 r3, r1',
        'sxtb16 r0, r0, ror #8',
        'sxtb16 r1, r1, ror #8',
        'str r2, [r12], #16',
        'str r3, [r12, #-12]',
        'str r0, [r12, #-8]',
        'str r1, [r12, #-4]',
      ]
    : [
        'ldr r2, [r5], #4',
        'ldr r3, [r8], #4',
        'sxtb16 r0, r2',
        'sxtb16 r1, r3',
        'sxtb16 r2, r2, ror #8',
        'sxtb16 r3, r3, ror #8',
        'stm r12!, {r0, r1, r2, r3}',
      ];
  return [
    'ldr r2, [sp, #44]',
    'subs r2, r2, #1',
    'beq 20f',
    'str r2, [sp, #44]',
    'ldr r4, [sp, #8]',
    'ldr r9, [sp, #12]',
    'ldr r6, [sp, #4]',
    'ldr r7, [sp, #32]',
    'ldr r5, [sp, #36]',
    'add r4, r4, r9',
    'str r4, [sp, #8]',
    'add r4, r4, r9',
    'str r4, [sp, #16]',
    'sub r7, r7, r6', // 4 k4
    'add r11, r5, r7, lsr #2', // pixel B, the end of pixel A
    'add r8, r11, r7, lsr #2', // the pair after
    'str r8, [sp, #36]',
    'mov r8, r11',
    'mov r12, r6',
    'tst r7, #16',
    'beq 21f',
    ...four,
    '21:',
    'cmp r5, r11',
    'beq 23f',
    '22:',
    ...eight,
    'cmp r5, r11',
    'bne 22b',
    '23:',
    'ldr r12, [sp, #4]',
    'ldr lr, [sp, #40]',
    'b 1b',
    '20:',
  ];
}
