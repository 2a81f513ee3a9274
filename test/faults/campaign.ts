// SPDX-License-Identifier: Apache-2.0
/**
 * The serial-link campaign (docs/fuzzing.md, "Serial links that lie"): sessions of `run --port`,
 * `validate --port`, `profile --port` and `flash` (AN3155, UF2, ESP ROM loader) through a relay that
 * corrupts, drops, duplicates, delays and truncates what crosses the link and unplugs the port, each
 * outcome classified against the host's reference:
 *
 * - correct: a result, equal to the one a clean link gives (outputs, counts, layers; an image that
 *   reads back identical from the device's flash);
 * - error: a clean one-line error (a TinyforgeError without a line break, as the CLI prints
 *   `error: ...`) within the time bound, and no image started or reported flashed that is not there;
 * - WRONG: anything else: a result that differs, an image reported flashed (or started) that the
 *   device does not hold, another exception (the CLI would print an internal error), a multi-line
 *   message, a session past the time bound.
 *
 * Sessions run in this process through the same functions the commands call once their firmware is
 * built (runOnDevice, validateOnDevice, profileOnDevice, flashFile, copyUf2AndVerify, flashEspFile):
 * one build serves every session, so a session costs its exchange, not a compile and a gcc run.
 * With `jobs` > 1, that many sessions of a command run at once, each in its own slot (its own pty
 * pairs, temp folder and device); a session's fault plan and relay come from its seed alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { type DeviceBuild, withDeviceBuild } from '../../src/lab/run/device-build.ts';
import { runOnDevice } from '../../src/lab/run/run.ts';
import { profileOnDevice } from '../../src/lab/run/profile.ts';
import { validateOnDevice } from '../../src/lab/run/validate.ts';
import { type Graph, byteSize } from '../../src/core/ir/graph.ts';
import { flashFile } from '../../src/lab/run/flash/stm32.ts';
import { flashEspFile } from '../../src/lab/run/flash/esp.ts';
import { pickBootselDrive } from '../../src/lab/device/rp2040/bootsel.ts';
import { readLoadSegments } from '../../src/lab/toolchain/rp2040/elf.ts';
import { copyUf2AndVerify } from '../../src/lab/device/rp2040/verify.ts';
import { Rp2040Emulation } from '../../src/lab/device/rp2040/emulator.ts';
import { SerialTransport } from '../../src/lab/device/transport/serial.ts';
import { FakeBootloader, startPtyPair } from '../device/stm32-fake-bootloader.ts';
import { FakeEspRom } from '../device/esp-rom-peer.ts';
import { FakePico } from '../device/fake-pico.ts';
import { sharedModelPath } from '../helpers/shared.ts';
import { type DeviceEnd, FAULT_KINDS, type FaultKind, type FaultPlan, FaultRelay, NO_FAULTS, Prng, type ScheduledKind, drawPlan } from './relay.ts';

export const LINK_COMMANDS = ['run', 'validate', 'profile', 'flash-an3155', 'flash-uf2', 'flash-esp'] as const;
export type LinkCommand = (typeof LINK_COMMANDS)[number];

export type Outcome = 'correct' | 'error' | 'WRONG';

export interface SessionResult {
  command: LinkCommand;
  index: number;
  seed: number;
  outcome: Outcome;
  /** the error's message, or what made the outcome WRONG */
  message: string;
  faults: Record<FaultKind, number>;
  ms: number;
  /** the fault log, kept for WRONG outcomes */
  log?: string;
}

export interface CampaignOptions {
  seed: number;
  sessions: number;
  commands: readonly LinkCommand[];
  /** a session that takes longer is a hang (WRONG); default 120 s */
  sessionLimitMs?: number;
  /** sessions of a command run at once, each in its own slot (default 1) */
  jobs?: number;
  /** no session is started after this time (ms since the epoch): the table counts the sessions run */
  stopAt?: number;
  /** only these session indices (to replay one) */
  only?: number[];
  /** progress notes of every session */
  trace?: (message: string) => void;
  /** after each command's sessions, with the summaries so far */
  onCommand?: (summaries: CommandSummary[]) => void;
  /** after each session */
  onSession?: (result: SessionResult) => void;
  /**
   * The sessions' plans, given how many bytes a clean session moves, instead of plans drawn from
   * the seed (`sessions` is then the number of plans): the CI slice's every-kind plans.
   */
  plans?: (command: LinkCommand, scaleBytes: number) => FaultPlan[];
  /** the harness firmware, built once and shared (default: built for this campaign, once per variant) */
  firmware?: FirmwareCache;
}

