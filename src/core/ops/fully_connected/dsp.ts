// SPDX-License-Identifier: Apache-2.0
/**
 * FULLY_CONNECTED's Arm DSP variant: fully_connected_dsp.h's streaming kernel, no scratch. Symmetric
 * weights (the input offset folds into the per-row starts); weight_offset.ts runs those with a zero
 * point through it. Flash: the re-laid weights are exactly as many bytes as the model's, the starts
 * replace the bias; per-tensor requantization constants live in the layer's code, per-channel ones
 * take two int32 per output (the model spends a float scale and an int64 zero point).
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { summary } from './describe.ts';
import { rowBlocksOf4 } from '../common/codecs/row_blocks.ts';
import { constInt32, constInt8, foldedAccumulatorInit } from '../common/families/weighted.ts';
import { settleChannels } from '../common/numerics/settled_channels.ts';
import {
  RQ_EXACT,
  RQ_FAST,
  RQ_FIELDS,
  RQ_LONG,
  RQ_ORT,
  REQUANT_NAMES,
  accumulatorBounds,
  fastRequantHolds,
  kernelMode,
  longRequantHolds,
  requantRecords,
  rqInit,
} from '../common/isa/dsp.ts';
import type { FullyConnectedParams } from './contract.ts';

export function dspApplies(p: FullyConnectedParams): boolean {
  return p.filterOffset === 0;
}

/** The streaming kernel's weight order: fully_connected_dsp.h's blocks of four, or two rows in one halfword (dsp_row_pairs.ts). */
export interface DspLayout {
  /** the kernel functions' prefix: `<kernel>_body` in its header */
  kernel: 'tf_fc_dsp' | 'tf_fcp_dsp' | 'tf_fcpx_dsp' | 'tf_fcp6_dsp' | 'tf_fcp6w_dsp' | 'tf_fcp8_dsp' | 'tf_fcpb_dsp';
  /** the `<body>_body` the kernel function calls (default: `kernel`) */
  body?: string;
  /** the kernel takes a scratch of 2 * inFeatures bytes for the unpacked inputs (fully_connected_dsp_pairs.h) */
  unpacked?: boolean;
  relay(weights: ArrayLike<number>, rows: number, rowLength: number): Int8Array;
  /** the kernel's requantization takes dsp_requant.h's LONG mode where FAST does not hold */
  long?: boolean;
  /** the words per chunk the kernel takes as its last argument (dsp_row_pairs_x8.ts), from the weights */
  chunk?(weights: ArrayLike<number>, rows: number, rowLength: number): number;
  /** the pairs' correction table (int16 values read as uint16), when the layer needs one */
  fix?(weights: ArrayLike<number>, rows: number, rowLength: number): Int16Array | undefined;
  how: string;
}

const BLOCKS_OF_4: DspLayout = { kernel: 'tf_fc_dsp', relay: rowBlocksOf4, how: 'streaming, 4 rows per pass' };

