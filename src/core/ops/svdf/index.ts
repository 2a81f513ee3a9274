// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF, int8 (TFLite Micro's EvalIntegerSvdfReference): a rank-r singular-value-decomposition filter
 * over time. Each call shifts the activation state (a variable tensor of `memory` past values per
 * filter) left by one, writes each filter's new feature value (input · weights_feature, requantized to
 * the state's type, int16 or int8) into its last slot, then per unit sums the filters' dot products
 * of state and weights_time over memory (plus bias) and requantizes to the int8 output. No fused
 * activation is applied on the integer path, as in TFLite Micro. Float32 layers go to TFLite Micro's
 * float SVDF (svdf_float.ts).
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount, isConstant } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { LayerEmitContext, OpDef } from '../op.ts';
import { svdfDspVariant } from './dsp.ts';
import { svdfM0plusVariant } from './m0plus.ts';
import { svdfRv32Variant } from './rv32.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { SVDF_FLOAT_KERNEL } from './svdf_float.ts';
import { clamp, f32, mbqm, quantizeMultiplier, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import {
  optionalInput,
  requireConstant,
  requireInput,
  requireInt8Activation,
  requireOutput,
  requireRank,
  requireWeightQuant,
  tensorLabel,
} from '../common/families/weighted.ts';

const INPUT = 0;
const WEIGHTS_FEATURE = 1;
const WEIGHTS_TIME = 2;
const BIAS = 3;
const STATE = 4;

export interface SvdfParams {
  batches: number;
  inputSize: number;
  filters: number;
  rank: number;
  units: number;
  memory: number;
  /** the activation state's and weights_time's type */
  stateBits: 8 | 16;
  inputZeroPoint: number;
  stateZeroPoint: number;
  outputZeroPoint: number;
  featureMultiplier: number;
  featureShift: number;
  outputMultiplier: number;
  outputShift: number;
  hasBias: boolean;
}

interface SvdfAttrs {
  rank?: number;
}

function shapes(graph: Graph, op: Op) {
  const input = requireInput(graph, op, INPUT, 'input');
  const wf = requireInput(graph, op, WEIGHTS_FEATURE, 'weights_feature');
  const wt = requireInput(graph, op, WEIGHTS_TIME, 'weights_time');
  const rank = (op.attrs as SvdfAttrs).rank ?? 0;
  const [batches, inputSize] = input.shape as [number, number];
  const filters = wf.shape[0]!;
  return { input, wf, wt, rank, batches, inputSize, filters, memory: wt.shape[1]!, units: rank > 0 ? filters / rank : 0 };
}

function check(graph: Graph, op: Op): void {
  if (op.inputs.length !== 5)
    throw new OpError(op.index, op.kind, `expected 5 inputs (input, weights_feature, weights_time, bias, activation_state), got ${op.inputs.length}`);
  const { input, wf, wt, rank, batches, inputSize, filters, memory, units } = shapes(graph, op);
  const bias = optionalInput(graph, op, BIAS);
  const state = requireInput(graph, op, STATE, 'activation state');
  const output = requireOutput(graph, op);
  requireInt8Activation(op, input, 'input');
  requireInt8Activation(op, output, 'output');
  requireRank(op, input, 'input', 2);
  requireRank(op, wf, 'weights_feature', 2);
  requireRank(op, wt, 'weights_time', 2);
  requireRank(op, output, 'output', 2);
  if (!Number.isInteger(rank) || rank < 1 || filters % rank !== 0)
    throw new OpError(op.index, op.kind, `rank ${rank} does not divide the ${filters} filters of weights_feature ${tensorLabel(wf)}`);
  if (wf.shape[1] !== inputSize)
    throw new OpError(op.index, op.kind, `weights_feature ${tensorLabel(wf)} has shape [${wf.shape.join(',')}]; expected [${filters},${inputSize}]`);
  if (wt.shape[0] !== filters)
    throw new OpError(op.index, op.kind, `weights_time ${tensorLabel(wt)} has shape [${wt.shape.join(',')}]; expected [${filters},memory]`);
  if (output.shape[0] !== batches || output.shape[1] !== units)
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected [${batches},${units}]`);
  requireWeightQuant(op, wf, 0, filters, false);
  requireConstant(op, wf, 'weights_feature');
  if (wf.quant!.scale.length !== 1)
    throw new OpError(op.index, op.kind, `weights_feature ${tensorLabel(wf)} is quantized per channel; SVDF takes per-tensor weights`);
  if (wt.dtype !== 'int16' && wt.dtype !== 'int8')
    throw new OpError(op.index, op.kind, `weights_time ${tensorLabel(wt)} is ${wt.dtype}; int8 SVDF takes int16 or int8 time weights`);
  if (!wt.quant || wt.quant.scale.length !== 1) throw new OpError(op.index, op.kind, `weights_time ${tensorLabel(wt)} needs one (per-tensor) scale`);
  requireConstant(op, wt, 'weights_time');
  if (state.dtype !== wt.dtype)
    throw new OpError(op.index, op.kind, `activation state ${tensorLabel(state)} is ${state.dtype}; it must have weights_time's type ${wt.dtype}`);
  if (!state.quant || state.quant.scale.length !== 1 || !(state.quant.scale[0]! > 0))
    throw new OpError(op.index, op.kind, `activation state ${tensorLabel(state)} needs one positive scale`);
  if (!state.isVariable || isConstant(state))
    throw new OpError(op.index, op.kind, `activation state ${tensorLabel(state)} is not a variable tensor; SVDF keeps its memory in a variable tensor`);
  if (elementCount(state.shape) !== batches * memory * filters) {
    throw new OpError(
      op.index,
      op.kind,
      `activation state ${tensorLabel(state)} has ${elementCount(state.shape)} elements; expected batches * memory * filters = ${batches * memory * filters}`,
    );
  }
  if (bias) {
    if (bias.dtype !== 'int32') throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} is ${bias.dtype}; int8 SVDF takes an int32 bias`);
    if (elementCount(bias.shape) !== units)
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${elementCount(bias.shape)} elements; expected ${units} (one per unit)`);
    requireConstant(op, bias, 'bias');
  }
}

