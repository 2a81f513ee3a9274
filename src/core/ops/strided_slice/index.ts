// SPDX-License-Identifier: Apache-2.0
import { OpError } from '../../errors.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { constIndexValues, requireSameDtype, shapeText } from '../common/families/shape_ops.ts';
import { type SliceParams, emitSlice, evaluateSlice, sliceParams } from '../common/families/slice.ts';
import { requireInput, requireOutput, tensorLabel } from '../common/families/weighted.ts';

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** TFLite's StartForAxis: begin_mask, negative indices, clamping by direction. */
function startForAxis(begin: number, step: number, size: number, masked: boolean): number {
  if (size === 0) return 0;
  let start = masked ? (step > 0 ? -Infinity : Infinity) : begin;
  if (start < 0) start += size;
  return step > 0 ? clampInt(start, 0, size) : clampInt(start, -1, size - 1);
}

/** TFLite's StopForAxis: end_mask, shrink (start + 1), negative indices, clamping by direction. */
function stopForAxis(end: number, step: number, size: number, masked: boolean, shrink: boolean, start: number): number {
  if (size === 0) return 0;
  if (shrink) return start + 1;
  let stop = masked ? (step > 0 ? Infinity : -Infinity) : end;
  if (stop < 0) stop += size;
  return step > 0 ? clampInt(stop, 0, size) : clampInt(stop, -1, size - 1);
}

interface StridedSliceAttrs {
  beginMask?: number;
  endMask?: number;
  ellipsisMask?: number;
  newAxisMask?: number;
  shrinkAxisMask?: number;
  offset?: boolean;
}

/** Per-axis starts, steps and counts as TFLite Micro's strided_slice computes them, checked; `kept` is the output shape. */
export function resolveStridedSlice(graph: Graph, op: Op): { starts: number[]; steps: number[]; counts: number[]; kept: number[] } {
  const input = requireInput(graph, op, 0, 'input');
  const rank = input.shape.length;
  const a = op.attrs as StridedSliceAttrs;
  if (a.ellipsisMask || a.newAxisMask) {
    throw new OpError(
      op.index,
      op.kind,
      `ellipsis_mask ${a.ellipsisMask ?? 0} / new_axis_mask ${a.newAxisMask ?? 0} are not supported (TFLite Micro ignores them); re-export with explicit indices`,
    );
  }
  if (a.offset) throw new OpError(op.index, op.kind, 'offset = true is not supported (TFLite Micro ignores it)');
  const vectors = (['begin', 'end', 'strides'] as const).map((role, k) => {
    const t = requireInput(graph, op, k + 1, role);
    const v = constIndexValues(op, t, role);
    if (v.length !== rank) throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} holds ${v.length} values; expected ${rank} (the input rank)`);
    return v;
  });
  const [begin, end, strides] = vectors as [number[], number[], number[]];
  const starts: number[] = [],
    steps: number[] = [],
    counts: number[] = [],
    kept: number[] = [];
  for (let k = 0; k < rank; k++) {
    const size = input.shape[k]!;
    const step = strides[k]!;
    if (step === 0) throw new OpError(op.index, op.kind, `stride of axis ${k} is 0`);
    const shrink = (((a.shrinkAxisMask ?? 0) >> k) & 1) === 1;
    const start = startForAxis(begin[k]!, step, size, (((a.beginMask ?? 0) >> k) & 1) === 1);
    const stop = stopForAxis(end[k]!, step, size, (((a.endMask ?? 0) >> k) & 1) === 1, shrink, start);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (shrink && (start < 0 || start >= size || step < 0)) {
      throw new OpError(
        op.index,
        op.kind,
        step < 0
          ? `shrunk axis ${k} has a negative stride (TFLite Micro then copies nothing)`
          : `shrunk axis ${k} index ${begin[k]} is outside the input's ${size} elements`,
      );
    }
    starts.push(count > 0 ? start : 0);
    steps.push(step);
    counts.push(count);
    if (!shrink) kept.push(count);
  }
  return { starts, steps, counts, kept };
}

/**
 * STRIDED_SLICE (TFLite Micro's reference StridedSlice with its StartForAxis/StopForAxis index
 * rules): begin/end/strides constant, begin/end/shrink-axis masks. Pure data movement in any dtype.
 */
const stridedSlice: OpDef<SliceParams> = {
  kind: 'STRIDED_SLICE',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    const input = requireInput(graph, op, 0, 'input');
    const output = requireOutput(graph, op);
    requireSameDtype(op, input, output);
    const { kept } = resolveStridedSlice(graph, op);
    if (output.shape.length !== kept.length || output.shape.some((d, k) => d !== kept[k])) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(output)} has shape ${shapeText(output.shape)}; the slice of ${shapeText(input.shape)} gives ${shapeText(kept)}`,
      );
    }
  },

  prepare(graph, op) {
    const { starts, steps, counts } = resolveStridedSlice(graph, op);
    return sliceParams(graph, op, starts, steps, counts);
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateSlice(p, inputs[0]! as unknown as unknown[], outputs[0]! as unknown as unknown[]);
  },

  emitC(p, ctx) {
    return emitSlice(p, ctx, p.starts.map((s, k) => `${s}:${p.counts[k]}x${p.steps[k]}`).join(', '));
  },
};

export default stridedSlice;
