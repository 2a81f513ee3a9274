// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import conv from '../conv_2d/index.ts';
import depthwise from '../depthwise_conv_2d/index.ts';
import type { FusedActivation, Padding } from '../../ir/graph.ts';
import type { KernelIsa, OpDef } from '../op.ts';
import { selectVariant } from '../variant.ts';
import { outputSize } from './padding.ts';
import { SPARSE_TAPS_MIN_ZEROS, encodeConvTaps } from './sparse_taps.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../test/helpers/op_harness.ts';

const FAMILIES: { isa: KernelIsa | undefined; name: string }[] = [
  { isa: undefined, name: 'sparse' },
  { isa: { dsp: true }, name: 'arm-dsp sparse' },
  { isa: { dsp: false, armv6m: true }, name: 'armv6m sparse' },
  { isa: { dsp: false, rv32: true }, name: 'rv32 sparse' },
];
const FORMS = ['groups', 'offsets'] as const;
const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6'];

/** Weights with about `zeros` of them exactly zero (and, sometimes, long runs of zeros). */
function prunedWeights(rand: () => number, count: number, zeros: number): Int8Array {
  const w = randomInt8(rand, count, -127, 127);
  for (let i = 0; i < count; i++) if (rand() < zeros || w[i] === 0) w[i] = 0;
  return w;
}

/** A random pruned CONV_2D (`depthwise` false) or DEPTHWISE_CONV_2D layer for `isa`. */
export function sparseConvCase(rand: () => number, isDepthwise: boolean, isa: KernelIsa | undefined, zeros: number): CCase | undefined {
  const k = rand() < 0.4 ? [3, 3] : [randomInt(rand, 1, 5), randomInt(rand, 1, 5)];
  const stride: [number, number] = [randomInt(rand, 1, 3), randomInt(rand, 1, 3)];
  const dilation: [number, number] = rand() < 0.7 ? [1, 1] : [randomInt(rand, 1, 2), randomInt(rand, 1, 2)];
  const padding: Padding = rand() < 0.6 ? 'SAME' : 'VALID';
  // wide inputs sometimes: a gap over 255 channels needs fillers
  const inC = rand() < 0.1 ? randomInt(rand, 256, 600) : randomInt(rand, 1, 24);
  const input: [number, number, number, number] = [rand() < 0.15 ? 2 : 1, randomInt(rand, 1, 9), randomInt(rand, 1, 9), inC];
  const outH = outputSize(padding, input[1], k[0]!, stride[0], dilation[0]);
  const outW = outputSize(padding, input[2], k[1]!, stride[1], dilation[1]);
  if (outH < 1 || outW < 1) return undefined;
  const mult = isDepthwise ? randomInt(rand, 1, 3) : 1;
  const groups = !isDepthwise && inC <= 24 && rand() < 0.2 ? [1, 2, 3].filter((g) => inC % g === 0).pop()! : 1;
  const outC = isDepthwise ? inC * mult : groups * randomInt(rand, 1, 12);
  const filterInC = inC / groups;
  const taps = k[0]! * k[1]!;
  const perChannel = rand() < 0.6;
  const weightCount = isDepthwise ? taps * outC : outC * taps * filterInC;
  const { graph, op } = singleOpGraph(
    isDepthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
    [
      { shape: input, scale: 0.001 + rand() * 0.1, zeroPoint: rand() < 0.2 ? 0 : randomInt(rand, -128, 127) },
      {
        shape: isDepthwise ? [1, k[0]!, k[1]!, outC] : [outC, k[0]!, k[1]!, filterInC],
        scale: perChannel ? Array.from({ length: outC }, () => 0.001 + rand() * 0.05) : 0.01,
        axis: isDepthwise ? 3 : 0,
        data: prunedWeights(rand, weightCount, zeros),
      },
      rand() < 0.7 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)) } : null,
    ],
    [{ shape: [input[0], outH, outW, outC], scale: rand() < 0.2 ? 0.00005 : 0.002 + rand() * 0.1, zeroPoint: randomInt(rand, -128, 127) }],
    {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      activation: ACTIVATIONS[randomInt(rand, 0, 2)]!,
      ...(isDepthwise ? { depthMultiplier: mult } : {}),
    },
  );
  const def = (isDepthwise ? depthwise : conv) as OpDef;
  return {
    def,
    graph,
    op,
    inputs: [
      randomInt8(
        rand,
        input.reduce((a, b) => a * b, 1),
      ),
    ],
    isa,
  };
}

