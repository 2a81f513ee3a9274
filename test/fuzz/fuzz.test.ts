// SPDX-License-Identifier: Apache-2.0
/**
 * The differential fuzzer in CI: a fixed seed and a count that fits CI's time, every generator in
 * turn, on the host (TS reference and C under ASan+UBSan) and on the emulated board of each kernel
 * family, every output byte against TFLite Micro. Long campaigns are `npm run fuzz` (figures in the
 * closing notes). And every saved reproducer, as a permanent test that needs no tflm-ref.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { byteSize } from '../../src/core/ir/graph.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { interpret, splitInputs } from '../../src/core/ops/interpreter.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { loadGenerators } from './batch.ts';
import { type CampaignResult, FAMILY_TARGETS, runCampaign } from './campaign.ts';
import { loadReproducers } from './repro.ts';
import { tflmRefAvailable } from '../helpers/tflm_ref.ts';

/**
 * What CI runs: components per target. The campaign that closes an issue runs far more (docs/fuzzing.md).
 * The file is CI's largest, so the counts follow the families: the host and the four kernel families
 * (DSP, MVE on the Cortex-M55, Armv6-M on the RP2040, RV32) get the most; the Cortex-M0 (the RP2040's
 * kernels on another board) and the Cortex-M3 (the portable C the host already runs) the least. The
 * generators take turns, one component per generator and dtype pair (PAIRS of them, checked below):
 * the host, the M4, the M55, the RP2040 and the ESP32-C3 run each at least once; the M0 and M3 the
 * first 50. The M55 and the ESP32-S3 draw the M4's batches (same seed, count and batch size), so they
 * share TFLite Micro's recorded answers. The ESP32-S3 runs on Espressif's QEMU `esp32s3` machine (its
 * SIMD kernels executed) where it is installed; elsewhere, CI included, the outputs that machine gave
 * are replayed from test/fuzz/device-answers/esp32s3.json (./device_answers.ts). A component whose
 * op has no kernel yet (a generator written before its op) is skipped and counted apart; stateful
 * components (signal ops, SVDF, LSTM) run in their own batch of several frames, state carried.
 */
const PAIRS = 151;
const CI_PLAN: { target: string; count: number; batch: number }[] = [
  { target: 'host', count: 150, batch: 50 },
  { target: 'cortex-m4', count: PAIRS, batch: Math.ceil(PAIRS / 2) },
  { target: 'cortex-m55', count: PAIRS, batch: Math.ceil(PAIRS / 2) },
  { target: 'rp2040', count: PAIRS, batch: Math.ceil(PAIRS / 2) },
  { target: 'cortex-m0', count: 50, batch: 50 },
  { target: 'cortex-m3', count: 50, batch: 50 },
  { target: 'esp32c3', count: PAIRS, batch: Math.ceil(PAIRS / 2) },
  { target: 'esp32s3', count: PAIRS, batch: Math.ceil(PAIRS / 2) },
];

function summary(r: CampaignResult): string {
  return r.findings.map((f) => `${f.kind} on ${f.where}: ${f.component.generator} ${f.component.dtype} seed ${f.component.seed}: ${f.detail}`).join('\n');
}

