// SPDX-License-Identifier: Apache-2.0
/** The shape of an ONNX op's lowering (one file per op in this folder; the table is in index.ts). */
import type { Lowering } from '../lowering.ts';
import type { OnnxNodeProto } from '../schema.ts';

export interface OnnxOpLowering {
  /**
   * The oldest opset of the default domain whose definition of the op this lowering reads correctly
   * (models declaring opset 13 or later are read whatever this says; older ones only for ops whose
   * definition has not changed in a way that matters since this version).
   */
  minOpset: number;
  /** Adds the op's IR ops and binds its outputs in `ctx.values`. */
  lower(ctx: Lowering, node: OnnxNodeProto): void;
}