const MODEL = 'hello_world_int8';
/** how long socat may take to name its ptys (a loaded machine is slow to start it) */
const SOCAT_WAIT_MS = 20_000;

/** the fakes' socat pairs alive: a campaign ended early (^C, a kill, a crash) must not leave them behind */
const fakePairs = new Set<{ kill(): void }>();
process.on('exit', () => {
  for (const pair of fakePairs) pair.kill();
});

async function fakePair(): Promise<Awaited<ReturnType<typeof startPtyPair>>> {
  const pair = await startPtyPair(SOCAT_WAIT_MS);
  fakePairs.add(pair);
  return pair;
}

function endPair(pair: { kill(): void }): void {
  pair.kill();
  fakePairs.delete(pair);
}

/** where the sessions' progress notes go (--trace), else nowhere */
let trace: (message: string) => void = () => {};

/** What a session's faults are counted and described by: a relay, or a fake device's own log. */
type FaultLog = Pick<FaultRelay, 'counts' | 'describe'>;

/** One slot of a command's sessions: one prepared device and link; `session` returns its outcome. */
interface Harness {
  /** about how many bytes a clean session moves (an unplug is put among them) */
  scaleBytes: number;
  session(relaySeed: number, plan: FaultPlan): Promise<{ outcome: Outcome; message: string; relay: FaultLog | null }>;
}

