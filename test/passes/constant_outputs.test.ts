// SPDX-License-Identifier: Apache-2.0
/**
 * A model output that is a constant is copied from flash by a RESHAPE (passes/constant_outputs.ts):
 * the compiled model gives the constant's data, as TFLite Micro does, and the output keeps its name.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyConstantOutputs, optimizeGraph } from '../../src/core/passes/index.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';

const Q = { scale: 0.1, zeroPoint: 0 };

function constantOutputModel() {
  const b = new GraphBuilder('const_out');
  const x = b.input({ shape: [1, 4], q: Q });
  const [y] = b.op('RELU', [x], [{ shape: [1, 4], q: Q }]);
  const table = b.constant({ shape: [1, 4], q: Q, name: 'table' }, Int8Array.from([1, 2, 3, 4]));
  // a float constant beside it: a copy is no float computation
  const scale = b.constant({ shape: [], dtype: 'float32', name: 'scale' }, Float32Array.from([0.25]));
  b.output(y!, table, scale);
  return { graph: b.build(), table, scale };
}

describe('pass: constant outputs are copied from flash', () => {
  it('gives each constant output a RESHAPE from its data; the output keeps its index and name', () => {
    const { graph, table, scale } = constantOutputModel();
    const copied = copyConstantOutputs(graph);
    expect(copied.outputs).to.deep.equal(graph.outputs);
    const copies = copied.ops.filter((op) => op.kind === 'RESHAPE');
    expect(copies.map((op) => op.outputs[0])).to.deep.equal([table, scale]);
    for (const op of copies) {
      const [source, output] = [copied.tensors[op.inputs[0]!]!, copied.tensors[op.outputs[0]!]!];
      expect(source.name).to.equal(`${output.name}_data`);
      expect(source.data).to.not.equal(undefined);
      expect(output.data).to.equal(undefined);
    }
    expect(graph.tensors[table]!.data, 'the input graph is not changed').to.not.equal(undefined);
    expect(optimizeGraph(graph).ops.map((op) => op.kind)).to.deep.equal(['RELU', 'RESHAPE', 'RESHAPE']);
    // a RESHAPE of a constant is no alias: its bytes are in flash, so its C copies them
    const copiesPrepared = compileGraph(graph).prepared.layers.filter((l) => l.op.kind === 'RESHAPE');
    expect(copiesPrepared.map((l) => l.isAlias)).to.deep.equal([false, false]);
  });

  it('the compiled model gives the constants beside the computed output (host C)', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-const-out-'));
    try {
      const path = join(dir, 'const_out.tflite');
      writeFileSync(path, writeTflite(constantOutputModel().graph));
      const report = await runModel(path, { target: 'host', cases: [[new Uint8Array(Int8Array.from([-5, 0, 7, 127]).buffer)]] });
      expect(report.cases[0]!.matchesReference).to.equal(true);
      expect(report.outputs).to.deep.equal([[0, 0, 7, 127], [1, 2, 3, 4], [0.25]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
