// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV lowered from ONNX computes ONNX Runtime's float ConvTranspose
 * (src/core/ops/transpose_conv/ort_float.ts): generated QDQ ConvTranspose models (the fuzzer's
 * generator: strides, pads, groups, per-channel weights, int8 and uint8) through tinyforge's TS
 * reference equal native ONNX Runtime's outputs element for element, including layers whose input
 * channels pass MLAS's K stride of 128; and the emitted C equals the TS reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import transposeConv from '../../src/core/ops/transpose_conv/index.ts';
import { mlasBlockK } from '../../src/core/ops/transpose_conv/ort_float.ts';
import type { OpDef } from '../../src/core/ops/op.ts';
import { referenceOutputs } from '../../src/lab/run/run.ts';
import { outputValues } from '../../src/lab/data/bytes.ts';
import { onnxRuntimeAvailable } from '../../src/lab/run/onnxruntime.ts';
import { type OnnxCase, generateOnnxCase } from '../fuzz/onnx/generate.ts';
import { OnnxBuilder, attrInt, attrInts, seeded } from '../helpers/onnx_builder.ts';
import { compareOutputs, irInputs, loadOnnxGraph, ortOutputs } from '../fuzz/onnx/campaign.ts';
import { type CCase, expectCasesBitExactInC, randomInt8, rng, singleOpGraph } from '../helpers/op_harness.ts';

