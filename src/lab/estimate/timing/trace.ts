// SPDX-License-Identifier: Apache-2.0
/**
 * The executed instruction stream, as the timing model takes it: per segment between marks (the
 * model's invoke entry and return points, the layer hooks), how often each instruction address ran
 * and how often it branched away. Two producers: the QEMU plugin firmware/qemu-plugin/insn_timing.c
 * (per translation block) and, for rp2040js, a tracer called around every instruction it executes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../../../core/errors.ts';
import type { ArtGeometry, BoardCaches } from '../../../core/targets/targets.ts';
import type { ArtFetchEvents } from './art.ts';
import type { CacheEvents, CacheReplayer } from './caches.ts';

/** One stretch of execution between two marks. */
export interface TraceSegment {
  /** the mark that opened it */
  opener: number;
  /** per instruction address: executions and taken exits */
  counts: Map<number, { executed: number; taken: number }>;
  /** the emulator's own cycle count over the segment (rp2040js), else null */
  referenceCycles: number | null;
  /** the ART accelerator's events over the segment, where the trace replayed them (the plugin's `art`) */
  art?: ArtFetchEvents;
  /** the replayed caches' events over the segment, per region (the plugin's `icache`, the RP2040 tracer's replay) */
  caches?: CacheEvents;
}

export interface Trace {
  segments: TraceSegment[];
  /** the bytes of the instruction at an address (as executed) */
  bytesAt(address: number): Uint8Array;
}

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const PLUGIN_SOURCE = join(ROOT, 'firmware', 'qemu-plugin', 'insn_timing.c');

/**
 * Builds the QEMU timing plugin with the host C compiler, once per source version and plugin API
 * (cached in the temp folder): API 1 for QEMU 7.x/8.x, 3 for QEMU 9 and later (`pluginApiOf`).
 */
