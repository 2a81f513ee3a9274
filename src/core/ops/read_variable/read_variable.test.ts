// SPDX-License-Identifier: Apache-2.0
/**
 * Resource variables end to end: a streaming model (state read, frame appended, oldest frame dropped,
 * state assigned) written by our writer in the converter's form (CALL_ONCE init subgraph, VAR_HANDLE,
 * READ_VARIABLE, ASSIGN_VARIABLE), read back by our reader, run for several inferences in one
 * tflm-ref input file (state carried across them, as on a device), by the TS reference with its
 * state carried, and by the generated C on the host; int8 and float32 variables.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readVariable from './index.ts';
import assignVariable from '../assign_variable/index.ts';
import { OpError } from '../../errors.ts';
import type { Graph } from '../../ir/graph.ts';
import type { TensorBuffer } from '../../ir/buffers.ts';
import { compileGraph } from '../../compile.ts';
import { interpret } from '../interpreter.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { parseTflite } from '../../model/tflite/reader.ts';
import { writeDirectoryAtomically } from '../../../lab/output.ts';
import { runModel } from '../../../lab/run/run.ts';
import * as tfl from '../../model/tflite/generated/schema_generated.ts';
import * as flatbuffers from 'flatbuffers';
import { type CCase, STRICT_HOST_CFLAGS, evaluateOp, randomInt8, rng, singleOpGraph } from '../../../../test/helpers/op_harness.ts';
import { expectCMatchesReference } from '../../../../test/helpers/op_checks.ts';
import { concatBytes, runTflmRef, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { type StreamingSpec, streamingGraph } from '../../../../test/helpers/variable_cases.ts';

const SPECS: StreamingSpec[] = [
  { frames: 3, channels: 5, q: { scale: 0.05, zeroPoint: -7 } },
  { frames: 1, channels: 1, q: { scale: 0.5, zeroPoint: 127 } },
  { frames: 2, channels: 12, q: { scale: 0.02, zeroPoint: 3 }, add: { q: { scale: 0.03, zeroPoint: -20 }, out: { scale: 0.06, zeroPoint: 1 } } },
];

/** K inferences' inputs for a graph, each input random. */
function inferences(graph: Graph, rand: () => number, k: number): Uint8Array[][] {
  return Array.from({ length: k }, () =>
    graph.inputs.map((i) => {
      const n = graph.tensors[i]!.shape.reduce((a, b) => a * b, 1);
      return new Uint8Array(randomInt8(rand, n).buffer);
    }),
  );
}

/** The TS reference over the inferences, state carried: every inference's outputs concatenated. */
function referenceRun(graph: Graph, runs: Uint8Array[][]): Uint8Array {
  const { prepared } = compileGraph(graph);
  const state = new Map<number, TensorBuffer>();
  return concatBytes(runs.flatMap((inputs) => interpret(prepared, inputs, state).outputs));
}

