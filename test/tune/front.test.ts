// SPDX-License-Identifier: Apache-2.0
/**
 * The cheap half of `tinyforge tune`: dominance, the front and its constraints, the bound that
 * prunes candidates before training, the grid's recipes and candidates, the board's clocks, the
 * resume state, and the option parsing. No model is trained, run or built here.
 */
import { expect } from 'chai';
import {
  type CheapFigures,
  type Point,
  boardClocks,
  canReachFront,
  candidatesOf,
  defaultGrid,
  dominates,
  emptyState,
  numberList,
  paretoFront,
  parseState,
  keptChannels,
  recipesOf,
} from '../../src/compress/tune_front.ts';
import { constraintsOf, gridOf } from '../../src/face/cli/tune_action.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { findBoard } from '../../src/core/targets/targets.ts';

const cheap = (flash: number, ram: number, msEstimate: number): CheapFigures => ({ flash, ram, msEstimate });

function point(id: string, accuracy: number, ms: number, ram: number, flash: number, board = 'b'): Point {
  return {
    id,
    board,
    recipe: { id, channels: 0 },
    build: { prefer: 'speed', clockHz: 1e8 },
    accuracy,
    ms,
    ram,
    flash,
    flashWeights: flash / 2,
    cheap: cheap(flash, ram, ms),
    bitExact: { matched: 1, total: 1 },
    ranOn: 'emulated',
    model: `${id}.tflite`,
  };
}

