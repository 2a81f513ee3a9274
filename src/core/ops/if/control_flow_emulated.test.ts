// SPDX-License-Identifier: Apache-2.0
/**
 * IF and WHILE models (test/helpers/control_flow_models.ts) against TFLite Micro, then on the host
 * (ASan+UBSan) and on the emulated boards of every kernel family: the Cortex-M4 (FPU), the
 * Cortex-M0 and RP2040 (soft-float) and the ESP32-C3. IF takes either branch on a bool a float
 * comparison computes when the model runs (float and int8 branches, a branch without ops); WHILE
 * counts to a run-time n (0, 1, 5, a negative n, enough steps to saturate the int8 accumulator)
 * and accumulates a float and an int8 tensor; an IF with float branches runs as the float island
 * of an int8 graph (DEQUANTIZE -> IF -> QUANTIZE).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { interpret } from '../interpreter.ts';
import { prepareGraph } from '../prepare.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { ifIslandModel, ifModel, whileModel } from '../../../../test/helpers/control_flow_models.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';

const f32 = (values: number[]) => new Uint8Array(toBytes(Float32Array.from(values)));
const i8 = (values: number[]) => new Uint8Array(Int8Array.from(values).buffer);
const i32 = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);

const X = [0.5, -1.25, 3, 0.1, -0.3, 7.75];
const Y = [2, 0.5, -1, 0.3, 0.7, 1e-3];
const QX = [10, -128, 127, 0, -3, 55];
const QY = [-20, 127, 5, 7, 100, -128];

function ifCases(): Uint8Array[][] {
  // the condition: s > 0.5 (0.5 itself and NaN are false)
  return [0.7, 0.2, 0.5, NaN].map((s) => [f32([s]), f32(X), f32(Y), i8(QX), i8(QY)]);
}

function whileCases(): Uint8Array[][] {
  return [0, 1, 5, -3, 37].map((n) => [i32([n]), f32([1, -2, 0.5, 100]), i8([0, 10, -128, 127])]);
}

function islandCases(): Uint8Array[][] {
  // the condition: 0.05 (a + 3) < 0.04 (c - 7), both ways and equal (0.2 against 0.2: false)
  return [
    [-3, 10],
    [20, 7],
    [1, 12],
  ].map(([a, c]) => [i8([a!]), i8([c!]), i8(QX), i8(QY)]);
}

const MODELS: { graph: Graph; cases: Uint8Array[][] }[] = [
  { graph: ifModel(), cases: ifCases() },
  { graph: whileModel(), cases: whileCases() },
  { graph: ifIslandModel(), cases: islandCases() },
];

const TARGETS = FLOAT_FAMILY_TARGETS;

describe('IF and WHILE: subgraphs compiled into the calling layer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-control-flow-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the reference takes the branch the condition says and counts to n (hand-checked)', () => {
    const [ifs, whiles] = MODELS.slice(0, 2).map(({ graph, cases }) => cases.map((c) => interpret(prepareGraph(graph), c).outputs));
    const floats = (b: Uint8Array) => Array.from(new Float32Array(b.slice().buffer));
    // s = 0.7: then (x + y); s = 0.2: else (x * y); the third IF: -x, then x
    expect(floats(ifs![0]![0]!)).to.deep.equal(X.map((v, i) => Math.fround(Math.fround(v) + Math.fround(Y[i]!))));
    expect(floats(ifs![1]![0]!)).to.deep.equal(X.map((v, i) => Math.fround(Math.fround(v) * Math.fround(Y[i]!))));
    expect(floats(ifs![0]![2]!)).to.deep.equal(X.map((v) => -Math.fround(v)));
    expect(floats(ifs![1]![2]!)).to.deep.equal(X.map((v) => Math.fround(v)));
    // n = 5: i ends at 5; n = 0 and n = -3: the body never runs, i stays 0
    const counts = whiles!.map((o) => new Int32Array(o[0]!.slice().buffer)[0]);
    expect(counts).to.deep.equal([0, 1, 5, 0, 37]);
  });

  it('TFLite Micro (tflm-ref) gives the same bytes on every case', function () {
    if (!tflmRefAvailable(this)) return;
    for (const { graph, cases } of MODELS) {
      const prepared = prepareGraph(graph);
      cases.forEach((c, k) => {
        const ours = interpret(prepared, c).outputs;
        tflmOutputs(graph, c).forEach((o, i) =>
          expect(Array.from(ours[i]!), `${graph.name} case ${k} output ${i} (expected: TFLite Micro)`).to.deep.equal(Array.from(o)),
        );
      });
    }
  });

  for (const { target, tools } of TARGETS) {
    it(`${target}: every output byte of every model equals the reference`, async function () {
      requireTools(this, tools);
      for (const { graph, cases } of MODELS) {
        const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
        saveTflite(path, graph);
        const report = await runModel(path, { target, cases, sanitize: target === 'host' });
        expect(
          report.cases.map((c) => c.matchesReference),
          graph.name,
        ).to.deep.equal(cases.map(() => true));
        const reference = cases.map((c) => interpret(prepareGraph(graph), c).outputs);
        report.cases.forEach((c, k) =>
          c.outputs.forEach((values, o) => {
            const t = graph.tensors[graph.outputs[o]!]!;
            const bytes = t.dtype === 'float32' ? f32(values) : t.dtype === 'int32' ? i32(values) : i8(values);
            expect(Array.from(bytes), `${graph.name} case ${k} output ${o}`).to.deep.equal(Array.from(reference[k]![o]!));
          }),
        );
      }
    });
  }
});
