// SPDX-License-Identifier: Apache-2.0
/**
 * DEPTHWISE_CONV_2D's Arm MVE (Helium) variant, any depth multiplier and channel count: four output
 * channels per int32x4 vector (VLDRB.S32 of four input and four weight bytes, VMUL + VADD: MVE has
 * no lane-wise multiply-accumulate), four output pixels per weight load. Windows inside the image run
 * every tap unrolled at offsets known when the layer is compiled, the input offset folded into the
 * accumulators' start; a window over the padding is first gathered into the scratch (input zero
 * points for the padded taps, whose products with the offset folded in are then 0) and runs the
 * same unrolled code over it, one pixel at a time. A channel count off a multiple of 4 ends in a
 * last group under a VCTP32 predicate (the bytes past the last channel neither read nor written).
 * Requantization is tf_mve_mbqm, four channels per step, exactly TFLite Micro's
 * MultiplyByQuantizedMultiplier. A depth multiplier above 1 reads each lane's input byte through a
 * gather load (VLDRB.S32 Qd, [Rn, Qm], the lanes' input channels in the group's record), which has
 * no writeback: the pointer then steps by ADDW. A multiplier of 4k reads one byte per group (LDRSB)
 * into VMLA's vector-by-scalar multiply-accumulate.
 */
import type { KernelVariant, LayerEmitContext } from '../op.ts';
import { constInt32, constInt8 } from '../common/families/weighted.ts';
import { insideRange } from '../common/families/conv_geometry.ts';
import type { DepthwiseConv2DParams } from './contract.ts';
import { rowOrderOverlap } from './dsp_common.ts';
import { summary } from './describe.ts';

/** Output pixels sharing each weight load inside the image (four accumulators of eight Q registers). */
const PIXEL_BLOCK = 4;

/** int32 words per channel group's record: multipliers, left shifts, -right shifts, starts inside the image, biases. */
const RECORD_WORDS = 5 * 4;

export function depthwiseMveApplies(_p: DepthwiseConv2DParams): boolean {
  return true;
}

/** Record words of a group: a depth multiplier above 1 adds each lane's input channel (its byte in a pixel). */
function recordWords(p: DepthwiseConv2DParams): number {
  return p.depthMultiplier > 1 ? RECORD_WORDS + 4 : RECORD_WORDS;
}

/** Filter [taps][C] as [group][tap][4], zero weights past the last channel. */
export function mveDepthwiseWeights(filter: Int8Array, taps: number, channels: number): Int8Array {
  const groups = Math.ceil(channels / 4);
  const out = new Int8Array(groups * taps * 4);
  let at = 0;
  for (let c = 0; c < groups * 4; c += 4) {
    for (let t = 0; t < taps; t++) for (let j = 0; j < 4; j++) out[at++] = c + j < channels ? filter[t * channels + c + j]! : 0;
  }
  return out;
}

/**
 * Per group of four channels: multipliers, max(shift, 0), min(shift, 0), starts (bias + input offset
 * x the channel's weight sum, int32 wrapping as TFLite Micro's sum does) and biases. Lanes past the
 * last channel: multiplier 2^30, no shift, start 0 (their results are never stored).
 */
function mveRecords(p: DepthwiseConv2DParams, filter: Int8Array, bias: Int32Array | undefined): Int32Array {
  const taps = p.kH * p.kW;
  const groups = Math.ceil(p.outC / 4);
  const words = recordWords(p);
  const out = new Int32Array(groups * words);
  for (let c = 0; c < groups * 4; c++) {
    const at = Math.floor(c / 4) * words + (c % 4);
    if (c >= p.outC) {
      out[at] = 1 << 30;
      continue;
    }
    let sum = 0;
    for (let t = 0; t < taps; t++) sum += filter[t * p.outC + c]!;
    const b = bias ? bias[c]! : 0;
    out[at] = p.multiplier[c]!;
    out[at + 4] = Math.max(p.shift[c]!, 0);
    out[at + 8] = Math.min(p.shift[c]!, 0);
    out[at + 12] = (b + Math.imul(sum, p.inputOffset)) | 0;
    out[at + 16] = b;
    if (words > RECORD_WORDS) out[at + 20] = Math.floor(c / p.depthMultiplier);
  }
  return out;
}

/**
 * The bytes from `x` each load of a group reads, in order: per tap (rows, then columns), pixel k's
 * bytes; in the image, or (`gathered`) in a window gathered tap after tap (one pixel).
 */
