// SPDX-License-Identifier: Apache-2.0
/**
 * ADD's and SUB's MVE variant: the common-scale plan of every other family (planCommonScale: each
 * input's share a 256-entry table or bias +- q * 2^shift, the output stage SMMLAR-like where it
 * equals TFLite Micro on all 65,536 input pairs, else the exact requantization), four lanes per
 * vector (elementwise_mve.ts): a table share is one gather load (VLDRW.32, the widened bytes as
 * offsets), a shift share one VMLA by a scalar (two of one magnitude summed in int16 first), a share
 * broadcast along the row computed once per row.
 */
import type { KernelVariant } from '../../op.ts';
import type { BroadcastLoop } from './broadcast.ts';
import { type CommonScaleParams, type CommonScaleTerm, planCommonScale } from './binary_elementwise.ts';
import { type MveOutputStage, loadS16, loadU16, mveInt32, mveRowsFit, renderMveBinary, tableDefinition } from './elementwise_mve.ts';

interface CommonScaleLayer extends CommonScaleParams {
  loops: BroadcastLoop[];
  actMin: number;
  actMax: number;
}

export function commonScaleMveVariant<P extends CommonScaleLayer>(
  kind: 'ADD' | 'SUB',
  leftShift: number,
  sign2: 1 | -1,
  overlap: (p: P) => { input: number; gap: number } | undefined,
): KernelVariant<P> {
  return {
    name: 'mve',
    family: 'arm-mve',
    applies: (p) => mveRowsFit(p.loops),
    cFiles: ['common/isa/arm_helium.h'],
    // each loop turn reads all its elements of both inputs before it stores any output
    overlap,
    emit(p, ctx) {
      const plan = planCommonScale(p, leftShift, sign2, p.actMin, p.actMax);
      const f = ctx.fnName;
      const inner = p.loops[p.loops.length - 1] ?? { extent: 1, strideA: 0, strideB: 0 };
      const tables: string[] = [];
      const tableName = (t: Extract<CommonScaleTerm, { kind: 'table' }>) => {
        const name = `${f}_lut${tables.length + 1}`;
        tables.push(tableDefinition(name, t.values));
        return name;
      };
      const terms = plan.terms.map((t) => ({ term: t, table: t.kind === 'table' ? tableName(t) : '' }));
      const coefficient = (t: Extract<CommonScaleTerm, { kind: 'shift' }>) => (t.negative ? -1 : 1) * 2 ** t.shift;
      const streamed = [inner.strideA !== 0, inner.strideB !== 0];
      // the shares that do not move along the row, and the shift shares' biases: one constant per row
      // (summed as uint32_t: the int32 wrap the vector adds have)
      const constantParts: string[] = [];
      terms.forEach(({ term, table }, i) => {
        const q = `${i === 0 ? 'a' : 'b'}[0]`;
        if (!streamed[i])
          constantParts.push(
            term.kind === 'table' ? `(uint32_t)${table}[(uint8_t)${q}]` : `(uint32_t)${mveInt32(term.bias)} + (uint32_t)(${coefficient(term)} * ${q})`,
          );
        else if (term.kind === 'shift' && term.bias !== 0) constantParts.push(`(uint32_t)${mveInt32(term.bias)}`);
      });
      const hasConstant = constantParts.length > 0;
      // two shift shares of one magnitude (the inputs share a scale) are one: c (q1 +- q2), the sum
      // or difference of two int8 values within int16
      const [t1, t2] = plan.terms;
      const merged = streamed[0] && streamed[1] && t1.kind === 'shift' && t2.kind === 'shift' && t1.shift === t2.shift;
      const shares = (a: string, b: string, pred: string | undefined): string => {
        const lines: string[] = [];
        const halves: Record<'b' | 't', string | undefined> = { b: undefined, t: undefined };
        // the first share takes the row's constant: VMLAS (x c + k) writes the widened temporary, no copy of k
        const shift = (h: 'b' | 't', x: string, c: number) => {
          const widened = `vmovl${h}q_s16(${x})`;
          if (halves[h]) halves[h] = `vmlaq_n_s32(${halves[h]}, ${widened}, ${c})`;
          else halves[h] = hasConstant ? `vmlasq_n_s32(${widened}, vdupq_n_s32(${c}), k)` : `vmulq_n_s32(${widened}, ${c})`;
        };
        if (merged) {
          const c = coefficient(t1);
          const same = t1.negative === t2.negative;
          lines.push(`const int16x8_t x = ${same ? 'vaddq_s16' : 'vsubq_s16'}(${loadS16(a, pred)}, ${loadS16(b, pred)});`);
          for (const h of ['b', 't'] as const) shift(h, 'x', c);
        } else {
          terms.forEach(({ term, table }, i) => {
            if (!streamed[i]) return;
            const ptr = i === 0 ? a : b;
            if (term.kind === 'table') {
              lines.push(`const uint16x8_t u${i} = ${loadU16(ptr, pred)};`);
              for (const h of ['b', 't'] as const) {
                const gathered = `vldrwq_gather_shifted_offset_s32(${table}, vmovl${h}q_u16(u${i}))`;
                halves[h] = halves[h] ? `vaddq_s32(${halves[h]}, ${gathered})` : hasConstant ? `vaddq_n_s32(${gathered}, k)` : gathered;
              }
            } else {
              lines.push(`const int16x8_t x${i} = ${loadS16(ptr, pred)};`);
              for (const h of ['b', 't'] as const) shift(h, `x${i}`, coefficient(term));
            }
          });
        }
        const whole = hasConstant ? 'vdupq_n_s32(k)' : 'vdupq_n_s32(0)';
        lines.push(`const int32x4_t sb = ${halves.b ?? whole}, st = ${halves.t ?? whole};`);
        return lines.join('\n');
      };
      const o = plan.output;
      const stage: MveOutputStage =
        o.kind === 'exact'
          ? o
          : { kind: 'smmlar', multiplier: o.multiplier, rnd: o.rnd, rsh: o.rsh, zeroPointAfter: o.zeroPointAfter, signOf: o.signFix ? 'h' : undefined };
      const describe = (t: CommonScaleTerm) => (t.kind === 'table' ? 'gathered table' : `${t.negative ? '-' : ''}q*2^${t.shift}`);
      return renderMveBinary(
        {
          title: `${kind} int8`,
          how: `inputs as ${describe(plan.terms[0])}, ${describe(plan.terms[1])}; ${o.kind === 'exact' ? 'exact requantization' : `VRMULH requantization${o.signFix ? ' with the sign term' : ''}`}`,
          prelude: tables.join('\n'),
          hoist: () => (hasConstant ? `    const int32_t k = (int32_t)(${constantParts.join(' + ')});` : ''),
          shares,
          stage,
          actMin: p.actMin,
          actMax: p.actMax,
        },
        p.loops,
        ctx,
      );
    },
  };
}
