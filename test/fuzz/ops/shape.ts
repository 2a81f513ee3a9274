// SPDX-License-Identifier: Apache-2.0
/**
 * Generators for data movement: RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE, SLICE, STRIDED_SLICE,
 * SPLIT, SPLIT_V, PACK, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE, on int8 and int16 tensors of rank 1
 * to 5 (the element size and the odd shapes are what copy loops get wrong).
 */
import { type Rand, chance, count, int, int16Q, int8Q, pick, shuffle } from '../draw.ts';
import { emit } from './common.ts';
import type { FuzzContext, FuzzDType, FuzzGenerator } from './types.ts';
import type { GraphBuilder } from '../../helpers/graph_builder.ts';

function q(rand: Rand, dtype: FuzzDType) {
  return dtype === 'int16' ? int16Q(rand, -3, 0) : int8Q(rand, -3, 0);
}

function shapeOf(rand: Rand, rank: number, max = 5): number[] {
  return Array.from({ length: rank }, () => (chance(rand, 0.2) ? 1 : int(rand, 1, max)));
}

function input(b: GraphBuilder, rand: Rand, dtype: FuzzContext['dtype'], shape: number[]) {
  const qq = q(rand, dtype);
  return { index: b.input({ shape, dtype, q: qq }), q: qq };
}

const both: FuzzDType[] = ['int8', 'int16'];

