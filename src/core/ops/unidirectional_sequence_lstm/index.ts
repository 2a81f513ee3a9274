// SPDX-License-Identifier: Apache-2.0
/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations with an int16 cell state: TFLite Micro's integer LSTM
 * (lstm_eval: the Keras-style LSTM, no peephole, projection or layer norm; CIFG unsupported as there).
 * Each time step computes four gates, gate = act(FC(x) + FC(h)): both FCs requantize to int16 Q3.12
 * and saturate separately before the saturating add, sigmoid (tanh for the cell gate) maps Q3.12 to
 * Q0.15; then c = sat16(f*c + i*g) (clipped), h = tanh(c)*o requantized to the hidden state's int8.
 * The hidden and cell states are variable tensors: read and updated in place, kept between
 * inferences until reset. Float32 layers go to TFLite Micro's float LSTM (lstm_float.ts).
 */
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import type { KernelChoices, LayerEmitContext, OpDef, VariantFacts } from '../op.ts';
import { emitLstmDsp, lstmDspScratchBytes } from './dsp.ts';
import { emitLstmMve, lstmMveScratchBytes } from './mve.ts';
import { emitLstmM0plus, lstmM0plusScratchBytes } from './m0plus.ts';
import { emitLstmRv32 } from './rv32.ts';
import { PAIR_MAX_COLUMNS, pairColumns } from '../common/codecs/row_pair_lanes.ts';
import { lstmPairsScratchBytes } from './pairs.ts';
import { type LstmSparse, encodeLstmSparse, lstmSparseVariant } from './sparse.ts';
import { denseCostFromRates } from '../encoding_choice.ts';
import { withFloatVariant } from '../common/families/float_variant.ts';
import { LSTM_FLOAT_KERNEL } from './lstm_float.ts';
import { firstApplicableVariant } from '../variant.ts';
import { clamp, f32, mbqm, quantizeMultiplier, wrapInt32 } from '../common/numerics/fixedpoint.ts';
import {
  type Int16ActivationScaling,
  checkedLog2,
  logisticInt16,
  lstmTanhScaling,
  scaleInt16ActivationInput,
  tanhInt16,
} from '../common/numerics/sigmoid_int16.ts';
import {
  constInt32,
  constInt8,
  fcTensorMultiplier,
  foldedAccumulatorInit,
  requireInput,
  requireInt8Activation,
  requireOutput,
  requireRank,
  requireWeightQuant,
  tensorLabel,
} from '../common/families/weighted.ts';

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

/** Gate pre-activations are Q3.12; gate outputs are Q0.15. */
const GATE_INPUT_SCALE = 2 ** -12;
const GATE_OUTPUT_SCALE = 2 ** -15;
/** tanh on the cell gate's Q3.12 input */
const CELL_GATE_TANH: Int16ActivationScaling = lstmTanhScaling(-12);
/** the sigmoid gates' input scaling (the kernel's power-of-two case: multiply by 3) */
const GATE_SIGMOID: Int16ActivationScaling = { multiplier: 3, shift: 0 };

export interface LstmGateParams {
  inputMultiplier: number;
  inputShift: number;
  recurrentMultiplier: number;
  recurrentShift: number;
}

export interface LstmParams {
  batches: number;
  steps: number;
  inputSize: number;
  /** state (and output) dimension */
  units: number;
  timeMajor: boolean;
  /** -z of the input and of the hidden state */
  inputOffset: number;
  hiddenOffset: number;
  /** input, forget, cell, output */
  gates: LstmGateParams[];
  /** forget gate x cell state -> cell state */
  forgetMultiplier: number;
  forgetShift: number;
  /** input gate x cell gate -> cell state */
  inputCellMultiplier: number;
  inputCellShift: number;
  /** tanh(cell) x output gate -> hidden state (int8) */
  hiddenMultiplier: number;
  hiddenShift: number;
  hiddenZeroPoint: number;
  /** tanh of the cell state, whose scale is 2^cellScalePower */
  cellTanh: Int16ActivationScaling;
  cellScalePower: number;
  /** whether the cell is clipped: TFLite Micro clips whenever the float cell_clip is above 0, even when
   * it truncates to 0 in int16 (a clip below the cell's scale then holds the cell at 0) */
  clipsCell: boolean;
  /** |cell| is clipped to this (int16) when clipsCell */
  cellClip: number;
  /** pruned gate weights: the sparse encoding of the eight matrices (sparse.ts), a storage the cost model weighs */
  sparse?: LstmSparse;
  /** every gate weight in [-127, 127]: the Armv6-M and RV32 lanes variants may store the gates as row-pair lanes (pairs.ts), 2 bytes a weight */
  laneWeights?: boolean;
}

