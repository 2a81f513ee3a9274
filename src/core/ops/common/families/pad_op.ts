// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../../errors.ts';
import { DTYPE_C, type Op, type Tensor, elementCount } from '../../../ir/graph.ts';
import type { OpDef } from '../../op.ts';
import { type MovementParams, denseStrides, renderCopy, stridedCopy } from './strided_copy.ts';
import { constIndexValues, forEachCoordinate, inputView, requireSameDtype, shapeComment, shapeText, viewOffset } from './shape_ops.ts';
import { optionalInput, requireInput, requireOutput, tensorLabel } from './weighted.ts';
import { cFloatLiteral } from './float_variant.ts';

export interface PadParams extends MovementParams {
  /** the input as the op reads it (transposed when a TRANSPOSE was folded in) */
  inShape: number[];
  inStrides: number[];
  inPerm?: number[];
  outShape: number[];
  before: number[];
  after: number[];
  /** the fill value when it is known at compile time; absent: read from input 2 (PADV2) at run time */
  padValue?: number;
  /** whether some output elements are padding (else the copy covers the whole output) */
  fills: boolean;
}

/**
 * PAD and PADV2 (TFLite Micro's reference Pad): output[o] = input[o - before] inside the input,
 * else the pad value: PADV2's constant_values scalar, or for PAD the output zero point (int8) and 0
 * (other dtypes), as TFLite Micro. The C fills the output with the pad value and copies the input
 * into its interior with the merged strided copy.
 *
 * Negative paddings do NOT crop in TFLite Micro: its loop marks an output element as padding when
 * some coordinate is below `before` or at/after `size - after` (a negative padding never does), and
 * fills every other element with the NEXT input element in memory order. So the interior is
 * `size - max(before, 0) - max(after, 0)` wide along each axis and takes the first elements of the
 * input, row by row, as if reshaped to the interior (not the cropped window). This kernel does the
 * same, bit-exact. A folded TRANSPOSE (`inputPermutation`) is only accepted without negative paddings.
 */
