// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { planArena, planViolations } from '../../src/core/plan/arena.ts';
import { memoryOrder, planMemory } from '../../src/core/plan/schedule.ts';
import { graphOf } from './stub_graph.ts';

/** Whether every layer of `order` comes after the layers writing its inputs. */
function topological(p: ReturnType<typeof graphOf>, order: number[]): boolean {
  const producedAt = new Map<number, number>();
  order.forEach((l, at) => p.layers[l]!.op.outputs.forEach((t) => producedAt.set(t, at)));
  return order.every((l, at) => p.layers[l]!.op.inputs.every((t) => (producedAt.get(t) ?? -1) < at)) && new Set(order).size === p.layers.length;
}

describe('op order for memory', () => {
  it('finishes a branch that shrinks before starting the other (inception-like)', () => {
    // t0 -> big t1 -> small t3 ; t0 -> big t2 -> small t4 ; t3 + t4 -> t5. Model order: both big
    // tensors and t0 at once (3000); finishing branch 1 first: t0 + t1 + t3 (2112)
    const p = graphOf(
      [1000, 1000, 1000, 100, 100, 100],
      [
        [[0], [1]],
        [[0], [2]],
        [[1], [3]],
        [[2], [4]],
        [[3, 4], [5]],
      ],
      [0],
      [5],
    );
    expect(memoryOrder(p)).to.deep.equal([0, 2, 1, 3, 4]);
    const modelOrder = planArena(p);
    const { prepared, plan } = planMemory(p);
    expect(modelOrder.arenaBytes).to.equal(3024);
    expect(plan.arenaBytes).to.equal(2128);
    expect(plan.strategy).to.match(/ops reordered/);
    expect(prepared.layers.map((l) => l.op.index)).to.deep.equal([0, 2, 1, 3, 4]);
    expect(prepared.layers.map((l) => l.position)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(prepared.graph.ops.map((o) => o.index)).to.deep.equal([0, 2, 1, 3, 4]);
    // the classic floor stays the model's order
    expect(plan.classicFloor).to.equal(modelOrder.classicFloor);
  });

  it('keeps the model order of a chain', () => {
    const p = graphOf(
      [100, 200, 300, 50],
      [
        [[0], [1]],
        [[1], [2]],
        [[2], [3]],
      ],
      [0],
      [3],
    );
    expect(memoryOrder(p)).to.equal(undefined);
    expect(planMemory(p).prepared).to.equal(p);
  });

  it('generated DAGs: a topological order, a sound plan, never larger than in the model order, the same every time', () => {
    let seed = 29;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    let reordered = 0;
    for (let trial = 0; trial < 150; trial++) {
      const n = 4 + rand(12);
      const sizes = Array.from({ length: n + 1 }, () => 16 + rand(3000));
      const ops: Parameters<typeof graphOf>[1] = [];
      // op i writes t(i+1) from one or two earlier tensors: branches and joins
      for (let i = 0; i < n; i++) {
        const a = rand(i + 1);
        const inputs = rand(3) === 0 && i > 0 ? [a, rand(i + 1)] : [a];
        const overlap = rand(3) === 0 ? { input: 0, gap: rand(2) === 0 ? 0 : rand(sizes[i + 1]! + 1) } : undefined;
        ops.push([[...new Set(inputs)], [i + 1], { scratch: rand(4) === 0 ? rand(400) : 0, ...(overlap ? { overlap } : {}) }]);
      }
      // every tensor nobody reads is an output
      const read = new Set(ops.flatMap(([i]) => i));
      const outputs = sizes.map((_, t) => t).filter((t) => t > 0 && !read.has(t));
      const p = graphOf(sizes, ops, [0], outputs);
      const order = memoryOrder(p);
      if (order) expect(topological(p, order), `trial ${trial}`).to.equal(true);
      const { prepared, plan } = planMemory(p);
      expect(planViolations(plan), `trial ${trial}`).to.deep.equal([]);
      expect(plan.arenaBytes, `trial ${trial}`).to.be.at.most(planArena(p).arenaBytes);
      expect(planMemory(p).plan.arenaBytes).to.equal(plan.arenaBytes);
      if (prepared !== p) reordered++;
    }
    expect(reordered).to.be.greaterThan(10);
  });
});
