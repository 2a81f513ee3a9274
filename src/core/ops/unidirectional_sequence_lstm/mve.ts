// SPDX-License-Identifier: Apache-2.0
/**
 * The LSTM's Arm MVE variant (Cortex-M55, Cortex-M85), four units at a time. Per time step, x and
 * the previous step's h are copied once into the scratch, each zero-padded to whole 16-byte passes.
 * Per block of four units, one inline-assembly block sums the block's 32 rows (4 gates x 4 units,
 * over x and over h): two gates' eight rows at a time in the eight even registers (LDM of their
 * starts, one VLDRB of x or h per pass for the eight rows' VLDRB + VMLADAVA, STM of the sums). The
 * weights and starts are one stream, laid out at compile time in the order the block reads them, the
 * offsets folded into the starts (bias + offset * sum of the row's weights), the rows zero-padded to
 * whole passes. The gate and cell arithmetic then runs on the four units' lanes
 * (unidirectional_sequence_lstm_mve.h), every shift a literal: the requantizations to int16 end in a
 * saturating narrow (VQRSHRNB / VQMOVNB), the saturating sums are int16 adds (VQADD.S16), the int16
 * sigmoid and tanh read the table with gathers; the last block's lanes past the units are never
 * stored.
 */
import type { LayerEmitContext } from '../op.ts';
import { wrapInt32 } from '../common/numerics/fixedpoint.ts';
import type { LstmGateInputs } from './dsp.ts';
import type { LstmParams } from './index.ts';

/** the eight even registers of a pair of gates' sums: VMLADAVA's accumulator must be even */
const EVEN_REGISTERS = ['r0', 'r2', 'r4', 'r6', 'r8', 'r10', 'r12', 'lr'] as const;
/** passes a side runs straight-line (loaded by offset from the buffer); more run in a loop */
const UNROLLED_PASSES = 4;
/** VLDRB's immediate offset: at most 127 bytes */
const MAX_OFFSET_PASSES = 8;

const passesOf = (columns: number) => Math.ceil(columns / 16);

/** the pairs of gates, in the order a block sums them: input and cell (their product is one term of the new cell), then forget and output */
const GATE_PAIRS = [
  [0, 2],
  [1, 3],
] as const;

/**
 * The block stream: per block of four units, per pair of gates (GATE_PAIRS), the x side then the h
 * side, each as its eight rows' starts (int32, little-endian) followed by the passes, each pass the
 * eight rows' 16 bytes. Rows are gate-major: rows 0 to 3 are the pair's first gate's four units,
 * 4 to 7 its second's. Units past the last and columns past the row are zero.
 */
export function mveLstmStream(gates: LstmGateInputs[], units: number, inputSize: number, inputOffset: number, hiddenOffset: number): Int8Array {
  const xPasses = passesOf(inputSize);
  const hPasses = passesOf(units);
  const blocks = Math.ceil(units / 4);
  const out = new Int8Array(blocks * 2 * (2 * 32 + 8 * 16 * (xPasses + hPasses)));
  const view = new DataView(out.buffer);
  let n = 0;
  for (let b = 0; b < blocks; b++) {
    for (const pair of GATE_PAIRS) {
      for (const side of ['x', 'h'] as const) {
        const cols = side === 'x' ? inputSize : units;
        const passes = side === 'x' ? xPasses : hPasses;
        const rows: (Int8Array | undefined)[] = [];
        const starts: number[] = [];
        for (const g of pair) {
          for (let j = 0; j < 4; j++) {
            const u = 4 * b + j;
            if (u >= units) {
              rows.push(undefined);
              starts.push(0);
              continue;
            }
            const gate = gates[g]!;
            const row = (side === 'x' ? gate.inputWeights : gate.recurrentWeights).subarray(u * cols, (u + 1) * cols);
            let sum = 0;
            for (const w of row) sum += w;
            starts.push(wrapInt32((side === 'x' ? gate.bias[u]! : 0) + (side === 'x' ? inputOffset : hiddenOffset) * sum));
            rows.push(row);
          }
        }
        for (const s of starts) {
          view.setInt32(n, s, true);
          n += 4;
        }
        for (let k = 0; k < passes; k++) {
          for (const row of rows) {
            for (let c = 0; c < 16; c++) out[n + c] = row?.[16 * k + c] ?? 0;
            n += 16;
          }
        }
      }
    }
  }
  return out;
}

