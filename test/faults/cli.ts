// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run fuzz:links -- --seed S --sessions N [--jobs J] [--command run|validate|profile|flash-an3155|flash-uf2|flash-esp]`:
 * the serial-link campaign (test/faults/campaign.ts). Prints a line per WRONG session with its fault
 * log, then the table; exits 1 when any session was WRONG. `--jobs J` runs J sessions of a command
 * at once, each with its own pty pairs, temp folder and device; `--minutes M` starts no session after
 * M minutes (the table counts the sessions that ran).
 */
import { Command, Option } from 'commander';
import { LINK_COMMANDS, type LinkCommand, formatTable, runCampaign } from './campaign.ts';
import { integerArg, positiveArg, usageErrorsExitTwo } from '../helpers/cli_args.ts';

const program = new Command('fuzz:links')
  .description('serial links that lie: sessions of each command through a fault-injecting relay (docs/fuzzing.md)')
  .option('--seed <n>', 'campaign seed', integerArg(), 1)
  .option('--sessions <n>', 'sessions per command', integerArg(1), 20)
  .option('--jobs <n>', 'sessions of a command at once, each with its own pty pairs, temp folder and device (1 to 64)', integerArg(1, 64), 1)
  .option('--minutes <m>', 'start no session after this many minutes (the table counts the sessions run)', positiveArg)
  // a session with no outcome after this many seconds is a hang (WRONG); on a loaded machine at nice 19
  // a session can be starved of the CPU for minutes, so the default is generous
  .option('--session-limit <s>', 'seconds after which a session with no outcome is a hang (WRONG), at least 10', integerArg(10), 600)
  .addOption(new Option('--command <name...>', 'only these commands (repeatable)').choices(LINK_COMMANDS))
  .option('--only <indices>', 'comma-separated session indices to replay')
  .option('--trace', 'print faults and retries as they happen')
  .option('--verbose', 'a line per session');
usageErrorsExitTwo(program).parse();
const o = program.opts<{
  seed: number;
  sessions: number;
  jobs: number;
  minutes?: number;
  sessionLimit: number;
  command?: string[];
  only?: string;
  trace?: boolean;
  verbose?: boolean;
}>();

function fail(message: string): never {
  process.stderr.write(`error: fuzz:links: ${message}\n`);
  process.exit(2);
}
const { seed, sessions, jobs, minutes, sessionLimit } = o;
const onlyIndices = o.only === undefined ? undefined : o.only.split(',').map(Number);
if (onlyIndices?.some((i) => !Number.isInteger(i) || i < 0)) fail(`--only takes comma-separated session indices, got '${o.only}'`);
const commands = (o.command?.length ? o.command : LINK_COMMANDS) as LinkCommand[];
const verbose = o.verbose === true;
const t0 = Date.now();
let finished = 0;
const started = Date.now();
// a kill or ^C ends the process through 'exit', where the relays' socat pairs are ended
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));
const summaries = await runCampaign({
  seed,
  sessions,
  commands,
  jobs,
  sessionLimitMs: sessionLimit * 1000,
  stopAt: minutes === undefined ? undefined : Date.now() + minutes * 60_000,
  only: onlyIndices,
  trace: o.trace ? (m) => process.stderr.write(`  [${Date.now() - t0} ms] ${m}\n`) : undefined,
  onCommand: (so) => {
    finished = 0;
    process.stderr.write(`${formatTable(so)}\n`);
  },
  onSession: (r) => {
    finished++;
    if (r.outcome === 'WRONG') process.stderr.write(`WRONG ${r.command} #${r.index} (seed ${r.seed}): ${r.message}\n${r.log ?? ''}\n`);
    else if (verbose) process.stderr.write(`${r.command} #${r.index} ${r.outcome} ${r.ms} ms ${r.message}\n`);
    else if (finished % 25 === 0) process.stderr.write(`${r.command}: ${finished} sessions\n`);
  },
});
process.stdout.write(
  `fuzz:links seed ${seed}, ${sessions} sessions per command${minutes ? ` (at most ${minutes} min)` : ''}, ${jobs} at once, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
process.stdout.write(`${formatTable(summaries)}\n`);
process.exit(summaries.some((s) => s.outcomes.WRONG > 0) ? 1 : 0);
