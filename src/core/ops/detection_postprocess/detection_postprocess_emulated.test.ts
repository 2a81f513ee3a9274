// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite_Detection_PostProcess on every kind of target: the host (glibc, ASan+UBSan), the emulated
 * Cortex-M4 (single-precision FPU; the decoding's doubles and exp in libgcc and newlib), Cortex-M0
 * and RP2040 (soft-float) and ESP32-C3 (RV32, soft-float). One model holds a float32 fast-NMS layer,
 * a float32 regular-NMS layer and the shape of a real SSD head: int8 convolutions, DEQUANTIZE, then
 * the op (a float island after an int8 graph). Every output equals the reference's bits on every
 * target, and TFLite Micro's on the host.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import type { Graph } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';
import {
  type DppSpec,
  DPP_KIND,
  dppOptions,
  dppOutputs,
  randomAnchors,
  randomEncodings,
  randomScores,
} from '../../../../test/helpers/detection_postprocess_cases.ts';

const F = 'float32' as const;

const FAST: DppSpec = { anchors: 40, classes: 3, background: true, maxDetections: 8, regular: false, levels: 4, score: 0.2 };
const REGULAR: DppSpec = { anchors: 24, classes: 4, background: true, maxDetections: 10, regular: true, perClass: 5, levels: 5, score: 0.15 };
const HYBRID: DppSpec = { anchors: 32, classes: 2, background: true, maxDetections: 6, regular: false, score: 0.55 };

function addDpp(b: GraphBuilder, s: DppSpec, enc: number, scores: number, anchors: Float32Array): number[] {
  const a = b.constant({ shape: [s.anchors, 4], dtype: F }, anchors);
  return b.op(DPP_KIND, [enc, scores, a], dppOutputs(s), { customOptions: encodeCustomOptions(dppOptions(s)) });
}

function dppModel(): Graph {
  const rand = rng(5901);
  const b = new GraphBuilder('dpp_all');
  const outs: number[] = [];
  for (const s of [FAST, REGULAR]) {
    const enc = b.input({ shape: [1, s.anchors, 4], dtype: F });
    const scores = b.input({ shape: [1, s.anchors, s.classes + 1], dtype: F });
    outs.push(...addDpp(b, s, enc, scores, randomAnchors(rand, s.anchors)));
  }
  // an SSD head: int8 image features -> 1x1 convolutions (box and class heads) -> RESHAPE -> DEQUANTIZE
  const x = b.input({ shape: [1, 4, 4, 4], q: { scale: 0.05, zeroPoint: 2 } });
  const head = (outC: number, q: { scale: number; zeroPoint: number }, rows: number, cols: number) => {
    const filter = b.constant({ shape: [outC, 1, 1, 4], quant: { scale: [0.01], zeroPoint: [0], axis: 0 } }, randomInt8(rand, outC * 4, -90, 90));
    const bias = b.constant(
      { shape: [outC], dtype: 'int32' },
      Int32Array.from({ length: outC }, () => randomInt(rand, -2000, 2000)),
    );
    const [y] = b.op('CONV_2D', [x, filter, bias], [{ shape: [1, 4, 4, outC], q }], {
      padding: 'VALID',
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      activation: 'NONE',
    });
    const [flat] = b.op('RESHAPE', [y!, b.ints([1, rows, cols])], [{ shape: [1, rows, cols], q }], { newShape: [1, rows, cols] });
    return b.op('DEQUANTIZE', [flat!], [{ shape: [1, rows, cols], dtype: F }])[0]!;
  };
  const enc = head(8, { scale: 0.02, zeroPoint: 0 }, HYBRID.anchors, 4);
  const scores = head(6, { scale: 1 / 256, zeroPoint: -128 }, HYBRID.anchors, HYBRID.classes + 1);
  outs.push(...addDpp(b, HYBRID, enc, scores, randomAnchors(rand, HYBRID.anchors)));
  b.output(...outs);
  return b.build();
}

function modelCases(): Uint8Array[][] {
  const rand = rng(5902);
  return [0, 1].map(() => {
    const parts: Uint8Array[] = [];
    for (const s of [FAST, REGULAR]) {
      parts.push(new Uint8Array(toBytes(randomEncodings(rand, s.anchors, 4))));
      parts.push(new Uint8Array(toBytes(randomScores(rand, s.anchors * (s.classes + 1), s.levels ?? 0))));
    }
    parts.push(new Uint8Array(randomInt8(rand, 64).buffer));
    return parts;
  });
}

const TARGETS = FLOAT_FAMILY_TARGETS;

/** The float bits of a run's output (run reports numbers). */
function bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

describe('TFLite_Detection_PostProcess on every target: the reference bits, TFLite Micro on the host', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-dpp-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { target, tools } of TARGETS) {
    it(`${target}: fast and regular NMS, and after int8 convolutions and DEQUANTIZE`, async function () {
      if (tools.length > 0) requireTools(this, tools);
      const graph = dppModel();
      const path = join(dir, `dpp_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const cases = modelCases();
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
      // the sweep finds detections in every layer
      report.cases.forEach((c) => [3, 7, 11].forEach((o) => expect(c.outputs[o]![0], `num_detections (output ${o})`).to.be.above(1)));
      if (target !== 'host' || !tflmRefAvailable(this)) return;
      const input = new Uint8Array(cases.reduce((s, c) => s + c.reduce((t, p) => t + p.length, 0), 0));
      let at = 0;
      for (const c of cases) for (const p of c) (input.set(p, at), (at += p.length));
      const theirs = splitTflmOutputs(graph, runTflmRef(writeTflite(graph), input).outputs, cases.length);
      report.cases.forEach((c, k) => {
        [FAST, REGULAR, HYBRID].forEach((s, layer) => {
          const o = 4 * layer;
          const count = c.outputs[o + 3]![0]!;
          // fast NMS writes the first num_detections rows (one class each), regular NMS all max_detections rows
          const rows = s.regular ? s.maxDetections : count;
          const t = (i: number) => bits(new Float32Array(theirs[k]![o + i]!.slice().buffer));
          expect(t(3), `case ${k} layer ${layer} num_detections`).to.deep.equal(bits(c.outputs[o + 3]!));
          expect(t(0).slice(0, 4 * rows), `case ${k} layer ${layer} boxes`).to.deep.equal(bits(c.outputs[o]!).slice(0, 4 * rows));
          expect(t(1).slice(0, rows), `case ${k} layer ${layer} classes`).to.deep.equal(bits(c.outputs[o + 1]!).slice(0, rows));
          expect(t(2).slice(0, rows), `case ${k} layer ${layer} scores`).to.deep.equal(bits(c.outputs[o + 2]!).slice(0, rows));
        });
      });
    });
  }
});
