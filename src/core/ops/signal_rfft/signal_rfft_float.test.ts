// SPDX-License-Identifier: Apache-2.0
/**
 * SignalRfft and SignalIrfft float32 (float_fft.ts, signal_fft_float.h): every fft_length TFLite Micro
 * takes up to 64 and a sweep of longer ones (radices 2, 3, 4, 5 in every position), frames of random,
 * large, tiny, subnormal, signed-zero and mixed-magnitude samples, against TFLite Micro (tflm-ref)
 * byte for byte, and the generated C (host gcc, ASan + UBSan) against the reference. The emulated
 * targets run them in signal_fft_float_emulated.test.ts.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../../../test/build/helpers.ts';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, hostCOverFrames, referenceOverFrames, tflmOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { FLOAT_FRAME_KINDS, floatSamples } from '../../../../test/helpers/fft_frames.ts';
import { compileGraph } from '../../compile.ts';
import { unsupportedFftLength } from '../common/numerics/fixed_fft.ts';
import { floatFftPlan } from '../common/numerics/float_fft.ts';

const FLOAT32 = 0;

/** Every fft_length TFLite Micro's FFT takes, from 4 to `max`. */
export function acceptedLengths(max: number): number[] {
  return Array.from({ length: max + 1 }, (_, n) => n).filter((n) => unsupportedFftLength(n) === undefined);
}

export function floatRfftCase(name: string, fftLength: number, inputLength: number, frames: number, seed: number, kinds = FLOAT_FRAME_KINDS): FrameCase {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [frames, inputLength], dtype: 'float32' });
  const [y] = b.op('CUSTOM:SignalRfft', [x], [{ shape: [frames, fftLength + 2], dtype: 'float32' }], {
    customOptions: encodeCustomOptions({ T: FLOAT32, fft_length: fftLength }),
  });
  b.output(y!);
  const sequence = kinds.map((kind) => [new Uint8Array(floatSamples(kind, frames * inputLength, rand).buffer)]);
  return { name: `SignalRfft float32 ${frames}x${inputLength} fft_length ${fftLength}`, graph: b.build(), frames: sequence };
}

/** IRFFT of `bins` complex values per frame (at least fft_length / 2 + 1; the rest unread). */
export function floatIrfftCase(name: string, fftLength: number, bins: number, frames: number, seed: number, kinds = FLOAT_FRAME_KINDS): FrameCase {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [frames, 2 * bins], dtype: 'float32' });
  const [y] = b.op('CUSTOM:SignalIrfft', [x], [{ shape: [frames, fftLength], dtype: 'float32' }], {
    customOptions: encodeCustomOptions({ T: FLOAT32, fft_length: fftLength }),
  });
  b.output(y!);
  const sequence = kinds.map((kind) => [new Uint8Array(floatSamples(kind, frames * 2 * bins, rand).buffer)]);
  return { name: `SignalIrfft float32 ${frames}x${bins} bins fft_length ${fftLength}`, graph: b.build(), frames: sequence };
}

const LONGER = [72, 80, 96, 100, 120, 128, 150, 160, 200, 240, 250, 256, 300, 320, 384, 400, 480, 500, 512, 600, 640, 750, 960, 1000, 1024, 2048];

