// SPDX-License-Identifier: Apache-2.0
/**
 * The int8 ADD, SUB and MUL variants of the MVE (Helium) family: four int32 lanes per vector, the
 * same integers as the Arm DSP and portable kernels (their plans: planCommonScale for ADD and SUB,
 * planMulDsp for MUL, each checked against TFLite Micro on all 65,536 input pairs of the layer when it
 * is compiled). Each row of the broadcast walk runs 8 elements per loop turn, the even and the odd
 * ones in two vectors of four int32 lanes (VMOVLB/VMOVLT, VMULLB/VMULLT), narrowed back into order
 * by VQSHRNB/VQSHRNT; the row's last turn runs under a VCTP predicate: no scalar tail.
 *
 * - ADD/SUB: an input's share of the sum is its 256-entry table, read by one gather load
 *   (VLDRW.32 with the bytes as offsets), or bias +- q * 2^shift, one VMLA by a scalar.
 * - MUL: (q1 + o1) (q2 + o2) 2^lsh1 from widening byte loads, VADD and VMUL; against a scalar
 *   broadcast along the row, one VMLA.
 * - The output stage: SMMLAR's rounding multiply-high is VRMULH (both (a * m + 2^31) >> 32), its
 *   addend a VADD, the right shift VSHR, a saturating narrowing to int16, then the zero point and the
 *   activation clamp (within int8, so it is the int8 saturation too) on eight int16 lanes, and one
 *   narrowing VSTRB.16. The exact stage is arm_helium.h's tf_mve_mbqm_n.
 *
 * The walk's inner loop must step each input by 0 or 1 (the broadcast layouts binaryLoops makes).
 */
import type { LayerEmitContext } from '../../op.ts';
import type { BroadcastLoop } from './broadcast.ts';
import { broadcastCView } from './elementwise.ts';
import { cArrayBody } from '../render.ts';

const cInt32 = (v: number) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v));

/** Whether the vector row loop can walk the layer: each input steps 0 or 1 along the innermost loop. */
export function mveRowsFit(loops: readonly BroadcastLoop[]): boolean {
  const inner = loops[loops.length - 1];
  return !inner || (inner.strideA <= 1 && inner.strideB <= 1);
}

/** The output stage after the shares: SMMLAR-like with its plan's constants, or TFLite's exact steps. */
export type MveOutputStage =
  | { kind: 'smmlar'; multiplier: number; rnd: number; rsh: number; zeroPointAfter: number; signOf?: 'h' | 'a' }
  | { kind: 'exact'; multiplier: number; shift: number; zeroPoint: number };

export interface MveBinaryKernel {
  /** what the layer is, for the comment */
  title: string;
  /** one line on how the shares and the stage are computed */
  how: string;
  /** file-scope constants (tables) */
  prelude: string;
  /**
   * Statements declaring `sb` and `st` (int32x4_t): what the output stage takes (the sum of the
   * shares, MUL's scaled product) for the even and the odd elements of the eight at input pointers
   * a and b, loaded under the 16-bit lane predicate `pred` (or none).
   */
  shares: (a: string, b: string, pred: string | undefined) => string;
  /** statements run once per row before its loop (hoisted broadcast scalars) */
  hoist: (a: string, b: string) => string;
  stage: MveOutputStage;
  actMin: number;
  actMax: number;
}

/**
 * The output stage as a static inline function of the even and odd elements' int32 values, giving
 * the eight int8 results in order in int16 lanes. After the right shift, VQMOVNB/VQMOVNT narrow with
 * saturation to int16 (the bottom and top halves interleave back into element order). Not the
 * narrowing shifts VQSHRNB/VQSHRNT, which would save the VSHR: QEMU 7.2 rounds them (6 >> 2 gives
 * 2), so the emulated results would differ from the silicon's. Adding a zero point of at most
 * 128 with saturation and clamping to the activation's range (within int8) then gives the clamp of
 * the exact value, as saturation keeps order and |value| >= 32767 stays outside int8 either way.
 */
