/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A QEMU TCG plugin that counts the guest instructions executed between two points: from the first
 * instruction at `start` (the entry of the model's invoke function) to the next instruction at any
 * `stop` address (the return points of the calls to it), once per visit. Every window's count is
 * written, one per line, to the file `out` when QEMU exits.
 *
 *   qemu-system-arm ... -plugin libinsn_window.so,start=0x1234,stop=0x5678,stop=0x9abc,out=/tmp/counts
 *
 * Debian's QEMU 7.2 loads plugins but ships no <qemu-plugin.h>: the few API functions used here are
 * declared below as that version's plugin API (QEMU_PLUGIN_VERSION 1) defines them.
 */
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
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                                   enum qemu_plugin_cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_STOPS 16
#define MAX_WINDOWS 4096

static uint64_t start_address = UINT64_MAX;
static uint64_t stop_addresses[MAX_STOPS];
static size_t stop_count;
static char out_path[4096];

static int counting;
static uint64_t window;
static uint64_t windows[MAX_WINDOWS];
static size_t window_count;

static int is_stop(uint64_t address) {
  for (size_t i = 0; i < stop_count; i++)
    if (stop_addresses[i] == address) return 1;
  return 0;
}

/* Executed before every guest instruction: the userdata is its address tag (see tb_translated). */
static void on_insn(unsigned int vcpu, void *userdata) {
  (void)vcpu;
  const uintptr_t tag = (uintptr_t)userdata;
  if (tag & 2u) { /* a stop: close the window before counting this instruction */
    if (counting) {
      if (window_count < MAX_WINDOWS) windows[window_count++] = window;
      counting = 0;
    }
  }
  if ((tag & 1u) && !counting) { /* the start */
    counting = 1;
    window = 0;
  }
  if (counting) window++;
}

static void tb_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    const uint64_t address = qemu_plugin_insn_vaddr(insn);
    const uintptr_t tag = (address == start_address ? 1u : 0u) | (is_stop(address) ? 2u : 0u);
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, (void *)tag);
  }
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  FILE *f = fopen(out_path, "w");
  if (!f) return;
  for (size_t i = 0; i < window_count; i++) fprintf(f, "%llu\n", (unsigned long long)windows[i]);
  fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "start=", 6) == 0)
      start_address = strtoull(arg + 6, NULL, 0);
    else if (strncmp(arg, "stop=", 5) == 0 && stop_count < MAX_STOPS)
      stop_addresses[stop_count++] = strtoull(arg + 5, NULL, 0);
    else if (strncmp(arg, "out=", 4) == 0)
      snprintf(out_path, sizeof out_path, "%s", arg + 4);
    else
      return -1;
  }
  if (start_address == UINT64_MAX || stop_count == 0 || out_path[0] == '\0') return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_translated);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
