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
 * built (runOnDevice, validateOnDevice, profileOnDevice, flashFile, flashUf2ToDrive, flashEspFile):
 * one build serves every session, so a session costs its exchange, not a compile and a gcc run.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../src/errors.ts';
import { loadGraph } from '../../src/model/load.ts';
import { withDeviceBuild } from '../../src/run/device-build.ts';
import { runOnDevice } from '../../src/run/run.ts';
import { profileOnDevice } from '../../src/run/profile.ts';
import { validateOnDevice } from '../../src/run/validate.ts';
import { byteSize } from '../../src/ir/graph.ts';
import { flashFile } from '../../src/device/stm32/flash-file.ts';
import { flashEspFile } from '../../src/device/esp/flash-file.ts';
import { flashUf2ToDrive, pickBootselDrive } from '../../src/device/rp2040/bootsel.ts';
import { RP2040_FLASH_BASE, UF2_BLOCK_BYTES, UF2_MAGIC_END, UF2_MAGIC_START0, UF2_MAGIC_START1 } from '../../src/device/rp2040/uf2.ts';
import { Rp2040Emulation } from '../../src/device/rp2040/emulator.ts';
import { SerialTransport } from '../../src/device/transport/serial.ts';
import { FakeBootloader, startPtyPair } from '../device/stm32-fake-bootloader.ts';
import { FakeEspRom } from '../device/esp-rom-peer.ts';
import { sharedModelPath } from '../helpers/shared.ts';
import { type DeviceEnd, FAULT_KINDS, type FaultKind, type FaultPlan, FaultRelay, NO_FAULTS, Prng, drawPlan } from './relay.ts';

export const LINK_COMMANDS = ['run', 'validate', 'profile', 'flash-an3155', 'flash-uf2', 'flash-esp'] as const;
export type LinkCommand = (typeof LINK_COMMANDS)[number];

/**
 * UNVERIFIABLE (UF2 only): reported flashed while the board does not hold the image, where the
 * fault is one a UF2 copy cannot show (the drive unplugged once the last block was written, payload
 * bytes changed with the magic numbers intact): UF2 has no checksum and no read-back.
 */
export type Outcome = 'correct' | 'error' | 'WRONG' | 'UNVERIFIABLE';

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
  /** only these session indices (to replay one) */
  only?: number[];
  /** progress notes of every session */
  trace?: (message: string) => void;
  /** after each command's sessions, with the summaries so far */
  onCommand?: (summaries: CommandSummary[]) => void;
  /** after each session */
  onSession?: (result: SessionResult) => void;
}

const MODEL = 'hello_world_int8';

/** where the sessions' progress notes go (--trace), else nowhere */
let trace: (message: string) => void = () => {};

