// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32-S3 SIMD variant tests (conv_2d, fully_connected s3simd.test.ts): the RV32 tests' random
 * layers with `isa: S3`, the check that the 'xtensa-s3' variant was chosen, and that the host build
 * (the same kernel source through xtensa_s3_simd.h's functional model) matches the TypeScript
 * reference byte for byte.
 */
import { expect } from 'chai';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { selectVariant } from '../../src/core/ops/variant.ts';
import { type CCase, evaluateOp, firstDifference, runCasesInC } from './op_harness.ts';

export const S3: KernelIsa = { dsp: false, xtensa: true, s3simd: true };

export function onS3(c: CCase): CCase {
  return { ...c, isa: S3 };
}

export function expectS3BitExact(cases: CCase[]): void {
  for (const c of cases) expect(selectVariant(c.def, c.def.prepare(c.graph, c.op), S3).family, c.graph.tensors[1]!.shape.join('x')).to.equal('xtensa-s3');
  const results = runCasesInC(cases);
  cases.forEach((c, i) => {
    const expected = evaluateOp(c.def, c.graph, c.op, c.inputs)[0] as Int8Array;
    const shapes = c.op.inputs.map((t) => (t >= 0 ? JSON.stringify(c.graph.tensors[t]!.shape) : '-')).join(' ');
    expect(firstDifference(new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength), results[i]![0]!), `case ${i} ${shapes}`).to.equal(
      undefined,
    );
  });
}
