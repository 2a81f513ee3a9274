// SPDX-License-Identifier: Apache-2.0
/**
 * SignalRfft int16's Armv6-M assembly (signal_fft_m0plus.S) on the emulated RP2040 (rp2040js): one
 * model of Rfft layers over the paths the kernel takes (the assembly's first stage on even frames,
 * the portable one on odd frames and on a last radix of 2, radices 3, several frames a layer),
 * full-range and near-full-scale samples, bit-exact with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import { elementCount } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { interpret } from '../interpreter.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';

/** [frames, samples a frame, fft_length] */
const LAYERS: [number, number, number][] = [
  [1, 512, 512],
  [2, 480, 512],
  [1, 511, 512],
  [3, 30, 32],
  [1, 8, 8],
  [1, 16, 16],
  [2, 47, 48],
];

describe('SignalRfft int16 Armv6-M kernel on the emulated rp2040js', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-rfft-m0-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every path of the kernel is bit-exact with the reference, full range and near full scale', async () => {
    const b = new GraphBuilder('rfft_m0plus');
    LAYERS.forEach(([frames, length, fftLength], k) => {
      const x = b.input({ shape: [frames, length], dtype: 'int16', name: `x${k}` });
      const options = encodeCustomOptions({ T: 7, fft_length: fftLength });
      b.output(b.op('CUSTOM:SignalRfft', [x], [{ shape: [frames, fftLength + 2], dtype: 'int16', name: `bins${k}` }], { customOptions: options })[0]!);
    });
    const graph = b.build();
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('rp2040').isa });
    const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
    expect(text.match(/tf_fft16_m0_rfft\(/g) ?? [], 'layers on the Armv6-M kernel').to.have.length.of.at.least(LAYERS.length);
    const rand = rng(21);
    const sizes = graph.inputs.map((i) => elementCount(graph.tensors[i]!.shape));
    const extremes = (n: number) => Int16Array.from({ length: n }, () => (rand() < 0.5 ? -32768 : 32767));
    const cases = [sizes.map((n) => new Uint8Array(randomInt16(rand, n, -32768, 32767).buffer)), sizes.map((n) => new Uint8Array(extremes(n).buffer))];
    const reference = cases.map((c) => interpret(compiled.prepared, c).outputs);
    const path = join(dir, `${graph.name}.tflite`);
    saveTflite(path, graph);
    const report = await runModel(path, { target: 'rp2040', cases });
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true]);
    report.cases.forEach((c, k) =>
      c.outputs.forEach((values, o) => {
        const t = graph.tensors[graph.outputs[o]!]!;
        expect(values, `case ${k} output ${t.name}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[k]![o]!) as ArrayLike<number>));
      }),
    );
  });
});
