// SPDX-License-Identifier: Apache-2.0
/**
 * float32 elementwise ops that TFLite Micro runs in float only (NEG, SQUARE, FLOOR, SQRT): TFLM
 * rejects int8 and int16 for them, so float32 is the only form a converter can leave them in. They
 * run in float models and between a DEQUANTIZE and a QUANTIZE of an int8 one (`floatKernel`).
 * Every op here is an exactly rounded IEEE operation (negation, one product, floor, square root), so the emitted C
 * needs no libm and gives TFLM's bits on every target: the C computes on the bit pattern or with
 * plain float arithmetic, and the TS reference works on the same bits (NaN payloads included, which
 * JS numbers do not keep).
 */
import { type Graph, type Op, elementCount } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { unaryTensors } from './elementwise.ts';
import { requireFloat32Only } from './float_variant.ts';

export interface FloatUnaryParams {
  size: number;
}

export interface FloatUnarySpec {
  kind: string;
  dir: string;
  /** one element: float32 bits in, float32 bits out (both as uint32) */
  bits(u: number): number;
  /** a C expression of `x` (float) and `u` (its bits, uint32_t) giving the output bits (uint32_t) */
  cBits: string;
  /** C helpers the expression calls, emitted once per layer (`FN` is replaced by the layer's function name) */
  cHelpers?: string;
  /** one line for the layer comment */
  what: string;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
export const toBits = (x: number): number => {
  F32[0] = x;
  return U32[0]!;
};
export const fromBits = (u: number): number => {
  U32[0] = u >>> 0;
  return F32[0]!;
};
export const isNaNBits = (u: number): boolean => (u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0;
/** a NaN operand comes out quieted, payload kept (x86 SSE, Arm VFP) */
export const quietBits = (u: number): number => (u | 0x00400000) >>> 0;

/** x86's default NaN (sign set), what an invalid operation writes on TFLite Micro's x86-64 build */
export const X86_DEFAULT_NAN = 0xffc00000;

export function floatUnaryOp(spec: FloatUnarySpec): OpDef<FloatUnaryParams> {
  return {
    kind: spec.kind,
    dir: spec.dir,
    floatKernel: true,
    check(graph: Graph, op: Op) {
      const { input, output } = unaryTensors(graph, op);
      requireFloat32Only(op, [
        [input, 'input'],
        [output, 'output'],
      ]);
    },
    prepare(graph, op) {
      return { size: elementCount(graph.tensors[op.inputs[0]!]!.shape) };
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
      for (let i = 0; i < p.size; i++) yu[i] = spec.bits(xu[i]!);
    },
    emitC(p, ctx) {
      return ctx.render('../common/families/float_unary.c.hbs', {
        fnName: ctx.fnName,
        kind: spec.kind,
        what: spec.what,
        input: ctx.input(0),
        output: ctx.output(0),
        size: p.size,
        shape: ctx.graph.tensors[ctx.op.inputs[0]!]!.shape.join('x'),
        helpers: spec.cHelpers?.replaceAll('FN', ctx.fnName) ?? '',
        expr: spec.cBits.replaceAll('FN', ctx.fnName),
      });
    },
  };
}
