// SPDX-License-Identifier: Apache-2.0
/**
 * Random 16x8 layers for the op tests, drawn by the int16 fuzz generators (test/fuzz/ops/int16.ts):
 * each case is a one-component graph (the generator's op, its constants, its model inputs) with
 * random int16 (or int8 / int32 / float32) input values, extremes included.
 */
import type { Graph, Op, Tensor } from '../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { GraphBuilder } from './graph_builder.ts';
import { rng } from './op_harness.ts';
import { generators } from '../fuzz/ops/int16.ts';
import { count } from '../fuzz/draw.ts';

export interface Int16Case {
  graph: Graph;
  op: Op;
  inputs: TensorBuffer[];
}

function randomValues(t: Tensor, rand: () => number): TensorBuffer {
  const n = count(t.shape);
  const extreme = rand() < 0.2;
  const draw = (lo: number, hi: number) => (extreme && rand() < 0.5 ? (rand() < 0.5 ? lo : hi) : lo + Math.floor(rand() * (hi - lo + 1)));
  switch (t.dtype) {
    case 'int8':
      return Int8Array.from({ length: n }, () => draw(-128, 127));
    case 'int16':
      return Int16Array.from({ length: n }, () => draw(-32768, 32767));
    case 'int32':
      return Int32Array.from({ length: n }, () => (rand() < 0.5 ? draw(-2147483648, 2147483647) : draw(-(2 ** 20), 2 ** 20)));
    case 'float32':
      return Float32Array.from({ length: n }, () => (rand() - 0.5) * 20);
    default:
      throw new Error(`int16 cases: no random values for ${t.dtype}`);
  }
}

/** `n` random layers from the generator named `name` (e.g. 'sub-int16'), deterministic from `seed`. */
export function int16Cases(name: string, n: number, seed: number): Int16Case[] {
  const gen = generators.find((g) => g.name === name);
  if (!gen) throw new Error(`no int16 fuzz generator named ${name}`);
  const rand = rng(seed);
  return Array.from({ length: n }, (_, k) => {
    const b = new GraphBuilder(`${name.replace(/-/g, '_')}_${k}`);
    gen.generate({ b, rand, dtype: 'int16' });
    const graph = b.build();
    return { graph, op: graph.ops[0]!, inputs: graph.inputs.map((i) => randomValues(graph.tensors[i]!, rand)) };
  });
}
