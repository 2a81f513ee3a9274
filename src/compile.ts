import { basename } from 'node:path';
import type { Graph } from './ir/graph.ts';
import { loadGraph } from './model/load.ts';
import { type PreparedGraph, prepareGraph } from './ops/prepare.ts';
import { type MemoryPlan, planArena } from './plan/arena.ts';
import { type GeneratedModel, generateC } from './codegen/generate.ts';
import { type WriteOutputOptions, writeDirectoryAtomically } from './codegen/output.ts';
import type { KernelIsa } from './ops/op.ts';
import { optimizeGraph } from './passes/index.ts';

export interface CompileOptions {
  /** the target's ISA (a target descriptor's `isa`): picks kernel variants; absent: portable C */
  isa?: KernelIsa;
}

export interface CompiledModel {
  source: string;
  /** the graph as compiled: after the graph passes (constants folded, no-ops aliased, ...) */
  graph: Graph;
  prepared: PreparedGraph;
  plan: MemoryPlan;
  generated: GeneratedModel;
}

/** Runs the graph passes, then checks, prepares, plans and lowers the graph to C, in memory. */
export function compileGraph(input: Graph, source = input.name, options: CompileOptions = {}): CompiledModel {
  const graph = optimizeGraph(input, source);
  const prepared = prepareGraph(graph, source, options.isa);
  const plan = planArena(prepared);
  const generated = generateC(prepared, plan, options.isa);
  return { source, graph, prepared, plan, generated };
}

export function compileFile(modelPath: string, options: CompileOptions = {}): CompiledModel {
  return compileGraph(loadGraph(modelPath), basename(modelPath), options);
}

/** Compiles a model file and writes the C sources to `outDir` (atomically). */
export function compileToDirectory(modelPath: string, outDir: string, options: CompileOptions = {}, output: WriteOutputOptions = {}): CompiledModel & { outDir: string } {
  const compiled = compileFile(modelPath, options);
  return { ...compiled, outDir: writeDirectoryAtomically(outDir, compiled.generated.files, output) };
}
