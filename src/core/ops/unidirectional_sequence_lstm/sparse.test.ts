// SPDX-License-Identifier: Apache-2.0
/**
 * Sparse LSTM gate weights (sparse.ts): generated pruned LSTMs (random sizes, 50-95% zeros in the
 * eight gate matrices, zero points, clipping, batch- and time-major) run through the sparse kernel on
 * the host (ASan + UBSan), equal to the reference, to the dense kernels and to TFLite Micro; executed
 * MACs, the storage `inspect` shows, the measured picks under `--prefer`, and the kernel on the
 * emulated Cortex-M4, RP2040 and ESP32-C3.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lstm, { type LstmParams } from './index.ts';
import { type LstmSpec, lstmGraph, zeroState } from '../../../../test/helpers/lstm_cases.ts';
import { encodeLstmSparse } from './sparse.ts';
import { selectVariant } from '../variant.ts';
import { executedMacs, prepareGraph } from '../prepare.ts';
import type { KernelIsa, LayerEmitContext } from '../op.ts';
import { renderOpTemplate } from '../common/render.ts';
import { elementCount } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../targets/targets.ts';
import { formatStorage, storageLabel } from '../../../face/report/inspect.ts';
import { type CCase, evaluateOp, firstDifference, randomInt, randomInt8, rng, runCasesInC } from '../../../../test/helpers/op_harness.ts';
import { prunedWeights } from '../../../../test/helpers/sparse_cases.ts';
import { preferInSuite, suiteChoices, withChoices } from '../../../../test/helpers/prefer.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { layerText } from '../layer_code.ts';

const DSP: KernelIsa = { dsp: true };
const ARMV6M: KernelIsa = { dsp: false, armv6m: true };
const RV32: KernelIsa = { dsp: false, rv32: true };

/** The eight gate matrices (4 input-to-gate [units, inputSize], 4 recurrent [units, units]) pruned to about `zeros`. */
function prunedGates(rand: () => number, units: number, inputSize: number, zeros: number): Int8Array[] {
  return [0, 1, 2, 3, 4, 5, 6, 7].map((k) => prunedWeights(rand, units * (k < 4 ? inputSize : units), zeros));
}

/** A random pruned LSTM: sizes, sparsity, zero points, cell scale and clip, layout. */
function prunedSpec(rand: () => number, seed: number): LstmSpec {
  const units = randomInt(rand, 1, 14);
  const inputSize = rand() < 0.1 ? randomInt(rand, 260, 400) : randomInt(rand, 1, 40);
  return {
    batches: randomInt(rand, 1, 2),
    steps: randomInt(rand, 1, 4),
    inputSize,
    units,
    timeMajor: rand() < 0.3,
    inZp: randomInt(rand, -128, 127),
    hZp: rand() < 0.25 ? 0 : randomInt(rand, -128, 127),
    cellPower: randomInt(rand, -16, -9),
    cellClip: rand() < 0.3 ? 0.5 + rand() * 3 : 0,
    weights: prunedGates(rand, units, inputSize, 0.5 + rand() * 0.45),
    seed,
  };
}