/** One command's sessions against one prepared device; `session` returns its outcome. */
interface Harness {
  /** about how many bytes a clean session moves (an unplug is put among them) */
  scaleBytes: number;
  session(relaySeed: number, plan: FaultPlan): Promise<{ outcome: Outcome; message: string; relay: FaultRelay | null }>;
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
 * on rp2040js in this process (one chip for all sessions: each starts with HELLO), its UART behind
 * the relay; the session talks to the relay's host pty as to a real board's port.
 */
async function withProtocolHarness<T>(command: 'run' | 'validate' | 'profile', work: (h: Harness) => Promise<T>): Promise<T> {
  const modelPath = sharedModelPath(MODEL);
  const graph = loadGraph(modelPath);
  const { dir, links } = tempLinks(command);
  try {
    return await withDeviceBuild(
      graph,
      modelPath,
      { target: 'rp2040', port: links[0], profile: command !== 'run', progress: () => {} },
      async (deviceBuild) => {
        const uf2 = new Uint8Array(readFileSync(join(dirname(deviceBuild.build.elf), 'firmware.uf2')));
        const chip = Rp2040Emulation.start(uf2, 'firmware.uf2', 'pico');
        const board = new Switchboard((bytes) => void chip.write(bytes).catch(() => {}));
        chip.onData((bytes) => board.deliver(bytes));
        const prng = new Prng(0x5eed);
        const inputBytes = graph.inputs.reduce((n, t) => n + byteSize(graph.tensors[t]!), 0);
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
        try {
          return await work({
            scaleBytes: cleanRelay.bytes,
            async session(seed, plan) {
              const relay = await FaultRelay.start(links, board, plan, seed);
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
          });
        } finally {
          await chip.close();
        }
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The parts of a report a link must not change (the port's name aside). */
function stable(r: unknown): unknown {
  const { port: _port, ...rest } = r as Record<string, unknown>;
  return rest;
}

/** AN3155: a fake STM32 boot loader on a second pty pair, the relay between it and the host's port. */
async function withAn3155Harness<T>(work: (h: Harness) => Promise<T>): Promise<T> {
  const { dir, links } = tempLinks('an3155');
  const image = Uint8Array.from({ length: 1500 }, (_, i) => (i * 37 + 11) & 0xff);
  const bin = join(dir, 'app.bin');
  writeFileSync(bin, image);
  try {
    return await work({
      scaleBytes: 4000,
      async session(seed, plan) {
        const pair = await startPtyPair();
        const fake = await FakeBootloader.open(pair.device, { productId: 0x0413 });
        const deviceSide = await SerialTransport.open(pair.host);
        const end = new Switchboard((bytes) => void deviceSide.write(bytes).catch(() => {}));
        deviceSide.onData((bytes) => end.deliver(bytes));
        const relay = await FaultRelay.start(links, end, plan, seed);
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
          await deviceSide.close().catch(() => {});
          await fake.close().catch(() => {});
          pair.kill();
        }
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ESP ROM loader: the fake ROM on a second pty pair, the relay between it and the host's port. */
async function withEspHarness<T>(work: (h: Harness) => Promise<T>): Promise<T> {
  const { dir, links } = tempLinks('esp');
  const image = Uint8Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff);
  const bin = join(dir, 'app.bin');
  writeFileSync(bin, image);
  const address = 0x10000;
  try {
    return await work({
      scaleBytes: 7000,
      async session(seed, plan) {
        const pair = await startPtyPair();
        const chip = await FakeEspRom.open(pair.device);
        const deviceSide = await SerialTransport.open(pair.host);
        const end = new Switchboard((bytes) => void deviceSide.write(bytes).catch(() => {}));
        deviceSide.onData((bytes) => end.deliver(bytes));
        const relay = await FaultRelay.start(links, end, plan, seed);
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
          await deviceSide.close().catch(() => {});
          await chip.close().catch(() => {});
          pair.kill();
        }
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * UF2: a fake BOOTSEL drive. The "link" is the USB mass-storage write: the fake boot ROM takes the
 * copied file block by block through the fault plan (a block's bytes flipped, a block lost or
 * written twice, the copy cut short, the drive unplugged after some blocks) and, as the RP2040's ROM
 * does, writes every block whose magic numbers hold and reboots (the drive goes away) once every
 * block of the image has arrived.
 */
async function withUf2Harness<T>(work: (h: Harness) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-uf2-'));
  // a small ELF-free image: the UF2 of 6 KiB of bytes at the start of flash
  const payload = Uint8Array.from({ length: 6 * 1024 }, (_, i) => (i * 29 + 3) & 0xff);
  const uf2 = uf2Of(payload);
  const uf2Path = join(dir, 'app.uf2');
  writeFileSync(uf2Path, uf2);
  let n = 0;
  try {
    return await work({
      scaleBytes: uf2.length,
      async session(seed, plan) {
        const root = join(dir, `drives${n++}`);
        const drive = join(root, 'RPI-RP2');
        mkdirSync(drive, { recursive: true });
        writeFileSync(join(drive, 'INFO_UF2.TXT'), 'UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n');
        const rom = new FakeUf2Rom(drive, plan, new Prng(seed));
        try {
          await flashUf2ToDrive(uf2Path, pickBootselDrive(drive), { timeoutMs: 4000, pollMs: 25 });
          await rom.done;
          if (!rom.rebooted || !equalBytes(rom.flash.subarray(0, payload.length), payload)) {
            const counts = rom.relayLike().counts();
            const undetectable = rom.rebooted ? counts.corrupt > 0 : counts.unplug > 0;
            return {
              outcome: undetectable ? 'UNVERIFIABLE' : 'WRONG',
              message: `reported flashed, but the board ${rom.rebooted ? 'holds other bytes (payload corrupted, magic numbers intact)' : 'never took it (the drive was unplugged)'}`,
              relay: rom.relayLike(),
            };
          }
          return { outcome: 'correct', message: '', relay: rom.relayLike() };
        } catch (e) {
          return { ...classifyError(e), relay: rom.relayLike() };
        } finally {
          rom.stop();
          rmSync(root, { recursive: true, force: true });
        }
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function uf2Of(payload: Uint8Array): Uint8Array {
  // 256 payload bytes a block, the family id present, as elfToUf2 writes them
  const blocks = Math.ceil(payload.length / 256);
  const out = new Uint8Array(blocks * UF2_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const at = b * UF2_BLOCK_BYTES;
    view.setUint32(at, UF2_MAGIC_START0, true);
    view.setUint32(at + 4, UF2_MAGIC_START1, true);
    view.setUint32(at + 8, 0x2000, true);
    view.setUint32(at + 12, RP2040_FLASH_BASE + b * 256, true);
    view.setUint32(at + 16, 256, true);
    view.setUint32(at + 20, b, true);
    view.setUint32(at + 24, blocks, true);
    view.setUint32(at + 28, 0xe48bff56, true);
    out.set(payload.subarray(b * 256, (b + 1) * 256), at + 32);
    view.setUint32(at + 508, UF2_MAGIC_END, true);
  }
  return out;
}

class FakeUf2Rom {
  readonly flash = new Uint8Array(64 * 1024).fill(0xff);
  rebooted = false;
  readonly done: Promise<void>;
  private readonly faults: { kind: FaultKind; detail: string }[] = [];
  private stopped = false;
  private bytes = 0;

  constructor(
    private readonly drive: string,
    private readonly plan: FaultPlan,
    private readonly rng: Prng,
  ) {
    this.done = this.serve();
  }

  stop(): void {
    this.stopped = true;
  }

  relayLike(): FaultRelay {
    const faults = this.faults;
    return {
      counts: () => {
        const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
        for (const f of faults) counts[f.kind]++;
        return counts;
      },
      describe: () => faults.map((f) => `  ${f.kind}: ${f.detail}`).join('\n'),
    } as unknown as FaultRelay;
  }

  private async serve(): Promise<void> {
    const seen = new Set<number>();
    while (!this.stopped) {
      await sleep(20);
      const name = existsSync(this.drive) ? readdirSync(this.drive).find((f) => f.endsWith('.uf2')) : undefined;
      if (!name) continue;
      const file = new Uint8Array(readFileSync(join(this.drive, name)));
      if (file.length % UF2_BLOCK_BYTES !== 0) continue; // still being written
      let count = 0;
      for (let at = 0; at + UF2_BLOCK_BYTES <= file.length; at += UF2_BLOCK_BYTES) {
        const before = this.bytes;
        this.bytes += UF2_BLOCK_BYTES;
        if (this.plan.unplugAfterBytes !== null && before < this.plan.unplugAfterBytes && this.bytes >= this.plan.unplugAfterBytes) {
          this.faults.push({ kind: 'unplug', detail: `after ${at / UF2_BLOCK_BYTES} blocks` });
          rmSync(this.drive, { recursive: true, force: true });
          return;
        }
        if (this.plan.drop && this.rng.chance(this.plan.drop * 5)) {
          this.faults.push({ kind: 'drop', detail: `block at ${at}` });
          continue;
        }
        if (this.plan.truncate && this.rng.chance(this.plan.truncate)) {
          this.faults.push({ kind: 'truncate', detail: `copy cut at block ${at / UF2_BLOCK_BYTES}` });
          break;
        }
        const block = file.slice(at, at + UF2_BLOCK_BYTES);
        for (let i = 0; i < block.length; i++) {
          if (this.plan.corrupt && this.rng.chance(this.plan.corrupt)) {
            block[i]! ^= 1 << this.rng.int(0, 7);
            this.faults.push({ kind: 'corrupt', detail: `block at ${at}, byte ${i}` });
          }
        }
        if (this.plan.delay && this.rng.chance(this.plan.delay)) {
          const ms = this.rng.int(20, 400);
          this.faults.push({ kind: 'delay', detail: `${ms} ms` });
          await sleep(ms);
        }
        const writes = this.plan.duplicate && this.rng.chance(this.plan.duplicate * 5) ? 2 : 1;
        if (writes === 2) this.faults.push({ kind: 'duplicate', detail: `block at ${at}` });
        for (let w = 0; w < writes; w++) {
          const v = new DataView(block.buffer);
          if (v.getUint32(0, true) !== UF2_MAGIC_START0 || v.getUint32(4, true) !== UF2_MAGIC_START1 || v.getUint32(508, true) !== UF2_MAGIC_END) continue;
          const address = v.getUint32(12, true);
          const size = v.getUint32(16, true);
          const offset = address - RP2040_FLASH_BASE;
          if (size > 476 || offset < 0 || offset + size > this.flash.length) continue;
          this.flash.set(block.subarray(32, 32 + size), offset);
          seen.add(v.getUint32(20, true));
          count = v.getUint32(24, true);
        }
      }
      if (count > 0 && seen.size >= count) {
        this.rebooted = true;
        rmSync(this.drive, { recursive: true, force: true });
      }
      return;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

function withHarness<T>(command: LinkCommand, work: (h: Harness) => Promise<T>): Promise<T> {
  switch (command) {
    case 'run':
    case 'validate':
    case 'profile':
      return withProtocolHarness(command, work);
    case 'flash-an3155':
      return withAn3155Harness(work);
    case 'flash-esp':
      return withEspHarness(work);
    case 'flash-uf2':
      return withUf2Harness(work);
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
  if (options.trace) {
    const t = options.trace;
    trace = t;
    FaultRelay.onFault = (f) => t(`fault ${f.direction} ${f.kind}: ${f.detail}`);
  }
  const summaries: CommandSummary[] = [];
  for (const command of options.commands) {
    const summary: CommandSummary = {
      command,
      sessions: 0,
      faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
      faulted: 0,
      outcomes: { correct: 0, error: 0, WRONG: 0, UNVERIFIABLE: 0 },
      slowestMs: 0,
      wrong: [],
    };
    summaries.push(summary);
    await withHarness(command, async (harness) => {
      for (let index = 0; index < options.sessions; index++) {
        if (options.only && !options.only.includes(index)) continue;
        const seed = sessionSeed(options.seed, command, index);
        const plan = drawPlan(new Prng(seed), harness.scaleBytes);
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<null>((r) => (timer = setTimeout(() => r(null), limit)));
        const done = await Promise.race([harness.session(seed ^ 0xa5a5a5a5, plan), hang]);
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
        if (!done) break; // a hung session may still hold the link: stop this command
      }
    });
    options.onCommand?.(summaries);
  }
  return summaries;
}

function zeroCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

/** The campaign's table: per command, sessions, faults by kind, outcomes. */
export function formatTable(summaries: CommandSummary[]): string {
  const head = ['command', 'sessions', 'faulted', ...FAULT_KINDS, 'correct', 'error', 'WRONG', 'unverifiable', 'slowest'];
  const rows = summaries.map((s) => [
    s.command,
    String(s.sessions),
    String(s.faulted),
    ...FAULT_KINDS.map((k) => String(s.faults[k])),
    String(s.outcomes.correct),
    String(s.outcomes.error),
    String(s.outcomes.WRONG),
    String(s.outcomes.UNVERIFIABLE),
    `${(s.slowestMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
