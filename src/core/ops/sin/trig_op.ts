// SPDX-License-Identifier: Apache-2.0
/**
 * SIN and COS as ops: float32 only (TFLite Micro's GenericPrepare<IsNumericSupportedType> accepts
 * kTfLiteFloat32 alone, input and output of one type), elementwise over any shape, with the
 * kernel of sincos.ts (within SINCOS_ULP of TFLite Micro's glibc sinf / cosf, the same bits on
 * every target).
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { unaryTensors } from '../common/families/elementwise.ts';
import { tensorLabel } from '../common/families/weighted.ts';
import { requireFloat32Only } from '../common/families/float_variant.ts';
import { SINCOS_C, SINCOS_ULP, sincosBits } from './sincos.ts';

export interface TrigParams {
  float32: true;
  size: number;
}

export function trigOp(kind: 'SIN' | 'COS', dir: string): OpDef<TrigParams> {
  const cosine = kind === 'COS';
  return {
    kind,
    dir,
    floatKernel: true,
    check(graph: Graph, op: Op) {
      const { input, output } = unaryTensors(graph, op);
      requireFloat32Only(op, [
        [input, 'input'],
        [output, 'output'],
      ]);
      if (elementCount(input.shape) !== elementCount(output.shape)) {
        throw new OpError(
          op.index,
          op.kind,
          `output ${tensorLabel(output)} has ${elementCount(output.shape)} elements, input ${tensorLabel(input)} ${elementCount(input.shape)}`,
        );
      }
    },
    prepare(graph, op) {
      return { float32: true, size: elementCount(graph.tensors[op.inputs[0]!]!.shape) };
    },
    macs(graph, op) {
      return elementCount(graph.tensors[op.inputs[0]!]!.shape);
    },
    overlap: () => ({ input: 0, gap: 0 }),
    evaluate(p, inputs, outputs) {
      const x = inputs[0] as Float32Array;
      const y = outputs[0] as Float32Array;
      const xu = new Uint32Array(x.buffer, x.byteOffset, p.size);
      const yu = new Uint32Array(y.buffer, y.byteOffset, p.size);
      for (let i = 0; i < p.size; i++) yu[i] = sincosBits(xu[i]!, cosine);
    },
    emitC(p, ctx) {
      ctx.defineOnce('tf_sincosf_bits', SINCOS_C);
      const shape = ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x');
      return `/* ${kind} float32 [${shape}], ${p.size} elements: ${cosine ? 'cosf' : 'sinf'}(x), the kernel's own (within ${SINCOS_ULP} ULP of TFLite Micro's glibc; the same bits on every target) */
static void ${ctx.fnName}(void) {
  const float *in = ${ctx.input(0)};
  float *out = ${ctx.output(0)};
  union { float f; uint32_t u; } v;
  int i;
  for (i = 0; i < ${p.size}; ++i) {
    v.f = in[i];
    v.u = tf_sincosf_bits(v.u, ${cosine ? 1 : 0});
    out[i] = v.f;
  }
}
`;
    },
  };
}
