// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { FRAME_KINDS, samples } from '../../../../test/helpers/fft_frames.ts';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { readTflite } from '../../model/tflite/reader.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { fftPlan, kissFactors, realFft, unsupportedFftLength } from '../common/numerics/fixed_fft.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
const TYPE_CODE = { int16: 7, int32: 2 } as const;

function rfftCase(k: number, width: 'int16' | 'int32', fftLength: number, inputLength: number, frames: number, seed: number): FrameCase {
  const rand = rng(seed);
  const b = new GraphBuilder(`rfft${k}`);
  const x = b.input({ shape: [frames, inputLength], dtype: width });
  const [y] = b.op('CUSTOM:SignalRfft', [x], [{ shape: [frames, fftLength + 2], dtype: width }], {
    customOptions: encodeCustomOptions({ T: TYPE_CODE[width], fft_length: fftLength }),
  });
  b.output(y!);
  const sequence = FRAME_KINDS.map((kind) => [new Uint8Array(samples(kind, width, frames * inputLength, rand).buffer)]);
  return { name: `SignalRfft ${width} ${frames}x${inputLength} fft_length ${fftLength}`, graph: b.build(), frames: sequence, isa: ISAS[k % ISAS.length] };
}

/** The audio preprocessor's front end: Window, Reshape, FftAutoScale and Rfft (fft_length 512 int16), up to the spectrum. */
function preprocessorFront(): Graph {
  const model = readTflite(sharedModelPath('zoo/tflm_audio_preprocessor_int8'));
  const ops = model.ops.slice(0, 4);
  expect(ops.map((op) => op.kind)).to.deep.equal(['CUSTOM:SignalWindow', 'RESHAPE', 'CUSTOM:SignalFftAutoScale', 'CUSTOM:SignalRfft']);
  return { ...model, name: 'audio_front', ops, outputs: [...ops[2]!.outputs, ...ops[3]!.outputs] };
}

describe('SignalRfft', () => {
  it('factors as kissfft does: fours first, then twos, threes, fives', () => {
    expect(kissFactors(256).map((f) => f.radix)).to.deep.equal([4, 4, 4, 4]);
    expect(kissFactors(128).map((f) => f.radix)).to.deep.equal([4, 4, 4, 2]);
    expect(kissFactors(240).map((f) => f.radix)).to.deep.equal([4, 4, 3, 5]);
    expect(kissFactors(50).map((f) => f.radix)).to.deep.equal([2, 5, 5]);
    expect(unsupportedFftLength(512)).to.equal(undefined);
    expect(unsupportedFftLength(14)).to.match(/factor 7/);
    expect(unsupportedFftLength(10)).to.equal(undefined);
    expect(unsupportedFftLength(2)).to.match(/below 4/);
  });

  it("gives a constant frame's sum divided by N at DC and nothing elsewhere (hand-checked)", () => {
    const y = new Int16Array(66);
    realFft(fftPlan(64, 16, false), new Int16Array(64).fill(1000), 64, y);
    // the complex FFT divides by N/2, the real split by 2 more: 64000 / 64, within rounding
    expect(y[0]).to.be.within(995, 1000);
    expect(Math.max(...Array.from(y.subarray(2)).map(Math.abs))).to.be.at.most(2);
  });

  it("refuses lengths TFLite Micro cannot run (float32 too) and a T that is not the tensors' type, in one line naming the op", () => {
    const build = (fftLength: number, dtype: 'int16' | 'float32', T: number) => {
      const b = new GraphBuilder('bad');
      const x = b.input({ shape: [1, 8], dtype });
      const [y] = b.op('CUSTOM:SignalRfft', [x], [{ shape: [1, fftLength + 2], dtype }], { customOptions: encodeCustomOptions({ T, fft_length: fftLength }) });
      b.output(y!);
      return b.build();
    };
    expect(() => compileGraph(build(14, 'int16', 7))).to.throw(/SignalRfft.*fft_length 14 has a factor 7/);
    expect(() => compileGraph(build(14, 'float32', 0))).to.throw(/SignalRfft.*fft_length 14 has a factor 7/);
    expect(() => compileGraph(build(16, 'float32', 7))).to.throw(/SignalRfft.*input .* is float32; option 'T' says int16/);
    expect(() => compileGraph(build(4, 'int16', 7))).to.throw(/SignalRfft.*1\.\.fft_length 4/);
  });

  it('equals TFLite Micro and its C equals the reference: int16, lengths 64..1024 and radices 3, 5 (every kernel family)', function () {
    const shapes: [number, number, number][] = [
      [512, 480, 1],
      [512, 512, 2],
      [64, 64, 1],
      [128, 100, 2],
      [256, 256, 1],
      [1024, 1000, 1],
      [6, 6, 1],
      [10, 7, 3],
      [12, 12, 1],
      [18, 18, 2],
      [24, 20, 1],
      [30, 30, 1],
      [50, 50, 1],
      [60, 33, 1],
      [120, 120, 1],
      [240, 240, 1],
      [400, 400, 1],
      [480, 480, 1],
      [96, 96, 1],
      [200, 160, 1],
    ];
    expectFramesAgree(shapes.map(([n, len, f], k) => rfftCase(k, 'int16', n, len, f, 300 + k)));
  });

  it('equals TFLite Micro and its C equals the reference: int32 (every kernel family)', function () {
    const shapes: [number, number, number][] = [
      [512, 480, 1],
      [64, 64, 2],
      [256, 200, 1],
      [1024, 1024, 1],
      [12, 12, 1],
      [20, 20, 1],
      [90, 90, 1],
      [480, 480, 1],
    ];
    expectFramesAgree(shapes.map(([n, len, f], k) => rfftCase(k, 'int32', n, len, f, 400 + k)));
  });

  it('equals TFLite Micro and its C equals the reference on the shortest lengths (one or two stages), every kernel family', function () {
    // every family (the case index picks it) on each length and width
    const cases = [4, 8, 16, 32, 20, 36].flatMap((n, k) =>
      (['int16', 'int32'] as const).flatMap((w, j) => [0, 1, 2, 3].map((isa) => rfftCase(isa, w, n, n - (k % 2), 1, 800 + 8 * k + 4 * j + isa))),
    );
    expectFramesAgree(cases);
  });

  it("the audio preprocessor's front end on the zoo's golden inputs equals TFLite Micro, in C on every kernel family", function () {
    if (!sharedModelsAvailable(this)) return;
    const graph = preprocessorFront();
    const golden = sharedFile('zoo', 'golden', 'tflm_audio_preprocessor_int8');
    const frames = [0, 1, 2, 3].map((k) => [new Uint8Array(readFileSync(join(golden, `in${k}.bin`)))]);
    expectFramesAgree(ISAS.map((isa) => ({ name: `audio front end (${isa ? JSON.stringify(isa) : 'portable'})`, graph, frames, isa })));
  });
});
