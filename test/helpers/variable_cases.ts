// SPDX-License-Identifier: Apache-2.0
/**
 * A realistic streaming component for the resource-variable tests and the fuzzer: a state of the
 * last `frames` frames is read, the new frame appended (the window a streaming conv would consume),
 * the oldest frame dropped and the rest assigned back for the next inference. Test-only.
 */
import { GraphBuilder } from './graph_builder.ts';
import type { Q } from './graph_builder.ts';

export interface StreamingSpec {
  frames: number;
  channels: number;
  q: Q;
  /** output the window through an int8 ADD with a second input (an arithmetic consumer) */
  add?: { q: Q; out: Q };
  /** the state, frames and window in float32 (`q` unused) */
  float32?: boolean;
}

/** Adds the component to `b`; returns the window tensor (model output). */
export function addStreamingState(b: GraphBuilder, s: StreamingSpec, name?: string): number {
  const { frames, channels: C } = s;
  const q = s.float32 ? { dtype: 'float32' as const } : { q: s.q };
  const state = b.tensor({ shape: [1, frames, C], ...q, variable: true, ...(name ? { name } : {}) });
  const frame = b.input({ shape: [1, 1, C], ...q });
  const [past] = b.op('READ_VARIABLE', [state], [{ shape: [1, frames, C], ...q }]);
  const [window] = b.op('CONCATENATION', [past!, frame], [{ shape: [1, frames + 1, C], ...q }], { axis: 1, activation: 'NONE' });
  const [kept] = b.op('SLICE', [window!, b.ints([0, 1, 0]), b.ints([1, frames, C])], [{ shape: [1, frames, C], ...q }]);
  b.op('ASSIGN_VARIABLE', [state, kept!], []);
  if (!s.add) {
    b.output(window!);
    return window!;
  }
  const other = b.input({ shape: [1, frames + 1, C], q: s.add.q });
  const [sum] = b.op('ADD', [window!, other], [{ shape: [1, frames + 1, C], q: s.add.out }], { activation: 'NONE' });
  b.output(sum!);
  return sum!;
}

export function streamingGraph(s: StreamingSpec) {
  const b = new GraphBuilder('streaming');
  addStreamingState(b, s, 'state');
  return b.build();
}