function check(graph: Graph, op: Op): void {
  requireStandardLstm(op);
  const attrs = op.attrs as LstmAttrs;
  if ((attrs.activation ?? 'TANH') !== 'TANH')
    throw new OpError(op.index, op.kind, `cell gate activation ${attrs.activation} is not supported (TFLite Micro's integer LSTM uses TANH)`);
  if (!(f32(attrs.cellClip ?? 0) >= 0) || !Number.isFinite(f32(attrs.cellClip ?? 0)))
    throw new OpError(op.index, op.kind, `cell_clip ${attrs.cellClip} must be a finite number, 0 or more (0: no clipping)`);
  const input = requireInput(graph, op, INPUT, 'input');
  const output = requireOutput(graph, op);
  const hidden = requireInput(graph, op, HIDDEN_STATE, 'hidden state');
  const cell = requireInput(graph, op, CELL_STATE, 'cell state');
  if (input.dtype === 'int16') throw new OpError(op.index, op.kind, `input ${tensorLabel(input)} is int16; only the int8 LSTM (int16 cell state) is supported`);
  requireInt8Activation(op, input, 'input');
  requireInt8Activation(op, output, 'output');
  requireInt8Activation(op, hidden, 'hidden state');
  requireRank(op, input, 'input', 3);
  requireRank(op, output, 'output', 3);
  requireStateVariables(op, hidden, cell);
  if (cell.dtype !== 'int16')
    throw new OpError(op.index, op.kind, `cell state ${tensorLabel(cell)} is ${cell.dtype}; the integer LSTM needs an int16 cell state`);
  const cellScale = cell.quant?.scale;
  if (!cellScale || cellScale.length !== 1 || !(cellScale[0]! > 0))
    throw new OpError(op.index, op.kind, `cell state ${tensorLabel(cell)} needs one positive scale`);
  if (!checkedLog2(cellScale[0]!).exact)
    throw new OpError(op.index, op.kind, `cell state ${tensorLabel(cell)} has scale ${cellScale[0]}; the integer LSTM needs a power of two`);
  if (cell.quant!.zeroPoint[0] !== 0)
    throw new OpError(op.index, op.kind, `cell state ${tensorLabel(cell)} has zero point ${cell.quant!.zeroPoint[0]}; it must be 0`);

  requireLstmShapes(
    graph,
    op,
    { input, output, hidden, cell, timeMajor: attrs.timeMajor === true },
    (w, role, units) => {
      const scales = requireWeightQuant(op, w, 0, units, true);
      if (scales.length !== 1)
        throw new OpError(op.index, op.kind, `${role} ${tensorLabel(w)} are quantized per channel; TFLite Micro's LSTM takes per-tensor weights`);
    },
    (b, role) => {
      if (b.dtype !== 'int32') throw new OpError(op.index, op.kind, `${role} ${tensorLabel(b)} is ${b.dtype}; int8 LSTMs take int32 biases`);
    },
  );
}

/** CreateInterGateMulParams: the product of two scales over a third, in double from the float scales. */
function mulMultiplier(scale1: number, scale2: number, outputScale: number) {
  return quantizeMultiplier((f32(scale1) * f32(scale2)) / f32(outputScale));
}

