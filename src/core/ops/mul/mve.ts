// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's MVE variant (Cortex-M55/M85): the Arm DSP variant's plan (planMulDsp: a = p * 2^lsh1 with
 * p = (q1 + o1)(q2 + o2), one SMMLAR-like rounding multiply-high whose addend and tie rule equal
 * TFLite Micro's MultiplyByQuantizedMultiplier on all 65,536 input pairs of the layer), four int32
 * lanes per vector (common/families/elementwise_mve.ts). Eight bytes of each input widened to int16
 * lanes, VADD of o1, VMLAS for (q2 + o2) 2^lsh1 (|.| <= 255 * 2^7 fits the lane; larger factors shift
 * the product), and VMULLB/VMULLT give the even and odd elements' products in int32 lanes. An input
 * broadcast along the row: its factor k = (q + o) 2^lsh1 once per row, multiplied in the same way. Same rows and layers as
 * the DSP variant (inner strides 0 or 1); the rest keeps the portable C.
 */
import type { KernelVariant } from '../op.ts';
import { inPlaceOverlap } from '../common/families/binary_elementwise.ts';
import { loadS16, mveRowsFit, renderMveBinary } from '../common/families/elementwise_mve.ts';
import type { MulParams } from './index.ts';
import { planMulDsp } from './dsp.ts';

/** An offset as a term: + 3, - 5. */
const signed = (v: number) => (v < 0 ? `- ${-v}` : `+ ${v}`);

export const mulMve: KernelVariant<MulParams> = {
  name: 'mve',
  family: 'arm-mve',
  applies: (p) => mveRowsFit(p.loops) && planMulDsp(p) !== undefined,
  // each loop turn reads all its elements of both inputs before it stores any output
  overlap: inPlaceOverlap,
  cFiles: ['common/isa/arm_helium.h'],
  emit(p, ctx) {
    const s = planMulDsp(p)!;
    const inner = p.loops[p.loops.length - 1] ?? { extent: 1, strideA: 0, strideB: 0 };
    const scale = 2 ** s.lsh1;
    const [streamA, streamB] = [inner.strideA !== 0, inner.strideB !== 0];
    // the factor of an input that does not move along the row, computed once per row in uint32_t (the
    // int32 wrap of the DSP kernel's shift)
    const factor = (q: string, offset: number) => `(int32_t)((uint32_t)((int32_t)${q} + ${offset}) << ${s.lsh1})`;
    // (q + o) 2^lsh1 fits an int16 lane while |.| <= 255 * 128: the factor then goes into one operand
    const inLanes = s.lsh1 <= 7;
    const hoist = (): string => {
      if (streamA && streamB) return '';
      if (!streamA && !streamB)
        return `    const int32x4_t k = vdupq_n_s32((int32_t)((uint32_t)(((int32_t)a[0] + ${p.input1Offset}) * ((int32_t)b[0] + ${p.input2Offset})) << ${s.lsh1}));`;
      const [q, offset] = streamA ? ['b[0]', p.input2Offset] : ['a[0]', p.input1Offset];
      return `    const int32_t k = ${factor(q, offset)};${inLanes ? '\n    const int16x8_t kv = vdupq_n_s16((int16_t)k);' : ''}`;
    };
    const shares = (a: string, b: string, pred: string | undefined): string => {
      if (!streamA && !streamB) return 'const int32x4_t sb = k, st = k;';
      if (streamA && streamB) {
        const x2 = inLanes
          ? `vmlasq_n_s16(${loadS16(b, pred)}, vdupq_n_s16(${scale}), ${p.input2Offset * scale})`
          : `vaddq_n_s16(${loadS16(b, pred)}, ${p.input2Offset})`;
        const product = (h: string) => (inLanes ? `vmull${h}q_int_s16(x1, x2)` : `vshlq_n_s32(vmull${h}q_int_s16(x1, x2), ${s.lsh1})`);
        return [
          `const int16x8_t x1 = vaddq_n_s16(${loadS16(a, pred)}, ${p.input1Offset}), x2 = ${x2};`,
          `const int32x4_t sb = ${product('b')}, st = ${product('t')};`,
        ].join('\n');
      }
      const [ptr, offset] = streamA ? [a, p.input1Offset] : [b, p.input2Offset];
      const line = `const int16x8_t x = vaddq_n_s16(${loadS16(ptr, pred)}, ${offset});`;
      // k fits int16 when lsh1 <= 7; else (q + o) times k in int32 lanes, wrapping as the DSP kernel's shift
      return inLanes
        ? `${line}\nconst int32x4_t sb = vmullbq_int_s16(x, kv), st = vmulltq_int_s16(x, kv);`
        : `${line}\nconst int32x4_t sb = vmulq_n_s32(vmovlbq_s16(x), k), st = vmulq_n_s32(vmovltq_s16(x), k);`;
    };
    const tie = s.signFix
      ? 'sign term'
      : s.rsh === 0 || s.rnd === 2 ** (s.rsh - 1) + (p.outputZeroPoint - s.zeroPointAfter) * 2 ** s.rsh
        ? 'ties up'
        : 'ties down';
    return renderMveBinary(
      {
        title: 'MUL int8',
        how: `(q1 ${signed(p.input1Offset)}) (q2 ${signed(p.input2Offset)}) 2^${s.lsh1}, VRMULH requantization (${tie})`,
        prelude: '',
        hoist,
        shares,
        stage: { kind: 'smmlar', multiplier: p.multiplier, rnd: s.rnd, rsh: s.rsh, zeroPointAfter: s.zeroPointAfter, signOf: s.signFix ? 'a' : undefined },
        actMin: p.actMin,
        actMax: p.actMax,
      },
      p.loops,
      ctx,
    );
  },
};
