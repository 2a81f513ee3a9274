/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A QEMU TCG plugin that records which guest instructions run, and how often, between marks: the
 * input of tinyforge's per-core timing model (src/lab/estimate/timing/). Counting is per translation
 * block (one callback per block executed, not per instruction): every instruction of a block runs
 * as often as the block. A block whose successor does not start at its fall-through address ended
 * in a taken branch (or an exception); that is counted per block too.
 *
 *   qemu-system-arm ... -plugin libinsn_timing.so,mark=0x1234,mark=0x5678,out=/tmp/trace
 *
 * A mark is an address where a new segment starts (function entries and call return points: always
 * the first instruction of a block). The file `out` gets, as translation happens and at each mark:
 *
 *   T <block id> <address>:<instruction bytes in hex, guest byte order> ...   one line per block translated
 *   S <mark address>                                                          a segment closes, opened at that mark
 *   C <block id> <executions> <taken exits>                                   one line per block the segment ran
 *   W <block id> <address>                                                    a mark inside a block (not at its start)
 *   A <fetches> <hits> <jumps> <h0,h1,...,h15> <reads> <read hits> <read misses>   after a segment's C lines, with `art`
 *   K <fetches> <fetch misses> <reads> <read misses> <writes> <write misses> ...    after a segment's C lines, with `icache`: per region
 *
 * With `art=I:D,flash=LO:HI` it also replays, per instruction and in program order, the fetches
 * from and the data reads of the flash range [LO, HI) through a model of ST's ART accelerator
 * (STM32L4/L4+: a 64-bit flash read port, an instruction cache of I lines and a data cache of D
 * lines of 4 x 64 bits, fully associative, least recently used, each 64-bit word filled when first
 * read), and writes each segment's events on its A line: 64-bit words fetched (each change of the
 * word the core executes from), of them found in the instruction cache, misses on a word other than
 * the next one (jumps), misses on the next word by how many instructions ran from the word before it
 * (the last bin: that many or more; the prefetch hides that much of the read), then the data reads
 * of the range, their hits and misses in the data cache. src/lab/estimate/timing/art.ts prices them.
 *
 * With `icache=SETS:WAYS:LINE[,dcache=SETS:WAYS:LINE:WA],region=LO:HI[,region=LO:HI...]` (up to 8) it replays
 * set-associative caches (least recently used out, whole lines filled on a miss): the instruction
 * fetches of each region through the instruction cache (a lookup each time the line the core executes
 * from changes) and its data accesses through the data cache, or through the instruction cache where
 * no `dcache` is given (a cache on a code bus that carries both); a write looks the line up only
 * where WA is 1 (write-allocate). Each segment's K line gives, per region in the order given: lines
 * fetched and their misses, data reads and their misses, writes and those that allocated.
 * src/lab/estimate/timing/caches.ts prices them.
 *
 * Debian's QEMU 7.2 loads plugins but ships no <qemu-plugin.h>: the few API functions used here are
 * declared below as that version's plugin API (QEMU_PLUGIN_VERSION 1) defines them. Built with
 * -DTF_PLUGIN_API=3 it declares API version 3 instead, which QEMU 9.x requires (its minimum is 2),
 * where qemu_plugin_insn_data copies an instruction's bytes into a buffer rather than returning them
 * (Espressif's QEMU 9.2 for the ESP32 machines); src/lab/estimate/timing/trace.ts picks the version
 * from the emulator's own.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags,
                                                 void *userdata);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                             enum qemu_plugin_mem_rw rw, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

#ifndef TF_PLUGIN_API
#define TF_PLUGIN_API 1
#endif
#if TF_PLUGIN_API >= 3
extern size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);
#else
extern const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
#endif

__attribute__((visibility("default"))) int qemu_plugin_version = TF_PLUGIN_API;

#define MAX_MARKS 4096

struct block {
  uint64_t id;
  uint64_t fall_through; /* the address after its last instruction */
  uint64_t executions;   /* in the open segment */
  uint64_t taken;        /* exits not to fall_through, in the open segment */
  struct block *next_touched;
  int touched;
  int mark; /* the block starts at a mark */
};

static uint64_t marks[MAX_MARKS];
static size_t mark_count;
static FILE *out;
static uint64_t next_id;
/*
 * Only the first core is counted. The ESP32 and ESP32-S3 machines have a second one (the app CPU),
 * which runs from reset in the ROM in a thread of its own while the first runs the model: its blocks
 * would land in whatever segment is open, as many as host time lets it run. Its thread still
 * translates blocks, so translation and every write to `out` hold this lock (the lines of two threads
 * would interleave).
 */
