// SPDX-License-Identifier: Apache-2.0
/**
 * Random layers for the Xtensa variant tests (common/isa/xtensa.test.ts, xtensa_emulated.test.ts):
 * the shapes the RV32 generators (rv32_cases.ts) do not reach often enough.
 */
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { type CCase, randomInt, randomInt8, singleOpGraph } from './op_harness.ts';

/** The ESP32's kernel ISA (targets/esp32.json). */
export const ESP32: KernelIsa = { dsp: false, xtensa: true, mac16: true };

/** A random 3x3 depthwise layer at multiplier 1 (the MAC16 row kernel's shape): strides 1-2, SAME or VALID. */
export function randomDepthwise3x3(def: OpDef, rand: () => number): CCase {
  for (;;) {
    const c = randomInt(rand, 1, 19);
    const stride: [number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
    const padding = rand() < 0.7 ? 'SAME' : 'VALID';
    const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 13), randomInt(rand, 1, 13), c];
    const outH = outputSize(padding, input[1], 3, stride[0], 1);
    const outW = outputSize(padding, input[2], 3, stride[1], 1);
    if (outH < 1 || outW < 1) continue;
    const perChannel = rand() < 0.7;
    const scales = perChannel ? Array.from({ length: c }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05;
    const bias = rand() < 0.8 ? Int32Array.from({ length: c }, () => randomInt(rand, -5000, 5000)) : undefined;
    const { graph, op } = singleOpGraph(
      'DEPTHWISE_CONV_2D',
      [
        { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) },
        { shape: [1, 3, 3, c], scale: scales, axis: 3, data: randomInt8(rand, 9 * c) },
        bias ? { shape: [c], dtype: 'int32', data: bias } : null,
      ],
      [{ shape: [input[0], outH, outW, c], scale: rand() < 0.2 ? 0.00005 : 0.01 + rand() * 0.5, zeroPoint: randomInt(rand, -128, 127) }],
      {
        padding,
        strideH: stride[0],
        strideW: stride[1],
        dilationH: 1,
        dilationW: 1,
        activation: (['NONE', 'RELU', 'RELU6'] as const)[randomInt(rand, 0, 2)]!,
        depthMultiplier: 1,
      },
    );
    return {
      def,
      graph,
      op,
      inputs: [
        randomInt8(
          rand,
          input.reduce((a, v) => a * v, 1),
        ),
      ],
      isa: ESP32,
    };
  }
}
