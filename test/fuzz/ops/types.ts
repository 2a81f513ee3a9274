// SPDX-License-Identifier: Apache-2.0
/**
 * What a fuzz generator is: a function that adds one random, valid component (its own input
 * tensors, one op or a small chain, its outputs) to a graph being built. The fuzzer puts many
 * components side by side in one model (one build and one emulator run per batch), runs it through
 * TFLite Micro (`tflm-ref`), our TS reference, the host C and the emulated boards, and on a mismatch
 * re-runs the guilty component alone as a minimal reproducer.
 */
import type { GraphBuilder } from '../../helpers/graph_builder.ts';
import type { ValidFlag } from '../../helpers/valid_frames.ts';

export type { ValidFlag } from '../../helpers/valid_frames.ts';

/**
 * Activation type of a component: int8, 16x8 (int16 activations, int8 weights), float32 (a float
 * model), or hybrid (int8 -> DEQUANTIZE -> float32 ops -> QUANTIZE).
 */
export type FuzzDType = 'int8' | 'int16' | FloatForm;

/** The float forms of a component (test/fuzz/ops/float.ts). */
export type FloatForm = 'float32' | 'hybrid';

export interface FuzzContext {
  b: GraphBuilder;
  /** uniform in [0, 1), deterministic from the seed */
  rand: () => number;
  /** the integer activation type (int8 for a float component, whose int8 generator is run in float) */
  dtype: 'int8' | 'int16';
  /** a float component's form: float32 throughout, or int8 -> DEQUANTIZE -> float ops -> QUANTIZE */
  floatForm?: FloatForm;
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
  /**
   * Its ops keep state from one invocation to the next (TFLite Micro's signal ops: circular buffers,
   * noise estimates): its components run over several frames without a reset, apart from the
   * stateless ones (`SEQUENCE_FRAMES` in batch.ts).
   */
  stateful?: boolean;
  /** adds one component: inputs via b.input, ops via b.op, outputs via b.output */
  generate(ctx: FuzzContext): void | ComponentFacts;
}

/** What a generator says about the component it drew, when the comparison needs it. */
export interface ComponentFacts {
  /**
   * Outputs (positions among the component's own) that TFLite Micro writes only while a bool output
   * says so (SignalFramer, SignalStacker): an unwritten frame holds its arena's bytes there, zeros
   * in ours, and is compared as zeros (test/helpers/valid_frames.ts).
   */
  validFlags?: ValidFlag[];
}
