// SPDX-License-Identifier: Apache-2.0
/** CONV_2D facts the variants share: the pointwise test and the layer's one-line description. */
import type { Conv2DParams } from './contract.ts';

/**
 * A 1x1 filter at stride 1 over all input channels visits every tap: the layer is a matrix product
 * over pixels, and the input offset folds into the accumulator start values at compile time.
 */
export function isPointwise(p: Conv2DParams): boolean {
  return p.kH === 1 && p.kW === 1 && p.strideH === 1 && p.strideW === 1 && p.groups === 1 && p.padTop === 0 && p.padLeft === 0;
}

export function summary(p: Conv2DParams): string {
  const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * p.filterInC;
  return (
    `CONV_2D [${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.filterInC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}]` +
    ` stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}${p.groups > 1 ? ` groups ${p.groups}` : ''}, ${macCount} MACs`
  );
}