/**
 * One pair of gates' sums as four vectors of four units: x sums of the first gate (`${name}[0]`)
 * and of the second ([1]), then their h sums ([2], [3]); the stream pointer w moves past the pair.
 * Inline assembly when optimising (VMOV of two even registers into two lanes, twice a vector), else
 * tf_lstm_mve_pair_sums (GCC cannot give the assembly its eight pinned registers at -O0).
 */
function pairSums(name: string, xPasses: number, hPasses: number): string[] {
  const unrolled = xPasses <= UNROLLED_PASSES && hPasses <= UNROLLED_PASSES && xPasses + hPasses <= MAX_OFFSET_PASSES;
  const body: string[] = [];
  const macs = (load: string) => {
    const lines = [load];
    EVEN_REGISTERS.forEach((reg, j) => {
      const k = `k${j % 2}`;
      lines.push(`vldrb.8 %q[${k}], [%[w]], #16`, `vmladava.s8 ${reg}, %q[v], %q[${k}]`);
    });
    return lines;
  };
  // VMOV Qd[2], Qd[0], Rt, Rt2 writes Rt to lane 0 and Rt2 to lane 2
  const lanes = (v: string, r: readonly string[]) => [`vmov %q[${v}][2], %q[${v}][0], ${r[0]}, ${r[2]}`, `vmov %q[${v}][3], %q[${v}][1], ${r[1]}, ${r[3]}`];
  if (!unrolled) body.push('mov %[p], %[buf]');
  for (const [side, passes, base] of [
    [0, xPasses, 0],
    [1, hPasses, xPasses],
  ] as const) {
    body.push(`ldm %[w]!, {${EVEN_REGISTERS.join(', ')}}`);
    if (unrolled) {
      for (let k = 0; k < passes; k++) body.push(...macs(`vldrb.8 %q[v], [%[buf], #${16 * (base + k)}]`));
    } else if (passes === 1) {
      body.push(...macs('vldrb.8 %q[v], [%[p]], #16'));
    } else {
      body.push(`mov %[n], #${passes}`, '1:', ...macs('vldrb.8 %q[v], [%[p]], #16'), 'subs %[n], %[n], #1', 'bne 1b');
    }
    body.push(...lanes(`s${2 * side}`, EVEN_REGISTERS.slice(0, 4)), ...lanes(`s${2 * side + 1}`, EVEN_REGISTERS.slice(4)));
  }
  const sums = [0, 1, 2, 3].map((k) => `[s${k}] "=&w"(${name}[${k}])`);
  const outputs = ['[w] "+r"(w)', ...sums, ...(unrolled ? [] : ['[p] "=&r"(p)', '[n] "=&r"(n)']), '[v] "=&w"(v)', '[k0] "=&w"(k0)', '[k1] "=&w"(k1)'];
  return [
    `int32x4_t ${name}[4];`,
    '#if defined(__OPTIMIZE__)',
    '{',
    ...(unrolled ? [] : ['  const int8_t *p;', '  int32_t n;']),
    '  int8x16_t v, k0, k1;',
    '  __asm__ volatile(',
    ...body.map((l) => `      "${l}\\n\\t"`),
    `      : ${outputs.join(', ')}`,
    '      : [buf] "r"(xh)',
    `      : ${[...EVEN_REGISTERS, 'cc', 'memory'].map((r) => `"${r}"`).join(', ')});`,
    '}',
    '#else',
    '{',
    '  int32_t s[16];',
    `  w = tf_lstm_mve_pair_sums(w, xh, ${xPasses}, ${hPasses}, s);`,
    `  for (int k = 0; k < 4; ++k) ${name}[k] = vldrwq_s32(s + 4 * k);`,
    '}',
    '#endif',
  ];
}

/**
 * C for `acc` (int32x4_t) requantized (MultiplyByQuantizedMultiplier) and saturated to int16, as the
 * bottom int16 lanes of an int16x8_t; `spare` names an int32x4_t the code is done with, whose
 * register takes the result.
 */
export function narrowRequant(acc: string, multiplier: number, shift: number, spare: string): string {
  if (shift > 0) return `tf_lstm_mve_narrow(${spare}, vqrdmulhq_n_s32(vshlq_n_s32(${acc}, ${shift}), ${multiplier}))`;
  const high = `vqrdmulhq_n_s32(${acc}, ${multiplier})`;
  if (shift === 0) return `tf_lstm_mve_narrow(${spare}, ${high})`;
  // RoundingDivideByPOT: negative values one lower, then the half-up rounding shift
  const down = `tf_lstm_mve_down(${high})`;
  if (-shift <= 16) return `tf_lstm_mve_rshr_narrow(${spare}, ${down}, ${-shift})`;
  return `tf_lstm_mve_narrow(${spare}, vrshrq_n_s32(${down}, ${-shift}))`;
}

