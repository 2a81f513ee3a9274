// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { selectVariant } from '../variant.ts';
import { executedMacs, prepareGraph } from '../prepare.ts';
import fc, { type FullyConnectedParams } from './index.ts';
import { SPARSE_MIN_ZEROS, encodeSparseRows } from '../common/codecs/sparse_rows.ts';
import type { FusedActivation } from '../../ir/graph.ts';
import type { LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import { inspectionJson } from '../../../face/report/json.ts';
import { formatOps } from '../../../face/report/inspect.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { layerText } from '../layer_code.ts';

/** Random int8 weights with about `zeros` of them exactly zero. */
function sparseWeights(rand: () => number, count: number, zeros: number): Int8Array {
  const w = randomInt8(rand, count, -127, 127);
  for (let i = 0; i < count; i++) if (rand() < zeros || w[i] === 0) w[i] = 0;
  return w;
}

interface SparseCase {
  batches: number;
  out: number;
  inF: number;
  weights: Int8Array;
  perChannel: boolean;
  bias: boolean;
  inZp: number;
  activation: FusedActivation;
  /** the output scale (default 0.08: right shifts) */
  outScale?: number;
}

function sparseGraph(c: SparseCase, rand: () => number) {
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
      c.bias ? { shape: [c.out], dtype: 'int32', data: Int32Array.from({ length: c.out }, () => randomInt(rand, -3000, 3000)) } : null,
    ],
    [{ shape: [c.batches, c.out], scale: c.outScale ?? 0.08, zeroPoint: randomInt(rand, -20, 20) }],
    { activation: c.activation, keepNumDims: false },
  );
}