export function padOp(kind: 'PAD' | 'PADV2', dir: string): OpDef<PadParams> {
  return {
    kind,
    dir,
    // copies stored values and one fill value: float32 layers run the same C (TFLite Micro's float kernel does the same)
    floatKernel: true,

    check(graph, op) {
      const input = requireInput(graph, op, 0, 'input');
      const paddings = requireInput(graph, op, 1, 'paddings');
      const output = requireOutput(graph, op);
      requireSameDtype(op, input, output);
      if (op.inputs.length > 3) throw new OpError(op.index, op.kind, `expected 2 or 3 inputs, got ${op.inputs.length}`);
      const view = inputView(op, input);
      const rank = view.shape.length;
      const values = constIndexValues(op, paddings, 'paddings');
      if (values.length !== rank * 2) {
        throw new OpError(
          op.index,
          op.kind,
          `paddings ${tensorLabel(paddings)} holds ${values.length} values; expected ${rank * 2} (before and after for each of ${rank} dimensions)`,
        );
      }
      const expected = view.shape.map((d, k) => d + values[2 * k]! + values[2 * k + 1]!);
      if (output.shape.length !== rank || output.shape.some((d, k) => d !== expected[k])) {
        throw new OpError(
          op.index,
          op.kind,
          `output ${tensorLabel(output)} has shape ${shapeText(output.shape)}; input ${shapeText(view.shape)} padded by [${values.join(',')}] gives ${shapeText(expected)}`,
        );
      }
      if (expected.some((d) => d < 0)) throw new OpError(op.index, op.kind, `paddings [${values.join(',')}] crop more than the input holds`);
      if (view.perm && values.some((v) => v < 0)) {
        throw new OpError(op.index, op.kind, `negative paddings [${values.join(',')}] with a folded TRANSPOSE (inputPermutation) are not supported`);
      }
      const constant = optionalInput(graph, op, 2);
      if (constant) checkConstantValue(op, constant, output);
      else if (output.dtype === 'int8' && !output.quant) {
        throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has no quantization parameters (PAD fills with its zero point)`);
      }
    },

    prepare(graph, op) {
      const input = graph.tensors[op.inputs[0]!]!;
      const output = graph.tensors[op.outputs[0]!]!;
      const view = inputView(op, input);
      const values = constIndexValues(op, graph.tensors[op.inputs[1]!]!, 'paddings');
      const before = view.shape.map((_, k) => values[2 * k]!);
      const after = view.shape.map((_, k) => values[2 * k + 1]!);
      const outShape = [...output.shape];
      const outStrides = denseStrides(outShape);
      // the interior TFLite Micro fills from the input (all of it unless a padding is negative: then
      // the first elements of the input in memory order, laid out as the smaller interior)
      const start = before.map((b) => Math.max(0, b));
      const extents = outShape.map((d, k) => Math.max(0, d - start[k]! - Math.max(0, after[k]!)));
      const negative = values.some((v) => v < 0);
      const copy = stridedCopy(extents, negative ? denseStrides(extents) : view.strides, outStrides, 0, viewOffset(outStrides, start));
      const outputElements = elementCount(outShape);
      const constant = optionalInput(graph, op, 2);
      const p: PadParams = {
        dtype: input.dtype,
        ctype: DTYPE_C[input.dtype],
        moves: [{ input: 0, output: 0, copy }],
        outputElements: [outputElements],
        inShape: view.shape,
        inStrides: view.strides,
        outShape,
        before,
        after,
        fills: copy.count < outputElements,
      };
      if (view.perm) p.inPerm = view.perm;
      const known = constant ? constantValue(constant) : defaultPadValue(output);
      if (known !== undefined) p.padValue = known;
      return p;
    },

    macs() {
      return 0;
    },

    evaluate(p, inputs, outputs) {
      const input = inputs[0]! as unknown as unknown[];
      const output = outputs[0]! as unknown as unknown[];
      const pad = p.padValue !== undefined ? castLike(outputs[0]!, p.padValue) : (inputs[2]! as unknown as unknown[])[0];
      // TFLite Micro's loop: padding where a coordinate is below `before` or at/after `size - after`,
      // else the next input element (of the input as read: through the folded transpose, if any)
      const at = new Array<number>(p.inShape.length).fill(0);
      forEachCoordinate(p.outShape, (coord, flat) => {
        let inside = true;
        for (let k = 0; k < coord.length; k++) {
          if (coord[k]! < p.before[k]! || coord[k]! >= p.outShape[k]! - p.after[k]!) inside = false;
        }
        if (!inside) {
          output[flat] = pad;
          return;
        }
        output[flat] = input[viewOffset(p.inStrides, at)];
        for (let k = at.length - 1; k >= 0; k--) {
          if (++at[k]! < p.inShape[k]!) break;
          at[k] = 0;
        }
      });
    },

    emitC(p, ctx) {
      const n = p.outputElements[0]!;
      const value = p.padValue !== undefined ? cLiteral(p.dtype, p.padValue) : `${ctx.input(2)}[0]`;
      const fill = !p.fills
        ? ''
        : p.dtype === 'int8' || p.dtype === 'uint8' || p.dtype === 'bool'
          ? `memset(out, pad, ${n});`
          : p.dtype === 'int16'
            ? `tf_fill_i16(out, pad, ${n});`
            : p.dtype === 'int32'
              ? `tf_fill_i32(out, pad, ${n});`
              : `{ int32_t i; for (i = 0; i < ${n}; ++i) out[i] = pad; }`;
      return ctx.render('../common/families/pad.c.hbs', {
        fnName: ctx.fnName,
        kind: ctx.op.kind,
        dtype: p.dtype,
        ctype: p.ctype,
        inShape: shapeComment(p.inShape),
        outShape: shapeComment(p.outShape),
        paddings: p.before.map((b, k) => `${b}/${p.after[k]}`).join(', '),
        transposed: p.inPerm ? `, input read through perm (${p.inPerm.join(', ')}) (a folded TRANSPOSE)` : '',
        fills: p.fills,
        value,
        output: ctx.output(0),
        fill,
        copy: renderCopy(p.moves[0]!.copy, p.ctype, ctx.input(0), 'out'),
      });
    },
  };
}

/** PADV2's constant_values: a scalar of the input's dtype; for int8 on the output's scale and zero point. */
function checkConstantValue(op: Op, t: Tensor, output: Tensor): void {
  if (t.dtype !== output.dtype) throw new OpError(op.index, op.kind, `constant_values ${tensorLabel(t)} is ${t.dtype}; expected ${output.dtype}`);
  if (elementCount(t.shape) !== 1)
    throw new OpError(op.index, op.kind, `constant_values ${tensorLabel(t)} has shape ${shapeText(t.shape)}; expected one value`);
  if (output.dtype === 'int8') {
    const a = t.quant,
      b = output.quant;
    if (!a || !b || Math.fround(a.scale[0]!) !== Math.fround(b.scale[0]!) || a.zeroPoint[0] !== b.zeroPoint[0]) {
      throw new OpError(op.index, op.kind, `constant_values ${tensorLabel(t)} must share the output's scale and zero point (TFLite Micro requires it)`);
    }
  }
}

function constantValue(t: Tensor): number | undefined {
  if (!t.data) return undefined;
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'int8':
      return view.getInt8(0);
    case 'uint8':
    case 'bool':
      return view.getUint8(0);
    case 'int16':
      return view.getInt16(0, true);
    case 'int32':
      return view.getInt32(0, true);
    case 'int64':
      return Number(view.getBigInt64(0, true));
    case 'float32':
      return view.getFloat32(0, true);
    default:
      return undefined;
  }
}

function defaultPadValue(output: Tensor): number {
  return output.dtype === 'int8' ? output.quant!.zeroPoint[0]! : 0;
}

function castLike(buffer: unknown, value: number): unknown {
  return buffer instanceof BigInt64Array ? BigInt(value) : value;
}

function cLiteral(dtype: string, v: number): string {
  if (dtype === 'float32') return cFloatLiteral(v);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}
