// SPDX-License-Identifier: Apache-2.0
/**
 * Input fuzzing in CI (docs/fuzzing.md): a fixed seed and count of mutated models through inspect and
 * compile in a worker with time and memory limits, accepted ones built for the host under ASan+UBSan (in batches)
 * and compared with the TS reference and TFLite Micro. The long campaign is `npm run fuzz:inputs`.
 */
import { expect } from 'chai';
import { formatInputFuzz, runInputFuzz } from './inputs/campaign.ts';
import { sharedModelsAvailable } from '../helpers/shared.ts';
import { tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { requireTools } from '../build/helpers.ts';

describe('fuzz: mutated models through inspect, compile and a sanitized host run', function () {
  before(function () {
    sharedModelsAvailable(this);
    tflmRefAvailable(this);
    requireTools(this, ['gcc']);
  });

  it('seed 16, 200 mutants (60 host runs): no crash, hang, memory blow-up, multi-line error or accepted-but-wrong model', async function () {
    // about 30 CPU-seconds (user + sys); a loaded 2-core machine stretches the wall time several-fold
    const result = await runInputFuzz({ seed: 16, count: 200, hostRuns: 60, timeLimitMs: 20_000 });
    const report = formatInputFuzz(result);
    expect(
      result.findings,
      `${report}\n${result.findings.map((f) => `case ${f.case} ${f.mutation} (${f.detail}): ${f.outcome}: ${f.message}`).join('\n')}`,
    ).to.deep.equal([]);
    // the mutants reach every stage: some rejected, some accepted and built, some compared with TFLite Micro
    const total = (o: string) => Object.values(result.table).reduce((n, row) => n + ((row as Record<string, number>)[o] ?? 0), 0);
    expect(total('rejected')).to.be.greaterThan(20);
    expect(total('accepted')).to.be.greaterThan(20);
    expect(result.hostRuns).to.equal(60);
    // every checked mutant was built and run, or had the very C and inputs of one that was; in
    // batches of 25, none of which failed (a batch that fails sends its mutants to the classic check alone)
    expect(result.hostBuilds).to.be.within(1, 60);
    expect(result.batches).to.be.at.least(2);
    expect(result.alone, 'mutants checked alone: a batch failed without a finding').to.equal(0);
    expect(result.tflmCompared).to.be.greaterThan(10);
  });
});
