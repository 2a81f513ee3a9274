// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt, randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { signalOptions } from '../common/families/signal.ts';
import { compileGraph } from '../../compile.ts';
import { PCAN_GAIN_ENTRIES, pcanShrink } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

function pcanGraph(name: string, channels: number, lut: Int16Array, snrShift: number) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [channels], dtype: 'uint32' });
  const noise = b.input({ shape: [channels], dtype: 'uint32' });
  const table = b.constant({ shape: [lut.length], dtype: 'int16' }, lut);
  const [y] = b.op('CUSTOM:SignalPCAN', [x, noise, table], [{ shape: [channels], dtype: 'uint32' }], {
    customOptions: encodeCustomOptions({ snr_shift: snrShift }),
  });
  b.output(y!);
  return b.build();
}

/** Noise estimates of every bit length (and 0, 1, 2), energies random, small and full scale. */
function frames(rand: () => number, n: number): Uint8Array[][] {
  const anyWidth = (i: number) => (i % 35 < 3 ? i % 35 : Math.floor(rand() * 2 ** ((i % 35) - 2)));
  const out: Uint8Array[][] = [];
  for (let f = 0; f < 6; f++) {
    const x = Uint32Array.from({ length: n }, (_, i) => (f === 2 ? 0xffffffff : f === 3 ? i : Math.floor(rand() * 2 ** randomInt(rand, 0, 32))));
    const noise = Uint32Array.from({ length: n }, (_, i) => (f === 4 ? 0xffffffff : anyWidth(i + 7 * f)));
    out.push([new Uint8Array(x.buffer), new Uint8Array(noise.buffer)]);
  }
  return out;
}

function audioPreprocessorPcan(): { lut: Int16Array; snrShift: number } {
  const g = sharedGraph('zoo/tflm_audio_preprocessor_int8');
  const op = g.ops.find((o) => o.kind === 'CUSTOM:SignalPCAN')!;
  return { lut: fromBytes('int16', g.tensors[op.inputs[2]!]!.data!) as Int16Array, snrShift: signalOptions(op).snr_shift as number };
}

describe('SignalPCAN', () => {
  it('compresses the SNR as TFLite Micro (hand-checked)', () => {
    expect(pcanShrink(0)).to.equal(0);
    expect(pcanShrink(4096)).to.equal(16); // (2^12)^2 >> 20
    expect(pcanShrink(8191)).to.equal(63);
    expect(pcanShrink(8192)).to.equal(64);
    expect(pcanShrink(0xffffffff)).to.equal((0xffffffff >>> 6) - 64);
  });

  it('refuses a gain table too short for every noise estimate, in one line naming the op', () => {
    expect(() => compileGraph(pcanGraph('bad', 4, new Int16Array(100), 6))).to.throw(
      new RegExp(`SignalPCAN.*gain table.*has 100 entries; ${PCAN_GAIN_ENTRIES} needed`),
    );
  });

  it('equals TFLite Micro and its C equals the reference on 12 generated tables and shifts (every kernel family)', () => {
    const cases: FrameCase[] = [0, 3, 6, 12, 32, 63].flatMap((shift, s) =>
      [0, 1].map((k) => {
        const rand = rng(400 + 2 * s + k);
        const channels = [40, 5, 35][(s + k) % 3]!;
        const lut = k === 0 ? randomInt16(rand, PCAN_GAIN_ENTRIES) : randomInt16(rand, PCAN_GAIN_ENTRIES + 3, -1000, 32767);
        return {
          name: `SignalPCAN ${channels} channels >> ${shift}`,
          graph: pcanGraph(`pcan${s}_${k}`, channels, lut, shift),
          frames: frames(rand, channels),
          isa: ISAS[(2 * s + k) % 4],
        };
      }),
    );
    expectFramesAgree(cases);
  });

  it("equals TFLite Micro with the micro_speech front-end's gain table (every kernel family)", function () {
    if (!sharedModelsAvailable(this)) return;
    const { lut, snrShift } = audioPreprocessorPcan();
    const cases = ISAS.map((isa, k) => ({
      name: `SignalPCAN micro_speech, ${isa ? JSON.stringify(isa) : 'portable'}`,
      graph: pcanGraph(`pcanspeech${k}`, 40, lut, snrShift),
      frames: frames(rng(60 + k), 40),
      isa,
    }));
    expectFramesAgree(cases);
  });
});
