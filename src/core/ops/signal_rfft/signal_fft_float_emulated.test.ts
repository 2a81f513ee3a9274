// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 SignalRfft, SignalIrfft and SignalOverlapAdd kernels on emulated boards: the Cortex-M4
 * (single-precision FPU, -mfloat-abi=hard), the Cortex-M0 and RP2040 (libgcc's soft-float) and the
 * ESP32-C3 (RV32IMC, soft-float). One model per board: Rfft layers over radices 2, 3, 4 and 5 with
 * zero-padded and several-frame inputs, Irfft layers, OverlapAdd with two rows of running sums, and
 * an analysis-resynthesis chain (Rfft, Irfft, OverlapAdd); four inferences back to back with the
 * running sums carried, over random, large, tiny, subnormal, signed-zero and mixed-magnitude
 * samples. Every output is bit-exact with the TypeScript reference, which gives TFLite Micro's
 * (tflm-ref's) bytes on the same inferences.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Graph, elementCount } from '../../ir/graph.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { expectFramesEqual, referenceOverFrames, tflmOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { FLOAT_FRAME_KINDS, floatSamples } from '../../../../test/helpers/fft_frames.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';

const F = 'float32' as const;
const FLOAT32 = 0;

/** The model; `small` (for the Cortex-M0's 16 KB of RAM) keeps every radix with shorter lengths. */
function floatSignalModel(small: boolean): Graph {
  const b = new GraphBuilder(small ? 'signal_float_small' : 'signal_float');
  const fft = (kind: 'Rfft' | 'Irfft', x: number, outShape: number[], fftLength: number) =>
    b.op(`CUSTOM:Signal${kind}`, [x], [{ shape: outShape, dtype: F }], { customOptions: encodeCustomOptions({ T: FLOAT32, fft_length: fftLength }) })[0]!;
  const outs: number[] = [];
  // [frames, samples] -> fft_length: 4x4x4x2 zero-padded, 4x4x3x5 over two frames, 2x5, 4x4x2
  const rffts: [number, number, number][] = small
    ? [
        [1, 60, 64],
        [2, 30, 30],
        [1, 20, 20],
        [3, 30, 32],
      ]
    : [
        [1, 480, 512],
        [2, 240, 240],
        [1, 20, 20],
        [3, 30, 32],
      ];
  for (const [frames, len, n] of rffts) outs.push(fft('Rfft', b.input({ shape: [frames, len], dtype: F }), [frames, n + 2], n));
  // [frames, complex bins] -> fft_length: 4x4x4x4, 4x4x3 over two frames with a spare bin, 5x5
  const irffts: [number, number, number][] = small
    ? [
        [1, 33, 64],
        [2, 26, 48],
        [1, 26, 50],
      ]
    : [
        [1, 257, 512],
        [2, 50, 96],
        [1, 26, 50],
      ];
  for (const [frames, bins, n] of irffts) outs.push(fft('Irfft', b.input({ shape: [frames, 2 * bins], dtype: F }), [frames, n], n));
  const sums = b.input({ shape: [2, 3, 8], dtype: F });
  outs.push(b.op('CUSTOM:SignalOverlapAdd', [sums], [{ shape: [2, 12], dtype: F }], { customOptions: encodeCustomOptions({ T: FLOAT32, frame_step: 4 }) })[0]!);
  // analysis and resynthesis: a frame of samples, its spectrum, back, overlap-added by half frames
  const n = small ? 32 : 256;
  const spectrum = fft('Rfft', b.input({ shape: [1, n], dtype: F }), [1, n + 2], n);
  const frame = fft('Irfft', spectrum, [1, n], n);
  outs.push(
    b.op('CUSTOM:SignalOverlapAdd', [frame], [{ shape: [n / 2], dtype: F }], { customOptions: encodeCustomOptions({ T: FLOAT32, frame_step: n / 2 }) })[0]!,
  );
  b.output(...outs);
  return b.build();
}

const TARGETS: { target: string; tools: string[]; small?: boolean }[] = [
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'cortex-m0', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], small: true },
  { target: 'rp2040', tools: ['arm-none-eabi-gcc'] },
  { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];

describe('float32 SignalRfft, SignalIrfft, SignalOverlapAdd on emulated FPU and soft-float targets', () => {
  const models = [false, true].map((small) => {
    const graph = floatSignalModel(small);
    const rand = rng(5150);
    const cases = [0, 1, 2, 3].map((j) =>
      graph.inputs.map((i, k) => {
        const kind = FLOAT_FRAME_KINDS[(j * 3 + k) % FLOAT_FRAME_KINDS.length]!;
        return new Uint8Array(floatSamples(kind, elementCount(graph.tensors[i]!.shape), rand).buffer);
      }),
    );
    return { graph, cases };
  });
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-signal-float-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the reference equals TFLite Micro on the four inferences of both models, running sums carried', () => {
    for (const { graph, cases } of models) {
      const c = { name: graph.name, graph, frames: cases };
      expectFramesEqual(tflmOverFrames(c), referenceOverFrames(c), `${graph.name} (expected: TFLite Micro)`);
    }
  });

  for (const { target, tools, small } of TARGETS) {
    const { graph, cases } = models[small ? 1 : 0]!;
    it(`${target}: every output of the four inferences bit-exact with the reference`, async function () {
      requireTools(this, tools);
      const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, cases, carryState: true });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });
  }
});
