// SPDX-License-Identifier: Apache-2.0
/**
 * The shared end of the emulated kernel-variant tests: run a model's generated firmware on a board
 * and require every output byte of every case to equal the TypeScript reference.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { CompiledModel } from '../../src/core/compile.ts';
import { type Graph, type Op, elementCount } from '../../src/core/ir/graph.ts';
import { fromBytes } from '../../src/core/ir/buffers.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { randomInt8, rng } from './op_harness.ts';

/** Ops whose first output was planned over bytes of their first input. */
export function layersOverTheirInput(compiled: CompiledModel): Op[] {
  const range = (t: number) => {
    const at = compiled.plan.tensorOffset.get(t)!;
    return [at, at + elementCount(compiled.graph.tensors[t]!.shape)] as const;
  };
  return compiled.graph.ops.filter((op) => {
    const [i0, i1] = range(op.inputs[0]!);
    const [o0, o1] = range(op.outputs[0]!);
    return i0 < o1 && o0 < i1;
  });
}

/**
 * Two cases on the board, full-range int8 and then -40..40 (or only -128 and 127, `extremes`, where
 * the largest products are the point); each output must equal the reference.
 */
export async function expectExactOnBoard(
  graph: Graph,
  compiled: CompiledModel,
  where: { target: string; board?: string; dir: string; seed: number; extremes?: boolean },
): Promise<void> {
  const rand = rng(where.seed);
  const inputBytes = graph.inputs.map((i) => elementCount(graph.tensors[i]!.shape));
  const second = (n: number) => (where.extremes ? Int8Array.from({ length: n }, () => (rand() < 0.5 ? -128 : 127)) : randomInt8(rand, n, -40, 40));
  const cases = [inputBytes.map((n) => new Uint8Array(randomInt8(rand, n).buffer)), inputBytes.map((n) => new Uint8Array(second(n).buffer))];
  const reference = cases.map((cs) => interpret(compiled.prepared, cs).outputs);
  const path = join(where.dir, `${graph.name}.tflite`);
  saveTflite(path, graph);
  const report = await runModel(path, { target: where.target, board: where.board, cases });
  expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
  report.cases.forEach((c, k) => {
    expect(c.outputs).to.have.length(graph.outputs.length);
    c.outputs.forEach((values, o) => {
      const t = graph.tensors[graph.outputs[o]!]!;
      expect(values, `case ${k} output ${t.name}`).to.deep.equal(Array.from(fromBytes(t.dtype, reference[k]![o]!) as ArrayLike<number>));
    });
  });
}

/**
 * The host and one target per float kernel family with the tools each needs: the FPU (Cortex-M4),
 * libgcc's soft-float on Armv6-M (Cortex-M0, and the RP2040 on rp2040js) and RV32IMC (ESP32-C3).
 */
export const FLOAT_FAMILY_TARGETS: readonly { target: string; tools: string[] }[] = [
  { target: 'host', tools: [] },
  { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'cortex-m0', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
  { target: 'rp2040', tools: ['arm-none-eabi-gcc'] },
  { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
];