function loadOffsets(p: DepthwiseConv2DParams, pixels: number, gathered: boolean): number[][] {
  const inRow = p.inW * p.inC;
  const taps: number[][] = [];
  for (let fy = 0; fy < p.kH; fy++) {
    for (let fx = 0; fx < p.kW; fx++) {
      const tapOffset = gathered ? (fy * p.kW + fx) * p.inC : fy * p.dilationH * inRow + fx * p.dilationW * p.inC;
      taps.push(Array.from({ length: pixels }, (_, k) => tapOffset + k * p.strideW * p.inC));
    }
  }
  return taps;
}

/** VLDRB's post-increment (writeback) reaches +-127 bytes; ADDW/SUBW 4095. */
const WRITEBACK_MAX = 127;
const ADDW_MAX = 4095;
/** LDRSB's post-increment reaches +-255. */
const LDRSB_WRITEBACK_MAX = 255;

/**
 * One channel group of `pixels` output pixels inside the image, every tap unrolled: accumulator k
 * reads pixel k's window, `x` points at the first pixel's window (top left) plus the group's first
 * channel, `w` at the group's weights. One asm statement per tap: gcc 12 neither keeps MVE loads
 * in their post-increment form (it recomputes each address with an ADD and a MOV) nor keeps the
 * sums in order (it reassociates them and spills the products); here one pointer walks every load,
 * stepping by each load's writeback where the next load is within reach. Steps beyond it are
 * `big` operands (registers gcc loads once).
 */
function interiorGroup(p: DepthwiseConv2DParams, pixels: number, gathered: boolean): string[] {
  const accs = Array.from({ length: pixels }, (_, k) => `a${k}`);
  const lines = [`int32x4_t ${accs.map((a, k) => (k === 0 ? `${a} = vldrwq_s32(r + 12)` : `${a} = a0`)).join(', ')}, wt, t0, t1;`, 'const int8_t *xp = x;'];
  const taps = loadOffsets(p, pixels, gathered);
  const flat = taps.flat();
  const big: number[] = [];
  let at = 0;
  const temps = p.depthMultiplier % 4 === 0 ? ['[s0] "=&r"(s0)', '[s1] "=&r"(s1)'] : ['[t0] "=&w"(t0)', '[t1] "=&w"(t1)'];
  const outputs = [...accs.map((a) => `[${a}] "+w"(${a})`), '[wt] "=&w"(wt)', ...temps, '[xp] "+l"(xp)', '[w] "+l"(w)'];
  // a multiplier above 1: each lane's input byte through a gather (VLDRB.S32 Qd, [Rn, Qm]), which has no writeback
  // a multiplier of 4k: the four lanes share one input byte, loaded as a scalar (LDRSB, writeback up
  // to 255) into VMLA's vector-by-scalar multiply-accumulate, one instruction for four MACs
  const broadcast = p.depthMultiplier % 4 === 0;
  const multiplied = p.depthMultiplier > 1 && !broadcast;
  if (multiplied) lines.push('const uint32x4_t lanes = vldrwq_u32((const uint32_t *)(r + 20));');
  if (broadcast) {
    lines[1] = 'const int8_t *xp = x + r[20];';
    lines[0] = lines[0]!.replace(', wt, t0, t1;', ', wt;');
    lines.push('int32_t s0, s1;');
  }
  taps.forEach((offsets) => {
    const asm: string[] = ['vldrb.s32 %q[wt], [%[w]], #4'];
    // load pixel k (walking xp to the next load), then multiply and add it while the next one loads
    const load = (k: number) => {
      const here = offsets[k]!;
      const next = at + 1 < flat.length ? flat[at + 1]! : here;
      at++;
      const step = next - here;
      const t = `%q[t${k % 2}]`;
      if (broadcast) {
        const sk = `%[s${k % 2}]`;
        if (step === 0) return [`ldrsb ${sk}, [%[xp]]`];
        if (Math.abs(step) <= LDRSB_WRITEBACK_MAX) return [`ldrsb ${sk}, [%[xp]], #${step}`];
        if (Math.abs(step) <= ADDW_MAX) return [`ldrsb ${sk}, [%[xp]]`, `${step > 0 ? 'addw' : 'subw'} %[xp], %[xp], #${Math.abs(step)}`];
        if (!big.includes(step)) big.push(step);
        return [`ldrsb ${sk}, [%[xp]]`, `add %[xp], %[xp], %[big${big.indexOf(step)}]`];
      }
      const plain = multiplied ? `vldrb.s32 ${t}, [%[xp], %q[lanes]]` : `vldrb.s32 ${t}, [%[xp]]`;
      if (step === 0) return [plain];
      if (!multiplied && Math.abs(step) <= WRITEBACK_MAX) return [`vldrb.s32 ${t}, [%[xp]], #${step}`];
      if (Math.abs(step) <= ADDW_MAX) return [plain, `${step > 0 ? 'addw' : 'subw'} %[xp], %[xp], #${Math.abs(step)}`];
      if (!big.includes(step)) big.push(step);
      return [plain, `add %[xp], %[xp], %[big${big.indexOf(step)}]`];
    };
    const mac = (k: number) =>
      broadcast
        ? [`vmla.s32 %q[a${k}], %q[wt], %[s${k % 2}]`]
        : [`vmul.i32 %q[t${k % 2}], %q[t${k % 2}], %q[wt]`, `vadd.i32 %q[a${k}], %q[a${k}], %q[t${k % 2}]`];
    asm.push(...load(0));
    for (let k = 1; k < pixels; k++) {
      asm.push(...load(k));
      asm.push(...mac(k - 1));
    }
    asm.push(...mac(pixels - 1));
    lines.push(`__asm__ volatile(${asm.map((i) => JSON.stringify(`${i}\n\t`)).join(' ')}`);
    lines.push(`  : ${outputs.join(', ')}`);
    lines.push('  : BIG_INPUTS');
    lines.push('  : "memory");');
  });
  // every statement names every large step (an asm operand list is one for the whole group)
  const inputs = [...(multiplied ? ['[lanes] "w"(lanes)'] : []), ...big.map((step, n) => `[big${n}] "r"(${step})`)].join(', ');
  return lines.map((l) => (l === '  : BIG_INPUTS' ? `  : ${inputs}` : l));
}

