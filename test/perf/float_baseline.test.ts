// SPDX-License-Identifier: Apache-2.0
/**
 * The recorded TFLite Micro float32 reference-kernel figures the float column holds its rows to
 * (bench/baselines/tflm-float-ref.json): one entry per model of bench/float_models.ts, built from the
 * same parameters and seed, with instructions and arena on the Cortex-M4F and M7; the rows print.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { FLOAT_BASELINE, floatBaseline, floatRow } from '../../bench/float.ts';
import { FLOAT_MODELS, buildFloatModel } from '../../bench/float_models.ts';

describe('the float column (bench/float.ts)', () => {
  it('has TFLite Micro figures for every float model, measured from the same parameters', () => {
    const recorded = floatBaseline();
    expect(Object.keys(recorded).sort()).to.deep.equal(FLOAT_MODELS.map((m) => m.name).sort());
    for (const m of FLOAT_MODELS) {
      for (const core of ['cortex-m4', 'cortex-m7'] as const) {
        const f = recorded[m.name]![core];
        expect(f, `${m.name} ${core}`).to.not.equal(null);
        expect(f!.invoke_insns, `${m.name} ${core}`).to.be.above(0);
        expect(f!.arena_used, `${m.name} ${core}`).to.be.above(0);
      }
      const graph = buildFloatModel(m);
      expect(graph.ops.map((op) => op.kind)).to.include.oneOf(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
    }
    const doc = JSON.parse(readFileSync(FLOAT_BASELINE, 'utf8')) as { conditions: Record<string, unknown> };
    expect(doc.conditions.tflite_micro_commit).to.equal('90b983c2b3f1480642e040bbd2ddb37b998f3424');
  });

  it('prints a row with both ratios and the verdict', () => {
    const row = floatRow({
      model: 'fc_256_64',
      board: 'nucleo-l4r5zi',
      core: 'cortex-m4',
      instructions: 30000,
      tflmInstructions: 60000,
      ratio: 0.5,
      arena: 1280,
      tflmArena: 1648,
      arenaRatio: 1280 / 1648,
      bitExact: true,
      meets: true,
    });
    expect(row).to.match(
      /fc_256_64 +nucleo-l4r5zi +ours +30,000 +TFLM float ref +60,000 +insns +0\.500x +arena +1,280 B \/ +1,648 B = +0\.777x +bit-exact +meets/,
    );
  });
});
