// SPDX-License-Identifier: Apache-2.0
/**
 * The batch/space, comparison, selection, scan, gather and cast ops in one model, compiled whole: a
 * dilated convolution as the converter writes it (SPACE_TO_BATCH_ND → CONV_2D → BATCH_TO_SPACE_ND),
 * a GREATER whose bool output feeds a SELECT_V2 and is also a model output, CUMSUM, GATHER with
 * constant positions and a CAST to int32 at the end. The TS reference must give TFLite Micro's
 * outputs (tflm-ref) and the compiled C (host under ASan+UBSan, Cortex-M4, Cortex-M0) the
 * reference's.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { requireTools } from '../build/helpers.ts';

export const LOGIC_MODEL_OPS = ['SPACE_TO_BATCH_ND', 'CONV_2D', 'BATCH_TO_SPACE_ND', 'GREATER', 'SELECT_V2', 'CUMSUM', 'GATHER', 'CAST'];

function logicModel(): Graph {
  const rand = rng(2024);
  const b = new GraphBuilder('logic_ops');
  const qx = { scale: 0.05, zeroPoint: -3 };
  const x = b.input({ shape: [1, 6, 6, 3], q: qx });
  const [s2b] = b.op('SPACE_TO_BATCH_ND', [x, b.ints([2, 2]), b.ints([1, 1, 1, 1], [2, 2])], [{ shape: [4, 4, 4, 3], q: qx }]);
  const scales = [0.01, 0.02, 0.015, 0.03];
  const filter = b.constant({ shape: [4, 3, 3, 3], quant: { scale: scales, zeroPoint: [0, 0, 0, 0], axis: 0 } }, randomInt8(rand, 108, -127, 127));
  const bias = b.constant(
    { shape: [4], dtype: 'int32', quant: { scale: scales.map((s) => s * qx.scale), zeroPoint: [0, 0, 0, 0], axis: 0 } },
    Int32Array.from([100, -200, 0, 3000]),
  );
  const qc = { scale: 0.1, zeroPoint: 5 };
  const [conv] = b.op('CONV_2D', [s2b!, filter, bias], [{ shape: [4, 2, 2, 4], q: qc }], {
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
    dilationH: 1,
    dilationW: 1,
    activation: 'NONE',
  });
  const [dilated] = b.op('BATCH_TO_SPACE_ND', [conv!, b.ints([2, 2]), b.ints([0, 0, 0, 0], [2, 2])], [{ shape: [1, 4, 4, 4], q: qc }]);
  const qy = { scale: 0.08, zeroPoint: 10 };
  const y = b.input({ shape: [1, 4, 4, 4], q: qy });
  const w = b.input({ shape: [1, 1, 1, 4], q: qy });
  const [cond] = b.op('GREATER', [dilated!, y], [{ shape: [1, 4, 4, 4], dtype: 'bool' }]);
  const [sel] = b.op('SELECT_V2', [cond!, y, w], [{ shape: [1, 4, 4, 4], q: qy }]);
  const [cs] = b.op('CUMSUM', [sel!, b.ints([2])], [{ shape: [1, 4, 4, 4], q: { scale: 0.3, zeroPoint: 0 } }], { exclusive: false, reverse: true });
  const [g] = b.op('GATHER', [cs!, b.ints([3, 0, 1])], [{ shape: [1, 4, 4, 3], q: { scale: 0.3, zeroPoint: 0 } }], { axis: 3, batchDims: 0 });
  const [c] = b.op('CAST', [g!], [{ shape: [1, 4, 4, 3], dtype: 'int32' }], { inDataType: 'INT8', outDataType: 'INT32' });
  b.output(c!, cond!);
  return b.build();
}

function inputCases(graph: Graph): Uint8Array[][] {
  const rand = rng(7);
  return [0, 1, 2].map(() =>
    graph.inputs.map(
      (i) =>
        new Uint8Array(
          randomInt8(
            rand,
            graph.tensors[i]!.shape.reduce((a, d) => a * d, 1),
          ).buffer,
        ),
    ),
  );
}

describe('a model of the logic, scan, gather and batch/space ops, compiled whole', function () {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-logic-ops-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the TS reference gives TFLite Micro's outputs byte for byte", function () {
    if (!tflmRefAvailable(this)) return;
    const graph = logicModel();
    const compiled = compileGraph(graph);
    const kinds = new Set(compiled.graph.ops.map((op) => op.kind));
    expect(
      LOGIC_MODEL_OPS.filter((k) => !kinds.has(k)),
      'ops missing from the compiled model',
    ).to.deep.equal([]);
    for (const cs of inputCases(graph)) {
      const ours = interpret(compiled.prepared, cs).outputs;
      const theirs = tflmOutputs(graph, cs);
      ours.forEach((o, i) => expect(Buffer.from(o).toString('hex'), `output ${i}`).to.equal(Buffer.from(theirs[i]!).toString('hex')));
    }
  });

  for (const target of ['host', 'cortex-m4', 'cortex-m0']) {
    it(`the compiled C on ${target} matches the reference`, async function () {
      if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const graph = logicModel();
      const path = join(dir, `logic_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const cases = inputCases(graph);
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });
  }
});
