/* SPDX-License-Identifier: Apache-2.0 */
/* TFLite_Detection_PostProcess (TFLite Micro's detection_postprocess.cc) on float32: SSD box decoding
 * against the anchors, then non-max suppression, fast (one NMS over each anchor's best class) or
 * regular (one NMS per class, the best max_detections kept across classes).
 *
 * Every float operation is TFLite Micro's, in its order: the decoding in double (`exp` of the C
 * library), rounded to float32 once per value; the IoU in float32. Both of its sorts order by score,
 * decreasing, and equal scores by position, increasing: std::partial_sort's comparator says so, and
 * its merge sort (insertion sort below 20 values, top-down merges that take the left value on ties)
 * is stable over positions that start in order. The sorts here keep that order. Scratch comes from
 * the arena; the layer hands each buffer in. */
#ifndef TF_DETECTION_POSTPROCESS_H
#define TF_DETECTION_POSTPROCESS_H
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  int num_boxes;            /* anchors (the box encodings' dim 1) */
  int enc_stride;           /* floats per box encoding (dim 2, 4 or more: y, x, h, w first) */
  int num_classes;          /* the option num_classes */
  int classes_with_bg;      /* the class predictions' dim 2 */
  int label_offset;         /* classes_with_bg - num_classes: 1 when a background class leads */
  int max_detections;       /* the option max_detections */
  int categories;           /* fast NMS: min(max_classes_per_detection, num_classes) */
  int detections_per_class; /* regular NMS: the option detections_per_class */
  int regular;              /* the option use_regular_nms */
  int out_rows;             /* detections the outputs hold (their dim 1) */
  float score_threshold;    /* nms_score_threshold */
  float iou_threshold;      /* nms_iou_threshold, in (0, 1] */
  float y_scale, x_scale, h_scale, w_scale;
} tf_dpp_params;

typedef struct {
  float *decoded;       /* num_boxes x (ymin, xmin, ymax, xmax) */
  float *box_scores;    /* num_boxes: the class's scores (regular), each anchor's best (fast) */
  float *keep_scores;   /* num_boxes */
  int *keep_indices;    /* num_boxes; the merge sort's scratch too */
  int *sorted;          /* max(num_boxes, merged) */
  uint8_t *active;      /* num_boxes */
  int *selected;        /* min(num_boxes, max_detections or detections_per_class) */
  int *class_indices;   /* fast: num_boxes x categories */
  int *merged_indices;  /* regular: max_detections + min(num_boxes, detections_per_class) */
  float *merged_scores; /* regular: the same count */
  float *sorted_values; /* regular: max_detections */
} tf_dpp_scratch;

/* the comparator of both sorts: a before b when its score is higher, or equal and its position lower */
static inline int tf_dpp_before(const float *values, int a, int b) { return values[a] > values[b] || (!(values[b] > values[a]) && a < b); }

/* TFLite Micro's InsertionSort: each value moved before the first one it is "before" */
static inline void tf_dpp_insertion_sort(const float *values, int *idx, int n) {
  int i, j;
  for (i = 1; i < n; ++i) {
    const int v = idx[i];
    for (j = i; j > 0 && values[v] > values[idx[j - 1]]; --j) idx[j] = idx[j - 1];
    idx[j] = v;
  }
}

/* TFLite Micro's MergeSort with `values[i] > values[j]`: stable, decreasing */
static inline void tf_dpp_merge_sort(const float *values, int *idx, int *scratch, int n) {
  int half, left, right, i;
  if (n < 20) {
    tf_dpp_insertion_sort(values, idx, n);
    return;
  }
  half = n / 2;
  tf_dpp_merge_sort(values, idx, scratch, half);
  tf_dpp_merge_sort(values, idx + half, scratch, n - half);
  left = 0;
  right = half;
  for (i = 0; i < n; ++i) {
    if (left >= half || (right < n && values[idx[right]] > values[idx[left]]))
      scratch[i] = idx[right++];
    else
      scratch[i] = idx[left++];
  }
  memcpy(idx, scratch, (size_t)n * sizeof(int));
}