/** A tiny pseudo-random generator: the sweeps are the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('tune: front, constraints and pruning', () => {
  it('dominance: no worse on all four axes and better on one', () => {
    const a = point('a', 0.98, 1, 100, 100);
    expect(dominates(a, point('b', 0.97, 1, 100, 100))).to.equal(true);
    expect(dominates(a, point('c', 0.98, 1, 100, 100))).to.equal(false);
    expect(dominates(a, point('d', 0.99, 2, 50, 50))).to.equal(false);
    expect(dominates(point('e', 0.98, 0.5, 100, 100), a)).to.equal(true);
  });

  it('the front of random point sets: every point off it is dominated by one on it, none on it by any', () => {
    const next = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(next() * 25);
      // coarse values, so that ties and duplicates happen
      const points = Array.from({ length: n }, (_, i) =>
        point(`p${i}`, Math.round(next() * 10) / 10, Math.round(next() * 5), 100 * Math.round(next() * 4), 100 * Math.round(next() * 4)),
      );
      const front = paretoFront(points);
      for (const p of front) expect(points.some((q) => dominates(q, p))).to.equal(false);
      for (const p of points.filter((x) => !front.includes(x)))
        expect(front.some((q) => dominates(q, p) || (q.accuracy === p.accuracy && q.ms === p.ms && q.ram === p.ram && q.flash === p.flash))).to.equal(true);
      // by ascending ms
      for (let i = 1; i < front.length; i++) expect(front[i]!.ms).to.be.at.least(front[i - 1]!.ms);
    }
  });

  it('constraints filter the front before dominance: a point dominated only by an excluded one stays', () => {
    const fast = point('fast', 0.99, 1, 1000, 1000);
    const small = point('small', 0.95, 2, 100, 100);
    expect(paretoFront([fast, small]).map((p) => p.id)).to.deep.equal(['fast', 'small']);
    expect(paretoFront([fast, small], { maxRam: 500 }).map((p) => p.id)).to.deep.equal(['small']);
    expect(paretoFront([fast, small], { maxFlash: 500 }).map((p) => p.id)).to.deep.equal(['small']);
    expect(paretoFront([fast, small], { maxMs: 1.5 }).map((p) => p.id)).to.deep.equal(['fast']);
    expect(paretoFront([fast, small], { minAccuracy: 0.97 }).map((p) => p.id)).to.deep.equal(['fast']);
    expect(paretoFront([fast, small], { minAccuracy: 0.999 })).to.deep.equal([]);
    const worse = point('worse', 0.98, 1, 1000, 1000);
    expect(paretoFront([fast, worse], { minAccuracy: 0.97 }).map((p) => p.id)).to.deep.equal(['fast']);
  });

  it('a candidate is pruned before training only when a measured point at the accuracy ceiling beats its cheap figures, or a limit excludes it', () => {
    const measured = [point('int8', 0.978, 1, 1000, 1000)];
    // no better on any cheap figure: cannot reach the front
    expect(canReachFront({ board: 'b', cheap: cheap(1000, 1000, 1) }, measured, 0.978)).to.equal(false);
    expect(canReachFront({ board: 'b', cheap: cheap(1200, 1000, 1.1) }, measured, 0.978)).to.equal(false);
    // smaller on one figure: could
    expect(canReachFront({ board: 'b', cheap: cheap(900, 1000, 1) }, measured, 0.978)).to.equal(true);
    // the measured point is below the ceiling: fine-tuning could still win, so the candidate is kept
    expect(canReachFront({ board: 'b', cheap: cheap(1000, 1000, 1) }, measured, 0.98)).to.equal(true);
    // another board's point says nothing
    expect(canReachFront({ board: 'other', cheap: cheap(1000, 1000, 1) }, measured, 0.978)).to.equal(true);
    // limits
    expect(canReachFront({ board: 'b', cheap: cheap(900, 1000, 1) }, [], 1, { maxFlash: 800 })).to.equal(false);
    expect(canReachFront({ board: 'b', cheap: cheap(900, 1000, 1) }, [], 1, { maxRam: 800 })).to.equal(false);
    expect(canReachFront({ board: 'b', cheap: cheap(900, 1000, 1) }, [], 1, { maxMs: 0.5 })).to.equal(false);
    expect(canReachFront({ board: 'b', cheap: cheap(900, 1000, 1) }, [], 1, { maxFlash: 900, maxRam: 1000, maxMs: 1 })).to.equal(true);
  });

  it('pruning never drops a point the full measurement would put on the front (random sweeps)', () => {
    const next = rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const ceiling = 0.9 + Math.round(next() * 10) / 100;
      // cheap figures equal the measured ones here; accuracy at most the ceiling
      const all = Array.from({ length: 2 + Math.floor(next() * 12) }, (_, i) =>
        point(
          `p${i}`,
          Math.min(ceiling, 0.8 + Math.round(next() * 20) / 100),
          Math.round(next() * 6),
          100 * Math.round(next() * 5),
          100 * Math.round(next() * 5),
        ),
      );
      const measured: Point[] = [];
      for (const p of all) if (canReachFront({ board: p.board, cheap: p.cheap }, measured, ceiling)) measured.push(p);
      const full = paretoFront(all);
      const searched = paretoFront(measured);
      // the same front, up to points equal on all four axes
      const key = (p: Point) => `${p.accuracy} ${p.ms} ${p.ram} ${p.flash}`;
      expect(new Set(searched.map(key))).to.deep.equal(new Set(full.map(key)));
    }
  });
});

describe('tune: grid, candidates and clocks', () => {
  it('the default grid: dense int8 first, then bits, palettes, sensitivity budgets and channel ratios', () => {
    const recipes = recipesOf(defaultGrid());
    expect(recipes[0]).to.deep.equal({ id: 'int8', channels: 0 });
    expect(recipes.map((r) => r.id)).to.deep.equal(['int8', 'w4', 'pal3', 'mixed-l0.25', 'ch30', 'ch30+w4', 'ch50', 'ch50+w4']);
    expect(recipes.find((r) => r.id === 'ch30+w4')).to.deep.equal({ id: 'ch30+w4', channels: 0.3, channelMultiple: 4, weightBits: 4 });
    const none = recipesOf({ channels: [], channelMultiple: 1, sensitivityLosses: [], weightBits: [], paletteBits: [], prefer: ['speed'], qatAbove: Infinity });
    expect(none.map((r) => r.id)).to.deep.equal(['int8']);
  });

  it("channels kept: the rest of the ratio, rounded to the kernels' channel groups", () => {
    // the MNIST CNN's 8 and 16 channels at 30 %: 4 and 12 (not 6 and 11)
    expect(keptChannels(8, 0.3, 4)).to.equal(4);
    expect(keptChannels(16, 0.3, 4)).to.equal(12);
    expect(keptChannels(8, 0.3)).to.equal(6);
    expect(keptChannels(16, 0.25, 1)).to.equal(12);
    // at least one group; a layer no wider than a group keeps the rest as it falls
    expect(keptChannels(8, 0.9, 4)).to.equal(4);
    expect(keptChannels(4, 0.5, 4)).to.equal(2);
    expect(keptChannels(3, 0.9, 4)).to.equal(1);
    for (let c = 1; c <= 64; c++)
      for (const r of [0.1, 0.25, 0.3, 0.5, 0.75, 0.9])
        for (const m of [1, 4, 8]) {
          const k = keptChannels(c, r, m);
          expect(k, `${c} ${r} ${m}`).to.be.within(1, c);
          if (m > 1 && c > m) expect(k % m === 0 || k === c, `${c} ${r} ${m}`).to.equal(true);
        }
  });

  it('candidates: every recipe on every board with every storage choice at every clock; ids are unique per board', () => {
    const recipes = recipesOf(defaultGrid());
    const c = candidatesOf(
      recipes,
      [
        { name: 'a', clocks: [1e8, 5e7] },
        { name: 'b', clocks: [1e8] },
      ],
      ['speed', 'size'],
    );
    expect(c.length).to.equal(recipes.length * 2 * 3);
    for (const board of ['a', 'b']) {
      const ids = c.filter((x) => x.board === board).map((x) => x.id);
      expect(new Set(ids).size).to.equal(ids.length);
    }
    expect(c[0]!.id).to.equal('int8/speed@100MHz');
  });

  it("a board's clocks: its own, or with all every option's top up to the maximum, fastest first", () => {
    const { board } = findBoard('nucleo-l4r5zi');
    expect(boardClocks(board, false)).to.deep.equal([board.clockHz]);
    const all = boardClocks(board, true);
    expect(all).to.include(board.clockHz);
    expect(all.every((hz) => hz <= board.hardware!.clock.maxHz)).to.equal(true);
    expect([...all].sort((a, b) => b - a)).to.deep.equal(all);
    // an emulated board has no clock options
    expect(boardClocks(findBoard('rp2040js').board, true)).to.have.length(1);
  });
});

describe('tune: state and options', () => {
  it('the state round-trips and refuses another search', () => {
    const s = emptyState('abc');
    s.accuracy.int8 = 0.97;
    s.points['b int8/speed@100MHz'] = point('int8', 0.97, 1, 1, 1);
    const back = parseState(JSON.stringify(s), 'abc', 'state.json');
    expect(back).to.deep.equal(s);
    expect(() => parseState(JSON.stringify(s), 'other', 'state.json')).to.throw(TinyforgeError, /another model, data or grid/);
    expect(() => parseState('{', 'abc', 'state.json')).to.throw(TinyforgeError, /not a tune state/);
    expect(() => parseState('{"version":2}', 'abc', 'state.json')).to.throw(TinyforgeError, /this version/);
  });

  it('grid and constraint options parse, and bad values are refused in one line', () => {
    const grid = gridOf({ channels: '0.3', channelMultiple: '8', losses: 'none', weightBits: '4,3', paletteBits: '', prefer: 'size', qatAbove: 'never' });
    expect(grid).to.deep.equal({
      channels: [0.3],
      channelMultiple: 8,
      sensitivityLosses: [],
      weightBits: [4, 3],
      paletteBits: [],
      prefer: ['size'],
      qatAbove: Infinity,
    });
    expect(() => gridOf({ channels: '1.5', losses: '', weightBits: '', paletteBits: '', prefer: 'speed', qatAbove: '0' })).to.throw(
      TinyforgeError,
      /--channels/,
    );
    expect(() => gridOf({ channels: '', losses: '', weightBits: '9', paletteBits: '', prefer: 'speed', qatAbove: '0' })).to.throw(
      TinyforgeError,
      /--weight-bits/,
    );
    expect(() => gridOf({ channels: '', losses: '', weightBits: '', paletteBits: '', prefer: 'fast', qatAbove: '0' })).to.throw(TinyforgeError, /--prefer/);
    expect(constraintsOf({ maxRam: '2048', maxFlash: '4096', maxMs: '1.5', minAccuracy: '97' })).to.deep.equal({
      maxRam: 2048,
      maxFlash: 4096,
      maxMs: 1.5,
      minAccuracy: 0.97,
    });
    expect(() => constraintsOf({ minAccuracy: '120' })).to.throw(TinyforgeError, /--min-accuracy/);
    expect(numberList('none', '--x', 0, 1)).to.deep.equal([]);
  });
});
