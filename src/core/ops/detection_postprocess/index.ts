// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite_Detection_PostProcess (TFLite Micro's custom op, kernels/detection_postprocess.cc): the
 * post-processing of SSD object detectors. Inputs: box encodings [1, anchors, >=4] (y, x, h, w
 * relative to the anchor), class predictions [1, anchors, classes (+1 background)], anchors
 * [anchors, 4] (y, x, h, w); outputs: detection boxes [1, D, 4] (ymin, xmin, ymax, xmax), classes
 * [1, D], scores [1, D], num_detections [1], every tensor float32 (TFLite Micro's Eval takes no
 * other type: it returns an error on quantized inputs).
 *
 * The boxes decode as TFLite Micro decodes them, in double, `exp` of the C library (its double
 * function: glibc, newlib), each value rounded to float32 once; non-max suppression then keeps the
 * best-scoring boxes whose IoU (float32, TFLite Micro's order) with a kept one is at most the
 * threshold: fast (use_regular_nms false: one NMS over each anchor's best class, its best
 * max_classes_per_detection classes reported) or regular (one NMS per class, the best
 * max_detections kept over all classes). Both of TFLite Micro's sorts order by score, decreasing,
 * then by position, increasing (detection_postprocess.h). Options and shapes are fixed when the
 * model compiles; scratch is in the arena. Output entries past the detections are zero.
 */
import { OpError } from '../../errors.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import type { CustomOptionValue } from '../../model/tflite/custom_options.ts';
import { boolOption, requireDType, signalKind, signalOptions } from '../common/families/signal.ts';
import { requireInput, tensorLabel } from '../common/families/weighted.ts';
import { cFloatLiteral } from '../common/families/float_variant.ts';

const F = Math.fround;

export interface DetectionPostProcessParams {
  readonly float32: true;
  numBoxes: number;
  encStride: number;
  numClasses: number;
  classesWithBackground: number;
  labelOffset: number;
  maxDetections: number;
  /** fast NMS: min(max_classes_per_detection, num_classes) */
  categories: number;
  detectionsPerClass: number;
  regular: boolean;
  /** detections the outputs hold (their dim 1) */
  outRows: number;
  scoreThreshold: number;
  iouThreshold: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

/** TFLite Micro's FlexBuffers reads: AsInt32 of an absent key is 0, AsFloat 0.0f, AsBool false. */
function intOf(op: Op, o: Record<string, CustomOptionValue>, name: string, fallback = 0): number {
  const v = o[name];
  if (v === undefined) return fallback;
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new OpError(op.index, op.kind, `custom option '${name}' is ${JSON.stringify(v)}; expected an integer`);
  const t = Math.trunc(n);
  if (t < -(2 ** 31) || t >= 2 ** 31) throw new OpError(op.index, op.kind, `custom option '${name}' is ${n}; expected an int32`);
  return t;
}

function floatOf(op: Op, o: Record<string, CustomOptionValue>, name: string): number {
  const v = o[name];
  if (v === undefined) return 0;
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number') throw new OpError(op.index, op.kind, `custom option '${name}' is ${JSON.stringify(v)}; expected a number`);
  return F(n);
}

function shapeIs(t: Tensor, rank: number): boolean {
  return t.shape.length === rank;
}

function prepareDpp(graph: Graph, op: Op): DetectionPostProcessParams {
  const fail = (msg: string): never => {
    throw new OpError(op.index, op.kind, msg);
  };
  if (op.inputs.length !== 3) fail(`expected 3 inputs (box encodings, class predictions, anchors), got ${op.inputs.length}`);
  if (op.outputs.length !== 4) fail(`expected 4 outputs (boxes, classes, scores, num_detections), got ${op.outputs.length}`);
  const enc = requireInput(graph, op, 0, 'box encodings');
  const cls = requireInput(graph, op, 1, 'class predictions');
  const anchors = requireInput(graph, op, 2, 'anchors');
  for (const [t, role] of [
    [enc, 'box encodings'],
    [cls, 'class predictions'],
    [anchors, 'anchors'],
  ] as const)
    requireDType(op, t, role, 'float32');
  const outs = op.outputs.map((o, i) => {
    const t = graph.tensors[o];
    if (!t) return fail(`missing output ${i}`);
    requireDType(op, t, ['detection boxes', 'detection classes', 'detection scores', 'num_detections'][i]!, 'float32');
    return t;
  });
  if (!shapeIs(enc, 3) || enc.shape[0] !== 1 || enc.shape[2]! < 4)
    fail(`box encodings ${tensorLabel(enc)} must be [1, anchors, 4 or more], got [${enc.shape.join(', ')}]`);
  const numBoxes = enc.shape[1]!;
  if (numBoxes < 1) fail(`box encodings ${tensorLabel(enc)} hold no anchor`);
  if (!shapeIs(cls, 3) || cls.shape[0] !== 1 || cls.shape[1] !== numBoxes)
    fail(`class predictions ${tensorLabel(cls)} must be [1, ${numBoxes}, classes], got [${cls.shape.join(', ')}]`);
  if (!shapeIs(anchors, 2) || anchors.shape[0] !== numBoxes || anchors.shape[1] !== 4)
    fail(`anchors ${tensorLabel(anchors)} must be [${numBoxes}, 4], got [${anchors.shape.join(', ')}]`);

  const o = signalOptions(op);
  const maxDetections = intOf(op, o, 'max_detections');
  const maxClassesPerDetection = intOf(op, o, 'max_classes_per_detection');
  const detectionsPerClass = intOf(op, o, 'detections_per_class', 100);
  const regular = boolOption(op, o, 'use_regular_nms', false);
  const scoreThreshold = floatOf(op, o, 'nms_score_threshold');
  const iouThreshold = floatOf(op, o, 'nms_iou_threshold');
  const numClasses = intOf(op, o, 'num_classes');
  const [yScale, xScale, hScale, wScale] = ['y_scale', 'x_scale', 'h_scale', 'w_scale'].map((k) => floatOf(op, o, k)) as [number, number, number, number];

  const classesWithBackground = cls.shape[2]!;
  if (numClasses < 1) fail(`num_classes is ${numClasses}; expected 1 or more`);
  const labelOffset = classesWithBackground - numClasses;
  if (labelOffset !== 0 && labelOffset !== 1)
    fail(
      `class predictions ${tensorLabel(cls)} have ${classesWithBackground} classes; TFLite Micro takes num_classes (${numClasses}) or one more (a background class)`,
    );
  if (maxDetections < 0) fail(`max_detections is ${maxDetections}; expected 0 or more`);
  if (!(iouThreshold > 0 && iouThreshold <= 1)) fail(`nms_iou_threshold is ${iouThreshold}; TFLite Micro takes a value in (0, 1]`);
  if (!Number.isFinite(scoreThreshold)) fail(`nms_score_threshold is ${scoreThreshold}; expected a finite number`);
  for (const [k, v] of [
    ['y_scale', yScale],
    ['x_scale', xScale],
    ['h_scale', hScale],
    ['w_scale', wScale],
  ] as const)
    if (!(Number.isFinite(v) && v !== 0)) fail(`${k} is ${v}; expected a finite nonzero number`);
  if (regular && detectionsPerClass < 1) fail(`detections_per_class is ${detectionsPerClass}; regular NMS takes 1 or more`);
  if (!regular && maxClassesPerDetection < 1) fail(`max_classes_per_detection is ${maxClassesPerDetection}; fast NMS takes 1 or more`);
  const categories = Math.min(maxClassesPerDetection, numClasses);

  const [boxes, classes, scores, num] = outs as [Tensor, Tensor, Tensor, Tensor];
  if (!shapeIs(boxes, 3) || boxes.shape[0] !== 1 || boxes.shape[2] !== 4)
    fail(`detection boxes ${tensorLabel(boxes)} must be [1, detections, 4], got [${boxes.shape.join(', ')}]`);
  const outRows = boxes.shape[1]!;
  for (const [t, role] of [
    [classes, 'detection classes'],
    [scores, 'detection scores'],
  ] as const)
    if (!shapeIs(t, 2) || t.shape[0] !== 1 || t.shape[1] !== outRows) fail(`${role} ${tensorLabel(t)} must be [1, ${outRows}], got [${t.shape.join(', ')}]`);
  if (num.shape.reduce((a, d) => a * d, 1) !== 1) fail(`num_detections ${tensorLabel(num)} must hold one value, got [${num.shape.join(', ')}]`);
  // the entries TFLite Micro writes: regular max_detections; fast up to offset cats * (cats * S - 1) + cats - 1
  const needed = regular ? maxDetections : categories * categories * Math.min(numBoxes, maxDetections);
  if (outRows < needed)
    fail(
      `the outputs hold ${outRows} detections; TFLite Micro writes ${needed} (max_detections ${maxDetections}${regular ? '' : `, ${categories} classes per detection`}), past their end`,
    );
  return {
    float32: true,
    numBoxes,
    encStride: enc.shape[2]!,
    numClasses,
    classesWithBackground,
    labelOffset,
    maxDetections,
    categories: regular ? 1 : categories,
    detectionsPerClass,
    regular,
    outRows,
    scoreThreshold,
    iouThreshold,
    yScale,
    xScale,
    hScale,
    wScale,
  };
}

/** Scratch layout, in bytes from the buffer's start (every part 4-byte aligned). */
export function scratchLayout(p: DetectionPostProcessParams) {
  const n = p.numBoxes;
  const merged = p.regular ? p.maxDetections + Math.min(n, p.detectionsPerClass) : 0;
  const parts: [string, number][] = [
    ['decoded', 16 * n],
    ['box_scores', 4 * n],
    ['keep_scores', 4 * n],
    ['keep_indices', 4 * n],
    ['sorted', 4 * Math.max(n, merged)],
    ['selected', 4 * Math.min(n, p.regular ? p.detectionsPerClass : p.maxDetections)],
    ['class_indices', p.regular ? 0 : 4 * n * p.categories],
    ['merged_indices', 4 * merged],
    ['merged_scores', 4 * merged],
    ['sorted_values', p.regular ? 4 * p.maxDetections : 0],
    ['active', 4 * Math.ceil(n / 4)],
  ];
  const at: Record<string, number> = {};
  let total = 0;
  for (const [name, bytes] of parts) {
    at[name] = total;
    total += bytes;
  }
  return { at, total };
}

/** Comparator of both sorts: a before b (score decreasing, then position increasing). */
function before(v: ArrayLike<number>, a: number, b: number): boolean {
  return v[a]! > v[b]! || (!(v[b]! > v[a]!) && a < b);
}

function mergeSort(v: Float32Array, idx: Int32Array, from: number, n: number, scratch: Int32Array): void {
  if (n < 20) {
    for (let i = 1; i < n; i++) {
      const x = idx[from + i]!;
      let j = i;
      for (; j > 0 && v[x]! > v[idx[from + j - 1]!]!; j--) idx[from + j] = idx[from + j - 1]!;
      idx[from + j] = x;
    }
    return;
  }
  const half = n >> 1;
  mergeSort(v, idx, from, half, scratch);
  mergeSort(v, idx, from + half, n - half, scratch);
  let left = 0;
  let right = half;
  for (let i = 0; i < n; i++) {
    if (left >= half || (right < n && v[idx[from + right]!]! > v[idx[from + left]!]!)) scratch[i] = idx[from + right++]!;
    else scratch[i] = idx[from + left++]!;
  }
  for (let i = 0; i < n; i++) idx[from + i] = scratch[i]!;
}

/** DecreasingPartialArgSort: the first k of positions 0..n-1 in the comparator's order. */
function partialArgSort(v: ArrayLike<number>, n: number, k: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (before(v, idx[j]!, idx[best]!)) best = j;
    [idx[i], idx[best]] = [idx[best]!, idx[i]!];
  }
  return idx.slice(0, k);
}

function iou(b: Float32Array, i: number, j: number): number {
  const [iy0, ix0, iy1, ix1] = [b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!];
  const [jy0, jx0, jy1, jx1] = [b[4 * j]!, b[4 * j + 1]!, b[4 * j + 2]!, b[4 * j + 3]!];
  const areaI = F(F(iy1 - iy0) * F(ix1 - ix0));
  const areaJ = F(F(jy1 - jy0) * F(jx1 - jx0));
  if (areaI <= 0 || areaJ <= 0) return 0;
  const ymin = iy0 < jy0 ? jy0 : iy0;
  const xmin = ix0 < jx0 ? jx0 : ix0;
  const ymax = jy1 < iy1 ? jy1 : iy1;
  const xmax = jx1 < ix1 ? jx1 : ix1;
  const h = F(ymax - ymin);
  const w = F(xmax - xmin);
  const inter = F((h < 0 ? 0 : h) * (w < 0 ? 0 : w));
  return F(inter / F(F(areaI + areaJ) - inter));
}

/** NonMaxSuppressionSingleClassHelper: the anchors kept, best first. */
function nmsSingle(p: DetectionPostProcessParams, decoded: Float32Array, scores: Float32Array, maxDetections: number): number[] {
  const keepScores = new Float32Array(p.numBoxes);
  const keepIndices: number[] = [];
  for (let i = 0; i < p.numBoxes; i++) {
    if (scores[i]! >= p.scoreThreshold) {
      keepScores[keepIndices.length] = scores[i]!;
      keepIndices.push(i);
    }
  }
  const kept = keepIndices.length;
  const sorted = Int32Array.from({ length: kept }, (_, i) => i);
  mergeSort(keepScores, sorted, 0, kept, new Int32Array(kept));
  const outputSize = Math.min(kept, maxDetections);
  const active = new Uint8Array(kept).fill(1);
  let left = kept;
  const selected: number[] = [];
  for (let i = 0; i < kept; i++) {
    if (left === 0 || selected.length >= outputSize) break;
    if (!active[i]) continue;
    const boxI = keepIndices[sorted[i]!]!;
    selected.push(boxI);
    active[i] = 0;
    left--;
    for (let j = i + 1; j < kept; j++) {
      if (active[j] && iou(decoded, boxI, keepIndices[sorted[j]!]!) > p.iouThreshold) {
        active[j] = 0;
        left--;
      }
    }
  }
  return selected;
}

/** DecodeCenterSizeBoxes (double arithmetic, one rounding to float32 per value); undefined when ValidateBoxes fails. */
function decode(p: DetectionPostProcessParams, enc: Float32Array, anchors: Float32Array): Float32Array | undefined {
  const out = new Float32Array(4 * p.numBoxes);
  for (let i = 0; i < p.numBoxes; i++) {
    const e = i * p.encStride;
    const a = 4 * i;
    const yc = F((enc[e]! / p.yScale) * anchors[a + 2]! + anchors[a]!);
    const xc = F((enc[e + 1]! / p.xScale) * anchors[a + 3]! + anchors[a + 1]!);
    const hh = F(0.5 * Math.exp(enc[e + 2]! / p.hScale) * anchors[a + 2]!);
    const hw = F(0.5 * Math.exp(enc[e + 3]! / p.wScale) * anchors[a + 3]!);
    out[a] = F(yc - hh);
    out[a + 1] = F(xc - hw);
    out[a + 2] = F(yc + hh);
    out[a + 3] = F(xc + hw);
  }
  for (let i = 0; i < p.numBoxes; i++) if (out[4 * i]! >= out[4 * i + 2]! || out[4 * i + 1]! >= out[4 * i + 3]!) return undefined;
  return out;
}

export function evaluateDpp(p: DetectionPostProcessParams, enc: Float32Array, scores: Float32Array, anchors: Float32Array, outs: Float32Array[]): void {
  const [boxes, classes, outScores, num] = outs as [Float32Array, Float32Array, Float32Array, Float32Array];
  boxes.fill(0);
  classes.fill(0);
  outScores.fill(0);
  num[0] = 0;
  const decoded = decode(p, enc, anchors);
  if (!decoded) return;
  const cb = p.classesWithBackground;
  const lo = p.labelOffset;
  const n = p.numBoxes;
  let count = 0;
  if (p.regular) {
    let mergedIndices: number[] = [];
    let mergedScores: number[] = [];
    const classScores = new Float32Array(n);
    for (let col = 0; col < p.numClasses; col++) {
      for (let row = 0; row < n; row++) classScores[row] = scores[row * cb + col + lo]!;
      for (const s of nmsSingle(p, decoded, classScores, p.detectionsPerClass)) {
        mergedIndices.push(s * cb + col + lo);
        mergedScores.push(classScores[s]!);
      }
      const order = partialArgSort(mergedScores, mergedScores.length, Math.min(mergedScores.length, p.maxDetections));
      mergedIndices = order.map((t) => mergedIndices[t]!);
      mergedScores = order.map((t) => mergedScores[t]!);
    }
    mergedIndices.forEach((bi, i) => {
      const anchor = Math.floor(bi / cb);
      boxes.set(decoded.subarray(4 * anchor, 4 * anchor + 4), 4 * i);
      classes[i] = bi - anchor * cb - lo;
      outScores[i] = mergedScores[i]!;
    });
    count = mergedIndices.length;
  } else {
    const cats = p.categories;
    const maxScores = new Float32Array(n);
    const top: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = scores.subarray(i * cb + lo, i * cb + lo + p.numClasses);
      top.push(partialArgSort(row, p.numClasses, cats));
      maxScores[i] = row[top[i]![0]!]!;
    }
    for (const anchor of nmsSingle(p, decoded, maxScores, p.maxDetections)) {
      for (let col = 0; col < cats; col++) {
        const at = cats * count + col;
        const c = top[anchor]![col]!;
        boxes.set(decoded.subarray(4 * anchor, 4 * anchor + 4), 4 * at);
        classes[at] = c;
        outScores[at] = scores[anchor * cb + lo + c]!;
        count++;
      }
    }
  }
  num[0] = count;
}