/* DecreasingPartialArgSort: the first `k` of positions 0..n-1 in the comparator's order */
static inline void tf_dpp_partial_arg_sort(const float *values, int n, int k, int *idx) {
  int i, j;
  for (i = 0; i < n; ++i) idx[i] = i;
  for (i = 0; i < k; ++i) {
    int best = i, t;
    for (j = i + 1; j < n; ++j)
      if (tf_dpp_before(values, idx[j], idx[best])) best = j;
    t = idx[i];
    idx[i] = idx[best];
    idx[best] = t;
  }
}

/* ComputeIntersectionOverUnion, its float32 operations in its order */
static inline float tf_dpp_iou(const float *boxes, int i, int j) {
  const float *bi = boxes + 4 * i, *bj = boxes + 4 * j;
  const float area_i = (bi[2] - bi[0]) * (bi[3] - bi[1]);
  const float area_j = (bj[2] - bj[0]) * (bj[3] - bj[1]);
  float ymin, xmin, ymax, xmax, h, w, inter;
  if (area_i <= 0 || area_j <= 0) return 0.0f;
  ymin = bi[0] < bj[0] ? bj[0] : bi[0]; /* std::max<float> */
  xmin = bi[1] < bj[1] ? bj[1] : bi[1];
  ymax = bj[2] < bi[2] ? bj[2] : bi[2]; /* std::min<float> */
  xmax = bj[3] < bi[3] ? bj[3] : bi[3];
  h = ymax - ymin;
  w = xmax - xmin;
  inter = (h < 0.0f ? 0.0f : h) * (w < 0.0f ? 0.0f : w);
  return inter / (area_i + area_j - inter);
}

/* NonMaxSuppressionSingleClassHelper: anchors of `scores` kept greedily, best first; returns how many */
static inline int tf_dpp_nms_single(const tf_dpp_params *p, const tf_dpp_scratch *s, const float *scores, int max_detections) {
  const int n = p->num_boxes;
  int kept = 0, i, j, output_size, active_left, selected = 0;
  for (i = 0; i < n; ++i) {
    if (scores[i] >= p->score_threshold) {
      s->keep_scores[kept] = scores[i];
      s->keep_indices[kept] = i;
      ++kept;
    }
  }
  for (i = 0; i < kept; ++i) s->sorted[i] = i;
  tf_dpp_merge_sort(s->keep_scores, s->sorted, s->keep_indices, kept);
  kept = 0;
  for (i = 0; i < n; ++i)
    if (scores[i] >= p->score_threshold) s->keep_indices[kept++] = i;
  output_size = kept < max_detections ? kept : max_detections;
  active_left = kept;
  for (i = 0; i < kept; ++i) s->active[i] = 1;
  for (i = 0; i < kept; ++i) {
    int box_i;
    if (active_left == 0 || selected >= output_size) break;
    if (!s->active[i]) continue;
    box_i = s->keep_indices[s->sorted[i]];
    s->selected[selected++] = box_i;
    s->active[i] = 0;
    --active_left;
    for (j = i + 1; j < kept; ++j) {
      if (s->active[j] && tf_dpp_iou(s->decoded, box_i, s->keep_indices[s->sorted[j]]) > p->iou_threshold) {
        s->active[j] = 0;
        --active_left;
      }
    }
  }
  return selected;
}

