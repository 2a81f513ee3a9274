// SPDX-License-Identifier: Apache-2.0
/**
 * The trace's cut into inferences and layer bodies (timing/index.ts inferences): a layer whose loop
 * head is the begin hook's return point enters that mark on every turn, and its turns stay one layer.
 */
import { expect } from 'chai';
import { tracedCounts, type TraceMarks } from '../../src/lab/estimate/timing/index.ts';
import type { Trace, TraceSegment } from '../../src/lab/estimate/timing/trace.ts';

const INVOKE = 0x100;
const INVOKE_RETURN = 0x200;
const LAYER_END = 0x300;
const BEGIN_RETURNS = [0x110, 0x120, 0x130];

/** A segment opened at `opener` that ran `executed` instructions (one address). */
function segment(opener: number, executed: number): TraceSegment {
  return { opener, counts: new Map([[opener, { executed, taken: 0 }]]), referenceCycles: null };
}

function trace(segments: TraceSegment[]): Trace {
  return { segments, bytesAt: () => new Uint8Array(2) };
}

describe('estimate/timing: the trace cut into layer bodies', () => {
  const marks: TraceMarks = {
    invoke: INVOKE,
    invokeReturns: [INVOKE_RETURN],
    layerEnd: LAYER_END,
    layerBeginReturns: BEGIN_RETURNS,
    stackTop: null,
    arenas: [],
  };

  it('keeps the turns of a loop that re-enters the begin mark in one layer, until the end hook', () => {
    const [a, b, c] = BEGIN_RETURNS as [number, number, number];
    const inference = [
      segment(INVOKE, 3),
      segment(a, 10),
      segment(LAYER_END, 2),
      // layer 1: its loop's head is the begin hook's return point, four turns
      ...[1, 2, 3, 4].map(() => segment(b, 7)),
      segment(LAYER_END, 2),
      segment(c, 5),
      segment(LAYER_END, 2),
      segment(INVOKE_RETURN, 1),
    ];
    const counts = tracedCounts(trace([...inference, ...inference]), marks);
    expect(counts.layers).to.deep.equal([
      [10, 28, 5],
      [10, 28, 5],
    ]);
    expect(counts.inferences).to.deep.equal([3 + 10 + 2 + 28 + 2 + 5 + 2, 3 + 10 + 2 + 28 + 2 + 5 + 2]);
  });

  it('opens a new layer at a begin mark after the end hook, even at the same call site (a loop over layers)', () => {
    const [a] = BEGIN_RETURNS as [number];
    const counts = tracedCounts(
      trace([segment(INVOKE, 1), segment(a, 4), segment(LAYER_END, 1), segment(a, 6), segment(LAYER_END, 1), segment(INVOKE_RETURN, 1)]),
      marks,
    );
    expect(counts.layers).to.deep.equal([[4, 6]]);
  });
});
