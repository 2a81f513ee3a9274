// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite_Detection_PostProcess: hand-checked decoding and suppression, then sweeps over anchors,
 * classes (with and without a background class), max_detections, classes per detection, both NMS
 * modes, score and IoU thresholds and tied scores, each against TFLite Micro (tflm-ref) and the C on
 * the host (ASan+UBSan), every output byte for byte.
 */
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import type { Graph, Op } from '../../ir/graph.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { type CCase, evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { tflmOutputs } from '../../../../test/helpers/tflm_ref.ts';
import { toBytes } from '../../ir/buffers.ts';
import detectionPostProcess from './index.ts';
import {
  type DppSpec,
  DPP_KIND,
  dppOptions,
  dppOutputs,
  randomAnchors,
  randomEncodings,
  randomScores,
} from '../../../../test/helpers/detection_postprocess_cases.ts';

const F = 'float32' as const;
function dppCase(k: number, s: DppSpec): Omit<CCase, 'def'> {
  const rand = rng(5800 + k);
  const stride = s.stride ?? 4;
  const scored = s.classes + (s.background ? 1 : 0);
  const { graph, op } = singleOpGraph(
    DPP_KIND,
    [
      { shape: [1, s.anchors, stride], dtype: F },
      { shape: [1, s.anchors, scored], dtype: F },
      { shape: [s.anchors, 4], dtype: F, data: randomAnchors(rand, s.anchors) },
    ],
    dppOutputs(s),
    { customOptions: encodeCustomOptions(dppOptions(s)) },
  );
  return { graph, op, inputs: [randomEncodings(rand, s.anchors, stride), randomScores(rand, s.anchors * scored, s.levels ?? 0)] };
}

const FAST: DppSpec[] = [
  { anchors: 1, classes: 1, background: false, maxDetections: 1, regular: false },
  { anchors: 8, classes: 3, background: true, maxDetections: 4, regular: false },
  { anchors: 16, classes: 5, background: true, maxDetections: 10, regular: false, levels: 4 },
  { anchors: 30, classes: 2, background: false, maxDetections: 10, regular: false, levels: 3, iou: 0.3 },
  { anchors: 40, classes: 4, background: true, maxDetections: 3, regular: false, score: 0.1 },
  { anchors: 64, classes: 6, background: true, maxDetections: 20, regular: false, levels: 5, score: 0, iou: 0.6 },
  { anchors: 50, classes: 3, background: true, maxDetections: 5, perDetection: 2, rows: 20, regular: false, levels: 4 },
  { anchors: 12, classes: 4, background: false, maxDetections: 3, perDetection: 3, rows: 27, regular: false },
  { anchors: 25, classes: 3, background: true, maxDetections: 8, regular: false, stride: 6, score: 0.45, iou: 1 },
  { anchors: 90, classes: 2, background: true, maxDetections: 100, regular: false, levels: 2, score: 0.2, scales: [8, 12, 3.7, 6] },
  { anchors: 20, classes: 7, background: true, maxDetections: 6, regular: false, score: 0.9 },
  { anchors: 33, classes: 1, background: true, maxDetections: 0, rows: 1, regular: false },
];

const REGULAR: DppSpec[] = [
  { anchors: 1, classes: 1, background: false, maxDetections: 1, regular: true },
  { anchors: 8, classes: 3, background: true, maxDetections: 4, regular: true },
  { anchors: 16, classes: 5, background: true, maxDetections: 10, regular: true, levels: 4, perClass: 3 },
  { anchors: 30, classes: 2, background: false, maxDetections: 10, regular: true, levels: 3, iou: 0.3 },
  { anchors: 40, classes: 4, background: true, maxDetections: 3, regular: true, score: 0.1, perClass: 1 },
  { anchors: 64, classes: 6, background: true, maxDetections: 20, regular: true, levels: 5, score: 0, iou: 0.6, perClass: 40 },
  { anchors: 25, classes: 3, background: true, maxDetections: 8, regular: true, stride: 6, score: 0.45, iou: 1, rows: 11 },
  { anchors: 90, classes: 2, background: true, maxDetections: 100, regular: true, levels: 2, score: 0.2, scales: [8, 12, 3.7, 6] },
  { anchors: 20, classes: 7, background: true, maxDetections: 6, regular: true, score: 0.9 },
  { anchors: 45, classes: 3, background: false, maxDetections: 25, regular: true, levels: 3, perClass: 30, score: 0.05 },
];

