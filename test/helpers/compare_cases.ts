// SPDX-License-Identifier: Apache-2.0
/** Random cases for the comparison ops' tests (shared by the six op folders). Test-only. */
import type { DType } from '../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import type { CCase } from './op_harness.ts';
import { randomInt, randomInt16, randomInt8, singleOpGraph } from './op_harness.ts';
import { BROADCAST_SHAPES, count } from './op_checks.ts';
import type { OpDef } from '../../src/core/ops/op.ts';

function values(rand: () => number, dtype: DType, n: number): TensorBuffer {
  if (dtype === 'int8') return randomInt8(rand, n);
  if (dtype === 'int16') return randomInt16(rand, n);
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
  // int32: a small range so that equal values occur
  return Int32Array.from({ length: n }, () => randomInt(rand, -3, 3) * (rand() < 0.1 ? 1000000000 : 1));
}

function q(rand: () => number, dtype: DType) {
  if (dtype === 'int8') return { scale: Math.exp(-7 + rand() * 6.9), zeroPoint: randomInt(rand, -128, 127) };
  if (dtype === 'int16') return { scale: Math.exp(-12 + rand() * 10), zeroPoint: 0 };
  return {};
}

/** Broadcast shapes (rank ≤ 4) with random quantizations; int8 cases sometimes share one quantization. */
export function compareCases(def: OpDef, rand: () => number, dtypes: DType[]): Omit<CCase, 'def'>[] {
  const cases: Omit<CCase, 'def'>[] = [];
  for (const dtype of dtypes) {
    for (const [a, b, out] of BROADCAST_SHAPES.filter(([, , o]) => o.length <= 4)) {
      const qa = q(rand, dtype);
      const qb = dtype === 'int8' && rand() < 0.3 ? qa : q(rand, dtype);
      const g = singleOpGraph(
        def.kind,
        [
          { shape: a, dtype, ...qa },
          { shape: b, dtype, ...qb },
        ],
        [{ shape: out, dtype: 'bool' }],
      );
      const va = values(rand, dtype, count(a));
      // equal stored values are the interesting ones: copy some across when the shapes allow it
      const vb = values(rand, dtype, count(b));
      if (count(a) === count(b)) for (let i = 0; i < count(b); i += 2) (vb as Int32Array)[i] = (va as Int32Array)[i]!;
      cases.push({ ...g, inputs: [va, vb] });
    }
  }
  return cases;
}
