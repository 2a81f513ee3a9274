// SPDX-License-Identifier: Apache-2.0
/** DEPTHWISE_CONV_2D's one-line description of a layer, shared by its variants. */
import type { DepthwiseConv2DParams } from './contract.ts';

export function summary(p: DepthwiseConv2DParams): string {
  const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW;
  return (
    `DEPTHWISE_CONV_2D [${p.batches},${p.inH},${p.inW},${p.inC}] * [1,${p.kH},${p.kW},${p.outC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}]` +
    ` multiplier ${p.depthMultiplier} stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}, ${macCount} MACs`
  );
}
