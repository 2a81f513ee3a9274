// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import type { Graph, Op, Tensor } from '../../src/ir/graph.ts';
import type { OpDef } from '../../src/ops/op.ts';
import type { PreparedGraph } from '../../src/ops/prepare.ts';
import { portableVariant } from '../../src/ops/variant.ts';
import { planArena } from '../../src/plan/arena.ts';
import { bufferRequests } from '../../src/plan/lifetimes.ts';

const stubDef = (isAlias = false) => ({ kind: 'STUB', isAlias }) as unknown as OpDef;

/** A graph of int8 activations from (op inputs, op outputs, sizes); tensor i has sizes[i] bytes. */
function graphOf(
  sizes: number[],
  ops: [number[], number[], { alias?: boolean; scratch?: number; consts?: number[] }?][],
  inputs: number[],
  outputs: number[],
): PreparedGraph {
  const constSet = new Set(ops.flatMap(([, , o]) => o?.consts ?? []));
  const tensors: Tensor[] = sizes.map((n, index) => ({
    index,
    name: `t${index}`,
    shape: [n],
    dtype: 'int8',
    ...(constSet.has(index) ? { data: new Uint8Array(n) } : {}),
  }));
  const graphOps: Op[] = ops.map(([i, o], index) => ({ index, kind: 'STUB', inputs: i, outputs: o, attrs: {} }));
  const graph: Graph = { name: 'g', tensors, ops: graphOps, inputs, outputs };
  return {
    graph,
    layers: graphOps.map((op, position) => ({
      position,
      op,
      def: stubDef(ops[position]![2]?.alias),
      variant: portableVariant(stubDef(ops[position]![2]?.alias)),
      params: {},
      macs: 0,
      scratchBytes: ops[position]![2]?.scratch ?? 0,
      isAlias: ops[position]![2]?.alias ?? false,
    })),
  };
}

function overlaps(plan: ReturnType<typeof planArena>) {
  const bad: string[] = [];
  for (const a of plan.buffers) {
    for (const b of plan.buffers) {
      if (a === b) continue;
      const timeOverlap = a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
      const spaceOverlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (timeOverlap && spaceOverlap) bad.push(`${a.id}/${b.id}`);
    }
  }
  return bad;
}

describe('memory plan', () => {
  it('reuses the bytes of a chain: two buffers live at a time', () => {
    const p = graphOf(
      [1000, 2000, 1000, 500],
      [
        [[0], [1]],
        [[1], [2]],
        [[2], [3]],
      ],
      [0],
      [3],
    );
    const plan = planArena(p);
    expect(overlaps(plan)).to.deep.equal([]);
    expect(plan.arenaBytes).to.equal(3008); // 2000 + 1000 (aligned to 16: 2000 + 1008)
    expect(plan.arenaBytes).to.equal(plan.lowerBound);
  });

  it('keeps a skip connection alive until its last consumer', () => {
    // t0 -> op0 -> t1 -> op1 -> t2 ; add(t1? no: t0, t2) -> t3
    const p = graphOf(
      [512, 512, 512, 512],
      [
        [[0], [1]],
        [[1], [2]],
        [[0, 2], [3]],
      ],
      [0],
      [3],
    );
    const reqs = bufferRequests(p);
    const t0 = reqs.find((r) => r.id === 't0')!;
    expect([t0.firstUse, t0.lastUse]).to.deep.equal([0, 2]);
    const plan = planArena(p);
    expect(overlaps(plan)).to.deep.equal([]);
    expect(plan.arenaBytes).to.equal(1536);
  });

  it('gives an alias op output the bytes of its input and merges lifetimes', () => {
    const p = graphOf(
      [100, 100, 40],
      [
        [[0], [1], { alias: true }],
        [[1], [2]],
      ],
      [0],
      [2],
    );
    const plan = planArena(p);
    expect(plan.tensorOffset.get(0)).to.equal(plan.tensorOffset.get(1));
    expect(plan.buffers.filter((b) => b.tensors.includes(0))[0]!.tensors).to.have.members([0, 1]);
    expect(overlaps(plan)).to.deep.equal([]);
  });

  it('places scratch only during its layer and never over live tensors', () => {
    const p = graphOf(
      [256, 256, 256],
      [
        [[0], [1], { scratch: 300 }],
        [[1], [2], { scratch: 64 }],
      ],
      [0],
      [2],
    );
    const plan = planArena(p);
    expect(overlaps(plan)).to.deep.equal([]);
    expect(plan.scratchOffset.has(0)).to.equal(true);
    expect(plan.scratchBytes).to.equal(300);
  });

  it('never places constants in the arena', () => {
    const p = graphOf([64, 4096, 64], [[[0, 1], [2], { consts: [1] }]], [0], [2]);
    const plan = planArena(p);
    expect(plan.tensorOffset.has(1)).to.equal(false);
    expect(plan.arenaBytes).to.equal(128);
  });

  it('finds non-overlapping plans no larger than greedy-by-size on random graphs', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let trial = 0; trial < 200; trial++) {
      const n = 3 + rand(10);
      const sizes = Array.from({ length: n + 1 }, () => 16 + rand(4000));
      const ops: [number[], number[]][] = [];
      for (let i = 0; i < n; i++) {
        const extra = i > 1 && rand(3) === 0 ? [rand(i)] : [];
        ops.push([[i, ...extra], [i + 1]]);
      }
      const plan = planArena(graphOf(sizes, ops, [0], [n]));
      expect(overlaps(plan), `trial ${trial}`).to.deep.equal([]);
      expect(plan.arenaBytes).to.be.at.least(plan.lowerBound);
    }
  });
});
