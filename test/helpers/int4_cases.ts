// SPDX-License-Identifier: Apache-2.0
/**
 * Random CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED layers with int4-valued weights (the int4
 * kernels' tests): rv32_cases.ts's generators (odd and single channels, zero points, per-channel
 * and per-tensor scales, biases, activations), their weights redrawn in [-8, 7] and marked
 * `storageBits: 4` on some, for each ISA family.
 */
import type { KernelIsa } from '../../src/core/ops/op.ts';
import fc from '../../src/core/ops/fully_connected/index.ts';
import conv from '../../src/core/ops/conv_2d/index.ts';
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import { type CCase, randomInt, randomInt8, rng } from './op_harness.ts';
import { randomConv, randomDepthwise, randomFc, randomPointwise } from './rv32_cases.ts';

export const FAMILY_ISAS: { family: string; isa: KernelIsa | undefined }[] = [
  { family: 'arm-dsp', isa: { dsp: true } },
  { family: 'armv6m', isa: { dsp: false, armv6m: true } },
  { family: 'rv32', isa: { dsp: false, rv32: true } },
  { family: 'portable', isa: undefined },
];

/** The case with its weights redrawn in [-8, 7] (sometimes only [-8, 0] or [0, 7]: the nibble extremes). */
export function withInt4Weights(c: CCase, rand: () => number, isa: KernelIsa | undefined): CCase {
  const w = c.graph.tensors[c.op.inputs[1]!]!;
  const style = randomInt(rand, 0, 3);
  const lo = style === 1 ? 0 : -8;
  const hi = style === 2 ? 0 : 7;
  const values = randomInt8(rand, w.data!.length, lo, hi);
  if (style === 3) values[0] = -8;
  w.data = new Uint8Array(values.buffer);
  // (DEPTHWISE_CONV_2D takes the int4 kernel only for weights stored as INT4)
  if (rand() < 0.5 || c.op.kind === 'DEPTHWISE_CONV_2D') w.storageBits = 4;
  // TFLite checks a per-tensor bias scale against input scale * weight scale
  const bias = c.op.inputs[2]! >= 0 ? c.graph.tensors[c.op.inputs[2]!] : undefined;
  const inScale = c.graph.tensors[c.op.inputs[0]!]!.quant!.scale[0]!;
  if (bias) {
    const scales = w.quant!.scale.length === 1 ? [w.quant!.scale[0]! * inScale] : w.quant!.scale.map((s) => s * inScale);
    bias.quant = { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 };
  }
  return { ...c, isa };
}

export type Int4Kind = 'fc' | 'pointwise' | 'conv' | 'depthwise';

/** `n` random layers of one kind for one ISA. */
export function int4Cases(kind: Int4Kind, seed: number, n: number, isa: KernelIsa | undefined): CCase[] {
  const rand = rng(seed);
  const cases: CCase[] = [];
  while (cases.length < n) {
    const c =
      kind === 'fc'
        ? randomFc(fc, rand)
        : kind === 'pointwise'
          ? randomPointwise(conv, rand)
          : kind === 'conv'
            ? randomConv(conv, rand)
            : randomDepthwise(depthwise, rand);
    if (!c) continue;
    // long rows too: the DSP pairs' 8-value words and their tails
    cases.push(withInt4Weights(c, rand, isa));
  }
  return cases;
}
