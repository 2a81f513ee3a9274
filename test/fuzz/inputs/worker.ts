// SPDX-License-Identifier: Apache-2.0
/**
 * The in-process half of input fuzzing, in a worker thread so a case that hangs or eats memory can be
 * stopped (terminate) and counted without taking the campaign down. For each mutant it does what
 * `inspect` and `compile` do with a file: parse, graph passes, kernels, memory plan, the inspect
 * tables and JSON, and the C for the Cortex-M4 (with the fit check) and for the host. A rejection must
 * be one TinyforgeError line; any other exception is a crash.
 *
 * When the campaign asks for it (`host`), an accepted mutant's host C is made as `tinyforge run`
 * makes it (the file named after the seed, the harness's provenance: only the model's sha256 is left
 * out of the banner comment, so mutants with the same C have the same files), with random inputs and
 * the TS reference's outputs for them: the material of the sanitized host check, made here under the
 * case's time and memory limits, from the compile the worker did anyway.
 */
import { parentPort } from 'node:worker_threads';
import { TinyforgeError } from '../../../src/core/errors.ts';
import { parseTflite } from '../../../src/core/model/tflite/reader.ts';
import { optimizeGraph } from '../../../src/core/passes/index.ts';
import { prepareGraph, unsupportedOps } from '../../../src/core/ops/prepare.ts';
import { planWithPatch } from '../../../src/core/plan/patch_policy.ts';
import { formatOps, formatPlan, formatTensors, formatTimeline } from '../../../src/face/report/inspect.ts';
import { inspectionJson } from '../../../src/face/report/json.ts';
import { compileGraph, harnessProvenance } from '../../../src/core/compile.ts';
import { loadTarget } from '../../../src/core/targets/targets.ts';
import { checkFits } from '../../../src/lab/toolchain/fit.ts';
import { type DType, type Graph, elementCount } from '../../../src/core/ir/graph.ts';
import { interpret } from '../../../src/core/ops/interpreter.ts';
import type { GeneratedFile } from '../../../src/core/codegen/generate.ts';
import { randomValues } from '../batch.ts';
import { rng } from '../../helpers/op_harness.ts';

export interface CaseRequest {
  id: number;
  name: string;
  bytes: Uint8Array;
  /** make the host check's material: the C as `run` makes it for a file named `fileName`, inputs drawn from `inputSeed` */
  host?: { fileName: string; inputSeed: number };
}

/** An accepted mutant's host check material (see the top of the file). */
export interface HostMaterial {
  files: GeneratedFile[];
  inputs: Uint8Array[];
  /** the TS reference's outputs for `inputs`, one per output tensor */
  expected: Uint8Array[];
  /** the output tensors' types, to read TFLite Micro's outputs as values */
  outputTypes: DType[];
}

export type CaseVerdict =
  | { id: number; status: 'accepted'; unsupported: number; host?: HostMaterial }
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

export function runCase(request: CaseRequest): CaseVerdict {
  let stage = 'parse';
  try {
    const graph = parseTflite(request.bytes, request.name);
    stage = 'inspect';
    const unsupported = inspect(graph, request.name);
    stage = 'compile cortex-m4';
    const compiled = compileGraph(parseTflite(request.bytes, request.name), request.name, { isa: m4.isa });
    checkFits(compiled, request.name, m4, m4.boards[0]);
    stage = 'compile host';
    if (!request.host) {
      compileGraph(parseTflite(request.bytes, request.name), request.name, { isa: host.isa });
      return { id: request.id, status: 'accepted', unsupported };
    }
    // as runModel compiles for the host (compileForTarget), the file named after the seed
    const { fileName, inputSeed } = request.host;
    const { modelSha256: _, ...provenance } = harnessProvenance(fileName, host.name);
    const hostGraph = parseTflite(request.bytes, fileName);
    const forHost = compileGraph(hostGraph, fileName, { isa: host.isa, provenance });
    checkFits(forHost, fileName, host, undefined);
    stage = 'ts reference';
    const rand = rng(inputSeed);
    const inputs = hostGraph.inputs.map((i) => {
      const t = hostGraph.tensors[i]!;
      return randomValues(rand, t.dtype, elementCount(t.shape));
    });
    const expected = interpret(forHost.prepared, inputs).outputs;
    const outputTypes = forHost.graph.outputs.map((o) => forHost.graph.tensors[o]!.dtype);
    return { id: request.id, status: 'accepted', unsupported, host: { files: forHost.generated.files, inputs, expected, outputTypes } };
  } catch (e) {
    if (e instanceof TinyforgeError) return { id: request.id, status: 'rejected', stage, message: e.message };
    const error = e as Error;
    return { id: request.id, status: 'crash', stage, message: `${error?.name}: ${error?.message} ${(error?.stack ?? '').split('\n').slice(1, 4).join(' ')}` };
  }
}

parentPort?.on('message', (request: CaseRequest) => parentPort!.postMessage(runCase(request)));
// loaded (the compiler's modules through tsx take seconds on a busy machine): the cases' clocks start now
parentPort?.postMessage('ready');