/** Runs `work` with the sparse kernels forced, in one form. */
function withForcedSparse<T>(form: string, work: () => T): T {
  const before = [process.env.TINYFORGE_SPARSE_KERNELS, process.env.TINYFORGE_SPARSE_FORM];
  process.env.TINYFORGE_SPARSE_KERNELS = 'force';
  process.env.TINYFORGE_SPARSE_FORM = form;
  try {
    return work();
  } finally {
    const restore = (name: string, v: string | undefined) => (v === undefined ? delete process.env[name] : (process.env[name] = v));
    restore('TINYFORGE_SPARSE_KERNELS', before[0]);
    restore('TINYFORGE_SPARSE_FORM', before[1]);
  }
}

describe('sparse CONV_2D and DEPTHWISE_CONV_2D (common/sparse_taps.ts)', () => {
  it('encodes tap groups of channel entries, bridging channel gaps over 255 with zero fillers', () => {
    // one output channel, 2 taps of 600 channels: tap 0 has channels 3 and 600-1, tap 1 nothing but channel 0
    const w = new Int8Array(2 * 600);
    w[3] = 5;
    w[599] = -7;
    w[600] = 9;
    for (let i = 0; i < w.length; i++) if (i !== 3 && i !== 599 && i !== 600) w[i] = 0;
    const s = encodeConvTaps(w, 1, 2, 600)!;
    expect(Array.from(s.groups)).to.deep.equal([2]);
    expect(Array.from(s.taps)).to.deep.equal([0, 1]);
    expect(Array.from(s.counts)).to.deep.equal([4, 1]);
    expect(Array.from(s.values)).to.deep.equal([5, 0, 0, -7, 9]);
    expect(Array.from(s.deltas)).to.deep.equal([3, 255, 255, 86, 0]);
    expect(encodeConvTaps(prunedWeights(rng(1), 1000, SPARSE_TAPS_MIN_ZEROS - 0.2), 10, 10, 10)).to.equal(undefined);
  });

  it('every family kernel of both forms equals the reference on random layers, sparsities 40..99%, zero points, padding, dilation (host C, ASan + UBSan)', () => {
    const rand = rng(1414);
    const cases: CCase[] = [];
    const results: Uint8Array[][] = [];
    for (const form of FORMS) {
      const formCases: CCase[] = [];
      withForcedSparse(form, () => {
        for (const { isa, name } of FAMILIES) {
          for (const isDepthwise of [false, true]) {
            let made = 0;
            while (made < 5) {
              const zeros = [0.4, 0.6, 0.8, 0.95, 0.99][made % 5]!;
              const c = sparseConvCase(rand, isDepthwise, isa, zeros);
              if (!c) continue;
              const p = c.def.prepare(c.graph, c.op) as { sparse?: unknown; sparseOffsets?: unknown };
              if (!(form === 'groups' ? p.sparse : p.sparseOffsets)) continue;
              expect(selectVariant(c.def, p, isa).name).to.equal(`${name} ${form}`);
              formCases.push(c);
              made++;
            }
          }
        }
        results.push(...runCasesInC(formCases));
      });
      cases.push(...formCases);
    }
    cases.forEach((c, k) => {
      const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k} ${c.op.kind}`).to.equal(undefined);
    });
  });
});