function prepare(graph: Graph, op: Op): SvdfParams {
  const { input, wf, wt, rank, batches, inputSize, filters, memory, units } = shapes(graph, op);
  const state = graph.tensors[op.inputs[STATE]!]!;
  const output = graph.tensors[op.outputs[0]!]!;
  const sIn = f32(input.quant!.scale[0]!);
  const sState = f32(state.quant!.scale[0]!);
  // TFLite Micro computes both effective scales in float before widening to double
  const feature = quantizeMultiplier(f32(f32(sIn * f32(wf.quant!.scale[0]!)) / sState));
  const out = quantizeMultiplier(f32(f32(sState * f32(wt.quant!.scale[0]!)) / f32(output.quant!.scale[0]!)));
  return {
    batches,
    inputSize,
    filters,
    rank,
    units,
    memory,
    stateBits: wt.dtype === 'int16' ? 16 : 8,
    inputZeroPoint: input.quant!.zeroPoint[0]!,
    stateZeroPoint: state.quant!.zeroPoint[0]!,
    outputZeroPoint: output.quant!.zeroPoint[0]!,
    featureMultiplier: feature.multiplier,
    featureShift: feature.shift,
    outputMultiplier: out.multiplier,
    outputShift: out.shift,
    hasBias: optionalInput(graph, op, BIAS) !== undefined,
  };
}

function macs(graph: Graph, op: Op): number {
  const s = shapes(graph, op);
  return s.batches * s.filters * (s.inputSize + s.memory);
}

