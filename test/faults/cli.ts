// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run fuzz:links -- --seed S --sessions N [--jobs J] [--command run|validate|profile|flash-an3155|flash-uf2|flash-esp]`:
 * the serial-link campaign (test/faults/campaign.ts). Prints a line per WRONG session with its fault
 * log, then the table; exits 1 when any session was WRONG. `--jobs J` runs J sessions of a command
 * at once, each with its own pty pairs, temp folder and device; `--minutes M` starts no session after
 * M minutes (the table counts the sessions that ran).
 */
import { LINK_COMMANDS, type LinkCommand, formatTable, runCampaign } from './campaign.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seed = Number(arg('seed') ?? 1);
const sessions = Number(arg('sessions') ?? 20);
const jobs = Number(arg('jobs') ?? 1);
// --minutes M: no session is started after M minutes (the table then counts the sessions run)
const minutes = arg('minutes') === undefined ? undefined : Number(arg('minutes'));
// a session with no outcome after this many seconds is a hang (WRONG); on a loaded machine at nice 19
// a session can be starved of the CPU for minutes, so the default is generous
const sessionLimit = Number(arg('session-limit') ?? 600);
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--command' ? [a] : []));
for (const c of only) {
  if (!(LINK_COMMANDS as readonly string[]).includes(c)) {
    process.stderr.write(`error: --command must be one of ${LINK_COMMANDS.join(', ')}, got '${c}'\n`);
    process.exit(2);
  }
}
if (!Number.isInteger(seed) || !Number.isInteger(sessions) || sessions < 1) {
  process.stderr.write('error: --seed and --sessions take integers (sessions >= 1)\n');
  process.exit(2);
}
if (!(sessionLimit >= 10)) {
  process.stderr.write(`error: --session-limit takes seconds (at least 10), got '${arg('session-limit')}'\n`);
  process.exit(2);
}
if (minutes !== undefined && !(minutes > 0)) {
  process.stderr.write(`error: --minutes takes a positive number, got '${arg('minutes')}'\n`);
  process.exit(2);
}
if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
  process.stderr.write(`error: --jobs takes an integer from 1 to 64, got '${arg('jobs')}'\n`);
  process.exit(2);
}
const commands = (only.length ? only : LINK_COMMANDS) as LinkCommand[];
const verbose = process.argv.includes('--verbose');
const onlyArg = arg('only');
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
  only: onlyArg === undefined ? undefined : onlyArg.split(',').map(Number),
  trace: process.argv.includes('--trace') ? (m) => process.stderr.write(`  [${Date.now() - t0} ms] ${m}\n`) : undefined,
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
