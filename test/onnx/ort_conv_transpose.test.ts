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
import { generateOnnxCase } from '../fuzz/onnx/generate.ts';
import { compareOutputs, irInputs, loadOnnxGraph, ortOutputs } from '../fuzz/onnx/campaign.ts';
import { type CCase, expectCasesBitExactInC, randomInt8, rng, singleOpGraph } from '../helpers/op_harness.ts';

describe("TRANSPOSE_CONV from ONNX: ONNX Runtime's float ConvTranspose", function () {
  it("MLAS's K stride: one block up to 128 input channels, wider when few pixels meet a prepacked filter", () => {
    expect(mlasBlockK(4, 36, 18)).to.equal(4);
    expect(mlasBlockK(128, 200, 9)).to.equal(128);
    expect(mlasBlockK(160, 200, 9)).to.equal(128);
    expect(mlasBlockK(160, 40, 9)).to.equal(256);
    expect(mlasBlockK(160, 1, 9)).to.equal(1024);
    expect(mlasBlockK(160, 40, 1)).to.equal(128);
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
