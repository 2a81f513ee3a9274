import { basename } from 'node:path';
import type { Graph } from './ir/graph.ts';
import { loadGraph } from './model/load.ts';
import { type PreparedGraph, prepareGraph } from './ops/prepare.ts';
import { type MemoryPlan, planArena } from './plan/arena.ts';
import { type GeneratedModel, generateC } from './codegen/generate.ts';
import { writeDirectoryAtomically } from './codegen/output.ts';

export interface CompiledModel {
  source: string;
  graph: Graph;
  prepared: PreparedGraph;
  plan: MemoryPlan;
  generated: GeneratedModel;
}

/** Checks, prepares, plans and lowers a graph to C, in memory. */
export function compileGraph(graph: Graph, source = graph.name): CompiledModel {
  const prepared = prepareGraph(graph, source);
  const plan = planArena(prepared);
  const generated = generateC(prepared, plan);
  return { source, graph, prepared, plan, generated };
}

export function compileFile(modelPath: string): CompiledModel {
  return compileGraph(loadGraph(modelPath), basename(modelPath));
}

/** Compiles a model file and writes the C sources to `outDir` (atomically). */
export function compileToDirectory(modelPath: string, outDir: string): CompiledModel & { outDir: string } {
  const compiled = compileFile(modelPath);
  return { ...compiled, outDir: writeDirectoryAtomically(outDir, compiled.generated.files) };
}