function prepare(graph: Graph, op: Op, kernels: KernelChoices = {}): LstmParams {
  const attrs = op.attrs as LstmAttrs;
  const input = requireInput(graph, op, INPUT, 'input');
  const hidden = requireInput(graph, op, HIDDEN_STATE, 'hidden state');
  const cell = requireInput(graph, op, CELL_STATE, 'cell state');
  const { batches, steps, inputSize } = lstmSizes(input, attrs.timeMajor === true);
  const units = elementCount(hidden.shape) / batches;
  const inputScale = input.quant!.scale[0]!;
  const hiddenScale = hidden.quant!.scale[0]!;
  const cellScale = cell.quant!.scale[0]!;
  const gates = [0, 1, 2, 3].map((g) => {
    const wIn = graph.tensors[op.inputs[INPUT_WEIGHTS[g]!]!]!;
    const wRec = graph.tensors[op.inputs[RECURRENT_WEIGHTS[g]!]!]!;
    const mIn = fcTensorMultiplier(inputScale, wIn.quant!.scale[0]!, GATE_INPUT_SCALE);
    const mRec = fcTensorMultiplier(hiddenScale, wRec.quant!.scale[0]!, GATE_INPUT_SCALE);
    return { inputMultiplier: mIn.multiplier, inputShift: mIn.shift, recurrentMultiplier: mRec.multiplier, recurrentShift: mRec.shift };
  });
  const forget = mulMultiplier(GATE_OUTPUT_SCALE, cellScale, cellScale);
  const inputCell = mulMultiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cellScale);
  const hiddenM = mulMultiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, hiddenScale);
  const cellScalePower = checkedLog2(cellScale).log2;
  const clip = f32(attrs.cellClip ?? 0);
  const sparse = encodeLstmSparse(
    [0, 1, 2, 3].map((g) => ({
      inputWeights: constInt8(graph.tensors[op.inputs[INPUT_WEIGHTS[g]!]!]!),
      recurrentWeights: constInt8(graph.tensors[op.inputs[RECURRENT_WEIGHTS[g]!]!]!),
    })),
    units,
    inputSize,
    kernels,
  );
  return {
    batches,
    steps,
    inputSize,
    units,
    timeMajor: attrs.timeMajor === true,
    inputOffset: -input.quant!.zeroPoint[0]!,
    hiddenOffset: -hidden.quant!.zeroPoint[0]!,
    gates,
    forgetMultiplier: forget.multiplier,
    forgetShift: forget.shift,
    inputCellMultiplier: inputCell.multiplier,
    inputCellShift: inputCell.shift,
    hiddenMultiplier: hiddenM.multiplier,
    hiddenShift: hiddenM.shift,
    hiddenZeroPoint: hidden.quant!.zeroPoint[0]!,
    cellTanh: lstmTanhScaling(cellScalePower),
    cellScalePower,
    // CreateLstmCellStateInfo: clip / scale in double, clamped to int16, truncated
    clipsCell: clip > 0,
    cellClip: clip > 0 ? Math.trunc(Math.min(Math.max(clip / f32(cellScale), -32768), 32767)) : 0,
    ...(sparse ? { sparse } : {}),
    laneWeights:
      Math.max(inputSize, units) <= PAIR_MAX_COLUMNS &&
      [...INPUT_WEIGHTS, ...RECURRENT_WEIGHTS].every((k) => !constInt8(graph.tensors[op.inputs[k]!]!).includes(-128)),
  };
}

function macs(graph: Graph, op: Op): number {
  const p = prepare(graph, op);
  return p.batches * p.steps * 4 * p.units * (p.inputSize + p.units);
}

const sat16 = (v: number) => clamp(v, -32768, 32767);

/** One FC of a gate: the row of `x` at `xBase` (plus `offset`) times `w`'s rows of `cols`, plus `bias`, requantized. */
interface GateFc {
  x: Int8Array;
  xBase: number;
  offset: number;
  w: Int8Array;
  cols: number;
  bias: Int32Array | undefined;
  multiplier: number;
  shift: number;
}

