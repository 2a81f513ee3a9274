// SPDX-License-Identifier: Apache-2.0
import { withFloatVariant } from '../common/families/float_variant.ts';
import { floatArithmetic, outputIsFloat } from '../common/families/float_arithmetic.ts';
import { OpError } from '../../errors.ts';
import type { ActivationAttrs, FusedActivation, Graph, Op } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { type BroadcastLoop, broadcastShape } from '../common/families/broadcast.ts';
import { clamp, mbqm } from '../common/numerics/fixedpoint.ts';
import { MAX_BROADCAST_RANK, binaryLoops, rejectInt16 } from '../common/families/elementwise.ts';
import {
  type CommonScaleParams,
  type CommonScaleReals,
  commonScaleParams,
  float32Scales,
  forEachPair,
  fusedActivationBounds,
  input1AtCommonScale,
  input2AtCommonScale,
  outputElementCount,
  planCommonScale,
  renderCommonScale,
  requireCommonScaleFits,
} from '../common/families/binary_elementwise.ts';
import { sumTablesVariant } from '../common/families/sum_tables.ts';
import { commonScaleMveVariant } from '../common/families/common_scale_mve.ts';
import { requireInput, requireInt8Activation, requireOutput, tensorLabel } from '../common/families/weighted.ts';
import { anyOperandInt16, withInt16Variant } from '../common/families/int16_variant.ts';
import { addInt16 } from './add_int16.ts';
import { withInt32Arithmetic } from '../common/families/int32_arithmetic.ts';
import { ortBinaryKernel, withOrtArithmetic } from '../common/families/ort_kernels.ts';

/** TFLite's int8 ADD brings both inputs to a common scale with 20 bits of headroom. */
const LEFT_SHIFT = 20;

export interface AddParams extends CommonScaleParams {
  size: number;
  /** the broadcast walk; one loop of `size` when the shapes are equal */
  loops: BroadcastLoop[];
  actMin: number;
  actMax: number;
}

/**
 * Each element is read before it is written (every kernel): when input 0 walks with the output (not
 * broadcast) the output can take its bytes.
 */
function inPlace(p: AddParams): { input: number; gap: number } | undefined {
  return p.loops.length <= 1 && p.loops.every((l) => l.strideA === 1) ? { input: 0, gap: 0 } : undefined;
}

const SUPPORTED_ACTIVATIONS = new Set<FusedActivation>(['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1']);

/**
 * ADD, int8 with broadcasting (TFLite Micro's reference AddFunc): both inputs are shifted left by 20,
 * scaled to twice the larger input scale, summed, and rescaled to the output.
 */
const add: OpDef<AddParams> = {
  kind: 'ADD',
  dir: import.meta.dirname,

  check(graph, op) {
    const a = requireInput(graph, op, 0, 'input 1');
    const b = requireInput(graph, op, 1, 'input 2');
    const out = requireOutput(graph, op);
    for (const [t, role] of [
      [a, 'input 1'],
      [b, 'input 2'],
      [out, 'output'],
    ] as const) {
      rejectInt16(op, t, role);
      requireInt8Activation(op, t, role);
      if (t.shape.length > MAX_BROADCAST_RANK)
        throw new OpError(op.index, op.kind, `${role} ${tensorLabel(t)} has rank ${t.shape.length}; at most ${MAX_BROADCAST_RANK} is supported`);
    }
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new OpError(op.index, op.kind, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`);
    if (shape.length !== out.shape.length || shape.some((d, i) => d !== out.shape[i])) {
      throw new OpError(
        op.index,
        op.kind,
        `output ${tensorLabel(out)} has shape [${out.shape.join(',')}]; [${a.shape.join(',')}] + [${b.shape.join(',')}] gives [${shape.join(',')}]`,
      );
    }
    const activation = (op.attrs as unknown as ActivationAttrs).activation ?? 'NONE';
    if (!SUPPORTED_ACTIVATIONS.has(activation)) throw new OpError(op.index, op.kind, `unsupported fused activation ${activation}`);
    requireCommonScaleFits(op, out, realMultipliers(graph, op).output, LEFT_SHIFT);
  },

  prepare(graph, op) {
    return {
      size: outputElementCount(graph, op),
      loops: binaryLoops(graph, op),
      ...commonScaleParams(graph, op, realMultipliers(graph, op)),
      ...fusedActivationBounds(graph, op),
    };
  },

  macs: outputElementCount,

  evaluate(p, inputs, outputs) {
    forEachPair(p.loops, inputs, outputs, (q1, q2) => {
      const sum = input1AtCommonScale(p, LEFT_SHIFT, q1) + input2AtCommonScale(p, LEFT_SHIFT, q2);
      return clamp(mbqm(sum, p.outputMultiplier, p.outputShift) + p.outputZeroPoint, p.actMin, p.actMax);
    });
  },

  overlap: inPlace,
  // each input's share of the sum is a function of its int8 value: a table or a shift (see
  // planCommonScale), then one SMMLAR requantization when it is proved exact
  emitC(p, ctx) {
    return renderCommonScale(planCommonScale(p, LEFT_SHIFT, 1, p.actMin, p.actMax), p.loops, 'ADD', ctx);
  },

  // MVE: the same plan four lanes at a time (common/families/common_scale_mve.ts); Armv6-M, RV32 and Xtensa: no
  // multiply at all, the output read off the sum of two tables (common/families/sum_tables.ts)
  variants: [
    commonScaleMveVariant<AddParams>('ADD', LEFT_SHIFT, 1, inPlace),
    sumTablesVariant<AddParams>('ADD', LEFT_SHIFT, 1, inPlace),
    sumTablesVariant<AddParams>('ADD', LEFT_SHIFT, 1, inPlace, 'rv32'),
    sumTablesVariant<AddParams>('ADD', LEFT_SHIFT, 1, inPlace, 'xtensa'),
  ],
};

/**
 * TFLite Micro's CalculateOpDataAdd: the scales are floats, the arithmetic on them double; the max
 * is taken on the floats before widening.
 */
function realMultipliers(graph: Graph, op: Op): CommonScaleReals {
  const { s1, s2, so } = float32Scales(graph, op);
  const twiceMaxInputScale = 2 * Math.max(s1, s2);
  return {
    input1: s1 / twiceMaxInputScale,
    input2: s2 / twiceMaxInputScale,
    output: twiceMaxInputScale / ((1 << LEFT_SHIFT) * so),
  };
}

// int16 activations (16x8) go to their own kernel in add_int16.ts
// int32 tensors (signal front-ends' output scaling): plain integer arithmetic, common/families/int32_arithmetic.ts
// layers imported from ONNX: QLinearAdd's float32 arithmetic (common/families/ort_kernels.ts)
// float32 tensors: TFLite Micro's float ADD, common/families/float_arithmetic.ts
export default withFloatVariant(
  withOrtArithmetic(withInt32Arithmetic(withInt16Variant(add, addInt16, anyOperandInt16), 'ADD'), ortBinaryKernel('add')),
  floatArithmetic('ADD'),
  outputIsFloat,
);