/* DecodeCenterSizeBoxes, then ValidateBoxes: 0 when a box has ymin >= ymax or xmin >= xmax */
static inline int tf_dpp_decode(const tf_dpp_params *p, const float *enc, const float *anchors, float *decoded) {
  int i;
  for (i = 0; i < p->num_boxes; ++i) {
    const float *e = enc + i * p->enc_stride, *a = anchors + 4 * i;
    const float yc = (float)((double)e[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
    const float xc = (float)((double)e[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
    const float hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
    const float hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
    float *b = decoded + 4 * i;
    b[0] = yc - hh;
    b[1] = xc - hw;
    b[2] = yc + hh;
    b[3] = xc + hw;
  }
  for (i = 0; i < p->num_boxes; ++i) {
    const float *b = decoded + 4 * i;
    if (b[0] >= b[2] || b[1] >= b[3]) return 0;
  }
  return 1;
}

/* the whole op; every output entry not written as a detection is zero (num_detections too when a
 * decoded box is empty, where TFLite Micro's Invoke fails) */
static inline void tf_dpp_run(const tf_dpp_params *p, const tf_dpp_scratch *s, const float *enc, const float *scores, const float *anchors,
                              float *boxes, float *classes, float *out_scores, float *num) {
  const int n = p->num_boxes, cb = p->classes_with_bg, lo = p->label_offset;
  int count = 0, i, col;
  memset(boxes, 0, (size_t)p->out_rows * 4 * sizeof(float));
  memset(classes, 0, (size_t)p->out_rows * sizeof(float));
  memset(out_scores, 0, (size_t)p->out_rows * sizeof(float));
  num[0] = 0.0f;
  if (!tf_dpp_decode(p, enc, anchors, s->decoded)) return;
  if (p->regular) {
    int size = 0;
    for (col = 0; col < p->num_classes; ++col) {
      int selected, out, k, row;
      for (row = 0; row < n; ++row) s->box_scores[row] = scores[row * cb + col + lo];
      selected = tf_dpp_nms_single(p, s, s->box_scores, p->detections_per_class);
      out = size;
      for (i = 0; i < selected; ++i) {
        s->merged_indices[out] = s->selected[i] * cb + col + lo;
        s->merged_scores[out] = s->box_scores[s->selected[i]];
        ++out;
      }
      k = out < p->max_detections ? out : p->max_detections;
      tf_dpp_partial_arg_sort(s->merged_scores, out, k, s->sorted);
      for (row = 0; row < k; ++row) {
        const int t = s->sorted[row];
        s->sorted[row] = s->merged_indices[t];
        s->sorted_values[row] = s->merged_scores[t];
      }
      for (row = 0; row < k; ++row) {
        s->merged_indices[row] = s->sorted[row];
        s->merged_scores[row] = s->sorted_values[row];
      }
      size = k;
    }
    for (i = 0; i < size; ++i) {
      const int anchor = s->merged_indices[i] / cb;
      memcpy(boxes + 4 * i, s->decoded + 4 * anchor, 4 * sizeof(float));
      classes[i] = (float)(s->merged_indices[i] - anchor * cb - lo);
      out_scores[i] = s->merged_scores[i];
    }
    count = size;
  } else {
    const int cats = p->categories;
    int selected;
    for (i = 0; i < n; ++i) {
      const float *row_scores = scores + i * cb + lo;
      int *top = s->class_indices + i * cats;
      int c, j;
      /* DecreasingPartialArgSort's first `cats` classes, by selection */
      for (c = 0; c < cats; ++c) {
        int best = -1;
        for (j = 0; j < p->num_classes; ++j) {
          int taken = 0, t;
          for (t = 0; t < c; ++t) taken |= top[t] == j;
          if (!taken && (best < 0 || tf_dpp_before(row_scores, j, best))) best = j;
        }
        top[c] = best;
      }
      s->box_scores[i] = row_scores[top[0]];
    }
    selected = tf_dpp_nms_single(p, s, s->box_scores, p->max_detections);
    for (i = 0; i < selected; ++i) {
      const int anchor = s->selected[i];
      const float *row_scores = scores + anchor * cb + lo;
      for (col = 0; col < cats; ++col) {
        const int at = cats * count + col; /* TFLite Micro's box_offset */
        memcpy(boxes + 4 * at, s->decoded + 4 * anchor, 4 * sizeof(float));
        classes[at] = (float)s->class_indices[anchor * cats + col];
        out_scores[at] = row_scores[s->class_indices[anchor * cats + col]];
        ++count;
      }
    }
  }
  num[0] = (float)count;
}

#endif
