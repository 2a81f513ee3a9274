// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run fuzz:inputs -- --seed S --count N [--host-runs K] [--host-batch B] [--time-limit MS] [--memory-limit MB]
 * [--jobs J] [--max-minutes M] [--repro DIR] [--json FILE]`: mutated models through inspect and compile, accepted ones built and
 * run on the host under ASan+UBSan and compared with TFLite Micro (docs/fuzzing.md). Prints the table
 * of outcomes per mutation class; exits 1 on any finding.
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { formatInputFuzz, runInputFuzz } from './campaign.ts';
import { installInterruptHandlers } from '../../../src/lifecycle.ts';

const program = new Command('fuzz:inputs')
  .description('input fuzzing: mutated .tflite files through inspect, compile and, when accepted, a sanitized host run')
  .option('--seed <n>', 'campaign seed', '1')
  .option('--count <n>', 'mutants', '1000')
  .option('--host-runs <n>', 'accepted mutants checked on the host at most (default: all)')
  .option('--host-batch <n>', 'accepted mutants built into one sanitized executable and run by one process', '25')
  .option('--jobs <n>', 'cases in flight at once, each with its own worker and build folder', '1')
  .option('--max-minutes <m>', 'start no case after this many minutes (the figures are for the cases run)')
  .option('--time-limit <ms>', 'per case in process', '10000')
  .option('--memory-limit <mb>', 'heap of the worker that runs the cases', '768')
  .option('--repro <dir>', 'write each finding mutant here', 'test/fuzz/repro-inputs')
  .option('--json <file>', 'write the figures as JSON');
program.parse();
// a campaign stopped by a signal removes its build folders and stops its children, as the CLI does
installInterruptHandlers();
const o = program.opts<{
  seed: string;
  count: string;
  hostRuns?: string;
  hostBatch: string;
  jobs: string;
  maxMinutes?: string;
  timeLimit: string;
  memoryLimit: string;
  repro: string;
  json?: string;
}>();

const result = await runInputFuzz({
  seed: Number(o.seed),
  count: Number(o.count),
  hostRuns: o.hostRuns === undefined ? undefined : Number(o.hostRuns),
  hostBatch: Number(o.hostBatch),
  jobs: Number(o.jobs),
  maxMinutes: o.maxMinutes === undefined ? undefined : Number(o.maxMinutes),
  timeLimitMs: Number(o.timeLimit),
  memoryLimitMb: Number(o.memoryLimit),
  reproDir: o.repro,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatInputFuzz(result)}\n`);
if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 1)}\n`);
process.exit(result.findings.length > 0 ? 1 : 0);
