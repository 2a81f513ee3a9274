// SPDX-License-Identifier: Apache-2.0
/**
 * The recorded TFLite Micro + CMSIS-NN (MVE) figures the bench holds its cortex-m55 rows to
 * (bench/baselines/tflm-cmsis-m55.json): they cover every shared model and say what produced them;
 * where the runner is built, it still gives them.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireRuntime, runtimePath } from '../helpers/runtimes.ts';
import { SHARED_MODEL_NAMES, sharedFile, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

const BASELINE = resolve(import.meta.dirname, '../../bench/baselines/tflm-cmsis-m55.json');

interface Recorded {
  recorded: { command: string; commit: string };
  conditions: Record<string, string>;
  models: Record<string, { cmsis_nn: { invoke_insns: number[]; arena_used: number; outputs_match_golden: boolean } }>;
}

const recorded = JSON.parse(readFileSync(BASELINE, 'utf8')) as Recorded;

describe('the recorded TFLite Micro + CMSIS-NN figures of the Cortex-M55', () => {
  it('cover every shared model, with outputs equal to the goldens, and name their command and commit', () => {
    expect(recorded.recorded.command).to.equal('npx tsx bench/record_cmsis_baseline.ts');
    expect(recorded.recorded.commit).to.match(/^[0-9a-f]{40}$/);
    expect(recorded.conditions.tflite_micro_commit).to.equal('90b983c2b3f1480642e040bbd2ddb37b998f3424');
    expect(Object.keys(recorded.models).sort()).to.deep.equal([...SHARED_MODEL_NAMES].sort());
    for (const [name, m] of Object.entries(recorded.models)) {
      expect(m.cmsis_nn.invoke_insns[0], name).to.be.above(0);
      expect(m.cmsis_nn.arena_used, name).to.be.above(0);
      expect(m.cmsis_nn.outputs_match_golden, name).to.equal(true);
    }
  });

  it('are what tflm-cmsis-m55/run gives now (hello_world_int8)', function () {
    if (!sharedModelsAvailable(this)) return;
    if (!requireRuntime('tflm-cmsis-m55', 'the recorded M55 figures are not re-measured', this)) return;
    const dir = sharedFile('golden', 'hello_world_int8');
    const said = execFileSync(runtimePath('tflm-cmsis-m55'), [sharedModelPath('hello_world_int8'), join(dir, 'in0.bin')], { encoding: 'utf8' });
    const out = JSON.parse(said) as { outputs_hex: string; invoke_instructions: number; arena_used_bytes: number };
    const want = recorded.models.hello_world_int8!.cmsis_nn;
    expect(out.outputs_hex).to.equal(readFileSync(join(dir, 'out0.bin')).toString('hex'));
    expect(out.invoke_instructions).to.equal(want.invoke_insns[0]);
    expect(out.arena_used_bytes).to.equal(want.arena_used);
  });
});