export const generators: FuzzGenerator[] = [
  {
    name: 'TRANSPOSE',
    ops: ['TRANSPOSE'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const rank = int(rand, 1, 5);
      const shape = shapeOf(rand, rank, rank > 3 ? 4 : 6);
      const perm = shuffle(
        rand,
        shape.map((_, i) => i),
      );
      const x = input(b, rand, dtype, shape);
      emit(b, 'TRANSPOSE', [x.index, b.ints(perm)], [{ shape: perm.map((p) => shape[p]!), dtype, q: x.q }]);
    },
  },
  {
    name: 'SLICE',
    ops: ['SLICE'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 5), 6);
      const begin = shape.map((d) => int(rand, 0, d - 1));
      const size = shape.map((d, i) => (chance(rand, 0.2) ? -1 : int(rand, 1, d - begin[i]!)));
      const x = input(b, rand, dtype, shape);
      const out = size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s));
      emit(b, 'SLICE', [x.index, b.ints(begin), b.ints(size)], [{ shape: out, dtype, q: x.q }]);
    },
  },
  {
    name: 'STRIDED_SLICE',
    ops: ['STRIDED_SLICE'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      // TFLite Micro's STRIDED_SLICE takes rank 4 at most
      const shape = shapeOf(rand, int(rand, 1, 4), 7);
      const begin: number[] = [];
      const end: number[] = [];
      const strides: number[] = [];
      const out: number[] = [];
      let beginMask = 0;
      let endMask = 0;
      let shrinkMask = 0;
      shape.forEach((d, k) => {
        if (chance(rand, 0.15)) {
          // one index, axis dropped
          const at = int(rand, -d, d - 1);
          begin.push(at);
          end.push(at + 1 === 0 ? d : at + 1);
          strides.push(1);
          shrinkMask |= 1 << k;
          return;
        }
        const negative = chance(rand, 0.25);
        const step = negative ? -int(rand, 1, 3) : int(rand, 1, 3);
        let s = int(rand, 0, d - 1);
        let e = negative ? int(rand, -1, s - 1) : int(rand, s + 1, d);
        if (chance(rand, 0.2)) {
          beginMask |= 1 << k;
          s = negative ? d - 1 : 0;
        }
        if (chance(rand, 0.2)) {
          endMask |= 1 << k;
          e = negative ? -1 : d;
        }
        const n = negative ? Math.ceil((s - e) / -step) : Math.ceil((e - s) / step);
        // negative end -1 means "before index 0" only through the end mask; write it as an index otherwise
        begin.push(chance(rand, 0.3) ? s - d : s);
        end.push(negative && e === -1 && !((endMask >> k) & 1) ? -d - 1 : e);
        strides.push(step);
        out.push(Math.max(n, 0));
      });
      if (out.some((n) => n === 0)) return this.generate({ b, rand, dtype });
      const x = input(b, rand, dtype, shape);
      emit(b, 'STRIDED_SLICE', [x.index, b.ints(begin), b.ints(end), b.ints(strides)], [{ shape: out, dtype, q: x.q }], {
        beginMask,
        endMask,
        shrinkAxisMask: shrinkMask,
        ellipsisMask: 0,
        newAxisMask: 0,
        offset: false,
      });
    },
  },
  {
    name: 'SPLIT',
    ops: ['SPLIT'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4), 4);
      const axis = int(rand, 0, shape.length - 1);
      const n = pick(rand, [1, 2, 3]);
      shape[axis] = n * int(rand, 1, 3);
      const x = input(b, rand, dtype, shape);
      const part = shape.map((d, i) => (i === axis ? d / n : d));
      emit(
        b,
        'SPLIT',
        [b.ints([chance(rand, 0.3) ? axis - shape.length : axis], []), x.index],
        Array.from({ length: n }, () => ({ shape: part, dtype, q: x.q })),
        { numSplits: n },
      );
    },
  },
  {
    name: 'SPLIT_V',
    ops: ['SPLIT_V'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 4), 6);
      const axis = int(rand, 0, shape.length - 1);
      const d = shape[axis]!;
      const sizes: number[] = [];
      for (let left = d; left > 0; ) {
        const s = int(rand, 1, left);
        sizes.push(s);
        left -= s;
      }
      if (sizes.length > 1 && chance(rand, 0.3)) sizes[int(rand, 0, sizes.length - 1)] = -1;
      const resolved = sizes.map((s) => (s === -1 ? d - sizes.filter((t) => t !== -1).reduce((a, t) => a + t, 0) : s));
      const x = input(b, rand, dtype, shape);
      emit(
        b,
        'SPLIT_V',
        [x.index, b.ints(sizes), b.ints([axis], [])],
        resolved.map((s) => ({ shape: shape.map((e, i) => (i === axis ? s : e)), dtype, q: x.q })),
        { numSplits: sizes.length },
      );
    },
  },
  {
    name: 'PACK',
    ops: ['PACK'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 3), 5);
      const n = int(rand, 1, 4);
      const axis = int(rand, 0, shape.length);
      const qq = q(rand, dtype);
      const xs = Array.from({ length: n }, () => b.input({ shape, dtype, q: qq }));
      const out = [...shape.slice(0, axis), n, ...shape.slice(axis)];
      emit(b, 'PACK', xs, [{ shape: out, dtype, q: qq }], { valuesCount: n, axis });
    },
  },
  {
    name: 'UNPACK',
    ops: ['UNPACK'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 2, 4), 4);
      const axis = int(rand, 0, shape.length - 1);
      const n = shape[axis]!;
      const x = input(b, rand, dtype, shape);
      const part = shape.filter((_, i) => i !== axis);
      emit(
        b,
        'UNPACK',
        [x.index],
        Array.from({ length: n }, () => ({ shape: part, dtype, q: x.q })),
        { num: n, axis },
      );
    },
  },
  {
    name: 'SQUEEZE',
    ops: ['SQUEEZE'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 2, 5), 4).map((d) => (chance(rand, 0.4) ? 1 : d));
      const ones = shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      const dims = chance(rand, 0.4) ? [] : ones.filter(() => chance(rand, 0.6));
      const drop = dims.length ? dims : ones;
      const x = input(b, rand, dtype, shape);
      const out = shape.filter((_, i) => !drop.includes(i));
      const [y] = b.op('SQUEEZE', [x.index], [{ shape: out, dtype, q: x.q }], { squeezeDims: dims });
      if (out.length === 0) return b.output(y!);
      // then something that moves bytes, so the alias is read by a kernel
      const [z] = b.op('TRANSPOSE', [y!, b.ints(out.map((_, i) => out.length - 1 - i))], [{ shape: [...out].reverse(), dtype, q: x.q }]);
      b.output(z!);
    },
  },
  {
    name: 'EXPAND_DIMS',
    ops: ['EXPAND_DIMS', 'RESHAPE'],
    dtypes: both,
    generate({ b, rand, dtype }: FuzzContext) {
      const shape = shapeOf(rand, int(rand, 1, 3), 5);
      const axis = int(rand, -shape.length - 1, shape.length);
      const at = axis < 0 ? axis + shape.length + 1 : axis;
      const x = input(b, rand, dtype, shape);
      const out = [...shape.slice(0, at), 1, ...shape.slice(at)];
      const [y] = b.op('EXPAND_DIMS', [x.index, b.ints([axis], [])], [{ shape: out, dtype, q: x.q }]);
      const flat = [count(out)];
      const [z] = b.op('RESHAPE', [y!, b.ints(flat)], [{ shape: flat, dtype, q: x.q }], { newShape: flat });
      const [w] = b.op('STRIDED_SLICE', [z!, b.ints([count(out) - 1]), b.ints([-count(out) - 1]), b.ints([-1])], [{ shape: flat, dtype, q: x.q }], {
        beginMask: 0,
        endMask: 0,
        shrinkAxisMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        offset: false,
      });
      b.output(w!);
    },
  },
  {
    name: 'SPACE_TO_DEPTH',
    ops: ['SPACE_TO_DEPTH'],
    dtypes: ['int8'],
    generate({ b, rand, dtype }: FuzzContext) {
      const bs = int(rand, 1, 3);
      const shape = [int(rand, 1, 2), bs * int(rand, 1, 3), bs * int(rand, 1, 3), int(rand, 1, 5)];
      const x = input(b, rand, dtype, shape);
      emit(b, 'SPACE_TO_DEPTH', [x.index], [{ shape: [shape[0]!, shape[1]! / bs, shape[2]! / bs, shape[3]! * bs * bs], dtype, q: x.q }], { blockSize: bs });
    },
  },
  {
    name: 'DEPTH_TO_SPACE',
    ops: ['DEPTH_TO_SPACE'],
    dtypes: ['int8'],
    generate({ b, rand, dtype }: FuzzContext) {
      const bs = int(rand, 1, 3);
      const shape = [int(rand, 1, 2), int(rand, 1, 3), int(rand, 1, 3), bs * bs * int(rand, 1, 3)];
      const x = input(b, rand, dtype, shape);
      emit(b, 'DEPTH_TO_SPACE', [x.index], [{ shape: [shape[0]!, shape[1]! * bs, shape[2]! * bs, shape[3]! / (bs * bs)], dtype, q: x.q }], { blockSize: bs });
    },
  },
];
