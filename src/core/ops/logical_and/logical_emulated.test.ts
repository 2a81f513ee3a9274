// SPDX-License-Identifier: Apache-2.0
/**
 * LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT and REDUCE_ALL (and SHAPE) in one model on the host (ASan+UBSan) and on
 * the emulated boards of every kernel family: the Cortex-M4 (single-precision FPU), the Cortex-M0
 * and RP2040 (soft-float) and the ESP32-C3 (RV32IMC). Beside the plain bool layers, their bools come
 * from float32 comparisons and from comparisons in an int8 graph's float island
 * (int8 -> DEQUANTIZE -> GREATER_EQUAL -> LOGICAL_OR). Every output byte equals the TypeScript
 * reference, which equals TFLite Micro on the same cases.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, elementCount } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { interpret } from '../interpreter.ts';
import { prepareGraph } from '../prepare.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';

const B = 'bool' as const;
const F = 'float32' as const;

function logicalModel(): Graph {
  const b = new GraphBuilder('logical_layers');
  const outs: number[] = [];
  const x = b.input({ shape: [2, 3, 4], dtype: B });
  const y = b.input({ shape: [2, 3, 4], dtype: B });
  outs.push(...b.op('LOGICAL_AND', [x, y], [{ shape: [2, 3, 4], dtype: B }]));
  const u = b.input({ shape: [2, 1, 4], dtype: B });
  const v = b.input({ shape: [3, 1], dtype: B });
  outs.push(...b.op('LOGICAL_OR', [u, v], [{ shape: [2, 3, 4], dtype: B }]));
  outs.push(...b.op('LOGICAL_NOT', [x], [{ shape: [2, 3, 4], dtype: B }]));
  const w = b.input({ shape: [3, 4, 5], dtype: B });
  outs.push(...b.op('REDUCE_ALL', [w, b.ints([1])], [{ shape: [3, 1, 5], dtype: B }], { keepDims: true }));
  outs.push(...b.op('REDUCE_ALL', [w, b.ints([0, -1])], [{ shape: [4], dtype: B }], { keepDims: false }));
  // float32 comparisons feeding the logical ops
  const f1 = b.input({ shape: [4, 6], dtype: F });
  const f2 = b.input({ shape: [6], dtype: F });
  const [lt] = b.op('LESS', [f1, f2], [{ shape: [4, 6], dtype: B }]);
  const [gt] = b.op('GREATER', [f1, f2], [{ shape: [4, 6], dtype: B }]);
  const [either] = b.op('LOGICAL_OR', [lt!, gt!], [{ shape: [4, 6], dtype: B }]);
  const [same] = b.op('LOGICAL_NOT', [either!], [{ shape: [4, 6], dtype: B }]);
  outs.push(same!, ...b.op('REDUCE_ALL', [either!, b.ints([1])], [{ shape: [4], dtype: B }]));
  // SHAPE of a float input: its dimensions as int32 constants
  outs.push(...b.op('SHAPE', [f1], [{ shape: [2], dtype: 'int32' }]));
  // an int8 graph's float island: DEQUANTIZE -> GREATER_EQUAL -> LOGICAL_OR
  const q1 = b.input({ shape: [10], q: { scale: 0.05, zeroPoint: -3 } });
  const q2 = b.input({ shape: [10], q: { scale: 0.1, zeroPoint: 5 } });
  const [d1] = b.op('DEQUANTIZE', [q1], [{ shape: [10], dtype: F }]);
  const [d2] = b.op('DEQUANTIZE', [q2], [{ shape: [10], dtype: F }]);
  const [ge] = b.op('GREATER_EQUAL', [d1!, d2!], [{ shape: [10], dtype: B }]);
  const flag = b.input({ shape: [1], dtype: B });
  outs.push(...b.op('LOGICAL_AND', [ge!, flag], [{ shape: [10], dtype: B }]));
  b.output(...outs);
  return b.build();
}

/** Four cases: bools mostly true, mixed, all true, all false; floats on a small grid so that equal values occur. */
function logicalCases(graph: Graph): Uint8Array[][] {
  const rand = rng(5901);
  return [0.9, 0.5, 1, 0].map((pTrue) =>
    graph.inputs.map((i) => {
      const t = graph.tensors[i]!;
      const n = elementCount(t.shape);
      if (t.dtype === 'bool') return Uint8Array.from({ length: n }, () => (rand() < pTrue ? 1 : 0));
      if (t.dtype === 'float32') return new Uint8Array(toBytes(Float32Array.from({ length: n }, () => Math.floor(rand() * 5) * 0.25 - 0.5)));
      return new Uint8Array(Int8Array.from({ length: n }, () => Math.floor(rand() * 20) - 10).buffer);
    }),
  );
}

const TARGETS = FLOAT_FAMILY_TARGETS;

describe('logical ops and REDUCE_ALL on the host and on emulated boards', () => {
  const graph = logicalModel();
  const cases = logicalCases(graph);
  const reference = cases.map((c) => interpret(prepareGraph(graph), c).outputs);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-logical-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the reference equals TFLite Micro on every case, some outputs true and some false', function () {
    const bytes = reference.flat().flatMap((o) => Array.from(o));
    expect(bytes).to.include(0).and.to.include(1);
    if (!tflmRefAvailable(this)) return;
    cases.forEach((c, k) => {
      tflmOutputs(graph, c).forEach((o, i) =>
        expect(Array.from(reference[k]![i]!), `case ${k} output ${i} (expected: TFLite Micro)`).to.deep.equal(Array.from(o)),
      );
    });
  });

  for (const { target, tools } of TARGETS) {
    it(`${target}: every output byte of the four cases equals the reference`, async function () {
      requireTools(this, tools);
      const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
      report.cases.forEach((c, k) =>
        c.outputs.forEach((values, o) => {
          const t = graph.tensors[graph.outputs[o]!]!;
          const expected = t.dtype === 'int32' ? Array.from(new Int32Array(reference[k]![o]!.slice().buffer)) : Array.from(reference[k]![o]!);
          expect(values, `case ${k} output ${o}`).to.deep.equal(expected);
        }),
      );
    });
  }
});
