// SPDX-License-Identifier: Apache-2.0
/**
 * The model's facts a layer's kernel choice reads (op.ts GraphFacts), computed once per graph by
 * prepareGraph from the graph as the model gives it: the same for every compile of the model, and
 * not re-read from the graph a later pass rewrites (the row-band stage folds layers into one op).
 */
import type { Graph } from '../ir/graph.ts';
import type { GraphFacts } from './op.ts';
import { pointwisePairsShape } from './common/isa/dsp_conv/choice.ts';

export function graphFacts(graph: Graph): GraphFacts {
  return { pointwisePairs: pointwisePairsShape(graph) };
}
