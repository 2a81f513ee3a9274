// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX Runtime's lookup tables (common/numerics/ort_lookup.ts) against native ONNX Runtime: for
 * random input and output quantizations (powers of two, arbitrary scales, 1/256; every zero point),
 * int8 and uint8, the QLinearSigmoid / QLinearLeakyRelu node and its QDQ form (which ORT fuses into
 * it), all 256 entries of each table equal ORT's outputs for the 256 stored values.
 */
import { expect } from 'chai';
import { OnnxBuilder, attrFloat, seeded } from '../helpers/onnx_builder.ts';
import { loadOrt } from '../helpers/onnx_qdq.ts';
import { runOnnxModel } from '../../src/lab/run/onnxruntime.ts';
import { f32 } from '../../src/core/ops/common/numerics/fixedpoint.ts';
import { fmaF32, mlasLogisticFma3, ortLeakyRelu, ortLookupValue } from '../../src/core/ops/common/numerics/ort_lookup.ts';

type Act = 'int8' | 'uint8';

async function ortTable(
  op: 'Sigmoid' | 'LeakyRelu',
  form: 'qop' | 'qdq',
  t: Act,
  sx: number,
  zx: number,
  sy: number,
  zy: number,
  alpha?: number,
): Promise<number[]> {
  const b = new OnnxBuilder(13);
  const x = b.input('x', t, [1, 256]);
  const params = [b.init('sx', 'float', [], [sx]), b.init('zx', t, [], [zx]), b.init('sy', 'float', [], [sy]), b.init('zy', t, [], [zy])];
  const attrs = alpha === undefined ? [] : [attrFloat('alpha', alpha)];
  let y: string;
  if (form === 'qop') y = b.node(`QLinear${op}`, [x, ...params], attrs, 1, 'com.microsoft')[0]!;
  else y = b.one('QuantizeLinear', [b.one(op, [b.one('DequantizeLinear', [x, params[0]!, params[1]!])], attrs), params[2]!, params[3]!]);
  b.output(y, t, [1, 256]);
  const model = b.model();
  model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  const stored = t === 'int8' ? Int8Array.from({ length: 256 }, (_, i) => i - 128) : Uint8Array.from({ length: 256 }, (_, i) => i);
  const run = await runOnnxModel(model, [stored]);
  return Array.from(run.outputs[0]!.data as ArrayLike<number>, Number);
}

describe("ONNX Runtime's lookup tables (QLinearSigmoid, QLinearLeakyRelu)", function () {
  it('fmaF32 rounds a * b + c once', () => {
    // (2^-24 (1 + 2^-23)) (1 - 2^-23) + (1 + 2^-23) = 1 + 3 * 2^-24 - 2^-70: just under a float32 tie,
    // so it rounds down; the double sum rounds onto the tie first, which then goes to even (up)
    const a = 2 ** -24 * (1 + 2 ** -23);
    const b = 1 - 2 ** -23;
    const c = 1 + 2 ** -23;
    expect(f32(a * b + c)).to.equal(1 + 2 ** -22);
    expect(fmaF32(a, b, c)).to.equal(1 + 2 ** -23);
    expect(fmaF32(-a, b, -c)).to.equal(-(1 + 2 ** -23));
    expect(fmaF32(3, 5, -15)).to.equal(0);
    expect(fmaF32(2 ** -12 + 2 ** -24, 2 ** -12 + 2 ** -24, 1)).to.equal(f32(1 + 2 ** -23));
  });

  it('MLAS logistic: symmetric about 1/2, 0 and 1 at the clamps', () => {
    expect(mlasLogisticFma3(0)).to.equal(0.5);
    expect(mlasLogisticFma3(-1000)).to.be.at.most(1e-7);
    expect(mlasLogisticFma3(1000)).to.be.closeTo(1, 1e-6);
    for (const x of [0.1, 1, 2.5, 7]) expect(mlasLogisticFma3(x)).to.be.closeTo(1 / (1 + Math.exp(-x)), 2e-7);
  });

  for (const op of ['Sigmoid', 'LeakyRelu'] as const) {
    it(`${op}: 400 tables of 256 entries equal native ONNX Runtime's, QOperator and QDQ, int8 and uint8`, async function () {
      if (!(await loadOrt())) this.skip();
      const rand = seeded(op === 'Sigmoid' ? 91 : 92);
      let entries = 0;
      for (let k = 0; k < 400; k++) {
        const t: Act = k % 2 === 0 ? 'int8' : 'uint8';
        const lo = t === 'int8' ? -128 : 0;
        const form = k % 4 < 2 ? 'qop' : 'qdq';
        const sx = f32(rand() < 0.25 ? 2 ** -Math.floor(rand() * 8) : Math.exp(-6 + 6 * rand()));
        const sy = f32(rand() < 0.2 ? 1 / 256 : Math.exp(-8 + 5 * rand()));
        const zx = lo + Math.floor(rand() * 256);
        const zy = lo + Math.floor(rand() * 256);
        const alpha = op === 'LeakyRelu' ? f32([0.01, 0.1, 0.2, 0.3, 0.5, -0.25, 1.7][Math.floor(rand() * 7)]!) : undefined;
        const theirs = await ortTable(op, form, t, sx, zx, sy, zy, alpha);
        // tinyforge holds a uint8 tensor as int8 with the zero point moved by 128
        const shift = t === 'uint8' ? 128 : 0;
        const quant = { inputScale: sx, inputZeroPoint: zx - shift, outputScale: sy, outputZeroPoint: zy - shift };
        const f = op === 'Sigmoid' ? mlasLogisticFma3 : (x: number) => ortLeakyRelu(x, alpha!);
        for (let i = 0; i < 256; i++) {
          const q = (t === 'int8' ? i - 128 : i) - shift;
          const ours = ortLookupValue(q, quant, f) + shift;
          if (ours !== theirs[i])
            expect.fail(
              `${op} ${form} ${t} sx ${sx} zx ${zx} sy ${sy} zy ${zy}${alpha === undefined ? '' : ` alpha ${alpha}`}: stored ${i}: ours ${ours}, ORT ${theirs[i]}`,
            );
          entries++;
        }
      }
      expect(entries).to.equal(400 * 256);
    });
  }
});