describe('fuzz: generated models, every output byte against TFLite Micro', function () {
  it('every generator draws valid components from many seeds', async () => {
    const generators = await loadGenerators();
    expect(generators.length).to.be.greaterThan(5);
    const ops = new Set(generators.flatMap((g) => g.ops));
    console.log(`    ${generators.length} generators over ${ops.size} ops`);
    // CI's family slices draw one component per pair: a new generator must be counted in PAIRS
    // (the float32 and hybrid pairs are float.test.ts's)
    expect(
      generators.reduce((n, g) => n + g.dtypes.filter((d) => d === 'int8' || d === 'int16').length, 0),
      'generator and dtype pairs (PAIRS)',
    ).to.equal(PAIRS);
  });

  for (const plan of CI_PLAN) {
    it(`seed 7001 on ${plan.target} (${FAMILY_TARGETS[plan.target]}): ${plan.count} models, no difference, no sanitizer report, no warning`, async function () {
      if (!tflmRefAvailable(this)) return;
      const result = await runCampaign({ seed: 7001, count: plan.count, batchSize: plan.batch, targets: [plan.target], dtypes: ['int8', 'int16'] });
      console.log(
        `    ${result.models} models, ${Object.keys(result.byOp).length} ops, ${(result.elapsedMs / 1000).toFixed(0)} s${result.skipped ? `; ${result.skipped} skipped (${result.notes.join('; ')})` : ''}`,
      );
      expect(result.findings, summary(result)).to.deep.equal([]);
      expect(result.models + result.skipped).to.be.greaterThan(plan.count * 0.9);
    });
  }

  it('seed 7003 on host and cortex-m4 under --prefer size (the compressed storages: int4, palette, sparse, Huffman): 100 models, no difference', async function () {
    if (!tflmRefAvailable(this)) return;
    const result = await runCampaign({ seed: 7003, count: 100, batchSize: 50, targets: ['host', 'cortex-m4'], dtypes: ['int8'], prefer: 'size' });
    expect(result.findings, summary(result)).to.deep.equal([]);
    expect(result.models).to.be.greaterThan(100 * 0.9);
  });

  it('build gate: seed 7002, 50 models compiled for every target with its own toolchain and flags (-Werror)', async function () {
    if (!tflmRefAvailable(this)) return;
    const result = await runCampaign({ seed: 7002, count: 50, batchSize: 50, targets: ['host'], dtypes: ['int8', 'int16'], gate: true });
    expect(result.findings, summary(result)).to.deep.equal([]);
  });
});

describe('fuzz reproducers: each mismatch the fuzzer found stays fixed', function () {
  const repros = loadReproducers();

  it('the reproducers are readable', () => {
    console.log(`    ${repros.length} reproducer(s)`);
    for (const r of repros) expect(r.model.length, r.dir).to.be.greaterThan(0);
  });

  for (const r of repros) {
    const name = r.dir.split('/').pop()!;
    it(`${name}: TS reference, host C (ASan+UBSan)${r.info.found.where.startsWith('cortex') || ['rp2040', 'esp32c3'].includes(r.info.found.where) ? ` and ${r.info.found.where}` : ''} give TFLite Micro's outputs`, async () => {
      const graph = parseTflite(r.model, `${name}.tflite`);
      const compiled = compileGraph(graph, `${name}.tflite`);
      // input.bin holds one record per inference, each run from reset state (or, stateful, one after the other)
      const record = compiled.prepared.graph.inputs.reduce((n, i) => n + byteSize(compiled.prepared.graph.tensors[i]!), 0);
      const cases = Array.from({ length: Math.max(1, r.input.length / Math.max(1, record)) }, (_, k) =>
        splitInputs(compiled.prepared, r.input.subarray(k * record, (k + 1) * record), 'input.bin'),
      );
      const carryState = r.info.carryState === true;
      const state = carryState ? new Map<number, TensorBuffer>() : undefined;
      const ours = Buffer.concat(cases.flatMap((inputs) => interpret(compiled.prepared, inputs, state).outputs));
      expect(Buffer.compare(ours, Buffer.from(r.expected)), `${name}: TS reference`).to.equal(0);
      const dir = mkdtempSync(join(tmpdir(), 'tf-repro-'));
      try {
        const path = join(dir, 'model.tflite');
        writeFileSync(path, r.model);
        const targets = ['host', ...(r.info.found.where in FAMILY_TARGETS && r.info.found.where !== 'host' ? [r.info.found.where] : [])];
        for (const target of targets) {
          const report = await runModel(path, { target, cases, sanitize: target === 'host', carryState });
          expect(report.matchesReference, `${name} on ${target}`).to.equal(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
