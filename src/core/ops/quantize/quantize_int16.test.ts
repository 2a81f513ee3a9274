// SPDX-License-Identifier: Apache-2.0
/**
 * QUANTIZE between int8, int16 and int32: random layers from the int16 fuzz generator (int16->int16, int16<->int8, int8/int16->int32, int32->int8/int16) against TensorFlow Lite Micro
 * (tflm-ref) byte for byte, and the emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan + UBSan)
 * against the reference kernel.
 */
import { expect } from 'chai';
import def from './index.ts';
import { OpError } from '../../errors.ts';
import type { DType } from '../../ir/graph.ts';
import { evaluateOp, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference, expectTflmAgrees } from '../../../../test/helpers/op_checks.ts';
import { tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { int16Cases } from '../../../../test/helpers/int16_cases.ts';

describe('QUANTIZE between int8, int16 and int32 against TFLite Micro', () => {
  it('TFLite Micro (tflm-ref) gives the same bytes on 60 random layers: int16->int16, int16<->int8, int8/int16->int32, int32->int8/int16', function () {
    if (!tflmRefAvailable(this)) return;
    expectTflmAgrees(def, int16Cases('quantize-int16', 60, 1));
  });

  const layer = (from: DType, si: number, to: DType, so: number, zo = 0) =>
    singleOpGraph('QUANTIZE', [{ shape: [4], dtype: from, scale: si, zeroPoint: 0 }], [{ shape: [4], dtype: to, scale: so, zeroPoint: zo }]);

  it('hand-computed: int32 -> int16 saturates, int16 -> int32 widens, int8 -> int32 with the output scale', () => {
    const a = layer('int32', 1 / 65536, 'int16', 1 / 256);
    expect(Array.from(evaluateOp(def, a.graph, a.op, [Int32Array.from([256, -256 * 3, 2147483647, -2147483648])])[0] as Int16Array)).to.deep.equal([
      1, -3, 32767, -32768,
    ]);
    const b = layer('int16', 0.5, 'int32', 1 / 1024);
    expect(Array.from(evaluateOp(def, b.graph, b.op, [Int16Array.from([1, -1, 32767, -32768])])[0] as Int32Array)).to.deep.equal([
      512,
      -512,
      32767 * 512,
      -32768 * 512,
    ]);
  });

  it('refuses float32 -> int32 and int32 -> int32 (not QUANTIZE cases TFLite Micro runs)', () => {
    for (const from of ['float32', 'int32'] as const) {
      const { graph, op } = layer(from, 0.5, 'int32', 0.25);
      expect(() => def.check(graph, op)).to.throw(OpError, new RegExp(`${from} -> int32 is not a QUANTIZE TFLite Micro runs`));
    }
  });

  it('emitted C equals the reference kernel on 30 random layers', () => {
    expectCMatchesReference(int16Cases('quantize-int16', 30, 2).map((c) => ({ def, ...c })));
  });
});
