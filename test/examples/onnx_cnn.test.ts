// SPDX-License-Identifier: Apache-2.0
/**
 * examples/onnx_cnn: the PyTorch-style QDQ model compiled for the host and for the emulated
 * Cortex-M4, each layer compared with ONNX Runtime by the command run.sh uses (`validate
 * --reference onnxruntime`): every layer's output, the model's output among them, equals ONNX
 * Runtime's, on both builds.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOnnx } from '../../src/core/model/onnx/reader.ts';
import { loadOnnxRuntime, onnxRuntimeAvailable } from '../../src/lab/run/onnxruntime.ts';
import { ORT_SATURATES_NOTICE, ortSaturatesU8S8 } from '../helpers/ort_platform.ts';
import { makeTempFolder, removeTempFolder } from '../../src/lab/lifecycle.ts';
import { type Agreement, agreementOf } from '../../examples/onnx_cnn/summarize.ts';
import { requireTools } from '../build/helpers.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'onnx_cnn');
const MODEL = join(EXAMPLE, 'cnn_qdq.onnx');
const INPUT_BYTES = 3 * 32 * 32 * 4;

interface ValidateReport {
  layers: { op: string; tensors: { name: string; elements: number; differing: number; maxDifference?: number }[] }[];
  ortLevels?: { compared: string; other: string; differing: number; elements: number };
}

describe('examples/onnx_cnn: the import', () => {
  it('records the ONNX name and NCHW-to-NHWC layout of each activation, as a reference run needs', () => {
    const graph = readOnnx(MODEL);
    const byName = new Map(graph.tensors.map((t) => [t.name, t]));
    expect(byName.get('/relu1/Relu_output_0_QuantizeLinear_Output')?.onnx).to.deep.equal({
      name: '/relu1/Relu_output_0_QuantizeLinear_Output',
      perm: [0, 2, 3, 1],
    });
    expect(byName.get('/pool/MaxPool_output_0_QuantizeLinear_Output')?.onnx?.perm).to.deep.equal([0, 2, 3, 1]);
    expect(byName.get('output_QuantizeLinear_Output')?.onnx).to.deep.equal({ name: 'output_QuantizeLinear_Output' });
    expect(graph.ops.map((o) => o.kind)).to.include.members(['CONV_2D', 'MAX_POOL_2D', 'DEPTHWISE_CONV_2D', 'MEAN', 'FULLY_CONNECTED']);
  });
});

describe('examples/onnx_cnn: a PyTorch-style QDQ model against ONNX Runtime', function () {
  let dir: string;
  let sample: string;
  const agreements = new Map<string, Agreement>();

  before(async function () {
    if (!(await onnxRuntimeAvailable())) {
      console.warn('  NOTICE: onnxruntime-node is not installed (npm install onnxruntime-node): skipped');
      this.skip();
    }
    dir = makeTempFolder('onnx-cnn');
    sample = join(dir, 'sample0.bin');
    writeFileSync(sample, readFileSync(join(EXAMPLE, 'samples.bin')).subarray(0, INPUT_BYTES));
  });

  after(() => dir && removeTempFolder(dir));

  for (const run of [
    { target: 'host', tools: ['cc'] },
    // each family's kernels with ONNX Runtime's epilogue: Arm DSP, Armv6-M, RV32
    { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
    { target: 'rp2040', tools: ['arm-none-eabi-gcc'] },
    { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
  ]) {
    it(`${run.target}: every layer and the output equal to ONNX Runtime's`, async function () {
      requireTools(this, run.tools);
      const r = tinyforge(['validate', MODEL, '--reference', 'onnxruntime', '--target', run.target, '--input', sample, '--json']);
      const report = JSON.parse(r.stdout || '{}') as ValidateReport;
      const compared = (report.layers ?? []).flatMap((l) => l.tensors.map((t) => ({ ...t, op: l.op })));
      // where this CPU's ONNX Runtime saturates u8 x s8 pairs, its fused integer ops are not exact
      if (compared.some((t) => t.differing > 0) && (await ortSaturatesU8S8((await loadOnnxRuntime('node')) as never))) {
        console.log(ORT_SATURATES_NOTICE);
        this.skip();
      }
      expect(compared.filter((t) => t.differing > 0).map((t) => `${t.op} ${t.name}: ${t.differing} of ${t.elements}, max ${t.maxDifference}`)).to.deep.equal(
        [],
      );
      expect(r.status, r.stderr).to.equal(0);
      const ops = new Set(compared.map((t) => t.op));
      for (const op of ['CONV_2D', 'MAX_POOL_2D', 'DEPTHWISE_CONV_2D', 'MEAN', 'FULLY_CONNECTED']) expect(ops, op).to.include(op);
      const a = agreementOf([report]);
      expect(a).to.deep.equal({ values: 10, exact: 10, maxLsb: 0 });
      // ONNX Runtime's default level is the one compared against; its basic level is run too and reported
      expect(report.ortLevels).to.deep.include({ compared: 'all', other: 'basic', elements: 10 });
      agreements.set(run.target, a);
    });
  }

  it('the emulated boards agree with ONNX Runtime exactly as the host build does', function () {
    if (agreements.size < 2 || !agreements.has('host')) this.skip();
    for (const [target, a] of agreements) expect(a, target).to.deep.equal(agreements.get('host'));
  });
});