/** One FC of a gate for one row of `x` into `out` (TFLite's FullyConnected, int8 in, int16 Q3.12 out). */
function gateFc(fc: GateFc, out: Int16Array | Int32Array): void {
  const { x, xBase, offset, w, cols, bias, multiplier, shift } = fc;
  for (let r = 0; r < out.length; r++) {
    let acc = bias ? bias[r]! : 0;
    const wBase = r * cols;
    for (let k = 0; k < cols; k++) acc += w[wBase + k]! * (x[xBase + k]! + offset);
    out[r] = sat16(mbqm(wrapInt32(acc), multiplier, shift));
  }
}

function evaluate(p: LstmParams, inputs: (TensorBuffer | undefined)[], outputs: TensorBuffer[]): void {
  const x = inputs[INPUT] as Int8Array;
  const hidden = inputs[HIDDEN_STATE] as Int8Array;
  const cell = inputs[CELL_STATE] as Int16Array;
  const out = outputs[0] as Int8Array;
  const S = p.units;
  const gateOut = [0, 1, 2, 3].map(() => new Int16Array(S));
  const fromInput = new Int16Array(S);
  const fromHidden = new Int16Array(S);
  const h = new Int8Array(S);
  for (let b = 0; b < p.batches; b++) {
    for (let t = 0; t < p.steps; t++) {
      const row = p.timeMajor ? t * p.batches + b : b * p.steps + t;
      const stateBase = b * S;
      h.set(hidden.subarray(stateBase, stateBase + S));
      for (let g = 0; g < 4; g++) {
        const gp = p.gates[g]!;
        const inputFc = { x, xBase: row * p.inputSize, offset: p.inputOffset, w: inputs[INPUT_WEIGHTS[g]!] as Int8Array, cols: p.inputSize };
        gateFc({ ...inputFc, bias: inputs[BIASES[g]!] as Int32Array, multiplier: gp.inputMultiplier, shift: gp.inputShift }, fromInput);
        const recurrentFc = { x: h, xBase: 0, offset: p.hiddenOffset, w: inputs[RECURRENT_WEIGHTS[g]!] as Int8Array, cols: S };
        gateFc({ ...recurrentFc, bias: undefined, multiplier: gp.recurrentMultiplier, shift: gp.recurrentShift }, fromHidden);
        const gate = gateOut[g]!;
        for (let u = 0; u < S; u++) {
          const pre = sat16(fromInput[u]! + fromHidden[u]!);
          gate[u] = g === 2 ? tanhInt16(scaleInt16ActivationInput(pre, CELL_GATE_TANH)) : logisticInt16(scaleInt16ActivationInput(pre, GATE_SIGMOID));
        }
      }
      const [inputGate, forgetGate, cellGate, outputGate] = gateOut as [Int16Array, Int16Array, Int16Array, Int16Array];
      for (let u = 0; u < S; u++) {
        const k = stateBase + u;
        const kept = sat16(mbqm(forgetGate[u]! * cell[k]!, p.forgetMultiplier, p.forgetShift));
        const added = sat16(mbqm(inputGate[u]! * cellGate[u]!, p.inputCellMultiplier, p.inputCellShift));
        let c = sat16(kept + added);
        if (p.clipsCell) c = clamp(c, -p.cellClip, p.cellClip);
        cell[k] = c;
        const tanhC = tanhInt16(scaleInt16ActivationInput(c, p.cellTanh));
        const hv = clamp(mbqm(tanhC * outputGate[u]!, p.hiddenMultiplier, p.hiddenShift) + p.hiddenZeroPoint, -128, 127);
        hidden[k] = hv;
        out[row * S + u] = hv;
      }
    }
  }
}