/**
 * The last group's taps under `pred` (its input loads past the last channel not made): intrinsics,
 * the input offset folded into the start as in the full groups.
 */
function predicatedGroup(p: DepthwiseConv2DParams, pixels: number, gathered: boolean): string[] {
  const accs = Array.from({ length: pixels }, (_, k) => `a${k}`);
  const lines = [`int32x4_t ${accs.map((a, k) => (k === 0 ? `${a} = vldrwq_s32(r + 12)` : `${a} = a0`)).join(', ')};`];
  // (a multiplier of 4k leaves no last group: the channels are whole groups)
  const multiplied = p.depthMultiplier > 1;
  if (multiplied) lines.push('const uint32x4_t lanes = vldrwq_u32((const uint32_t *)(r + 20));');
  for (const offsets of loadOffsets(p, pixels, gathered)) {
    const load = (at: number) => (multiplied ? `vldrbq_gather_offset_z_s32(x + ${at}, lanes, pred)` : `vldrbq_z_s32(x + ${at}, pred)`);
    const macs = accs.map((a, k) => `${a} = vaddq_s32(${a}, vmulq_s32(${load(offsets[k]!)}, wt));`);
    lines.push(`{ const int32x4_t wt = vldrbq_s32(w); w += 4; ${macs.join(' ')} TF_MVE_TAP_BARRIER${pixels}(${accs.join(', ')}); }`);
  }
  return lines;
}

/** The stores of a group's accumulators: pixel k at `o + k * C`. */
function groupStores(p: DepthwiseConv2DParams, fnName: string, pixels: number, predicated: boolean): string[] {
  const lines = ['const int32x4_t mult = vldrwq_s32(r), neg_right = vldrwq_s32(r + 8);'];
  if (p.shift.some((s) => s > 0)) lines.push('const int32x4_t left = vldrwq_s32(r + 4);');
  for (let k = 0; k < pixels; k++) {
    const value = `${fnName}_rq(a${k}, mult, ${p.shift.some((s) => s > 0) ? 'left' : 'vdupq_n_s32(0)'}, neg_right)`;
    lines.push(predicated ? `vstrbq_p_s32(o + ${k * p.outC}, ${value}, pred);` : `vstrbq_s32(o + ${k * p.outC}, ${value});`);
  }
  return lines;
}

