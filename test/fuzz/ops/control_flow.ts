// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the ops that call subgraphs (IF, WHILE) and for TFLite_Detection_PostProcess, in
 * both float forms: `float32` (a float model) and `hybrid` (int8 -> DEQUANTIZE -> ops -> QUANTIZE).
 *
 * - IF: a run-time condition (a bool model input, or a comparison of a float input with a constant)
 *   picks one of two branch subgraphs drawn from a menu of float ops (binary and unary elementwise,
 *   constants inside the branch, a branch that returns an input untouched), one to two outputs.
 * - WHILE: a loop whose trip count depends on an input: a float v halved each step while it is
 *   above a threshold (0 to 8 steps), an int32 step counter, a float accumulator updated by a drawn
 *   op with a constant or a loop-invariant input (passed through the body unchanged).
 * - TFLite_Detection_PostProcess: anchors, classes with or without a background class, fast or
 *   regular NMS, thresholds and scales drawn; its outputs stay float in both forms (the op is a
 *   model's last). Under fast NMS TFLite Micro writes only the first num_detections rows: the rows
 *   past them are compared as zeros (a counted ValidFlag).
 */
import { encodeCustomOptions } from '../../../src/core/model/tflite/custom_options.ts';
import type { Graph } from '../../../src/core/ir/graph.ts';
import { GraphBuilder } from '../../helpers/graph_builder.ts';
import { DPP_KIND, type DppSpec, dppOptions, dppOutputs, randomAnchors } from '../../helpers/detection_postprocess_cases.ts';
import { type Rand, chance, count, int, pick } from '../draw.ts';
import { floatInput, floatOutput } from './float_math.ts';
import type { ComponentFacts, FuzzContext, FuzzGenerator } from './types.ts';

const F = 'float32' as const;
const B = 'bool' as const;
const SHAPES = [[1], [5], [2, 3], [1, 4, 4, 3], [2, 1, 7], [3, 17]];
const BINARY = ['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM'] as const;
const UNARY = ['NEG', 'ABS', 'RELU', 'RELU6', 'FLOOR'] as const;

const floats = (rand: Rand, n: number, range: number) => Float32Array.from({ length: n }, () => Math.fround((2 * rand() - 1) * range));

/** One float op of `b` on `x` (and `y`, or a constant drawn here): the body of a branch or a loop. */
function drawnOp(b: GraphBuilder, rand: Rand, x: number, y: number | undefined, shape: number[]): number {
  if (chance(rand, 0.3)) return b.op(pick(rand, UNARY), [x], [{ shape, dtype: F }])[0]!;
  const kind = pick(rand, BINARY);
  let other = y;
  if (other === undefined || chance(rand, 0.4)) {
    const constShape = chance(rand, 0.5) ? [1] : shape;
    other = b.constant({ shape: constShape, dtype: F }, floats(rand, count(constShape), kind === 'MUL' ? 2 : 10));
  }
  const attrs = kind === 'ADD' || kind === 'SUB' || kind === 'MUL' ? { activation: pick(rand, ['NONE', 'NONE', 'RELU', 'RELU6']) } : {};
  return b.op(kind, [x, other], [{ shape, dtype: F }], attrs)[0]!;
}

/** A branch of IF: `inputs` float inputs of `shape`, `outputs` outputs, each one to two drawn ops (or an input itself). */
function branch(rand: Rand, name: string, inputs: number, outputs: number, shape: number[]): Graph {
  const b = new GraphBuilder(name);
  const xs = Array.from({ length: inputs }, () => b.input({ shape, dtype: F }));
  for (let k = 0; k < outputs; k++) {
    if (chance(rand, 0.15)) {
      b.output(pick(rand, xs));
      continue;
    }
    let t = drawnOp(b, rand, pick(rand, xs), inputs > 1 ? pick(rand, xs) : undefined, shape);
    if (chance(rand, 0.4)) t = drawnOp(b, rand, t, pick(rand, xs), shape);
    b.output(t);
  }
  return b.build();
}

/** A bool [1] decided at run time: a bool model input, or a float input compared with a constant. */
function condition(b: GraphBuilder, rand: Rand, form: 'float32' | 'hybrid'): number {
  if (chance(rand, 0.3)) return b.input({ shape: [1], dtype: B });
  const s = floatInput(b, rand, form, [1]);
  const limit = b.constant({ shape: [1], dtype: F }, Float32Array.of(Math.fround(pick(rand, [0, 0.25, -1, 5]))));
  return b.op(pick(rand, ['GREATER', 'LESS', 'GREATER_EQUAL']), [s, limit], [{ shape: [1], dtype: B }])[0]!;
}

const ifGenerator: FuzzGenerator = {
  name: 'IF',
  ops: ['IF'],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const form = floatForm ?? 'float32';
    const shape = pick(rand, SHAPES);
    const inputs = int(rand, 1, 3);
    const outputs = int(rand, 1, 2);
    const cond = condition(b, rand, form);
    const xs = Array.from({ length: inputs }, () => floatInput(b, rand, form, shape));
    const thenIndex = b.call(branch(rand, 'then', inputs, outputs, shape));
    const elseIndex = b.call(branch(rand, 'else', inputs, outputs, shape));
    const ys = b.op(
      'IF',
      [cond, ...xs],
      Array.from({ length: outputs }, () => ({ shape, dtype: F })),
      { thenSubgraphIndex: thenIndex, elseSubgraphIndex: elseIndex },
    );
    for (const y of ys) floatOutput(b, rand, form, y, shape, 200);
  },
};