#define COUNTED_VCPU 0
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *previous;
static struct block *touched;
static uint64_t open_mark = UINT64_MAX;

/* The ART model (with `art=`): caches of 64-bit flash words in lines of four. */
#define ART_MAX_LINES 256
#define ART_HIST 16

struct art_cache {
  int lines;
  uint64_t tag[ART_MAX_LINES];  /* line address (32 bytes) + 1; 0 = empty */
  uint8_t valid[ART_MAX_LINES]; /* one bit per 64-bit word */
  uint64_t used[ART_MAX_LINES];
  uint64_t clock;
};

static int art_on;
static struct art_cache icache, dcache;
static uint64_t flash_lo, flash_hi;
static uint64_t art_fetches, art_ihit, art_jump, art_seq[ART_HIST], art_reads, art_dhit, art_dmiss;
static uint64_t current_word = UINT64_MAX, ran_from_word;

/* Looks a 64-bit word up; fills it (allocating its line, the least recently used out) when absent. 1 = hit. */
static int art_lookup(struct art_cache *c, uint64_t address) {
  const uint64_t tag = (address >> 5) + 1;
  const uint8_t bit = (uint8_t)(1u << ((address >> 3) & 3));
  int victim = 0;
  c->clock++;
  for (int i = 0; i < c->lines; i++) {
    if (c->tag[i] == tag) {
      c->used[i] = c->clock;
      if (c->valid[i] & bit) return 1;
      c->valid[i] |= bit;
      return 0;
    }
    if (c->used[i] < c->used[victim]) victim = i;
  }
  c->tag[victim] = tag;
  c->valid[victim] = bit;
  c->used[victim] = c->clock;
  return 0;
}

static void art_fetch_word(uint64_t word) {
  if (word == current_word) return;
  const int sequential = current_word != UINT64_MAX && word == current_word + 8;
  art_fetches++;
  if (art_lookup(&icache, word))
    art_ihit++;
  else if (sequential)
    art_seq[ran_from_word < ART_HIST ? ran_from_word : ART_HIST - 1]++;
  else
    art_jump++;
  current_word = word;
  ran_from_word = 0;
}

/* The set-associative caches (with `icache=`). */
#define CACHE_MAX_WAYS 8
#define CACHE_MAX_REGIONS 8

struct set_cache {
  uint64_t sets, ways, line;
  int write_allocate;
  uint64_t *tag; /* line number + 1; 0 = empty */
  uint64_t *used;
  uint64_t clock;
};

struct region_events {
  uint64_t fetches, fetch_misses, reads, read_misses, writes, write_misses;
};

static int caches_on;
static struct set_cache l1i, l1d;
static struct set_cache *data_cache; /* &l1d, or &l1i where the data go through the instruction cache */
static uint64_t region_lo[CACHE_MAX_REGIONS], region_hi[CACHE_MAX_REGIONS];
static int region_count;
static struct region_events region_events[CACHE_MAX_REGIONS];
static uint64_t current_line = UINT64_MAX;

static int parse_cache(const char *spec, struct set_cache *c, int with_write_allocate) {
  char *end;
  c->sets = strtoull(spec, &end, 0);
  if (*end != ':') return -1;
  c->ways = strtoull(end + 1, &end, 0);
  if (*end != ':') return -1;
  c->line = strtoull(end + 1, &end, 0);
  if (with_write_allocate) {
    if (*end != ':') return -1;
    c->write_allocate = (int)strtol(end + 1, &end, 0);
  }
  if (*end != 0 || c->sets < 1 || c->ways < 1 || c->ways > CACHE_MAX_WAYS || c->line < 4 || (c->line & (c->line - 1))) return -1;
  c->tag = calloc(c->sets * c->ways, sizeof *c->tag);
  c->used = calloc(c->sets * c->ways, sizeof *c->used);
  return c->tag && c->used ? 0 : -1;
}

/* Looks the line of `address` up; fills it (the least recently used way out) when absent. 1 = hit. */
static int cache_lookup(struct set_cache *c, uint64_t address) {
  const uint64_t line = address / c->line;
  uint64_t *tag = c->tag + (line % c->sets) * c->ways, *used = c->used + (line % c->sets) * c->ways;
  uint64_t victim = 0;
  c->clock++;
  for (uint64_t w = 0; w < c->ways; w++) {
    if (tag[w] == line + 1) {
      used[w] = c->clock;
      return 1;
    }
    if (used[w] < used[victim]) victim = w;
  }
  tag[victim] = line + 1;
  used[victim] = c->clock;
  return 0;
}

