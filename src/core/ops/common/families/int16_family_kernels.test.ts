// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 family kernels of the element-wise, pooling, reduction and softmax ops (ADD, SUB, MUL,
 * AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX) on Arm DSP, Armv6-M and RV32 against the TS int16
 * reference (itself checked against tflm-ref in the ops' *_int16_tflm tests), on the host under ASan +
 * UBSan (the DSP kernels through arm_dsp.h's C twins): random layers from the int16 fuzz generators
 * (shapes, broadcasting, scales, extreme ones included, fused activations, windows, axes), random
 * int16 inputs with the range's ends; and each layer is checked to take the family's kernel.
 */
import { expect } from 'chai';
import add from '../../add/index.ts';
import sub from '../../sub/index.ts';
import mul from '../../mul/index.ts';
import mean from '../../mean/index.ts';
import sum from '../../sum/index.ts';
import softmax from '../../softmax/index.ts';
import averagePool from '../../average_pool_2d/index.ts';
import maxPool from '../../max_pool_2d/index.ts';
import type { KernelIsa, OpDef } from '../../op.ts';
import { selectVariant } from '../../variant.ts';
import { expectCMatchesReference } from '../../../../../test/helpers/op_checks.ts';
import { int16Cases } from '../../../../../test/helpers/int16_cases.ts';

const ISAS: [string, KernelIsa][] = [
  ['arm-dsp', { dsp: true }],
  ['armv6m', { dsp: false, armv6m: true }],
  ['rv32', { dsp: false, rv32: true }],
];

/** op, its generator, how many random layers */
const OPS: [string, OpDef, string][] = [
  ['ADD', add, 'add-int16'],
  ['SUB', sub, 'sub-int16'],
  ['MUL', mul, 'mul-int16'],
  ['SOFTMAX', softmax, 'softmax-int16'],
  ['AVERAGE_POOL_2D', averagePool, 'avg-pool-int16'],
  ['MAX_POOL_2D', maxPool, 'max-pool-int16'],
  ['MEAN', mean, 'mean-int16'],
  ['SUM', sum, 'sum-int16'],
];

describe('16x8 family kernels (element-wise, pools, MEAN, SOFTMAX) against the int16 reference', () => {
  for (const [family, isa] of ISAS) {
    for (const [kind, def, generator] of OPS) {
      it(`${family}: 60 random ${kind} layers take the ${family} kernel and equal the reference`, () => {
        // (the softmax generator's int8-in, int16-out layers are int8 SOFTMAX layers: left out)
        const cases = int16Cases(generator, 60, 300 + kind.length)
          .filter((c) => c.graph.tensors[c.op.inputs[0]!]!.dtype === 'int16')
          .map((c) => ({ def, ...c, isa }));
        for (const c of cases) {
          // a one-element reduction (every dimension 1) has no loop to speed up: it stays portable
          const single = (kind === 'MEAN' || kind === 'SUM') && c.graph.tensors[c.op.inputs[0]!]!.shape.every((d) => d === 1);
          expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), isa).name, c.graph.name).to.equal(single ? 'portable int16' : `${family} int16`);
        }
        expectCMatchesReference(cases);
      });
    }
  }
});
