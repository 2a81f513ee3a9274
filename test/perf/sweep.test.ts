// SPDX-License-Identifier: Apache-2.0
/**
 * The perf sweep's grid and model generation (bench/sweep_grid.ts), without the emulated runs: every
 * layer stays within the caps, the models are valid (they write to .tflite, read back, compile for
 * each swept ISA and pick the op asked for), and the summary flags what it should.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { loadTarget } from '../../src/lab/toolchain/index.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { FULL_CAPS, OP_KIND, QUICK_CAPS, SWEEP_OPS, fits, layerGraph, sizeOf, sweepGrid } from '../../bench/sweep_grid.ts';
import { type SweepRow, layerTable, summarize, summaryTable } from '../../bench/sweep.ts';

const ISAS = ['cortex-m4', 'rp2040', 'esp32c3'].map((t) => loadTarget(t).isa);

describe('perf sweep grid', () => {
  it('the full grid covers every op within the caps, and prunes what is over them', () => {
    const { layers, pruned } = sweepGrid();
    for (const op of SWEEP_OPS)
      expect(
        layers.some((l) => l.op === op),
        op,
      ).to.equal(true);
    for (const l of layers) expect(fits(sizeOf(l), FULL_CAPS), `${l.op} ${l.shape}`).to.equal(true);
    // 3x3 512->512 (2.4 MB of filters) and a 4096x4096 FC cannot be on every board
    expect(pruned.some((p) => p.startsWith('conv k3s1 512->512'))).to.equal(true);
    expect(pruned.some((p) => p.startsWith('fc 4096->4096'))).to.equal(true);
    expect(new Set(layers.map((l) => `${l.op} ${l.shape}`)).size).to.equal(layers.length);
    // the sweep's time budget: total work bounded (~20-40 min on one core for three boards)
    expect(layers.length).to.be.within(60, 160);
    expect(layers.reduce((n, l) => n + sizeOf(l).macs, 0)).to.be.below(400e6);
  });

  it('the grid spans channels 1 to 512, images 1 to 112, kernels 1 to 7 and FC 8 to 4096', () => {
    const { layers } = sweepGrid();
    const conv = layers.filter((l) => l.op === 'conv');
    expect(Math.min(...conv.map((l) => l.inC))).to.equal(1);
    expect(Math.max(...conv.map((l) => l.outC))).to.equal(512);
    expect(new Set(conv.map((l) => l.k))).to.deep.equal(new Set([1, 3, 5, 7]));
    // 224x224 images exceed the activation cap (input and output cross the emulated UART)
    expect(Math.max(...layers.map((l) => l.image))).to.equal(112);
    expect(Math.min(...conv.map((l) => l.image))).to.equal(1);
    const fc = layers.filter((l) => l.op === 'fc');
    expect(Math.min(...fc.map((l) => l.inC))).to.equal(8);
    expect(Math.max(...fc.map((l) => l.inC))).to.equal(4096);
    expect(layers.some((l) => l.op === 'dw' && l.mult > 1)).to.equal(true);
  });

  it('the quick grid is small and honours --ops', () => {
    const { layers } = sweepGrid({ quick: true });
    for (const l of layers) expect(fits(sizeOf(l), QUICK_CAPS)).to.equal(true);
    expect(layers.length).to.be.within(8, 24);
    expect(sweepGrid({ quick: true, ops: ['fc'] }).layers.every((l) => l.op === 'fc')).to.equal(true);
  });

  it('quick-grid models round-trip through .tflite, compile for every swept ISA and run in the reference', () => {
    for (const l of sweepGrid({ quick: true }).layers) {
      const { graph, input } = layerGraph(l);
      expect(graph.ops.map((o) => o.kind)).to.deep.equal([OP_KIND[l.op]]);
      const back = parseTflite(writeTflite(graph), `${l.op}.tflite`);
      const s = sizeOf(l);
      expect(input.length, l.shape).to.equal(graph.inputs.reduce((n, i) => n + graph.tensors[i]!.shape.reduce((a, d) => a * d, 1), 0));
      for (const isa of ISAS) {
        const compiled = compileGraph(back, l.shape, { isa });
        const layer = compiled.prepared.layers[0]!;
        expect(layer.macs, `${l.op} ${l.shape}`).to.equal(s.macs);
        expect(compiled.plan.arenaBytes, `${l.op} ${l.shape}`).to.be.at.least(s.activationBytes / 2);
      }
      // deterministic: the same layer draws the same model
      expect(writeTflite(layerGraph(l).graph)).to.deep.equal(writeTflite(graph));
      let at = 0;
      const inputs = graph.inputs.map((i) => input.slice(at, (at += graph.tensors[i]!.shape.reduce((a, d) => a * d, 1))));
      expect(interpret(compileGraph(graph).prepared, inputs).outputs.length).to.equal(1);
    }
  });

  it('every full-grid model prepares for the M4 with the MACs the grid planned', function () {
    for (const l of sweepGrid().layers) {
      const compiled = compileGraph(layerGraph(l).graph, l.shape, { isa: ISAS[0] });
      expect(compiled.prepared.layers[0]!.macs, `${l.op} ${l.shape}`).to.equal(sizeOf(l).macs);
    }
  });

  it('the summary flags shapes over 1.5x the best of their op and target', () => {
    const row = (shape: string, perMac: number, target = 'cortex-m4'): SweepRow => ({
      op: 'conv',
      shape,
      target,
      counter: 'instructions',
      macs: 100,
      variant: 'x',
      count: perMac * 100,
      perMac,
      bitExact: true,
      arena: 0,
      seconds: 0,
    });
    const [m4, rp] = summarize([row('a', 1), row('b', 1.4), row('c', 1.6), row('d', 10, 'rp2040')]);
    expect(m4!.best.shape).to.equal('a');
    expect(m4!.worst.shape).to.equal('c');
    expect(m4!.median.shape).to.equal('b');
    expect(m4!.flagged.map((r) => r.shape)).to.deep.equal(['c']);
    expect(rp!.flagged).to.deep.equal([]);
    expect(m4!.cmsis).to.equal(null);
  });

  it('the summary gives best, median and worst ours/CMSIS-NN per op and target, every layer over 0.5x, and theirs per MAC', () => {
    const row = (shape: string, ratio: number | undefined, target = 'rp2040'): SweepRow => ({
      op: 'fc',
      shape,
      target,
      counter: 'cycles',
      macs: 100,
      variant: 'x',
      count: 100,
      perMac: 1,
      bitExact: true,
      arena: 0,
      seconds: 0,
      ...(ratio === undefined ? {} : { cmsis: { count: 100 / ratio, arena: 0, ratio, sameOutputs: true } }),
    });
    const rows = [row('a', 0.3), row('b', 0.55), row('c', 0.4), row('d', 0.7), row('e', undefined), row('f', 0.2, 'cortex-m4')];
    rows.push({ ...row('g', undefined), cmsis: { error: 'refused' } });
    const [m4, rp] = summarize(rows);
    expect(rp!.target).to.equal('rp2040');
    expect(rp!.cmsis!.n).to.equal(4);
    expect([rp!.cmsis!.best.shape, rp!.cmsis!.median.shape, rp!.cmsis!.worst.shape]).to.deep.equal(['a', 'c', 'd']);
    expect(rp!.cmsis!.over.map((r) => r.shape)).to.deep.equal(['b', 'd']);
    expect(m4!.cmsis!.over).to.deep.equal([]);
    const table = summaryTable([m4!, rp!]);
    expect(table).to.include('| d 0.70x; b 0.55x |').and.include('0.40x (c)');
    const layers = layerTable(rows);
    expect(layers).to.include('rp2040 ours/CMSIS-NN (cycles, arena)').and.include('0.70x (over)').and.include('refused');
    // theirs per MAC beside the ratio: 100 cycles of ours at 0.3x is 333.33 of theirs over 100 MACs
    expect(layers).to.include('rp2040 CMSIS-NN cycles/MAC').and.include('| 0.30x, 0.00x | 3.33 |');
  });
});
