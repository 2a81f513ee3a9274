// SPDX-License-Identifier: Apache-2.0
/** The CLI on an ONNX model: inspect lists what each node became, compile and run take the .onnx. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { OnnxBuilder, attrInts } from '../helpers/onnx_builder.ts';

function qdqConv(): Uint8Array {
  const b = new OnnxBuilder();
  const x = b.qdq(b.input('x', 'float', ['batch', 2, 4, 4]), 0.05, 0);
  const w = b.dqConst(
    [3, 2, 3, 3],
    Array.from({ length: 54 }, (_, i) => ((i * 37) % 255) - 127),
    [0.01, 0.02, 0.015],
    0,
  );
  const c = b.one('Conv', [x, w], [attrInts('pads', [1, 1, 1, 1])]);
  b.nodes.at(-1)!.name = 'conv1';
  const r = b.one('Relu', [c]);
  b.output(b.qdq(r, 0.1, -128), 'float');
  return b.bytes();
}

describe('CLI: ONNX models', function () {
  let dir: string;
  let model: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-cli-'));
    model = join(dir, 'qdq_conv.onnx');
    writeFileSync(model, qdqConv());
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('inspect lists each ONNX node and what it became, in text and in --json', function () {
    const r = tinyforge(['inspect', model]);
    expect(r.status, r.stderr).to.equal(0);
    const text = unwrapped(r.stdout);
    expect(text).to.include('ONNX opset 13');
    // channels last by default: the input is NHWC, no transpose before the conv
    expect(text).to.match(/conv1 Conv -> CONV_2D\b/);
    expect(text).to.include('ONNX inputs and outputs (no transpose runs on the board at the edges):');
    expect(text).to.match(/input "x": NHWC \[1, 4, 4, 2\], the ONNX model's NCHW \[1, 2, 4, 4\] permuted on the host/);
    expect(text).to.match(/Relu -> \(no op\): fused into node \d+ 'conv1' \(Conv\)/);
    const json = expectSchemaValid<{ onnx: { opset: number; nodes: { opType: string; kinds: string[] }[] } }>(
      tinyforge(['inspect', model, '--json']).stdout,
      'inspect',
    );
    expect(json.onnx.opset).to.equal(13);
    expect(json.onnx.nodes.find((n) => n.opType === 'Conv')!.kinds).to.deep.equal(['CONV_2D']);
    const exported = tinyforge(['inspect', model, '--onnx-layout', 'as-exported']);
    expect(exported.status, exported.stderr).to.equal(0);
    expect(unwrapped(exported.stdout)).to.match(/conv1 Conv -> TRANSPOSE \+ CONV_2D/);
    expect(unwrapped(exported.stdout)).to.include('ONNX inputs and outputs (1 transpose at the input and 1 transpose at the output run on the board):');
  });

  it('compile and run take the .onnx', function () {
    const compiled = tinyforge(['compile', model, '-o', join(dir, 'out')]);
    expect(compiled.status, compiled.stderr).to.equal(0);
    const run = tinyforge(['run', model, '--target', 'host', '--json']);
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout).cases[0].matchesReference).to.equal(true);
  });
});
