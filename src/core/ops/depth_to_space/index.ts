// SPDX-License-Identifier: Apache-2.0
import type { OpDef } from '../op.ts';
import { type BlockParams, blockParams, emitBlocks, evaluateBlocks } from '../common/families/space_depth.ts';

/**
 * DEPTH_TO_SPACE (TFLite Micro's reference DepthToSpace, DCR order): the inverse of SPACE_TO_DEPTH,
 * each pixel's channels spread over a block_size × block_size patch. Shares its kernel and template.
 */
const depthToSpace: OpDef<BlockParams> = {
  kind: 'DEPTH_TO_SPACE',
  dir: import.meta.dirname,
  // copies stored values, whatever their type: float32 layers run the same C (TFLite Micro's float kernel is the same copy)
  floatKernel: true,

  check(graph, op) {
    blockParams(graph, op, false);
  },

  prepare(graph, op) {
    return blockParams(graph, op, false);
  },

  macs() {
    return 0;
  },

  evaluate(p, inputs, outputs) {
    evaluateBlocks(p, inputs[0]! as unknown as unknown[], outputs[0]! as unknown as unknown[], false);
  },

  emitC: emitBlocks,
};

export default depthToSpace;
