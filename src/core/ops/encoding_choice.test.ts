// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { SPEED_MARGIN, chooseEncoding } from './encoding_choice.ts';
import { selectVariant } from './variant.ts';
import fc from './fully_connected/index.ts';
import conv from './conv_2d/index.ts';
import type { EncodingCost, KernelIsa, OpDef } from './op.ts';
import { randomInt, rng, singleOpGraph } from '../../../test/helpers/op_harness.ts';
import { prunedWeights, sparseConvCase } from '../../../test/helpers/sparse_cases.ts';
import lstm from './unidirectional_sequence_lstm/index.ts';
import { lstmGraph } from '../../../test/helpers/lstm_cases.ts';
import { fullyConnected, int4Model } from '../../../test/helpers/int4_models.ts';
import { compileGraph } from '../compile.ts';

const dominates = (a: EncodingCost, b: EncodingCost) =>
  a.flashBytes <= b.flashBytes && a.instructions <= b.instructions && (a.flashBytes < b.flashBytes || a.instructions < b.instructions);

describe('per-layer weight storage choice (encoding_choice.ts)', () => {
  it('never picks an option both bigger and slower than another; speed never grows flash past dense; size takes the fewest bytes (random prices)', () => {
    const rand = rng(99);
    for (let trial = 0; trial < 2000; trial++) {
      const price = (): EncodingCost => ({ flashBytes: randomInt(rand, 1, 50), instructions: randomInt(rand, 1, 50) });
      const dense = { option: 'dense', cost: price() };
      const others = Array.from({ length: randomInt(rand, 0, 4) }, (_, k) => ({ option: `alt${k}`, cost: price() }));
      const all = [dense, ...others];
      for (const prefer of ['size', 'speed'] as const) {
        const chosen = chooseEncoding(dense, others, prefer);
        const dominated = all.some(
          (o) =>
            o.cost.flashBytes <= chosen.cost.flashBytes &&
            o.cost.instructions <= chosen.cost.instructions &&
            (o.cost.flashBytes < chosen.cost.flashBytes || o.cost.instructions < chosen.cost.instructions),
        );
        expect(dominated, `trial ${trial} ${prefer}`).to.equal(false);
        if (prefer === 'size') expect(chosen.cost.flashBytes).to.equal(Math.min(...all.map((o) => o.cost.flashBytes)));
        else {
          expect(chosen.cost.flashBytes).to.be.at.most(dense.cost.flashBytes);
          // dense, or an option no bigger and priced SPEED_MARGIN under it, where dense is not dominated
          const denseOpen = !others.some((o) => dominates(o.cost, dense.cost));
          const fits = all.filter(
            (o) =>
              o.cost.flashBytes <= dense.cost.flashBytes &&
              !all.some((x) => dominates(x.cost, o.cost)) &&
              (o === dense || !denseOpen || o.cost.instructions <= SPEED_MARGIN * dense.cost.instructions),
          );
          expect(chosen.cost.instructions, `trial ${trial}`).to.equal(Math.min(...fits.map((o) => o.cost.instructions)));
        }
      }
    }
  });

  it('a sparse layer wins under speed only when it is faster, and --prefer size switches to it when it is smaller (FC, CONV_2D on every family)', () => {
    const rand = rng(7);
    const families: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    let sawSwitch = 0;
    for (let trial = 0; trial < 60; trial++) {
      const isa = families[trial % 4];
      const c = sparseConvCase(rand, trial % 3 === 0, isa, [0.5, 0.7, 0.9, 0.97][trial % 4]!);
      if (!c) continue;
      const def = c.def as OpDef;
      const p = def.prepare(c.graph, c.op);
      const dense = def.denseCost!(p, isa)!;
      for (const prefer of ['speed', 'size'] as const) {
        const v = selectVariant(def, p, isa, prefer);
        if (!v.cost) continue;
        const cost = v.cost(p, isa);
        expect(cost.flashBytes > dense.flashBytes && cost.instructions > dense.instructions, `trial ${trial}`).to.equal(false);
        if (prefer === 'speed') expect(cost.instructions <= dense.instructions && cost.flashBytes <= dense.flashBytes).to.equal(true);
        else expect(cost.flashBytes).to.be.at.most(dense.flashBytes);
      }
      if (selectVariant(def, p, isa, 'speed').storage !== selectVariant(def, p, isa, 'size').storage) sawSwitch++;
    }
    expect(sawSwitch, 'layers where size and speed disagree').to.be.greaterThan(0);
    // FC at 70% zeros on the M4: the sparse form is smaller but slower than the DSP kernel
    const w = new Int8Array(64 * 512).map(() => (rand() < 0.7 ? 0 : randomInt(rand, -127, 127) || 1));
    const { graph, op } = fcGraph(w);
    const p = fc.prepare(graph, op);
    expect(p.sparse).to.not.equal(undefined);
    expect(selectVariant(fc, p, { dsp: true }, 'speed').storage).to.equal(undefined);
    // under size the smallest storage: the sparse form or, smaller still, its Huffman-coded values and gaps
    const small = selectVariant(fc, p, { dsp: true }, 'size');
    expect(small.storage).to.be.oneOf(['sparse', 'huffman']);
    expect(small.cost!(p, { dsp: true }).flashBytes).to.be.at.most(p.sparse!.bytes);
    expect(conv.denseCost).to.be.a('function');
  });

  it('UNIDIRECTIONAL_SEQUENCE_LSTM: pruned gate weights are never stored sparse when that is both bigger and slower; speed never grows flash; size takes the smaller (random layers, every family)', () => {
    const rand = rng(23);
    const families: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    const picks = { sparse: 0, dense: 0 };
    for (let trial = 0; trial < 40; trial++) {
      const isa = families[trial % 4];
      const units = randomInt(rand, 2, 24);
      const inputSize = randomInt(rand, 2, 64);
      const zeros = [0.5, 0.7, 0.9, 0.97][trial % 4]!;
      const weights = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => prunedWeights(rand, units * (k < 4 ? inputSize : units), zeros));
      const { graph, op } = lstmGraph({
        batches: 1,
        steps: randomInt(rand, 1, 30),
        inputSize,
        units,
        inZp: randomInt(rand, -128, 127),
        hZp: randomInt(rand, -3, 3),
        weights,
      });
      const p = lstm.prepare(graph, op);
      const dense = lstm.denseCost!(p, isa)!;
      for (const prefer of ['speed', 'size'] as const) {
        const v = selectVariant(lstm, p, isa, prefer);
        picks[v.storage === 'sparse' ? 'sparse' : 'dense']++;
        if (!v.cost) continue;
        const cost = v.cost(p, isa);
        expect(cost.flashBytes > dense.flashBytes && cost.instructions > dense.instructions, `trial ${trial}`).to.equal(false);
        if (prefer === 'speed') expect(cost.instructions <= dense.instructions && cost.flashBytes <= dense.flashBytes, `trial ${trial}`).to.equal(true);
        else expect(cost.flashBytes).to.be.at.most(dense.flashBytes);
      }
    }
    expect(picks.sparse, 'layers stored sparse').to.be.greaterThan(5);
    expect(picks.dense, 'layers kept dense').to.be.greaterThan(5);
  });

  it('a model that stores INT4 weights keeps them packed under --prefer speed (nothing bigger than the file stores); plain int8 layers with int4 values stay on the faster int8 kernels', () => {
    for (const stored of [true, false]) {
      const graph = int4Model('stored_int4', 5, [1, 64], (l) => fullyConnected(l, 16));
      const g = stored ? graph : { ...graph, tensors: graph.tensors.map((t) => (t.storageBits === 4 ? { ...t, storageBits: undefined } : t)) };
      for (const isa of [{ dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }] as KernelIsa[]) {
        const layer = compileGraph(g, 'stored_int4.tflite', { isa, prefer: 'speed' }).prepared.layers.find((l) => l.op.kind === 'FULLY_CONNECTED')!;
        expect(layer.variant.storage === 'int4', `stored as INT4: ${stored}`).to.equal(stored);
      }
    }
  });
});

function fcGraph(w: Int8Array) {
  return singleOpGraph(
    'FULLY_CONNECTED',
    [{ shape: [1, 512], scale: 0.05, zeroPoint: 3 }, { shape: [64, 512], scale: 0.006, zeroPoint: 0, data: w }, null],
    [{ shape: [1, 64], scale: 0.08, zeroPoint: -5 }],
    { activation: 'NONE', keepNumDims: false },
  );
}
