// SPDX-License-Identifier: Apache-2.0
/**
 * SVDF, float32: TFLite Micro's EvalFloatSvdfReference. Each call shifts the whole activation state
 * (a float32 variable tensor, `memory` past values per filter) left by one, writes each filter's
 * feature value (0.0f + w[k] * x[k] in order) into its last slot, then per unit starts from the bias
 * (0.0f without one) and adds, rank by rank, each filter's time dot product (0.0f + w_time[m] *
 * state[m] in order), then applies the fused activation as activation_utils.h's ActivationValFloat
 * (TfLiteMax and TfLiteMin are std::fmax and std::fmin there: a NaN gives the other operand, and
 * the C spells that out rather than call a C library's fmaxf, whose signed zeros differ).
 * Every step is one float32 operation in TFLite Micro's order: bit-exact on every target. A fused
 * TANH (tanhf, a libm function) or SIGN_BIT is refused: SVDF layers are compared bit for bit.
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount, isConstant } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { type FloatKernel, type FloatTagged, fround as F, requireFloat } from '../common/families/float_variant.ts';
import { optionalInput, requireConstant, requireInput, requireOutput, requireRank, tensorLabel } from '../common/families/weighted.ts';

const INPUT = 0;
const WEIGHTS_FEATURE = 1;
const WEIGHTS_TIME = 2;
const BIAS = 3;
const STATE = 4;

/** The fused activations of ActivationValFloat this kernel runs (all exactly rounded). */
const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6'] as const;
type SvdfFloatActivation = (typeof ACTIVATIONS)[number];

export interface SvdfFloatParams extends FloatTagged {
  batches: number;
  inputSize: number;
  filters: number;
  rank: number;
  units: number;
  memory: number;
  hasBias: boolean;
  activation: SvdfFloatActivation;
}

interface SvdfAttrs {
  rank?: number;
  activation?: string;
}

function check(graph: Graph, op: Op): void {
  if (op.inputs.length !== 5)
    throw new OpError(op.index, op.kind, `expected 5 inputs (input, weights_feature, weights_time, bias, activation_state), got ${op.inputs.length}`);
  const input = requireInput(graph, op, INPUT, 'input');
  const wf = requireInput(graph, op, WEIGHTS_FEATURE, 'weights_feature');
  const wt = requireInput(graph, op, WEIGHTS_TIME, 'weights_time');
  const bias = optionalInput(graph, op, BIAS);
  const state = requireInput(graph, op, STATE, 'activation state');
  const output = requireOutput(graph, op);
  requireFloat(op, [
    [input, 'input'],
    [wf, 'weights_feature'],
    [wt, 'weights_time'],
    [bias, 'bias'],
    [state, 'activation state'],
    [output, 'output'],
  ]);
  const attrs = op.attrs as SvdfAttrs;
  const activation = attrs.activation ?? 'NONE';
  if (!(ACTIVATIONS as readonly string[]).includes(activation))
    throw new OpError(
      op.index,
      op.kind,
      `fused activation ${activation} is not supported on a float32 SVDF (${ACTIVATIONS.join(', ')} are: exactly rounded, so bit-exact with TFLite Micro; TANH calls libm's tanhf, SIGN_BIT reads a NaN's sign)`,
    );
  requireRank(op, input, 'input', 2);
  requireRank(op, wf, 'weights_feature', 2);
  requireRank(op, wt, 'weights_time', 2);
  requireRank(op, output, 'output', 2);
  const rank = attrs.rank ?? 0;
  const [batches, inputSize] = input.shape as [number, number];
  const filters = wf.shape[0]!;
  const memory = wt.shape[1]!;
  if (!Number.isInteger(rank) || rank < 1 || filters % rank !== 0)
    throw new OpError(op.index, op.kind, `rank ${rank} does not divide the ${filters} filters of weights_feature ${tensorLabel(wf)}`);
  const units = filters / rank;
  if (wf.shape[1] !== inputSize)
    throw new OpError(op.index, op.kind, `weights_feature ${tensorLabel(wf)} has shape [${wf.shape.join(',')}]; expected [${filters},${inputSize}]`);
  if (wt.shape[0] !== filters)
    throw new OpError(op.index, op.kind, `weights_time ${tensorLabel(wt)} has shape [${wt.shape.join(',')}]; expected [${filters},memory]`);
  if (output.shape[0] !== batches || output.shape[1] !== units)
    throw new OpError(op.index, op.kind, `output ${tensorLabel(output)} has shape [${output.shape.join(',')}]; expected [${batches},${units}]`);
  requireConstant(op, wf, 'weights_feature');
  requireConstant(op, wt, 'weights_time');
  if (!state.isVariable || isConstant(state))
    throw new OpError(op.index, op.kind, `activation state ${tensorLabel(state)} is not a variable tensor; SVDF keeps its memory in a variable tensor`);
  if (elementCount(state.shape) !== batches * memory * filters)
    throw new OpError(
      op.index,
      op.kind,
      `activation state ${tensorLabel(state)} has ${elementCount(state.shape)} elements; expected batches * memory * filters = ${batches * memory * filters}`,
    );
  if (bias) {
    if (elementCount(bias.shape) !== units)
      throw new OpError(op.index, op.kind, `bias ${tensorLabel(bias)} has ${elementCount(bias.shape)} elements; expected ${units} (one per unit)`);
    requireConstant(op, bias, 'bias');
  }
}

