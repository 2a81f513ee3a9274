// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type CacheEvents,
  CacheReplayer,
  LruCache,
  NO_EVENTS,
  cacheStalls,
  flashLineFillCycles,
  sumCacheEvents,
} from '../../src/lab/estimate/timing/caches.ts';
import { pluginArgument, readPluginTrace } from '../../src/lab/estimate/timing/trace.ts';
import { estimateBoard } from '../../src/lab/estimate/timing/index.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import type { BoardCaches } from '../../src/core/targets/targets.ts';
import { requireTools } from '../build/helpers.ts';

const M7: BoardCaches = {
  what: 'test',
  instruction: { sets: 256, ways: 2, lineBytes: 32 },
  data: { sets: 128, ways: 4, lineBytes: 32, writeAllocate: true },
  flashLineFill: { flashWordBytes: 16, busCycles: 3 },
  ramLineFill: { cycles: 7 },
  assumed: '',
  source: { document: 'd', section: 's' },
};
const SHARED: BoardCaches = { ...M7, data: undefined, instruction: { sets: 4, ways: 2, lineBytes: 16 }, ramLineFill: undefined };

/** A deterministic stream of fetches and data accesses over two regions and outside them. */
function stream(n: number): { kind: 'fetch' | 'read' | 'write'; address: number; size: number }[] {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) >>> 0);
  const out: { kind: 'fetch' | 'read' | 'write'; address: number; size: number }[] = [];
  let pc = 0x100;
  for (let i = 0; i < n; i++) {
    const r = next() % 100;
    if (r < 60) {
      pc = r < 50 ? pc + 2 : 0x100 + (next() % 4096 & ~1);
      out.push({ kind: 'fetch', address: pc, size: r % 3 === 0 ? 4 : 2 });
    } else if (r < 85) out.push({ kind: 'read', address: (r < 75 ? 0x2000 : 0x20001000) + (next() % 40000), size: 4 });
    else out.push({ kind: 'write', address: (r < 97 ? 0x20001000 : 0x30000000) + (next() % 30000), size: 4 });
  }
  return out;
}

