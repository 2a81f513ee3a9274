// SPDX-License-Identifier: Apache-2.0
/**
 * Random layers for the RV32IMC variant tests (conv_2d, depthwise_conv_2d and fully_connected
 * rv32.test.ts): cases with `isa: RV32`, and the check that the variant was chosen and matches the
 * TypeScript reference byte for byte (the host runs the same C the ESP32-C3 build compiles).
 */
import { expect } from 'chai';
import type { FusedActivation, Padding } from '../../src/core/ir/graph.ts';
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import { selectVariant } from '../../src/core/ops/variant.ts';
import { outputSize } from '../../src/core/ops/common/families/padding.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, runCasesInC, singleOpGraph } from './op_harness.ts';

export const RV32: KernelIsa = { dsp: false, rv32: true };

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

/** Output scales: mostly right shifts, sometimes tiny (left shifts: the tf_mbqm path). */
function outScale(rand: () => number): number {
  return rand() < 0.2 ? 0.00002 + rand() * 0.0002 : 0.01 + rand() * 0.5;
}

function channelScales(rand: () => number, n: number, perChannel: boolean): number | number[] {
  return perChannel ? Array.from({ length: n }, () => 0.001 + rand() * 0.05) : 0.001 + rand() * 0.05;
}

function bias(rand: () => number, n: number): Int32Array | undefined {
  if (rand() < 0.25) return undefined;
  const limit = rand() < 0.1 ? 2_000_000 : 5000;
  return Int32Array.from({ length: n }, () => randomInt(rand, -limit, limit));
}

export function randomFc(def: OpDef, rand: () => number): CCase {
  const batches = randomInt(rand, 1, 6);
  const inF = randomInt(rand, 1, 70);
  const out = randomInt(rand, 1, 21);
  const b = bias(rand, out);
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [batches, inF], scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      { shape: [out, inF], scale: channelScales(rand, out, rand() < 0.5), axis: 0, data: randomInt8(rand, out * inF) },
      b ? { shape: [out], dtype: 'int32', data: b } : null,
    ],
    [{ shape: [batches, out], scale: outScale(rand), zeroPoint: randomInt(rand, -128, 127) }],
    { activation: ACTIVATIONS[randomInt(rand, 0, 3)]!, keepNumDims: false },
  );
  return { def, graph, op, inputs: [randomInt8(rand, batches * inF)], isa: RV32 };
}

export function randomPointwise(def: OpDef, rand: () => number, depths: [number, number] = [1, 48]): CCase {
  const inC = randomInt(rand, depths[0], depths[1]);
  const outC = randomInt(rand, 1, 21);
  const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 5), randomInt(rand, 1, 5), inC];
  const b = bias(rand, outC);
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      { shape: [outC, 1, 1, inC], scale: channelScales(rand, outC, rand() < 0.7), data: randomInt8(rand, outC * inC) },
      b ? { shape: [outC], dtype: 'int32', data: b } : null,
    ],
    [{ shape: [input[0], input[1], input[2], outC], scale: outScale(rand), zeroPoint: randomInt(rand, -128, 127) }],
    { padding: rand() < 0.5 ? 'SAME' : 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: ACTIVATIONS[randomInt(rand, 0, 3)]! },
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
    isa: RV32,
  };
}

/**
 * A random CONV_2D of any shape (kernels 1-7, strides 1-3, dilation 1-2, SAME or VALID, odd and single
 * input channels, sometimes grouped), or undefined when the window leaves no output.
 */
export function randomConv(def: OpDef, rand: () => number): CCase | undefined {
  const groups = rand() < 0.15 ? randomInt(rand, 2, 3) : 1;
  const filterInC = rand() < 0.25 ? 1 : randomInt(rand, 1, 13);
  const inC = groups * filterInC;
  const outC = groups * randomInt(rand, 1, groups > 1 ? 6 : 13);
  const k: [number, number] = [randomInt(rand, 1, 7), randomInt(rand, 1, 7)];
  const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  const dilation: [number, number] = [rand() < 0.75 ? 1 : 2, rand() < 0.75 ? 1 : 2];
  const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
  // sometimes many tiny images: the last block of pixels spans images
  const tiny = rand() < 0.1;
  const input: [number, number, number, number] = tiny
    ? [randomInt(rand, 3, 7), randomInt(rand, 1, 2), randomInt(rand, 1, 2), inC]
    : [randomInt(rand, 1, 2), randomInt(rand, 1, 12), randomInt(rand, 1, 12), inC];
  const outH = outputSize(padding, input[1], k[0], stride[0], dilation[0]);
  const outW = outputSize(padding, input[2], k[1], stride[1], dilation[1]);
  if (outH < 1 || outW < 1) return undefined;
  const b = bias(rand, outC);
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      { shape: [outC, k[0], k[1], filterInC], scale: channelScales(rand, outC, rand() < 0.7), data: randomInt8(rand, outC * k[0] * k[1] * filterInC) },
      b ? { shape: [outC], dtype: 'int32', data: b } : null,
    ],
    [{ shape: [input[0], outH, outW, outC], scale: outScale(rand), zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
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
    isa: RV32,
  };
}

/**
 * A random depthwise layer (multipliers 1-4 mostly, some 5-16 and a prime 11; any channel count), or
 * undefined when the window leaves no output.
 */
export function randomDepthwise(def: OpDef, rand: () => number): CCase | undefined {
  const mult = [1, 1, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16][randomInt(rand, 0, 15)]!;
  const inC = mult === 1 ? randomInt(rand, 1, 17) : randomInt(rand, 1, mult > 4 ? 2 : 5);
  const outC = inC * mult;
  const k = [randomInt(rand, 1, 7), rand() < 0.1 ? randomInt(rand, 17, 19) : randomInt(rand, 1, 7)];
  const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  const dilation: [number, number] = [rand() < 0.8 ? 1 : 2, rand() < 0.8 ? 1 : 2];
  const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
  const input: [number, number, number, number] = [randomInt(rand, 1, 2), randomInt(rand, 1, 10), randomInt(rand, 1, 22), inC];
  const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
  const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
  if (outH < 1 || outW < 1) return undefined;
  const b = bias(rand, outC);
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) },
      { shape: [1, k[0]!, k[1]!, outC], scale: channelScales(rand, outC, rand() < 0.6), axis: 3, data: randomInt8(rand, k[0]! * k[1]! * outC) },
      b ? { shape: [outC], dtype: 'int32', data: b } : null,
    ],
    [{ shape: [input[0], outH, outW, outC], scale: outScale(rand), zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      activation: ACTIVATIONS[randomInt(rand, 0, 3)]!,
      depthMultiplier: mult,
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
    isa: RV32,
  };
}

/** Every case runs the rv32 variant and equals the TypeScript reference byte for byte. */
export function expectRv32BitExact(cases: CCase[]): void {
  for (const c of cases) expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), RV32).family, c.graph.tensors[1]!.shape.join('x')).to.equal('rv32');
  const results = runCasesInC(cases);
  cases.forEach((c, i) => {
    const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
    const shapes = c.op.inputs.map((t) => (t >= 0 ? JSON.stringify(c.graph.tensors[t]!.shape) : '-')).join(' ');
    expect(firstDifference(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength), results[i]![0]!), `case ${i} ${shapes}`).to.equal(
      undefined,
    );
  });
}
