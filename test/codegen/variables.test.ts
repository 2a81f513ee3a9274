// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';

/** out = input + state, where the state is an int8 variable tensor with zero point 5 (real 0 after reset). */
function graphWithState(): Graph {
  const q = (zp: number) => ({ scale: [0.5], zeroPoint: [zp], axis: 0 });
  return {
    name: 'stateful',
    tensors: [
      { index: 0, name: 'input', shape: [1, 8], dtype: 'int8', quant: q(0) },
      { index: 1, name: 'state', shape: [1, 8], dtype: 'int8', quant: q(5), isVariable: true },
      { index: 2, name: 'output', shape: [1, 8], dtype: 'int8', quant: q(0) },
    ],
    ops: [{ index: 0, kind: 'ADD', inputs: [0, 1], outputs: [2], attrs: { activation: 'NONE' } }],
    inputs: [0],
    outputs: [2],
  };
}

describe('variable tensors', () => {
  const input = new Uint8Array(Int8Array.from([0, 1, -2, 3, -4, 50, -60, 7]).buffer);

  it('start at their zero point in the reference interpreter, as in TFLite Micro', () => {
    const { prepared } = compileGraph(graphWithState());
    const [out] = interpret(prepared, [input]).outputs;
    expect(Array.from(new Int8Array(out!.buffer))).to.deep.equal([0, 1, -2, 3, -4, 50, -60, 7]);
  });

  it('start at their zero point in the generated C (tf_model_reset), bit-exact with the reference', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tf-var-')), 'stateful.tflite');
    saveTflite(path, graphWithState());
    const report = await runModel(path, { target: 'host', sanitize: true, cases: [[input], [input]] });
    expect(report.matchesReference).to.equal(true);
    expect(report.cases.map((c) => c.outputs[0])).to.deep.equal([
      [0, 1, -2, 3, -4, 50, -60, 7],
      [0, 1, -2, 3, -4, 50, -60, 7],
    ]);
  });
});
