// SPDX-License-Identifier: Apache-2.0
/**
 * The 16x8 plumbing: the int8/int16 dispatch, the 64-bit requantization and the int16 table lookup
 * in C against TS, and a whole 16x8 model (all seven int16 ops chained, written by our writer) run by
 * desktop TFLite, on the host under sanitizers and on the emulated Cortex-M4.
 */
import { expect } from 'chai';
import { selectVariant } from '../../variant.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph, Op, Tensor } from '../../../ir/graph.ts';
import { toBytes } from '../../../ir/buffers.ts';
import { writeTflite } from '../../../model/tflite/writer.ts';
import { saveTflite } from '../../../../lab/model_files.ts';
import { compileGraph } from '../../../compile.ts';
import { interpret } from '../../interpreter.ts';
import { runModel } from '../../../../lab/run/run.ts';
import conv from '../../conv_2d/index.ts';
import { isInt16Params } from './int16_variant.ts';
import { mbqm64 } from '../numerics/fixedpoint64.ts';
import { lutLookupInt16 } from '../numerics/lut_int16.ts';
import { softmaxInt16Tables } from '../../softmax/softmax_int16.ts';
import { compileAndRun, randomInt, randomInt16, randomInt8, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { runTfliteInterpreter } from '../../../../../test/helpers/tfjs_tflite.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';

const dir = import.meta.dirname;
// the headers under test (some of common/'s include headers of other op folders)
const includes = () => ['fixedpoint64.h', 'lut_int16.h'].map((h) => `#include "${join(dir, '..', 'numerics', h)}"`);

/** A 16x8 model: CONV_2D -> DEPTHWISE_CONV_2D -> ADD (both) -> LOGISTIC -> TANH -> FULLY_CONNECTED -> SOFTMAX. */
function chainModel(seed: number): Graph {
  const rand = rng(seed);
  const tensors: Tensor[] = [];
  const t = (name: string, shape: number[], scale: number, extra: Partial<Tensor> = {}): number => {
    tensors.push({ index: tensors.length, name, shape, dtype: 'int16', quant: { scale: [scale], zeroPoint: [0], axis: 0 }, ...extra });
    return tensors.length - 1;
  };
  const weights = (name: string, shape: number[], scales: number[], axis: number): number => {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.push({
      index: tensors.length,
      name,
      shape,
      dtype: 'int8',
      quant: { scale: scales, zeroPoint: scales.map(() => 0), axis },
      data: new Uint8Array(toBytes(randomInt8(rand, n, -127, 127))),
    });
    return tensors.length - 1;
  };
  const bias64 = (name: string, n: number, range: number): number => {
    tensors.push({
      index: tensors.length,
      name,
      shape: [n],
      dtype: 'int64',
      data: new Uint8Array(toBytes(BigInt64Array.from({ length: n }, () => BigInt(randomInt(rand, -range, range))))),
    });
    return tensors.length - 1;
  };
  const input = t('input', [1, 6, 6, 2], 0.001);
  const cw = weights('conv_w', [4, 3, 3, 2], [0.01, 0.02, 0.015, 0.012], 0);
  const cb = bias64('conv_b', 4, 50000);
  const c = t('conv', [1, 6, 6, 4], 0.004);
  const dw = weights('dw_w', [1, 3, 3, 4], [0.02, 0.01, 0.03, 0.02], 3);
  const db = bias64('dw_b', 4, 20000);
  const d = t('depthwise', [1, 6, 6, 4], 0.005);
  const a = t('add', [1, 6, 6, 4], 0.0007);
  const l = t('logistic', [1, 6, 6, 4], 2 ** -15);
  const th = t('tanh', [1, 6, 6, 4], 2 ** -15);
  const fw = weights('fc_w', [10, 144], [0.004], 0);
  const fb = bias64('fc_b', 10, 100000);
  const f = t('fc', [1, 10], 0.002);
  const s = t('softmax', [1, 10], 1 / 32768);
  const conv2d = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' };
  const ops: Op[] = [
    { index: 0, kind: 'CONV_2D', inputs: [input, cw, cb], outputs: [c], attrs: { ...conv2d, activation: 'RELU' } },
    { index: 1, kind: 'DEPTHWISE_CONV_2D', inputs: [c, dw, db], outputs: [d], attrs: { ...conv2d, depthMultiplier: 1 } },
    { index: 2, kind: 'ADD', inputs: [c, d], outputs: [a], attrs: { activation: 'NONE' } },
    { index: 3, kind: 'LOGISTIC', inputs: [a], outputs: [l], attrs: {} },
    { index: 4, kind: 'TANH', inputs: [l], outputs: [th], attrs: {} },
    { index: 5, kind: 'FULLY_CONNECTED', inputs: [th, fw, fb], outputs: [f], attrs: { activation: 'NONE', keepNumDims: false } },
    { index: 6, kind: 'SOFTMAX', inputs: [f], outputs: [s], attrs: { beta: 1 } },
  ];
  return { name: 'chain16x8', tensors, ops, inputs: [input], outputs: [s] };
}

describe('16x8 quantization: shared pieces and a whole int16 model', () => {
  it('the dispatcher sends int8 layers to the int8 kernel and int16 layers to the int16 one', () => {
    const q8 = { scale: 0.5, zeroPoint: 0 };
    const attrs = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' };
    const g8 = singleOpGraph(
      'CONV_2D',
      [
        { shape: [1, 1, 1, 1], ...q8 },
        { shape: [1, 1, 1, 1], scale: 1, data: Int8Array.from([1]) },
      ],
      [{ shape: [1, 1, 1, 1], ...q8 }],
      attrs,
    );
    const g16 = singleOpGraph(
      'CONV_2D',
      [
        { shape: [1, 1, 1, 1], dtype: 'int16', ...q8 },
        { shape: [1, 1, 1, 1], scale: 1, data: Int8Array.from([1]) },
      ],
      [{ shape: [1, 1, 1, 1], dtype: 'int16', ...q8 }],
      attrs,
    );
    const p8 = conv.prepare(g8.graph, g8.op);
    const p16 = conv.prepare(g16.graph, g16.op);
    expect(isInt16Params(p8)).to.equal(false);
    expect(isInt16Params(p16)).to.equal(true);
    const dsp = { dsp: true };
    // on a DSP target the int8 layer gets an int8 DSP kernel (a 1x1 over one channel: the narrow one);
    // the int16 one the portable int16 kernel (one weight: too small for the 16x8 DSP kernel), on RV32
    // the int16 RV32 kernel
    expect(selectVariant(conv, p8, dsp).name).to.equal('arm-dsp narrow');
    const v16 = selectVariant(conv, p16, dsp);
    expect(v16.name).to.equal('portable int16');
    expect(v16.overlap?.(p16)).to.equal(undefined);
    expect(selectVariant(conv, p16, { dsp: false, rv32: true }).name).to.equal('rv32 int16');
    expect(selectVariant(conv, p16, undefined).name).to.equal('portable int16');
  });

  it('mbqm64: one rounding after a 16-bit multiplier; fixedpoint64.h agrees on 3000 random cases', () => {
    expect(mbqm64(5, 2 ** 30, -1)).to.equal(1); // 1.25
    expect(mbqm64(-5, 2 ** 30, -1)).to.equal(-1); // -1.25
    expect(mbqm64(6, 2 ** 30, -1)).to.equal(2); // 1.5 rounds up
    expect(mbqm64(-6, 2 ** 30, -1)).to.equal(-1); // -1.5 rounds up
    expect(mbqm64(123456, 2 ** 30, 1)).to.equal(123456);
    expect(mbqm64(1000, 0x7fff8000, 0)).to.equal(1000); // a multiplier past 0x7FFF0000 reduces to 0x7FFF
    const rand = rng(64);
    const cases: [bigint, number, number][] = [];
    for (let i = 0; i < 3000; i++) {
      const shift = randomInt(rand, -31, 7);
      const multiplier = randomInt(rand, 2 ** 30, 2 ** 31 - 1);
      const bound = 2 ** Math.min(47, 30 - shift);
      cases.push([BigInt(Math.floor((rand() * 2 - 1) * bound)), multiplier, shift]);
    }
    const program = [
      '#include <stdio.h>',
      ...includes(),
      `static const int64_t x[${cases.length}] = { ${cases.map((c) => `${c[0]}LL`).join(', ')} };`,
      `static const int32_t m[${cases.length}] = { ${cases.map((c) => c[1]).join(', ')} };`,
      `static const int8_t s[${cases.length}] = { ${cases.map((c) => c[2]).join(', ')} };`,
      `int main(void) { for (int i = 0; i < ${cases.length}; ++i) { const int32_t r = tf_mbqm64(x[i], m[i], s[i]); fwrite(&r, 4, 1, stdout); } return 0; }`,
    ].join('\n');
    const c = new Int32Array(compileAndRun(program).slice().buffer);
    cases.forEach(([x, m, s], i) => expect(c[i], `mbqm64(${x}, ${m}, ${s})`).to.equal(mbqm64(x, m, s)));
  });

  it('lut_int16.h agrees with lut_int16.ts on every int16 input', () => {
    const { exp } = softmaxInt16Tables();
    const program = [
      '#include <stdio.h>',
      ...includes(),
      `static const int16_t lut[513] = { ${Array.from(exp).join(', ')} };`,
      'int main(void) { for (int32_t v = -32768; v <= 32767; ++v) { const int16_t r = tf_lut_int16_lookup((int16_t)v, lut); fwrite(&r, 2, 1, stdout); } return 0; }',
    ].join('\n');
    const c = new Int16Array(compileAndRun(program).slice().buffer);
    for (let v = -32768; v <= 32767; v++)
      if (c[v + 32768] !== lutLookupInt16(v, exp)) expect.fail(`lookup ${v}: C ${c[v + 32768]}, TS ${lutLookupInt16(v, exp)}`);
  });

  describe('a 16x8 model of all seven int16 ops (CONV_2D, DEPTHWISE_CONV_2D, ADD, LOGISTIC, TANH, FULLY_CONNECTED, SOFTMAX)', () => {
    const graph = chainModel(7);
    const inputs = [0, 1, 2].map((k) => new Uint8Array(toBytes(randomInt16(rng(200 + k), 72, -20000, 20000))));
    const compiled = compileGraph(graph, 'chain16x8.tflite');

    it("desktop TFLite (tfjs-tflite) gives the reference's outputs", async () => {
      const model = writeTflite(graph);
      for (const input of inputs) {
        const ours = interpret(compiled.prepared, [input]).outputs[0]!;
        const theirs = await runTfliteInterpreter(model, [input]);
        expect(Buffer.from(theirs[0]!).toString('hex')).to.equal(Buffer.from(ours).toString('hex'));
      }
    });

    for (const target of ['host', 'cortex-m4'] as const) {
      it(
        target === 'host' ? 'the generated C on the host under ASan+UBSan matches the reference' : 'runs bit-exact on the emulated Cortex-M4 (QEMU mps2-an386)',
        async function () {
          requireTools(this, target === 'host' ? ['gcc'] : ['arm-none-eabi-gcc', 'qemu-system-arm']);
          const work = mkdtempSync(join(tmpdir(), 'tinyforge-16x8-'));
          try {
            const path = join(work, 'chain16x8.tflite');
            saveTflite(path, graph);
            const report = await runModel(path, { target, sanitize: target === 'host', cases: inputs.map((i) => [i]) });
            expect(report.matchesReference).to.equal(true);
            if (target !== 'host') {
              expect(report.cases.every((c) => c.count! > 0)).to.equal(true);
              console.log(`    16x8 chain model on ${report.board}: ${report.perInference} instructions per inference`);
            }
          } finally {
            rmSync(work, { recursive: true, force: true });
          }
        },
      );
    }
  });
});