const detectionPostProcess: OpDef<DetectionPostProcessParams> = {
  kind: signalKind('TFLite_Detection_PostProcess'),
  dir: import.meta.dirname,
  check: (graph, op) => void prepareDpp(graph, op),
  prepare: prepareDpp,
  floatKernel: true,
  // one IoU per pair of kept anchors at worst: the op's own count is its anchors
  macs: (graph, op) => graph.tensors[op.inputs[0]!]!.shape[1] ?? 0,
  evaluate(p, inputs, outputs) {
    evaluateDpp(p, inputs[0] as Float32Array, inputs[1] as Float32Array, inputs[2] as Float32Array, outputs as Float32Array[]);
  },
  scratchBytes: (p) => scratchLayout(p).total,
  cFiles: ['detection_postprocess/detection_postprocess.h'],
  emitC(p, ctx) {
    const { at } = scratchLayout(p);
    const ptr = (name: string, ctype: string) => `(${ctype} *)(void *)(scratch + ${at[name]})`;
    return ctx.render('detection_postprocess.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      mode: p.regular ? 'regular NMS' : 'fast NMS',
      regular: p.regular ? 1 : 0,
      enc: ctx.input(0),
      scores: ctx.input(1),
      anchors: ctx.input(2),
      boxes: ctx.output(0),
      classes: ctx.output(1),
      outScores: ctx.output(2),
      num: ctx.output(3),
      scratch: ctx.scratch(),
      scoreThreshold: cFloatLiteral(p.scoreThreshold),
      iouThreshold: cFloatLiteral(p.iouThreshold),
      yScale: cFloatLiteral(p.yScale),
      xScale: cFloatLiteral(p.xScale),
      hScale: cFloatLiteral(p.hScale),
      wScale: cFloatLiteral(p.wScale),
      decoded: ptr('decoded', 'float'),
      boxScores: ptr('box_scores', 'float'),
      keepScores: ptr('keep_scores', 'float'),
      keepIndices: ptr('keep_indices', 'int'),
      sorted: ptr('sorted', 'int'),
      selected: ptr('selected', 'int'),
      classIndices: ptr('class_indices', 'int'),
      mergedIndices: ptr('merged_indices', 'int'),
      mergedScores: ptr('merged_scores', 'float'),
      sortedValues: ptr('sorted_values', 'float'),
      active: ptr('active', 'uint8_t'),
    });
  },
};

export default detectionPostProcess;
