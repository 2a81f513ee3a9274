// SPDX-License-Identifier: Apache-2.0
/**
 * Malformed models of the kinds TFLite Micro's fuzzing harness (GetModel → MicroInterpreter →
 * AllocateTensors → Invoke) starts from, made here from our own writer plus byte edits:
 * - no "TFL3" file identifier (GetModel never reads it): a valid FULLY_CONNECTED, square and
 *   rectangular, compiles and runs bit-exact with TFLite Micro;
 * - the same layer whose options union carries another op's table (the parser's type check fails
 *   and TFLite Micro falls back to zeroed options): refused, one line;
 * - FULLY_CONNECTED weights whose dimension makes the byte count overflow 32 bits (2^31 - 1 rows;
 *   2^30 + 1 rows of 4, which wraps to exactly the 4 bytes the buffer holds; 2^29 - 1 rows, just
 *   under 2^31 bytes; 1610612737 rows, which wraps to a negative int32), over a buffer far too small:
 *   refused, one line;
 * - GATHER with a constant position far outside its axis (float params as in the harness, and int8):
 *   refused, one line; a position computed at run time gives zeros where TFLite Micro's Invoke fails.
 * Every refusal comes from the CLI: a non-zero exit and one `error:` line, no stack trace.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import * as tfl from '../../src/core/model/tflite/generated/schema_generated.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { runModel } from '../../src/lab/run/run.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { tinyforge } from '../helpers/cli.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../helpers/tflm_ref.ts';

const UNIT = { scale: 1, zeroPoint: 0 };

/** FULLY_CONNECTED int8, scale 1 everywhere, no bias: input [batch, depth], weights [units, depth]. */
function fullyConnected(batch: number, units: number, depth: number, weights: Int8Array = new Int8Array(units * depth).fill(1)): Graph {
  const b = new GraphBuilder('fc');
  const x = b.input({ shape: [batch, depth], q: UNIT, name: 'input' });
  const w = b.constant({ shape: [units, depth], q: UNIT, name: 'weight' }, weights);
  const [y] = b.op('FULLY_CONNECTED', [x, w, -1], [{ shape: [batch, units], q: UNIT, name: 'output' }], { activation: 'NONE', keepNumDims: false });
  b.output(y!);
  return b.build();
}

function withoutIdentifier(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.fill(0, 4, 8);
  return out;
}

function withTfl3(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set([0x54, 0x46, 0x4c, 0x33], 4);
  return out;
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Replaces the one shape vector [a, b] of the file by [a2, b2] (the vector is found by its bytes). */
function patchShape(bytes: Uint8Array, from: [number, number], to: [number, number]): Uint8Array {
  const needle = Buffer.from([...le32(2), ...le32(from[0]), ...le32(from[1])]);
  const at = Buffer.from(bytes).indexOf(needle);
  expect(at, `shape [${from.join(',')}] in the file`).to.be.at.least(0);
  expect(Buffer.from(bytes).indexOf(needle, at + 1), `shape [${from.join(',')}] is unique`).to.equal(-1);
  const out = bytes.slice();
  out.set([...le32(to[0]), ...le32(to[1])], at + 4);
  return out;
}

/** Sets op 0's builtin_options_type byte (Operator field 3) to `tag`, leaving its table as it is. */
function patchOptionsType(bytes: Uint8Array, tag: number): Uint8Array {
  const out = bytes.slice();
  const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(out));
  const op = model.subgraphs(0)!.operators(0)!;
  const field = op.bb!.__offset(op.bb_pos, 10);
  expect(field, 'op 0 stores its options type').to.not.equal(0);
  out[op.bb_pos + field] = tag;
  return out;
}

interface Malformed {
  name: string;
  /** what the harness's seed of this kind exercises */
  what: string;
  bytes: Uint8Array;
  /** the one line the CLI prints, or undefined: the model is valid and runs */
  refused?: RegExp;
}

/** Weights of `rows` x `depth` over a buffer sized for `bufferRows` rows: a byte count that overflows. */
function overflowing(name: string, what: string, batch: number, depth: number, bufferRows: number, rows: number): Malformed {
  const bytes = withoutIdentifier(writeTflite(fullyConnected(batch, bufferRows, depth)));
  const patched = patchShape(patchShape(bytes, [bufferRows, depth], [rows, depth]), [batch, bufferRows], [batch, rows]);
  return {
    name,
    what,
    bytes: patched,
    refused: new RegExp(`tensor 1 'weight': buffer 1 holds ${bufferRows * depth} bytes, but int8\\[${rows},${depth}\\] needs ${rows * depth}$`),
  };
}

function gatherModel(dtype: 'float32' | 'int8', position: number | 'input'): Graph {
  const b = new GraphBuilder('gather');
  const q = dtype === 'int8' ? { q: UNIT } : {};
  const x = b.input({ shape: [3, 4], dtype, ...q, name: 'input' });
  const coords = position === 'input' ? b.input({ shape: [1], dtype: 'int32', name: 'coords' }) : b.ints([position]);
  const [y] = b.op('GATHER', [x, coords], [{ shape: [1, 4], dtype, ...q, name: 'output' }], { axis: 0, batchDims: 0 });
  b.output(y!);
  return b.build();
}

