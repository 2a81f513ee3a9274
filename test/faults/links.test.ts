// SPDX-License-Identifier: Apache-2.0
/**
 * A small fixed slice of the serial-link campaign (`npm run fuzz:links`, docs/fuzzing.md): every
 * command's sessions through the fault-injecting relay on the every-kind plans (each fault kind
 * injected at a known point; the test fails when a kind was never injected), failing on any WRONG
 * outcome (a result that differs from a clean link's, an image reported flashed or started that the
 * device does not hold, an error that is not one clean line, a hang). Also the real CLI through the
 * relay, so that what a user sees of a lying link is checked too: a result, or one `error:` line.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { sharedModelsAvailable } from '../helpers/shared.ts';
import { tinyforgeAsync } from '../cli/async-cli.ts';
import { FakeBootloader, startPtyPair } from '../device/stm32-fake-bootloader.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { type CommandSummary, FirmwareCache, type LinkCommand, everyKindPlans, formatTable, plannedKinds, runCampaign } from './campaign.ts';
import { FAULT_KINDS, type FaultKind, FaultRelay, drawPlan, Prng } from './relay.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

/**
 * Every command's sessions run at once (they mostly wait: timeouts, held-back chunks), on the
 * every-kind plans (campaign.ts: each fault kind at a known point, so a session's cost is known),
 * with the harness firmware built once for the file (run and flash-uf2 share a build, validate and
 * profile the profile build). About half a minute on a loaded 2-core machine, builds included.
 */
const SEED = 7;
/** slots at once per command: UF2's four sessions wait on the board (up to 10 s each) in two */
const JOBS: Record<LinkCommand, number> = { run: 1, validate: 1, profile: 1, 'flash-an3155': 1, 'flash-esp': 1, 'flash-uf2': 2 };
const COMMANDS = ['flash-an3155', 'flash-esp', 'flash-uf2', 'run', 'validate', 'profile'] as const;
/** the commands whose device is the harness firmware (built here; the shared model and arm-none-eabi-gcc) */
const FIRMWARE: readonly LinkCommand[] = ['run', 'validate', 'profile', 'flash-uf2'];
/** the kinds every command's sessions must have injected: a replug only where the host reconnects */
const KINDS = (command: LinkCommand): FaultKind[] => FAULT_KINDS.filter((k) => k !== 'replug' || ['run', 'validate', 'profile'].includes(command));

/**
 * A command's every-kind sessions. A session can end (a clean error: a loaded machine starves an
 * answer past its timeout) before the point of a kind it schedules; the plans of the kinds not yet
 * injected are run again, twice at most. Returns each round's table row and the kinds never injected.
 */
async function everyKind(command: LinkCommand, firmware: FirmwareCache): Promise<{ rounds: CommandSummary[]; missing: FaultKind[] }> {
  const rounds: CommandSummary[] = [];
  let missing = KINDS(command);
  for (let round = 0; round < 3 && missing.length > 0; round++) {
    const want = missing;
    const plans = (c: LinkCommand, scale: number) => everyKindPlans(c, scale).filter((p) => plannedKinds(p).some((k) => want.includes(k)));
    const [summary] = await runCampaign({
      seed: SEED + round,
      sessions: plans(command, 1000).length,
      commands: [command],
      sessionLimitMs: 300_000,
      jobs: JOBS[command],
      plans,
      firmware,
    });
    rounds.push(summary!);
    missing = missing.filter((k) => summary!.faults[k] === 0);
  }
  return { rounds, missing };
}

const CLI_IMAGE = Uint8Array.from({ length: 1200 }, (_, i) => (i * 7 + 1) & 0xff);

interface CliSession {
  status: number | null;
  stdout: string;
  stderr: string;
  /** the fake's flash holds the image */
  held: boolean;
  /** where the fake was started (GO), or null */
  goAddress: number | null;
}

/**
 * `tinyforge flash app.bin --port` through the relay to the fake STM32 boot loader: session 0 with a
 * drawn plan of byte faults, session 1 also unplugged after 900 bytes.
 */