const whileGenerator: FuzzGenerator = {
  name: 'WHILE',
  ops: ['WHILE'],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext) {
    const form = floatForm ?? 'float32';
    const shape = pick(rand, SHAPES);
    const threshold = Math.fround(pick(rand, [0.5, 1, 3]));
    const invariant = chance(rand, 0.5);
    // loop state: v (halved while above the threshold), the step count, the accumulator, and x (unchanged)
    const specs = [{ shape: [1], dtype: F }, { shape: [1], dtype: 'int32' as const }, { shape, dtype: F }, ...(invariant ? [{ shape, dtype: F }] : [])];

    const cond = new GraphBuilder('cond');
    const [cv] = specs.map((s) => cond.input(s));
    const limit = cond.constant({ shape: [1], dtype: F }, Float32Array.of(threshold));
    cond.output(cond.op('GREATER', [cv!, limit], [{ shape: [1], dtype: B }])[0]!);

    const body = new GraphBuilder('body');
    const [v, i, acc, x] = specs.map((s) => body.input(s));
    const half = body.constant({ shape: [1], dtype: F }, Float32Array.of(0.5));
    const one = body.constant({ shape: [1], dtype: 'int32' }, Int32Array.of(1));
    const [nextV] = body.op('MUL', [v!, half], [{ shape: [1], dtype: F }], { activation: 'NONE' });
    const [nextI] = body.op('ADD', [i!, one], [{ shape: [1], dtype: 'int32' }], { activation: 'NONE' });
    const nextAcc = drawnOp(body, rand, acc!, x, shape);
    body.output(nextV!, nextI!, nextAcc, ...(x !== undefined ? [x] : []));

    const v0 = floatInput(b, rand, form, [1]);
    const i0 = b.constant({ shape: [1], dtype: 'int32' }, Int32Array.of(int(rand, -3, 3)));
    const acc0 = floatInput(b, rand, form, shape);
    const x0 = invariant ? [floatInput(b, rand, form, shape)] : [];
    const condIndex = b.call(cond.build());
    const bodyIndex = b.call(body.build());
    const outs = b.op('WHILE', [v0, i0, acc0, ...x0], specs, { condSubgraphIndex: condIndex, bodySubgraphIndex: bodyIndex });
    b.output(outs[1]!);
    floatOutput(b, rand, form, outs[2]!, shape, 400);
    if (chance(rand, 0.5)) floatOutput(b, rand, form, outs[0]!, [1], 4);
  },
};

const detectionPostProcess: FuzzGenerator = {
  name: 'TFLite_Detection_PostProcess',
  ops: [DPP_KIND],
  dtypes: ['float32', 'hybrid'],
  generate({ b, rand, floatForm }: FuzzContext): ComponentFacts {
    const form = floatForm ?? 'float32';
    const anchors = pick(rand, [1, 3, 8, 20, 45, 90]);
    const regular = chance(rand, 0.5);
    const spec: DppSpec = {
      anchors,
      classes: int(rand, 1, 6),
      background: chance(rand, 0.7),
      maxDetections: chance(rand, 0.1) ? 0 : int(rand, 1, Math.min(anchors, 12)),
      regular,
      perClass: int(rand, 1, 20),
      score: pick(rand, [0, 0.1, 0.3, 0.55]),
      iou: pick(rand, [0.3, 0.45, 0.6, 1]),
      stride: chance(rand, 0.8) ? 4 : 6,
      scales: chance(rand, 0.5) ? [10, 10, 5, 5] : [8, 12, 3.7, 6],
    };
    // no detections asked for: one row TFLite Micro leaves unwritten (a zero-sized output is no model's)
    if (spec.maxDetections === 0) spec.rows = 1;
    const scored = spec.classes + (spec.background ? 1 : 0);
    const encodings = floatInput(b, rand, form, [1, anchors, spec.stride!]);
    const scores = floatInput(b, rand, form, [1, anchors, scored]);
    const anchorBoxes = b.constant({ shape: [anchors, 4], dtype: F }, randomAnchors(rand, anchors));
    const outs = b.op(DPP_KIND, [encodings, scores, anchorBoxes], dppOutputs(spec), { customOptions: encodeCustomOptions(dppOptions(spec)) });
    b.output(...outs);
    // fast NMS writes rows 0 .. num_detections - 1 (regular NMS writes zeros past them itself)
    return {
      validFlags: [
        { data: 0, flag: 3, frameBytes: 16, counted: true },
        { data: 1, flag: 3, frameBytes: 4, counted: true },
        { data: 2, flag: 3, frameBytes: 4, counted: true },
      ],
    };
  },
};

export const generators: FuzzGenerator[] = [ifGenerator, whileGenerator, detectionPostProcess];
