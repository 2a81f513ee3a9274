// SPDX-License-Identifier: Apache-2.0
/**
 * The signal-library generators (test/fuzz/ops/signal.ts) are written from TFLite Micro's option facts,
 * some before their op has a kernel here (the campaign skips those): each must still draw components
 * TFLite Micro accepts and runs, over a stateful component's frames, so that a generator is ready the
 * day its op is registered. Where the op is registered the campaign itself compares the outputs.
 */
import { expect } from 'chai';
import { byteSize } from '../../src/core/ir/graph.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { SEQUENCE_FRAMES, buildBatch, mixSeed } from './batch.ts';
import { generators } from './ops/signal.ts';
import { concatBytes, runTflmRef } from '../helpers/tflm_ref.ts';

const SEEDS = 4;

describe('fuzz: signal-library generators', function () {
  it('cover the 14 ops of the signal library and a chain of three, the stateful ones marked', () => {
    expect(new Set(generators.flatMap((g) => g.ops)).size).to.equal(14);
    expect(generators).to.have.length(15);
    expect(generators.filter((g) => g.stateful).map((g) => g.name)).to.have.members([
      'CUSTOM:SignalDelay',
      'CUSTOM:SignalFilterBankSpectralSubtraction',
      'CUSTOM:SignalFramer',
      'CUSTOM:SignalOverlapAdd',
      'CUSTOM:SignalStacker',
      'signal-frames-window-overlap-add',
    ]);
  });

  for (const g of generators) {
    it(`${g.name}: ${SEEDS} components TFLite Micro runs${g.stateful ? `, ${SEQUENCE_FRAMES} frames with the state carried` : ''}`, () => {
      for (let s = 0; s < SEEDS; s++) {
        const one = buildBatch(`signal_gen_${s}`, [{ generator: g.name, dtype: 'int16', seed: mixSeed(7100, s) }], [g]);
        expect(one.carryState).to.equal(g.stateful === true);
        const run = runTflmRef(writeTflite(one.graph), concatBytes(one.cases.flat()), { resetEach: !one.carryState });
        const record = one.graph.outputs.reduce((n, o) => n + byteSize(one.graph.tensors[o]!), 0);
        expect(run.outputs.length, `${g.name} seed ${s}: output bytes`).to.equal(record * one.cases.length);
      }
    });
  }
});
