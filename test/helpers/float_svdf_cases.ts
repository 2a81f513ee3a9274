// SPDX-License-Identifier: Apache-2.0
/** Float32 SVDF layers for svdf_float.test.ts. */
import type { Graph, Op } from '../../src/core/ir/graph.ts';
import { rng, singleOpGraph } from './op_harness.ts';

export interface FloatSvdfSpec {
  batches: number;
  inputSize: number;
  filters: number;
  rank: number;
  memory: number;
  activation?: string;
  /** no bias tensor */
  noBias?: boolean;
  weightsFeature?: number[];
  weightsTime?: number[];
  bias?: number[];
  seed?: number;
}

/** A one-op float32 SVDF; weights and bias uniform in [-1, 1) unless given; the state a variable tensor. */
export function floatSvdfGraph(s: FloatSvdfSpec): { graph: Graph; op: Op } {
  const rand = rng(s.seed ?? 1);
  const units = s.filters / s.rank;
  const values = (given: number[] | undefined, n: number) => Float32Array.from(given ?? Array.from({ length: n }, () => 2 * rand() - 1));
  const f = (shape: number[], data?: Float32Array, name?: string) => ({
    shape,
    dtype: 'float32' as const,
    ...(data ? { data } : {}),
    ...(name ? { name } : {}),
  });
  const { graph, op } = singleOpGraph(
    'SVDF',
    [
      f([s.batches, s.inputSize]),
      f([s.filters, s.inputSize], values(s.weightsFeature, s.filters * s.inputSize)),
      f([s.filters, s.memory], values(s.weightsTime, s.filters * s.memory)),
      s.noBias ? null : f([units], values(s.bias, units)),
      f([s.batches, s.memory * s.filters], undefined, 'activation_state'),
    ],
    [f([s.batches, units])],
    { rank: s.rank, activation: s.activation ?? 'NONE', asymmetricQuantizeInputs: false },
  );
  graph.tensors[op.inputs[4]!]!.isVariable = true;
  graph.inputs = [op.inputs[0]!];
  return { graph, op };
}

/** Units, ranks, memories, batches and every fused activation the float kernel runs. */
export const FLOAT_SVDF_SPECS: FloatSvdfSpec[] = [
  { batches: 1, inputSize: 1, filters: 1, rank: 1, memory: 1, seed: 1 },
  { batches: 1, inputSize: 5, filters: 4, rank: 2, memory: 3, activation: 'RELU', seed: 2 },
  { batches: 2, inputSize: 17, filters: 12, rank: 1, memory: 10, activation: 'RELU6', seed: 3 },
  { batches: 3, inputSize: 8, filters: 6, rank: 3, memory: 4, activation: 'RELU_N1_TO_1', seed: 4 },
  { batches: 2, inputSize: 40, filters: 16, rank: 2, memory: 8, noBias: true, seed: 5 },
  { batches: 1, inputSize: 3, filters: 8, rank: 1, memory: 2, activation: 'RELU', noBias: true, seed: 6 },
];