function evaluate(p: SvdfParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const x = inputs[INPUT] as Int8Array;
  const wf = inputs[WEIGHTS_FEATURE] as Int8Array;
  const wt = inputs[WEIGHTS_TIME] as Int16Array | Int8Array;
  const bias = inputs[BIAS] as Int32Array | undefined;
  const state = inputs[STATE] as Int16Array | Int8Array;
  const out = outputs[0] as Int8Array;
  const [stateMin, stateMax] = p.stateBits === 16 ? [-32768, 32767] : [-128, 127];
  // the whole state moves one slot left; each filter's last slot is rewritten just below
  state.copyWithin(0, 1);
  for (let b = 0; b < p.batches; b++) {
    for (let f = 0; f < p.filters; f++) {
      let dot = 0;
      for (let k = 0; k < p.inputSize; k++) dot += wf[f * p.inputSize + k]! * (x[b * p.inputSize + k]! - p.inputZeroPoint);
      const scaled = mbqm(wrapInt32(dot), p.featureMultiplier, p.featureShift) + p.stateZeroPoint;
      state[(b * p.filters + f) * p.memory + p.memory - 1] = clamp(scaled, stateMin, stateMax);
    }
  }
  for (let b = 0; b < p.batches; b++) {
    for (let u = 0; u < p.units; u++) {
      let acc = bias ? bias[u]! : 0;
      for (let r = 0; r < p.rank; r++) {
        const f = u * p.rank + r;
        let dot = 0;
        for (let m = 0; m < p.memory; m++) dot += wt[f * p.memory + m]! * (state[(b * p.filters + f) * p.memory + m]! - p.stateZeroPoint);
        acc = wrapInt32(acc + wrapInt32(dot));
      }
      out[b * p.units + u] = clamp(mbqm(acc, p.outputMultiplier, p.outputShift) + p.outputZeroPoint, -128, 127);
    }
  }
}

/**
 * What the portable and the variants' templates name: pointers, types and the parameters as literals
 * (the variants fold the bias into their starts: `withBias` false leaves it out of the C; a variant that
 * re-lays the feature or time weights passes `withWeightsFeature` or `withWeightsTime` false, leaving
 * the tensor out).
 */
export function svdfView(p: SvdfParams, ctx: LayerEmitContext, withBias = true, withWeightsFeature = true, withWeightsTime = true) {
  const stateType = p.stateBits === 16 ? 'int16_t' : 'int8_t';
  return {
    ...p,
    fnName: ctx.fnName,
    summary: `SVDF batches ${p.batches} input ${p.inputSize} filters ${p.filters} (rank ${p.rank}, ${p.units} units) memory ${p.memory}, ${stateType} state, ${p.batches * p.filters * (p.inputSize + p.memory)} MACs`,
    input: ctx.input(INPUT),
    weightsFeature: withWeightsFeature ? ctx.input(WEIGHTS_FEATURE) : undefined,
    weightsTime: withWeightsTime ? ctx.input(WEIGHTS_TIME) : undefined,
    bias: p.hasBias && withBias ? ctx.input(BIAS) : undefined,
    state: ctx.input(STATE),
    output: ctx.output(0),
    stateType,
    stateMin: p.stateBits === 16 ? -32768 : -128,
    stateMax: p.stateBits === 16 ? 32767 : 127,
    stateCount: p.batches * p.filters * p.memory,
    negInputZeroPoint: -p.inputZeroPoint,
    negStateZeroPoint: -p.stateZeroPoint,
  };
}

const def: OpDef<SvdfParams> = {
  kind: 'SVDF',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  evaluate,
  emitC(p, ctx) {
    return ctx.render('svdf.c.hbs', svdfView(p, ctx));
  },
  variants: [svdfDspVariant, svdfM0plusVariant, svdfRv32Variant],
};

// float32 layers: TFLite Micro's EvalFloatSvdfReference (svdf_float.ts)
export default withFloatVariant(def, SVDF_FLOAT_KERNEL);