/** `count` of each, made one after another (each slot owns its own ports, folder and device). */
async function slots<T>(count: number, make: (slot: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(await make(i));
  return out;
}

/**
 * The CI slice's plans: every fault kind in a command's few sessions, each at a known point and
 * injected once, so that what a session costs is known (a drawn plan can cost a minute of resends)
 * and the slice proves every kind on every command:
 * - the protocol commands: one session with a bit flip, a dropped and a duplicated byte, a chunk
 *   cut short, one held back and one held past the answer timeouts, spread over a clean session's
 *   bytes (each request is tried again with its sequence number: every one is recovered from); one
 *   unplugged halfway, the port back 300 ms later;
 * - the serial loaders: a session for each of those kinds, at a third of the transfer (the loaders
 *   try a block 3 times: three faults in one block's tries fail the flash before the later kinds'
 *   points); one unplugged halfway (the loaders do not reconnect: their session ends there);
 * - UF2: a copy with a block written twice and one held back, the console's exchange with each byte
 *   and chunk kind (the board should still verify); a payload byte flipped (the rebooted board
 *   reports another CRC); a block lost and the copy cut short (no reboot); the drive unplugged
 *   halfway.
 */
export function everyKindPlans(command: LinkCommand, scaleBytes: number): FaultPlan[] {
  const at = (f: number) => Math.floor(f * scaleBytes);
  const spread = { corrupt: at(0.1), duplicate: at(0.25), drop: at(0.4), truncate: at(0.55), delay: at(0.7), longDelay: at(0.85) };
  const unplug: FaultPlan = { ...NO_FAULTS, unplugAfterBytes: at(0.5), replugAfterMs: 300 };
  if (command === 'flash-an3155' || command === 'flash-esp') {
    return [...(Object.keys(spread) as ScheduledKind[]).map((kind) => ({ ...NO_FAULTS, at: { [kind]: at(0.3) } })), unplug];
  }
  if (command !== 'flash-uf2') return [{ ...NO_FAULTS, at: spread }, unplug];
  const block = (f: number) => Math.floor((f * scaleBytes) / 512) * 512;
  return [
    { ...NO_FAULTS, at: { duplicate: at(0.3), delay: at(0.6) }, consoleAt: { corrupt: 5, duplicate: 20, drop: 40, truncate: 60, delay: 80, longDelay: 100 } },
    // past the block's 32-byte header: a payload byte (its magic numbers hold, the ROM writes it)
    { ...NO_FAULTS, at: { corrupt: block(0.5) + 32 + 100 } },
    { ...NO_FAULTS, at: { drop: at(0.3), truncate: at(0.6) } },
    { ...NO_FAULTS, unplugAfterBytes: at(0.5) },
  ];
}

/** The kinds a plan schedules (its rates aside). */
export function plannedKinds(plan: FaultPlan): FaultKind[] {
  const scheduled = [...Object.keys(plan.at ?? {}), ...Object.keys(plan.consoleAt ?? {})].map((k) => (k === 'longDelay' ? 'long-delay' : k) as FaultKind);
  if (plan.unplugAfterBytes !== null) scheduled.push('unplug');
  if (plan.replugAfterMs !== null) scheduled.push('replug');
  return [...new Set(scheduled)];
}

/** Each session's seed: from the campaign's seed, the command and the session index. */
export function sessionSeed(seed: number, command: LinkCommand, index: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const c of `${command}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** What a thrown error counts as: a clean one-line error, or WRONG (the CLI would print more, or an internal error). */
function classifyError(e: unknown): { outcome: Outcome; message: string } {
  if (e instanceof TinyforgeError) {
    if (/[\r\n]/.test(e.message)) return { outcome: 'WRONG', message: `a multi-line error: ${JSON.stringify(e.message)}` };
    if (e.message.startsWith('internal')) return { outcome: 'WRONG', message: `an internal error: ${e.message}` };
    return { outcome: 'error', message: e.message };
  }
  const err = e as Error;
  return { outcome: 'WRONG', message: `not a TinyforgeError (the CLI prints an internal error): ${err?.name}: ${err?.message}\n${err?.stack ?? ''}` };
}

function equalJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function tempLinks(name: string): { dir: string; links: [string, string] } {
  const dir = mkdtempSync(join(tmpdir(), `tf-links-${name}-`));
  return { dir, links: [join(dir, 'host'), join(dir, 'relay')] };
}

/**
 * The harness firmware of MODEL for the Pico, built once per variant (as `run --port` / `flash MODEL`
 * build it, or the profile build) and held until `close`: `run` and `flash-uf2` share one build,
 * `validate` and `profile` the other, whatever the number of sessions or commands. A campaign builds
 * its own; a test file opens one in a before hook for all its campaigns.
 */
export class FirmwareCache {
  readonly modelPath = sharedModelPath(MODEL);
  private loaded: Graph | null = null;
  private readonly builds = new Map<boolean, { ready: Promise<DeviceBuild>; done: Promise<unknown> }>();
  private release!: () => void;
  private readonly released = new Promise<void>((r) => (this.release = r));

  /** the model (loaded on first use: the fake boot loaders' sessions need none) */
  get graph(): Graph {
    return (this.loaded ??= loadGraph(this.modelPath));
  }

  /** the build (profile: the profile variant), started on the first call */
  get(profile: boolean): Promise<DeviceBuild> {
    let entry = this.builds.get(profile);
    if (!entry) {
      let resolve!: (b: DeviceBuild) => void;
      const ready = new Promise<DeviceBuild>((r) => (resolve = r));
      // the port is a placeholder: a session's own port replaces it; the build is the same for any
      const done = withDeviceBuild(this.graph, this.modelPath, { target: 'rp2040', port: '/dev/null', profile, progress: () => {} }, async (b) => {
        resolve(b);
        await this.released;
      });
      entry = { ready: Promise.race([ready, done.then(() => Promise.reject(new Error('the build ended before use')))]), done: done.catch(() => {}) };
      this.builds.set(profile, entry);
    }
    return entry.ready;
  }

  /** Removes the builds (their temporary folders). */
  async close(): Promise<void> {
    this.release();
    await Promise.all([...this.builds.values()].map((b) => b.done));
  }
}

/** Bytes to a device end in this process, and the one relay of the moment listening to it. */
class Switchboard implements DeviceEnd {
  private listener: ((bytes: Uint8Array) => void) | null = null;
  constructor(private readonly send: (bytes: Uint8Array) => void) {}
  write(bytes: Uint8Array): void {
    this.send(bytes);
  }
  onData(listener: (bytes: Uint8Array) => void): void {
    this.listener = listener;
  }
  deliver(bytes: Uint8Array): void {
    this.listener?.(bytes);
  }
  detach(): void {
    this.listener = null;
  }
}

/**
 * run / validate / profile: the firmware built once as `flash MODEL --target rp2040` builds it, booted
 * on rp2040js in this process (one chip per slot for all its sessions: each starts with HELLO), its
 * UART behind the relay; the session talks to the relay's host pty as to a real board's port.
 */
async function withProtocolHarness<T>(
  command: 'run' | 'validate' | 'profile',
  jobs: number,
  firmware: FirmwareCache,
  work: (h: Harness[]) => Promise<T>,
): Promise<T> {
  const { graph } = firmware;
  const deviceBuild = await firmware.get(command !== 'run');
  const dirs: string[] = [];
  try {
    const uf2 = new Uint8Array(readFileSync(join(dirname(deviceBuild.build.elf), 'firmware.uf2')));
    const chips: Rp2040Emulation[] = [];
    try {
      const made = await slots(jobs, async () => {
        const { dir, links } = tempLinks(command);
        dirs.push(dir);
        const chip = Rp2040Emulation.start(uf2, 'firmware.uf2', 'pico');
        chips.push(chip);
        const board = new Switchboard((bytes) => void chip.write(bytes).catch(() => {}));
        chip.onData((bytes) => board.deliver(bytes));
        return { links, board };
      });
      const prng = new Prng(0x5eed);
      const inputs = Array.from({ length: 3 }, (_, i) => ({
        name: `case${i}`,
        tensors: graph.inputs.map((t) => Uint8Array.from({ length: byteSize(graph.tensors[t]!) }, () => prng.int(0, 255))),
      }));
      const once = (port: string) => {
        const b = { ...deviceBuild, session: { ...deviceBuild.session, port, progress: (m: string) => trace(m) } };
        if (command === 'run') return runOnDevice(graph, { cases: inputs.map((i) => i.tensors) }, b);
        if (command === 'validate') return validateOnDevice(graph, { ...b.session, target: 'rp2040', inputs }, b);
        return profileOnDevice(graph, { target: 'rp2040', input: inputs[0]!.tensors }, b);
      };
      const ok = (r: unknown, reference: unknown) => {
        const report = r as { matchesReference?: boolean; matched?: number; total?: number };
        if (report.matchesReference === false || (report.matched !== undefined && report.matched !== report.total)) return false;
        return reference === undefined || equalJson(stable(r), reference);
      };
      // what a clean link gives: the result every session's must equal
      const { links, board } = made[0]!;
      const cleanRelay = await FaultRelay.start(links, board, NO_FAULTS, 1);
      let clean: unknown;
      try {
        clean = await once(links[0]);
      } finally {
        await cleanRelay.stop();
        board.detach();
      }
      if (!ok(clean, undefined)) throw new Error(`${command}: a clean session does not match the host reference`);
      const reference = stable(clean);
      return await work(
        made.map(({ links, board }) => ({
          scaleBytes: cleanRelay.bytes,
          async session(seed, plan) {
            const relay = await setUp(FaultRelay.start(links, board, plan, seed));
            try {
              const result = await once(links[0]);
              return ok(result, reference)
                ? { outcome: 'correct', message: '', relay }
                : { outcome: 'WRONG', message: `a result that differs from a clean link's: ${JSON.stringify(stable(result)).slice(0, 400)}`, relay };
            } catch (e) {
              return { ...classifyError(e), relay };
            } finally {
              await relay.stop();
              board.detach();
            }
          },
        })),
      );
    } finally {
      for (const chip of chips) await chip.close();
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The parts of a report a link must not change (the port's name aside). */
function stable(r: unknown): unknown {
  const { port: _port, ...rest } = r as Record<string, unknown>;
  return rest;
}

/**
 * A fake boot loader's sessions, one slot per job: each slot has its own folder (the image file, the
 * host's port links); per session a new pty pair to the fake, and the relay between it and the port.
 */
async function withSerialLoaderHarness<T>(
  name: string,
  jobs: number,
  image: Uint8Array,
  scaleBytes: number,
  session: (slot: { bin: string; links: [string, string] }, seed: number, plan: FaultPlan) => ReturnType<Harness['session']>,
  work: (h: Harness[]) => Promise<T>,
): Promise<T> {
  const dirs: string[] = [];
  try {
    const made = await slots(jobs, async () => {
      const { dir, links } = tempLinks(name);
      dirs.push(dir);
      const bin = join(dir, 'app.bin');
      writeFileSync(bin, image);
      return { bin, links };
    });
    return await work(made.map((slot) => ({ scaleBytes, session: (seed, plan) => session(slot, seed, plan) })));
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** A device end in this process for a fake on a second pty pair (its host side opened here). */
async function deviceSideOf(host: string): Promise<{ end: Switchboard; close: () => Promise<void> }> {
  const deviceSide = await SerialTransport.open(host);
  const end = new Switchboard((bytes) => void deviceSide.write(bytes).catch(() => {}));
  deviceSide.onData((bytes) => end.deliver(bytes));
  return { end, close: () => deviceSide.close().catch(() => {}) };
}

/** AN3155: a fake STM32 boot loader on a second pty pair, the relay between it and the host's port. */
function withAn3155Harness<T>(jobs: number, work: (h: Harness[]) => Promise<T>): Promise<T> {
  const image = Uint8Array.from({ length: 1500 }, (_, i) => (i * 37 + 11) & 0xff);
  return withSerialLoaderHarness(
    'an3155',
    jobs,
    image,
    4000,
    async ({ bin, links }, seed, plan) => {
      const { pair, fake, device, relay } = await setUp(
        (async () => {
          const pair = await fakePair();
          const fake = await FakeBootloader.open(pair.device, { productId: 0x0413 });
          const device = await deviceSideOf(pair.host);
          return { pair, fake, device, relay: await FaultRelay.start(links, device.end, plan, seed) };
        })(),
      );
      const holds = () => equalBytes(fake.memory.subarray(0, image.length), image);
      try {
        const r = await flashFile({ file: bin, target: 'cortex-m4', port: links[0], progress: (m) => trace(m) });
        if (!r.flash.verified || !holds()) return { outcome: 'WRONG', message: 'reported flashed, but the device does not hold the image', relay };
        if (fake.goAddress !== 0x08000000) return { outcome: 'WRONG', message: `reported started, GO went to ${fake.goAddress}`, relay };
        return { outcome: 'correct', message: '', relay };
      } catch (e) {
        const c = classifyError(e);
        if (c.outcome === 'error' && fake.goAddress !== null && !holds())
          return { outcome: 'WRONG', message: `an image that does not verify was started (GO): ${c.message}`, relay };
        return { ...c, relay };
      } finally {
        await relay.stop();
        await device.close();
        await fake.close().catch(() => {});
        endPair(pair);
      }
    },
    work,
  );
}

/** ESP ROM loader: the fake ROM on a second pty pair, the relay between it and the host's port. */
function withEspHarness<T>(jobs: number, work: (h: Harness[]) => Promise<T>): Promise<T> {
  const image = Uint8Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff);
  const address = 0x10000;
  return withSerialLoaderHarness(
    'esp',
    jobs,
    image,
    7000,
    async ({ bin, links }, seed, plan) => {
      const { pair, chip, device, relay } = await setUp(
        (async () => {
          const pair = await fakePair();
          const chip = await FakeEspRom.open(pair.device);
          const device = await deviceSideOf(pair.host);
          return { pair, chip, device, relay: await FaultRelay.start(links, device.end, plan, seed) };
        })(),
      );
      const holds = () => equalBytes(chip.flash.subarray(address, address + image.length), image);
      try {
        const r = await flashEspFile({ file: bin, target: 'esp32c3', port: links[0], address, progress: (m) => trace(m) });
        if (!r.flash.verified || !holds()) return { outcome: 'WRONG', message: 'reported flashed, but the chip does not hold the image', relay };
        return { outcome: 'correct', message: '', relay };
      } catch (e) {
        const c = classifyError(e);
        if (c.outcome === 'error' && chip.rebooted && !holds())
          return { outcome: 'WRONG', message: `the chip was rebooted into an image that does not verify: ${c.message}`, relay };
        return { ...c, relay };
      } finally {
        await relay.stop();
        await device.close();
        await chip.close().catch(() => {});
        endPair(pair);
      }
    },
    work,
  );
}

/**
 * UF2: the harness firmware built once for the Pico, copied to a fake Pico in BOOTSEL
 * (test/device/fake-pico.ts) whose boot ROM takes the file block by block through the fault plan (a
 * block's bytes flipped, a block lost or written twice, the copy cut short, the drive unplugged
 * after some blocks) and reboots, once every block has arrived, into what its flash then holds, on
 * rp2040js. The host then asks the rebooted board on its console (behind the relay, with the plan's
 * byte faults; the unplug is the drive's) which image it runs, as `flash --port` does. Correct: the
 * flash reported verified holds every loaded byte of the ELF.
 */
async function withUf2Harness<T>(jobs: number, firmware: FirmwareCache, work: (h: Harness[]) => Promise<T>): Promise<T> {
  const deviceBuild = await firmware.get(false);
  const dirs: string[] = [];
  try {
    const uf2Path = join(dirname(deviceBuild.build.elf), 'firmware.uf2');
    const uf2 = new Uint8Array(readFileSync(uf2Path));
    // the image: the ELF's loaded bytes (the UF2's last page is padded beyond them)
    const segments = readLoadSegments(new Uint8Array(readFileSync(deviceBuild.build.elf)), deviceBuild.build.elf);
    const made = await slots(jobs, async () => {
      const t = tempLinks('uf2');
      dirs.push(t.dir);
      return t;
    });
    return await work(
      made.map(({ dir, links }) => {
        let n = 0;
        return {
          scaleBytes: uf2.length,
          async session(seed, plan) {
            const root = join(dir, `drive${n++}`);
            const pico = new FakePico(join(root, 'RPI-RP2'), plan, new Prng(seed));
            const console = { ...plan, unplugAfterBytes: null, replugAfterMs: null, at: plan.consoleAt };
            const relay = await setUp(FaultRelay.start(links, pico, console, seed ^ 0x5a5a5a5a)).catch(async (e: unknown) => {
              await pico.stop();
              throw e;
            });
            const log: FaultLog = {
              counts: () => {
                const counts = relay.counts();
                for (const [k, v] of Object.entries(pico.counts())) counts[k as FaultKind] += v;
                return counts;
              },
              describe: () => [pico.faults.map((f) => `  drive ${f.kind}: ${f.detail}`).join('\n'), relay.describe()].filter(Boolean).join('\n'),
            };
            try {
              const verified = await copyUf2AndVerify(uf2Path, pickBootselDrive(pico.drive), {
                port: links[0],
                buildId: deviceBuild.build.buildId,
                waitMs: 10_000,
                drivePolling: { timeoutMs: 4000, pollMs: 25 },
                progress: (m) => trace(m),
              });
              if (!verified) return { outcome: 'WRONG', message: 'a console port was given, but the copy was not verified', relay: log };
              if (!pico.rebooted || !segments.every((g) => pico.holds(g.physicalAddress, g.data))) {
                return {
                  outcome: 'WRONG',
                  message: `reported flashed and verified, but the board ${pico.rebooted ? 'holds other bytes' : 'never took the image'}`,
                  relay: log,
                };
              }
              return { outcome: 'correct', message: '', relay: log };
            } catch (e) {
              return { ...classifyError(e), relay: log };
            } finally {
              await relay.stop();
              await pico.stop();
              rmSync(root, { recursive: true, force: true });
            }
          },
        };
      }),
    );
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A session; setting up its pty pairs and fakes can fail on a loaded machine (socat slow to name its
 * ptys) before the host under test runs: that is no outcome, so the same session (same seed, same
 * plan) is set up again, up to 3 times, 2 s apart.
 */
async function setUpAndRun(harness: Harness, seed: number, plan: FaultPlan): ReturnType<Harness['session']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await harness.session(seed, plan);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof SetupError)) throw e;
      trace(`setting up the session failed (${(e as Error).message}); again`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** The session's devices or links could not be set up (nothing of tinyforge ran yet). */
class SetupError extends Error {}

async function setUp<T>(what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (e) {
    throw new SetupError((e as Error).message);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

function withHarness<T>(command: LinkCommand, jobs: number, firmware: FirmwareCache, work: (h: Harness[]) => Promise<T>): Promise<T> {
  switch (command) {
    case 'run':
    case 'validate':
    case 'profile':
      return withProtocolHarness(command, jobs, firmware, work);
    case 'flash-an3155':
      return withAn3155Harness(jobs, work);
    case 'flash-esp':
      return withEspHarness(jobs, work);
    case 'flash-uf2':
      return withUf2Harness(jobs, firmware, work);
  }
}

export interface CommandSummary {
  command: LinkCommand;
  sessions: number;
  faults: Record<FaultKind, number>;
  /** sessions with at least one fault injected */
  faulted: number;
  outcomes: Record<Outcome, number>;
  /** the slowest session, ms */
  slowestMs: number;
  wrong: SessionResult[];
}

export async function runCampaign(options: CampaignOptions): Promise<CommandSummary[]> {
  const limit = options.sessionLimitMs ?? 120_000;
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, options.sessions));
  if (options.trace) {
    const t = options.trace;
    trace = t;
    FaultRelay.onFault = (f) => t(`fault ${f.direction} ${f.kind}: ${f.detail}`);
  }
  const summaries: CommandSummary[] = [];
  const firmware = options.firmware ?? new FirmwareCache();
  try {
    for (const command of options.commands) {
      const summary: CommandSummary = {
        command,
        sessions: 0,
        faults: zeroCounts(),
        faulted: 0,
        outcomes: { correct: 0, error: 0, WRONG: 0 },
        slowestMs: 0,
        wrong: [],
      };
      summaries.push(summary);
      let next = 0;
      await withHarness(command, jobs, firmware, (harnesses) => {
        const plans = options.plans?.(command, harnesses[0]!.scaleBytes);
        const indices = Array.from({ length: plans?.length ?? options.sessions }, (_, i) => i).filter((i) => !options.only || options.only.includes(i));
        return Promise.all(
          harnesses.map(async (harness) => {
            while (next < indices.length && Date.now() < (options.stopAt ?? Infinity)) {
              const index = indices[next++]!;
              const seed = sessionSeed(options.seed, command, index);
              const plan = plans?.[index] ?? drawPlan(new Prng(seed), harness.scaleBytes);
              const started = Date.now();
              let timer: NodeJS.Timeout | undefined;
              const hang = new Promise<null>((r) => (timer = setTimeout(() => r(null), limit)));
              const done = await Promise.race([setUpAndRun(harness, seed ^ 0xa5a5a5a5, plan), hang]);
              clearTimeout(timer);
              const ms = Date.now() - started;
              const result: SessionResult = done
                ? { command, index, seed, outcome: done.outcome, message: done.message, faults: done.relay!.counts(), ms }
                : { command, index, seed, outcome: 'WRONG', message: `no outcome within ${limit} ms (a hang)`, faults: zeroCounts(), ms };
              if (result.outcome === 'WRONG') {
                result.log = done?.relay?.describe();
                summary.wrong.push(result);
              }
              summary.sessions++;
              summary.outcomes[result.outcome]++;
              summary.slowestMs = Math.max(summary.slowestMs, ms);
              let any = false;
              for (const k of FAULT_KINDS) {
                summary.faults[k] += result.faults[k];
                if (result.faults[k]) any = true;
              }
              if (any) summary.faulted++;
              options.onSession?.(result);
              if (!done) return; // a hung session may still hold this slot's link: the slot takes no more
            }
          }),
        );
      });
      summary.wrong.sort((a, b) => a.index - b.index);
      options.onCommand?.(summaries);
    }
  } finally {
    if (!options.firmware) await firmware.close();
  }
  return summaries;
}

function zeroCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

/** The campaign's table: per command, sessions, faults by kind, outcomes. */
export function formatTable(summaries: CommandSummary[]): string {
  const head = ['command', 'sessions', 'faulted', ...FAULT_KINDS, 'correct', 'error', 'WRONG', 'slowest'];
  const rows = summaries.map((s) => [
    s.command,
    String(s.sessions),
    String(s.faulted),
    ...FAULT_KINDS.map((k) => String(s.faults[k])),
    String(s.outcomes.correct),
    String(s.outcomes.error),
    String(s.outcomes.WRONG),
    `${(s.slowestMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