describe('estimate/timing: caches replayed from the trace', () => {
  it('keeps a set-associative cache least recently used', () => {
    const c = new LruCache({ sets: 2, ways: 2, lineBytes: 16 });
    // lines 0, 2, 4 map to set 0: the third evicts the least recently used
    expect([c.lookup(0), c.lookup(2), c.lookup(0), c.lookup(4), c.lookup(0), c.lookup(2)]).to.deep.equal([false, false, true, false, true, false]);
    expect(c.lookup(1)).to.equal(false); // set 1 is its own
    expect([c.lookup(5), c.lookup(5)]).to.deep.equal([false, true]); // a miss fills the line
    expect(c.lineOf(0x35)).to.equal(3);
  });

  it('counts fetches per line change, data reads and write-allocating writes per region', () => {
    const r = new CacheReplayer(M7, [
      { origin: 0, bytes: 0x1000 },
      { origin: 0x20000000, bytes: 0x1000 },
    ]);
    r.fetch(0x0, 2);
    r.fetch(0x2, 2);
    r.fetch(0x1e, 4); // straddles into the next line
    r.access(0x400, false);
    r.access(0x404, false);
    r.access(0x20000000, true);
    r.access(0x20000004, false);
    r.access(0x50000000, false); // outside the regions: not counted
    expect(r.take()).to.deep.equal([
      { fetches: 2, fetchMisses: 2, reads: 2, readMisses: 1, writes: 0, writeMisses: 0 },
      { fetches: 0, fetchMisses: 0, reads: 1, readMisses: 0, writes: 1, writeMisses: 1 },
    ]);
    expect(r.take()).to.deep.equal([NO_EVENTS, NO_EVENTS]);
  });

  it('prices a miss as one line fill: flash words at the wait states plus the bus, or a fixed count, or the RAM fill', () => {
    expect(flashLineFillCycles(M7, 6, 32)).to.equal(2 * 7 + 3);
    expect(flashLineFillCycles({ ...M7, flashLineFill: { cycles: 386 } }, 6, 8)).to.equal(386);
    const events: CacheEvents = [
      { fetches: 10, fetchMisses: 2, reads: 5, readMisses: 1, writes: 0, writeMisses: 0 },
      { fetches: 0, fetchMisses: 0, reads: 9, readMisses: 3, writes: 4, writeMisses: 1 },
    ];
    expect(cacheStalls(events, M7, 6)).to.equal(3 * 17 + 4 * 7);
    expect(cacheStalls(events, { ...M7, ramLineFill: undefined }, 6)).to.equal(3 * 17);
    expect(sumCacheEvents([events, events])[1]!.readMisses).to.equal(6);
  });

  it('asks the plugin for the replay and reads its events per segment', () => {
    const regions = [
      { origin: 0, bytes: 0x400000 },
      { origin: 0x20010000, bytes: 0x3f0000 },
    ];
    expect(pluginArgument('/p.so', [0x100], '/t', undefined, { caches: M7, regions })).to.equal(
      '/p.so,mark=0x100,out=/t,icache=256:2:32,dcache=128:4:32:1,region=0x0:0x400000,region=0x20010000:0x20400000',
    );
    expect(pluginArgument('/p.so', [0x100], '/t', undefined, { caches: SHARED, regions: regions.slice(0, 1) })).to.equal(
      '/p.so,mark=0x100,out=/t,icache=4:2:16,region=0x0:0x400000',
    );
    const dir = mkdtempSync(join(tmpdir(), 'tf-caches-'));
    try {
      const file = join(dir, 'trace.txt');
      writeFileSync(file, ['T 0 0x100:0068', 'S 0x100', 'C 0 3 3', 'K 1 2 3 4 5 6 7 8 9 10 11 12', ''].join('\n'));
      expect(readPluginTrace(file).segments[0]!.caches).to.deep.equal([
        { fetches: 1, fetchMisses: 2, reads: 3, readMisses: 4, writes: 5, writeMisses: 6 },
        { fetches: 7, fetchMisses: 8, reads: 9, readMisses: 10, writes: 11, writeMisses: 12 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * The QEMU plugin's replay and the RP2040 tracer's are two implementations of one model: the
   * plugin's C, driven directly by a host program with the same stream, must count what
   * CacheReplayer counts.
   */
  for (const [name, caches, regions] of [
    [
      'separate caches, write-allocate, two regions',
      M7,
      [
        [0, 0x10000],
        [0x20001000, 0x100000],
      ],
    ],
    ['one cache for fetches and data', SHARED, [[0, 0x10000]]],
  ] as [string, BoardCaches, [number, number][]][]) {
    it(`counts as the QEMU plugin counts: ${name}`, function () {
      requireTools(this, ['cc']);
      const dir = mkdtempSync(join(tmpdir(), 'tf-caches-'));
      try {
        const events = stream(8000);
        const arg = pluginArgument('x', [0x1], join(dir, 'out.txt'), undefined, {
          caches,
          regions: regions.map(([origin, bytes]) => ({ origin, bytes })),
        })
          .split(',')
          .slice(1);
        const feed = events
          .map((e) =>
            e.kind === 'fetch'
              ? `  on_insn_exec(0, (void *)(uintptr_t)((${e.address}ull << 3) | ${e.size}));`
              : `  on_mem(0, ${e.kind === 'write' ? '2u << 16' : '0'}, ${e.address}u, NULL);`,
          )
          .join('\n');
        const plugin = resolve(import.meta.dirname, '..', '..', 'firmware', 'qemu-plugin', 'insn_timing.c');
        writeFileSync(
          join(dir, 'driver.c'),
          `#include "${plugin}"
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb) { (void)id; (void)cb; }
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *u) { (void)id; (void)cb; (void)u; }
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags f, void *u) { (void)tb; (void)cb; (void)f; (void)u; }
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *i, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags f, void *u) { (void)i; (void)cb; (void)f; (void)u; }
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *i, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags f, enum qemu_plugin_mem_rw rw, void *u) { (void)i; (void)cb; (void)f; (void)rw; (void)u; }
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb) { (void)tb; return 0; }
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb) { (void)tb; return 0; }
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t i) { (void)tb; (void)i; return NULL; }
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *i) { (void)i; return 0; }
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *i) { (void)i; return 0; }
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *i) { (void)i; return NULL; }
int main(void) {
  char *argv[] = {${arg.map((a) => JSON.stringify(a)).join(', ')}};
  if (qemu_plugin_install(0, NULL, ${arg.length}, argv)) return 1;
  open_mark = 1;
${feed}
  at_exit(0, NULL);
  return 0;
}
`,
        );
        execFileSync('cc', ['-O0', '-o', join(dir, 'driver'), join(dir, 'driver.c')], { stdio: 'pipe' });
        execFileSync(join(dir, 'driver'));
        const line = readFileSync(join(dir, 'out.txt'), 'utf8')
          .split('\n')
          .find((l) => l.startsWith('K '))!;
        const replayer = new CacheReplayer(
          caches,
          regions.map(([origin, bytes]) => ({ origin, bytes })),
        );
        for (const e of events) {
          if (e.kind === 'fetch') replayer.fetch(e.address, e.size);
          else replayer.access(e.address, e.kind === 'write');
        }
        const expected = replayer.take();
        expect(line.split(' ').slice(1).map(Number)).to.deep.equal(
          expected.flatMap((r) => [r.fetches, r.fetchMisses, r.reads, r.readMisses, r.writes, r.writeMisses]),
        );
        expect(expected[0]!.readMisses).to.be.greaterThan(0);
        expect(expected[0]!.fetchMisses).to.be.greaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('replays the caches of the H7A3, the U575 and the Pico, and says so in the basis', () => {
    for (const [targetName, boardName, emulated] of [
      ['cortex-m7', 'nucleo-h7a3zi-q', 'qemu-mps2-an500'],
      ['cortex-m33', 'nucleo-u575zi-q', 'qemu-mps2-an505'],
      ['rp2040', 'pico', 'rp2040js'],
    ] as const) {
      const target = loadTarget(targetName);
      const board = target.boards.find((b) => b.name === boardName)!;
      const runOn = target.boards.find((b) => b.name === emulated)!;
      const estimate = estimateBoard(target, runOn, board);
      expect(estimate.caches, boardName).to.equal(board.hardware!.caches);
      expect(estimate.note).to.match(/replayed in program order, a miss \d+ cycles from flash/);
      expect(estimateBoard(target, runOn, board, 'off').caches).to.equal(undefined);
    }
  });
});
