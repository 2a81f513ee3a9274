// SPDX-License-Identifier: Apache-2.0
/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM, float32: TFLite Micro's float LSTM (lstm_eval.h's LstmStep with
 * float activations, weights, biases and cell state). Per time step and gate (forget, input, cell,
 * output), gate = act(FC(x) + FC(h)): each FC is the reference FullyConnected<float> (one accumulator
 * from 0.0f taking x[k] * w[k] in order, then + bias, or + 0.0f for the recurrent FC, then the
 * clamp to +-FLT_MAX), the two added, then the reference Logistic<float> (tanhf for the cell gate).
 * Then c = f * c and i * g (each clamped to +-FLT_MAX, as the reference Mul), c = c + i*g, clipped
 * to [-clip, clip] (std::max(std::min(clip, c), -clip)) when cell_clip > 0, and
 * h = tanhf(c) * o (clamped); h is the step's output. The hidden and cell states are float32
 * variable tensors kept between inferences.
 *
 * Every step is one float32 operation in TFLite Micro's order (no fused multiply-add: the C is
 * compiled in ISO C mode), but sigmoid and tanh call libm (expf, tanhf), so the outputs are within
 * FLOAT_LIBM_ULP.UNIDIRECTIONAL_SEQUENCE_LSTM of TFLite Micro's (ULPs of max(|y|, 1): a one-ULP
 * difference of a gate carries through the recurrence into every later step).
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, type Tensor, elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { type FloatKernel, type FloatTagged, C_CLAMP, FLOAT_MAX, cFloatLiteral, clampF, fround as F, requireFloat } from '../common/families/float_variant.ts';
import { floatUlpBound, floatUlpFloor, logisticF } from '../common/families/float_libm.ts';
import { requireInput, requireOutput, requireRank } from '../common/families/weighted.ts';

import {
  BIASES,
  CELL_STATE,
  GATE_NAMES,
  HIDDEN_STATE,
  INPUT,
  INPUT_WEIGHTS,
  type LstmAttrs,
  RECURRENT_WEIGHTS,
  lstmSizes,
  requireLstmShapes,
  requireStandardLstm,
  requireStateVariables,
} from './layout.ts';

export interface LstmFloatParams extends FloatTagged {
  batches: number;
  steps: number;
  inputSize: number;
  units: number;
  timeMajor: boolean;
  /** the float32 cell_clip; the cell is clipped when it is above 0 */
  cellClip: number;
}

function check(graph: Graph, op: Op): void {
  requireStandardLstm(op);
  const attrs = op.attrs as LstmAttrs;
  if ((attrs.activation ?? 'TANH') !== 'TANH')
    throw new OpError(
      op.index,
      op.kind,
      `cell gate activation ${attrs.activation} is not supported (TFLite Micro's LSTM runs TANH or sigmoid, and a model file can only say TANH)`,
    );
  const clip = F(attrs.cellClip ?? 0);
  if (!Number.isFinite(clip) || !(clip >= 0))
    throw new OpError(op.index, op.kind, `cell_clip ${attrs.cellClip} must be a finite number, 0 or more (0: no clipping)`);
  const input = requireInput(graph, op, INPUT, 'input');
  const output = requireOutput(graph, op);
  const hidden = requireInput(graph, op, HIDDEN_STATE, 'hidden state');
  const cell = requireInput(graph, op, CELL_STATE, 'cell state');
  const roles: [Tensor, string][] = [
    [input, 'input'],
    [output, 'output'],
    [hidden, 'hidden state'],
    [cell, 'cell state'],
  ];
  for (let g = 0; g < 4; g++) {
    const name = GATE_NAMES[g]!;
    roles.push([requireInput(graph, op, INPUT_WEIGHTS[g]!, `input-to-${name} weights`), `input-to-${name} weights`]);
    roles.push([requireInput(graph, op, RECURRENT_WEIGHTS[g]!, `recurrent-to-${name} weights`), `recurrent-to-${name} weights`]);
    roles.push([requireInput(graph, op, BIASES[g]!, `${name} gate bias`), `${name} gate bias`]);
  }
  // TFLite Micro takes the float path by the input's type and reads every weight as float32
  requireFloat(op, roles);
  requireRank(op, input, 'input', 3);
  requireRank(op, output, 'output', 3);
  requireStateVariables(op, hidden, cell);
  requireLstmShapes(graph, op, { input, output, hidden, cell, timeMajor: attrs.timeMajor === true });
}

