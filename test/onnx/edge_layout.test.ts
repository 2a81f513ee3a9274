// SPDX-License-Identifier: Apache-2.0
/**
 * An ONNX model's edges (docs/onnx.md, "What the compiled model takes and gives"): a 4-D NCHW conv
 * model compiles channels last by default, with no TRANSPOSE op and no transpose in the generated C;
 * `--onnx-layout as-exported` keeps NCHW at the C API and transposes on the board. Given the same
 * input file in ONNX's layout, both builds give the same outputs, read back in ONNX's layout, and
 * those agree with ONNX Runtime.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import type { OnnxLayout } from '../../src/core/model/onnx/edge_layout.ts';
import { readInputCases } from '../../src/lab/data/inputs.ts';
import { onnxRuntimeAvailable, runOnnxModel } from '../../src/lab/run/onnxruntime.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { OnnxBuilder, attrInts, seeded } from '../helpers/onnx_builder.ts';

/** NCHW float input -> QDQ 3x3 conv + Relu -> QDQ 1x1 conv -> float NCHW output [1, 4, 5, 6]. */
function convModel(): Uint8Array {
  const b = new OnnxBuilder();
  const x = b.qdq(b.input('x', 'float', [1, 3, 5, 6]), 0.03, 2);
  const w1 = b.dqConst(
    [4, 3, 3, 3],
    Array.from({ length: 108 }, (_, i) => ((i * 37) % 255) - 127),
    [0.01, 0.02, 0.015, 0.012],
    0,
  );
  const c1 = b.qdq(b.one('Relu', [b.one('Conv', [x, w1], [attrInts('pads', [1, 1, 1, 1])])]), 0.05, -128);
  const w2 = b.dqConst(
    [4, 4, 1, 1],
    Array.from({ length: 16 }, (_, i) => ((i * 53) % 200) - 100),
    [0.02],
    0,
  );
  b.output(b.qdq(b.one('Conv', [c1, w2]), 0.04, 3), 'float');
  return b.bytes();
}

describe('ONNX edges: channels last at the C API by default, as exported on request', function () {
  let dir: string;
  let model: string;
  let inputFile: string;
  let input: Float32Array;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-edges-'));
    model = join(dir, 'edges.onnx');
    writeFileSync(model, convModel());
    const rand = seeded(11);
    input = Float32Array.from({ length: 3 * 5 * 6 }, () => rand() * 4 - 2);
    // raw float32 in ONNX's NCHW order, as a user would save the ONNX model's input
    inputFile = join(dir, 'input.bin');
    writeFileSync(inputFile, new Uint8Array(input.buffer));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('compiles a 4-D NCHW conv model with no TRANSPOSE op and no transpose in the C', function () {
    const graph = loadGraph(model);
    expect(graph.ops.map((op) => op.kind)).to.not.include('TRANSPOSE');
    const x = graph.tensors[graph.inputs[0]!]!;
    const y = graph.tensors[graph.outputs[0]!]!;
    expect(x.shape).to.deep.equal([1, 5, 6, 3]);
    expect(x.onnx).to.deep.equal({ name: 'x', perm: [0, 2, 3, 1] });
    expect(y.shape).to.deep.equal([1, 5, 6, 4]);
    expect(y.onnx?.perm).to.deep.equal([0, 2, 3, 1]);
    const compiled = compileGraph(graph, 'edges.onnx', { isa: loadTarget('cortex-m4').isa });
    expect(compiled.graph.ops.map((op) => op.kind)).to.not.include('TRANSPOSE');
    for (const f of compiled.generated.files.filter((f) => /\.[ch]$/.test(f.name))) expect(f.text, f.name).to.not.match(/transpose/i);
    const header = compiled.generated.files.find((f) => f.name === 'edges.h')!.text;
    expect(header).to.match(/#define TF_EDGES_INPUT0_LAYOUT\s+"NHWC"/);
    expect(header).to.match(/#define TF_EDGES_OUTPUT0_LAYOUT\s+"NHWC"/);
    expect(header).to.include(`layout NHWC: the ONNX model's "x" is NCHW [1, 3, 5, 6]; here channels last`);

    const exported = loadGraph(model, { onnxLayout: 'as-exported' });
    expect(exported.ops.filter((op) => op.kind === 'TRANSPOSE')).to.have.length(2);
    expect(exported.tensors[exported.inputs[0]!]!.shape).to.deep.equal([1, 3, 5, 6]);
    const exportedHeader = compileGraph(exported, 'edges.onnx', { isa: loadTarget('cortex-m4').isa }).generated.files.find((f) => f.name === 'edges.h')!.text;
    expect(exportedHeader).to.match(/#define TF_EDGES_INPUT0_LAYOUT\s+"NCHW"/);
  });

  it('reads an NCHW input file for both layouts; both builds give the same NCHW outputs, equal to ONNX Runtime', async function () {
    const outputs = new Map<OnnxLayout, number[]>();
    for (const onnxLayout of ['channels-last', 'as-exported'] as const) {
      const cases = readInputCases(loadGraph(model, { onnxLayout }), inputFile);
      const report = await runModel(model, { target: 'host', cases, onnxLayout });
      expect(report.matchesReference, `${onnxLayout}: the C equals the interpreter`).to.equal(true);
      outputs.set(onnxLayout, report.outputs[0]!);
    }
    expect(outputs.get('channels-last')).to.deep.equal(outputs.get('as-exported'));
    if (!(await onnxRuntimeAvailable())) return void console.log('      (onnxruntime-web does not load: ONNX Runtime comparison skipped)');
    const ort = await runOnnxModel(model, [input]);
    const step = 0.04;
    const theirs = Array.from(ort.outputs[0]!.data as Float32Array);
    const ours = outputs.get('channels-last')!;
    expect(ours.length).to.equal(theirs.length);
    const worst = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]!) / step));
    expect(worst, 'largest difference from ONNX Runtime, in output steps').to.be.at.most(1 + 1e-3);
  });
});
