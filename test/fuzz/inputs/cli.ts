// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run fuzz:inputs -- --seed S --count N [--host-runs K] [--host-batch B] [--time-limit MS] [--memory-limit MB]
 * [--jobs J] [--max-minutes M] [--repro DIR] [--json FILE]`: mutated models through inspect and compile, accepted ones built and
 * run on the host under ASan+UBSan and compared with TFLite Micro (docs/fuzzing.md). Prints the table
 * of outcomes per mutation class; exits 1 on any finding.
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { integerArg, positiveArg, usageErrorsExitTwo } from '../../helpers/cli_args.ts';

const program = new Command('fuzz:inputs')
  .description('input fuzzing: mutated .tflite files through inspect, compile and, when accepted, a sanitized host run')
  .option('--seed <n>', 'campaign seed', integerArg(), 1)
  .option('--count <n>', 'mutants', integerArg(1), 1000)
  .option('--host-runs <n>', 'accepted mutants checked on the host at most (default: all)', integerArg(0))
  .option('--host-batch <n>', 'accepted mutants built into one sanitized executable and run by one process', integerArg(1, 1000), 25)
  .option('--jobs <n>', 'cases in flight at once, each with its own worker and build folder', integerArg(1, 64), 1)
  .option('--max-minutes <m>', 'start no case after this many minutes (the figures are for the cases run)', positiveArg)
  .option('--time-limit <ms>', 'per case in process', integerArg(100), 10000)
  .option('--memory-limit <mb>', 'heap of the worker that runs the cases', integerArg(64), 768)
  .option('--repro <dir>', 'write each finding mutant here', 'test/fuzz/repro-inputs')
  .option('--json <file>', 'write the figures as JSON');
usageErrorsExitTwo(program).parse();
// the campaign (the whole compiler) loads once the options are good: --help and a bad option answer at once
const { formatInputFuzz, runInputFuzz } = await import('./campaign.ts');
const { installInterruptHandlers } = await import('../../../src/lab/lifecycle.ts');
// a campaign stopped by a signal removes its build folders and stops its children, as the CLI does
installInterruptHandlers();
const o = program.opts<{
  seed: number;
  count: number;
  hostRuns?: number;
  hostBatch: number;
  jobs: number;
  maxMinutes?: number;
  timeLimit: number;
  memoryLimit: number;
  repro: string;
  json?: string;
}>();

const result = await runInputFuzz({
  seed: o.seed,
  count: o.count,
  hostRuns: o.hostRuns,
  hostBatch: o.hostBatch,
  jobs: o.jobs,
  maxMinutes: o.maxMinutes,
  timeLimitMs: o.timeLimit,
  memoryLimitMb: o.memoryLimit,
  reproDir: o.repro,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatInputFuzz(result)}\n`);
if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 1)}\n`);
process.exit(result.findings.length > 0 ? 1 : 0);
