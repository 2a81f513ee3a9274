// SPDX-License-Identifier: Apache-2.0
/** CONV_2D facts the variants share: the pointwise test and the layer's one-line description. */
import type { Conv2DParams } from './contract.ts';

// the pointwise test lives with the conv geometry, where the Arm DSP convolution (common/isa/dsp_conv/) reads it too
export { isPointwise } from '../common/families/conv_geometry.ts';

export function summary(p: Conv2DParams): string {
  const macCount = p.batches * p.outH * p.outW * p.outC * p.kH * p.kW * p.filterInC;
  return (
    `CONV_2D [${p.batches},${p.inH},${p.inW},${p.inC}] * [${p.outC},${p.kH},${p.kW},${p.filterInC}] -> [${p.batches},${p.outH},${p.outW},${p.outC}]` +
    ` stride ${p.strideH}x${p.strideW} dilation ${p.dilationH}x${p.dilationW} pad ${p.padTop},${p.padLeft}${p.groups > 1 ? ` groups ${p.groups}` : ''}, ${macCount} MACs`
  );
}
