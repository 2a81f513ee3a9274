// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { signalOptions } from '../common/families/signal.ts';
import { compileGraph } from '../../compile.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

type Options = Record<string, number | boolean>;

function subtractionGraph(name: string, options: Options) {
  const channels = options.num_channels as number;
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [channels], dtype: 'uint32' });
  const outputs = b.op(
    'CUSTOM:SignalFilterBankSpectralSubtraction',
    [x],
    [
      { shape: [channels], dtype: 'uint32' },
      { shape: [channels], dtype: 'uint32' },
    ],
    {
      customOptions: encodeCustomOptions(options),
    },
  );
  b.output(...outputs);
  return b.build();
}

/** Ten frames so the estimate carries: random, a rising ramp, full scale, silence, random again. */
function frames(rand: () => number, n: number, hi: number): Uint8Array[][] {
  const random = () => Uint32Array.from({ length: n }, () => randomInt(rand, 0, hi));
  return [
    random(),
    random(),
    Uint32Array.from({ length: n }, (_, i) => Math.min(hi, 1000 * (i + 1))),
    new Uint32Array(n).fill(0xffffffff),
    new Uint32Array(n),
    new Uint32Array(n),
    random(),
    Uint32Array.from({ length: n }, (_, i) => (i % 2 ? hi : 0)),
    random(),
    random(),
  ].map((f) => [new Uint8Array(f.buffer)]);
}

/** The micro_speech front-end's options (40 channels). */
function audioPreprocessorOptions(): Options {
  const g = sharedGraph('zoo/tflm_audio_preprocessor_int8');
  return signalOptions(g.ops.find((o) => o.kind === 'CUSTOM:SignalFilterBankSpectralSubtraction')!) as Options;
}

function randomOptions(rand: () => number, channels: number): Options {
  const bits = randomInt(rand, 0, 20);
  const smoothing = randomInt(rand, 0, 2 ** bits);
  const alternate = randomInt(rand, 0, 2 ** bits);
  return {
    alternate_one_minus_smoothing: 2 ** bits - alternate,
    alternate_smoothing: alternate,
    clamping: rand() < 0.5,
    min_signal_remaining: randomInt(rand, 0, 2 ** bits),
    num_channels: channels,
    one_minus_smoothing: 2 ** bits - smoothing,
    smoothing,
    smoothing_bits: randomInt(rand, 0, 16),
    spectral_subtraction_bits: bits,
  };
}

describe('SignalFilterBankSpectralSubtraction', () => {
  it('refuses a smoothing_bits of 32 or more, in one line naming the op', () => {
    const options = { ...randomOptions(rng(1), 4), smoothing_bits: 32 };
    expect(() => compileGraph(subtractionGraph('bad', options))).to.throw(
      /SignalFilterBankSpectralSubtraction.*'smoothing_bits' is 32; expected an integer in 0..31/,
    );
  });

  it('keeps its noise estimate from frame to frame', () => {
    const c = {
      name: 'carry',
      graph: subtractionGraph('carry', { ...randomOptions(rng(3), 6), smoothing: 1, one_minus_smoothing: 1, spectral_subtraction_bits: 0 }),
      frames: frames(rng(4), 6, 5000),
    };
    const [first, second] = referenceOverFrames(c);
    expect(Array.from(new Uint32Array(first![1]!.slice().buffer)).some((v) => v !== 0)).to.equal(true);
    expect(second![1]).to.not.deep.equal(first![1]);
  });

  it('equals TFLite Micro frame after frame and its C equals the reference on 20 generated option sets (every kernel family)', () => {
    const cases: FrameCase[] = [];
    for (let s = 0; s < 20; s++) {
      const rand = rng(700 + s);
      const channels = [40, 1, 7, 16, 33][s % 5]!;
      const options = randomOptions(rand, channels);
      // wide coefficients: the 64-bit products wrap and the estimate truncates to uint32
      if (s % 7 === 3)
        Object.assign(options, {
          smoothing: 0xffffffff,
          one_minus_smoothing: 0xfffffff0,
          alternate_smoothing: 0x80000000,
          min_signal_remaining: 0xffffffff,
          spectral_subtraction_bits: 63,
        });
      if (s % 7 === 5) Object.assign(options, { smoothing_bits: 31, spectral_subtraction_bits: 0 });
      cases.push({
        name: `SignalFilterBankSpectralSubtraction ${JSON.stringify(options)}`,
        graph: subtractionGraph(`ss${s}`, options),
        frames: frames(rand, channels, s % 2 ? 0xffffffff : 200000),
        isa: ISAS[s % 4],
      });
    }
    expectFramesAgree(cases);
  });

  it("equals TFLite Micro frame after frame with the micro_speech front-end's options (every kernel family)", function () {
    if (!sharedModelsAvailable(this)) return;
    const options = audioPreprocessorOptions();
    const cases = ISAS.map((isa, k) => ({
      name: `SignalFilterBankSpectralSubtraction micro_speech, ${isa ? JSON.stringify(isa) : 'portable'}`,
      graph: subtractionGraph(`ssspeech${k}`, options),
      frames: frames(rng(90 + k), options.num_channels as number, k % 2 ? 0xffffffff : 60000),
      isa,
    }));
    expectFramesAgree(cases);
  });
});
