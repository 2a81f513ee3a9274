// SPDX-License-Identifier: Apache-2.0
/**
 * The template op folder: copy it to `src/core/ops/<op>/` to add an op (docs/adding-an-op.md). It is a
 * complete, tested op that no model can reach (it is not registered in src/core/ops/index.ts and its
 * kind is no TFLite builtin). contract.ts holds what the op is (params, check, prepare, evaluate, the
 * portable C); this file is its definition and the table of its variants.
 *
 * Adding a variant (docs/adding-a-variant.md):
 * 1. A file of its own exporting one `KernelVariant<TemplateParams>` that imports contract.ts, never
 *    this file: `applies(p, facts)` from the params and the target's facts only, its exact
 *    `scratchBytes`, `emit` and its C files.
 * 2. A row in `variants` below with the reason for its place: the first that applies to a layer
 *    on the target's family runs it, else the portable C.
 * 3. Tests: which layers take it, bit-exact on the host and on the family's emulated board.
 */
import type { OpDef } from '../op.ts';
import { type TemplateParams, check, emitPortable, evaluate, prepare } from './contract.ts';
import { templateUnrolledVariant } from './unrolled.ts';

const template: OpDef<TemplateParams> = {
  kind: 'TEMPLATE_REQUANTIZE',
  dir: import.meta.dirname,
  check,
  prepare,
  macs: () => 0,
  // the kernel reads each element before it writes it: the output may share the input's buffer
  overlap: () => ({ input: 0, gap: 0 }),
  evaluate,
  emitC: emitPortable,
  variants: [
    // RV32IMC: the loop unrolled by four, from four elements on (below that the portable loop is as good)
    templateUnrolledVariant,
  ],
};

export default template;
