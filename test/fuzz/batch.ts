// SPDX-License-Identifier: Apache-2.0
/**
 * Batches of fuzz components as one model: many generated components side by side (disjoint
 * subgraphs, each with its own inputs and outputs) make one .tflite, so one TFLite Micro run, one
 * build and one emulator boot check dozens of layers. Every component is drawn from its own seed, so
 * any one can be rebuilt alone, with its inputs, as a minimal reproducer.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DTYPE_BYTES, type DType, type Graph, elementCount } from '../../src/core/ir/graph.ts';
import { opDef } from '../../src/core/ops/index.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { rng } from '../helpers/op_harness.ts';
import type { FuzzDType, FuzzGenerator, ValidFlag } from './ops/types.ts';

const OPS_DIR = join(import.meta.dirname, 'ops');

/** Every generator in test/fuzz/ops/*.ts (each file exports `generators`), sorted by name. */
export async function loadGenerators(): Promise<FuzzGenerator[]> {
  const files = readdirSync(OPS_DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'types.ts' && !f.endsWith('.test.ts'))
    .sort();
  const all: FuzzGenerator[] = [];
  for (const f of files) {
    const mod = (await import(join(OPS_DIR, f))) as { generators?: FuzzGenerator[] };
    all.push(...(mod.generators ?? []));
  }
  const seen = new Set<string>();
  return all
    .filter((g) => {
      const key = `${g.name}/${g.dtypes.join(',')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.dtypes.join().localeCompare(b.dtypes.join()));
}

/** A 32-bit mix of integers: the seed of component `c` of batch `k` of campaign seed `s`. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h >>> 0;
}

export interface ComponentSpec {
  generator: string;
  dtype: FuzzDType;
  seed: number;
}

export interface Component extends ComponentSpec {
  ops: string[];
  /** positions in the batch graph's inputs and outputs */
  inputs: [number, number];
  outputs: [number, number];
  /** outputs (among the component's own) written only while a flag output is true */
  validFlags?: ValidFlag[];
}

/**
 * Inferences per batch of stateless components: two inputs per build. Each starts from reset state
 * (tflm-ref --reset-each, as `run` resets the board before each case).
 */
export const INFERENCES = 2;

/**
 * Inferences per batch of stateful components (`FuzzGenerator.stateful`): frames one after the other
 * with the state carried, from one reset at the start (tflm-ref runs them as the records of one
 * input file, the TS reference carries its state map, the boards run with `carryState`): enough for
 * a framer or a stacker to fill and put frames out, and for a noise estimate to move.
 */
export const SEQUENCE_FRAMES = 5;

export interface Batch {
  graph: Graph;
  components: Component[];
  /** per inference, one value per graph input */
  cases: Uint8Array[][];
  /** the inferences carry state from one to the next (a batch of stateful components) */
  carryState: boolean;
}

/** Whether every op the generator emits has a kernel here (a generator may come before its op). */
export function generatorRuns(gen: FuzzGenerator): boolean {
  return gen.ops.every((kind) => opDef(kind) !== undefined);
}

/**
 * Builds the components into one graph, in order, and draws their input values. A batch is either
 * stateless (INFERENCES, each from reset) or stateful (SEQUENCE_FRAMES, state carried): its first
 * component's generator says which, and runBatch never mixes them.
 */
export function buildBatch(name: string, specs: ComponentSpec[], generators: FuzzGenerator[]): Batch {
  const b = new GraphBuilder(name);
  const components: Component[] = [];
  const carryState = specs.length > 0 && findGenerator(generators, specs[0]!.generator, specs[0]!.dtype).stateful === true;
  for (const spec of specs) {
    const gen = findGenerator(generators, spec.generator, spec.dtype);
    if ((gen.stateful === true) !== carryState) throw new Error(`fuzz: ${spec.generator} in a batch of ${carryState ? 'stateful' : 'stateless'} components`);
    const before = snapshot(b);
    const ops = gen.ops;
    const facts = gen.generate(
      spec.dtype === 'float32' || spec.dtype === 'hybrid'
        ? { b, rand: rng(spec.seed), dtype: 'int8', floatForm: spec.dtype }
        : { b, rand: rng(spec.seed), dtype: spec.dtype },
    );
    const after = snapshot(b);
    components.push({
      ...spec,
      ops,
      inputs: [before.inputs, after.inputs],
      outputs: [before.outputs, after.outputs],
      ...(facts?.validFlags ? { validFlags: facts.validFlags } : {}),
    });
  }
  const graph = b.build();
  const cases: Uint8Array[][] = Array.from({ length: carryState ? SEQUENCE_FRAMES : INFERENCES }, () => []);
  for (const c of components) {
    const rand = rng(mixSeed(c.seed, 0x1badcafe));
    for (const inputs of cases) {
      for (let i = c.inputs[0]; i < c.inputs[1]; i++)
        inputs.push(randomValues(rand, graph.tensors[graph.inputs[i]!]!.dtype, elementCount(graph.tensors[graph.inputs[i]!]!.shape)));
    }
  }
  return { graph, components, cases, carryState };
}

export function findGenerator(generators: FuzzGenerator[], name: string, dtype: FuzzDType): FuzzGenerator {
  const gen = generators.find((g) => g.name === name && g.dtypes.includes(dtype));
  if (!gen) throw new Error(`fuzz: no generator ${name} for ${dtype}`);
  return gen;
}

function snapshot(b: GraphBuilder): { inputs: number; outputs: number } {
  const g = b.build();
  return { inputs: g.inputs.length, outputs: g.outputs.length };
}

/** Random bytes for one input tensor: the full range mostly, a narrow one sometimes (int16/int32). */
export function randomValues(rand: () => number, dtype: DType, count: number): Uint8Array {
  const bytes = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  const narrow = rand() < 0.3;
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'int8':
      case 'uint8':
        bytes[i] = Math.floor(rand() * 256);
        break;
      case 'bool':
        bytes[i] = rand() < 0.5 ? 1 : 0;
        break;
      case 'int16':
        view.setInt16(2 * i, Math.floor((rand() * 2 - 1) * (narrow ? 300 : 32768)), true);
        break;
      case 'int32':
        view.setInt32(4 * i, Math.floor((rand() * 2 - 1) * (narrow ? 1000 : 2 ** 31)), true);
        break;
      case 'uint32':
        view.setUint32(4 * i, Math.floor(rand() * (narrow ? 2 ** 16 : 2 ** 32)), true);
        break;
      case 'uint64':
        view.setBigUint64(8 * i, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)), true);
        if (narrow) view.setBigUint64(8 * i, BigInt(Math.floor(rand() * 2 ** 32)), true);
        break;
      case 'float32':
        view.setFloat32(4 * i, (rand() * 2 - 1) * (narrow ? 1 : 100), true);
        break;
      case 'int64':
        view.setBigInt64(8 * i, BigInt(Math.floor((rand() * 2 - 1) * 1000)), true);
        break;
    }
  }
  return bytes;
}

/** Activation bytes of a graph (non-constant tensors): what the batch costs a board's RAM at most. */
export function activationBytes(graph: Graph): number {
  return graph.tensors.filter((t) => !t.data).reduce((n, t) => n + elementCount(t.shape) * DTYPE_BYTES[t.dtype], 0);
}

/**
 * The specs of batch `k` of a campaign: `count` components with generators drawn in turn (so every
 * generator comes up equally often), each with its own seed.
 */
export function batchSpecs(generators: FuzzGenerator[], seed: number, batch: number, count: number, first: number, dtypes: FuzzDType[]): ComponentSpec[] {
  const pool = generators.flatMap((g) => g.dtypes.filter((d) => dtypes.includes(d)).map((d) => ({ g, d })));
  return Array.from({ length: count }, (_, i) => {
    // in turn through the pool: equal shares over a campaign whatever the batch size
    const pick = pool[(first + i) % pool.length]!;
    return { generator: pick.g.name, dtype: pick.d, seed: mixSeed(seed, batch, i) };
  });
}