describe('READ_VARIABLE and ASSIGN_VARIABLE (resource variables, streaming state)', () => {
  it('copy the variable out and in (one op each)', () => {
    const g = singleOpGraph('READ_VARIABLE', [{ shape: [2, 3], scale: 0.1, zeroPoint: 1 }], [{ shape: [2, 3], scale: 0.1, zeroPoint: 1 }]);
    g.graph.tensors[0]!.isVariable = true;
    const x = Int8Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(evaluateOp(readVariable, g.graph, g.op, [x])[0] as Int8Array)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const a = singleOpGraph(
      'ASSIGN_VARIABLE',
      [
        { shape: [2, 3], scale: 0.1, zeroPoint: 1 },
        { shape: [2, 3], scale: 0.1, zeroPoint: 1 },
      ],
      [],
    );
    a.graph.tensors[0]!.isVariable = true;
    const v = new Int8Array(6);
    assignVariable.evaluate(assignVariable.prepare(a.graph, a.op), [v, x], []);
    expect(Array.from(v)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('reject a non-variable input 0 and a value of another size', () => {
    const g = singleOpGraph('READ_VARIABLE', [{ shape: [2, 3] }], [{ shape: [2, 3] }]);
    expect(() => readVariable.check(g.graph, g.op)).to.throw(OpError, /not a variable tensor/);
    const a = singleOpGraph('ASSIGN_VARIABLE', [{ shape: [2, 3] }, { shape: [3] }], []);
    a.graph.tensors[0]!.isVariable = true;
    expect(() => assignVariable.check(a.graph, a.op)).to.throw(OpError, /value .* int8\[3\]/);
  });

  it('emitted C of both ops matches the reference kernels (int8, int16, int32)', () => {
    const rand = rng(7);
    const cases: CCase[] = [];
    for (const dtype of ['int8', 'int16', 'int32'] as const) {
      const r = singleOpGraph('READ_VARIABLE', [{ shape: [3, 4], dtype }], [{ shape: [3, 4], dtype }]);
      r.graph.tensors[0]!.isVariable = true;
      const a = singleOpGraph(
        'ASSIGN_VARIABLE',
        [
          { shape: [3, 4], dtype },
          { shape: [3, 4], dtype },
        ],
        [],
      );
      a.graph.tensors[0]!.isVariable = true;
      const v = () =>
        dtype === 'int8'
          ? randomInt8(rand, 12)
          : dtype === 'int16'
            ? Int16Array.from(randomInt8(rand, 12), (x) => x * 200)
            : Int32Array.from(randomInt8(rand, 12), (x) => x * 1e7);
      cases.push({ def: readVariable, ...r, inputs: [v()] }, { def: assignVariable, ...a, inputs: [v(), v()] });
    }
    expectCMatchesReference(cases);
  });

  it("are written in the converter's form (CALL_ONCE init subgraph, VAR_HANDLE, RESOURCE tensors) and read back to the IR form", () => {
    const graph = streamingGraph(SPECS[0]!);
    const bytes = writeTflite(graph);
    const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
    expect(model.subgraphsLength()).to.equal(2);
    const kinds = (sg: tfl.SubGraph) =>
      Array.from({ length: sg.operatorsLength() }, (_, i) => tfl.BuiltinOperator[model.operatorCodes(sg.operators(i)!.opcodeIndex())!.builtinCode()]);
    expect(kinds(model.subgraphs(0)!).slice(0, 3)).to.deep.equal(['CALL_ONCE', 'VAR_HANDLE', 'READ_VARIABLE']);
    expect(kinds(model.subgraphs(1)!)).to.deep.equal(['VAR_HANDLE', 'ASSIGN_VARIABLE']);
    expect(model.subgraphs(0)!.tensors(0)!.type()).to.equal(tfl.TensorType.RESOURCE);
    const back = parseTflite(bytes, 'streaming.tflite');
    expect(back.ops.map((op) => op.kind)).to.deep.equal(graph.ops.map((op) => op.kind));
    const state = back.tensors[0]!;
    expect({ dtype: state.dtype, shape: state.shape, isVariable: state.isVariable, name: state.name, zp: state.quant?.zeroPoint }).to.deep.equal({
      dtype: 'int8',
      shape: [1, 3, 5],
      isVariable: true,
      name: 'state',
      zp: [-7],
    });
  });

  it('the reader rejects an initial value other than the reset value', () => {
    const graph = streamingGraph(SPECS[0]!);
    const bytes = writeTflite(graph);
    // the init value's bytes are the zero point (-7 = 0xf9) repeated 15 times in a 16-byte-aligned buffer
    const text = Buffer.from(bytes);
    const at = text.indexOf(Buffer.alloc(15, 0xf9));
    expect(at).to.be.greaterThan(0);
    text[at] = 0;
    expect(() => parseTflite(text, 's.tflite')).to.throw(/initial value is not uniformly the zero point/);
  });

  it('agree with TFLite Micro over several inferences in one input file (state carried), and the TS reference too', function () {
    if (!tflmRefAvailable(this)) return;
    const rand = rng(17);
    for (const spec of SPECS) {
      const graph = streamingGraph(spec);
      const runs = inferences(graph, rand, 5);
      const tflm = runTflmRef(writeTflite(graph), concatBytes(runs.flat())).outputs;
      const ours = referenceRun(parseTflite(writeTflite(graph), 'streaming.tflite'), runs);
      expect(Buffer.from(ours).toString('hex'), JSON.stringify(spec)).to.equal(Buffer.from(tflm).toString('hex'));
      // the state matters: the window of the last inference holds earlier frames
      const first = referenceRun(graph, runs.slice(-1));
      if (spec.frames > 0) expect(Buffer.from(ours.subarray(ours.length - first.length)).equals(Buffer.from(first))).to.equal(false);
    }
  });

  it('float32 variables: TFLite Micro, the reference and the host C (ASan+UBSan) agree bit for bit, state carried', async function () {
    const graph = streamingGraph({ frames: 3, channels: 5, q: { scale: 1, zeroPoint: 0 }, float32: true });
    expect(graph.tensors.find((t) => t.isVariable)!.dtype).to.equal('float32');
    const rand = rng(29);
    const specials = [0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028235e38];
    const runs = Array.from({ length: 5 }, (_, k) => [
      new Uint8Array(Float32Array.from({ length: 5 }, (_, i) => (k === 4 ? specials[i]! : Math.fround(rand() * 8 - 4))).buffer),
    ]);
    const ours = referenceRun(parseTflite(writeTflite(graph), 'streaming_float.tflite'), runs);
    if (tflmRefAvailable(this))
      expect(Buffer.from(ours).toString('hex')).to.equal(Buffer.from(runTflmRef(writeTflite(graph), concatBytes(runs.flat())).outputs).toString('hex'));
    const dir = mkdtempSync(join(tmpdir(), 'tf-resvar-float-'));
    try {
      const path = join(dir, 'streaming_float.tflite');
      writeFileSync(path, writeTflite(graph));
      const report = await runModel(path, { target: 'host', cases: runs, carryState: true, sanitize: true });
      expect(report.matchesReference).to.equal(true);
      expect(report.floatTolerance?.ulps).to.deep.equal([0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the generated C on the host (ASan+UBSan) carries the state like the reference: invoke five times, reset, invoke', () => {
    const rand = rng(23);
    const dir = mkdtempSync(join(tmpdir(), 'tf-resvar-'));
    try {
      for (const [k, spec] of SPECS.entries()) {
        const graph = streamingGraph(spec);
        const runs = inferences(graph, rand, 5);
        const expected = concatBytes([referenceRun(graph, runs), referenceRun(graph, runs.slice(0, 1))]);
        const compiled = compileGraph(graph);
        const modelDir = writeDirectoryAtomically(join(dir, `model${k}`), compiled.generated.files);
        const blob = (bytes: Uint8Array) => `{ ${Array.from(bytes).join(', ')} }`;
        const main = `#include <stdio.h>
#include <string.h>
#include "${compiled.generated.fileNames.header}"
${runs.map((inputs, r) => inputs.map((b, i) => `static const unsigned char in_${r}_${i}[] = ${blob(b)};`).join('\n')).join('\n')}
static void run(int r) {
${runs.map((inputs, r) => inputs.map((_, i) => `  if (r == ${r}) memcpy(tf_model_input(${i}), in_${r}_${i}, sizeof in_${r}_${i});`).join('\n')).join('\n')}
  tf_model_invoke();
  { int o; for (o = 0; o < TF_MODEL_NUM_OUTPUTS; ++o) fwrite(tf_model_output(o), 1, tf_model_output_bytes(o), stdout); }
}
int main(void) {
  int r;
  tf_model_init();
  for (r = 0; r < ${runs.length}; ++r) run(r);
  tf_model_reset();
  run(0);
  return 0;
}
`;
        writeFileSync(join(dir, `main${k}.c`), main);
        const exe = join(dir, `streaming${k}`);
        execFileSync(
          'gcc',
          [
            ...STRICT_HOST_CFLAGS,
            '-I',
            modelDir,
            join(modelDir, compiled.generated.fileNames.source),
            join(modelDir, compiled.generated.fileNames.weightsSource),
            join(dir, `main${k}.c`),
            '-o',
            exe,
          ],
          { stdio: 'pipe' },
        );
        const out = new Uint8Array(execFileSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'] }));
        expect(Buffer.from(out).toString('hex'), JSON.stringify(spec)).to.equal(Buffer.from(expected).toString('hex'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
