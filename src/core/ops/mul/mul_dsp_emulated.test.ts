// SPDX-License-Identifier: Apache-2.0
/**
 * MUL's Arm DSP variant (dsp.ts) on the emulated Cortex-M4 (QEMU mps2-an386), where SXTAB16,
 * SMLABB/SMLATT/SMLATB, SMMLAR and SSAT run as inline assembly: MUL layers of random quantizations
 * (zero points at the int8 ends, scales over decades, left shifts, every activation) on all 65536
 * input pairs, both inputs streamed four per word ([65536] x [65536], the pairs enumerated) and one
 * input a scalar along the inner loop ([1,256,1] x [1,1,256]), byte for byte with the TypeScript
 * reference (itself checked against tflm-ref).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FusedActivation, Graph } from '../../ir/graph.ts';
import { fromBytes } from '../../ir/buffers.ts';
import { interpret } from '../interpreter.ts';
import { compileGraph } from '../../compile.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder, type Q } from '../../../../test/helpers/graph_builder.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { extremeQ } from '../../../../test/helpers/random_cases.ts';
import mul from './index.ts';
import { selectVariant } from '../variant.ts';

const ACTIVATIONS: FusedActivation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const bytes = (values: ArrayLike<number>) => new Uint8Array(Int8Array.from(values).buffer);

/** `layers` MUL layers of random accepted quantizations: even ones flat, odd ones broadcast. */
function randomModel(seed: number, layers: number): { graph: Graph; inputs: Uint8Array[] } {
  const rand = rng(seed);
  const b = new GraphBuilder('mul_dsp_random');
  const outputs: number[] = [];
  const inputs: Uint8Array[] = [];
  for (let k = 0; outputs.length < layers; k++) {
    const flat = outputs.length % 2 === 0;
    const qa: Q = extremeQ(rand, -8, 1);
    const qb: Q = extremeQ(rand, -8, 1);
    const qo: Q = k % 3 === 0 ? { scale: qa.scale * qb.scale * Math.exp(-2 + rand() * 8), zeroPoint: extremeQ(rand).zeroPoint } : extremeQ(rand, -8, 1);
    const [sa, sb, so] = flat
      ? [[65536], [65536], [65536]]
      : [
          [1, 256, 1],
          [1, 1, 256],
          [1, 256, 256],
        ];
    const activation = ACTIVATIONS[k % 4];
    const probe = new GraphBuilder('probe');
    const [po] = probe.op('MUL', [probe.input({ shape: sa, q: qa }), probe.input({ shape: sb, q: qb })], [{ shape: so, q: qo }], { activation });
    probe.output(po!);
    const pg = probe.build();
    try {
      mul.check(pg, pg.ops[0]!);
    } catch {
      continue;
    }
    const x = b.input({ shape: sa, q: qa });
    const y = b.input({ shape: sb, q: qb });
    outputs.push(...b.op('MUL', [x, y], [{ shape: so, q: qo }], { activation }));
    if (flat) {
      inputs.push(bytes(Array.from({ length: 65536 }, (_, i) => (i >> 8) - 128)), bytes(Array.from({ length: 65536 }, (_, i) => (i & 255) - 128)));
    } else {
      const all = bytes(Array.from({ length: 256 }, (_, i) => i - 128));
      inputs.push(all, all);
    }
  }
  b.output(...outputs);
  return { graph: b.build(), inputs };
}

describe('MUL Arm DSP variant on the emulated Cortex-M4', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-mul-dsp-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('QEMU mps2-an386: random quantizations on all 65536 input pairs, streamed and broadcast', async function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const { graph, inputs } = randomModel(2024, 4);
    const cases = [inputs];
    const compiled = compileGraph(graph);
    const dspLayers = graph.ops.filter((op) => selectVariant(mul, mul.prepare(graph, op), { dsp: true }).name === 'dsp').length;
    expect(dspLayers, 'layers on the DSP variant').to.be.greaterThan(2);
    const reference = cases.map((cs) => interpret(compiled.prepared, cs).outputs);
    const path = join(dir, 'mul_dsp.tflite');
    saveTflite(path, graph);
    const report = await runModel(path, { target: 'cortex-m4', cases });
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true]);
    report.cases[0]!.outputs.forEach((values, o) => {
      const t = graph.tensors[graph.outputs[o]!]!;
      expect(values, `output ${o}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[0]![o]!) as ArrayLike<number>));
    });
  });
});