function prepare(graph: Graph, op: Op): LstmFloatParams {
  const attrs = op.attrs as LstmAttrs;
  const timeMajor = attrs.timeMajor === true;
  const { batches, steps, inputSize } = lstmSizes(graph.tensors[op.inputs[INPUT]!]!, timeMajor);
  const units = elementCount(graph.tensors[op.inputs[HIDDEN_STATE]!]!.shape) / batches;
  return { float32: true, batches, steps, inputSize, units, timeMajor, cellClip: F(attrs.cellClip ?? 0) };
}

const tanhF = (x: number): number => F(Math.tanh(x));

/** FullyConnected<float> of one output: 0.0f + x[k] * w[k] in order, + bias, clamped to +-FLT_MAX. */
function fc(x: Float32Array, xBase: number, w: Float32Array, wBase: number, n: number, bias: number): number {
  let total = 0;
  for (let k = 0; k < n; k++) total = F(total + F(x[xBase + k]! * w[wBase + k]!));
  return clampF(F(total + bias), -FLOAT_MAX, FLOAT_MAX);
}

function evaluate(p: LstmFloatParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const x = inputs[INPUT] as Float32Array;
  const hidden = inputs[HIDDEN_STATE] as Float32Array;
  const cell = inputs[CELL_STATE] as Float32Array;
  const out = outputs[0] as Float32Array;
  const S = p.units;
  const wIn = INPUT_WEIGHTS.map((k) => inputs[k] as Float32Array);
  const wRec = RECURRENT_WEIGHTS.map((k) => inputs[k] as Float32Array);
  const bias = BIASES.map((k) => inputs[k] as Float32Array);
  const gates = [0, 1, 2, 3].map(() => new Float32Array(S));
  for (let b = 0; b < p.batches; b++) {
    const stateBase = b * S;
    for (let t = 0; t < p.steps; t++) {
      const row = p.timeMajor ? t * p.batches + b : b * p.steps + t;
      for (let g = 0; g < 4; g++) {
        for (let u = 0; u < S; u++) {
          const fromInput = fc(x, row * p.inputSize, wIn[g]!, u * p.inputSize, p.inputSize, bias[g]![u]!);
          const fromHidden = fc(hidden, stateBase, wRec[g]!, u * S, S, 0);
          const pre = F(fromInput + fromHidden);
          gates[g]![u] = g === 2 ? tanhF(pre) : logisticF(pre);
        }
      }
      const [ig, fg, cg, og] = gates as [Float32Array, Float32Array, Float32Array, Float32Array];
      for (let u = 0; u < S; u++) {
        const k = stateBase + u;
        const kept = clampF(F(fg[u]! * cell[k]!), -FLOAT_MAX, FLOAT_MAX);
        const added = clampF(F(ig[u]! * cg[u]!), -FLOAT_MAX, FLOAT_MAX);
        let c = F(kept + added);
        if (p.cellClip > 0) {
          const m = c < p.cellClip ? c : p.cellClip; // std::min(clip, c)
          c = m < -p.cellClip ? -p.cellClip : m; // std::max(m, -clip)
        }
        cell[k] = c;
        const h = clampF(F(tanhF(c) * og[u]!), -FLOAT_MAX, FLOAT_MAX);
        hidden[k] = h;
        out[row * S + u] = h;
      }
    }
  }
}

/** The C library's sigmoid, as TFLite's reference Logistic<float> (LOGISTIC_KERNEL's formula). */
const C_SIGMOID = `static inline float tf_lstm_sigmoidf(float x) {
  if (x > 16.619047164916992188f) return 1.0f;
  if (x < -9.0f) return expf(x);
  return 1.0f / (1.0f + expf(-x));
}
`;

/** FullyConnected<float>'s sum of one output row, from 0.0f in order (no fused multiply-add in ISO C). */
const C_DOT = `static inline float tf_lstm_dotf(const float *x, const float *w, int n) {
  float total = 0.0f;
  int k;
  for (k = 0; k < n; ++k) total += x[k] * w[k];
  return total;
}
`;