/** The template view every variant starts from: pointers, the layer's description, fixed constants. */
function lstmView(p: LstmParams, ctx: LayerEmitContext): Record<string, unknown> {
  const summary =
    `UNIDIRECTIONAL_SEQUENCE_LSTM ${p.timeMajor ? 'time-major' : 'batch-major'} batches ${p.batches} steps ${p.steps} input ${p.inputSize} units ${p.units}` +
    `, int8 / int16 cell (2^${p.cellScalePower})${p.clipsCell ? ` clip ${p.cellClip}` : ''}, ${p.batches * p.steps * 4 * p.units * (p.inputSize + p.units)} MACs`;
  return {
    ...p,
    fnName: ctx.fnName,
    summary,
    input: ctx.input(INPUT),
    output: ctx.output(0),
    hidden: ctx.input(HIDDEN_STATE),
    cell: ctx.input(CELL_STATE),
    rowExpr: p.timeMajor ? `t * ${p.batches} + b` : `b * ${p.steps} + t`,
    gateSigmoidMultiplier: GATE_SIGMOID.multiplier,
    cellGateTanhMultiplier: CELL_GATE_TANH.multiplier,
    cellTanhRound: p.cellTanh.shift > 0 ? 1 << (p.cellTanh.shift - 1) : 0,
    hasCellClip: p.clipsCell,
    negCellClip: -p.cellClip,
  };
}

/** Each gate's weights and bias: the variant kernels re-lay them and fold the bias at compile time. */
function lstmGateInputs(ctx: LayerEmitContext) {
  const tensor = (position: number) => ctx.graph.tensors[ctx.op.inputs[position]!]!;
  return [0, 1, 2, 3].map((k) => ({
    inputWeights: constInt8(tensor(INPUT_WEIGHTS[k]!)),
    recurrentWeights: constInt8(tensor(RECURRENT_WEIGHTS[k]!)),
    bias: constInt32(tensor(BIASES[k]!)),
  }));
}

/**
 * The row-pair lanes' rule: the weights allow them (`laneWeights`) and the compile weighs speed first
 * (`--prefer size` keeps the model's 1 byte a weight).
 */
const lanesApply = (p: LstmParams, facts: VariantFacts): boolean => p.laneWeights === true && facts.prefer !== 'size';

const M0PLUS_C_FILES = [
  'common/isa/m0plus_mac.h',
  'common/isa/m0plus_mac.S',
  'common/isa/m0plus_rq.h',
  'unidirectional_sequence_lstm/unidirectional_sequence_lstm_pairs.h',
  'unidirectional_sequence_lstm/unidirectional_sequence_lstm_m0plus.S',
];