describe("TRANSPOSE_CONV from ONNX: ONNX Runtime's float ConvTranspose", function () {
  it("MLAS's K stride: one block up to 128 input channels, then blocks of 128", () => {
    expect(mlasBlockK(4, 36)).to.equal(4);
    expect(mlasBlockK(128, 200)).to.equal(128);
    expect(mlasBlockK(160, 200)).to.equal(128);
    expect(mlasBlockK(160, 40)).to.equal(128);
    expect(mlasBlockK(400, 1)).to.equal(128);
  });

  it('generated QDQ models through the TS reference equal native ONNX Runtime, every output', async function () {
    if (!(await onnxRuntimeAvailable())) {
      console.warn('  NOTICE: onnxruntime-node is not installed: the live ONNX Runtime comparison is skipped');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-ort-convt-'));
    try {
      let elements = 0;
      let models = 0;
      const off: string[] = [];
      for (let seed = 1; models < 60; seed++) {
        const c = await generateOnnxCase(77_000 + seed, { only: ['conv-transpose'] });
        if (!c.ops.includes('ConvTranspose')) continue;
        const path = join(dir, `${c.label}.onnx`);
        writeFileSync(path, c.model);
        const graph = loadOnnxGraph(path);
        const compiled = compileGraph(graph, path);
        const [outputs] = referenceOutputs(compiled.prepared, [irInputs(graph, c)], false);
        const ours = outputs!.map((bytes, k) => outputValues(graph, k, bytes));
        const m = compareOutputs(graph, c, ours, await ortOutputs(c));
        if (m.exact !== m.elements) off.push(`${c.label}: ${m.exact}/${m.elements} exact, max ${m.maxDiff}`);
        elements += m.elements;
        models++;
      }
      expect(off).to.deep.equal([]);
      expect(elements).to.be.at.least(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("wide layers (up to 160 input channels, 1x1 inputs: MLAS's K blocks and strides) equal native ONNX Runtime", async function () {
    if (!(await onnxRuntimeAvailable())) this.skip();
    const rand = seeded(404);
    const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-ort-convt-wide-'));
    try {
      const off: string[] = [];
      let elements = 0;
      for (let n = 0; n < 24; n++) {
        const t = n % 2 === 0 ? 'int8' : 'uint8';
        const [lo, hi] = t === 'int8' ? [-128, 127] : [0, 255];
        const cin = n % 3 === 0 ? ri(129, 160) : ri(8, 128);
        const cout = ri(1, 3);
        const k = ri(1, 3);
        const s = ri(1, 2);
        const [h, w] = n % 4 === 1 ? [1, 1] : [ri(1, 5), ri(1, 5)];
        const out = [(h - 1) * s + k, (w - 1) * s + k];
        const sx = Math.fround(Math.exp(-5 + 3 * rand()));
        const perChannel = n % 2 === 1;
        const sw = Array.from({ length: perChannel ? cout : 1 }, () => Math.fround(Math.exp(-8 + 3 * rand())));
        const sb = Array.from({ length: cout }, (_, c) => Math.fround(sx * sw[perChannel ? c : 0]!));
        const b = new OnnxBuilder(13);
        const x = b.input('x', t, [1, cin, h, w]);
        const dx = b.one('DequantizeLinear', [x, b.init('sx', 'float', [], [sx]), b.init('zx', t, [], [ri(lo, hi)])]);
        const zw = b.init(
          'zw',
          'int8',
          perChannel ? [cout] : [],
          sw.map(() => 0),
        );
        const wq = b.init(
          'w',
          'int8',
          [cin, cout, k, k],
          Array.from({ length: cin * cout * k * k }, () => ri(-127, 127)),
        );
        const dw = b.node('DequantizeLinear', [wq, b.init('sw', 'float', perChannel ? [cout] : [], sw), zw], perChannel ? [attrInt('axis', 1)] : [])[0]!;
        const bias = b.init(
          'b',
          'int32',
          [cout],
          Array.from({ length: cout }, () => ri(-5000, 5000)),
        );
        const db = b.node(
          'DequantizeLinear',
          [
            bias,
            b.init('sb', 'float', [cout], sb),
            b.init(
              'zb',
              'int32',
              [cout],
              sb.map(() => 0),
            ),
          ],
          [attrInt('axis', 0)],
        )[0]!;
        const y = b.one('ConvTranspose', [dx, dw, db], [attrInts('strides', [s, s])]);
        const sy = Math.fround(Math.exp(-3 + 3 * rand()));
        const zy = ri(lo, hi);
        const q = b.one('QuantizeLinear', [y, b.init('sy', 'float', [], [sy]), b.init('zy', t, [], [zy])]);
        b.output(q, t, [1, cout, ...out]);
        const data = Array.from({ length: cin * h * w }, () => ri(lo, hi));
        const c: OnnxCase = {
          label: `wide-${n}`,
          generator: 'conv-transpose',
          form: 'qdq',
          act: t,
          seed: n,
          ops: ['ConvTranspose'],
          model: b.bytes(),
          inputs: [{ name: 'x', type: t, shape: [1, cin, h, w], scale: sx, zeroPoint: 0, data: t === 'int8' ? Int8Array.from(data) : Uint8Array.from(data) }],
          outputs: [{ name: q, type: t, shape: [1, cout, ...out], scale: sy, zeroPoint: zy }],
        };
        const path = join(dir, `${c.label}.onnx`);
        writeFileSync(path, c.model);
        const graph = loadOnnxGraph(path);
        const compiled = compileGraph(graph, path);
        const [outputs] = referenceOutputs(compiled.prepared, [irInputs(graph, c)], false);
        const ours = outputs!.map((bytes, k) => outputValues(graph, k, bytes));
        const m = compareOutputs(graph, c, ours, await ortOutputs(c));
        if (m.exact !== m.elements) off.push(`${c.label} (${cin} channels, ${h}x${w}): ${m.exact}/${m.elements} exact`);
        elements += m.elements;
      }
      expect(off).to.deep.equal([]);
      expect(elements).to.be.at.least(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the emitted C equals the TS reference (per-tensor and per-channel, bias or none, K blocks, activation clamp)', () => {
    const rand = rng(31);
    const cases: CCase[] = [];
    const shapes = [
      { inH: 3, inW: 4, inC: 3, outC: 2, k: 3, s: 2, padding: 'SAME', perChannel: false, bias: true, act: 'NONE' },
      { inH: 5, inW: 2, inC: 1, outC: 4, k: 2, s: 1, padding: 'VALID', perChannel: true, bias: false, act: 'RELU' },
      { inH: 1, inW: 1, inC: 140, outC: 3, k: 2, s: 2, padding: 'VALID', perChannel: true, bias: true, act: 'NONE' },
      { inH: 4, inW: 4, inC: 130, outC: 2, k: 3, s: 3, padding: 'SAME', perChannel: false, bias: true, act: 'RELU6' },
    ] as const;
    for (const sh of shapes) {
      const outH = sh.padding === 'SAME' ? sh.inH * sh.s : (sh.inH - 1) * sh.s + sh.k;
      const outW = sh.padding === 'SAME' ? sh.inW * sh.s : (sh.inW - 1) * sh.s + sh.k;
      const wScales = Array.from({ length: sh.perChannel ? sh.outC : 1 }, () => Math.fround(0.002 + 0.01 * rand()));
      const sx = Math.fround(0.01 + 0.05 * rand());
      const weights = randomInt8(rand, sh.outC * sh.k * sh.k * sh.inC);
      const bias = Int32Array.from({ length: sh.outC }, () => Math.round((rand() - 0.5) * 4000));
      const { graph, op } = singleOpGraph(
        'TRANSPOSE_CONV',
        [
          { shape: [4], dtype: 'int32', data: Int32Array.from([1, outH, outW, sh.outC]) },
          { shape: [sh.outC, sh.k, sh.k, sh.inC], scale: wScales, zeroPoint: wScales.map(() => 0), axis: 0, data: weights },
          { shape: [1, sh.inH, sh.inW, sh.inC], scale: sx, zeroPoint: -7 },
          sh.bias ? { shape: [sh.outC], dtype: 'int32', scale: wScales.map((s) => Math.fround(sx * s)), zeroPoint: wScales.map(() => 0), data: bias } : null,
        ],
        [{ shape: [1, outH, outW, sh.outC], scale: Math.fround(0.05 + 0.2 * rand()), zeroPoint: 5 }],
        { padding: sh.padding, strideH: sh.s, strideW: sh.s, activation: sh.act, arithmetic: 'onnxruntime' },
      );
      cases.push({ def: transposeConv as OpDef, graph, op, inputs: [randomInt8(rand, sh.inH * sh.inW * sh.inC)] });
    }
    expectCasesBitExactInC(cases, (c, k) => `TRANSPOSE_CONV case ${k}`);
  });
});
