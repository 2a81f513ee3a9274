// SPDX-License-Identifier: Apache-2.0
/**
 * The differential fuzzer's float32 and hybrid models in CI (test/fuzz/ops/float.ts): every float
 * generator in both forms, float models and int8 -> DEQUANTIZE -> float ops -> QUANTIZE, on the host
 * (TS reference and C under ASan+UBSan) and on the emulated board of every kernel family: the
 * Cortex-M4 and M55 (single-precision FPU, -mfloat-abi=hard), the Cortex-M0 and RP2040 (libgcc's
 * soft-float) and the ESP32-C3 (RV32IMC, soft-float), every output byte against TFLite Micro's
 * float kernels. The seeds are fixed, so TFLite Micro's answers are recorded in
 * test/oracle/answers/ and replayed where tflm-ref is absent.
 */
import { expect } from 'chai';
import { loadGenerators } from './batch.ts';
import { type CampaignResult, FAMILY_TARGETS, runCampaign } from './campaign.ts';
import { tflmRefAvailable } from '../helpers/tflm_ref.ts';

/** float32 and hybrid generator pairs: each slice draws every pair once. */
const FLOAT_PAIRS = 106;
const PLAN: { target: string; count: number; batch: number }[] = [
  { target: 'host', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
  { target: 'cortex-m4', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
  { target: 'cortex-m0', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
  { target: 'cortex-m55', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
  { target: 'rp2040', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
  { target: 'esp32c3', count: FLOAT_PAIRS, batch: Math.ceil(FLOAT_PAIRS / 2) },
];

function summary(r: CampaignResult): string {
  return r.findings.map((f) => `${f.kind} on ${f.where}: ${f.component.generator} ${f.component.dtype} seed ${f.component.seed}: ${f.detail}`).join('\n');
}

describe('fuzz: float32 and hybrid models, every output byte against TFLite Micro', function () {
  it('every float generator draws both forms, counted in FLOAT_PAIRS', async () => {
    const generators = await loadGenerators();
    const pairs = generators.reduce((n, g) => n + g.dtypes.filter((d) => d === 'float32' || d === 'hybrid').length, 0);
    expect(pairs, 'float32 and hybrid generator pairs (FLOAT_PAIRS)').to.equal(FLOAT_PAIRS);
  });

  for (const plan of PLAN) {
    it(`seed 7004 on ${plan.target} (${FAMILY_TARGETS[plan.target]}): ${plan.count} float and hybrid models, no difference, no sanitizer report`, async function () {
      if (!tflmRefAvailable(this)) return;
      const result = await runCampaign({ seed: 7004, count: plan.count, batchSize: plan.batch, targets: [plan.target], dtypes: ['float32', 'hybrid'] });
      console.log(`    ${result.models} models, ${Object.keys(result.byOp).length} ops, ${(result.elapsedMs / 1000).toFixed(0)} s`);
      expect(result.findings, summary(result)).to.deep.equal([]);
      expect(result.models).to.be.greaterThan(plan.count * 0.9);
    });
  }
});