const def: OpDef<LstmParams> = {
  kind: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  dir: import.meta.dirname,
  check,
  prepare,
  macs,
  // portable: four int16 gate buffers of one state row each; the DSP variant computes a unit's
  // gates together and keeps the step's inputs and hidden values as int16 instead
  // (Armv6-M: the step's int32 accumulators of every gate row; RV32: none)
  scratchBytes: (p) => 4 * p.units * 2,
  evaluate,
  variants: [
    {
      // the step's x and h, zero-padded to whole 16-byte passes
      name: 'arm-mve',
      family: 'arm-mve',
      applies: () => true,
      scratchBytes: lstmMveScratchBytes,
      emit: (p, ctx) => emitLstmMve(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx)),
      cFiles: ['unidirectional_sequence_lstm/unidirectional_sequence_lstm_mve.h'],
    },
    {
      name: 'arm-dsp',
      family: 'arm-dsp',
      applies: () => true,
      scratchBytes: lstmDspScratchBytes,
      emit: (p, ctx) => emitLstmDsp(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx)),
      cFiles: ['fully_connected/fully_connected_dsp.h', 'unidirectional_sequence_lstm/unidirectional_sequence_lstm_dsp.h'],
    },
    // Armv6-M, every gate weight in [-127, 127] and not under `--prefer size`: the gates as row-pair
    // lanes (pairs.ts), 2 bytes a weight, one MULS for two rows' products; before the int8 blocks
    // for its speed, and a speed choice only: `--prefer size` keeps the model's 1 byte a weight
    {
      name: 'armv6m row-pair lanes',
      family: 'armv6m',
      applies: lanesApply,
      scratchBytes: lstmM0plusScratchBytes,
      emit: (p, ctx) => emitLstmM0plus(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx), true),
      cFiles: M0PLUS_C_FILES,
    },
    // Armv6-M, every layer: the gates' int8 blocks
    {
      name: 'armv6m',
      family: 'armv6m',
      applies: () => true,
      scratchBytes: lstmM0plusScratchBytes,
      emit: (p, ctx) => emitLstmM0plus(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx), false),
      cFiles: M0PLUS_C_FILES,
    },
    // RV32IMC: the row-pair lanes first, for the same reason and under the same condition as Armv6-M's
    {
      name: 'rv32 row-pair lanes',
      family: 'rv32',
      applies: lanesApply,
      // the row-pair form's widened values and gate sums (the int8 blocks keep a unit pair's sums on the stack)
      scratchBytes: lstmPairsScratchBytes,
      emit: (p, ctx) => emitLstmRv32(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx), true),
      cFiles: ['unidirectional_sequence_lstm/unidirectional_sequence_lstm_pairs.h'],
    },
    // RV32IMC, every layer: the gates' int8 blocks (the scratch sized as the lanes' all the same, so
    // that the arena does not depend on which of the two runs)
    {
      name: 'rv32',
      family: 'rv32',
      applies: () => true,
      scratchBytes: lstmPairsScratchBytes,
      emit: (p, ctx) => emitLstmRv32(p, ctx, lstmGateInputs(ctx), lstmView(p, ctx), false),
      cFiles: ['unidirectional_sequence_lstm/unidirectional_sequence_lstm_pairs.h'],
    },
    // pruned gate weights: the sparse storage (sparse.ts) when the cost model (encoding_choice.ts) prefers it
    lstmSparseVariant(lstmGateInputs, lstmView, GATE_NAMES),
  ],
  // the family kernel's (or the portable C's) measured cost per MAC; the eight int8 gate matrices
  denseCost: (p, isa, prefer = 'speed') => {
    const variant = firstApplicableVariant(def, p, { isa, prefer });
    const family = variant.family;
    // the row-pair lanes of the Armv6-M and RV32 variants take 2 bytes a weight (columns padded to pairs)
    const lanes = variant.applies === lanesApply;
    const weightBytes = lanes ? 8 * p.units * (pairColumns(p.inputSize) + pairColumns(p.units)) : 4 * p.units * (p.inputSize + p.units);
    return denseCostFromRates('UNIDIRECTIONAL_SEQUENCE_LSTM', p.batches * p.steps * 4 * p.units * (p.inputSize + p.units), weightBytes, family, isa);
  },
  emitC(p, ctx) {
    const tensor = (position: number) => ctx.graph.tensors[ctx.op.inputs[position]!]!;
    const shared = lstmView(p, ctx);
    const gates = p.gates.map((g, k) => {
      const wIn = constInt8(tensor(INPUT_WEIGHTS[k]!));
      const wRec = constInt8(tensor(RECURRENT_WEIGHTS[k]!));
      const bias = constInt32(tensor(BIASES[k]!));
      // the input and hidden offsets fold into per-row start values: Σw(x+o)+b = Σwx + (oΣw+b)
      const inputInit =
        p.inputOffset === 0
          ? ctx.input(BIASES[k]!)
          : ctx.addConst(`${GATE_NAMES[k]}_in_init`, 'int32_t', foldedAccumulatorInit(wIn, p.units, p.inputSize, p.inputOffset, bias));
      const recurrentInit =
        p.hiddenOffset === 0 ? undefined : ctx.addConst(`${GATE_NAMES[k]}_rec_init`, 'int32_t', foldedAccumulatorInit(wRec, p.units, p.units, p.hiddenOffset));
      return {
        ...g,
        name: GATE_NAMES[k],
        index: k,
        inputWeights: ctx.input(INPUT_WEIGHTS[k]!),
        recurrentWeights: ctx.input(RECURRENT_WEIGHTS[k]!),
        inputInit,
        recurrentInit: recurrentInit ? `${recurrentInit}[u]` : '0',
        isCellGate: k === 2,
      };
    });
    return ctx.render('unidirectional_sequence_lstm.c.hbs', { ...shared, scratch: ctx.scratch(), gates });
  },
};

// float32 layers: TFLite Micro's float LSTM (lstm_float.ts)
export default withFloatVariant(def, LSTM_FLOAT_KERNEL);
