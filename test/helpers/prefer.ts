// SPDX-License-Identifier: Apache-2.0
/**
 * Kernel tests of the compressed weight storages (int4, palette, Huffman) run with `--prefer size`
 * as the default, where those storages win the per-layer choice: under the default `speed` the
 * faster dense kernels keep the layers and the storages' kernels would go untested.
 */
import type { Prefer } from '../../src/core/ops/op.ts';

/** Sets environment variables for the enclosing describe block, and puts them back after. */
export function envInSuite(vars: Record<string, string>): void {
  const saved = new Map<string, string | undefined>();
  before(() => {
    for (const [k, v] of Object.entries(vars)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

/** TINYFORGE_PREFER (the default of `--prefer`) for the enclosing describe block; `extra` more variables. */
export function preferInSuite(prefer: Prefer, extra: Record<string, string> = {}): void {
  envInSuite({ TINYFORGE_PREFER: prefer, ...extra });
}