/** Pruned LSTMs whose gate weights get the sparse encoding, with random inputs and non-reset states. */
function sparseCases(seed: number, count: number): CCase[] {
  const rand = rng(seed);
  const cases: CCase[] = [];
  for (let n = 0; cases.length < count; n++) {
    const { graph, op } = lstmGraph(prunedSpec(rand, seed * 100 + n));
    if (!(lstm.prepare(graph, op, suiteChoices().kernels) as LstmParams).sparse) continue;
    const state = zeroState(graph, op);
    if (rand() < 0.5) {
      (state[0] as Int8Array).set(randomInt8(rand, state[0]!.length));
      (state[1] as Int16Array).set(Int16Array.from({ length: state[1]!.length }, () => randomInt(rand, -32768, 32767)));
    }
    cases.push({ def: lstm, graph, op, inputs: [randomInt8(rand, elementCount(graph.tensors[op.inputs[0]!]!.shape)), ...state] });
  }
  // a gap of more than 255 columns (filler entries), an all-zero row and an all-zero matrix
  const units = 3;
  const inputSize = 600;
  const weights = prunedGates(rand, units, inputSize, 0.97);
  weights[0]!.fill(0);
  weights[0]![599] = 77; // row 0: one weight, 599 columns in: two fillers
  weights[0]![inputSize + 3] = -5;
  weights[0]![inputSize + 400] = 9;
  weights[5]!.fill(0);
  const { graph, op } = lstmGraph({ batches: 1, steps: 3, inputSize, units, inZp: 11, hZp: -9, weights, seed: 5 });
  cases.push({ def: lstm, graph, op, inputs: [randomInt8(rand, 3 * inputSize), ...zeroState(graph, op)] });
  return cases;
}

const expectedOutput = (c: CCase) => toBytes(evaluateOp(lstm, c.graph, c.op, [c.inputs[0]!, ...c.inputs.slice(1).map((b) => b.slice())])[0]!);

