// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { compileGraph } from '../../compile.ts';
import { FRAME_KINDS, samples } from '../../../../test/helpers/fft_frames.ts';
import { fftPlan, inverseRealFft, realFft } from '../common/numerics/fixed_fft.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
const TYPE_CODE = { int16: 7, int32: 2 } as const;

function irfftCase(k: number, width: 'int16' | 'int32', fftLength: number, extraBins: number, frames: number, seed: number): FrameCase {
  const rand = rng(seed);
  const inner = fftLength + 2 + 2 * extraBins;
  const b = new GraphBuilder(`irfft${k}`);
  const x = b.input({ shape: [frames, inner], dtype: width });
  const [y] = b.op('CUSTOM:SignalIrfft', [x], [{ shape: [frames, fftLength], dtype: width }], {
    customOptions: encodeCustomOptions({ T: TYPE_CODE[width], fft_length: fftLength }),
  });
  b.output(y!);
  const sequence = FRAME_KINDS.map((kind) => [new Uint8Array(samples(kind, width, frames * inner, rand).buffer)]);
  return { name: `SignalIrfft ${width} ${frames}x${inner} fft_length ${fftLength}`, graph: b.build(), frames: sequence, isa: ISAS[k % ISAS.length] };
}

describe('SignalIrfft', () => {
  it('inverts the forward transform up to its 1/N scale (hand-checked)', () => {
    const x = new Int16Array(64).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
    const bins = new Int16Array(66);
    realFft(fftPlan(64, 16, false), x, 64, bins);
    const back = new Int16Array(64);
    inverseRealFft(fftPlan(64, 16, true), bins, back);
    // forward divides by 64, the inverse's complex FFT by 32 and its split by 2: x / 64 / 64 * 64
    for (let i = 0; i < 64; i++) expect(Math.abs(back[i]! * 64 - x[i]!), `sample ${i}`).to.be.at.most(64 * 3);
  });

  it('refuses an input of fewer bins than fft_length / 2 + 1, in one line naming the op', () => {
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [1, 16], dtype: 'int16' });
    const [y] = b.op('CUSTOM:SignalIrfft', [x], [{ shape: [1, 16], dtype: 'int16' }], { customOptions: encodeCustomOptions({ T: 7, fft_length: 16 }) });
    b.output(y!);
    expect(() => compileGraph(b.build())).to.throw(/SignalIrfft.*8 complex bins; fft_length 16 reads 9/);
  });

  it('equals TFLite Micro and its C equals the reference: int16 and int32, lengths 64..1024 and radices 3, 5 (every kernel family)', function () {
    const shapes: ['int16' | 'int32', number, number, number][] = [
      ['int16', 512, 0, 1],
      ['int16', 64, 0, 2],
      ['int16', 128, 3, 1],
      ['int16', 256, 0, 1],
      ['int16', 1024, 0, 1],
      ['int16', 12, 0, 1],
      ['int16', 30, 1, 2],
      ['int16', 50, 0, 1],
      ['int16', 480, 0, 1],
      ['int32', 512, 0, 1],
      ['int32', 64, 1, 2],
      ['int32', 1024, 0, 1],
      ['int32', 20, 0, 1],
      ['int32', 90, 0, 1],
      ['int32', 240, 0, 1],
      ['int32', 6, 0, 3],
      ['int16', 4, 0, 1],
      ['int16', 4, 0, 2],
      ['int16', 4, 1, 1],
      ['int16', 4, 0, 1],
      ['int16', 8, 0, 1],
      ['int16', 8, 0, 2],
      ['int16', 8, 1, 1],
      ['int16', 8, 0, 1],
      ['int16', 32, 0, 1],
      ['int16', 32, 0, 2],
      ['int32', 8, 0, 1],
      ['int32', 4, 0, 1],
    ];
    expectFramesAgree(shapes.map(([w, n, extra, f], k) => irfftCase(k, w, n, extra, f, 500 + k)));
  });
});
