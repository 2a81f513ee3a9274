// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for the logical ops: LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT and REDUCE_ALL. Their tensors
 * are bool: a component's bools are model inputs, or come from a comparison of two int8 inputs
 * (in the float forms of float.ts, float32 inputs or int8 -> DEQUANTIZE, compared in float), so
 * the logical op runs beside and after the comparisons. Binary ops broadcast up to rank 4, as
 * TFLite Micro does; REDUCE_ALL reduces over few elements per output (or after a LOGICAL_OR, mostly
 * true) so that true outputs occur.
 */
import { type Rand, CHANNELS, chance, count, int, int8Q, pick, reducedShape } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';
import type { GraphBuilder } from '../../helpers/graph_builder.ts';

const B = 'bool' as const;

/** A shape of rank 1-4, at most `max` elements. */
function shapeOf(rand: Rand, max = 256): number[] {
  const rank = int(rand, 1, 4);
  const s = [...Array.from({ length: rank - 1 }, () => (chance(rand, 0.25) ? 1 : int(rand, 1, 4))), pick(rand, CHANNELS)];
  while (count(s) > max) s[0] = Math.max(1, Math.ceil(s[0]! / 2));
  return s;
}

/** A shape that broadcasts against `out` (leading dimensions dropped, some set to 1). */
function broadcastable(rand: Rand, out: number[]): number[] {
  const rank = int(rand, 1, out.length);
  return out.slice(out.length - rank).map((d) => (chance(rand, 0.3) ? 1 : d));
}

/** A bool tensor of `shape`: a model input, or a comparison of two int8 inputs. */
function bools(b: GraphBuilder, rand: Rand, shape: number[]): number {
  if (chance(rand, 0.5)) return b.input({ shape, dtype: B });
  const kind = pick(rand, ['LESS', 'GREATER_EQUAL', 'NOT_EQUAL', 'GREATER']);
  const qa = int8Q(rand, -4, -0.01);
  const qb = chance(rand, 0.5) ? qa : int8Q(rand, -4, -0.01);
  const x = b.input({ shape, q: qa });
  const y = b.input({ shape: chance(rand, 0.5) ? shape : broadcastable(rand, shape), q: qb });
  return b.op(kind, [x, y], [{ shape, dtype: B }])[0]!;
}

function binary(kind: 'LOGICAL_AND' | 'LOGICAL_OR'): FuzzGenerator {
  return {
    name: kind,
    ops: [kind],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const out = shapeOf(rand);
      const [sa, sb] = chance(rand, 0.4) ? [out, out] : chance(rand, 0.5) ? [out, broadcastable(rand, out)] : [broadcastable(rand, out), out];
      emit(b, kind, [bools(b, rand, sa!), bools(b, rand, sb!)], [{ shape: out, dtype: B }]);
    },
  };
}

export const generators: FuzzGenerator[] = [
  binary('LOGICAL_AND'),
  binary('LOGICAL_OR'),
  {
    name: 'LOGICAL_NOT',
    ops: ['LOGICAL_NOT'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const shape = shapeOf(rand);
      emit(b, 'LOGICAL_NOT', [bools(b, rand, shape)], [{ shape, dtype: B }]);
    },
  },
  {
    name: 'REDUCE_ALL',
    ops: ['REDUCE_ALL'],
    dtypes: ['int8'],
    generate({ b, rand }: FuzzContext) {
      const rank = int(rand, 1, 4);
      const shape = Array.from({ length: rank }, () => int(rand, 1, 5));
      const axes = Array.from({ length: rank }, (_, i) => i).filter(() => chance(rand, 0.4));
      if (axes.length === 0) axes.push(int(rand, 0, rank - 1));
      const written = axes.map((a) => (chance(rand, 0.3) ? a - rank : a));
      const keepDims = chance(rand, 0.5);
      // an OR of two bools is true three times in four: long reductions still end true at times
      let x = bools(b, rand, shape);
      if (chance(rand, 0.5)) x = b.op('LOGICAL_OR', [x, b.input({ shape, dtype: B })], [{ shape, dtype: B }])[0]!;
      emit(b, 'REDUCE_ALL', [x, b.ints(written)], [{ shape: reducedShape(shape, axes, keepDims), dtype: B }], { keepDims });
    },
  },
];
