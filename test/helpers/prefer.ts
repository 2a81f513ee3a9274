// SPDX-License-Identifier: Apache-2.0
/**
 * Kernel tests of the compressed weight storages (int4, palette, Huffman) run with `--prefer size`
 * as the default, where those storages win the per-layer choice: under the default `speed` the
 * faster dense kernels keep the layers and the storages' kernels would go untested. Some also turn
 * other storages off, or force one. The choices are compile options (the core reads no
 * environment): the helpers that prepare, select and compile (op_harness.ts, the tests' own
 * compileGraph calls) take them from suiteChoices().
 */
import type { KernelChoices, Prefer } from '../../src/core/ops/op.ts';

export interface SuiteChoices {
  prefer?: Prefer;
  kernels?: KernelChoices;
}

let current: SuiteChoices = {};

/** The choices of the enclosing describe block (choicesInSuite); none outside one. */
export function suiteChoices(): SuiteChoices {
  return current;
}

/** Compiles, prepares and selects with `choices` for the enclosing describe block, and puts the previous ones back after. */
export function choicesInSuite(choices: SuiteChoices): void {
  let saved: SuiteChoices = {};
  before(() => {
    saved = current;
    current = choices;
  });
  after(() => {
    current = saved;
  });
}

/** `prefer` (and `kernels`) for the enclosing describe block. */
export function preferInSuite(prefer: Prefer, kernels: KernelChoices = {}): void {
  choicesInSuite({ prefer, kernels });
}

/** Runs `work` with `choices` in effect, then puts the previous ones back. */
export function withChoices<T>(choices: SuiteChoices, work: () => T): T {
  const saved = current;
  current = choices;
  try {
    return work();
  } finally {
    current = saved;
  }
}
