import type { OpDef } from './op.ts';
import conv2d from './conv_2d/index.ts';
import depthwiseConv2d from './depthwise_conv_2d/index.ts';
import fullyConnected from './fully_connected/index.ts';
import averagePool2d from './average_pool_2d/index.ts';
import maxPool2d from './max_pool_2d/index.ts';
import add from './add/index.ts';
import reshape from './reshape/index.ts';
import softmax from './softmax/index.ts';
import quantize from './quantize/index.ts';
import dequantize from './dequantize/index.ts';

/** Every builtin op tinyforge compiles, by TFLite builtin name. */
export const OPS: ReadonlyMap<string, OpDef> = new Map(
  [conv2d, depthwiseConv2d, fullyConnected, averagePool2d, maxPool2d, add, reshape, softmax, quantize, dequantize].map((d) => [d.kind, d]),
);

export function opDef(kind: string): OpDef | undefined {
  return OPS.get(kind);
}