const MALFORMED: Malformed[] = [
  overflowing('int32_max_dim', 'a weight dimension of 2^31 - 1 (element count at the int32 limit)', 1, 1, 8, 2 ** 31 - 1),
  overflowing('malicious', 'weights [2^30 + 1, 4]: 2^32 + 4 bytes, which wrap to the 4 the buffer holds', 4, 4, 1, 2 ** 30 + 1),
  overflowing('multidim_overflow', 'the same wrap with a batch of 2', 2, 4, 1, 2 ** 30 + 1),
  overflowing('overflow_trigger', 'the same wrap with a batch of 4', 4, 4, 1, 2 ** 30 + 1),
  overflowing('near_overflow', 'weights [2^29 - 1, 4]: 2^31 - 4 bytes, just under the int32 limit', 4, 4, 8, 2 ** 29 - 1),
  overflowing('negative_overflow', 'weights [1610612737, 4]: a byte count that wraps to a negative int32', 4, 4, 8, 1610612737),
  {
    name: 'valid_small',
    what: 'a valid 4x4 FULLY_CONNECTED without the file identifier',
    bytes: withoutIdentifier(
      writeTflite(
        fullyConnected(
          4,
          4,
          4,
          Int8Array.from({ length: 16 }, (_, i) => (i % 5) - 2),
        ),
      ),
    ),
  },
  {
    name: 'valid_rect',
    what: 'a valid [1,4] x [8,4] FULLY_CONNECTED without the file identifier',
    bytes: withoutIdentifier(writeTflite(fullyConnected(1, 8, 4, randomInt8(rng(3), 32, -3, 3)))),
  },
  {
    name: 'valid_small_other_options',
    what: "the 4x4 layer whose options union is tagged as another op's (StridedSliceOptions)",
    bytes: patchOptionsType(withoutIdentifier(writeTflite(fullyConnected(4, 4, 4))), tfl.BuiltinOptions.StridedSliceOptions),
    refused: /op 0 \(FULLY_CONNECTED\): carries StridedSliceOptions, expected FullyConnectedOptions$/,
  },
  {
    name: 'malicious_gather',
    what: 'GATHER of float params at position 100000 of an axis of 3',
    bytes: writeTflite(gatherModel('float32', 100000)),
    refused: /op 0 \(GATHER\): position 100000 is out of range for axis 0 of size 3$/,
  },
  {
    name: 'malicious_gather_int8',
    what: 'the same out-of-range GATHER position, int8',
    bytes: writeTflite(gatherModel('int8', 100000)),
    refused: /op 0 \(GATHER\): position 100000 is out of range for axis 0 of size 3$/,
  },
  {
    name: 'garbage',
    what: 'text, no flatbuffer',
    bytes: new TextEncoder().encode('not a model, just some text\n'),
    refused: /not a TFLite model \(file identifier "a mo" instead of "TFL3", and the bytes do not read as a TFLite flatbuffer: /,
  },
];

describe('malformed models of the TFLite Micro fuzzing seeds: one line, or bit-exact when valid', function () {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-malformed-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const m of MALFORMED.filter((m) => m.refused)) {
    it(`${m.name} (${m.what}) is refused with one line`, () => {
      const path = join(dir, `${m.name}.tflite`);
      writeFileSync(path, m.bytes);
      const r = tinyforge(['compile', path, '-o', join(dir, `out_${m.name}`)]);
      expect(r.status, r.stderr).to.not.equal(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^error: /);
      expect(lines[0]).to.match(m.refused!);
      expect(r.stderr).to.not.match(/\n\s+at /);
    });
  }

  for (const m of MALFORMED.filter((m) => !m.refused)) {
    it(`${m.name} (${m.what}) compiles and matches TFLite Micro on the host`, async function () {
      const graph = parseTflite(m.bytes, `${m.name}.tflite`);
      const compiled = compileGraph(graph);
      const rand = rng(m.bytes.length);
      const cases = [0, 1, 2].map(() => [new Uint8Array(randomInt8(rand, 4 * graph.tensors[graph.inputs[0]!]!.shape[0]!).buffer)]);
      if (tflmRefAvailable(this)) {
        // tflm-ref verifies its file with the identifier; TFLite Micro's GetModel never reads those bytes
        const run = runTflmRef(withTfl3(m.bytes), Buffer.concat(cases.map((c) => c[0]!)));
        const theirs = splitTflmOutputs(graph, run.outputs, cases.length);
        cases.forEach((cs, k) =>
          expect(Buffer.from(interpret(compiled.prepared, cs).outputs[0]!).toString('hex')).to.equal(Buffer.from(theirs[k]![0]!).toString('hex')),
        );
      }
      const path = join(dir, `${m.name}.tflite`);
      writeFileSync(path, m.bytes);
      const report = await runModel(path, { target: 'host', cases, sanitize: true });
      expect(report.cases.map((c) => c.matchesReference)).to.deep.equal(cases.map(() => true));
    });
  }

  it('a GATHER position out of range at run time gives zeros in the C (TFLite Micro fails that Invoke), under ASan', async () => {
    const graph = gatherModel('int8', 'input');
    const path = join(dir, 'gather_runtime.tflite');
    writeFileSync(path, writeTflite(graph));
    const x = new Uint8Array(Int8Array.from({ length: 12 }, (_, i) => i + 1).buffer);
    const cases = [100000, -1, 2].map((p) => [x, new Uint8Array(Int32Array.from([p]).buffer)]);
    const compiled = compileGraph(graph);
    expect(cases.map((cs) => Array.from(new Int8Array(interpret(compiled.prepared, cs).outputs[0]!.buffer)))).to.deep.equal([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [9, 10, 11, 12],
    ]);
    const report = await runModel(path, { target: 'host', cases, sanitize: true });
    expect(report.cases.map((c) => c.matchesReference)).to.deep.equal([true, true, true]);
  });
});
