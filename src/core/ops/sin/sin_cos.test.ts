// SPDX-License-Identifier: Apache-2.0
/**
 * SIN and COS (float32 only): the kernel's own sinf / cosf (sincos.ts). Hand-checked values and the
 * bits of 2/pi, the refusals, the emitted C against the TS reference bit for bit (host, ASan +
 * UBSan), and TFLite Micro (glibc's sinf / cosf) within SINCOS_ULP on inputs of every kind: zeros
 * of both signs, subnormals, values near multiples of pi/2, huge arguments up to the largest float,
 * infinities and NaNs.
 */
import { expect } from 'chai';
import sin from './index.ts';
import cos from '../cos/index.ts';
import { SINCOS_ULP, TWO_OVER_PI_WORDS, sincosBits } from './sincos.ts';
import { OpError } from '../../errors.ts';
import type { OpDef } from '../op.ts';
import { floatUlpBound } from '../common/families/float_libm.ts';
import { fromBits, toBits } from '../common/families/float_unary.ts';
import { ulpDistanceBits } from '../common/numerics/float_ulp.ts';
import { toBytes } from '../../ir/buffers.ts';
import { evaluateOp, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { trigInputs } from '../../../../test/helpers/float_trig_cases.ts';

const SHAPES = [[400], [1, 8, 8, 3], [3, 70], [1]];
const OPS: [string, OpDef][] = [
  ['SIN', sin],
  ['COS', cos],
];
const graphOf = (kind: string, shape: number[]) => singleOpGraph(kind, [{ shape, dtype: 'float32' }], [{ shape, dtype: 'float32' }]);

describe("SIN and COS (float32, the kernel's own sinf / cosf)", () => {
  it('computes the bits of 2/pi, and gives known values (hand-checked)', () => {
    // 2/pi = 0.A2F9836E 4E441529 FC2757D1 F534DDC0 ... in hexadecimal
    expect(TWO_OVER_PI_WORDS.slice(0, 4)).to.deep.equal([0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0]);
    const s = (x: number) => fromBits(sincosBits(toBits(x), false));
    const c = (x: number) => fromBits(sincosBits(toBits(x), true));
    expect([s(0), c(0), s(Math.fround(Math.PI / 6)), c(Math.fround(Math.PI / 3))]).to.deep.equal([0, 1, Math.fround(0.5), Math.fround(0.49999997)]);
    expect(Object.is(s(-0), -0), 'sin(-0) = -0').to.equal(true);
    expect(s(1e-40), 'sin of a subnormal is itself').to.equal(Math.fround(1e-40));
    // float(pi) = 3.14159274...: sin = -8.742278e-8 (pi - float(pi))
    expect(s(Math.fround(Math.PI))).to.equal(Math.fround(-8.742278e-8));
    expect(sincosBits(0x7f800000, false), 'sin(inf): x86 default NaN').to.equal(0xffc00000);
    expect(sincosBits(0x7fa00001, true), 'a NaN comes out quieted').to.equal(0x7fe00001);
  });

  it('states one ULP bound, SINCOS_ULP, for both ops', () => {
    expect(floatUlpBound('SIN')).to.equal(SINCOS_ULP);
    expect(floatUlpBound('COS')).to.equal(SINCOS_ULP);
  });

  it('refuse int8 and int16 in one line (TFLite Micro has no quantized kernel)', () => {
    for (const [kind, def] of OPS) {
      const { graph, op } = singleOpGraph(kind, [{ shape: [2], scale: 0.1, zeroPoint: 0 }], [{ shape: [2], scale: 0.1, zeroPoint: 0 }]);
      expect(() => def.check(graph, op), kind).to.throw(OpError, new RegExp(`${kind}.*input.*int8.*float32 only`));
      const i16 = singleOpGraph(kind, [{ shape: [2], dtype: 'int16', scale: 0.1 }], [{ shape: [2], dtype: 'int16', scale: 0.1 }]);
      expect(() => def.check(i16.graph, i16.op), kind).to.throw(OpError, /int16.*float32 only/);
    }
  });

  it('the emitted C gives the reference bits', () => {
    const rand = rng(271);
    expectCMatchesReference(
      OPS.flatMap(([kind, def]) =>
        SHAPES.map((shape) => ({
          // the harness writes C float literals, which carry no NaN payload: NaNs are checked against TFLM only
          def,
          ...graphOf(kind, shape),
          inputs: [
            trigInputs(
              rand,
              shape.reduce((a, b) => a * b, 1),
              false,
            ) as unknown as Int8Array,
          ],
        })),
      ),
    );
  });

  for (const [k, [kind, def]] of OPS.entries()) {
    it(`${kind}: within ${SINCOS_ULP} ULP of TFLite Micro (glibc), NaNs with TFLite Micro's bits`, function () {
      if (!tflmRefAvailable(this)) return;
      const rand = rng(281 + k);
      let worst = 0;
      for (const shape of SHAPES) {
        const { graph, op } = graphOf(kind, shape);
        const x = trigInputs(
          rand,
          shape.reduce((a, b) => a * b, 1),
          true,
        );
        const ours = new Uint32Array((evaluateOp(def, graph, op, [x])[0] as Float32Array).slice().buffer);
        const theirs = new Uint32Array(tflmOutputs(graph, [new Uint8Array(toBytes(x))])[0]!.slice().buffer);
        ours.forEach((o, i) => {
          const d = ulpDistanceBits(o, theirs[i]!);
          if ((o & 0x7f800000) === 0x7f800000 && o & 0x7fffff) expect(o, `${kind} NaN bits at ${i}`).to.equal(theirs[i]);
          expect(d, `${kind}(${fromBits(new Uint32Array(x.buffer)[i]!)}) at ${i}`).to.be.at.most(SINCOS_ULP);
          worst = Math.max(worst, d);
        });
      }
      if (process.env.TINYFORGE_PRINT_ULPS) console.log(kind, 'worst ULP against TFLite Micro', worst);
    });
  }
});
