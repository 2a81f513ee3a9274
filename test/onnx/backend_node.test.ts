// SPDX-License-Identifier: Apache-2.0
/**
 * ONNX's own backend node tests of the quantized ops (libonnx-testdata), each through tinyforge's
 * whole pipeline: the inputs a microcontroller model holds as constants (scales, zero points,
 * weights; every input of a DynamicQuantizeLinear test, which then folds) are bound as
 * initializers, the model is loaded from its file, compiled for the host, built and run, and each
 * output must equal the test's output_N.pb byte for byte. A test tinyforge does not take is listed
 * with the one line it is refused with and why.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { bindInputsAsConstants } from '../../src/core/model/onnx/qoperator.ts';
import { decodeModelProto, decodeTensorProto, encodeModelProto, type OnnxTensorProto } from '../../src/core/model/onnx/schema.ts';
import { tensorValues } from '../../src/core/model/onnx/tensors.ts';
import { runModel } from '../../src/lab/run/run.ts';

const BACKEND_TESTS = '/usr/share/libonnx-testdata/data/node';

interface BackendTest {
  name: string;
  /** 'pass': every output_N.pb byte for byte; otherwise the one line the model is refused with */
  outcome: 'pass' | RegExp;
  /** bind every input (a constant DynamicQuantizeLinear folds); default all but input 0 */
  bindAll?: boolean;
}

const TESTS: BackendTest[] = [
  { name: 'test_quantizelinear', outcome: 'pass' },
  { name: 'test_dequantizelinear', outcome: 'pass' },
  // per-axis (channel) scales at the model's edge: one QUANTIZE / DEQUANTIZE with a scale and zero
  // point per channel
  { name: 'test_quantizelinear_axis', outcome: 'pass' },
  { name: 'test_dequantizelinear_axis', outcome: 'pass' },
  // uint8 weight 0 with zero point 255 (w - zw = -255): the 1x1 conv runs as FULLY_CONNECTED,
  // which keeps the weight zero point in its sum
  { name: 'test_qlinearconv', outcome: 'pass' },
  // uint8 weights with zero point 114 (w - zw reaches 141): FULLY_CONNECTED keeps the per-tensor
  // weight zero point in its sum
  { name: 'test_qlinearmatmul_2D', outcome: 'pass' },
  // constant B of rank 3: BATCH_MATMUL with B a constant, which takes both zero points; it
  // requantizes in TFLite's fixed point (within 1 LSB of ONNX Runtime), equal on these 12 outputs
  { name: 'test_qlinearmatmul_3D', outcome: 'pass' },
  // ConvInteger / MatMulInteger: scale 1 on both sides, so the sum is the accumulator: CONV_2D and
  // FULLY_CONNECTED with an int32 output, which is the accumulator itself (no requantization)
  { name: 'test_convinteger_with_padding', outcome: 'pass' },
  { name: 'test_convinteger_without_padding', outcome: 'pass' },
  { name: 'test_basic_convinteger', outcome: 'pass' },
  { name: 'test_matmulinteger', outcome: 'pass' },
  // a constant input folds the whole graph into constant outputs, which a compiled model copies
  // from flash, but the bound graph has no input left, and tinyforge's harnesses and device
  // protocol exchange inputs per inference
  {
    name: 'test_dynamicquantizelinear',
    bindAll: true,
    outcome: /every graph output is a constant and the graph has no inputs: tinyforge runs models that compute from at least one input$/,
  },
  {
    name: 'test_dynamicquantizelinear_max_adjusted',
    bindAll: true,
    outcome: /every graph output is a constant and the graph has no inputs: tinyforge runs models that compute from at least one input$/,
  },
  {
    name: 'test_dynamicquantizelinear_min_adjusted',
    bindAll: true,
    outcome: /every graph output is a constant and the graph has no inputs: tinyforge runs models that compute from at least one input$/,
  },
  // the expanded form computes the range at run time with ReduceMin / ReduceMax, which are not lowered
  {
    name: 'test_dynamicquantizelinear_expanded',
    bindAll: true,
    outcome: /node 2 \(ReduceMin\): op ReduceMin \(opset 11\) is not supported$/,
  },
  {
    name: 'test_dynamicquantizelinear_max_adjusted_expanded',
    bindAll: true,
    outcome: /node 2 \(ReduceMin\): op ReduceMin \(opset 11\) is not supported$/,
  },
  {
    name: 'test_dynamicquantizelinear_min_adjusted_expanded',
    bindAll: true,
    outcome: /node 2 \(ReduceMin\): op ReduceMin \(opset 11\) is not supported$/,
  },
];

/** A tensor's values as the little-endian bytes tinyforge's input buffer holds. */
function bytesOf(tensor: OnnxTensorProto): Uint8Array {
  const { dtype, values } = tensorValues(tensor);
  if (dtype === 'float32') return new Uint8Array(Float32Array.from(values).buffer);
  if (dtype === 'int8') return new Uint8Array(Int8Array.from(values).buffer);
  if (dtype === 'uint8') return Uint8Array.from(values);
  throw new Error(`an input of type ${dtype} is not fed here`);
}

describe("ONNX's backend node tests through the pipeline", function () {
  let dir: string;
  before(function () {
    if (!existsSync(BACKEND_TESTS)) {
      console.log(`    (skipped: ${BACKEND_TESTS} is absent; apt install libonnx-testdata)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-onnx-backend-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const test of TESTS) {
    const says = test.outcome === 'pass' ? 'gives its output_N.pb on the host' : 'is refused in one line';
    it(`${test.name} ${says}`, async function () {
      const data = join(BACKEND_TESTS, test.name, 'test_data_set_0');
      const model = decodeModelProto(readFileSync(join(BACKEND_TESTS, test.name, 'model.onnx')));
      const bindings: Record<string, OnnxTensorProto> = {};
      model.graph!.input!.forEach((input, i) => {
        if (test.bindAll || i > 0) bindings[input.name!] = decodeTensorProto(readFileSync(join(data, `input_${i}.pb`)));
      });
      const path = join(dir, `${test.name}.onnx`);
      writeFileSync(path, encodeModelProto(bindInputsAsConstants(model, bindings)));
      if (test.outcome !== 'pass') {
        expect(() => loadGraph(path))
          .to.throw(TinyforgeError, test.outcome)
          .with.property('message')
          .that.does.not.include('\n');
        return;
      }
      const input = decodeTensorProto(readFileSync(join(data, 'input_0.pb')));
      const report = await runModel(path, {
        target: 'host',
        cases: [[bytesOf(input)]],
      });
      expect(report.cases[0]!.matchesReference, 'compiled C equals the TS reference').to.equal(true);
      model.graph!.output!.forEach((_, k) => {
        const expected = tensorValues(decodeTensorProto(readFileSync(join(data, `output_${k}.pb`))));
        expect(report.outputs[k], `output_${k}.pb`).to.deep.equal(expected.values);
      });
    });
  }
});
