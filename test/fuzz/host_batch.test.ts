// SPDX-License-Identifier: Apache-2.0
/**
 * The input fuzzer's batched host check (test/fuzz/inputs/host_batch.ts): many accepted mutants in
 * one sanitized executable and one run. It may only clear mutants whose outputs equal the TS
 * reference's in a clean run; anything else goes to the classic check alone, whose verdict stands.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { makeTempFolder, removeTempFolder } from '../../src/lab/lifecycle.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { fcAutoencoder } from '../helpers/autoencoder_model.ts';
import { requireTools } from '../build/helpers.ts';
import { HostBatch, type HostBatchFigures, type HostOutcome, blankComments } from './inputs/host_batch.ts';
import { runCase, type HostMaterial } from './inputs/worker.ts';

function material(widths: number[], inputSeed: number): HostMaterial {
  const verdict = runCase({ id: 0, name: 'm.tflite', bytes: writeTflite(fcAutoencoder({ widths })), host: { fileName: 'fc_autoencoder.tflite', inputSeed } });
  if (verdict.status !== 'accepted' || !verdict.host) throw new Error(`not accepted: ${JSON.stringify(verdict)}`);
  return verdict.host;
}

describe('fuzz: batched sanitized host check of accepted mutants', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['gcc', 'objcopy']);
  });
  beforeEach(() => (dir = makeTempFolder('host-batch-test')));
  afterEach(() => removeTempFolder(dir));

  const batch = (alone: HostMaterial[]) => {
    const figures: HostBatchFigures = { unitsCompiled: 0, unitHits: 0, batches: 0, alone: 0 };
    const host = new HostBatch({
      dir: join(dir, 'batch'),
      objects: { dir: join(dir, 'objects'), maxBytes: 64 << 20, entries: new Map() },
      figures,
      runTimeoutMs: 60_000,
      alone: async (m, c): Promise<HostOutcome> => {
        alone.push(m);
        return { outcome: 'accepted-but-wrong', message: 'alone', case: c };
      },
    });
    return { host, figures };
  };

  it('clears models of the same name (same symbols) in one run, each with its own outputs; the same units compile once', async function () {
    const alone: HostMaterial[] = [];
    const { host, figures } = batch(alone);
    const a = material([16, 8, 16], 1);
    const b = material([16, 8, 16], 2); // same C, other inputs
    const c = material([8, 4, 8], 3); // other C, same symbol names
    const verdicts = [host.add(a, 0), host.add(b, 1), host.add(c, 2)];
    await host.flush();
    const outcomes = await Promise.all(verdicts);
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['accepted', 'accepted', 'accepted']);
    expect(outcomes[1]!.outputs).to.deep.equal(b.expected);
    expect(outcomes[2]!.outputs).to.deep.equal(c.expected);
    expect(alone).to.have.length(0);
    expect(figures).to.deep.include({ batches: 1, alone: 0 });
    // a's two units; b's are the same; c's model.c and weights.c differ
    expect(figures.unitsCompiled).to.equal(4);
    expect(figures.unitHits).to.equal(2);
  });

  it('sends a model whose outputs differ from its TS reference to the classic check, and clears the others', async function () {
    const alone: HostMaterial[] = [];
    const { host } = batch(alone);
    const good = material([16, 8, 16], 1);
    const wrong = material([16, 8, 16], 2);
    wrong.expected = wrong.expected.map((e) => e.map((v) => v ^ 1));
    const verdicts = [host.add(good, 0), host.add(wrong, 1)];
    await host.flush();
    const outcomes = await Promise.all(verdicts);
    expect(outcomes.map((o) => o.outcome)).to.deep.equal(['accepted', 'accepted-but-wrong']);
    expect(alone).to.deep.equal([wrong]);
  });

  it('sends every model of a batch whose run has a sanitizer report to the classic check', async function () {
    const alone: HostMaterial[] = [];
    const { host } = batch(alone);
    const good = material([16, 8, 16], 1);
    const bad = material([8, 4, 8], 2);
    // a write past the arena's end in invoke: ASan stops the run
    bad.files = bad.files.map((f) =>
      f.role === 'source'
        ? {
            ...f,
            text: f.text.replace(
              /(tf_status_t tf_\w+_invoke\(void\) \{)/,
              '$1\n  { volatile size_t n = sizeof tf_fc_autoencoder_arena; tf_fc_autoencoder_arena[n] = 1; }',
            ),
          }
        : f,
    );
    expect(bad.files.find((f) => f.role === 'source')!.text).to.include('arena[n] = 1');
    const verdicts = [host.add(good, 0), host.add(bad, 1)];
    await host.flush();
    expect((await Promise.all(verdicts)).map((o) => o.outcome)).to.deep.equal(['accepted-but-wrong', 'accepted-but-wrong']);
    expect(alone).to.deep.equal([good, bad]);
  });

  it('keys units by their text with comments blanked, string literals and line numbers kept', function () {
    expect(blankComments('a /* x\n y */ b "/* s */" // c\n\'"\' d')).to.equal('a     \n      b "/* s */"     \n\'"\' d');
  });
});
