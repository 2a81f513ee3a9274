// SPDX-License-Identifier: Apache-2.0
/**
 * SOFTMAX and LOG_SOFTMAX sums of exponentials. int8: each term of the Q12.19 sum is at most 2^19, so
 * rows of 4,096 equal values reach 2^31; SOFTMAX sums with tf_add_wrap (uint32_t) and wraps as TFLite
 * Micro, LOG_SOFTMAX, whose log is undefined on the wrapped sum (in TFLite Micro too), refuses rows past
 * 4,095. int16 SOFTMAX: exps of at most 32767 in int32, rows past 65,538 refused for the same reason.
 * The C states each bound; UBSan (no recovery) sees nothing at the edges.
 */
import { expect } from 'chai';
import softmax from './index.ts';
import logSoftmax from '../log_softmax/index.ts';
import { OpError } from '../../errors.ts';
import { emitLayerC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, unaryGraph } from '../../../../test/helpers/op_checks.ts';
import type { KernelIsa } from '../op.ts';

const ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

const int8Softmax = (depth: number) => ({
  ...unaryGraph('SOFTMAX', [1, depth], { scale: 0.1, zeroPoint: 0 }, { scale: 1 / 256, zeroPoint: -128 }, { beta: 1 }),
  inputs: [new Int8Array(depth).fill(5)],
});
const int8LogSoftmax = (depth: number) => ({
  ...unaryGraph('LOG_SOFTMAX', [1, depth], { scale: 0.1, zeroPoint: 0 }, { scale: 16 / 256, zeroPoint: 127 }),
  inputs: [new Int8Array(depth).fill(-3)],
});
function int16Softmax(depth: number) {
  const shape = [1, depth];
  const g = singleOpGraph('SOFTMAX', [{ shape, dtype: 'int16', scale: 0.001, zeroPoint: 0 }], [{ shape, dtype: 'int16', scale: 1 / 32768, zeroPoint: 0 }], {
    beta: 1,
  });
  return { ...g, inputs: [new Int16Array(depth).fill(1234)] };
}

describe('SOFTMAX and LOG_SOFTMAX sums of exponentials: bounded, wrapping where defined, or refused', () => {
  it('int8 SOFTMAX: 4,095 equal values fit (the bound in the C), 4,096 wrap to -2^31 with tf_add_wrap; every kernel equals the reference under UBSan', function () {
    expect(emitLayerC(softmax, int8Softmax(4095))).to.contain('sum <= 4095 x 2^19 = 2146959360 < 2^31: no wrap');
    expect(emitLayerC(softmax, int8Softmax(4096))).to.contain('past 2^31: tf_add_wrap wraps (defined)');
    expectCMatchesReference([int8Softmax(4095), int8Softmax(4096), int8Softmax(5000)].flatMap((c) => ISAS.map((isa) => ({ def: softmax, ...c, isa }))));
  });

  it('int8 LOG_SOFTMAX: rows of 4,095 run (UBSan, against the reference), 4,096 are refused', function () {
    expect(emitLayerC(logSoftmax, int8LogSoftmax(4095))).to.contain('sum <= 4095 x 2^19 = 2146959360 < 2^31: no wrap');
    expectCMatchesReference([{ def: logSoftmax, ...int8LogSoftmax(4095) }]);
    const past = int8LogSoftmax(4096);
    expect(() => logSoftmax.check(past.graph, past.op)).to.throw(OpError, /reaches 4096 x 2\^19, past 2\^31/);
  });

  it('int16 SOFTMAX: rows of 65,538 run (UBSan, against the reference), 65,539 are refused', function () {
    const edge = int16Softmax(65_538);
    softmax.check(edge.graph, edge.op);
    expect(emitLayerC(softmax, edge)).to.contain('<= 65538 x 32767 < 2^31');
    expectCMatchesReference([{ def: softmax, ...edge }]);
    const past = int16Softmax(65_539);
    expect(() => softmax.check(past.graph, past.op)).to.throw(OpError, /reaches 65539 x 32767, past 2\^31/);
  });
});
