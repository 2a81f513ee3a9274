// SPDX-License-Identifier: Apache-2.0
import type { OpDef } from '../op.ts';
import { type BlockParams, blockParams, emitBlocks, evaluateBlocks } from '../common/families/space_depth.ts';

/**
 * SPACE_TO_DEPTH (TFLite Micro's reference SpaceToDepth): each block_size × block_size patch of an
 * NHWC image becomes one pixel with the patch's channels side by side. Pure data movement.
 */
const spaceToDepth: OpDef<BlockParams> = {
  kind: 'SPACE_TO_DEPTH',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    blockParams(graph, op, true);
  },

  prepare(graph, op) {
    return blockParams(graph, op, true);
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateBlocks(p, inputs[0]! as unknown as unknown[], outputs[0]! as unknown as unknown[], true);
  },

  emitC: emitBlocks,
};

export default spaceToDepth;