describe('UNIDIRECTIONAL_SEQUENCE_LSTM with sparse (pruned) gate weights', () => {
  // the sparse storage competes under --prefer size, where it wins whenever it is encoded
  preferInSuite('size');

  it('encodes the input rows gate after gate, then the recurrent rows, as column gaps; keeps dense weights dense', () => {
    const units = 2;
    const inputSize = 12;
    const z = (n: number) => new Int8Array(n);
    const gates = [0, 1, 2, 3].map(() => ({ inputWeights: z(units * inputSize), recurrentWeights: z(units * units) }));
    gates[0]!.inputWeights[1] = 4; // input gate: row 0 column 1
    gates[0]!.inputWeights[inputSize + 2] = -3; // row 1 column 2
    gates[3]!.inputWeights.set([5, 0, 6]); // output gate: row 0 columns 0 and 2
    gates[1]!.recurrentWeights.set([0, 0, 0, 7]); // forget gate's recurrent row 1 column 1
    const s = encodeLstmSparse(gates, units, inputSize)!;
    expect(Array.from(s.values)).to.deep.equal([4, -3, 5, 6, 7]);
    expect(Array.from(s.deltas)).to.deep.equal([1, 2, 0, 2, 1]);
    expect(Array.from(s.counts)).to.deep.equal([1, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(s.inputEntries).to.equal(4);
    // 5 entries of 2 bytes and 16 int16 counts, for 112 dense bytes
    expect(s.bytes).to.equal(42);
    // the same weights in rows of 3 columns: 42 bytes for 40 dense, not encoded
    const narrow = gates.map((g) => ({
      inputWeights: Int8Array.from([...g.inputWeights.slice(0, 3), ...g.inputWeights.slice(12, 15)]),
      recurrentWeights: g.recurrentWeights,
    }));
    expect(narrow[3]!.inputWeights[2], 'layout').to.equal(6);
    expect(encodeLstmSparse(narrow, units, 3)).to.equal(undefined);
    const rand = rng(1);
    const wide = [0, 1, 2, 3].map(() => ({ inputWeights: prunedWeights(rand, 8 * 30, 0.9), recurrentWeights: prunedWeights(rand, 64, 0.9) }));
    expect(encodeLstmSparse(wide, 8, 30)).to.not.equal(undefined);
    const dense = [0, 1, 2, 3].map(() => ({ inputWeights: prunedWeights(rand, 8 * 30, 0.3), recurrentWeights: prunedWeights(rand, 64, 0.3) }));
    expect(encodeLstmSparse(dense, 8, 30)).to.equal(undefined);
  });

  it('the emitted C never reads the dense gate weights', () => {
    const { graph, op } = lstmGraph({ batches: 1, steps: 2, inputSize: 30, units: 8, inZp: 4, hZp: -2, weights: prunedGates(rng(2), 8, 30, 0.9) });
    const p = lstm.prepare(graph, op, suiteChoices().kernels) as LstmParams;
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
      scratch: () => 'scratch',
      addConst: (suffix) => `t_${suffix}`,
      render: (file, view) => renderOpTemplate(lstm.dir, file, view),
      defineOnce: () => {
        throw new Error('no shared definitions');
      },
    };
    const variant = selectVariant(lstm, p, DSP, suiteChoices().prefer, suiteChoices().kernels);
    expect(variant.name).to.equal('sparse');
    const code = layerText(variant.emit(p, ctx));
    expect(asked.filter((i) => i >= 1 && i <= 8)).to.deep.equal([]);
    expect(code).to.include('t_sparse_values').and.include('tf_sparse_dot_gaps').and.include('sparse gate weights:');
  });

  it('generated pruned LSTMs: the sparse kernel equals the reference and the dense kernels of every family (host C, ASan + UBSan)', () => {
    const cases = sparseCases(31, 8);
    for (const c of cases)
      expect(selectVariant(lstm, lstm.prepare(c.graph, c.op, suiteChoices().kernels), undefined, suiteChoices().prefer, suiteChoices().kernels).name).to.equal(
        'sparse',
      );
    const sparse = runCasesInC(cases);
    cases.forEach((c, k) => expect(firstDifference(expectedOutput(c), sparse[k]![0]!), `case ${k} (sparse)`).to.equal(undefined));
    // the same layers, dense: the portable C and each family's kernel (C twins on the host)
    const dense = withChoices({ ...suiteChoices(), kernels: { sparse: 'off' } }, () =>
      runCasesInC([undefined, DSP, ARMV6M, RV32].flatMap((isa) => cases.map((c) => ({ ...c, inputs: c.inputs.map((b) => b.slice()), isa })))),
    );
    dense.forEach((d, k) =>
      expect(firstDifference(sparse[k % cases.length]![0]!, d[0]!), `case ${k % cases.length}, family ${Math.floor(k / cases.length)}`).to.equal(undefined),
    );
  });

  it('TFLite Micro (tflm-ref) computes what the sparse kernel computes on pruned LSTMs', function () {
    if (!tflmRefAvailable(this)) return;
    const cases = sparseCases(47, 6).map((c) => ({ ...c, inputs: [c.inputs[0]!, ...zeroState(c.graph, c.op)] }));
    const sparse = runCasesInC(cases);
    cases.forEach((c, k) => {
      const theirs = tflmOutputs(c.graph, [new Uint8Array(toBytes(c.inputs[0]!))]);
      expect(firstDifference(theirs[0]!, sparse[k]![0]!), `case ${k} (expected: TFLite Micro)`).to.equal(undefined);
    });
  });

  it('counts the MACs the sparse kernel executes, shows the storage per layer, and prices it against dense under --prefer', () => {
    const rand = rng(9);
    for (const [n, isa] of [undefined, DSP, ARMV6M, RV32].entries()) {
      const spec: LstmSpec = { batches: 2, steps: 3, inputSize: 28, units: 20, inZp: 3, hZp: -1, weights: prunedGates(rand, 20, 28, 0.7 + 0.08 * n) };
      const { graph } = lstmGraph(spec);
      graph.name = 'lstm_sparse';
      const small = prepareGraph(graph, 'lstm', isa, 'size');
      const layer = small.layers[0]!;
      const p = layer.params as LstmParams;
      expect(layer.variant.storage).to.equal('sparse');
      expect(layer.macs).to.equal(2 * 3 * 4 * 20 * 48);
      expect(executedMacs(layer))
        .to.equal(2 * 3 * p.sparse!.values.length)
        .and.to.be.below(layer.macs);
      // the encoding and the recurrent start values of the hidden zero point (4 gates x 20 units, int32)
      expect(storageLabel(layer, small)).to.equal(`sparse ${(p.sparse!.bytes + 320).toLocaleString('en-US')} B`);
      expect(formatStorage(small)).to.include('UNIDIRECTIONAL_SEQUENCE_LSTM: sparse');
      // never both bigger and slower than dense; under speed, never bigger
      const fast = prepareGraph(graph, 'lstm', isa, 'speed').layers[0]!;
      const denseCost = lstm.denseCost!(p, isa)!;
      const sparseCost = layer.variant.cost!(p, isa);
      expect(sparseCost.flashBytes).to.be.below(denseCost.flashBytes);
      expect(fast.variant.storage ?? 'dense').to.equal(sparseCost.instructions < denseCost.instructions ? 'sparse' : 'dense');
      if (!fast.variant.storage) {
        expect(executedMacs(fast)).to.equal(fast.macs);
        // the Armv6-M and RV32 variants store the gates as row-pair lanes, 2 bytes a weight
        const perWeight = isa?.armv6m || isa?.rv32 ? 2 : 1;
        expect(storageLabel(fast, prepareGraph(graph, 'lstm', isa, 'speed'))).to.equal(`dense ${(perWeight * 4 * 20 * 48).toLocaleString('en-US')} B`);
      }
    }
  });

  it('the mnist_lstm-shaped layer (28 steps, 28 inputs, 20 units) gets the measured picks: --prefer speed keeps the Arm kernels dense and takes sparse on the ESP32-C3 from 90% zeros; --prefer size takes sparse', () => {
    const expected: [string, KernelIsa, number, string][] = [
      ['cortex-m4', DSP, 0.7, 'arm-dsp'],
      ['cortex-m4', DSP, 0.95, 'arm-dsp'],
      ['rp2040', ARMV6M, 0.95, 'armv6m row-pair lanes'],
      ['esp32c3', RV32, 0.7, 'rv32 row-pair lanes'],
      ['esp32c3', RV32, 0.9, 'sparse'],
      ['esp32c3', RV32, 0.95, 'sparse'],
    ];
    for (const [target, isa, zeros, speedPick] of expected) {
      const rand = rng(7);
      const { graph } = lstmGraph({
        batches: 1,
        steps: 28,
        inputSize: 28,
        units: 20,
        inZp: -3,
        hZp: 2,
        cellPower: -11,
        weights: prunedGates(rand, 20, 28, zeros),
      });
      expect(prepareGraph(graph, 'lstm', isa, 'speed').layers[0]!.variant.name, `${target} ${zeros} speed`).to.equal(speedPick);
      expect(prepareGraph(graph, 'lstm', isa, 'size').layers[0]!.variant.name, `${target} ${zeros} size`).to.equal('sparse');
    }
  });

  describe('on the emulated boards', function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-sparse-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const boards = [
      { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
      { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'] },
      { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
    ];
    for (const [n, { target, board, tools }] of boards.entries()) {
      it(`${target} (${board}): a pruned LSTM (2 batches, 6 steps, 28 inputs, 20 units, 85% zeros, zero points, clipping) is bit-exact with the reference`, async function () {
        requireTools(this, tools);
        const rand = rng(808 + n);
        const { graph } = lstmGraph({
          batches: 2,
          steps: 6,
          inputSize: 28,
          units: 20,
          inZp: randomInt(rand, -60, 60),
          hZp: randomInt(rand, -60, 60),
          cellPower: -11,
          cellClip: 2,
          weights: prunedGates(rand, 20, 28, 0.85),
          seed: 808 + n,
        });
        graph.name = `lstm_sparse_${n}`;
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { ...suiteChoices(), isa: loadTarget(target).isa });
        expect(compiled.prepared.layers.map((l) => l.variant.name)).to.deep.equal(['sparse']);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 6 + n });
      });
    }
  });
});