static int region_of(uint64_t address) {
  for (int r = 0; r < region_count; r++)
    if (address >= region_lo[r] && address < region_hi[r]) return r;
  return -1;
}

static void cache_fetch(uint64_t address) {
  const uint64_t line = address / l1i.line;
  if (line == current_line) return;
  current_line = line;
  const int r = region_of(address);
  if (r < 0) return;
  region_events[r].fetches++;
  if (!cache_lookup(&l1i, address)) region_events[r].fetch_misses++;
}

static void cache_access(uint64_t address, int write) {
  const int r = region_of(address);
  if (r < 0) return;
  struct region_events *e = &region_events[r];
  if (write) {
    e->writes++;
    if (data_cache->write_allocate && !cache_lookup(data_cache, address)) e->write_misses++;
  } else {
    e->reads++;
    if (!cache_lookup(data_cache, address)) e->read_misses++;
  }
}

/* Writes the open segment's cache events and starts the next segment's (the caches keep their state). */
static void caches_close_segment(int write) {
  if (write) {
    fprintf(out, "K");
    for (int r = 0; r < region_count; r++) {
      const struct region_events *e = &region_events[r];
      fprintf(out, " %llu %llu %llu %llu %llu %llu", (unsigned long long)e->fetches, (unsigned long long)e->fetch_misses,
              (unsigned long long)e->reads, (unsigned long long)e->read_misses, (unsigned long long)e->writes,
              (unsigned long long)e->write_misses);
    }
    fprintf(out, "\n");
  }
  memset(region_events, 0, sizeof region_events);
}

/* Executed before every instruction (with `art` or `icache`): the userdata packs its address and size. */
static void on_insn_exec(unsigned int vcpu, void *userdata) {
  if (vcpu != COUNTED_VCPU) return;
  const uint64_t packed = (uint64_t)(uintptr_t)userdata;
  const uint64_t address = packed >> 3, size = packed & 7;
  if (caches_on) {
    cache_fetch(address);
    if (size > 1) cache_fetch(address + size - 1);
  }
  if (!art_on || address < flash_lo || address >= flash_hi) return;
  art_fetch_word(address & ~7ull);
  if (((address + size - 1) & ~7ull) != (address & ~7ull)) art_fetch_word((address + size - 1) & ~7ull);
  ran_from_word++;
}

/* Every memory access (with `art` or `icache`): the reads of the flash range go through the data cache. */
static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  if (vcpu != COUNTED_VCPU) return;
  (void)userdata;
  /* QEMU 7.2's meminfo: the access's MemOpIdx, its direction above bit 16 */
  const int write = ((info >> 16) & QEMU_PLUGIN_MEM_W) != 0;
  if (caches_on) cache_access(vaddr, write);
  if (!art_on || write || vaddr < flash_lo || vaddr >= flash_hi) return;
  art_reads++;
  if (art_lookup(&dcache, vaddr & ~7ull))
    art_dhit++;
  else
    art_dmiss++;
}

/* Writes the open segment's ART events and starts the next segment's (the caches keep their state). */
static void art_close_segment(int write) {
  if (write) {
    fprintf(out, "A %llu %llu %llu ", (unsigned long long)art_fetches, (unsigned long long)art_ihit, (unsigned long long)art_jump);
    for (int i = 0; i < ART_HIST; i++) fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)art_seq[i]);
    fprintf(out, " %llu %llu %llu\n", (unsigned long long)art_reads, (unsigned long long)art_dhit, (unsigned long long)art_dmiss);
  }
  art_fetches = art_ihit = art_jump = art_reads = art_dhit = art_dmiss = 0;
  memset(art_seq, 0, sizeof art_seq);
}

static int is_mark(uint64_t address) {
  for (size_t i = 0; i < mark_count; i++)
    if (marks[i] == address) return 1;
  return 0;
}

static void touch(struct block *b) {
  if (b->touched) return;
  b->touched = 1;
  b->next_touched = touched;
  touched = b;
}

static void close_segment(void) {
  if (open_mark != UINT64_MAX) fprintf(out, "S 0x%llx\n", (unsigned long long)open_mark);
  for (struct block *b = touched; b;) {
    struct block *next = b->next_touched;
    if (open_mark != UINT64_MAX)
      fprintf(out, "C %llu %llu %llu\n", (unsigned long long)b->id, (unsigned long long)b->executions, (unsigned long long)b->taken);
    b->executions = 0;
    b->taken = 0;
    b->touched = 0;
    b->next_touched = NULL;
    b = next;
  }
  touched = NULL;
  if (art_on) art_close_segment(open_mark != UINT64_MAX);
  if (caches_on) caches_close_segment(open_mark != UINT64_MAX);
}