function emitC(p: LstmFloatParams, ctx: Parameters<FloatKernel<LstmFloatParams>['emitC']>[1]): string {
  ctx.defineOnce('tf_fclamp', C_CLAMP);
  ctx.defineOnce('math.h', '#include <math.h>\n');
  ctx.defineOnce('tf_lstm_sigmoidf', C_SIGMOID);
  ctx.defineOnce('tf_lstm_dotf', C_DOT);
  const S = p.units;
  const hi = cFloatLiteral(FLOAT_MAX);
  const lo = cFloatLiteral(-FLOAT_MAX);
  const rowExpr = p.timeMajor ? `t * ${p.batches} + b` : `b * ${p.steps} + t`;
  const bound = floatUlpBound('UNIDIRECTIONAL_SEQUENCE_LSTM');
  const floor = floatUlpFloor('UNIDIRECTIONAL_SEQUENCE_LSTM');
  const macs = p.batches * p.steps * 4 * S * (p.inputSize + S);
  const gateLines = GATE_NAMES.map((name, g) => {
    const act = g === 2 ? 'tanhf' : 'tf_lstm_sigmoidf';
    return [
      `        {`,
      `          const float in = tf_fclamp(tf_lstm_dotf(x, ${ctx.input(INPUT_WEIGHTS[g]!)} + u * ${p.inputSize}, ${p.inputSize}) + ${ctx.input(BIASES[g]!)}[u], ${lo}, ${hi});`,
      `          const float rec = tf_fclamp(tf_lstm_dotf(h, ${ctx.input(RECURRENT_WEIGHTS[g]!)} + u * ${S}, ${S}) + 0.0f, ${lo}, ${hi});`,
      `          gate_${name}[u] = ${act}(in + rec);`,
      `        }`,
    ].join('\n');
  }).join('\n');
  const clip = cFloatLiteral(p.cellClip);
  const negClip = cFloatLiteral(-p.cellClip);
  const clipLines =
    p.cellClip > 0
      ? `        /* std::max(std::min(clip, c), -clip) */
        cv = (cv < ${clip}) ? cv : ${clip};
        cv = (cv < ${negClip}) ? ${negClip} : cv;
`
      : '';
  return `/* UNIDIRECTIONAL_SEQUENCE_LSTM float32 ${p.timeMajor ? 'time-major' : 'batch-major'} batches ${p.batches} steps ${p.steps} input ${p.inputSize} units ${S}${
    p.cellClip > 0 ? ` cell clip ${clip}` : ''
  }, ${macs} MACs: TFLite Micro's float LSTM in its order (libm expf, tanhf; within ${bound} ULP of max(|y|, ${floor}) of TFLite Micro) */
static void ${ctx.fnName}(void) {
  const float *const x_all = ${ctx.input(INPUT)};
  float *const out_all = ${ctx.output(0)};
  float *const gate_input = (float *)${ctx.scratch()};
  float *const gate_forget = gate_input + ${S};
  float *const gate_cell = gate_forget + ${S};
  float *const gate_output = gate_cell + ${S};
  int b, t, u;
  for (b = 0; b < ${p.batches}; ++b) {
    /* the state rows of this batch: variable tensors, updated in place */
    float *const h = ${ctx.input(HIDDEN_STATE)} + b * ${S};
    float *const c = ${ctx.input(CELL_STATE)} + b * ${S};
    for (t = 0; t < ${p.steps}; ++t) {
      const int row = ${rowExpr};
      const float *const x = x_all + row * ${p.inputSize};
      /* each gate: FC(x) + bias and FC(h) + 0.0f, each clamped to +-FLT_MAX, summed, then sigmoid (tanh for the cell gate) */
      for (u = 0; u < ${S}; ++u) {
${gateLines}
      }
      for (u = 0; u < ${S}; ++u) {
        /* c = f*c + i*g (each product clamped), h = tanh(c) * o */
        float cv = tf_fclamp(gate_forget[u] * c[u], ${lo}, ${hi});
        cv = cv + tf_fclamp(gate_input[u] * gate_cell[u], ${lo}, ${hi});
${clipLines}        c[u] = cv;
        {
          const float hv = tf_fclamp(tanhf(cv) * gate_output[u], ${lo}, ${hi});
          h[u] = hv;
          out_all[row * ${S} + u] = hv;
        }
      }
    }
  }
}
`;
}

export const LSTM_FLOAT_KERNEL: FloatKernel<LstmFloatParams> = {
  check,
  prepare,
  macs: (graph, op) => {
    const p = prepare(graph, op);
    return p.batches * p.steps * 4 * p.units * (p.inputSize + p.units);
  },
  // the four gates of one step, as TFLite Micro's four scratch buffers of a state row
  scratchBytes: (p) => 4 * p.units * 4,
  evaluate,
  emitC,
};
