// SPDX-License-Identifier: Apache-2.0
/**
 * ELU, int8: TFLite Micro's lookup table built in float at Prepare (elu.cc PopulateLookupTable):
 * x = s_in·(q − z_in) in float32, f(x) = x < 0 ? expf(x) − 1 : x, times the float32 1/s_out,
 * roundf, + z_out, clamped (common/numerics/float_table.ts). The table is the whole kernel, as in TFLM.
 * (TFLM's ELU has no int16 kernel.)
 */
import { f32 } from '../common/numerics/fixedpoint.ts';
import { int8UnaryTensors } from '../common/families/elementwise.ts';
import { type FloatTableQuant, expf, floatTableQuant, floatTableValue } from '../common/numerics/float_table.ts';
import { tableOp } from '../common/families/table_op.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { ELU_KERNEL } from '../common/families/float_libm.ts';

export const eluF32 = (x: number): number => (x < 0 ? f32(expf(x) - 1) : x);

const elu = tableOp<FloatTableQuant>({
  kind: 'ELU',
  dir: import.meta.dirname,
  template: 'elu.c.hbs',
  check(graph, op) {
    int8UnaryTensors(graph, op);
  },
  quantize: floatTableQuant,
  value: (q, p) => floatTableValue(q, p, eluF32),
});

// float32: TFLite's reference Elu with libm's expm1f (common/families/float_libm.ts)
export default withFloatVariant(elu, ELU_KERNEL);
