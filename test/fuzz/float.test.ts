// SPDX-License-Identifier: Apache-2.0
/**
 * The differential fuzzer's float32 and hybrid models in CI (test/fuzz/ops/float.ts): every float
 * generator in each of its forms, float models and int8 -> DEQUANTIZE -> float ops -> QUANTIZE, on the host
 * (TS reference and C under ASan+UBSan) and on the emulated board of every kernel family: the
 * Cortex-M4 and M55 (single-precision FPU, -mfloat-abi=hard), the Cortex-M0 and RP2040 (libgcc's
 * soft-float) and the ESP32-C3 (RV32IMC, soft-float), every output byte against TFLite Micro's
 * float kernels (a float32 output of the libm ops within their ULP bounds). The seeds are fixed,
 * so TFLite Micro's answers are recorded in test/oracle/answers/ and replayed where tflm-ref is
 * absent.
 */
import { expect } from 'chai';
import { loadGenerators } from './batch.ts';
import { type CampaignResult, FAMILY_TARGETS, outputDifference, runCampaign } from './campaign.ts';
import { tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { maskInvalid } from '../helpers/valid_frames.ts';

/** float32 and hybrid generator forms (the libm ops: float32 only): each slice draws every one once. */
const FLOAT_PAIRS = 160;
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
  it('every float generator draws each of its forms, counted in FLOAT_PAIRS', async () => {
    const generators = await loadGenerators();
    const pairs = generators.reduce((n, g) => n + g.dtypes.filter((d) => d === 'float32' || d === 'hybrid').length, 0);
    expect(pairs, 'float32 and hybrid generator pairs (FLOAT_PAIRS)').to.equal(FLOAT_PAIRS);
  });

  it('a libm output is held to its ULP bound, every other output byte for byte', () => {
    const bits = (...u: number[]) => new Uint8Array(Uint32Array.from(u).buffer);
    const one = 0x3f800000; // 1.0f
    // LOGISTIC's bound: 2 ULP; 3 ULP apart is a mismatch that says so
    expect(outputDifference(bits(one, one), bits(one, one + 2), { ulps: 2, floor: 0 })).to.equal(undefined);
    expect(outputDifference(bits(one, one), bits(one, one + 3), { ulps: 2, floor: 0 })).to.match(/^3 ULP apart, past the bound of 2/);
    // no libm layer (bound 0) or an integer output: the first differing byte
    expect(outputDifference(bits(one), bits(one + 1), { ulps: 0, floor: 0 })).to.match(/^byte 0/);
    expect(outputDifference(bits(one), bits(one + 1), null)).to.match(/^byte 0/);
  });

  it('rows past a counted flag (num_detections) are compared as zeros where ours are zeros', () => {
    const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
    const flags = [{ data: 0, flag: 1, frameBytes: 8, counted: true }];
    // TFLite Micro wrote one row of two; its second holds arena bytes
    const theirs = [[f32(1, 2, 7, 9), f32(1)]];
    expect(maskInvalid(theirs, [[f32(1, 2, 0, 0), f32(1)]], flags)[0]![0]).to.deep.equal(f32(1, 2, 0, 0));
    // a written row is never masked, nor a row past the count where ours is not zero
    expect(maskInvalid(theirs, [[f32(0, 0, 0, 0), f32(1)]], flags)[0]![0]).to.deep.equal(f32(1, 2, 0, 0));
    expect(maskInvalid(theirs, [[f32(1, 2, 7, 8), f32(1)]], flags)[0]![0]).to.deep.equal(f32(1, 2, 7, 9));
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
