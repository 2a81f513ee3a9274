// SPDX-License-Identifier: Apache-2.0
/**
 * The one price of a layer (src/core/ops/layer_cost.ts): a storage variant by its own price, the
 * dense family's kernels by the op's dense price, any other kernel by its executed MACs at the
 * family's cost per MAC, times the off-group factor. Every reader gets the same figure for the same
 * layer and kernel: the row-band and fast-form policies' yardstick, the memory-budget search's
 * moves, the pipeline's static estimate and `tune`'s cheap figures.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { findBoard, loadTarget } from '../../src/core/targets/targets.ts';
import { graphInstructions, layerInstructions } from '../../src/core/ops/layer_cost.ts';
import { layerCostPerMac, offGroupFactor } from '../../src/core/ops/kernel_cost.ts';
import { type PreparedLayer, executedMacs, factsOf, layerWeightBytes } from '../../src/core/ops/prepare.ts';
import { portableVariant } from '../../src/core/ops/variant.ts';
import { isaFamily } from '../../src/core/ops/op.ts';
import { estimatedInstructions } from '../../src/core/plan/patch_policy.ts';
import { kernelChoices } from '../../src/core/plan/budget.ts';
import { staticInvokeCost } from '../../src/lab/run/pipeline.ts';
import { compileForTarget } from '../../src/lab/run/device-build.ts';
import { CODE_FLASH_BYTES, flashCyclesOfWeights } from '../../src/lab/toolchain/fit.ts';
import { cheapFigures } from '../../src/compress/tune.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { prunedLayer } from '../helpers/pruned_layers.ts';
import { int16Cases } from '../helpers/int16_cases.ts';
import { floatCnn, hybridMlp } from '../helpers/float_models.ts';
import { isInt16Params } from '../../src/core/ops/common/families/int16_variant.ts';
import { isFloatParams } from '../../src/core/ops/common/families/float_variant.ts';

const TARGETS = ['cortex-m4', 'rp2040', 'esp32c3', 'cortex-m55'];

describe('the one cost model (layer_cost.ts)', () => {
  it('prices a storage variant by its own cost, the dense kernel by the op dense price, the portable C by its MACs', () => {
    const m4 = loadTarget('cortex-m4');
    // 75% zeros: the compiler keeps dense under speed; the budget may move it to a sparse storage
    const compiled = compileGraph(prunedLayer({ kind: 'CONV_2D', size: 8, inC: 64, outC: 64, k: 1 }, 0.75, 3), 'p.tflite', { isa: m4.isa });
    const layer = compiled.prepared.layers[0]!;
    expect(layer.variant.name).to.equal('arm-dsp pointwise quads');
    const choices = kernelChoices(layer, factsOf(compiled.prepared));
    const sparse = choices.filter((v) => v.storage === 'sparse');
    expect(sparse.length).to.be.at.least(1);
    for (const v of sparse) expect(layerInstructions({ ...layer, variant: v }, m4.isa)).to.equal(v.cost!(layer.params, m4.isa).instructions);
    expect(layerInstructions(layer, m4.isa)).to.equal(layer.def.denseCost!(layer.params, m4.isa)!.instructions);
    const portable = { ...layer, variant: portableVariant(layer.def) };
    // the portable C of CONV_2D on the M4: 5.9 instructions per MAC (kernel_cost.ts)
    expect(layerInstructions(portable, m4.isa)).to.be.closeTo(executedMacs(portable) * 5.9, 1e-6);
  });

  it("channel counts off the kernels' groups of 4 cost more on the RP2040 and the Arm DSP kernels, not on the portable C", () => {
    for (const [name, depthwise, conv] of [
      ['rp2040', 2.6, 1.2],
      ['cortex-m4', 3.3, 3],
    ] as const) {
      const target = loadTarget(name);
      const at = (channels: number) => compileGraph(kwsDsCnn({ channels, blocks: 1 }), 'kws.tflite', { isa: target.isa, prefer: 'speed' }).prepared;
      const priced = new Set<string>();
      for (const layer of at(6).layers) {
        const factor = offGroupFactor(layer, isaFamily(target.isa));
        if (layer.variant.family !== isaFamily(target.isa)) expect(factor, `${name} ${layer.variant.name}`).to.equal(1);
        else if (layer.op.kind === 'DEPTHWISE_CONV_2D') (expect(factor, name).to.equal(depthwise), priced.add(layer.op.kind));
        else if (layer.op.kind === 'CONV_2D' && (layer.params as { filterInC: number }).filterInC === 6)
          (expect(factor, name).to.equal(conv), priced.add(layer.op.kind));
        const portable = { ...layer, variant: portableVariant(layer.def) };
        expect(offGroupFactor(portable, isaFamily(target.isa))).to.equal(1);
      }
      expect([...priced].sort(), name).to.deep.equal(['CONV_2D', 'DEPTHWISE_CONV_2D']);
      // a depthwise layer of 8 channels is priced at the family's figure
      for (const layer of at(8).layers.filter((l) => l.op.kind === 'DEPTHWISE_CONV_2D')) expect(offGroupFactor(layer, isaFamily(target.isa)), name).to.equal(1);
    }
  });

  for (const name of TARGETS)
    it(`${name}: the row-band policy, the pipeline estimate and the layers' sum agree`, () => {
      const target = loadTarget(name);
      for (const graph of [kwsDsCnn({ channels: 16, blocks: 2 }), kwsDsCnn({ channels: 6, blocks: 1 })]) {
        const prepared = compileGraph(graph, 'kws.tflite', { isa: target.isa }).prepared;
        const total = graphInstructions(prepared);
        expect(total).to.be.greaterThan(0);
        expect(estimatedInstructions(prepared)).to.equal(total);
        expect(staticInvokeCost(prepared, target)).to.equal(total);
        const sum = prepared.layers.reduce((n, l) => n + (l.isAlias ? 0 : layerInstructions(l, target.isa)), 0);
        expect(total).to.equal(Math.round(sum));
      }
    });

  for (const boardName of ['nucleo-l4r5zi', 'pico'])
    it(`${boardName}: tune's cheap estimate is the same figure over the clock`, () => {
      const { target, board } = findBoard(boardName);
      const graph = kwsDsCnn({ channels: 6, blocks: 1 });
      const compiled = compileForTarget(graph, 'kws.tflite', target, board, { prefer: 'speed' });
      const cheap = cheapFigures(graph, target, board, 'speed', board.clockHz);
      const weights = compiled.prepared.layers.filter((l) => !l.isAlias).reduce((n, l) => n + layerWeightBytes(l, compiled.prepared), 0);
      expect(cheap.flash).to.equal(weights + CODE_FLASH_BYTES);
      const instructions = (cheap.msEstimate / 1000) * board.clockHz - flashCyclesOfWeights(target, board, weights);
      const sum = compiled.prepared.layers.reduce((n, l) => n + (l.isAlias ? 0 : layerInstructions(l, compiled.prepared.isa)), 0);
      expect(instructions).to.be.closeTo(sum, sum * 1e-9);
    });

  it("the budget search prices each move by the same function with the move's kernel", () => {
    for (const name of ['cortex-m4', 'rp2040', 'esp32c3']) {
      const target = loadTarget(name);
      const graph = () => kwsDsCnn({ channels: 16, blocks: 2 });
      const fastest = compileGraph(graph(), 'kws.tflite', { isa: target.isa, prefer: 'size' });
      const fitted = compileGraph(graph(), 'kws.tflite', { isa: target.isa, prefer: 'size', budget: { flash: fastest.generated.weightBytes - 1 } });
      const moves = fitted.budget!.moves;
      expect(moves.length, name).to.be.at.least(1);
      for (const m of moves) {
        const layer = fastest.prepared.layers.find((l) => l.position === m.position)!;
        const to = kernelChoices(layer, factsOf(fastest.prepared)).find((v) => v.name === m.to)!;
        const price = (l: PreparedLayer) => layerInstructions(l, target.isa, 'size');
        expect(m.extraInstructions, `${name} layer ${m.position}`).to.equal(Math.round(price({ ...layer, variant: to }) - price(layer)));
      }
    }
  });

  it('a flash budget prices a storage variant by its own cost: a 60%-pruned FC on the M4 goes to the portable C, not to the Huffman kernel 13x slower', () => {
    // before the one model, every kernel of the layer's family was priced at the family's figure:
    // Huffman-coded weights cost "+0" instructions and this budget took them
    const m4 = loadTarget('cortex-m4');
    const graph = () => prunedLayer({ kind: 'FULLY_CONNECTED', size: 1, inC: 64, outC: 64, k: 1 }, 0.6, 3);
    const fastest = compileGraph(graph(), 'fc.tflite', { isa: m4.isa });
    const layer = fastest.prepared.layers[0]!;
    const huffman = kernelChoices(layer, factsOf(fastest.prepared)).find((v) => v.storage === 'huffman')!;
    const dense = layerInstructions(layer, m4.isa);
    expect(layerInstructions({ ...layer, variant: huffman }, m4.isa)).to.be.greaterThan(10 * dense);
    const fitted = compileGraph(graph(), 'fc.tflite', { isa: m4.isa, budget: { flash: fastest.generated.weightBytes - 200 } });
    expect(fitted.budget!.moves.map((m) => `${m.from} -> ${m.to}`)).to.deep.equal([`${layer.variant.name} -> portable`]);
    expect(fitted.budget!.moves[0]!.extraInstructions).to.equal(
      Math.round(layerInstructions({ ...layer, variant: portableVariant(layer.def) }, m4.isa) - dense),
    );
  });

  it('int16 and float32 layers of the ops with a dense int8 price are priced by their MACs on every family', () => {
    const graphs = [...['fc-int16', 'conv2d-int16', 'depthwise-int16'].flatMap((name) => int16Cases(name, 3, 7).map((c) => c.graph)), floatCnn(), hybridMlp()];
    let priced = 0;
    for (const name of [...TARGETS, 'cortex-m0']) {
      const isa = loadTarget(name).isa;
      for (const graph of graphs) {
        const prepared = compileGraph(graph, graph.name, { isa }).prepared;
        const wide = prepared.layers.filter((l) => l.def.denseCost && (isInt16Params(l.params) || isFloatParams(l.params)));
        priced += wide.length;
        for (const layer of wide) {
          // the dispatchers decline the int8 price for these layers: it would describe another kernel
          expect(layer.def.denseCost!(layer.params, isa), `${name} ${graph.name} ${layer.op.kind}`).to.equal(undefined);
          const family = isaFamily(isa);
          expect(layerInstructions(layer, isa)).to.be.closeTo(executedMacs(layer) * layerCostPerMac(layer, family) * offGroupFactor(layer, family), 1e-6);
        }
      }
    }
    // 9 int16 layers, the float CNN's and the hybrid MLP's float FC, on 5 targets
    expect(priced).to.be.at.least(5 * 11);
  });
});
