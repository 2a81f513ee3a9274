// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { FirstFit, overlapAllows, planArena, planViolations } from '../../src/core/plan/arena.ts';
import { alignUp, bufferRequests, overlapPairs } from '../../src/core/plan/lifetimes.ts';
import { graphOf } from './stub_graph.ts';

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

describe('memory plan with overlapping kernels', () => {
  it('slides a dying input under its overlapping output instead of merging the two', () => {
    // t0 (input, 1000) -> conv -> t1 (2000, may overlap t0 from 1000 bytes in) -> t2
    const p = graphOf(
      [1000, 2000, 500],
      [
        [[0], [1], { overlap: { input: 0, gap: 1000 } }],
        [[1], [2]],
      ],
      [0],
      [2],
    );
    const plan = planArena(p);
    expect(planViolations(plan)).to.deep.equal([]);
    expect(plan.tensorOffset.get(0)! - plan.tensorOffset.get(1)!).to.be.at.least(1000);
    expect(plan.arenaBytes).to.equal(2512); // max(2000, 1008 + 1008) at layer 0; 2000 + 512 at layer 1
    expect(plan.arenaBytes).to.equal(plan.lowerBound);
  });

  it('chains overlaps without holding one buffer over every lifetime', () => {
    // a chain of in-place layers then a 4x growth: the old merge kept one 4000-byte buffer from layer 0
    const sizes = [1000, 1000, 1000, 4000, 16];
    const p = graphOf(
      sizes,
      [
        [[0], [1], { overlap: { input: 0, gap: 0 } }],
        [[1], [2], { overlap: { input: 0, gap: 0 } }],
        [[2], [3], { overlap: { input: 0, gap: 3000 } }],
        [[3], [4]],
      ],
      [0],
      [4],
    );
    const plan = planArena(p);
    expect(planViolations(plan)).to.deep.equal([]);
    expect(plan.arenaBytes).to.equal(4016);
    expect(plan.classicFloor).to.equal(5008);
  });

  it('never gives a graph output or a twice-read input to an overlapping output', () => {
    const p = graphOf(
      [256, 256, 256, 256],
      [
        [[0], [1], { overlap: { input: 0, gap: 0 } }],
        [[1, 1], [2], { overlap: { input: 0, gap: 0 } }],
        [[2], [3], { overlap: { input: 0, gap: 0 } }],
      ],
      [0],
      [3, 2],
    );
    const plan = planArena(p);
    expect(plan.overlaps.map((o) => o.layer)).to.deep.equal([0]);
    expect(planViolations(plan)).to.deep.equal([]);
  });

  it("an exact overlap puts the output at its input's offset or apart from it, never shifted", () => {
    // t0 (input, 1000) -> t1 (1000, exactly over t0 or apart) -> t2 (1200, anywhere over t1 from 200 in) -> t3
    const p = graphOf(
      [1000, 1000, 1200, 64],
      [
        [[0], [1], { overlap: { input: 0, gap: 0, exact: true } }],
        [[1], [2], { overlap: { input: 0, gap: 200 } }],
        [[2], [3]],
      ],
      [0],
      [3],
    );
    const plan = planArena(p);
    expect(planViolations(plan)).to.deep.equal([]);
    expect(plan.overlaps[0]).to.deep.include({ layer: 0, exact: true, gap: 0 });
    expect(plan.tensorOffset.get(1)).to.equal(plan.tensorOffset.get(0));
    expect(plan.arenaBytes).to.equal(plan.lowerBound);
    const a = { id: 'a', tensors: [0], bytes: 100, firstUse: 0, lastUse: 1, offset: 0 };
    const b = { id: 'b', tensors: [1], bytes: 100, firstUse: 1, lastUse: 2, offset: 0 };
    const exact = [{ layer: 1, input: 'a', output: 'b', gap: 0, exact: true }];
    expect(planViolations({ buffers: [a, b], overlaps: exact })).to.have.length(0);
    expect(planViolations({ buffers: [a, { ...b, offset: 16 }], overlaps: exact })).to.have.length(1);
    expect(planViolations({ buffers: [{ ...a, offset: 16 }, b], overlaps: exact })).to.have.length(1);
  });

  it('first fit on wide graphs (dozens of buffers live at once): each buffer at the lowest aligned offset its placed neighbours allow', () => {
    let seed = 23;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    let wide = 0;
    for (let trial = 0; trial < 12; trial++) {
      const n = 30 + rand(60);
      const sizes = Array.from({ length: n + 1 }, () => 1 + rand(3000));
      const ops: Parameters<typeof graphOf>[1] = [];
      // short branches off the input and each other, most of them kept as outputs: many live at once
      for (let i = 0; i < n; i++) {
        const kind = rand(4);
        const overlap = kind === 0 ? { input: 0, gap: 0, exact: true } : kind === 1 ? { input: 0, gap: rand(sizes[i + 1]! + 64) } : undefined;
        ops.push([[rand(3) === 0 ? 0 : rand(i + 1)], [i + 1], overlap ? { overlap } : {}]);
      }
      const read = new Set(ops.flatMap(([i]) => i));
      const p = graphOf(
        sizes,
        ops,
        [0],
        sizes.map((_, t) => t).filter((t) => t > 0 && (!read.has(t) || rand(3) > 0)),
      );
      const requests = bufferRequests(p);
      const pairs = overlapPairs(p, requests);
      const live = (a: number, b: number) => requests[a]!.firstUse <= requests[b]!.lastUse && requests[b]!.firstUse <= requests[a]!.lastUse;
      // whether buffer i at v may share bytes with buffer j at w: apart, or an overlap its kernel allows
      const fits = (i: number, v: number, j: number, w: number) => {
        if (v >= w + requests[j]!.bytes || w >= v + requests[i]!.bytes) return true;
        return pairs.some(
          (q) =>
            (q.input === requests[i] && q.output === requests[j] && overlapAllows(q, v, w)) ||
            (q.input === requests[j] && q.output === requests[i] && overlapAllows(q, w, v)),
        );
      };
      const order = requests.map((_, i) => i).sort(() => rand(3) - 1);
      const offsets = new FirstFit(requests, pairs, 16).place(order);
      order.forEach((i, k) => {
        const before = order.slice(0, k).filter((j) => j !== i && live(i, j));
        wide = Math.max(wide, before.length);
        let lowest = 0;
        while (!before.every((j) => fits(i, lowest, j, offsets[j]!))) lowest += 16;
        expect(offsets[i], `trial ${trial}, buffer ${i}`).to.equal(lowest);
      });
    }
    // the many-interval path of the first fit (more than 32 forbidden intervals) was taken
    expect(wide).to.be.greaterThan(40);
  });

  it('the validation rejects live buffers sharing bytes and an input below its allowed gap', () => {
    const a = { id: 'a', tensors: [0], bytes: 100, firstUse: 0, lastUse: 1, offset: 0 };
    const b = { id: 'b', tensors: [1], bytes: 100, firstUse: 1, lastUse: 2, offset: 48 };
    expect(planViolations({ buffers: [a, b], overlaps: [] })).to.have.length(1);
    expect(planViolations({ buffers: [a, b], overlaps: [{ layer: 1, input: 'b', output: 'a', gap: 32 }] })).to.have.length(0);
    expect(planViolations({ buffers: [a, b], overlaps: [{ layer: 1, input: 'b', output: 'a', gap: 64 }] })).to.have.length(1);
    expect(planViolations({ buffers: [a, b], overlaps: [{ layer: 1, input: 'a', output: 'b', gap: 0 }] })).to.have.length(1);
    expect(planViolations({ buffers: [a, { ...b, firstUse: 2 }], overlaps: [] })).to.have.length(0);
  });

  it('generated branchy graphs with overlaps: every live pair disjoint or an allowed overlap, never above the classic plan', () => {
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    let under = 0;
    for (let trial = 0; trial < 300; trial++) {
      const n = 3 + rand(14);
      const sizes = Array.from({ length: n + 1 }, () => 16 + rand(4000));
      const ops: Parameters<typeof graphOf>[1] = [];
      for (let i = 0; i < n; i++) {
        const extra = i > 1 && rand(3) === 0 ? [rand(i)] : [];
        const scratch = rand(4) === 0 ? 1 + rand(600) : 0;
        const kind = Math.floor(rand(1000) / 250);
        const overlap =
          kind === 0 ? undefined : kind === 1 ? { input: 0, gap: 0, exact: true } : { input: 0, gap: rand(2) === 0 ? 0 : rand(sizes[i + 1]! + 64) };
        ops.push([[i, ...extra], [i + 1], { scratch, ...(overlap ? { overlap } : {}) }]);
      }
      const p = graphOf(sizes, ops, [0], [n]);
      const plan = planArena(p);
      expect(planViolations(plan), `trial ${trial}`).to.deep.equal([]);
      expect(plan.arenaBytes, `trial ${trial}`).to.be.at.least(plan.lowerBound);
      // the same graph without overlaps: the classic plan
      const classic = planArena(
        graphOf(
          sizes,
          ops.map(([i, o, x]) => [i, o, { scratch: x?.scratch ?? 0 }]),
          [0],
          [n],
        ),
      );
      expect(plan.arenaBytes, `trial ${trial}`).to.be.at.most(classic.arenaBytes);
      expect(plan.classicFloor).to.equal(classic.classicFloor);
      // every placed byte range really is where the plan says: tensor offsets inside the arena
      for (const b of plan.buffers) expect(b.offset + alignUp(b.bytes, 16)).to.be.at.most(plan.arenaBytes);
      if (plan.arenaBytes < classic.arenaBytes) under++;
    }
    expect(under).to.be.greaterThan(100);
  });
});
