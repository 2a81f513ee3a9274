/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A QEMU TCG plugin that replays the executed instruction fetches and the data reads of a flash range
 * through a model of ST's ART accelerator (STM32L4/L4+: a 64-bit flash read port, an instruction
 * cache, a data cache and a one-line instruction prefetch), in program order, between two marks, and
 * writes the events the timing model prices (src/lab/estimate/timing/art.ts):
 *
 *   qemu-system-arm ... -plugin libart_cache.so,begin=0x1234,end=0x5678,code=0x0:0x400000,data=0x21000000:0x21100000,out=/tmp/art
 *
 * Counting starts when the instruction at `begin` executes and stops at `end` (the first pair only).
 * `code` is the range instructions are fetched from flash; `data` (repeatable) the ranges whose reads
 * are flash data reads. Fetches and reads are tracked per 64-bit flash word. A fetch of a word not
 * in the instruction cache is either the next word after the one executing (the prefetch buffer
 * fetched it while the core executed the last one: the histogram `seq` counts how many instructions
 * ran from that word, so the stall max(0, wait states + 1 - that) is priced at any wait states), or a
 * jump to a missing word (`jump`: the wait states are paid). A data read not in the data cache is a
 * `dmiss`. Caches: fully associative, least recently used, lines of 4 x 64 bits, each word filled
 * when first read (`icache=32,dcache=8` lines by default; the L4+'s 1 KB and 256 B).
 * Output, one line: art fetches=N ihit=N jump=N seq=h0,h1,...,h15 dreads=N dhit=N dmiss=N
 *
 * Debian's QEMU 7.2 ships no <qemu-plugin.h>: the API functions used are declared below as that
 * version's plugin API (QEMU_PLUGIN_VERSION 1) defines them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);
extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags,
                                             enum qemu_plugin_mem_rw rw, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_LINES 256
#define MAX_RANGES 8
#define HIST 16

struct cache {
  int lines;
  uint64_t tag[MAX_LINES];  /* line address (32 bytes) + 1; 0 = empty */
  uint8_t valid[MAX_LINES]; /* one bit per 64-bit word */
  uint64_t used[MAX_LINES];
  uint64_t clock;
};

/* Looks a 64-bit word up; fills it (allocating its line, least recently used out) when absent. 1 = hit. */
static int lookup(struct cache *c, uint64_t address) {
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

static struct cache icache = {.lines = 32}, dcache = {.lines = 8};
static uint64_t begin_at = UINT64_MAX, end_at = UINT64_MAX, code_lo = 0, code_hi = 0x400000;
static uint64_t data_lo[MAX_RANGES], data_hi[MAX_RANGES];
static int data_ranges, active, done;
static uint64_t fetches, ihit, jump, seq[HIST], dreads, dhit, dmiss;
static uint64_t current_word = UINT64_MAX, ran_from_word;
static FILE *out;

static void fetch_word(uint64_t word) {
  if (word == current_word) return;
  const int sequential = current_word != UINT64_MAX && word == current_word + 8;
  fetches++;
  if (lookup(&icache, word))
    ihit++;
  else if (sequential)
    seq[ran_from_word < HIST ? ran_from_word : HIST - 1]++;
  else
    jump++;
  current_word = word;
  ran_from_word = 0;
}

static void on_insn(unsigned int vcpu, void *userdata) {
  (void)vcpu;
  const uint64_t packed = (uint64_t)(uintptr_t)userdata;
  const uint64_t address = packed >> 3, size = packed & 7;
  if (address == begin_at && !done) active = 1;
  if (address == end_at && active) {
    active = 0;
    done = 1;
  }
  if (!active || address < code_lo || address >= code_hi) return;
  fetch_word(address & ~7ull);
  if (((address + size - 1) & ~7ull) != (address & ~7ull)) fetch_word((address + size - 1) & ~7ull);
  ran_from_word++;
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu;
  (void)userdata;
  /* QEMU 7.2's meminfo: the access's MemOpIdx, and its direction above bit 16 */
  if (!active || ((info >> 16) & QEMU_PLUGIN_MEM_W)) return;
  for (int r = 0; r < data_ranges; r++)
    if (vaddr >= data_lo[r] && vaddr < data_hi[r]) {
      dreads++;
      if (lookup(&dcache, vaddr & ~7ull))
        dhit++;
      else
        dmiss++;
      return;
    }
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t packed = (qemu_plugin_insn_vaddr(insn) << 3) | (qemu_plugin_insn_size(insn) & 7);
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)packed);
    /* reads and writes, the stores dropped in on_mem: registered for reads only, QEMU 7.2 reported a
       small part of them here */
    qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
  }
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  fprintf(out, "art fetches=%llu ihit=%llu jump=%llu seq=", (unsigned long long)fetches, (unsigned long long)ihit,
          (unsigned long long)jump);
  for (int i = 0; i < HIST; i++) fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)seq[i]);
  fprintf(out, " dreads=%llu dhit=%llu dmiss=%llu\n", (unsigned long long)dreads, (unsigned long long)dhit, (unsigned long long)dmiss);
  fclose(out);
}

static int range(const char *s, uint64_t *lo, uint64_t *hi) {
  char *colon;
  *lo = strtoull(s, &colon, 0);
  if (*colon != ':') return -1;
  *hi = strtoull(colon + 1, NULL, 0);
  return 0;
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "begin=", 6) == 0)
      begin_at = strtoull(arg + 6, NULL, 0);
    else if (strncmp(arg, "end=", 4) == 0)
      end_at = strtoull(arg + 4, NULL, 0);
    else if (strncmp(arg, "code=", 5) == 0) {
      if (range(arg + 5, &code_lo, &code_hi)) return -1;
    } else if (strncmp(arg, "data=", 5) == 0 && data_ranges < MAX_RANGES) {
      if (range(arg + 5, &data_lo[data_ranges], &data_hi[data_ranges])) return -1;
      data_ranges++;
    } else if (strncmp(arg, "icache=", 7) == 0)
      icache.lines = atoi(arg + 7);
    else if (strncmp(arg, "dcache=", 7) == 0)
      dcache.lines = atoi(arg + 7);
    else if (strncmp(arg, "out=", 4) == 0)
      path = arg + 4;
    else
      return -1;
  }
  if (!path || begin_at == UINT64_MAX || end_at == UINT64_MAX || icache.lines < 1 || icache.lines > MAX_LINES || dcache.lines < 1 ||
      dcache.lines > MAX_LINES)
    return -1;
  out = fopen(path, "w");
  if (!out) return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