function prepare(graph: Graph, op: Op): SvdfFloatParams {
  const input = graph.tensors[op.inputs[INPUT]!]!;
  const wf = graph.tensors[op.inputs[WEIGHTS_FEATURE]!]!;
  const wt = graph.tensors[op.inputs[WEIGHTS_TIME]!]!;
  const attrs = op.attrs as SvdfAttrs;
  const rank = attrs.rank!;
  const filters = wf.shape[0]!;
  return {
    float32: true,
    batches: input.shape[0]!,
    inputSize: input.shape[1]!,
    filters,
    rank,
    units: filters / rank,
    memory: wt.shape[1]!,
    hasBias: optionalInput(graph, op, BIAS) !== undefined,
    activation: (attrs.activation ?? 'NONE') as SvdfFloatActivation,
  };
}

/** ActivationValFloat with TfLiteMax = std::fmax, TfLiteMin = std::fmin (glibc's: a NaN operand gives the other, +0 over -0 for fmax(0, -0)). */
export function svdfActivation(activation: SvdfFloatActivation, a: number): number {
  switch (activation) {
    case 'RELU':
      return a > 0 ? a : 0; // fmax(0.0f, a)
    case 'RELU_N1_TO_1': {
      const m = a <= 1 ? a : 1; // fmin(a, 1.0f)
      return m > -1 ? m : -1; // fmax(-1.0f, m)
    }
    case 'RELU6': {
      const m = a <= 6 ? a : 6; // fmin(a, 6.0f)
      return m > 0 ? m : 0; // fmax(0.0f, m)
    }
    default:
      return a;
  }
}

function evaluate(p: SvdfFloatParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const x = inputs[INPUT] as Float32Array;
  const wf = inputs[WEIGHTS_FEATURE] as Float32Array;
  const wt = inputs[WEIGHTS_TIME] as Float32Array;
  const bias = p.hasBias ? (inputs[BIAS] as Float32Array) : undefined;
  const state = inputs[STATE] as Float32Array;
  const out = outputs[0] as Float32Array;
  state.copyWithin(0, 1);
  for (let b = 0; b < p.batches; b++) {
    for (let f = 0; f < p.filters; f++) {
      let dot = 0;
      for (let k = 0; k < p.inputSize; k++) dot = F(dot + F(wf[f * p.inputSize + k]! * x[b * p.inputSize + k]!));
      state[(b * p.filters + f) * p.memory + p.memory - 1] = dot;
    }
  }
  for (let b = 0; b < p.batches; b++) {
    for (let u = 0; u < p.units; u++) {
      let acc = bias ? bias[u]! : 0;
      for (let r = 0; r < p.rank; r++) {
        const f = u * p.rank + r;
        let dot = 0;
        for (let m = 0; m < p.memory; m++) dot = F(dot + F(wt[f * p.memory + m]! * state[(b * p.filters + f) * p.memory + m]!));
        acc = F(acc + dot);
      }
      out[b * p.units + u] = svdfActivation(p.activation, acc);
    }
  }
}

