// SPDX-License-Identifier: Apache-2.0
/**
 * The shared models in an independent interpreter (tfjs-tflite: desktop TFLite in WASM), against the
 * TFLite Micro golden outputs, and our written copies against the originals. Desktop TFLite is not
 * TFLite Micro: where its kernels round differently the deviation is recorded below, so a change in
 * either direction shows.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { runTfliteInterpreter } from '../helpers/tfjs_tflite.ts';
import { GoldenCase, SHARED_MODEL_NAMES, goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { Graph, byteSize } from '../../src/core/ir/graph.ts';

/** The shared models tfjs-tflite loads (observed with tfjs-tflite 0.0.1-alpha.10). */
const ACCEPTED = ['hello_world_int8', 'micro_speech', 'simple_add', 'mnist_lstm_int8'];

/**
 * Largest |output - golden| per case where desktop TFLite differs from TFLite Micro; every case not
 * listed must match byte for byte.
 */
const KNOWN_DEVIATION: Record<string, Record<string, number>> = {
  // XNNPACK's int8 ADD rounds one of 16384 elements differently
  simple_add: { uniform: 1 },
  // desktop TFLite's integer LSTM is another kernel than TFLite Micro's
  mnist_lstm_int8: { zero_point: 12, gaussian: 8 },
  // optimized conv/depthwise kernels, once the model loads (see the axis-0 copy below)
  person_detect: { zero_point: 1, gaussian: 1, uniform: 1 },
};

/** Splits a golden input (all input tensors concatenated) into one byte array per input. */
function splitInputs(graph: Graph, input: Uint8Array): Uint8Array[] {
  let offset = 0;
  const parts = graph.inputs.map((i) => {
    const size = byteSize(graph.tensors[i]!);
    const part = input.subarray(offset, offset + size);
    offset += size;
    return part;
  });
  expect(offset).to.equal(input.length);
  return parts;
}

function maxDeviation(output: Uint8Array, golden: Uint8Array): number {
  expect(output.length).to.equal(golden.length);
  const a = new Int8Array(output.buffer, output.byteOffset, output.length);
  const b = new Int8Array(golden.buffer, golden.byteOffset, golden.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function runCase(modelBytes: Uint8Array, graph: Graph, c: GoldenCase): Promise<Uint8Array> {
  const outputs = await runTfliteInterpreter(modelBytes, splitInputs(graph, c.input));
  return new Uint8Array(Buffer.concat(outputs));
}

function expectNearGolden(model: string, c: GoldenCase, output: Uint8Array): void {
  const allowed = KNOWN_DEVIATION[model]?.[c.name] ?? 0;
  const deviation = maxDeviation(output, c.output);
  expect(deviation, `${model} ${c.name}: max deviation from golden`).to.be.at.most(allowed);
  if (allowed > 0) expect(deviation, `${model} ${c.name}: recorded deviation no longer seen`).to.be.greaterThan(0);
}

describe('tfjs-tflite as an independent interpreter', function () {
  it('accepts exactly the models observed, and says why it refuses the others', async function () {
    if (!sharedModelsAvailable(this)) return;
    const accepted: string[] = [];
    for (const model of SHARED_MODEL_NAMES) {
      const graph = readTflite(sharedModelPath(model));
      try {
        await runCase(new Uint8Array(readFileSync(sharedModelPath(model))), graph, goldenCases(model)[0]!);
        accepted.push(model);
      } catch (e) {
        expect((e as Error).message, model).to.match(
          /^tfjs-tflite refused the model \(it rejects some per-channel quantized models\): .*quantized_dimension must be in range \[0, 1\)\. Was 3/,
        );
      }
    }
    expect(accepted).to.deep.equal(ACCEPTED);
  });

  it('refuses a non-model with a clear error, and leaves no browser globals behind once loaded', async function () {
    let refusal = '';
    await runTfliteInterpreter(new Uint8Array(16), []).catch((e: Error) => {
      refusal = e.message;
    });
    expect(refusal).to.match(/^tfjs-tflite refused the model/);
    const g = globalThis as Record<string, unknown>;
    expect(['self', 'importScripts', 'location'].filter((name) => name in g)).to.deep.equal([]);
    expect(typeof g.MessageChannel).to.equal('function');
    expect(typeof g.fetch).to.equal('function');
  });

  for (const model of ACCEPTED) {
    it(`${model}: matches the TFLite Micro golden outputs (deviations recorded), and so does our written copy`, async function () {
      if (!sharedModelsAvailable(this)) return;
      const original = new Uint8Array(readFileSync(sharedModelPath(model)));
      const graph = readTflite(sharedModelPath(model));
      const written = writeTflite(graph);
      for (const c of goldenCases(model)) {
        const output = await runCase(original, graph, c);
        expectNearGolden(model, c, output);
        expect(await runCase(written, graph, c), `${model} ${c.name}: written copy`).to.deep.equal(output);
      }
    });
  }

  it("person_detect: runs once its rank-1 tensors' quantized dimension is 0 (the file says 3, which desktop TFLite refuses)", async function () {
    if (!sharedModelsAvailable(this)) return;
    const graph = readTflite(sharedModelPath('person_detect'));
    const biases = graph.tensors.filter((t) => t.shape.length === 1 && t.quant && t.quant.axis >= 1);
    expect(biases.length).to.equal(14);
    for (const t of biases) t.quant!.axis = 0;
    const written = writeTflite(graph);
    for (const c of goldenCases('person_detect')) expectNearGolden('person_detect', c, await runCase(written, graph, c));
  });
});
