// SPDX-License-Identifier: Apache-2.0
/**
 * Generated TFLite_Detection_PostProcess layers for the op's tests: options, anchors, box encodings
 * and class scores (with ties), and the four outputs' shapes.
 */
const F = 'float32' as const;

export const DPP_KIND = 'CUSTOM:TFLite_Detection_PostProcess';

export interface DppSpec {
  anchors: number;
  classes: number;
  background: boolean;
  maxDetections: number;
  perDetection?: number;
  perClass?: number;
  regular: boolean;
  score?: number;
  iou?: number;
  /** floats per box encoding (4 and more) */
  stride?: number;
  /** detections the outputs hold (default: what TFLite's converter writes) */
  rows?: number;
  /** scores drawn from this many levels (ties), 0: any float in [0, 1) */
  levels?: number;
  scales?: [number, number, number, number];
}

/**
 * The options map. Its non-integer numbers are ones float32 cannot hold exactly: the FlexBuffers
 * encoder writes a float32-exact one (0.5) as a 4-byte float in the map's 8-byte slots, which every
 * reader then takes for another double.
 */
export function dppOptions(s: DppSpec) {
  const [y, x, h, w] = s.scales ?? [10, 10, 5, 5];
  return {
    max_detections: s.maxDetections,
    max_classes_per_detection: s.perDetection ?? 1,
    detections_per_class: s.perClass ?? 100,
    use_regular_nms: s.regular,
    nms_score_threshold: s.score ?? 0.3,
    nms_iou_threshold: s.iou ?? 0.45,
    num_classes: s.classes,
    y_scale: y,
    x_scale: x,
    h_scale: h,
    w_scale: w,
  };
}

/** Anchors on a loose grid (y, x, h, w), sizes 0.05..0.45, so neighbours overlap. */
export function randomAnchors(rand: () => number, n: number): Float32Array {
  const a = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    a[4 * i] = Math.fround(rand());
    a[4 * i + 1] = Math.fround(rand());
    a[4 * i + 2] = Math.fround(0.05 + 0.4 * rand());
    a[4 * i + 3] = Math.fround(0.05 + 0.4 * rand());
  }
  return a;
}

export function randomEncodings(rand: () => number, n: number, stride: number): Float32Array {
  const e = new Float32Array(n * stride);
  for (let i = 0; i < e.length; i++) e[i] = Math.fround((rand() - 0.5) * (i % stride < 2 ? 8 : 4));
  return e;
}

export function randomScores(rand: () => number, n: number, levels: number): Float32Array {
  return Float32Array.from({ length: n }, () => (levels > 0 ? Math.floor(rand() * levels) / levels : Math.fround(rand())));
}

export function dppOutputs(s: DppSpec) {
  const rows = s.rows ?? s.maxDetections * (s.regular ? 1 : (s.perDetection ?? 1));
  return [
    { shape: [1, rows, 4], dtype: F },
    { shape: [1, rows], dtype: F },
    { shape: [1, rows], dtype: F },
    { shape: [1], dtype: F },
  ];
}