const fastCases = FAST.map((s, k) => dppCase(k, s));
const regularCases = REGULAR.map((s, k) => dppCase(100 + k, s));

/**
 * Fast NMS: TFLite Micro writes detection k's classes at rows categories * (categories * i + c) + c
 * (its box_offset; the rows between stay as they were, which tinyforge zeroes); the written rows and
 * num_detections must agree byte for byte.
 */
function expectFastAgrees(cases: Omit<CCase, 'def'>[]): void {
  cases.forEach((c, k) => {
    const p = detectionPostProcess.prepare(c.graph, c.op);
    const ours = outputsOf(c);
    const theirs = tflmOutputs(
      c.graph,
      c.inputs.map((b) => new Uint8Array(toBytes(b))),
    ).map((b) => new Float32Array(b.slice().buffer));
    const count = ours[3]![0]!;
    expect(theirs[3]![0], `case ${k} num_detections`).to.equal(count);
    for (let obi = 0; obi < count; obi++) {
      const row = p.categories * obi + (obi % p.categories);
      const label = `case ${k} detection ${obi} (row ${row})`;
      expect(bitsOf(theirs[0]!.subarray(4 * row, 4 * row + 4)), `${label} box`).to.deep.equal(bitsOf(ours[0]!.subarray(4 * row, 4 * row + 4)));
      expect(bitsOf(theirs[1]!.subarray(row, row + 1)), `${label} class`).to.deep.equal(bitsOf(ours[1]!.subarray(row, row + 1)));
      expect(bitsOf(theirs[2]!.subarray(row, row + 1)), `${label} score`).to.deep.equal(bitsOf(ours[2]!.subarray(row, row + 1)));
    }
  });
}

function bitsOf(v: Float32Array): number[] {
  return Array.from(new Uint32Array(v.slice().buffer));
}

function outputsOf(c: Omit<CCase, 'def'>): Float32Array[] {
  return evaluateOp(detectionPostProcess, c.graph, c.op, c.inputs) as Float32Array[];
}

function handGraph(regular: boolean): { graph: Graph; op: Op } {
  // three anchors: 0 and 1 the same box, 2 far off; encodings all zero decode to the anchors themselves
  const anchors = Float32Array.from([0.5, 0.5, 0.2, 0.2, 0.5, 0.5, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]);
  return singleOpGraph(
    DPP_KIND,
    [
      { shape: [1, 3, 4], dtype: F },
      { shape: [1, 3, 3], dtype: F },
      { shape: [3, 4], dtype: F, data: anchors },
    ],
    dppOutputs({ anchors: 3, classes: 2, background: true, maxDetections: 3, regular }),
    { customOptions: encodeCustomOptions(dppOptions({ anchors: 3, classes: 2, background: true, maxDetections: 3, regular })) },
  );
}

