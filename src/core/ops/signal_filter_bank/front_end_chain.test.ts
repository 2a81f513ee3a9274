// SPDX-License-Identifier: Apache-2.0
/**
 * micro_speech's front-end from the filter bank to the log (SignalFilterBank, SquareRoot,
 * SpectralSubtraction, PCAN, FilterBankLog) as one graph with the zoo model's own tables and
 * options, over a stream of frames: the noise estimate carries from frame to frame, and every
 * kernel family's C and TFLite Micro agree with the reference on every op's output.
 */
import { type Graph } from '../../ir/graph.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
const CHAIN = [
  'CUSTOM:SignalFilterBank',
  'CUSTOM:SignalFilterBankSquareRoot',
  'CUSTOM:SignalFilterBankSpectralSubtraction',
  'CUSTOM:SignalPCAN',
  'CUSTOM:SignalFilterBankLog',
];

/** The chain's ops of the model with their constants; the filter bank's input and the scale bits become graph inputs. */
function frontEnd(name: string, everyOutput: boolean): Graph {
  const model = sharedGraph('zoo/tflm_audio_preprocessor_int8');
  const b = new GraphBuilder(name);
  const mapped = new Map<number, number>();
  const outputs: number[] = [];
  for (const op of model.ops.filter((o) => CHAIN.includes(o.kind))) {
    const inputs = op.inputs.map((i) => {
      const known = mapped.get(i);
      if (known !== undefined) return known;
      const t = model.tensors[i]!;
      const k = t.data ? b.constant({ shape: t.shape, dtype: t.dtype }, new Uint8Array(t.data) as never) : b.input({ shape: t.shape, dtype: t.dtype });
      mapped.set(i, k);
      return k;
    });
    const outs = b.op(
      op.kind,
      inputs,
      op.outputs.map((o) => ({ shape: model.tensors[o]!.shape, dtype: model.tensors[o]!.dtype })),
      op.attrs,
    );
    op.outputs.forEach((o, k) => mapped.set(o, outs[k]!));
    outputs.push(...outs);
  }
  // the log alone: the planner may then run PCAN in place over the spectral subtraction's output
  b.output(...(everyOutput ? outputs : outputs.slice(-1)));
  return b.build();
}

/** Ten frames of energies: quiet, loud, silence, a burst; the FFT's scale bits from 0 to 6. */
function frames(rand: () => number): Uint8Array[][] {
  const levels = [12, 20, 26, 0, 31, 16, 16, 8, 24, 30];
  return levels.map((bits, f) => [
    new Uint8Array(Uint32Array.from({ length: 257 }, () => (bits === 0 ? 0 : randomInt(rand, 0, 2 ** bits))).buffer),
    new Uint8Array(Int32Array.of(f % 7).buffer),
  ]);
}

describe("micro_speech's front-end from the filter bank to the log", () => {
  it('equals TFLite Micro frame after frame and its C equals the reference (every kernel family)', function () {
    if (!sharedModelsAvailable(this)) return;
    const cases: FrameCase[] = [true, false].flatMap((everyOutput) =>
      ISAS.map((isa, k) => ({
        name: `front end ${isa ? JSON.stringify(isa) : 'portable'}${everyOutput ? ', every output' : ', the log'}`,
        graph: frontEnd(`frontend${k}${everyOutput ? 'all' : 'log'}`, everyOutput),
        frames: frames(rng(31 + k)),
        isa,
      })),
    );
    expectFramesAgree(cases);
  });
});