const C_ACTIVATION: Record<SvdfFloatActivation, string> = {
  NONE: '',
  RELU: '      acc = (acc > 0.0f) ? acc : 0.0f; /* fmax(0.0f, acc) */\n',
  RELU_N1_TO_1: '      acc = (acc <= 1.0f) ? acc : 1.0f; /* fmin(acc, 1.0f) */\n      acc = (acc > -1.0f) ? acc : -1.0f; /* fmax(-1.0f, acc) */\n',
  RELU6: '      acc = (acc <= 6.0f) ? acc : 6.0f; /* fmin(acc, 6.0f) */\n      acc = (acc > 0.0f) ? acc : 0.0f; /* fmax(0.0f, acc) */\n',
};

function emitC(p: SvdfFloatParams, ctx: Parameters<FloatKernel<SvdfFloatParams>['emitC']>[1]): string {
  const macs = p.batches * p.filters * (p.inputSize + p.memory);
  return `/* SVDF float32 batches ${p.batches} input ${p.inputSize} filters ${p.filters} (rank ${p.rank}, ${p.units} units) memory ${p.memory}, ${p.activation}, ${macs} MACs: TFLite Micro's EvalFloatSvdfReference in its order */
static void ${ctx.fnName}(void) {
  const float *const x = ${ctx.input(INPUT)};
  const float *const wf = ${ctx.input(WEIGHTS_FEATURE)};
  const float *const wt = ${ctx.input(WEIGHTS_TIME)};
${p.hasBias ? `  const float *const bias = ${ctx.input(BIAS)};\n` : ''}  float *const state = ${ctx.input(STATE)};
  float *const out = ${ctx.output(0)};
  int b, f, k, u, r, m;
  /* the whole state one slot left; each filter's last slot is rewritten below */
  for (k = 0; k < ${p.batches * p.filters * p.memory - 1}; ++k) state[k] = state[k + 1];
  for (b = 0; b < ${p.batches}; ++b) {
    for (f = 0; f < ${p.filters}; ++f) {
      const float *const w = wf + f * ${p.inputSize};
      const float *const xb = x + b * ${p.inputSize};
      float dot = 0.0f;
      for (k = 0; k < ${p.inputSize}; ++k) dot += w[k] * xb[k];
      state[(b * ${p.filters} + f) * ${p.memory} + ${p.memory - 1}] = dot;
    }
  }
  for (b = 0; b < ${p.batches}; ++b) {
    for (u = 0; u < ${p.units}; ++u) {
      float acc = ${p.hasBias ? 'bias[u]' : '0.0f'};
      for (r = 0; r < ${p.rank}; ++r) {
        const int fi = u * ${p.rank} + r;
        const float *const w = wt + fi * ${p.memory};
        const float *const s = state + (b * ${p.filters} + fi) * ${p.memory};
        float dot = 0.0f;
        for (m = 0; m < ${p.memory}; ++m) dot += w[m] * s[m];
        acc += dot;
      }
${C_ACTIVATION[p.activation]}      out[b * ${p.units} + u] = acc;
    }
  }
}
`;
}

export const SVDF_FLOAT_KERNEL: FloatKernel<SvdfFloatParams> = {
  check,
  prepare,
  macs: (graph, op) => {
    const p = prepare(graph, op);
    return p.batches * p.filters * (p.inputSize + p.memory);
  },
  evaluate,
  emitC,
};