describe('FULLY_CONNECTED with sparse (pruned) weights', () => {
  it('encodes rows as nonzero values and column deltas, bridging gaps over 255 with zero fillers', () => {
    const columns = 700;
    const w = new Int8Array(2 * columns);
    w[3] = 5;
    w[4] = -7;
    w[600] = 9; // row 0: gap 596 = 255 + 255 + 86
    w[columns + 699] = 1; // row 1: only the last column
    const s = encodeSparseRows(w, 2, columns)!;
    expect(Array.from(s.values)).to.deep.equal([5, -7, 0, 0, 9, 0, 0, 1]);
    expect(Array.from(s.deltas)).to.deep.equal([3, 1, 255, 255, 86, 255, 255, 189]);
    expect(Array.from(s.counts)).to.deep.equal([5, 3]);
    expect(s.bytes).to.equal(8 * 2 + 2 * 2);
    // replaying the deltas lands on every nonzero column
    let at = 0;
    const seen: number[] = [];
    for (let k = 0; k < 5; k++) {
      at += s.deltas[k]!;
      if (s.values[k] !== 0) seen.push(at);
    }
    expect(seen).to.deep.equal([3, 4, 600]);
  });

  it('keeps the dense form below the zero threshold', () => {
    const rand = rng(3);
    expect(encodeSparseRows(sparseWeights(rand, 64 * 32, SPARSE_MIN_ZEROS - 0.15), 64, 32)).to.equal(undefined);
    expect(encodeSparseRows(sparseWeights(rand, 64 * 32, 0.8), 64, 32)).to.not.equal(undefined);
  });

  it('prepare picks the sparse form for pruned weights only, and the emitted C never holds the dense weights', () => {
    const rand = rng(5);
    for (const zeros of [0.1, 0.75]) {
      const { graph, op } = sparseGraph(
        { batches: 1, out: 12, inF: 300, weights: sparseWeights(rand, 12 * 300, zeros), perChannel: false, bias: true, inZp: 3, activation: 'NONE' },
        rand,
      );
      const p = fc.prepare(graph, op);
      expect(p.sparse !== undefined, `zeros ${zeros}`).to.equal(zeros > 0.5);
      if (!p.sparse) continue;
      const asked: number[] = [];
      const ctx: LayerEmitContext = {
        graph,
        op,
        fnName: 'layer',
        prefix: 't',
        input: (i) => {
          asked.push(i);
          return `in${i}`;
        },
        output: () => 'out0',
        scratch: () => {
          throw new Error('no scratch');
        },
        addConst: (suffix) => `t_${suffix}`,
        render: (file, view) => renderOpTemplate(fc.dir, file, view),
        defineOnce: () => {
          throw new Error('no shared definitions');
        },
      };
      const variant = selectVariant(fc, p, undefined);
      expect(variant.name).to.equal('sparse');
      const code = layerText(variant.emit(p, ctx));
      expect(asked).to.not.include(1);
      expect(code).to.include('t_sparse_values').and.include('t_sparse_deltas').and.include('sparse:');
    }
  });

  it('computes bit-exactly what the dense reference kernel computes (host C, ASan + UBSan)', () => {
    const rand = rng(11);
    const cases: CCase[] = [];
    const shapes: [number, number, number][] = [
      [1, 10, 784],
      [2, 16, 300],
      [3, 7, 40],
      [1, 5, 1000],
    ];
    for (const [batches, out, inF] of shapes) {
      for (const zeros of [0.7, 0.9, 0.995]) {
        for (const perChannel of [false, true]) {
          const c: SparseCase = {
            batches,
            out,
            inF,
            weights: sparseWeights(rand, out * inF, zeros),
            perChannel,
            bias: rand() < 0.7,
            inZp: rand() < 0.3 ? 0 : randomInt(rand, -128, 127),
            activation: (['NONE', 'RELU', 'RELU6'] as const)[randomInt(rand, 0, 2)]!,
          };
          const { graph, op } = sparseGraph(c, rand);
          expect(fc.prepare(graph, op).sparse, `${batches}x${out}x${inF} zeros ${zeros}`).to.not.equal(undefined);
          cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)] });
        }
      }
    }
    // an all-zero row and an all-zero layer
    const empty = new Int8Array(4 * 50);
    empty[60] = 3;
    for (const weights of [empty, new Int8Array(4 * 50)]) {
      const { graph, op } = sparseGraph({ batches: 1, out: 4, inF: 50, weights, perChannel: false, bias: true, inZp: 7, activation: 'NONE' }, rand);
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, 50)] });
    }
    const results = runCasesInC(cases);
    cases.forEach((c, k) => {
      const expected = evaluateOp(fc, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('RV32IMC: the sparse variant equals the reference on random shapes, sparsities and quantizations (host C, ASan + UBSan)', () => {
    const rand = rng(4242);
    const cases: CCase[] = [];
    const RV32 = { dsp: false, rv32: true } as const;
    while (cases.length < 40) {
      const batches = randomInt(rand, 1, 3);
      const out = randomInt(rand, 1, 24);
      const inF = randomInt(rand, 2, 900);
      const c: SparseCase = {
        batches,
        out,
        inF,
        weights: sparseWeights(rand, out * inF, 0.55 + rand() * 0.45),
        perChannel: rand() < 0.5,
        bias: rand() < 0.7,
        inZp: rand() < 0.3 ? 0 : randomInt(rand, -128, 127),
        activation: (['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const)[randomInt(rand, 0, 3)]!,
        // a quarter with an output scale finer than s_in * s_w: left shifts (tf_mbqm)
        outScale: rand() < 0.25 ? 0.00005 * (0.2 + rand()) : 0.02 + rand() * 0.2,
      };
      const { graph, op } = sparseGraph(c, rand);
      const p = fc.prepare(graph, op);
      if (!p.sparse) continue;
      expect(selectVariant(fc, p, RV32).name).to.equal('rv32 sparse');
      cases.push({ def: fc, graph, op, inputs: [randomInt8(rand, batches * inF)], isa: RV32 });
    }
    const results = runCasesInC(cases);
    cases.forEach((c, k) => {
      const expected = evaluateOp(fc, c.graph, c.op, c.inputs)[0] as Int8Array;
      expect(firstDifference(new Uint8Array(expected.buffer), results[k]![0]!), `case ${k}`).to.equal(undefined);
    });
  });

  it('counts the MACs the kernel executes: a sparse layer its stored entries per batch row, a dense one its shape (generated layers, every family)', () => {
    const rand = rng(17);
    const families = [{ dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }, undefined];
    let skipped = 0;
    for (let n = 0; n < 40; n++) {
      const c: SparseCase = {
        batches: randomInt(rand, 1, 3),
        out: randomInt(rand, 1, 40),
        inF: randomInt(rand, 1, 600),
        weights: new Int8Array(0),
        perChannel: rand() < 0.5,
        bias: rand() < 0.7,
        inZp: randomInt(rand, -128, 127),
        activation: 'NONE',
      };
      c.weights = sparseWeights(rand, c.out * c.inF, rand());
      const { graph } = sparseGraph(c, rand);
      const isa = families[n % families.length];
      // under size the compressed storages win: the sparse rows (plain or Huffman-coded) skip the zeros
      const layer = prepareGraph(graph, 'fc', isa, 'size').layers[0]!;
      const sparse = encodeSparseRows(c.weights, c.out, c.inF);
      const p = layer.params as FullyConnectedParams;
      const skipsZeros = layer.variant.storage === 'sparse' || (layer.variant.storage === 'huffman' && p.entropy?.kind === 'sparse');
      expect(layer.macs, 'dense count').to.equal(c.batches * c.out * c.inF);
      expect(executedMacs(layer), `case ${n}`).to.equal(c.batches * (skipsZeros ? sparse!.values.length : c.out * c.inF));
      if (skipsZeros) {
        skipped++;
        expect(executedMacs(layer)).to.be.below(layer.macs);
      }
    }
    expect(skipped, 'layers whose kernel skips the zeros').to.be.greaterThan(5);
  });

  it("inspect's MACs column and --json executedMacs say what the sparse kernel executes, --json macs the dense count", () => {
    const rand = rng(29);
    const c: SparseCase = {
      batches: 1,
      out: 32,
      inF: 256,
      weights: sparseWeights(rand, 32 * 256, 0.9),
      perChannel: true,
      bias: true,
      inZp: 3,
      activation: 'NONE',
    };
    const { graph } = sparseGraph(c, rand);
    const prepared = prepareGraph(graph, 'fc', { dsp: true }, 'size');
    const layer = prepared.layers[0]!;
    expect(layer.variant.storage).to.be.oneOf(['sparse', 'huffman']);
    const json = inspectionJson(graph, prepared, undefined, []);
    expect(json.layers[0]!.macs).to.equal(32 * 256);
    expect(json.layers[0]!.executedMacs)
      .to.equal(executedMacs(layer))
      .and.be.below(32 * 256);
    const row = formatOps(graph, prepared)
      .split('\n')
      .find((l) => l.includes('FULLY_CONNECTED'))!;
    expect(row)
      .to.include(executedMacs(layer).toLocaleString('en-US'))
      .and.not.include((32 * 256).toLocaleString('en-US'));
  });
});
