// SPDX-License-Identifier: Apache-2.0
/**
 * The elementwise math ops in one model written by our writer: int8 ABS, RSQRT, ELU, DIV,
 * LOG_SOFTMAX and int16 ABS and RSQRT. The compiled C must give TFLite Micro's outputs (tflm-ref)
 * byte for byte on the host (sanitizers on) and on the emulated Cortex-M4 and Cortex-M0. (GELU is
 * left out: tflm-ref has no GELU. The float32-only NEG, SQUARE, FLOOR and SQRT are left out: float
 * layers have their own model tests, test/ops/float_models.test.ts.)
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { requireTools } from '../build/helpers.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';

export const MATH_OPS = ['ABS', 'RSQRT', 'ELU', 'DIV', 'LOG_SOFTMAX'];

export function mathOpsModel(): Graph {
  const b = new GraphBuilder('math_ops');
  const q = (scale: number, zeroPoint: number) => ({ scale, zeroPoint });
  const shape = [1, 4, 4, 8];
  const x = b.input({ shape, q: q(0.05, -3), name: 'x' });
  const y = b.input({ shape: [2, 20], dtype: 'int16', q: q(1e-3, 0), name: 'y' });

  const [a] = b.op('ABS', [x], [{ shape, q: q(0.04, -128) }]);
  const [r] = b.op('RSQRT', [a!], [{ shape, q: q(5 / 255, -128) }]);
  const [e] = b.op('ELU', [x], [{ shape, q: q(0.03, 20) }]);
  const divisor = b.constant({ shape: [8], q: q(0.02, 5) }, Int8Array.from([-128, -60, -1, 4, 6, 30, 90, 127]));
  const [d] = b.op('DIV', [x, divisor], [{ shape, q: q(0.05 / (0.02 * 256), 0) }], { activation: 'NONE' });
  const [ls] = b.op('LOG_SOFTMAX', [e!], [{ shape, q: q(16 / 256, 127) }]);

  const [a16] = b.op('ABS', [y], [{ shape: [2, 20], dtype: 'int16', q: q(2e-3, 0) }]);
  const [r16] = b.op('RSQRT', [a16!], [{ shape: [2, 20], dtype: 'int16', q: q(22.4 / 32767, 0) }]);
  b.output(r!, d!, ls!, r16!);
  return b.build();
}

function inputCases(graph: Graph): Uint8Array[][] {
  const rand = rng(91);
  const nx = elementCount(graph.tensors[graph.inputs[0]!]!.shape);
  const ny = elementCount(graph.tensors[graph.inputs[1]!]!.shape);
  const int16s = () => new Uint8Array(Int16Array.from({ length: ny }, (_, i) => (i === 0 ? -32768 : i === 1 ? 0 : Math.floor(rand() * 65536) - 32768)).buffer);
  return [
    [new Uint8Array(randomInt8(rand, nx).buffer), int16s()],
    [new Uint8Array(randomInt8(rand, nx, -20, 20).buffer), int16s()],
  ];
}

describe('elementwise math ops in one model (host, Cortex-M4, Cortex-M0)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-math-ops-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the TS reference gives TFLite Micro's outputs byte for byte", function () {
    if (!tflmRefAvailable(this)) return;
    const graph = mathOpsModel();
    const compiled = compileGraph(graph);
    const kinds = new Set(compiled.graph.ops.map((op) => op.kind));
    expect(
      MATH_OPS.filter((k) => !kinds.has(k)),
      'ops missing from the compiled model',
    ).to.deep.equal([]);
    for (const cs of inputCases(graph)) {
      const ours = interpret(compiled.prepared, cs).outputs;
      const theirs = tflmOutputs(graph, cs);
      ours.forEach((o, i) => expect(Array.from(o), `output ${i}`).to.deep.equal(Array.from(theirs[i]!)));
    }
  });

  for (const target of ['host', 'cortex-m4', 'cortex-m0']) {
    it(`the compiled C on ${target} matches the reference`, async function () {
      if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const graph = mathOpsModel();
      const path = join(dir, `math_ops_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const cases = inputCases(graph);
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
      const compiled = compileGraph(graph);
      report.cases.forEach((c, k) => {
        const reference = interpret(compiled.prepared, cases[k]!).outputs;
        c.outputs.forEach((values, o) => {
          const t = graph.tensors[graph.outputs[o]!]!;
          expect(values, `case ${k} output ${o}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[o]!) as ArrayLike<number>));
        });
      });
    });
  }
});
