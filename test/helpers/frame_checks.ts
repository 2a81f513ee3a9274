// SPDX-License-Identifier: Apache-2.0
/**
 * Checks for models whose answer depends on what came before (TFLite Micro's signal ops keep
 * circular buffers and running estimates; SVDF and LSTM keep state tensors): a case is a graph and
 * a sequence of frames, run one after the other on one instance without a reset. The TypeScript
 * reference carries its state map; TFLite Micro (`tflm-ref`) runs the frames as the records of one
 * input file; the generated C runs them in one host program (ASan + UBSan), every case of a batch
 * compiled under its own name and linked together.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { type Graph, DTYPE_BYTES, elementCount } from '../../src/core/ir/graph.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { scratchDir } from '../build/helpers.ts';
import { STRICT_HOST_CFLAGS, firstDifference } from './op_harness.ts';
import { runTflmRef, splitTflmOutputs } from './tflm_ref.ts';

export interface FrameCase {
  name: string;
  graph: Graph;
  /** per frame, the bytes of every graph input in input order */
  frames: Uint8Array[][];
  /** compile the kernels of this ISA family (their C twins run on the host); default the portable C */
  isa?: KernelIsa;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

/** The TypeScript reference: per frame, the bytes of every output, state carried. */
export function referenceOverFrames(c: FrameCase): Uint8Array[][] {
  const compiled = compileGraph(c.graph, c.name, c.isa ? { isa: c.isa } : {});
  const state = new Map<number, TensorBuffer>();
  return c.frames.map((inputs) => interpret(compiled.prepared, inputs, state).outputs.map((o) => new Uint8Array(o)));
}

/** TFLite Micro's reference kernels on the same frames (recorded answers replay without tflm-ref). */
export function tflmOverFrames(c: FrameCase): Uint8Array[][] {
  const run = runTflmRef(writeTflite(c.graph), concat(c.frames.flat()));
  return splitTflmOutputs(c.graph, run.outputs, c.frames.length);
}

/** The generated C of every case, linked into one host program: per case, per frame, every output's bytes. */
export function hostCOverFrames(cases: FrameCase[]): Uint8Array[][][] {
  const { dir, cleanup } = scratchDir('frames');
  try {
    const modelDir = join(dir, 'models');
    const sources: string[] = [];
    const includes: string[] = [];
    const runs: string[] = [];
    const sizes: number[][] = [];
    cases.forEach((c, k) => {
      const name = `case${k}`;
      const compiled = compileGraph(c.graph, c.name, { name, ...(c.isa ? { isa: c.isa } : {}) });
      writeDirectoryAtomically(join(modelDir, name), compiled.generated.files);
      const { header, source, weightsSource } = compiled.generated.fileNames;
      includes.push(`#include "${name}/${header}"`);
      sources.push(join(modelDir, name, source), join(modelDir, name, weightsSource));
      const g = compiled.graph;
      sizes.push(g.outputs.map((o) => elementCount(g.tensors[o]!.shape) * DTYPE_BYTES[g.tensors[o]!.dtype]));
      const data = c.frames.map((f, j) => `static const unsigned char ${name}_f${j}[] = { ${Array.from(concat(f)).join(', ') || '0'} };`);
      const steps = c.frames.map((_, j) => `  run_${name}(${name}_f${j});`);
      runs.push(`${data.join('\n')}
static void run_${name}(const unsigned char *in) {
  size_t at = 0;
  int i;
  for (i = 0; i < ${g.inputs.length}; ++i) {
    memcpy(tf_${name}_input(i), in + at, tf_${name}_input_bytes(i));
    at += tf_${name}_input_bytes(i);
  }
  if (tf_${name}_invoke() != TF_OK) exit(3);
  for (i = 0; i < ${g.outputs.length}; ++i) fwrite(tf_${name}_output(i), 1, tf_${name}_output_bytes(i), stdout);
}
static void all_${name}(void) {
  if (tf_${name}_init() != TF_OK) exit(2);
${steps.join('\n')}
}`);
    });
    const main = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
${includes.join('\n')}
${runs.join('\n')}
int main(void) {
${cases.map((_, k) => `  all_case${k}();`).join('\n')}
  return 0;
}
`;
    writeFileSync(join(dir, 'main.c'), main);
    const exe = join(dir, 'frames');
    const headerDirs = cases.flatMap((_, k) => ['-I', join(modelDir, `case${k}`)]);
    execFileSync('gcc', [...STRICT_HOST_CFLAGS, '-DTF_MODEL_NO_ALIASES', '-I', modelDir, ...headerDirs, ...sources, join(dir, 'main.c'), '-o', exe, '-lm'], {
      stdio: 'pipe',
    });
    const out = new Uint8Array(execFileSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }));
    let at = 0;
    return cases.map((c, k) => c.frames.map(() => sizes[k]!.map((n) => out.slice(at, (at += n)))));
  } finally {
    cleanup();
  }
}

/** Expects `actual` to equal `expected` frame by frame, output by output, naming the first difference. */
export function expectFramesEqual(expected: Uint8Array[][], actual: Uint8Array[][], label: string): void {
  expect(actual.length, `${label}: frames`).to.equal(expected.length);
  expected.forEach((frame, j) =>
    frame.forEach((bytes, i) => expect(firstDifference(bytes, actual[j]![i]!), `${label}, frame ${j}, output ${i}`).to.equal(undefined)),
  );
}

/**
 * The check every stateful op makes: the TypeScript reference equals TFLite Micro on every case,
 * frame after frame, and the generated C (each case's ISA family, on the host) equals the reference.
 */
export function expectFramesAgree(cases: FrameCase[], options: { tflm?: boolean; c?: boolean } = {}): void {
  const references = cases.map(referenceOverFrames);
  if (options.tflm !== false) cases.forEach((c, k) => expectFramesEqual(tflmOverFrames(c), references[k]!, `${c.name} (expected: TFLite Micro)`));
  if (options.c !== false) {
    const ran = hostCOverFrames(cases);
    cases.forEach((c, k) => expectFramesEqual(references[k]!, ran[k]!, `${c.name} (generated C vs reference)`));
  }
}
