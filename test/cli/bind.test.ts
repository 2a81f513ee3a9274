// SPDX-License-Identifier: Apache-2.0
/**
 * `--bind NAME=FILE`: an ONNX graph input that is a constant. ONNX's quantized node tests
 * (libonnx-testdata) feed scales, zero points and weights as graph inputs; bound from their
 * input_N.pb files, each runs through the CLI on the host and gives its output_0.pb bit for bit,
 * with input_0.pb as the only input. The same value as .npy or raw bytes binds the same, and every
 * mistake is one line naming the model, the input and the file.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { bindingsOf } from '../../src/core/model/onnx/bind.ts';
import { decodeModelProto, decodeTensorProto } from '../../src/core/model/onnx/schema.ts';
import { tensorValues } from '../../src/core/model/onnx/tensors.ts';
import { run } from '../../src/index.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';

const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';

/** The quantized node tests: every input but input_0 is bound. */
const TESTS = [
  'test_qlinearconv',
  'test_qlinearmatmul_2D',
  'test_qlinearmatmul_3D',
  'test_quantizelinear',
  'test_quantizelinear_axis',
  'test_dequantizelinear',
  'test_dequantizelinear_axis',
  'test_convinteger_with_padding',
  'test_convinteger_without_padding',
  'test_matmulinteger',
];

const modelOf = (test: string) => join(NODE_TESTS, test, 'model.onnx');
const dataOf = (test: string) => join(NODE_TESTS, test, 'test_data_set_0');

/** `--bind NAME=input_K.pb` for every graph input but the first. */
function bindArgs(test: string): string[] {
  const inputs = decodeModelProto(readFileSync(modelOf(test))).graph!.input!;
  return inputs.slice(1).flatMap((input, k) => ['--bind', `${input.name}=${join(dataOf(test), `input_${k + 1}.pb`)}`]);
}

const expectedOutput = (test: string) => tensorValues(decodeTensorProto(readFileSync(join(dataOf(test), 'output_0.pb')))).values;

/** A TensorProto file's values as a .npy (version 1.0, C order). */
function npyOf(pb: string): Uint8Array {
  const { dtype, dims, values } = tensorValues(decodeTensorProto(readFileSync(pb)));
  const [descr, data] =
    dtype === 'float32'
      ? ['<f4', new Uint8Array(Float32Array.from(values).buffer)]
      : dtype === 'int8'
        ? ['|i1', Uint8Array.from(values, (v) => v & 0xff)]
        : ['|u1', Uint8Array.from(values)];
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  return new Uint8Array([...head, ...data]);
}

describe('--bind: ONNX graph inputs that are constants', function () {
  let dir: string;
  before(function () {
    if (!existsSync(NODE_TESTS)) skipAbsent(`${NODE_TESTS} not found (apt install libonnx-testdata)`, 'skipped', this);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-bind-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const test of TESTS) {
    it(`${test}: run with its scales and zero points bound gives output_0.pb on the host`, function () {
      const r = tinyforge(['run', modelOf(test), ...bindArgs(test), '--input', join(dataOf(test), 'input_0.pb'), '--target', 'host', '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as { outputs: number[][]; matchesReference: boolean };
      expect(report.matchesReference).to.equal(true);
      expect(report.outputs[0]).to.deep.equal(expectedOutput(test));
    });
  }

  it('inspect and compile take --bind; the bound inputs leave the model', function () {
    const r = tinyforge(['inspect', modelOf('test_qlinearconv'), ...bindArgs('test_qlinearconv')]);
    expect(r.status, r.stderr).to.equal(0);
    expect(unwrapped(r.stdout)).to.match(/input "x": NHWC \[1, 7, 7, 1\]/);
    expect(unwrapped(r.stdout)).to.not.include('x_scale');
    const out = join(dir, 'qlinearconv');
    const c = tinyforge(['compile', modelOf('test_qlinearconv'), ...bindArgs('test_qlinearconv'), '--target', 'cortex-m4', '-o', out]);
    expect(c.status, c.stderr).to.equal(0);
    expect(existsSync(join(out, 'model.c'))).to.equal(true);
  });

  it('validate --reference takes --bind: the test data directory as the reference', function () {
    const r = tinyforge([
      'validate',
      modelOf('test_qlinearconv'),
      ...bindArgs('test_qlinearconv'),
      '--reference',
      dataOf('test_qlinearconv'),
      '--target',
      'host',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    expect(unwrapped(r.stdout)).to.match(/all \d+ layer outputs and 1 model output equal the reference/);
  });

  it('binds the same value from a .npy and from raw bytes', function () {
    const test = 'test_qlinearmatmul_2D';
    const inputs = decodeModelProto(readFileSync(modelOf(test))).graph!.input!;
    const args = inputs.slice(1).flatMap((input, k) => {
      const pb = join(dataOf(test), `input_${k + 1}.pb`);
      const file = join(dir, `${input.name}${k % 2 === 0 ? '.npy' : '.bin'}`);
      const npy = npyOf(pb);
      // raw bytes: the .npy's data after its 64-byte-aligned header
      writeFileSync(file, k % 2 === 0 ? npy : npy.subarray(10 + (npy[8]! | (npy[9]! << 8))));
      return ['--bind', `${input.name}=${file}`];
    });
    const r = tinyforge(['run', modelOf(test), ...args, '--input', join(dataOf(test), 'input_0.pb'), '--target', 'host', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as { outputs: number[][] }).outputs[0]).to.deep.equal(expectedOutput(test));
  });

  it('the API takes bind', async function () {
    const test = 'test_quantizelinear';
    const bind = bindingsOf(bindArgs(test).filter((_, i) => i % 2 === 1));
    const x = tensorValues(decodeTensorProto(readFileSync(join(dataOf(test), 'input_0.pb')))).values;
    const report = await run(modelOf(test), { target: 'host', bind, inputs: [Float32Array.from(x)] });
    expect(report.outputs[0]).to.deep.equal(expectedOutput(test));
  });

  it('refuses a mistake in one line naming the model, the input and the file', function () {
    const model = modelOf('test_quantizelinear');
    const data = dataOf('test_quantizelinear');
    const refused = (bind: string[], pattern: RegExp) => {
      expect(() => loadGraph(model, { bind: bindingsOf(bind) }))
        .to.throw(TinyforgeError, pattern)
        .with.property('message')
        .that.does.not.include('\n');
    };
    refused([`nope=${join(data, 'input_1.pb')}`], /model\.onnx: --bind nope: 'nope' is no graph input \(the inputs: x, y_scale, y_zero_point\)$/);
    // y_scale is float, input_2.pb uint8
    refused([`y_scale=${join(data, 'input_2.pb')}`], /--bind y_scale=.*input_2\.pb: the file holds UINT8, the input is declared FLOAT$/);
    const short = join(dir, 'short.bin');
    writeFileSync(short, new Uint8Array(3));
    refused([`y_scale=${short}`], /--bind y_scale=.*short\.bin: 3 bytes; 'y_scale' \(\[\] FLOAT\) takes 4 \(little-endian, C order\)$/);
    refused([`y_scale=${join(dir, 'absent.pb')}`], /absent\.pb.*no such file/);
    expect(() => bindingsOf(['y_scale'])).to.throw(TinyforgeError, /^--bind y_scale: expected NAME=FILE/);
    expect(() => bindingsOf(['a=1', 'a=2'])).to.throw(TinyforgeError, /^--bind a: the input is bound twice \(1 and 2\)$/);
    const r = tinyforge(['inspect', model, '--bind', `nope=${join(data, 'input_1.pb')}`]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });
});