/* A block and its address (the taken test compares the next block's address with a fall-through). */
struct block_with_address {
  struct block b;
  uint64_t address;
};

/* Executed before every guest block: the userdata is its struct block_with_address. */
static void on_block_exec(unsigned int vcpu, void *userdata) {
  if (vcpu != COUNTED_VCPU) return;
  struct block_with_address *bw = userdata;
  if (previous && previous->fall_through != bw->address) {
    previous->taken++;
    touch(previous);
  }
  if (bw->b.mark) {
    pthread_mutex_lock(&out_lock);
    if (out) close_segment();
    pthread_mutex_unlock(&out_lock);
    open_mark = bw->address;
  }
  bw->b.executions++;
  touch(&bw->b);
  previous = &bw->b;
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  if (n == 0) return;
  struct block_with_address *bw = calloc(1, sizeof *bw);
  if (!bw) return;
  pthread_mutex_lock(&out_lock);
  if (!out) {
    pthread_mutex_unlock(&out_lock);
    free(bw);
    return;
  }
  bw->b.id = next_id++;
  bw->address = qemu_plugin_tb_vaddr(tb);
  bw->b.mark = is_mark(bw->address);
  uint64_t inner_mark = UINT64_MAX;
  fprintf(out, "T %llu", (unsigned long long)bw->b.id);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    const size_t size = qemu_plugin_insn_size(insn);
#if TF_PLUGIN_API >= 3
    uint8_t data[16] = {0};
    qemu_plugin_insn_data(insn, data, sizeof data);
#else
    const uint8_t *data = qemu_plugin_insn_data(insn);
#endif
    fprintf(out, " 0x%llx:", (unsigned long long)address);
    for (size_t k = 0; k < size && k < 16; k++) fprintf(out, "%02x", data[k]);
    if (i > 0 && is_mark(address)) inner_mark = address;
    if (i + 1 == n) bw->b.fall_through = address + size;
    if (art_on || caches_on) {
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)((address << 3) | (size & 7)));
      qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
  }
  fprintf(out, "\n");
  if (inner_mark != UINT64_MAX) fprintf(out, "W %llu 0x%llx\n", (unsigned long long)bw->b.id, (unsigned long long)inner_mark);
  pthread_mutex_unlock(&out_lock);
  qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block_exec, QEMU_PLUGIN_CB_NO_REGS, bw);
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  pthread_mutex_lock(&out_lock);
  if (out) {
    close_segment();
    fclose(out);
    out = NULL;
  }
  pthread_mutex_unlock(&out_lock);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "mark=", 5) == 0 && mark_count < MAX_MARKS)
      marks[mark_count++] = strtoull(arg + 5, NULL, 0);
    else if (strncmp(arg, "out=", 4) == 0)
      path = arg + 4;
    else if (strncmp(arg, "art=", 4) == 0) {
      char *colon;
      icache.lines = (int)strtol(arg + 4, &colon, 0);
      if (*colon != ':') return -1;
      dcache.lines = (int)strtol(colon + 1, NULL, 0);
      art_on = 1;
    } else if (strncmp(arg, "icache=", 7) == 0) {
      if (parse_cache(arg + 7, &l1i, 0)) return -1;
      caches_on = 1;
    } else if (strncmp(arg, "dcache=", 7) == 0) {
      if (parse_cache(arg + 7, &l1d, 1)) return -1;
      data_cache = &l1d;
    } else if (strncmp(arg, "region=", 7) == 0) {
      char *colon;
      if (region_count == CACHE_MAX_REGIONS) return -1;
      region_lo[region_count] = strtoull(arg + 7, &colon, 0);
      if (*colon != ':') return -1;
      region_hi[region_count] = strtoull(colon + 1, NULL, 0);
      if (region_hi[region_count] <= region_lo[region_count]) return -1;
      region_count++;
    } else if (strncmp(arg, "flash=", 6) == 0) {
      char *colon;
      flash_lo = strtoull(arg + 6, &colon, 0);
      if (*colon != ':') return -1;
      flash_hi = strtoull(colon + 1, NULL, 0);
    } else
      return -1;
  }
  if (!path || mark_count == 0) return -1;
  if (art_on &&
      (icache.lines < 1 || icache.lines > ART_MAX_LINES || dcache.lines < 1 || dcache.lines > ART_MAX_LINES || flash_hi <= flash_lo))
    return -1;
  if (caches_on && region_count == 0) return -1;
  if (caches_on && !data_cache) data_cache = &l1i;
  out = fopen(path, "w");
  if (!out) return -1;
  setvbuf(out, NULL, _IOFBF, 1 << 20);
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
