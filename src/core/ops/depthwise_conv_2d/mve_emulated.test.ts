// SPDX-License-Identifier: Apache-2.0
/**
 * The Arm MVE variant of DEPTHWISE_CONV_2D on the emulated Cortex-M55 (QEMU mps3-an547), where its
 * Helium code runs (the host cannot): many layers in one model, bit-exact with the TypeScript
 * reference over every output byte.
 *
 * A sweep of channel counts 1..67 (full groups of 4, a predicated last group, both, or the last
 * group alone) under 3x3 and 5x5 windows, strides 1 and 2, SAME and VALID, dilation 2, per-channel
 * and per-tensor scales, odd input and output zero points, RELU6; then the edges: a kernel row
 * step past ADDW's reach (an asm register operand), a multiplier above 1 (left shifts), saturating
 * accumulators, windows wider than the image, 1x1 and 2x4 kernels, two batches, outputs planned
 * over their dead input. Depth multipliers 2..16 (lanes gathered, or one byte for 4k).
 * (micro_speech and person_detect, whose depthwise layers run it, are checked against TFLite
 * Micro's answers on this board by test/device/boards.test.ts and test/models/real_models.test.ts.)
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard, layersOverTheirInput } from '../../../../test/helpers/emulated_variants.ts';
import { type InputSpec, type Layer, depthwiseModel } from '../../../../test/helpers/depthwise_models.ts';

const TARGET = 'cortex-m55';
const BOARD = 'qemu-mps3-an547';

/** One layer per channel count, its shape and options cycling with the count. */
function sweepModel(): Graph {
  const inputs: InputSpec[] = [];
  const layers: Layer[] = [];
  for (let c = 1; c <= 67; c++) {
    const dilated = c % 7 === 0;
    const wide = c % 2 === 0 && !dilated;
    // small images (the inputs cross the emulated UART): 5x5 windows SAME only
    inputs.push({ name: `i${c}`, shape: [1, 5 + (c % 2), 6 + (c % 3), c], zeroPoint: ((c * 37) % 255) - 128 });
    layers.push({
      from: `i${c}`,
      k: wide ? [5, 5] : [3, 3],
      stride: c % 3 === 0 ? [2, 2] : [1, 1],
      padding: wide || c % 4 < 2 ? 'SAME' : 'VALID',
      dilation: dilated ? [2, 2] : [1, 1],
      activation: c % 5 === 0 ? 'RELU6' : c % 5 === 1 ? 'RELU' : 'NONE',
      perChannel: c % 2 === 0 || c % 9 === 0,
    });
  }
  return depthwiseModel('mve_dw_sweep', inputs, layers, 41);
}

function edgesModel(): Graph {
  return depthwiseModel(
    'mve_dw_edges',
    [
      { name: 'wide', shape: [1, 3, 65, 64], zeroPoint: 3 }, // rows of 4160 bytes: past ADDW's 4095
      { name: 'b', shape: [2, 5, 7, 12], zeroPoint: -77 },
      { name: 'c', shape: [1, 2, 3, 10], zeroPoint: 101 },
      { name: 'd', shape: [1, 9, 9, 20], zeroPoint: -128 },
      { name: 'e', shape: [1, 4, 6, 130], zeroPoint: 9 }, // pixels of 130 bytes: past VLDRB's writeback
    ],
    [
      { from: 'wide', padding: 'SAME', perChannel: true, activation: 'RELU6' },
      { from: 'wide', stride: [2, 2], padding: 'VALID' },
      { from: 'b', padding: 'SAME', gain: true, perChannel: true }, // multipliers above 1: left shifts
      { from: 'b', stride: [2, 2], padding: 'SAME', huge: true, activation: 'RELU', perChannel: true }, // saturating
      { from: 'b', k: [2, 4], stride: [1, 2], padding: 'SAME' },
      { from: 'b', k: [1, 1], activation: 'RELU6', perChannel: true },
      { from: 'c', padding: 'SAME', perChannel: true }, // no window inside the image
      { from: 'c', k: [5, 5], padding: 'SAME', activation: 'RELU' }, // windows wider than the image
      // the image's last reader, then a reader of its dead output: outputs planned over their inputs
      { from: 'd', padding: 'SAME', activation: 'RELU', hidden: true },
      { hidden: true, perChannel: true, padding: 'SAME' },
      { padding: 'SAME', dilation: [2, 2], perChannel: true },
      { from: 'e', padding: 'SAME', perChannel: true },
      { from: 'e', stride: [2, 2], padding: 'SAME', activation: 'RELU6' },
    ],
    42,
  );
}

describe(`DEPTHWISE_CONV_2D MVE variant on the emulated board ${BOARD}`, function () {
  // a firmware build and run each, slow on a loaded machine
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-dw-mve-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [graph, note, inPlace] of [
    [sweepModel(), 'channels 1..67: 3x3 and 5x5, strides 1 and 2, SAME/VALID, dilation 2, RELU/RELU6, odd zero points', false],
    [edgesModel(), 'long row and pixel steps, left shifts, saturation, windows over the whole image, 1x1 and 2x4, batches, in place', true],
  ] as const) {
    it(`${graph.name}: ${note}`, async () => {
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(TARGET).isa });
      const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
      // every layer runs the MVE kernel
      expect(text.match(/\(Arm MVE: /g) ?? []).to.have.length(graph.ops.length);
      if (inPlace) expect(layersOverTheirInput(compiled), 'layers planned over their input').to.not.be.empty;
      await expectExactOnBoard(graph, compiled, { target: TARGET, board: BOARD, dir, seed: 6 });
    });
  }

  it('mve_dw_mult: depth multipliers 2..16 over 1..8 input channels: lanes gathered or broadcast, strides, SAME/VALID, dilated rows, left shifts', async () => {
    const specs: [number, number][] = [
      [1, 8],
      [1, 2],
      [1, 3],
      [2, 2],
      [3, 3],
      [4, 2],
      [5, 4],
      [6, 3],
      [3, 5],
      [8, 2],
      [1, 16],
      [7, 2],
    ];
    const graph = depthwiseModel(
      'mve_dw_mult',
      specs.map(([c], i) => ({ name: `i${i}`, shape: [1, 6 + (i % 3), 7 + (i % 2), c], zeroPoint: ((i * 37) % 255) - 128 })),
      specs.map(([, mult], i) => ({
        from: `i${i}`,
        mult,
        k: i % 3 === 0 ? [5, 5] : [3, 3],
        stride: i % 2 ? [2, 2] : [1, 1],
        padding: i % 4 < 2 ? 'SAME' : 'VALID',
        dilation: i % 5 === 0 ? [2, 1] : [1, 1],
        activation: i % 3 === 1 ? 'RELU6' : 'NONE',
        perChannel: i % 2 === 0,
        gain: i === 7,
      })),
      43,
    );
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(TARGET).isa });
    const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
    expect(text.match(/\(Arm MVE: [^)]*depth multiplier \d+: /g) ?? []).to.have.length(graph.ops.length);
    // multipliers of 4k share one input byte per group (VMLA by scalar), the others gather
    expect(text.match(/input bytes gathered per lane/g) ?? []).to.have.length(9);
    expect(text.match(/into VMLA by scalar/g) ?? []).to.have.length(3);
    await expectExactOnBoard(graph, compiled, { target: TARGET, board: BOARD, dir, seed: 7 });
  });
});