export function buildTimingPlugin(api: 1 | 3 = 1): string {
  const source = readFileSync(PLUGIN_SOURCE);
  const hash = createHash('sha256').update(source).update(`api ${api}`).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'tinyforge-qemu-plugins');
  const so = join(dir, `insn_timing-${hash}.so`);
  if (existsSync(so)) return so;
  mkdirSync(dir, { recursive: true });
  const partial = `${so}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-fvisibility=hidden', `-DTF_PLUGIN_API=${api}`, PLUGIN_SOURCE, '-o', partial], { stdio: 'pipe' });
  } catch (e) {
    const why = (e as { stderr?: Buffer }).stderr?.toString().split('\n')[0] ?? (e as Error).message;
    throw new TinyforgeError(`cannot build the QEMU timing plugin with the host C compiler (cc): ${why}; apt-get install gcc`);
  }
  renameSync(partial, so);
  return so;
}

const apis = new Map<string, 1 | 3>();

/** The plugin API a QEMU takes, from its `--version`: 3 from QEMU 9 on (which refuses API 1), else 1. */
export function pluginApiOf(qemu: string): 1 | 3 {
  let api = apis.get(qemu);
  if (api === undefined) {
    const r = spawnSync(qemu, ['--version'], { encoding: 'utf8', timeout: 5000 });
    const major = Number(/version (\d+)\./.exec(r.stdout ?? '')?.[1] ?? 0);
    api = major >= 9 ? 3 : 1;
    apis.set(qemu, api);
  }
  return api;
}

const loadable = new Map<string, string | null>();

/**
 * Throws, saying why, unless `qemu` loads the plugin (a QEMU built without plugin support, or one
 * whose plugin API differs, refuses it at start-up): started paused with the board's machine
 * arguments, no firmware, and told to quit over QMP. Once per emulator and plugin in a process.
 */
export function checkPluginLoads(qemu: string, boardArgs: string[], so: string): void {
  const key = `${qemu}\0${so}`;
  if (!loadable.has(key)) {
    const args: string[] = [];
    for (let i = 0; i < boardArgs.length; i++) {
      if (['-kernel', '-serial', '-monitor', '-qmp', '-device', '-chardev', '-drive'].includes(boardArgs[i]!)) {
        i++; // the firmware and the board's lines: not needed to load a plugin
        continue;
      }
      args.push(boardArgs[i]!);
    }
    const r = spawnSync(qemu, ['-plugin', `${so},mark=0x0,out=/dev/null`, ...args, '-serial', 'none', '-monitor', 'none', '-qmp', 'stdio', '-S'], {
      input: '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    const greeted = r.status === 0 && r.stdout.includes('"QMP"');
    const why = (r.stderr ?? '').split('\n').find((l) => l.trim() !== '') ?? r.error?.message ?? `exit status ${r.status}`;
    loadable.set(key, greeted ? null : why);
  }
  const why = loadable.get(key);
  if (why) throw new TinyforgeError(`${qemu} does not load the QEMU timing plugin: ${why}`);
}

/** What the plugin replays through the ART model: the accelerator's caches, and the flash range fetched and read from. */
export interface ArtReplay {
  geometry: ArtGeometry;
  flash: { origin: number; bytes: number };
}

/** What the trace replays through a board's caches: their shapes, and the emulated ranges standing for its flash and its cached RAM. */
export interface CacheReplay {
  caches: BoardCaches;
  regions: { origin: number; bytes: number }[];
}

const range = (r: { origin: number; bytes: number }) => `0x${r.origin.toString(16)}:0x${(r.origin + r.bytes).toString(16)}`;

/** The `-plugin` argument for QEMU. */
export function pluginArgument(so: string, marks: number[], out: string, art?: ArtReplay, caches?: CacheReplay): string {
  const replay = art ? [`art=${art.geometry.instructionLines}:${art.geometry.dataLines}`, `flash=${range(art.flash)}`] : [];
  if (caches) {
    const { instruction: i, data: d } = caches.caches;
    replay.push(`icache=${i.sets}:${i.ways}:${i.lineBytes}`);
    if (d) replay.push(`dcache=${d.sets}:${d.ways}:${d.lineBytes}:${d.writeAllocate ? 1 : 0}`);
    replay.push(...caches.regions.map((r) => `region=${range(r)}`));
  }
  return [so, ...marks.map((m) => `mark=0x${m.toString(16)}`), `out=${out}`, ...replay].join(',');
}

/** Parses a K line's fields (after the letter): six counts per region. */
function parseCacheLine(fields: string[]): CacheEvents {
  const n = fields.map(Number);
  const events: CacheEvents = [];
  for (let k = 0; k + 6 <= n.length; k += 6) {
    const [fetches, fetchMisses, reads, readMisses, writes, writeMisses] = n.slice(k, k + 6) as [number, number, number, number, number, number];
    events.push({ fetches, fetchMisses, reads, readMisses, writes, writeMisses });
  }
  return events;
}

/** Parses an A line's fields (after the letter): fetches, hits, jumps, the sequential histogram, reads, read hits, read misses. */
function parseArtLine(fields: string[]): ArtFetchEvents {
  const [fetches, hits, jumps, sequential, dataReads, dataHits, dataMisses] = fields as [string, string, string, string, string, string, string];
  return {
    fetches: Number(fetches),
    hits: Number(hits),
    jumps: Number(jumps),
    sequential: sequential.split(',').map(Number),
    dataReads: Number(dataReads),
    dataHits: Number(dataHits),
    dataMisses: Number(dataMisses),
  };
}

/** Reads the plugin's output file into segments (per instruction address). */
export function readPluginTrace(path: string): Trace {
  if (!existsSync(path)) throw new TinyforgeError(`${path}: the QEMU timing plugin wrote no trace`);
  const text = readFileSync(path, 'utf8');
  const blocks = new Map<number, { address: number; bytes: Uint8Array }[]>();
  const bytes = new Map<number, Uint8Array>();
  const segments: TraceSegment[] = [];
  let current: TraceSegment | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('T ')) {
      const fields = line.split(' ');
      const id = Number(fields[1]);
      const insns = fields.slice(2).map((f) => {
        const [a, hex] = f.split(':');
        // a line cut short: QEMU stopped before the plugin finished writing its trace
        if (a === undefined || hex === undefined || !/^([0-9a-f]{2})+$/i.test(hex)) {
          throw new TinyforgeError(`${path}: the QEMU timing plugin's trace is cut short (block ${fields[1]}); the emulator stopped before it was written`);
        }
        const b = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
        const address = Number(a);
        bytes.set(address, b);
        return { address, bytes: b };
      });
      blocks.set(id, insns);
    } else if (line.startsWith('S ')) {
      current = { opener: Number(line.slice(2)), counts: new Map(), referenceCycles: null };
      segments.push(current);
    } else if (line.startsWith('A ') && current) {
      current.art = parseArtLine(line.split(' ').slice(1));
    } else if (line.startsWith('K ') && current) {
      current.caches = parseCacheLine(line.split(' ').slice(1));
    } else if (line.startsWith('C ') && current) {
      const [, id, executed, taken] = line.split(' ').map(Number) as [number, number, number, number];
      const insns = blocks.get(id);
      if (!insns) continue;
      insns.forEach((insn, k) => {
        const entry = current!.counts.get(insn.address) ?? { executed: 0, taken: 0 };
        entry.executed += executed;
        if (k === insns.length - 1) entry.taken += taken;
        current!.counts.set(insn.address, entry);
      });
    }
  }
  return {
    segments,
    bytesAt: (address) => bytes.get(address) ?? new Uint8Array([0, 0]),
  };
}

/** The few things of rp2040js's core the tracer touches. */
export interface TracedCore {
  PC: number;
  cycles: number;
}