describe('TFLite_Detection_PostProcess', () => {
  it('decodes anchors and suppresses the overlapping box (hand-checked, fast NMS)', () => {
    const { graph, op } = handGraph(false);
    // scores (background, class 0, class 1): anchor 0 best class 1 (0.8), anchor 1 class 0 (0.9), anchor 2 class 1 (0.4)
    const scores = Float32Array.from([0, 0.6, 0.8, 0, 0.9, 0.1, 0, 0.2, 0.4]);
    const [boxes, classes, sc, num] = evaluateOp(detectionPostProcess, graph, op, [new Float32Array(12), scores]) as Float32Array[];
    // anchor 1 (0.9) first; anchor 0 is the same box (IoU 1 > 0.5): dropped; anchor 2 (0.4 >= 0.3) kept
    // box of anchor 1: y 0.5 -+ 0.5 * exp(0) * 0.2 = 0.4 .. 0.6 (rounded once from double to float32)
    expect(Array.from(num!)).to.deep.equal([2]);
    expect(Array.from(sc!)).to.deep.equal([Math.fround(0.9), Math.fround(0.4), 0]);
    expect(Array.from(classes!)).to.deep.equal([0, 1, 0]);
    expect(Array.from(boxes!.subarray(0, 4))).to.deep.equal(
      [0.4, 0.4, 0.6, 0.6].map((v, i) => Math.fround(Math.fround(0.5) + (i < 2 ? -1 : 1) * Math.fround(0.5 * Math.fround(0.2)))),
    );
    expect(Array.from(boxes!.subarray(8))).to.deep.equal([0, 0, 0, 0]);
  });

  it('keeps the best box of each class, then the best over classes (hand-checked, regular NMS)', () => {
    const { graph, op } = handGraph(true);
    const scores = Float32Array.from([0, 0.6, 0.8, 0, 0.9, 0.1, 0, 0.2, 0.4]);
    const [, classes, sc, num] = evaluateOp(detectionPostProcess, graph, op, [new Float32Array(12), scores]) as Float32Array[];
    // class 0: anchor 1 (0.9) suppresses anchor 0 (0.6); anchor 2 (0.2) under 0.3. class 1: anchor 0 (0.8), anchor 2 (0.4)
    expect(Array.from(num!)).to.deep.equal([3]);
    expect(Array.from(sc!)).to.deep.equal([0.9, 0.8, 0.4].map(Math.fround));
    expect(Array.from(classes!)).to.deep.equal([0, 1, 1]);
  });

  it('orders tied scores by position, as both TFLite Micro sorts do', () => {
    const { graph, op } = handGraph(false);
    // every anchor's best score 0.5: anchor 0 first, anchor 1 (same box) suppressed, anchor 2 next
    const scores = Float32Array.from([0, 0.5, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5]);
    const [, classes, , num] = evaluateOp(detectionPostProcess, graph, op, [new Float32Array(12), scores]) as Float32Array[];
    expect(Array.from(num!)).to.deep.equal([2]);
    expect(Array.from(classes!)).to.deep.equal([0, 0, 0]);
  });

  it('refuses what TFLite Micro refuses or would write past its outputs', () => {
    const bad = (s: DppSpec, options: object, what: RegExp, dtype: 'float32' | 'int8' = F) => {
      const { graph, op } = singleOpGraph(
        DPP_KIND,
        [
          { shape: [1, s.anchors, 4], dtype: F },
          { shape: [1, s.anchors, s.classes + 1], dtype, ...(dtype === 'int8' ? { scale: 0.01, zeroPoint: 0 } : {}) },
          { shape: [s.anchors, 4], dtype: F, data: randomAnchors(rng(1), s.anchors) },
        ],
        dppOutputs(s),
        { customOptions: encodeCustomOptions({ ...dppOptions(s), ...options }) },
      );
      expect(() => detectionPostProcess.check(graph, op)).to.throw(what);
    };
    const s: DppSpec = { anchors: 4, classes: 2, background: true, maxDetections: 2, regular: false };
    bad(s, {}, /takes float32/, 'int8');
    bad(s, { nms_iou_threshold: 0 }, /nms_iou_threshold/);
    bad(s, { num_classes: 4 }, /background/);
    bad(s, { max_classes_per_detection: 2 }, /past their end/);
    bad(s, { max_classes_per_detection: 0 }, /max_classes_per_detection/);
    bad({ ...s, regular: true }, { detections_per_class: 0 }, /detections_per_class/);
    bad(s, { y_scale: 0 }, /y_scale/);
  });

  it('fast NMS: equals TFLite Micro on 12 cases', () => {
    expectFastAgrees(fastCases);
    // the sweeps find detections (and cases with none)
    expect(fastCases.map((c) => outputsOf(c)[3]![0]).filter((n) => n! > 1).length).to.be.at.least(6);
  });

  it('fast NMS: its C equals the reference (host, ASan+UBSan)', () => {
    expectCMatchesReference(fastCases.map((c) => ({ ...c, def: detectionPostProcess })));
  });

  it('regular NMS: equals TFLite Micro on 10 cases', () => {
    expectTflmAgrees(detectionPostProcess, regularCases);
    expect(regularCases.map((c) => outputsOf(c)[3]![0]).filter((n) => n! > 1).length).to.be.at.least(6);
  });

  it('regular NMS: its C equals the reference (host, ASan+UBSan)', () => {
    expectCMatchesReference(regularCases.map((c) => ({ ...c, def: detectionPostProcess })));
  });
});
