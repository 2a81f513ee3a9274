// SPDX-License-Identifier: Apache-2.0
/**
 * A float ONNX model as compression's starting point: the importer's float graph (NHWC inside, the
 * NCHW input transposed) computes what ONNX Runtime computes, and post-training quantization turns
 * it into an int8 graph that compiles. A QDQ model is refused there: it is already quantized.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { calibrateRanges } from '../../src/compress/calibrate.ts';
import { runFloatGraph } from '../../src/compress/float_executor.ts';
import { loadFloatModel } from '../../src/compress/model_io.ts';
import { quantizeGraph } from '../../src/compress/ptq.ts';
import { OnnxBuilder, attrInt, attrInts, randomInts, seeded } from '../helpers/onnx_builder.ts';
import { loadOnnxRuntime } from '../../src/lab/run/onnxruntime.ts';

function floatModel(): Uint8Array {
  const rand = seeded(3);
  const w = (n: number) => randomInts(rand, n, -100, 100).map((v) => v / 200);
  const b = new OnnxBuilder();
  const x = b.input('x', 'float', ['N', 3, 8, 8]);
  const c = b.one('Conv', [x, b.init('w', 'float', [4, 3, 3, 3], w(108)), b.init('b', 'float', [4], [0.1, 0, -0.1, 0.2])], [attrInts('pads', [1, 1, 1, 1])]);
  const d = b.one('Conv', [b.one('Relu', [c]), b.init('dw', 'float', [4, 1, 3, 3], w(36))], [attrInt('group', 4), attrInts('pads', [1, 1, 1, 1])]);
  const p = b.one('MaxPool', [d], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]);
  const f = b.one('Flatten', [p]);
  const g = b.one('Gemm', [f, b.init('fc', 'float', [5, 64], w(320)), b.init('fb', 'float', [5], [0.1, 0, 0, 0, -0.1])], [attrInt('transB', 1)]);
  b.output(b.one('Softmax', [g]), 'float');
  return b.bytes();
}

describe('float ONNX models for compression', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-float-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('evaluate as ONNX Runtime does, and quantize into an int8 graph that compiles', async function () {
    const bytes = floatModel();
    const path = join(dir, 'float.onnx');
    writeFileSync(path, bytes);
    const graph = await loadFloatModel(path);
    const rand = seeded(11);
    const batch = Float32Array.from({ length: 8 * 192 }, () => rand() * 2 - 1);
    const ours = tf.tidy(() => runFloatGraph(graph, [tf.tensor(batch, [8, 3, 8, 8])])[0]!.dataSync() as Float32Array);
    let ort: typeof import('onnxruntime-web') | undefined;
    try {
      ort = await loadOnnxRuntime('node');
    } catch {
      console.log('      (onnxruntime-node does not load: ONNX Runtime comparison skipped)');
    }
    if (ort) {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const result = await session.run({ x: new ort.Tensor('float32', batch, [8, 3, 8, 8]) });
      const theirs = result[session.outputNames[0]!]!.data as Float32Array;
      expect(ours.length).to.equal(theirs.length);
      expect(Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i]!)))).to.be.below(1e-5);
    }
    const ranges = calibrateRanges(graph, [tf.tensor(batch, [8, 3, 8, 8])]);
    const int8 = quantizeGraph(graph, ranges);
    const compiled = compileGraph(int8);
    expect(compiled.graph.ops.map((op) => op.kind)).to.include.members(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
  });

  it('a QDQ model is refused as already quantized', async function () {
    const b = new OnnxBuilder();
    const x = b.qdq(b.input('x', 'float', [1, 2, 3, 3]), 0.1, 0);
    b.output(b.qdq(b.one('Conv', [x, b.dqConst([2, 2, 1, 1], [1, 2, 3, 4], [0.1])]), 0.1, 0), 'float');
    const path = join(dir, 'qdq.onnx');
    writeFileSync(path, b.bytes());
    let message = '';
    await loadFloatModel(path).catch((e: Error) => (message = e.message));
    expect(message).to.match(/qdq\.onnx: already a quantized \(QDQ\) model/);
  });
});
