// SPDX-License-Identifier: Apache-2.0
/**
 * The graph passes, run by compileGraph before ops are prepared. Each is a pure function
 * Graph → Graph (or a check that throws a TinyforgeError naming the op at fault):
 *
 * 0. validateGraph: indices, outputs, shapes and sizes, quantization parameters (passes/validate.ts).
 * 1. rejectDynamicShapes: -1 sizes in a shape (a shape_signature's -1 runs at the converted size, as in TFLite Micro).
 * 2. foldConstants: ops whose inputs are all constant run now (SHAPE included: shapes are static).
 * 3. dropReshapeShapeInputs, dropTransposeConvShapeInputs + removeDeadOps: RESHAPE and
 *    TRANSPOSE_CONV take their shape from their output tensor, so the shape arithmetic feeding them
 *    goes, with any op nobody reads.
 * 4. foldTransposes: TRANSPOSE → TRANSPOSE composes; TRANSPOSE → PAD reads through the permutation.
 * 5. aliasNoOps: data movement that moves nothing becomes a RESHAPE (an alias: no bytes, no code).
 *    foldPadIntoConv: PAD → VALID convolution becomes the SAME convolution where they are the same
 *    layer (fold_pad_into_conv.ts), and the PAD goes.
 * 6. removeDeadNeurons: a FULLY_CONNECTED output the next FULLY_CONNECTED never reads (its weight
 *    column all zeros: pruned models) goes, with the row computing it (dead_neurons.ts).
 * 7. rejectFloatOps: float32 ops without a float kernel (in float and hybrid models alike); copyConstantOutputs: an output no op computes
 *    (a constant) gets a RESHAPE that copies it from flash (constant_outputs.ts); rejectConstantOutputs:
 *    constants of no element an op reads.
 * 8. materializeOpState: the state an op keeps of its own (signal ops) becomes variable tensors.
 *
 * Tensor indices and op indices (`op.index`, used in messages) are kept, so errors and the memory
 * plan still name the file's tensors and ops.
 */
import type { Graph } from '../ir/graph.ts';
import { aliasNoOps } from './alias_noops.ts';
import { copyConstantOutputs } from './constant_outputs.ts';
import { foldConstants } from './fold_constants.ts';
import { foldTransposes } from './fold_transposes.ts';
import { foldPadIntoConv } from './fold_pad_into_conv.ts';
import { removeDeadNeurons } from './dead_neurons.ts';
import { materializeOpState } from './op_state.ts';
import { dropReshapeShapeInputs, dropTransposeConvShapeInputs, removeDeadOps } from './prune.ts';
import { rejectConstantOutputs, rejectDynamicShapes, rejectFloatOps, validateGraph } from './validate.ts';

export {
  aliasNoOps,
  copyConstantOutputs,
  materializeOpState,
  removeDeadNeurons,
  foldConstants,
  foldTransposes,
  foldPadIntoConv,
  dropReshapeShapeInputs,
  dropTransposeConvShapeInputs,
  removeDeadOps,
  rejectDynamicShapes,
  rejectFloatOps,
  validateGraph,
};

export interface PassOptions {
  /** remove the neurons no output depends on (dead_neurons.ts); default true, false to measure what the pass saves */
  deadNeurons?: boolean;
}

export function optimizeGraph(graph: Graph, source = graph.name, options: PassOptions = {}): Graph {
  validateGraph(graph, source);
  rejectDynamicShapes(graph, source);
  let g = foldConstants(graph);
  g = removeDeadOps(dropTransposeConvShapeInputs(dropReshapeShapeInputs(g)));
  g = foldTransposes(g);
  g = aliasNoOps(g);
  g = removeDeadOps(foldPadIntoConv(g));
  if (options.deadNeurons !== false) g = removeDeadNeurons(g);
  rejectFloatOps(g, source);
  g = copyConstantOutputs(g);
  rejectConstantOutputs(g, source);
  return materializeOpState(g);
}
