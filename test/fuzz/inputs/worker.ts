// SPDX-License-Identifier: Apache-2.0
/**
 * The in-process half of input fuzzing, in a worker thread so a case that hangs or eats memory can be
 * stopped (terminate) and counted without taking the campaign down. For each mutant it does what
 * `inspect` and `compile` do with a file: parse, graph passes, kernels, memory plan, the inspect
 * tables and JSON, and the C for the Cortex-M4 (with the fit check) and for the host. A rejection must
 * be one TinyforgeError line; any other exception is a crash.
 */
import { parentPort } from 'node:worker_threads';
import { TinyforgeError } from '../../../src/errors.ts';
import { parseTflite } from '../../../src/model/tflite/reader.ts';
import { optimizeGraph } from '../../../src/passes/index.ts';
import { prepareGraph, unsupportedOps } from '../../../src/ops/prepare.ts';
import { planWithPatch } from '../../../src/plan/patch.ts';
import { formatOps, formatPlan, formatTensors, formatTimeline } from '../../../src/report/inspect.ts';
import { inspectionJson } from '../../../src/report/json.ts';
import { compileGraph } from '../../../src/compile.ts';
import { loadTarget } from '../../../src/build/targets.ts';
import { checkFits } from '../../../src/build/fit.ts';
import type { Graph } from '../../../src/ir/graph.ts';

export interface CaseRequest {
  id: number;
  name: string;
  bytes: Uint8Array;
}

export type CaseVerdict =
  | { id: number; status: 'accepted'; unsupported: number }
  | { id: number; status: 'rejected'; stage: string; message: string }
  | { id: number; status: 'crash'; stage: string; message: string };

const m4 = loadTarget('cortex-m4');
const host = loadTarget('host');

/** `inspect`: everything it prints, for a model it may not be able to compile. */
function inspect(graph: Graph, name: string): number {
  let optimized = graph;
  try {
    optimized = optimizeGraph(graph, name);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
  }
  const missing = unsupportedOps(optimized);
  let prepared;
  try {
    prepared = missing.length === 0 ? prepareGraph(optimized, name, m4.isa) : undefined;
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
  }
  const planned = prepared ? planWithPatch(prepared, 'off') : undefined;
  // the tables and the JSON are built as inspect prints them (their text is not kept)
  void [formatOps(optimized, planned?.prepared), formatTensors(optimized), planned ? formatPlan(optimized, planned.plan) + formatTimeline(planned.plan) : ''];
  JSON.stringify(inspectionJson(optimized, planned?.prepared, planned?.plan, missing));
  return missing.length;
}

function runCase(request: CaseRequest): CaseVerdict {
  let stage = 'parse';
  try {
    const graph = parseTflite(request.bytes, request.name);
    stage = 'inspect';
    const unsupported = inspect(graph, request.name);
    stage = 'compile cortex-m4';
    const compiled = compileGraph(parseTflite(request.bytes, request.name), request.name, { isa: m4.isa });
    checkFits(compiled, request.name, m4, m4.boards[0]);
    stage = 'compile host';
    compileGraph(parseTflite(request.bytes, request.name), request.name, { isa: host.isa });
    return { id: request.id, status: 'accepted', unsupported };
  } catch (e) {
    if (e instanceof TinyforgeError) return { id: request.id, status: 'rejected', stage, message: e.message };
    const error = e as Error;
    return { id: request.id, status: 'crash', stage, message: `${error?.name}: ${error?.message} ${(error?.stack ?? '').split('\n').slice(1, 4).join(' ')}` };
  }
}

parentPort?.on('message', (request: CaseRequest) => parentPort!.postMessage(runCase(request)));