export function emitFullyConnectedDsp(model: FullyConnectedParams, ctx: LayerEmitContext, modelSummary: string, layout: DspLayout = BLOCKS_OF_4): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const modelBias = model.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  // pruned rows re-expressed so that they do not hold the layer to the exact path (not under a
  // weight offset, whose slack widens every accumulator's window)
  const settled = model.accumulatorSlack
    ? undefined
    : settleChannels({ weights: filter, rows: model.outFeatures, rowLength: model.inFeatures, bias: modelBias }, model, (b, m, s) =>
        fastRequantHolds([b], { multiplier: [m], shift: [s] }, model.outputZeroPoint),
      );
  const p: FullyConnectedParams = settled ? { ...model, ...settled.m } : model;
  const bias = settled ? settled.bias : modelBias;
  const summary = settled ? `${modelSummary}; ${settled.settled} near-constant rows requantized by equivalent records` : modelSummary;
  // the model's bias tensor serves as the starts only as it is
  const biasAsStart = !settled && p.inputOffset === 0 && p.hasBias;
  const bounds = accumulatorBounds(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias).map((b) => b + (p.accumulatorSlack ?? 0));
  const fast = fastRequantHolds(bounds, p, p.outputZeroPoint);
  // where FAST does not hold, the kernels that take LONG (long rows) run it rather than the 64-bit steps
  const kind = p.ortScale ? RQ_ORT : fast ? RQ_FAST : layout.long && longRequantHolds(bounds, p, p.outputZeroPoint) ? RQ_LONG : RQ_EXACT;
  const start = foldedAccumulatorInit(filter, p.outFeatures, p.inFeatures, p.inputOffset, bias);
  const single = p.inFeatures === 1;
  const mode = kernelMode(kind, p.actMin, p.actMax);
  const fix = single ? undefined : layout.fix?.(filter, p.outFeatures, p.inFeatures);
  const uniform = p.multiplier.every((m, i) => m === p.multiplier[0] && p.shift[i] === p.shift[0] && p.ortScale?.[i] === p.ortScale?.[0]);
  // dsp_requant.h's records less the start (the kernel reads the starts apart): { m, P } per output
  const records = requantRecords(start, p, p.outFeatures, p.outputZeroPoint, kind);
  const mp = (o: number) => [records[o * RQ_FIELDS + 1]!, records[o * RQ_FIELDS + 2]!];
  // one shared function per kind of requantization: SMMULR or exact, saturating or clamping,
  // per tensor or per channel
  const kernel = single ? 'tf_fc1_dsp' : layout.kernel;
  const shared = {
    ...mode,
    single,
    mode: `${mode.mode}${uniform ? 't' : 'p'}`,
    perChannel: uniform ? 0 : 1,
    kernel,
    body: single ? kernel : (layout.body ?? kernel),
    // the four-row pairs kernels take the fix table (and a scratch, unpacked); the six-row one neither
    pairs: layout.fix !== undefined,
    six: layout.kernel === 'tf_fcp6_dsp',
    eight: layout.kernel === 'tf_fcp8_dsp',
    batched: layout.kernel === 'tf_fcpb_dsp',
    widened: layout.kernel === 'tf_fcp6w_dsp',
    // the kernels without a fix table take the scratch right after the output
    xsAfterOut: layout.kernel === 'tf_fcpb_dsp' || layout.kernel === 'tf_fcp6w_dsp',
    unpacked: !single && layout.unpacked === true,
  };
  ctx.defineOnce(`${kernel}_${shared.mode}`, ctx.render('fully_connected_dsp_kernel.c.hbs', shared));
  return ctx.render('fully_connected_dsp.c.hbs', {
    summary,
    how: `${single ? 'one input feature' : layout.how}, ${kind === RQ_ORT ? REQUANT_NAMES[kind] : ['exact 64-bit', 'SMMULR', 'SMMULR (wide)', 'SMMULR (long accumulators)'][kind]} requantization`,
    fnName: ctx.fnName,
    single,
    input: ctx.input(0),
    output: ctx.output(0),
    batches: p.batches,
    inFeatures: p.inFeatures,
    rows: p.outFeatures,
    // one input feature needs no blocks: plain weights, the tensor itself
    weights: single ? ctx.input(1) : ctx.addConst('w_dsp', 'int8_t', layout.relay(filter, p.outFeatures, p.inFeatures)),
    // the bias itself when there is no offset to fold; none at all when every start is 0; fewer
    // than 4 beside the code (a weight table would be padded to 16 bytes)
    start: start.every((v) => v === 0)
      ? '(const int32_t *)0'
      : biasAsStart
        ? ctx.input(2)
        : p.outFeatures < 4
          ? 'start'
          : ctx.addConst('start', 'int32_t', start),
    localStart: p.outFeatures < 4 && !biasAsStart && !start.every((v) => v === 0) ? Array.from(start).join(', ') : undefined,
    uniform,
    channel: uniform ? mp(0).join(', ') : undefined,
    records: uniform ? undefined : ctx.addConst('rq', 'int32_t', Int32Array.from(Array.from({ length: p.outFeatures }, (_, o) => mp(o)).flat())),
    rq: rqInit(p.outputZeroPoint, p.actMin, p.actMax),
    mode: shared.mode,
    kernel,
    scratch: !single && layout.unpacked ? ctx.scratch() : undefined,
    chunk: layout.chunk && !single ? layout.chunk(filter, p.outFeatures, p.inFeatures) : undefined,
    fix: layout.fix && !single ? (fix ? `(const uint16_t *)${ctx.addConst('fix', 'int16_t', fix)}` : '(const uint16_t *)0') : undefined,
  });
}

export const fcDspVariant: KernelVariant<FullyConnectedParams> = {
  name: 'arm-dsp',
  family: 'arm-dsp',
  applies: dspApplies,
  emit: (p, ctx) => emitFullyConnectedDsp(p, ctx, summary(p)),
  cFiles: ['fully_connected/fully_connected_dsp.h'],
  ortExact: true,
};
