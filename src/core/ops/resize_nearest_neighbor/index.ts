// SPDX-License-Identifier: Apache-2.0
import { DTYPE_C } from '../../ir/graph.ts';
import type { OpDef } from '../op.ts';
import { nearestIndex } from '../../ir/tflite_geometry.ts';
import { type ResizeGeometry, resizeGeometry } from '../common/families/resize.ts';

export interface ResizeNearestParams extends ResizeGeometry {
  dtype: string;
  ctype: string;
  /** input row of each output row */
  rows: number[];
  /** input column of each output column */
  cols: number[];
}

// the index arithmetic is shared with the ONNX importer (ir/tflite_geometry.ts)
export { nearestIndex };

/**
 * RESIZE_NEAREST_NEIGHBOR (TFLite Micro's reference): every output pixel copies the nearest input
 * pixel's channels. The index arithmetic (float in TFLite Micro) runs here at compile time; the C
 * only copies, through two small const tables, and repeats the previous output row when two output
 * rows read the same input row (upscaling).
 */
const resizeNearestNeighbor: OpDef<ResizeNearestParams> = {
  kind: 'RESIZE_NEAREST_NEIGHBOR',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    resizeGeometry(graph, op);
  },

  prepare(graph, op) {
    const g = resizeGeometry(graph, op);
    const dtype = graph.tensors[op.inputs[0]!]!.dtype;
    return {
      ...g,
      dtype,
      ctype: DTYPE_C[dtype],
      rows: Array.from({ length: g.outH }, (_, y) => nearestIndex(y, g.inH, g.outH, g.alignCorners, g.halfPixelCenters)),
      cols: Array.from({ length: g.outW }, (_, x) => nearestIndex(x, g.inW, g.outW, g.alignCorners, g.halfPixelCenters)),
    };
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    const input = inputs[0]! as unknown as unknown[];
    const output = outputs[0]! as unknown as unknown[];
    let o = 0;
    for (let b = 0; b < p.batches; b++) {
      for (let y = 0; y < p.outH; y++) {
        for (let x = 0; x < p.outW; x++) {
          const at = ((b * p.inH + p.rows[y]!) * p.inW + p.cols[x]!) * p.depth;
          for (let c = 0; c < p.depth; c++) output[o++] = input[at + c];
        }
      }
    }
  },

  emitC(p, ctx) {
    return ctx.render('resize_nearest_neighbor.c.hbs', {
      ...p,
      fnName: ctx.fnName,
      input: ctx.input(0),
      output: ctx.output(0),
      rowTable: ctx.addConst(
        'rows',
        'int32_t',
        p.rows.map((r) => r * p.inW * p.depth),
      ),
      colTable: ctx.addConst(
        'cols',
        'int32_t',
        p.cols.map((c) => c * p.depth),
      ),
      imageElements: p.inH * p.inW * p.depth,
      rowElements: p.outW * p.depth,
      mode: p.alignCorners ? 'align_corners' : p.halfPixelCenters ? 'half_pixel_centers' : 'asymmetric',
    });
  },
};

export default resizeNearestNeighbor;
