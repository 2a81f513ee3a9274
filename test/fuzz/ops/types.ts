// SPDX-License-Identifier: Apache-2.0
/**
 * What a fuzz generator is: a function that adds one random, valid component (its own input
 * tensors, one op or a small chain, its outputs) to a graph being built. The fuzzer puts many
 * components side by side in one model (one build and one emulator run per batch), runs it through
 * TFLite Micro (`tflm-ref`), our TS reference, the host C and the emulated boards, and on a mismatch
 * re-runs the guilty component alone as a minimal reproducer.
 */
import type { GraphBuilder } from '../../helpers/graph_builder.ts';

/** Activation type of a component: int8, or 16x8 (int16 activations, int8 weights). */
export type FuzzDType = 'int8' | 'int16';

export interface FuzzContext {
  b: GraphBuilder;
  /** uniform in [0, 1), deterministic from the seed */
  rand: () => number;
  dtype: FuzzDType;
}

export interface FuzzGenerator {
  /** a short name: the op kind, or a chain's name (`conv-pool-fc`) */
  name: string;
  /** the ops it emits (for the campaign's per-op figures) */
  ops: string[];
  /** activation types it can generate */
  dtypes: FuzzDType[];
  /**
   * What the component's outputs are compared with: TFLite Micro (`tflm-ref`, the default), or, for
   * ops TFLite Micro has no kernel for (TILE), our TS reference, which the op's own tests check
   * against an independent expectation. Such components never go to tflm-ref.
   */
  oracle?: 'tflm' | 'ts-reference';
  /** adds one component: inputs via b.input, ops via b.op, outputs via b.output */
  generate(ctx: FuzzContext): void;
}