/** C for int16x8_t `pre` clamped to [-clip, clip] by saturating adds of scalars (no vector constants) */
function clipCell(pre: string, clip: number): string {
  // adding 32767 - clip saturates what lies above clip, subtracting takes the rest back
  const high = 32767 - clip;
  const top = high === 0 ? pre : `vsubq_n_s16(vqaddq_n_s16(${pre}, ${high}), ${high})`;
  // subtracting 32768 - clip saturates what lies below -clip, adding takes the rest back (a clip of 0
  // has no such scalar: VMAX)
  const low = 32768 - clip;
  return low > 32767 ? `vmaxq_s16(${top}, vdupq_n_s16(0))` : `vaddq_n_s16(vqsubq_n_s16(${top}, ${low}), ${low})`;
}

export function emitLstmMve(p: LstmParams, ctx: LayerEmitContext, gates: LstmGateInputs[], view: Record<string, unknown>): string {
  if (view.gateSigmoidMultiplier !== 3) throw new Error(`LSTM MVE variant: gate sigmoid multiplier ${String(view.gateSigmoidMultiplier)}, expected 3`);
  const xPasses = passesOf(p.inputSize);
  const hPasses = passesOf(p.units);
  // gate k's sums: pair k & 1 (GATE_PAIRS), position k >> 1 in it
  const pre = p.gates.map((g, k) => {
    const sums = k & 1 ? 'fo' : 'ig';
    const a = narrowRequant(`${sums}[${k >> 1}]`, g.inputMultiplier, g.inputShift, `${sums}[${k >> 1}]`);
    const r = narrowRequant(`${sums}[${(k >> 1) + 2}]`, g.recurrentMultiplier, g.recurrentShift, `${sums}[${(k >> 1) + 2}]`);
    return `vmovlbq_s16(vqaddq_s16(${a}, ${r}))`;
  });
  const cellGateScale = Number(view.cellGateTanhMultiplier);
  const tanhScale = p.cellTanh.multiplier === 1 ? 'cv' : `vmulq_n_s32(cv, ${p.cellTanh.multiplier})`;
  const hidden16 = narrowRequant('vmulq_s32(tanh_c, o)', p.hiddenMultiplier, p.hiddenShift, 'o');
  // whole blocks need no predicate; a last block of fewer units loads and stores under VCTP.32
  const partial = p.units % 4 !== 0;
  return ctx.render('unidirectional_sequence_lstm_mve.c.hbs', {
    ...view,
    scratch: ctx.scratch(),
    xBytes: 16 * xPasses,
    weights: ctx.addConst('w_mve', 'int8_t', mveLstmStream(gates, p.units, p.inputSize, p.inputOffset, p.hiddenOffset)),
    sumsIg: pairSums('ig', xPasses, hPasses),
    sumsFo: pairSums('fo', xPasses, hPasses),
    partial,
    inputGate: `tf_lstm_mve_sigmoid3(${pre[0]})`,
    forgetGate: `tf_lstm_mve_sigmoid3(${pre[1]})`,
    cellGate: `tf_lstm_mve_tanh(${cellGateScale === 1 ? pre[2] : `vmulq_n_s32(${pre[2]}, ${cellGateScale})`})`,
    outputGate: `tf_lstm_mve_sigmoid3(${pre[3]})`,
    kept: narrowRequant(`vmulq_s32(f, ${partial ? 'vldrhq_z_s32(c + u0, lanes)' : 'vldrhq_s32(c + u0)'})`, p.forgetMultiplier, p.forgetShift, 'f'),
    added: narrowRequant('vmulq_s32(i, g)', p.inputCellMultiplier, p.inputCellShift, 'i'),
    clipped: p.clipsCell ? clipCell('cv16', p.cellClip) : undefined,
    tanhInput: p.cellTanh.shift > 0 ? `vrshrq_n_s32(${tanhScale}, ${p.cellTanh.shift})` : tanhScale,
    hiddenOut: p.hiddenZeroPoint === 0 ? hidden16 : `vqaddq_n_s16(${hidden16}, ${p.hiddenZeroPoint})`,
  });
}

/** Scratch of the MVE variant: the step's x and h, each padded to whole 16-byte passes. */
export function lstmMveScratchBytes(p: LstmParams): number {
  return 16 * (passesOf(p.inputSize) + passesOf(p.units));
}
