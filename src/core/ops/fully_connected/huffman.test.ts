// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { selectVariant } from '../variant.ts';
import fc from './index.ts';
import type { FullyConnectedParams } from './contract.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import { peakedWeights } from '../../../../test/helpers/peaked_weights.ts';
import { type CCase, expectCasesBitExactInC, randomInt, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { preferInSuite, suiteChoices } from '../../../../test/helpers/prefer.ts';
import { compileGraph } from '../../compile.ts';
import { fixedGroupSizes, groupSizesSearch, groupedGapRows } from './huffman.ts';

interface Layer {
  batches: number;
  out: number;
  inF: number;
  weights: Int8Array;
  perChannel: boolean;
  bias: boolean;
  /** biases drawn from [-biasRange, biasRange] (default 3000) */
  biasRange?: number;
  inZp: number;
  activation: FusedActivation;
  outScale: number;
}

function layerGraph(c: Layer, rand: () => number) {
  return singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [c.batches, c.inF], scale: 0.05, zeroPoint: c.inZp },
      {
        shape: [c.out, c.inF],
        data: c.weights,
        scale: c.perChannel ? Array.from({ length: c.out }, () => 0.002 + rand() * 0.01) : 0.006,
        zeroPoint: c.perChannel ? new Array(c.out).fill(0) : 0,
      },
      c.bias
        ? { shape: [c.out], dtype: 'int32', data: Int32Array.from({ length: c.out }, () => randomInt(rand, -(c.biasRange ?? 3000), c.biasRange ?? 3000)) }
        : null,
    ],
    [{ shape: [c.batches, c.out], scale: c.outScale, zeroPoint: randomInt(rand, -20, 20) }],
    { activation: c.activation, keepNumDims: false },
  );
}

/** A layer of these weights with drawn scales, biases, input zero point and activation. */
function randomLayer(rand: () => number, batches: number, out: number, inF: number, weights: Int8Array, outScale: number): Layer {
  return {
    batches,
    out,
    inF,
    weights,
    perChannel: rand() < 0.5,
    bias: rand() < 0.7,
    biasRange: rand() < 0.4 ? 100 : 3000,
    inZp: rand() < 0.3 ? 0 : randomInt(rand, -128, 127),
    activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[randomInt(rand, 0, 3)]!,
    outScale,
  };
}