function stageFunction(f: string, k: MveBinaryKernel): string {
  const s = k.stage;
  const lines: string[] = [`static inline __attribute__((always_inline)) int16x8_t ${f}_out(int32x4_t sb, int32x4_t st) {`];
  let zeroPointAfter = 0;
  if (s.kind === 'exact') {
    lines.push(`  const int32x4_t vb = vaddq_n_s32(tf_mve_mbqm_n(sb, ${cInt32(s.multiplier)}, ${s.shift}), ${s.zeroPoint});`);
    lines.push(`  const int32x4_t vt = vaddq_n_s32(tf_mve_mbqm_n(st, ${cInt32(s.multiplier)}, ${s.shift}), ${s.zeroPoint});`);
  } else {
    for (const h of ['b', 't']) {
      lines.push(`  int32x4_t v${h} = vrmulhq_s32(s${h}, vdupq_n_s32(${cInt32(s.multiplier)}));`);
      // TFLite rounds negative ties away from zero: the plan's sign term [h < 0] or [a < 0]
      if (s.signOf) lines.push(`  v${h} = vaddq_s32(v${h}, vshrq_n_s32(${s.signOf === 'h' ? 'v' : 's'}${h}, 31));`);
      if (s.rnd !== 0) lines.push(`  v${h} = vaddq_n_s32(v${h}, ${cInt32(s.rnd)});`);
      if (s.rsh > 0) lines.push(`  v${h} = vshrq_n_s32(v${h}, ${s.rsh});`);
    }
    zeroPointAfter = s.zeroPointAfter;
  }
  lines.push('  int16x8_t v = vqmovntq_s32(vqmovnbq_s32(vuninitializedq_s16(), vb), vt);');
  if (zeroPointAfter !== 0) lines.push(`  v = vqaddq_n_s16(v, ${zeroPointAfter});`);
  lines.push(`  return vminq_s16(vmaxq_s16(v, vdupq_n_s16(${k.actMin})), vdupq_n_s16(${k.actMax}));`, '}');
  return lines.join('\n');
}

/** The layer's C: the stage function and the broadcast walk with its vector rows. */
export function renderMveBinary(k: MveBinaryKernel, loops: readonly BroadcastLoop[], ctx: LayerEmitContext): string {
  const f = ctx.fnName;
  const inner = loops[loops.length - 1] ?? { extent: 1, strideA: 0, strideB: 0 };
  const outer = broadcastCView(loops.slice(0, -1));
  const out = ctx.graph.tensors[ctx.op.outputs[0]!]!;
  const size = out.shape.reduce((n, d) => n * d, 1);
  const indent = (text: string, by: string) => text.replace(/^(?=.)/gm, by);
  const body: string[] = [];
  body.push(
    `/* ${k.title} -> [${out.shape.join('x')}], ${size} elements: MVE, ${k.how}; rows of ${inner.extent}, 8 elements per loop turn (even and odd in int32 lanes), the last turn tail-predicated */`,
  );
  if (k.prelude) body.push(k.prelude);
  body.push(stageFunction(f, k));
  body.push(
    `static void ${f}(void) {`,
    `  const int8_t *in1 = ${ctx.input(0)};`,
    `  const int8_t *in2 = ${ctx.input(1)};`,
    `  int8_t *out = ${ctx.output(0)};`,
  );
  if (outer.loopVars) body.push(`  int ${outer.loopVars};`);
  for (const l of outer.loops) body.push(`  for (i${l.k} = 0; i${l.k} < ${l.extent}; ++i${l.k}) {`);
  body.push('  {', `    const int8_t *a = in1 + ${outer.indexA};`, `    const int8_t *b = in2 + ${outer.indexB};`, `    int32_t n = ${inner.extent};`);
  const hoisted = k.hoist('a', 'b');
  if (hoisted) body.push(hoisted);
  // all eight elements of both inputs are read before any is stored: the output may share an input's bytes
  body.push(`    for (; n >= 8; n -= 8, out += 8, a += ${8 * inner.strideA}, b += ${8 * inner.strideB}) {`);
  body.push(indent(k.shares('a', 'b', undefined), '      '), `      vstrbq_s16(out, ${f}_out(sb, st));`, '    }');
  body.push('    if (n > 0) {', '      const mve_pred16_t p = vctp16q((uint32_t)n);');
  body.push(indent(k.shares('a', 'b', 'p'), '      '), `      vstrbq_p_s16(out, ${f}_out(sb, st), p);`, '      out += n;', '    }');
  body.push('  }');
  for (let i = 0; i < outer.loops.length; i++) body.push('  }');
  body.push('}');
  return body.join('\n') + '\n';
}

/** Eight bytes widened to int16 lanes, or (for table offsets) to uint16 lanes. */
export function loadS16(ptr: string, pred: string | undefined): string {
  return pred ? `vldrbq_z_s16(${ptr}, ${pred})` : `vldrbq_s16(${ptr})`;
}

export function loadU16(ptr: string, pred: string | undefined): string {
  return pred ? `vldrbq_z_u16((const uint8_t *)${ptr}, ${pred})` : `vldrbq_u16((const uint8_t *)${ptr})`;
}

/** A 256-entry int32 table in flash beside the kernel (a kernel constant, counted as code). */
export function tableDefinition(name: string, values: Int32Array): string {
  return `static const int32_t ${name}[256] = {\n${cArrayBody(Array.from(values, cInt32), 8)}\n};`;
}

export { cInt32 as mveInt32 };
