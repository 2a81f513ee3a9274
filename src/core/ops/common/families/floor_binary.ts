// SPDX-License-Identifier: Apache-2.0
/**
 * What FLOOR_DIV and FLOOR_MOD share: TFLite Micro runs both in float32 only (their Eval's switch
 * has no other case), elementwise over two inputs of one type, broadcast by
 * BroadcastBinaryFunction4DSlow (so at most rank 4 when the shapes differ). Each output element is
 * a function of the two inputs' float32 bit patterns: the TS reference and the C work on the bits,
 * so NaN payloads come out as TFLite Micro's x86-64 build writes them, on every target.
 */
import { OpError } from '../../../errors.ts';
import type { Graph, Op } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { forEachPair } from './binary_elementwise.ts';
import { type BinaryLayout, binaryEmitView, binaryLayout, binaryTensors, sameShape } from './elementwise.ts';
import { tensorLabel } from './weighted.ts';

export interface FloorBinaryParams extends BinaryLayout {
  float32: true;
}

export interface FloorBinarySpec {
  kind: string;
  dir: string;
  /** one element: the two inputs' float32 bits in, the output's bits out (all as uint32) */
  bits(a: number, b: number): number;
  /** the C helper `static uint32_t FN_<name>(uint32_t a, uint32_t b)`; `FN` becomes the layer's function name */
  cHelper: string;
  cName: string;
  what: string;
  /** an extra check of the op (FLOOR_DIV: a constant divisor with a zero) */
  extraCheck?(graph: Graph, op: Op): void;
}

export function floorBinaryOp(spec: FloorBinarySpec): OpDef<FloorBinaryParams> {
  return {
    kind: spec.kind,
    dir: spec.dir,
    floatKernel: true,
    check(graph: Graph, op: Op) {
      const { a, b, out } = binaryTensors(graph, op);
      for (const [t, role] of [
        [a, 'input 1'],
        [b, 'input 2'],
        [out, 'output'],
      ] as const) {
        if (t.dtype !== 'float32') {
          throw new OpError(
            op.index,
            op.kind,
            `${role} ${tensorLabel(t)} is ${t.dtype}; TFLite Micro's ${op.kind} is float32 only (its kernel has no other type), so only float32 is supported`,
          );
        }
      }
      if (!(sameShape(a.shape, b.shape) && sameShape(a.shape, out.shape)) && out.shape.length > 4) {
        throw new OpError(
          op.index,
          op.kind,
          `output ${tensorLabel(out)} has rank ${out.shape.length}; TFLite Micro broadcasts ${op.kind} in at most 4 dimensions`,
        );
      }
      spec.extraCheck?.(graph, op);
    },
    prepare(graph, op) {
      return { ...binaryLayout(graph, op), float32: true };
    },
    macs: () => 0,
    evaluate(p, inputs, outputs) {
      const view = (t: unknown) => {
        const f = t as Float32Array;
        return new Uint32Array(f.buffer, f.byteOffset, f.length);
      };
      forEachPair(p.loops, [view(inputs[0]), view(inputs[1])], [view(outputs[0])], (x, y) => spec.bits(x, y));
    },
    emitC(p, ctx) {
      const v = binaryEmitView(p, ctx);
      const open = v.loops.map((l) => `  for (i${l.k} = 0; i${l.k} < ${l.extent}; ++i${l.k}) {`).join('\n');
      const close = v.loops.map(() => '  }').join('\n');
      const fn = spec.cName.replaceAll('FN', ctx.fnName);
      return `/* ${spec.kind} float32 [${v.shape}], ${v.size} elements${v.broadcast ? ', broadcast' : ''}: ${spec.what} (portable C, no libm) */
${spec.cHelper.replaceAll('FN', ctx.fnName)}
static void ${ctx.fnName}(void) {
  const float *in1 = ${v.input1};
  const float *in2 = ${v.input2};
  float *out = ${v.output};
  union { float f; uint32_t u; } a, b, r;
${v.loopVars ? `  int ${v.loopVars};\n` : ''}  /* one loop per output dimension (extents: the output shape); an input's index steps 0 along a dimension it is broadcast on */
${open}
    a.f = in1[${v.indexA}];
    b.f = in2[${v.indexB}];
    r.u = ${fn}(a.u, b.u);
    *out++ = r.f;
${close}
}
`;
    },
  };
}
