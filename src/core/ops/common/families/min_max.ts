// SPDX-License-Identifier: Apache-2.0
/**
 * MAXIMUM and MINIMUM (TFLite Micro's MaximumMinimumBroadcastSlow): the elementwise max/min of the
 * raw stored values with broadcasting. Nothing is requantized: TFLite Micro compares the stored
 * integers as they are and writes the winner, so the converter gives both inputs and the output one
 * scale and zero point. Works on int8, int16, int32 and float32 tensors alike (float32: TFLite
 * Micro's `el1 > el2 ? el1 : el2`, the same C on floats; max(+0, -0) is the second operand).
 */
import { OpError } from '../../../errors.ts';
import type { DType } from '../../../ir/graph.ts';
import { DTYPE_C } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { forEachPair } from './binary_elementwise.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors } from './elementwise.ts';
import { tensorLabel } from './weighted.ts';

export interface MinMaxParams extends BinaryLayout {
  dtype: DType;
}

const SUPPORTED: readonly DType[] = ['int8', 'int16', 'int32', 'float32'];

export function minMaxOp(kind: 'MAXIMUM' | 'MINIMUM', dir: string, template: string): OpDef<MinMaxParams> {
  const pick = kind === 'MAXIMUM' ? (x: number, y: number) => (x > y ? x : y) : (x: number, y: number) => (x < y ? x : y);
  return {
    kind,
    dir,
    floatKernel: true,

    check(graph, op) {
      const { a, b, out } = binaryTensors(graph, op);
      if (!SUPPORTED.includes(out.dtype))
        throw new OpError(op.index, op.kind, `output ${tensorLabel(out)} is ${out.dtype}; only ${SUPPORTED.join(', ')} are supported`);
      for (const [t, role] of [
        [a, 'input 1'],
        [b, 'input 2'],
      ] as const) {
        if (t.dtype !== out.dtype) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} is ${t.dtype}; the output is ${out.dtype}`);
      }
    },

    prepare(graph, op) {
      return { ...binaryLayout(graph, op), dtype: graph.tensors[op.outputs[0]!]!.dtype };
    },

    macs() {
      return 0;
    },

    overlap(p) {
      return p.inPlaceInput === undefined ? undefined : { input: p.inPlaceInput, gap: 0 };
    },

    evaluate: (p, inputs, outputs) => forEachPair(p.loops, inputs, outputs, pick),

    emitC(p, ctx) {
      return ctx.render(template, { ...binaryEmitView(p, ctx), ctype: DTYPE_C[p.dtype], dtype: p.dtype });
    },
  };
}