describe('FULLY_CONNECTED with Huffman-coded weights (huffman.ts)', () => {
  // the storage competes under --prefer size; palette and int4 off so every layer is Huffman-coded
  preferInSuite('size', { palette: false, int4: false });

  it('only --prefer size picks it (the default speed keeps the faster kernels); entropy off never codes', () => {
    const rand = rng(1);
    const { graph, op } = layerGraph(
      { batches: 1, out: 20, inF: 100, weights: peakedWeights(rand, 2000, 2, 0), perChannel: false, bias: true, inZp: 0, activation: 'NONE', outScale: 0.1 },
      rand,
    );
    const coded = fc.prepare(graph, op, suiteChoices().kernels);
    expect(coded.entropy).to.not.equal(undefined);
    for (const isa of [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }]) {
      expect(selectVariant(fc, coded, isa, 'speed', suiteChoices().kernels).storage).to.not.equal('huffman');
      expect(selectVariant(fc, coded, isa, 'size', suiteChoices().kernels).storage).to.equal('huffman');
    }
    const noEntropy = { ...suiteChoices().kernels, entropy: false };
    const p = fc.prepare(graph, op, noEntropy);
    expect(p.entropy).to.equal(undefined);
    expect(selectVariant(fc, p, { dsp: true }, 'size', noEntropy).storage).to.not.equal('huffman');
  });

  it('under --prefer size the model code is compiled for size too (GCC pragma in model.c), under speed not', () => {
    const rand = rng(3);
    const { graph } = layerGraph(
      { batches: 1, out: 12, inF: 64, weights: peakedWeights(rand, 768, 2, 0), perChannel: true, bias: true, inZp: 3, activation: 'RELU', outScale: 0.1 },
      rand,
    );
    const modelC = (prefer: 'size' | 'speed') =>
      compileGraph(graph, 'fc.tflite', { ...suiteChoices(), prefer }).generated.files.find((f) => f.role === 'source')!.text;
    expect(modelC('size')).to.include('#pragma GCC optimize("Os")');
    expect(modelC('speed')).not.to.include('#pragma GCC optimize("Os")');
  });

  it('computes bit-exactly what the reference computes, dense and sparse rows, on generated layers (host C, ASan + UBSan)', () => {
    const rand = rng(2026);
    const cases: CCase[] = [];
    const kinds = { dense: 0, sparse: 0 };
    const isas = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    let tries = 0;
    while (cases.length < 48) {
      tries++;
      const batches = randomInt(rand, 1, 3);
      // dense peaked (some 4-bit-valued) / pruned 50-80% / 80-97% / 97-99% over long rows (gaps over 255: fillers)
      const shape = cases.length % 4;
      const out = shape === 3 ? randomInt(rand, 20, 40) : randomInt(rand, 1, 40);
      const inF = shape === 3 ? randomInt(rand, 600, 900) : randomInt(rand, 1, 900);
      const zeros = shape === 0 ? 0 : shape === 1 ? 0.5 + rand() * 0.3 : shape === 2 ? 0.8 + rand() * 0.17 : 0.97 + rand() * 0.02;
      const fourBit = rand() < 0.3;
      const spread = shape === 3 ? 1 + rand() * 2 : 0.5 + rand() * (fourBit ? 3 : 20);
      const weights = peakedWeights(rand, out * inF, spread, zeros, fourBit ? -8 : -127, fourBit ? 7 : 127);
      const outScale = rand() < 0.25 ? 0.00005 * (0.2 + rand()) : 0.02 + rand() * 0.2;
      const { graph, op } = layerGraph(randomLayer(rand, batches, out, inF, weights, outScale), rand);
      const p: FullyConnectedParams = fc.prepare(graph, op, suiteChoices().kernels);
      if (!p.entropy) continue;
      const isa = isas[cases.length % isas.length];
      expect(selectVariant(fc, p, isa, suiteChoices().prefer, suiteChoices().kernels).name).to.equal(isa?.dsp ? 'arm-dsp huffman' : 'huffman');
      expect(p.entropy.bytes).to.be.below(p.entropy.replacedBytes);
      kinds[p.entropy.kind]++;
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)], isa });
    }
    expect(tries).to.be.below(200);
    expect(kinds.dense).to.be.above(5);
    expect(kinds.sparse).to.be.above(5);
    // sparse rows whose biases fit a narrower table than the folded start values add the input offset in the loop
    const offsetInLoop = cases.filter((c) =>
      /\(\*xp [+-] \d+\)/.test(
        compileGraph(c.graph, 'fc.tflite', { ...suiteChoices(), prefer: 'size', isa: c.isa }).generated.files.find((f) => f.role === 'source')!.text,
      ),
    ).length;
    expect(offsetInLoop).to.be.above(2);
    expectCasesBitExactInC(cases);
  });

  it('rows pruned in groups share their columns: stored once a group, decoded back to the weights, bit-exact in C', () => {
    const rand = rng(414);
    const cases: CCase[] = [];
    const groupSizes = new Set<number | 'searched'>();
    const isas = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];
    for (let k = 0; cases.length < 16; k++) {
      expect(k).to.be.below(40);
      const G = [2, 4, 8][k % 3]!;
      const batches = randomInt(rand, 1, 2);
      // row counts off the group size (a shorter last group); long rows with gaps over 255 (fillers)
      const blockRows = randomInt(rand, Math.max(16, 2 * G + 1), 48);
      const inF = k % 4 === 0 ? randomInt(rand, 600, 900) : randomInt(rand, 16, 400);
      const keep = k % 4 === 0 ? 0.02 + rand() * 0.02 : 0.03 + rand() * 0.1;
      const blocks = new Int8Array(blockRows * inF);
      for (let g = 0; g * G < blockRows; g++) {
        for (let c = 0; c < inF; c++) {
          if (rand() >= keep) continue;
          // the group's column: every row has a weight there, now and then a zero (the union's zeros)
          for (let r = g * G; r < Math.min(blockRows, (g + 1) * G); r++) blocks[r * inF + c] = rand() < 0.1 ? 0 : randomInt(rand, -8, 7) || 1;
        }
      }
      // every other layer has lost single rows, as the dead-neuron pass removes them: the blocks' boundaries move
      const removed = new Set(k % 2 === 1 ? [randomInt(rand, 1, blockRows - 2), randomInt(rand, 1, blockRows - 2)] : []);
      const out = blockRows - removed.size;
      const weights = new Int8Array(out * inF);
      let kept = 0;
      for (let r = 0; r < blockRows; r++) if (!removed.has(r)) weights.set(blocks.subarray(r * inF, (r + 1) * inF), inF * kept++);
      // round trip of the encoding, independent of the C, with fixed and searched group sizes
      const sizes = k % 2 === 1 ? groupSizesSearch(weights, out, inF, 5, (w) => (w === 0 ? 2 : 3)) : fixedGroupSizes(out, G);
      expect(sizes.reduce((a, b) => a + b)).to.equal(out);
      const coded = groupedGapRows(weights, out, inF, sizes);
      const decoded = new Int8Array(out * inF);
      let entry = 0;
      let value = 0;
      let first = 0;
      coded.counts.forEach((n, g) => {
        for (let r = first; r < first + sizes[g]!; r++) {
          let column = 0;
          for (let e = 0; e < n; e++) {
            column += coded.deltas[entry + e]!;
            decoded[r * inF + column]! += coded.values[value++]!;
          }
        }
        entry += n;
        first += sizes[g]!;
      });
      expect(decoded).to.deep.equal(weights);
      expect(value).to.equal(coded.values.length);
      const { graph, op } = layerGraph(randomLayer(rand, batches, out, inF, weights, 0.02 + rand() * 0.2), rand);
      const p: FullyConnectedParams = fc.prepare(graph, op, suiteChoices().kernels);
      // a small layer's streams and code tables can outweigh what they save: not coded, not a case
      if (!p.entropy) continue;
      groupSizes.add(p.entropy!.groupSizes ? 'searched' : (p.entropy!.groupRows ?? 0));
      // the products the kernel runs: every row of a group at each of its shared columns
      const huffman = fc.variants!.find((v) => v.storage === 'huffman')!;
      if (p.entropy!.groupRows === G && k % 2 === 0) expect(huffman.macs!(p)).to.equal(batches * coded.values.length);
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)], isa: isas[cases.length % isas.length] });
    }
    // block-pruned layers are stored grouped: fixed sizes where the blocks are aligned (theirs, or a multiple
    // that codes smaller), searched ones where rows went missing; the layer's comment says which
    expect([...groupSizes].filter((g) => g !== 0 && g !== 1).length, [...groupSizes].join()).to.be.above(2);
    expect([...groupSizes]).to.include('searched');
    const summaries = cases
      .map((c) => compileGraph(c.graph, 'fc.tflite', { ...suiteChoices(), prefer: 'size', isa: c.isa }).generated.files.find((f) => f.role === 'source')!.text)
      .join();
    expect(summaries).to.match(/columns shared by groups of \d+ rows/);
    expect(summaries).to.match(/columns shared by \d+ groups of 1 to \d+ rows/);
    expectCasesBitExactInC(cases);
  });
});
