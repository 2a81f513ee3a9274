// SPDX-License-Identifier: Apache-2.0
/**
 * QUANTIZE's Armv6-M variant (Cortex-M0/M0+, the RP2040) for requantizing int8, uint8 and int16 to
 * int8, uint8 or int16: the portable kernel's tf_mbqm multiplies in 64 bits, which Thumb-1 does through
 * libgcc (some 100 cycles an element); here common/isa/m0plus_requant.ts's exact per-layer form for
 * the inputs' compile-time bound (|in - zero point| <= 65535) takes 32-bit products only. Where a left
 * shift could carry the product or the zero point's add past int32 (zeroPointAddFits), the portable
 * kernel runs instead.
 */
import type { KernelVariant } from '../op.ts';
import { DTYPE_C } from '../../ir/graph.ts';
import type { QuantizeParams } from './index.ts';
import { m0RequantFn } from '../common/isa/m0plus_requant.ts';
import { zeroPointAddFits } from '../common/numerics/fixedpoint.ts';

const NARROW: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] };

/** the largest |in - input zero point| */
function inputBound(p: Extract<QuantizeParams, { mode: 'requantize' }>): number {
  const [lo, hi] = NARROW[p.inType]!;
  return Math.max(Math.abs(hi - p.inputZeroPoint), Math.abs(lo - p.inputZeroPoint));
}

export function quantizeM0plusApplies(p: QuantizeParams): boolean {
  if (p.mode !== 'requantize' || !NARROW[p.inType] || !NARROW[p.outType]) return false;
  if (!(p.multiplier >= 0) || p.shift < -31 || p.shift > 31) return false;
  return zeroPointAddFits(p.multiplier, p.shift, inputBound(p), p.outputZeroPoint);
}

export const quantizeM0plusVariant: KernelVariant<QuantizeParams> = {
  name: 'armv6m',
  family: 'armv6m',
  applies: quantizeM0plusApplies,
  emit(p, ctx) {
    if (p.mode !== 'requantize') throw new Error('internal: QUANTIZE armv6m is for requantization');
    const bound = inputBound(p);
    const rqName = `${ctx.fnName}_rq`;
    return ctx.render('requantize_m0plus.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      inCType: DTYPE_C[p.inType],
      outCType: DTYPE_C[p.outType],
      shape: ctx.graph.tensors[ctx.op.outputs[0]!]!.shape.join('x'),
      outMinLiteral: String(p.outMin),
      bound,
      rqName,
      rqFn: m0RequantFn({ name: rqName, multiplier: p.multiplier, shift: p.shift, bound, zp: p.outputZeroPoint, lo: p.outMin, hi: p.outMax }),
    });
  },
  cFiles: ['common/isa/m0plus_rq.h'],
};
