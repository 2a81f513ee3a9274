// SPDX-License-Identifier: Apache-2.0
/**
 * EMBEDDING_LOOKUP, GATHER_ND, REVERSE_V2, DYNAMIC_UPDATE_SLICE, BROADCAST_ARGS and FILL on every
 * kind of target, in one model: the host (under ASan and UBSan), the emulated Cortex-M4
 * (single-precision FPU), Cortex-M0 and RP2040 (Cortex-M0+, soft-float) and ESP32-C3 (RV32,
 * soft-float). Their float32, integer and hybrid forms side by side, with run-time index tensors,
 * and a float island of an int8 graph (DEQUANTIZE -> REVERSE_V2 -> GATHER_ND -> QUANTIZE, and
 * DEQUANTIZE -> DYNAMIC_UPDATE_SLICE -> QUANTIZE). Every output equals the TypeScript reference
 * (as `run` compares) and TFLite Micro (tflm-ref, or its recorded answers) byte for byte.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { type DType, type Graph } from '../../ir/graph.ts';
import { allocBuffer, toBytes } from '../../ir/buffers.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { randomInt8, rng } from '../../../../test/helpers/op_harness.ts';
import { GraphBuilder, sideBySideCases } from '../../../../test/helpers/graph_builder.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { randomFloats } from '../../../../test/helpers/float_cases.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';
import {
  type OpCase,
  REVERSE_DTYPES,
  broadcastArgsCase,
  dynamicUpdateSliceCase,
  embeddingLookupCase,
  fillCase,
  gatherNdCase,
  reverseV2Case,
} from '../../../../test/helpers/tensor_op_cases.ts';

const TARGETS = FLOAT_FAMILY_TARGETS;

const F = 'float32' as const;

/** int8 x -> DEQUANTIZE -> REVERSE_V2 (axes 1, 2) -> GATHER_ND (constant rows) -> QUANTIZE; int8 y -> DEQUANTIZE -> DYNAMIC_UPDATE_SLICE (run-time start) -> QUANTIZE. */
function floatIsland(rand: () => number): { graph: Graph; cases: Uint8Array[][] } {
  const b = new GraphBuilder('tensor_island');
  const q = { scale: 0.05, zeroPoint: -3 };
  const x = b.input({ shape: [1, 4, 6], q, name: 'x' });
  const [xf] = b.op('DEQUANTIZE', [x], [{ shape: [1, 4, 6], dtype: F }]);
  const [rf] = b.op('REVERSE_V2', [xf!, b.ints([2, 1])], [{ shape: [1, 4, 6], dtype: F }]);
  const [g] = b.op('GATHER_ND', [rf!, b.ints([0, 1, 0, 3, 0, 0], [3, 2])], [{ shape: [3, 6], dtype: F }]);
  const [gq] = b.op('QUANTIZE', [g!], [{ shape: [3, 6], q: { scale: 0.04, zeroPoint: 1 } }]);
  const y = b.input({ shape: [3, 5], q, name: 'y' });
  const start = b.input({ shape: [2], dtype: 'int32', name: 'start' });
  const [yf] = b.op('DEQUANTIZE', [y], [{ shape: [3, 5], dtype: F }]);
  const upd = b.constant({ shape: [2, 2], dtype: F }, randomFloats(rand, 4, 2));
  const [d] = b.op('DYNAMIC_UPDATE_SLICE', [yf!, upd, start], [{ shape: [3, 5], dtype: F }]);
  const [dq] = b.op('QUANTIZE', [d!], [{ shape: [3, 5], q: { scale: 0.06, zeroPoint: 0 } }]);
  b.output(gq!, dq!);
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return { graph: b.build(), cases: [[bytes(randomInt8(rand, 24)), bytes(randomInt8(rand, 15)), bytes(Int32Array.from([1, 7]))]] };
}

function parts(): { graph: Graph; cases: Uint8Array[][] }[] {
  const rand = rng(4242);
  const one: OpCase[] = [
    embeddingLookupCase(rand, 'hybrid', false, true),
    embeddingLookupCase(rand, 'int8', false, false),
    embeddingLookupCase(rand, 'float32', false, false),
    gatherNdCase(rand, 'float32', false),
    gatherNdCase(rand, 'int8', true),
    ...REVERSE_DTYPES.map((dtype) => reverseV2Case(rand, dtype)),
    dynamicUpdateSliceCase(rand, 'float32', 'int64', false),
    dynamicUpdateSliceCase(rand, 'int16', 'int32', false),
    dynamicUpdateSliceCase(rand, 'int8', 'int32', true),
    broadcastArgsCase(rand, 'int32'),
    broadcastArgsCase(rand, 'int64'),
    fillCase(rand, 'float32'),
    fillCase(rand, 'int8'),
    fillCase(rand, 'int32'),
  ];
  return [...one.map((c) => ({ graph: c.graph, cases: [c.inputs.map((v) => new Uint8Array(toBytes(v)))] })), floatIsland(rand)];
}

/** A reported output (numbers) as the bytes of its dtype. */
function outputBytes(dtype: DType, values: number[]): Uint8Array {
  const buf = allocBuffer(dtype, values.length);
  values.forEach((v, i) => ((buf as unknown as (number | bigint)[])[i] = buf instanceof BigInt64Array ? BigInt(v) : v));
  return new Uint8Array(toBytes(buf));
}

describe('EMBEDDING_LOOKUP, GATHER_ND, REVERSE_V2, DYNAMIC_UPDATE_SLICE, BROADCAST_ARGS, FILL on every target', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tensor-ops-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const { graph, cases } = sideBySideCases('tensor_ops', parts());

  for (const { target, tools } of TARGETS) {
    it(`${target}: equals the reference and TFLite Micro byte for byte`, async function () {
      if (tools.length > 0) requireTools(this, tools);
      const path = join(dir, `tensor_ops_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, cases, sanitize: target === 'host' });
      expect(report.matchesReference, 'run compares with the reference').to.equal(true);
      if (!tflmRefAvailable(this)) return;
      const theirs = tflmOutputs(graph, cases[0]!);
      graph.outputs.forEach((t, o) => {
        const ours = outputBytes(graph.tensors[t]!.dtype, report.cases[0]!.outputs[o]!);
        expect(Buffer.from(ours).equals(Buffer.from(theirs[o]!)), `output ${o} (${graph.tensors[t]!.name}) against TFLite Micro`).to.equal(true);
      });
    });
  }
});
