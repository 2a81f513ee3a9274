// SPDX-License-Identifier: Apache-2.0
/** Constant -> a constant value (its `value` tensor, or a scalar / list attribute). */
import type { OnnxOpLowering } from './registry.ts';
import { TensorContentError, tensorValues } from '../tensors.ts';

export const constant: OnnxOpLowering = {
  minOpset: 1,
  lower(ctx, node) {
    const name = node.output?.[0];
    if (!name) throw ctx.fail(node, 'output 0 is missing');
    const t = ctx.attr(node, 'value')?.t;
    if (t) {
      try {
        ctx.values.set(name, { kind: 'const', ...tensorValues(t) });
      } catch (e) {
        if (e instanceof TensorContentError) throw ctx.fail(node, `value: ${e.message}`);
        throw e;
      }
    } else if (ctx.attr(node, 'value_float')) {
      ctx.values.set(name, { kind: 'const', dtype: 'float32', dims: [], values: [ctx.attrFloat(node, 'value_float', 0)] });
    } else if (ctx.attr(node, 'value_floats')) {
      const floats = ctx.attr(node, 'value_floats')!.floats ?? [];
      ctx.values.set(name, { kind: 'const', dtype: 'float32', dims: [floats.length], values: [...floats] });
    } else if (ctx.attr(node, 'value_int')) {
      ctx.values.set(name, { kind: 'const', dtype: 'int64', dims: [], values: [ctx.attrInt(node, 'value_int', 0)] });
    } else if (ctx.attr(node, 'value_ints')) {
      const ints = ctx.attrInts(node, 'value_ints') ?? [];
      ctx.values.set(name, { kind: 'const', dtype: 'int64', dims: [ints.length], values: ints });
    } else {
      throw ctx.fail(node, 'has no value attribute tinyforge reads (value, value_float(s), value_int(s))');
    }
    ctx.note('a constant');
  },
};