async function cliFlashSession(dir: string, bin: string, session: number): Promise<CliSession> {
  const links: [string, string] = [join(dir, `host${session}`), join(dir, `relay${session}`)];
  const pair = await startPtyPair();
  const fake = await FakeBootloader.open(pair.device, { productId: 0x0413 });
  const deviceSide = await SerialTransport.open(pair.host);
  let listener: ((b: Uint8Array) => void) | null = null;
  deviceSide.onData((b) => listener?.(b));
  const seed = 1000 + session;
  const relay = await FaultRelay.start(
    links,
    { write: (b) => void deviceSide.write(b).catch(() => {}), onData: (l) => (listener = l) },
    { ...drawPlan(new Prng(seed), 4000), corrupt: 0.002, unplugAfterBytes: session === 1 ? 900 : null, replugAfterMs: null },
    seed,
  );
  try {
    const r = await tinyforgeAsync(['flash', bin, '--port', links[0], '--json'], HANG_GUARD_MS);
    const held = Buffer.from(fake.memory.subarray(0, CLI_IMAGE.length)).equals(Buffer.from(CLI_IMAGE));
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, held, goAddress: fake.goAddress };
  } finally {
    await relay.stop();
    await deviceSide.close().catch(() => {});
    await fake.close().catch(() => {});
    pair.kill();
  }
}

function hasTool(tool: string): boolean {
  try {
    findTool(tool, '');
    return true;
  } catch {
    return false;
  }
}

describe('fuzz:links: serial links that lie (a fixed slice of the campaign)', function () {
  let firmware: FirmwareCache;
  let scratch: ReturnType<typeof scratchDir>;
  let cli: Promise<CliSession[]>;
  const campaigns = new Map<LinkCommand, ReturnType<typeof everyKind>>();

  before(function () {
    requireTools(this, ['socat']);
    // the CLI's two sessions (below) at the same time as the campaigns: its start-up is most of their time
    scratch = scratchDir('fuzz-links-cli');
    const bin = join(scratch.dir, 'app.bin');
    writeFileSync(bin, CLI_IMAGE);
    cli = Promise.all([cliFlashSession(scratch.dir, bin, 0), cliFlashSession(scratch.dir, bin, 1)]);
    cli.catch(() => {}); // awaited by its test
    firmware = new FirmwareCache();
    const canBuild = existsSync(firmware.modelPath) && hasTool('arm-none-eabi-gcc');
    for (const command of COMMANDS) {
      if (FIRMWARE.includes(command) && !canBuild) continue; // the test says why (skip, or fails under CI)
      const campaign = everyKind(command, firmware);
      campaign.catch(() => {}); // awaited by the command's test
      campaigns.set(command, campaign);
    }
  });

  after(async () => {
    await Promise.allSettled([...campaigns.values(), cli]);
    await firmware?.close();
    scratch?.cleanup();
  });

  for (const command of COMMANDS) {
    it(`${command}: every fault kind, none WRONG`, async function () {
      if (FIRMWARE.includes(command)) {
        if (!sharedModelsAvailable(this)) return;
        requireTools(this, ['arm-none-eabi-gcc']);
      }
      const { rounds, missing } = await campaigns.get(command)!;
      const table = formatTable(rounds);
      const wrong = rounds.flatMap((s) => s.wrong);
      expect(wrong.map((w) => `${w.command} #${w.index}: ${w.message}\n${w.log ?? ''}`).join('\n'), table).to.equal('');
      expect(rounds[0]!.sessions, table).to.equal(everyKindPlans(command, 1000).length);
      expect(missing, `fault kinds never injected\n${table}`).to.deep.equal([]);
    });
  }

  describe('the CLI through the relay', () => {
    it('flash over a lying AN3155 link: the image verified and started, or one error: line and not started', async () => {
      const sessions = await cli;
      for (const [session, r] of sessions.entries()) {
        if (r.status === 0) {
          expect(JSON.parse(r.stdout).flash.verified).to.equal(true);
          expect(r.held, 'reported flashed: the device holds the image').to.equal(true);
          expect(r.goAddress).to.equal(0x08000000);
        } else {
          const lines = r.stderr.trim().split('\n');
          expect(
            lines.filter((l) => l.startsWith('error: ')),
            r.stderr,
          ).to.have.length(1);
          expect(lines[lines.length - 1]).to.match(/^error: /);
          expect(r.stderr).to.not.match(/internal error|\n\s+at /);
          if (r.goAddress !== null) expect(r.held, 'started: the device holds the image').to.equal(true);
        }
        if (session === 1) expect(r.status, 'unplugged mid-transfer').to.equal(1);
      }
    });
  });
});
