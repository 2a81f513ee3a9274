// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for ops TFLite Micro has no kernel for, whose components the campaign checks against
 * our TS reference instead (`oracle: 'ts-reference'`; docs/fuzzing.md): the C of every target must
 * still equal it byte for byte, and the reference itself is checked in the op's tests against an
 * independent expectation (numpy.tile for TILE).
 *
 * TILE: int8 and int16 tensors of rank 1 to 5 with 1-sized dimensions, multiples of 1 to 4 (1 often,
 * so some dimensions are copied and others repeated, the innermost among them), int32 or int64
 * multiples, components under ~4 KB; now and then a RELU after it, so the copy feeds another kernel.
 */
import { chance, count, int, int16Q, int8Q } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzGenerator } from './types.ts';

const tile: FuzzGenerator = {
  name: 'TILE',
  ops: ['TILE'],
  dtypes: ['int8', 'int16'],
  oracle: 'ts-reference',
  generate({ b, rand, dtype }: FuzzContext) {
    const q = dtype === 'int16' ? int16Q(rand, -3, 0) : int8Q(rand, -3, 0);
    const width = dtype === 'int16' ? 2 : 1;
    let shape: number[];
    let multiples: number[];
    do {
      const rank = int(rand, 1, 5);
      shape = Array.from({ length: rank }, () => (chance(rand, 0.3) ? 1 : int(rand, 1, rank > 3 ? 4 : 7)));
      multiples = shape.map(() => (chance(rand, 0.4) ? 1 : int(rand, 1, 4)));
    } while (count(shape) * count(multiples) * width > 4096);
    const outShape = shape.map((d, k) => d * multiples[k]!);
    const x = b.input({ shape, dtype, q });
    const m = chance(rand, 0.25) ? b.constant({ shape: [multiples.length], dtype: 'int64' }, BigInt64Array.from(multiples.map(BigInt))) : b.ints(multiples);
    if (chance(rand, 0.2)) {
      const [tiled] = b.op('TILE', [x, m], [{ shape: outShape, dtype, q }]);
      emit(b, 'RELU', [tiled!], [{ shape: outShape, dtype, q }]);
    } else {
      emit(b, 'TILE', [x, m], [{ shape: outShape, dtype, q }]);
    }
  },
};

export const generators: FuzzGenerator[] = [tile];
