// SPDX-License-Identifier: Apache-2.0
/**
 * micro_speech's front-end from the filter bank to the log (SignalFilterBank, SquareRoot,
 * SpectralSubtraction, PCAN, FilterBankLog) as one graph with the zoo model's own tables and
 * options, over a stream of frames: the noise estimate carries from frame to frame, and every
 * kernel family's C and TFLite Micro agree with the reference on every op's output.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Graph } from '../../ir/graph.ts';
import { signalOptions } from '../common/families/signal.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree, expectFramesEqual, hostCOverFrames, referenceOverFrames } from '../../../../test/helpers/frame_checks.ts';
import { runTflmRef } from '../../../../test/helpers/tflm_ref.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedFile, sharedModelPath, sharedModelsAvailable } from '../../../../test/helpers/shared.ts';

const MODEL = 'zoo/tflm_audio_preprocessor_int8';
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
  const model = sharedGraph(MODEL);
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

  it('equals the tensors TFLite Micro computes in the zoo model on its golden inputs, frame after frame (every kernel family)', function () {
    if (!sharedModelsAvailable(this)) return;
    const recorded = recordedFrames();
    const model = sharedGraph(MODEL);
    const byKind = (kind: string) => model.ops.find((o) => o.kind === kind)!;
    // the filter bank's input and the FFT's scale bits in, every op's outputs out
    const chain = byKind('CUSTOM:SignalFilterBank');
    const inputs = [chain.inputs[0]!, byKind('CUSTOM:SignalFilterBankSquareRoot').inputs[1]!];
    const outputs = CHAIN.flatMap((kind) => byKind(kind).outputs);
    const expected = recorded.map((t) => outputs.map((i) => t.get(i)!));
    // the noise estimate (the spectral subtraction's second output) moves from frame to frame
    expect(expected[1]![3]).to.not.deep.equal(expected[0]![3]);
    const cases: FrameCase[] = ISAS.map((isa, k) => ({
      name: `front end on the golden inputs, ${isa ? JSON.stringify(isa) : 'portable'}`,
      graph: frontEnd(`goldenfe${k}`, true),
      frames: recorded.map((t) => inputs.map((i) => t.get(i)!)),
      isa,
    }));
    cases.forEach((c) => expectFramesEqual(expected, referenceOverFrames(c), `${c.name} (reference)`));
    hostCOverFrames(cases).forEach((ran, k) => expectFramesEqual(expected, ran, `${cases[k]!.name} (generated C)`));

    // the energy of the FFT's spectrum: TFLite Micro writes only the bins [start, end)
    const energy = byKind('CUSTOM:SignalEnergy');
    const { start_index: start, end_index: end } = signalOptions(energy) as { start_index: number; end_index: number };
    const energyCases: FrameCase[] = ISAS.map((isa, k) => {
      const b = new GraphBuilder(`goldenenergy${k}`);
      const x = b.input({ shape: model.tensors[energy.inputs[0]!]!.shape, dtype: 'int16' });
      b.output(...b.op(energy.kind, [x], [{ shape: model.tensors[energy.outputs[0]!]!.shape, dtype: 'uint32' }], energy.attrs));
      return { name: `energy on the golden inputs ${k}`, graph: b.build(), frames: recorded.map((t) => [t.get(energy.inputs[0]!)!]), isa };
    });
    const bins = (bytes: Uint8Array) => Array.from(new Uint32Array(bytes.slice().buffer).slice(start, end));
    const want = recorded.map((t) => bins(t.get(energy.outputs[0]!)!));
    expect(want.some((frame) => frame.some((v) => v !== 0))).to.equal(true);
    energyCases.forEach((c) =>
      expect(
        referenceOverFrames(c).map((f) => bins(f[0]!)),
        c.name,
      ).to.deep.equal(want),
    );
    hostCOverFrames(energyCases).forEach((ran, k) =>
      expect(
        ran.map((f) => bins(f[0]!)),
        `${energyCases[k]!.name} (C)`,
      ).to.deep.equal(want),
    );
  });
});

/** Every tensor of the zoo model after each of its golden inputs, run one after the other (state carried). */
function recordedFrames(): Map<number, Uint8Array>[] {
  const dir = sharedFile('zoo', 'golden', 'tflm_audio_preprocessor_int8');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: { input: string }[] };
  const inputs = index.cases.map((c) => new Uint8Array(readFileSync(join(dir, c.input))));
  return inputs.map((_, k) => {
    const stream = new Uint8Array(inputs.slice(0, k + 1).reduce((n, b) => n + b.length, 0));
    inputs.slice(0, k + 1).forEach((b, j) => stream.set(b, j * b.length));
    const run = runTflmRef(sharedModelPath(MODEL), stream, { layers: true });
    return new Map(run.tensors!.map((t) => [t.info.index, t.bytes]));
  });
}