/** Whether some output pixel's window crosses the padding. */
function hasBorder(p: DepthwiseConv2DParams): boolean {
  const [rowLo, rowHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colLo, colHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  return rowLo > 0 || rowHi < p.outH || colLo > 0 || colHi < p.outW;
}

/** Where windows cross the padding: a pixel's window gathered (taps x C bytes), then a row of C input zero points. */
export function mveScratchBytes(p: DepthwiseConv2DParams): number {
  return hasBorder(p) ? (p.kH * p.kW + 1) * p.inC : 0;
}

function emit(p: DepthwiseConv2DParams, ctx: LayerEmitContext): string {
  const filter = constInt8(ctx.graph.tensors[ctx.op.inputs[1]!]!);
  const bias = p.hasBias ? constInt32(ctx.graph.tensors[ctx.op.inputs[2]!]!) : undefined;
  const taps = p.kH * p.kW;
  const fullGroups = Math.floor(p.outC / 4);
  const tail = p.outC % 4;
  const [rowLo, rowHi] = insideRange(p.outH, p.inH, p.kH, p.strideH, p.dilationH, p.padTop);
  const [colLo, colHi] = insideRange(p.outW, p.inW, p.kW, p.strideW, p.dilationW, p.padLeft);
  const block = (pixels: number, gathered = false) => ({
    pixels,
    pixelWord: pixels === 1 ? 'one pixel' : `${pixels} pixels`,
    full: fullGroups > 0 ? { body: interiorGroup(p, pixels, gathered), stores: groupStores(p, ctx.fnName, pixels, false) } : undefined,
    tail: tail > 0 ? { body: predicatedGroup(p, pixels, gathered), stores: groupStores(p, ctx.fnName, pixels, true) } : undefined,
  });
  const anyBorder = hasBorder(p);
  const leftShifts = p.shift.some((s) => s > 0);
  return ctx.render('depthwise_conv_2d_mve.c.hbs', {
    ...p,
    fnName: ctx.fnName,
    summary: summary(p),
    how: `${fullGroups} group${fullGroups === 1 ? '' : 's'} of 4 channels${tail ? ` and a last of ${tail} under VCTP32` : ''}${p.depthMultiplier % 4 === 0 ? `, depth multiplier ${p.depthMultiplier}: one input byte per group into VMLA by scalar` : p.depthMultiplier > 1 ? `, depth multiplier ${p.depthMultiplier}: input bytes gathered per lane` : ''}, ${PIXEL_BLOCK} pixels per weight load, ${taps} taps unrolled`,
    input: ctx.input(0),
    output: ctx.output(0),
    weights: ctx.addConst('w_mve', 'int8_t', mveDepthwiseWeights(filter, taps, p.outC)),
    records: ctx.addConst('rec_mve', 'int32_t', mveRecords(p, filter, bias)),
    leftShifts,
    allRight: p.shift.every((s) => s < 0),
    groups: Math.ceil(p.outC / 4),
    fullGroups,
    tail,
    tailWord: tail === 1 ? 'channel' : `${tail} channels`,
    groupWeights: taps * 4,
    recordWords: recordWords(p),
    // each group reads its lanes' input bytes from the pixel's start: x stays
    groupInput: p.depthMultiplier > 1 ? '' : ' x += 4,',
    // the pixel block where the inside columns hold one (a last short one overlapping), else single pixels
    block: colHi - colLo >= PIXEL_BLOCK ? { ...block(PIXEL_BLOCK), overlapLast: (colHi - colLo) % PIXEL_BLOCK !== 0 } : block(1),
    // pixels over the padding: their window gathered into the scratch, the input zero point for the padded taps
    border: anyBorder ? block(1, true) : undefined,
    window: anyBorder ? `((int8_t *)${ctx.scratch()})` : undefined,
    windowBytes: taps * p.inC,
    // pixels of whole 16-byte vectors: gathered without predication
    whole16: p.inC % 16 === 0,
    inputZeroPoint: -p.inputOffset,
    inImage: p.inH * p.inW * p.inC,
    outImage: p.outH * p.outW * p.outC,
    inRow: p.inW * p.inC,
    outRow: p.outW * p.outC,
    rowLo,
    rowHi,
    colLo,
    colHi,
  });
}

export const depthwiseMveVariant: KernelVariant<DepthwiseConv2DParams> = {
  name: 'arm-mve',
  family: 'arm-mve',
  applies: depthwiseMveApplies,
  overlap: rowOrderOverlap,
  scratchBytes: mveScratchBytes,
  emit,
};