describe('SignalRfft / SignalIrfft float32', () => {
  it('computes twiddles as kissfft does: double cos and sin rounded to float, (1, -0) first forward', () => {
    const forward = floatFftPlan(16, false);
    expect(Object.is(forward.twiddles[1], -0)).to.equal(true);
    expect(Object.is(floatFftPlan(16, true).twiddles[1], 0)).to.equal(true);
    expect(forward.twiddles[2]).to.equal(Math.fround(Math.cos((-2 * Math.PI) / 8)));
    expect(forward.superTwiddles.length).to.equal(8);
  });

  it("every twiddle of every fft_length TFLite Micro takes (4..65536) equals the C library's (float)cos and (float)sin, as kissfft computes them", () => {
    // the host's libm is the one tflm-ref calls; the phases are kissfft's expressions, in double
    const lengths = acceptedLengths(65536);
    const { dir, cleanup } = scratchDir('twiddles');
    try {
      const program = `#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
static const int lengths[] = { ${lengths.join(', ')} };
static uint32_t bits(double v) { float f = (float)v; uint32_t u; memcpy(&u, &f, 4); return u; }
int main(void) {
  const double pi = 3.141592653589793238462643383279502884197169399375105820974944;
  const double pi2 = 3.14159265358979323846264338327;
  unsigned i, k, inv;
  for (k = 0; k < sizeof lengths / sizeof lengths[0]; ++k) {
    const int nfft = lengths[k] / 2;
    for (inv = 0; inv < 2; ++inv) {
      uint32_t h = 2166136261u;
      for (i = 0; i < (unsigned)nfft; ++i) {
        double phase = -2 * pi * i / nfft;
        if (inv) phase *= -1;
        h = (h ^ bits(cos(phase))) * 16777619u;
        h = (h ^ bits(sin(phase))) * 16777619u;
      }
      for (i = 0; i < (unsigned)nfft / 2; ++i) {
        double phase = -pi2 * ((double)(i + 1) / nfft + .5);
        if (inv) phase *= -1;
        h = (h ^ bits(cos(phase))) * 16777619u;
        h = (h ^ bits(sin(phase))) * 16777619u;
      }
      printf("%u\\n", h);
    }
  }
  return 0;
}
`;
      writeFileSync(join(dir, 'tw.c'), program);
      execFileSync('gcc', ['-std=c99', '-O0', '-o', join(dir, 'tw'), join(dir, 'tw.c'), '-lm']);
      const c = execFileSync(join(dir, 'tw'), { encoding: 'utf8' }).trim().split('\n').map(Number);
      // FNV-1a over the float bits, as the C does
      const fnv = (a: Float32Array, h: number): number => {
        for (const v of new Uint32Array(a.buffer, a.byteOffset, a.length)) h = Math.imul((h ^ v) >>> 0, 16777619) >>> 0;
        return h;
      };
      const ts = lengths.flatMap((n) =>
        [false, true].map((inv) => {
          const p = floatFftPlan(n, inv);
          return fnv(p.superTwiddles, fnv(p.twiddles, 2166136261));
        }),
      );
      expect(c.length).to.equal(2 * lengths.length);
      expect(
        lengths.filter((_, k) => c[2 * k] !== ts[2 * k] || c[2 * k + 1] !== ts[2 * k + 1]),
        'fft_lengths whose twiddles differ',
      ).to.deep.equal([]);
    } finally {
      cleanup();
    }
  });

  it("gives a constant frame its sum at DC, undivided, and kissfft's signed zeros elsewhere (hand-checked)", () => {
    const c = floatRfftCase('dc', 8, 8, 1, 1, ['zeros']);
    c.frames = [[new Uint8Array(new Float32Array(8).fill(0.5).buffer)]];
    const y = referenceOverFrames(c)[0]![0]!;
    const out = new Float32Array(y.buffer, y.byteOffset, 10);
    // the zeros' signs are kissfft's (TFLite Micro gives the same bytes)
    expect(Array.from(out)).to.deep.equal([4, 0, 0, 0, 0, -0, 0, -0, 0, 0]);
    expect(Array.from(out, (v) => Object.is(v, -0))).to.deep.equal([false, false, false, false, false, true, false, true, false, false]);
    expectFramesAgree([c]);
  });

  it(`rfft: every fft_length TFLite Micro takes up to 64 (${acceptedLengths(64).length}), equal to TFLite Micro, its C equal to the reference`, () => {
    expectFramesAgree(acceptedLengths(64).map((n, k) => floatRfftCase(`rf${k}`, n, n - (k % 3 === 2 ? 1 : 0), 1 + (k % 2), 1100 + k)));
  });

  it(`rfft: ${LONGER.length} longer lengths, zero-padded frames among them`, () => {
    expectFramesAgree(LONGER.map((n, k) => floatRfftCase(`rl${k}`, n, k % 4 === 1 ? Math.floor((n * 3) / 4) : n, 1, 1200 + k)));
  });

  it(`irfft: every fft_length TFLite Micro takes up to 64, equal to TFLite Micro, its C equal to the reference`, () => {
    expectFramesAgree(acceptedLengths(64).map((n, k) => floatIrfftCase(`if${k}`, n, n / 2 + 1 + (k % 3 === 2 ? 1 : 0), 1 + (k % 2), 1300 + k)));
  });

  it(`irfft: ${LONGER.length} longer lengths`, () => {
    expectFramesAgree(LONGER.map((n, k) => floatIrfftCase(`il${k}`, n, n / 2 + 1, 1, 1400 + k)));
  });

  it('inf and NaN samples: the same NaN, inf and finite outputs as TFLite Micro, in the reference and the C (NaN bits aside)', () => {
    // a NaN the FFT makes (inf - inf) has other bits on x86 than in the reference: NaN matches NaN
    const special = (c: FrameCase, seed: number): FrameCase => {
      const rand = rng(seed);
      const frames = c.frames.map(([bytes]) => {
        const v = new Float32Array(bytes!.slice().buffer);
        for (let i = 0; i < v.length; i++) if (rand() < 0.05) v[i] = [Infinity, -Infinity, NaN, 3e38][Math.floor(rand() * 4)]!;
        return [new Uint8Array(v.buffer)];
      });
      return { ...c, frames };
    };
    const cases = [
      special(floatRfftCase('nr0', 64, 64, 1, 1500, ['random', 'large']), 1),
      special(floatRfftCase('nr1', 60, 50, 2, 1501, ['random', 'tone']), 2),
      special(floatIrfftCase('ni0', 64, 33, 1, 1502, ['random', 'large']), 3),
      special(floatIrfftCase('ni1', 30, 16, 2, 1503, ['random', 'integers']), 4),
    ];
    const same = (a: Uint8Array, b: Uint8Array, label: string) => {
      const x = new Float32Array(a.slice().buffer);
      const y = new Float32Array(b.slice().buffer);
      expect(y.length, label).to.equal(x.length);
      const at = x.findIndex((v, i) => !(Number.isNaN(v) ? Number.isNaN(y[i]!) : Object.is(v, y[i]!)));
      expect(at, `${label}: first differing float`).to.equal(-1);
    };
    const refs = cases.map(referenceOverFrames);
    const ran = hostCOverFrames(cases);
    cases.forEach((c, k) =>
      tflmOverFrames(c).forEach((frame, j) => {
        same(frame[0]!, refs[k]![j]![0]!, `${c.name} frame ${j} (reference vs TFLite Micro)`);
        same(frame[0]!, ran[k]![j]![0]!, `${c.name} frame ${j} (C vs TFLite Micro)`);
      }),
    );
  });

  it('refuses a float32 layer whose T says int16, naming the tensor', () => {
    const b = new GraphBuilder('bad');
    const x = b.input({ shape: [1, 8], dtype: 'float32' });
    const [y] = b.op('CUSTOM:SignalRfft', [x], [{ shape: [1, 10], dtype: 'float32' }], { customOptions: encodeCustomOptions({ T: 7, fft_length: 8 }) });
    b.output(y!);
    expect(() => compileGraph(b.build())).to.throw(/SignalRfft.*input .* is float32; option 'T' says int16/);
  });
});
