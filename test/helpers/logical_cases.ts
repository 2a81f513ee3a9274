// SPDX-License-Identifier: Apache-2.0
/** Random cases for the logical ops' tests (LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT). Test-only. */
import type { CCase } from './op_harness.ts';
import { singleOpGraph } from './op_harness.ts';
import { BROADCAST_SHAPES, count } from './op_checks.ts';

export const randomBools = (rand: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));

/** Binary ops: the broadcast shapes up to rank 4, and equal shapes of rank 5 and 6 (no broadcast: one flat loop). */
export function logicalCases(kind: 'LOGICAL_AND' | 'LOGICAL_OR' | 'LOGICAL_NOT', rand: () => number): Omit<CCase, 'def'>[] {
  if (kind === 'LOGICAL_NOT') {
    return [[1], [7], [2, 3, 5], [1, 4, 4, 8], [2, 1, 3, 2, 2], [2, 2, 1, 3, 1, 2]].map((shape) => ({
      ...singleOpGraph(kind, [{ shape, dtype: 'bool' }], [{ shape, dtype: 'bool' }]),
      inputs: [randomBools(rand, count(shape))],
    }));
  }
  const shapes: [number[], number[], number[]][] = [
    ...BROADCAST_SHAPES.filter(([, , o]) => o.length <= 4),
    [
      [2, 1, 3, 2, 2],
      [2, 1, 3, 2, 2],
      [2, 1, 3, 2, 2],
    ],
    [
      [2, 2, 1, 3, 1, 2],
      [2, 2, 1, 3, 1, 2],
      [2, 2, 1, 3, 1, 2],
    ],
    [
      [4, 1, 3],
      [2, 1],
      [4, 2, 3],
    ],
    [[], [5], [5]],
  ];
  return shapes.map(([a, b, out]) => ({
    ...singleOpGraph(
      kind,
      [
        { shape: a, dtype: 'bool' },
        { shape: b, dtype: 'bool' },
      ],
      [{ shape: out, dtype: 'bool' }],
    ),
    inputs: [randomBools(rand, count(a)), randomBools(rand, count(b))],
  }));
}
