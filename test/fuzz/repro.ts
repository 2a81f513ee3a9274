// SPDX-License-Identifier: Apache-2.0
/**
 * Minimal reproducers: a fuzz finding's one component alone, as the files anyone can rerun —
 * `model.tflite`, `input.bin` (every input concatenated, one record per inference), `expected.bin`
 * (TFLite Micro's outputs, concatenated, one record per inference, each from reset state, or for a
 * stateful component with the state carried from one to the next: `carryState`), and
 * `repro.json` (generator, seed, where it failed, and the first tensor where our TS
 * reference parts from TFLite Micro's, from `tflm-ref --layers`). test/fuzz/repro.test.ts runs every
 * one as a permanent test, without needing tflm-ref.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { toBytes } from '../../src/core/ir/buffers.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { type Graph, byteSize } from '../../src/core/ir/graph.ts';
import { type Batch, buildBatch } from './batch.ts';
import type { Finding } from './campaign.ts';
import type { FuzzGenerator } from './ops/types.ts';
import { concatBytes, runTflmRefAsync } from '../helpers/tflm_ref.ts';
import { maskInvalid } from '../helpers/valid_frames.ts';

export const REPRO_DIR = join(import.meta.dirname, 'repro');

export interface ReproInfo {
  generator: string;
  dtype: string;
  seed: number;
  ops: string[];
  found: { kind: string; where: string; detail: string };
  /** `ts-reference` when expected.bin holds our TS reference's outputs (ops TFLite Micro has no kernel for) */
  expectedFrom?: 'ts-reference';
  /** the inferences carry the model's state from one to the next (a stateful component), from one reset */
  carryState?: boolean;
  /** the first tensor (in execution order) where the TS reference differs from TFLite Micro */
  firstDifferingTensor?: { op: number; kind: string; tensor: number; name: string; element: number; expected: number; got: number } | null;
}

export interface Reproducer {
  dir: string;
  info: ReproInfo;
  model: Uint8Array;
  input: Uint8Array;
  expected: Uint8Array;
}

export async function saveReproducer(f: Finding, generators: FuzzGenerator[], root: string): Promise<string> {
  const name = `${f.component.generator.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${f.component.dtype}-${f.component.seed.toString(16)}`;
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const one = buildBatch(`repro_${f.component.seed.toString(16)}`, [f.component], generators);
  const model = writeTflite(one.graph);
  const input = concatBytes(one.cases.flat());
  writeFileSync(join(dir, 'model.tflite'), model);
  writeFileSync(join(dir, 'input.bin'), input);
  const info: ReproInfo = {
    generator: f.component.generator,
    dtype: f.component.dtype,
    seed: f.component.seed,
    ops: f.ops,
    found: { kind: f.kind, where: f.where, detail: f.detail },
    ...(one.carryState ? { carryState: true } : {}),
  };
  const generator = generators.find((g) => g.name === f.component.generator && g.dtypes.includes(f.component.dtype as FuzzGenerator['dtypes'][number]));
  if (generator?.oracle === 'ts-reference') {
    // TFLite Micro has no kernel for the component's op: the TS reference's outputs are the expectation
    info.expectedFrom = 'ts-reference';
    try {
      const compiled = compileGraph(one.graph, `${name}.tflite`);
      writeFileSync(join(dir, 'expected.bin'), concatBytes(interpretAll(compiled.prepared, one).flatMap((r) => r.outputs)));
    } catch (e) {
      info.found.detail += ` (TS reference alone: ${(e as Error).message})`;
    }
    writeFileSync(join(dir, 'repro.json'), `${JSON.stringify(info, null, 2)}\n`);
    return dir;
  }
  try {
    const tflm = await runTflmRefAsync(model, input, { layers: true, resetEach: !one.carryState });
    writeFileSync(join(dir, 'expected.bin'), tflm.outputs);
    info.firstDifferingTensor = null;
    try {
      const compiled = compileGraph(one.graph, `${name}.tflite`);
      // the last inference, which tflm-ref's --layers dump holds
      const runs = interpretAll(compiled.prepared, one);
      const run = runs[runs.length - 1]!;
      const flags = one.components[0]!.validFlags;
      if (flags) {
        // frames TFLite Micro left unwritten hold its arena's bytes: zeros where ours are
        const theirs = splitRecords(one.graph, tflm.outputs, one.cases.length);
        writeFileSync(
          join(dir, 'expected.bin'),
          concatBytes(
            maskInvalid(
              theirs,
              runs.map((r) => r.outputs),
              flags,
            ).flat(),
          ),
        );
      }
      const theirs = new Map(tflm.tensors!.map((t) => [t.info.index, t.bytes]));
      outer: for (const op of compiled.graph.ops) {
        for (const o of op.outputs) {
          const ours = run.tensors.get(o);
          const ref = theirs.get(o);
          if (!ours || !ref) continue;
          const bytes = new Uint8Array(toBytes(ours));
          const width = bytes.length / Math.max(1, ours.length);
          for (let i = 0; i < Math.min(bytes.length, ref.length); i++) {
            if (bytes[i] !== ref[i]) {
              const element = Math.floor(i / width);
              const read = (b: Uint8Array) =>
                Number(
                  new (ours.constructor as new (buf: ArrayBuffer) => ArrayLike<number | bigint>)(b.slice(element * width, (element + 1) * width).buffer)[0],
                );
              info.firstDifferingTensor = {
                op: op.index,
                kind: op.kind,
                tensor: o,
                name: compiled.graph.tensors[o]!.name,
                element,
                expected: read(ref),
                got: read(bytes),
              };
              break outer;
            }
          }
        }
      }
    } catch {
      // refused by our compiler: nothing to compare
    }
  } catch (e) {
    info.found.detail += ` (tflm-ref alone: ${(e as Error).message})`;
  }
  writeFileSync(join(dir, 'repro.json'), `${JSON.stringify(info, null, 2)}\n`);
  return dir;
}

/** The TS reference over a batch's inferences: each from reset, or with the state carried. */
function interpretAll(prepared: ReturnType<typeof compileGraph>['prepared'], one: Batch) {
  const state = one.carryState ? new Map<number, TensorBuffer>() : undefined;
  return one.cases.map((inputs) => interpret(prepared, inputs, state));
}

/** tflm-ref's output file as records: per inference, each output's bytes. */
function splitRecords(graph: Graph, bytes: Uint8Array, inferences: number): Uint8Array[][] {
  let at = 0;
  return Array.from({ length: inferences }, () => graph.outputs.map((o) => bytes.slice(at, (at += byteSize(graph.tensors[o]!)))));
}

/** Every saved reproducer under `root` that has TFLite Micro's outputs. */
export function loadReproducers(root = REPRO_DIR): Reproducer[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .filter((d) => existsSync(join(root, d, 'expected.bin')))
    .map((d) => {
      const dir = join(root, d);
      return {
        dir,
        info: JSON.parse(readFileSync(join(dir, 'repro.json'), 'utf8')) as ReproInfo,
        model: new Uint8Array(readFileSync(join(dir, 'model.tflite'))),
        input: new Uint8Array(readFileSync(join(dir, 'input.bin'))),
        expected: new Uint8Array(readFileSync(join(dir, 'expected.bin'))),
      };
    });
}
