// SPDX-License-Identifier: Apache-2.0
/**
 * CompileOptions.onnxRequant (`--onnx-requant exact|fixed`): layers lowered from ONNX compute as ONNX
 * Runtime (float32 requantization) by default, in TFLite's fixed point when asked; the compile
 * summary and the generated banner say which.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { onnxArithmeticCounts } from '../../src/core/ops/common/numerics/requant_f32.ts';
import { formatOnnxArithmetic } from '../../src/face/report/inspect.ts';
import { compileChoicesOf } from '../../src/face/cli/choice-options.ts';
import { singleOpGraph } from '../helpers/op_harness.ts';

/** One FULLY_CONNECTED layer lowered from ONNX. */
function onnxFc() {
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [1, 4], scale: 0.05, zeroPoint: 2 },
      { shape: [3, 4], scale: [0.01, 0.02, 0.03], zeroPoint: [0, 0, 0], data: Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]) },
    ],
    [{ shape: [1, 3], scale: 0.04, zeroPoint: -1 }],
    { activation: 'NONE', keepNumDims: false, arithmetic: 'onnxruntime' },
  ).graph;
}

describe('--onnx-requant', () => {
  it('exact (the default): float32 requantization in the C, counted as exact', () => {
    const compiled = compileGraph(onnxFc(), 'fc.onnx', {});
    expect(onnxArithmeticCounts(compiled.prepared.layers)).to.deep.equal({ exact: 1, fixed: 0 });
    expect(compiled.prepared.layers[0]!.variant.name).to.equal('portable');
    const source = compiled.generated.files.map((f) => f.text).join('\n');
    expect(source).to.include('tf_requant_f32(');
    // on the Arm DSP family its kernel, with ONNX Runtime's steps as the epilogue
    const dsp = compileGraph(onnxFc(), 'fc.onnx', { isa: { dsp: true } });
    expect(onnxArithmeticCounts(dsp.prepared.layers)).to.deep.equal({ exact: 1, fixed: 0 });
    expect(dsp.prepared.layers[0]!.variant.family).to.equal('arm-dsp');
    expect(dsp.generated.files.map((f) => f.text).join('\n')).to.include("ONNX Runtime's float32 requantization");
    expect(formatOnnxArithmetic(compiled.prepared)).to.equal(
      'ONNX arithmetic: 1 layer as ONNX Runtime (float32 requantization, exact), 0 layers in fixed point (within 1 LSB; --onnx-requant)',
    );
  });

  it('fixed: the fixed-point kernels (target variants too), counted as fixed, named in the banner', () => {
    const compiled = compileGraph(onnxFc(), 'fc.onnx', { isa: { dsp: true }, onnxRequant: 'fixed' });
    expect(onnxArithmeticCounts(compiled.prepared.layers)).to.deep.equal({ exact: 0, fixed: 1 });
    expect(compiled.prepared.layers[0]!.variant.family).to.equal('arm-dsp');
    const source = compiled.generated.files.map((f) => f.text).join('\n');
    expect(source).not.to.include('tf_requant_f32(');
    expect(source).to.include('--onnx-requant fixed');
  });

  it('ADD, AVERAGE_POOL_2D, MEAN and QUANTIZE of an ONNX model compile whole, on the portable C, counted as exact', () => {
    const q = { scale: 0.05, zeroPoint: 3 };
    const attrs = { arithmetic: 'onnxruntime' };
    const graphs = [
      singleOpGraph(
        'ADD',
        [
          { shape: [1, 4, 4, 8], ...q },
          { shape: [8], scale: 0.1, zeroPoint: -2 },
        ],
        [{ shape: [1, 4, 4, 8], scale: 0.07, zeroPoint: 1 }],
        {
          activation: 'NONE',
          ...attrs,
        },
      ).graph,
      singleOpGraph('AVERAGE_POOL_2D', [{ shape: [1, 4, 4, 8], ...q }], [{ shape: [1, 2, 2, 8], scale: 0.03, zeroPoint: -1 }], {
        padding: 'VALID',
        strideH: 2,
        strideW: 2,
        filterH: 2,
        filterW: 2,
        activation: 'NONE',
        ...attrs,
      }).graph,
      singleOpGraph(
        'MEAN',
        [
          { shape: [1, 4, 4, 8], ...q },
          { shape: [2], dtype: 'int32', data: Int32Array.of(1, 2) },
        ],
        [{ shape: [1, 1, 1, 8], ...q }],
        {
          keepDims: true,
          ...attrs,
        },
      ).graph,
      singleOpGraph('QUANTIZE', [{ shape: [1, 16], dtype: 'float32' }], [{ shape: [1, 16], ...q }], attrs).graph,
    ];
    for (const graph of graphs) {
      const compiled = compileGraph(graph, 'layer.onnx', { isa: { dsp: true } });
      expect(onnxArithmeticCounts(compiled.prepared.layers), graph.ops[0]!.kind).to.deep.equal({ exact: 1, fixed: 0 });
      expect(compiled.prepared.layers[0]!.variant.family, graph.ops[0]!.kind).to.equal('portable');
    }
  });

  it('a TFLite model has no ONNX layers: nothing to say', () => {
    const graph = onnxFc();
    delete graph.ops[0]!.attrs.arithmetic;
    expect(formatOnnxArithmetic(compileGraph(graph, 'fc.tflite').prepared)).to.equal('');
  });

  it('the flag and TINYFORGE_ONNX_REQUANT set the option; exact, the default, sets nothing', () => {
    expect(compileChoicesOf({ onnxRequant: 'fixed' }, {})).to.deep.equal({ onnxRequant: 'fixed' });
    expect(compileChoicesOf({ onnxRequant: 'exact' }, {})).to.deep.equal({});
    expect(compileChoicesOf({}, { TINYFORGE_ONNX_REQUANT: 'fixed' })).to.deep.equal({ onnxRequant: 'fixed' });
    expect(compileChoicesOf({ onnxRequant: 'exact' }, { TINYFORGE_ONNX_REQUANT: 'fixed' })).to.deep.equal({});
  });
});
