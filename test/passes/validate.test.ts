// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optimizeGraph } from '../../src/core/passes/index.ts';
import { compileFile, compileGraph } from '../../src/core/compile.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { tflmOutputs } from '../helpers/tflm_ref.ts';

const Q = { scale: 0.1, zeroPoint: 0 };

describe('pass: rejecting what cannot be compiled, naming the op', () => {
  it('compiles a dynamic dimension of a shape_signature at its converted size, as TFLite Micro runs it', function () {
    const b = new GraphBuilder('dynamic');
    const x = b.input({ shape: [1, 1, 40], shapeSignature: [1, -1, 40], q: Q, name: 'frames' });
    const [y] = b.op('RESHAPE', [x], [{ shape: [1, 40], shapeSignature: [-1, 40], q: Q }]);
    const [z] = b.op('RELU', [y!], [{ shape: [1, 40], q: Q }]);
    b.output(z!);
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-dyn-'));
    try {
      const path = join(dir, 'dynamic.tflite');
      saveTflite(path, b.build());
      const graph = readTflite(path);
      expect(graph.tensors[x]!.shapeSignature).to.deep.equal([1, -1, 40]);
      const compiled = compileFile(path);
      const input = Int8Array.from({ length: 40 }, (_, i) => i * 7 - 140);
      const ours = interpret(compiled.prepared, [new Uint8Array(input.buffer)]).outputs;
      expect(Array.from(ours[0]!)).to.deep.equal(Array.from(tflmOutputs(graph, [new Uint8Array(input.buffer)])[0]!));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a dynamic batch converted at 1 (Keras models), as TFLite Micro runs them', () => {
    const b = new GraphBuilder('batch');
    const x = b.input({ shape: [1, 4], shapeSignature: [-1, 4], q: Q });
    const [y] = b.op('RESHAPE', [x], [{ shape: [2, 2], q: Q }]);
    b.output(y!);
    expect(() => compileGraph(b.build())).to.not.throw();
  });

  it('rejects a negative size in a shape and a computed paddings input, naming the op', () => {
    const b = new GraphBuilder('negative');
    const x = b.input({ shape: [1, -1], q: Q });
    const [y] = b.op('RESHAPE', [x], [{ shape: [4], q: Q }]);
    b.output(y!);
    expect(() => optimizeGraph(b.build(), 'n.tflite')).to.throw(
      TinyforgeError,
      /^n\.tflite: op 0 \(RESHAPE\): input tensor 0 "t0" has a dynamic shape \(shape \[1,-1\]; dimension 1\)/,
    );

    const c = new GraphBuilder('computed');
    const v = c.input({ shape: [2], q: Q });
    const p = c.input({ shape: [1, 2], dtype: 'int32', name: 'pads' });
    const [w] = c.op('PAD', [v, p], [{ shape: [4], q: Q }]);
    c.output(w!);
    expect(() => compileGraph(c.build(), 'c.tflite')).to.throw(
      TinyforgeError,
      /op 0 \(PAD\): paddings tensor 1 "pads" is computed at run time \(a dynamic shape\)/,
    );
  });

  it('rejects a float op without a float32 kernel, naming it; QUANTIZE/DEQUANTIZE boundaries are fine', () => {
    const b = new GraphBuilder('island');
    const x = b.input({ shape: [1, 4], q: Q });
    const [f] = b.op('DEQUANTIZE', [x], [{ shape: [1, 4], dtype: 'float32' }]);
    const [g] = b.op('GELU', [f!], [{ shape: [1, 4], dtype: 'float32', name: 'gelu' }], { approximate: false });
    const [q] = b.op('QUANTIZE', [g!], [{ shape: [1, 4], q: { scale: 1 / 256, zeroPoint: -128 } }]);
    const [y] = b.op('RESHAPE', [q!], [{ shape: [4], q: { scale: 1 / 256, zeroPoint: -128 } }]);
    b.output(y!);
    expect(() => compileGraph(b.build(), 'island.tflite')).to.throw(
      TinyforgeError,
      /^island\.tflite: op 1 \(GELU\) computes in float32 \(tensor 1 "t1"\): tinyforge has no float32 kernel for GELU yet/,
    );

    const ok = new GraphBuilder('boundary');
    const fin = ok.input({ shape: [1, 4], dtype: 'float32' });
    const [qi] = ok.op('QUANTIZE', [fin], [{ shape: [1, 4], q: Q }]);
    const [r] = ok.op('RESHAPE', [qi!], [{ shape: [4], q: Q }]);
    const [fo] = ok.op('DEQUANTIZE', [r!], [{ shape: [4], dtype: 'float32' }]);
    ok.output(fo!);
    expect(() => compileGraph(ok.build())).to.not.throw();
  });

  it('compiles a float model of ops with float32 kernels, and names the first op without one', () => {
    const b = new GraphBuilder('float');
    const x = b.input({ shape: [4], dtype: 'float32' });
    const [y] = b.op('RESHAPE', [x], [{ shape: [2, 2], dtype: 'float32' }]);
    b.output(y!);
    expect(() => compileGraph(b.build(), 'f.tflite')).to.not.throw();

    const c = new GraphBuilder('float2');
    const u = c.input({ shape: [4], dtype: 'float32' });
    const [v] = c.op('RELU', [u], [{ shape: [4], dtype: 'float32' }]);
    const [w] = c.op('GELU', [v!], [{ shape: [4], dtype: 'float32' }], { approximate: true });
    c.output(w!);
    expect(() => compileGraph(c.build(), 'g.tflite')).to.throw(
      TinyforgeError,
      /^g\.tflite: op 1 \(GELU\) computes in float32 \(tensor 1 "t1"\): tinyforge has no float32 kernel for GELU yet/,
    );
  });
});
