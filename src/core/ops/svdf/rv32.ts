// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF's RV32IMC variant (the ESP32-C3 class): m0plus.ts's one pass per filter, its requantizations
 * common/isa/rv32_rq.ts's exact MULHSU form for the compile-time bound of their sums (any int32 where the
 * time sums may wrap).
 */
import type { KernelVariant } from '../op.ts';
import type { SvdfParams } from './index.ts';
import { emitSvdfScalar } from './m0plus.ts';
import { rv32RequantFn } from '../common/isa/rv32_rq.ts';

export const svdfRv32Variant: KernelVariant<SvdfParams> = {
  name: 'rv32',
  family: 'rv32',
  applies: () => true,
  emit: (p, ctx) => emitSvdfScalar(p, ctx, 'RV32', rv32RequantFn),
};
