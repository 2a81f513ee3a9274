// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { signalOptions } from '../common/families/signal.ts';
import { LOG2_CORRECTION_TABLE, log32 } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function logGraph(name: string, channels: number, correctionBits: number, outputScale: number) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [channels], dtype: 'uint32' });
  const [y] = b.op('CUSTOM:SignalFilterBankLog', [x], [{ shape: [channels], dtype: 'int16' }], {
    customOptions: encodeCustomOptions({ input_correction_bits: correctionBits, output_scale: outputScale }),
  });
  b.output(y!);
  return b.build();
}

/** Every bit length, every table segment of the top bits, 0, 1, full scale. */
function frames(rand: () => number, n: number): Uint8Array[][] {
  const out: Uint32Array[] = [];
  out.push(Uint32Array.from({ length: n }, (_, i) => (i < 3 ? i : 2 ** (i % 32) + (i % 5))));
  for (let f = 0; f < 3; f++) out.push(Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** randomInt(rand, 0, 32))));
  out.push(Uint32Array.from({ length: n }, (_, i) => ((i % 128) * 2 ** 24 + 2 ** 31) >>> 0));
  out.push(new Uint32Array(n).fill(0xffffffff));
  return out.map((f) => [new Uint8Array(f.buffer)]);
}

describe('SignalFilterBankLog', () => {
  it('interpolates log2 from a table of log2(1 + f) - f and scales ln as TFLite Micro (hand-checked)', () => {
    expect(LOG2_CORRECTION_TABLE.length).to.equal(129);
    expect([LOG2_CORRECTION_TABLE[0], LOG2_CORRECTION_TABLE[1], LOG2_CORRECTION_TABLE[64], LOG2_CORRECTION_TABLE[128]]).to.deep.equal([0, 224, 5568, 0]);
    // ln(2) * 2^16 rounded, times 1
    expect(log32(2, 1 << 16)).to.equal(45426);
    expect(log32(1024, 64)).to.equal(Math.round(64 * Math.log(1024)));
  });

  it('equals TFLite Micro and its C equals the reference on 12 generated option sets (every kernel family)', () => {
    const cases: FrameCase[] = [
      [40, 3, 64],
      [7, 0, 1],
      [33, 31, 64],
      [16, 5, 65535],
      [1, 0, 0x7fffffff],
      [64, 10, 1 << 20],
      [40, 0, -5],
      [9, 16, 3000],
      [128, 0, 64],
      [3, 1, 32767],
      [20, 2, 100000],
      [50, 7, 1],
    ].map(([n, bits, scale], k) => ({
      name: `SignalFilterBankLog ${n} channels << ${bits} * ${scale}`,
      graph: logGraph(`log${k}`, n!, bits!, scale!),
      frames: frames(rng(500 + k), n!),
      isa: ISAS[k % 4],
    }));
    expectFramesAgree(cases);
  });

  it("equals TFLite Micro with the micro_speech front-end's options (every kernel family)", function () {
    if (!sharedModelsAvailable(this)) return;
    const g = sharedGraph('zoo/tflm_audio_preprocessor_int8');
    const options = signalOptions(g.ops.find((o) => o.kind === 'CUSTOM:SignalFilterBankLog')!);
    const cases = ISAS.map((isa, k) => ({
      name: `SignalFilterBankLog micro_speech, ${isa ? JSON.stringify(isa) : 'portable'}`,
      graph: logGraph(`logspeech${k}`, 40, options.input_correction_bits as number, options.output_scale as number),
      frames: frames(rng(80 + k), 40),
      isa,
    }));
    expectFramesAgree(cases);
  });
});
