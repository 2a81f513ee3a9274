// SPDX-License-Identifier: Apache-2.0
/**
 * SIN and COS on every kind of target: the host (glibc), the emulated Cortex-M4 (single-precision
 * FPU; the kernel's doubles in libgcc), Cortex-M0 and RP2040 (Cortex-M0+, soft-float) and ESP32-C3
 * (RV32, soft-float). A float32 model on extreme inputs: every output the TS reference's bits on
 * every target (the kernel calls no C library function) and within SINCOS_ULP of TFLite Micro's
 * glibc sinf / cosf. And as a float island of an int8 model (DEQUANTIZE -> SIN, COS -> QUANTIZE):
 * the reference's bytes, and TFLite Micro's but where a one-ULP difference crosses an int8 rounding
 * boundary (one step).
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
import { ulpDistanceBits } from '../common/numerics/float_ulp.ts';
import { SINCOS_ULP, sincosBits } from './sincos.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { trigInputs } from '../../../../test/helpers/float_trig_cases.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';

const F = 'float32' as const;
const N = 96;

function trigGraph(hybrid: boolean): Graph {
  const b = new GraphBuilder(hybrid ? 'trig_hybrid' : 'trig');
  const shape = [2, N / 2];
  const input = b.input(hybrid ? { shape, q: { scale: 0.09, zeroPoint: 3 }, name: 'x' } : { shape, dtype: F, name: 'x' });
  const x = hybrid ? b.op('DEQUANTIZE', [input], [{ shape, dtype: F }])[0]! : input;
  const outs = ['SIN', 'COS'].map((kind) => b.op(kind, [x], [{ shape, dtype: F }])[0]!);
  if (hybrid) b.output(...outs.map((t, k) => b.op('QUANTIZE', [t], [{ shape, q: { scale: 1 / 127, zeroPoint: k } }])[0]!));
  else b.output(...outs);
  return b.build();
}

const TARGETS = FLOAT_FAMILY_TARGETS;

describe('SIN and COS on every target: the reference bits, within SINCOS_ULP of TFLite Micro', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-trig-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { target, tools } of TARGETS) {
    for (const hybrid of [false, true]) {
      it(`${target}, ${hybrid ? 'int8 model with a float island' : 'float32 model'}`, async function () {
        if (tools.length > 0) requireTools(this, tools);
        const graph = trigGraph(hybrid);
        const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
        saveTflite(path, graph);
        const rand = rng(hybrid ? 292 : 291);
        // NaNs come back from `run` as numbers (their payloads lost): NaN inputs are checked on the host only
        const cases = [0, 1].map(() => [new Uint8Array(toBytes(hybrid ? randomInt8(rand, N) : trigInputs(rand, N, false)))]);
        const report = await runModel(path, { target, cases, sanitize: target === 'host' });
        expect(report.matchesReference, 'run: as the reference').to.equal(true);
        const oursBits = report.cases.map((c) => c.outputs.map((o) => (hybrid ? Int8Array.from(o) : new Uint32Array(Float32Array.from(o).buffer))));
        if (!hybrid) {
          // the reference's bits exactly (`run` compares a float output within the bound; an int8 one byte for byte)
          cases.forEach((c, k) => {
            const x = new Uint32Array(c[0]!.slice().buffer);
            [false, true].forEach((cosine, i) =>
              expect(Array.from(oursBits[k]![i]!), `case ${k} ${cosine ? 'COS' : 'SIN'}: the reference bits`).to.deep.equal(
                Array.from(x, (u) => sincosBits(u, cosine)),
              ),
            );
          });
        }
        if (!tflmRefAvailable(this)) return;
        const input = new Uint8Array(cases.reduce((s, c) => s + c[0]!.length, 0));
        cases.reduce((at, c) => (input.set(c[0]!, at), at + c[0]!.length), 0);
        const theirs = splitTflmOutputs(graph, runTflmRef(writeTflite(graph), input).outputs, cases.length);
        oursBits.forEach((outs, k) =>
          outs.forEach((o, i) => {
            const t = theirs[k]![i]!;
            if (hybrid) {
              const tv = new Int8Array(t.buffer, t.byteOffset, t.length);
              o.forEach((v, j) => expect(Math.abs(v - tv[j]!), `case ${k} output ${i} element ${j}`).to.be.at.most(1));
            } else {
              const tv = new Uint32Array(t.slice().buffer);
              o.forEach((v, j) => expect(ulpDistanceBits(v, tv[j]!), `case ${k} output ${i} element ${j}`).to.be.at.most(SINCOS_ULP));
            }
          }),
        );
      });
    }
  }
});
