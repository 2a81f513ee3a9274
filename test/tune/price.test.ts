// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune` prices a candidate's layers with the kernels' one cost model, the price the
 * compiler's own choices read (core/ops/layer_cost.ts), not with a copy of its own: on the Arm DSP,
 * Armv6-M, RV32 and Xtensa boards, for dense int8, 4-bit, palettized and 80 % sparse MNIST models
 * under both storage choices (so dense kernels and storage variants alike), the cheap estimate's
 * instructions are the sum of `layerInstructions` over the compiled layers, and its ms those
 * instructions and the weights' flash cycles over the clock.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Graph } from '../../src/core/ir/graph.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { layerInstructions } from '../../src/core/ops/layer_cost.ts';
import { layerWeightBytes } from '../../src/core/ops/prepare.ts';
import type { Prefer } from '../../src/core/ops/op.ts';
import { compileForTarget } from '../../src/lab/run/device-build.ts';
import { flashCyclesOfWeights } from '../../src/lab/toolchain/fit.ts';
import { cheapFigures } from '../../src/compress/tune.ts';
import { palettize } from '../../src/compress/palettize.ts';
import { compressLayers, int8WeightedLayers } from '../../src/compress/weight_bits.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';

const MODEL = join(PROJECT_ROOT, 'examples/mnist/mnist_cnn_int8.tflite');

describe("tune: a candidate's layers priced by the kernels' one cost model", function () {
  const dense = readTflite(MODEL);
  const models: [string, Graph][] = [
    ['int8', dense],
    ['w4', compressLayers(dense, new Map(int8WeightedLayers(dense).map((l) => [l.op.index, { bits: 4, sparsity: 0 }])))],
    ['pal3', palettize(dense, { bits: 3 }).graph],
    ['sparse', compressLayers(dense, new Map(int8WeightedLayers(dense).map((l) => [l.op.index, { bits: 8, sparsity: 0.8 }])))],
  ];

  for (const boardName of ['nucleo-l4r5zi', 'pico', 'esp32-c3-devkitm-1', 'esp32-s3-devkitc-1'])
    it(`${boardName}: the cheap ms is layer_cost's instructions and the weights' flash cycles over the clock`, () => {
      const { target, board } = findBoard(boardName);
      let priced = 0;
      for (const [name, graph] of models)
        for (const prefer of ['speed', 'size'] as Prefer[]) {
          const compiled = compileForTarget(graph, `${graph.name}.tflite`, target, board, { prefer });
          const isa = compiled.prepared.isa;
          const layers = compiled.prepared.layers.filter((l) => !l.isAlias);
          const instructions = layers.reduce((n, l) => n + layerInstructions(l, isa, prefer), 0);
          const weights = layers.reduce((n, l) => n + layerWeightBytes(l, compiled.prepared), 0);
          const expected = ((instructions + flashCyclesOfWeights(target, board, weights)) / board.clockHz) * 1000;
          const { msEstimate } = cheapFigures(graph, target, board, prefer, board.clockHz);
          // graphInstructions rounds the sum to whole instructions
          expect(msEstimate, `${name} under ${prefer}`).to.be.closeTo(expected, (1 / board.clockHz) * 1000);
          priced += layers.length;
        }
      expect(priced).to.be.greaterThan(0);
    });
});