/** The RP2040's code regions, as slots of one index (a halfword each): XIP flash, SRAM, boot ROM. */
const REGIONS: { base: number; bytes: number }[] = [
  { base: 0x10000000, bytes: 0x200000 },
  { base: 0x20000000, bytes: 0x42000 },
  { base: 0x00000000, bytes: 0x4000 },
];
const SLOTS = REGIONS.reduce((n, r) => n + r.bytes / 2, 0);

function slotOf(pc: number): number {
  let offset = 0;
  for (const r of REGIONS) {
    if (pc >= r.base && pc < r.base + r.bytes) return offset + ((pc - r.base) >>> 1);
    offset += r.bytes / 2;
  }
  return -1;
}

function addressOf(slot: number): number {
  for (const r of REGIONS) {
    if (slot < r.bytes / 2) return r.base + slot * 2;
    slot -= r.bytes / 2;
  }
  return -1;
}

/**
 * Counts every instruction rp2040js executes, per segment between marks, with rp2040js's own cycles
 * over each segment: the reference the Cortex-M0+ table is checked against. Counts are kept in
 * arrays indexed by address (a Map per instruction would slow the emulation several times over).
 */
export class Rp2040Tracer {
  private readonly isMark = new Uint8Array(SLOTS);
  private readonly executed = new Float64Array(SLOTS);
  private readonly taken = new Float64Array(SLOTS);
  /** instruction sizes seen (0: not yet) */
  private readonly sizes = new Uint8Array(SLOTS);
  private touched: number[] = [];
  private readonly segments: TraceSegment[] = [];
  private opener: number | null = null;
  private openedAtCycles = 0;
  private last = -1;
  private lastNext = 0;
  private readHalfword: (address: number) => number = () => 0;

  /** `caches`: the board's caches replayed over the run (the Pico's XIP cache) */
  constructor(
    marks: number[],
    private readonly caches: CacheReplayer | null = null,
  ) {
    for (const m of marks) {
      const slot = slotOf(m);
      if (slot >= 0) this.isMark[slot] = 1;
    }
  }

  /** Gives the tracer the emulated memory to read instructions from (when the emulation starts). */
  bind(readHalfword: (address: number) => number): void {
    this.readHalfword = readHalfword;
  }

  /** Call before each instruction with its pc and the core's cycle count so far. */
  before(pc: number, cycles: number): void {
    if (this.last >= 0 && pc !== this.lastNext) this.taken[this.last] = this.taken[this.last]! + 1;
    const slot = slotOf(pc);
    if (slot < 0) {
      this.last = -1;
      return; // code outside the known regions is not priced (never in an inference)
    }
    if (this.isMark[slot]) {
      this.close(cycles);
      this.opener = pc;
      this.openedAtCycles = cycles;
    }
    if (this.executed[slot] === 0 && this.taken[slot] === 0) this.touched.push(slot);
    this.executed[slot] = this.executed[slot]! + 1;
    let size = this.sizes[slot]!;
    if (size === 0) {
      const hw = this.readHalfword(pc);
      size = hw >>> 11 === 0b11101 || hw >>> 11 === 0b11110 || hw >>> 11 === 0b11111 ? 4 : 2;
      this.sizes[slot] = size;
    }
    this.caches?.fetch(pc, size);
    this.last = slot;
    this.lastNext = pc + size;
  }

  /** Whether the tracer replays caches and needs every data access (`access`). */
  get replaysCaches(): boolean {
    return this.caches !== null;
  }

  /** A data access by the instruction running (not its fetch). */
  access(address: number, write: boolean): void {
    this.caches?.access(address, write);
  }

  /** Ends the open segment (at a mark, and at the end of the run). */
  close(cycles: number): void {
    const counts = new Map<number, { executed: number; taken: number }>();
    for (const slot of this.touched) {
      if (this.opener !== null) counts.set(addressOf(slot), { executed: this.executed[slot]!, taken: this.taken[slot]! });
      this.executed[slot] = 0;
      this.taken[slot] = 0;
    }
    this.touched = [];
    const caches = this.caches?.take();
    if (this.opener !== null) this.segments.push({ opener: this.opener, counts, referenceCycles: cycles - this.openedAtCycles, ...(caches ? { caches } : {}) });
    this.last = -1;
    this.opener = null;
  }

  trace(): Trace {
    return {
      segments: this.segments,
      bytesAt: (address) => {
        const hw = this.readHalfword(address);
        const wide = hw >>> 11 === 0b11101 || hw >>> 11 === 0b11110 || hw >>> 11 === 0b11111;
        const b = [hw & 0xff, hw >>> 8];
        if (wide) {
          const hw2 = this.readHalfword(address + 2);
          b.push(hw2 & 0xff, hw2 >>> 8);
        }
        return Uint8Array.from(b);
      },
    };
  }
}
