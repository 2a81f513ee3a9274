// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { encodeCustomOptions } from '../../model/tflite/custom_options.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { type FrameCase, expectFramesAgree } from '../../../../test/helpers/frame_checks.ts';
import { randomInt, rng } from '../../../../test/helpers/op_harness.ts';
import { sharedGraph } from '../../../../test/helpers/golden_layers.ts';
import { sharedModelsAvailable } from '../../../../test/helpers/shared.ts';
import { compileGraph } from '../../compile.ts';
import { opDef } from '../index.ts';
import { type SignalFilterBankParams, filterBankForm } from './index.ts';

const ISAS = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

interface Tables {
  weights: Int16Array;
  unweights: Int16Array;
  frequencyStarts: Int16Array;
  weightStarts: Int16Array;
  widths: Int16Array;
}

function filterBankGraph(name: string, inputSize: number, channels: number, t: Tables) {
  const b = new GraphBuilder(name);
  const x = b.input({ shape: [inputSize], dtype: 'uint32' });
  const table = (v: Int16Array) => b.constant({ shape: [v.length], dtype: 'int16' }, v);
  const inputs = [x, table(t.weights), table(t.unweights), table(t.frequencyStarts), table(t.weightStarts), table(t.widths)];
  const [y] = b.op('CUSTOM:SignalFilterBank', inputs, [{ shape: [channels], dtype: 'uint64' }], {
    customOptions: encodeCustomOptions({ num_channels: channels }),
  });
  b.output(y!);
  return b.build();
}

/** Random channels: widths up to `maxWidth`, weights in [lo, hi] (some entries zero in both). */
function randomTables(rand: () => number, inputSize: number, channels: number, maxWidth: number, lo: number, hi: number): Tables {
  const widths = Int16Array.from({ length: channels + 1 }, () => randomInt(rand, 0, Math.min(maxWidth, inputSize)));
  const frequencyStarts = Int16Array.from(widths, (w) => randomInt(rand, 0, inputSize - w));
  const weightStarts = new Int16Array(channels + 1);
  let total = 0;
  widths.forEach((w, i) => {
    weightStarts[i] = total;
    total += w;
  });
  // one entry past the last channel's: a table is never empty
  const weights = Int16Array.from({ length: total + 1 }, () => (rand() < 0.2 ? 0 : randomInt(rand, lo, hi)));
  const unweights = Int16Array.from(weights, (w) => (w === 0 && rand() < 0.5 ? 0 : randomInt(rand, lo, hi)));
  return { weights, unweights, frequencyStarts, weightStarts, widths };
}

function frames(rand: () => number, n: number): Uint8Array[][] {
  return [
    Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** 32)),
    new Uint32Array(n).fill(0xffffffff),
    new Uint32Array(n),
    Uint32Array.from({ length: n }, (_, i) => (i % 2 ? 0x80000000 : 0xffff)),
    Uint32Array.from({ length: n }, () => randomInt(rand, 0, 70000)),
  ].map((f) => [new Uint8Array(f.buffer)]);
}

function params(graph: ReturnType<typeof filterBankGraph>): SignalFilterBankParams {
  return opDef('CUSTOM:SignalFilterBank')!.prepare(graph, graph.ops[0]!) as SignalFilterBankParams;
}

/** The micro_speech front-end's filter bank tables (40 channels over 257 bins). */
function audioPreprocessorTables(): { tables: Tables; inputSize: number; channels: number } {
  const g = sharedGraph('zoo/tflm_audio_preprocessor_int8');
  const op = g.ops.find((o) => o.kind === 'CUSTOM:SignalFilterBank')!;
  const t = (k: number) => fromBytes('int16', g.tensors[op.inputs[k]!]!.data!) as Int16Array;
  const tables = { weights: t(1), unweights: t(2), frequencyStarts: t(3), weightStarts: t(4), widths: t(5) };
  return { tables, inputSize: g.tensors[op.inputs[0]!]!.shape[0]!, channels: g.tensors[op.outputs[0]!]!.shape[0]! };
}

describe('SignalFilterBank', () => {
  it('refuses a channel reaching past the input, in one line naming the op', () => {
    const t = randomTables(rng(1), 8, 2, 3, 0, 10);
    t.frequencyStarts[1] = 7;
    t.widths[1] = 3;
    expect(() => compileGraph(filterBankGraph('bad', 8, 2, t))).to.throw(/SignalFilterBank.*channel 1 \(start 7, weights from \d+, width 3\) reaches outside/);
  });

  it('splits into 16-bit halves only where the weight sums keep it exact', () => {
    const small = params(filterBankGraph('s', 40, 4, randomTables(rng(2), 40, 4, 16, 0, 4096)));
    expect(small.splitExact).to.equal(true);
    expect(filterBankForm(small, { dsp: false, armv6m: true })).to.equal('split');
    expect(filterBankForm(small, { dsp: true })).to.equal('wide');
    const big = params(filterBankGraph('b', 40, 4, randomTables(rng(2), 40, 4, 16, 20000, 32767)));
    expect(big.splitExact).to.equal(false);
    const negative = params(filterBankGraph('n', 40, 4, randomTables(rng(2), 40, 4, 4, -5, 5)));
    expect(negative.nonNegative).to.equal(false);
    expect(filterBankForm(negative, { dsp: false, rv32: true })).to.equal('wide');
  });

  it('equals TFLite Micro and its C equals the reference on 16 generated banks (every kernel family, both forms)', () => {
    const specs = [
      // input size, channels, widest channel, weights from, to
      [257, 40, 16, 0, 4096],
      [64, 8, 12, 0, 4096],
      [33, 5, 33, 0, 32767],
      [10, 1, 10, 0, 6553],
      [100, 20, 3, -32768, 32767],
      [17, 3, 6, 1, 1],
      [300, 64, 24, 0, 2730],
      [5, 2, 1, 0, 0],
    ];
    const cases: FrameCase[] = specs.flatMap(([n, ch, width, lo, hi], s) =>
      [0, 1, 2, 3].map((k) => {
        const rand = rng(1000 * s + k);
        const graph = filterBankGraph(`fb${s}_${k}`, n!, ch!, randomTables(rand, n!, ch!, width!, lo!, hi!));
        return { name: `SignalFilterBank ${ch} channels over ${n} bins, weights ${lo}..${hi}`, graph, frames: frames(rand, n!), isa: ISAS[k] };
      }),
    );
    expect(cases.filter((c) => params(c.graph).splitExact && (c.isa?.armv6m || c.isa?.rv32)).length).to.be.greaterThan(8);
    expectFramesAgree(cases);
  });

  it("equals TFLite Micro on the micro_speech front-end's tables (every kernel family)", function () {
    if (!sharedModelsAvailable(this)) return;
    const { tables, inputSize, channels } = audioPreprocessorTables();
    const cases = ISAS.map((isa, k) => {
      const graph = filterBankGraph(`fbspeech${k}`, inputSize, channels, tables);
      return { name: `SignalFilterBank micro_speech, ${isa ? JSON.stringify(isa) : 'portable'}`, graph, frames: frames(rng(77 + k), inputSize), isa };
    });
    expect(params(cases[0]!.graph).splitExact).to.equal(true);
    expectFramesAgree(cases);
  });
});
