// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 UNIDIRECTIONAL_SEQUENCE_LSTM on every kind of target: the host (glibc), the emulated
 * Cortex-M4 (newlib, single-precision FPU), Cortex-M0 and RP2040 (Cortex-M0+; newlib, soft-float) and
 * ESP32-C3 (RV32, soft-float): over several inferences with the state carried from one to the next,
 * every output within FLOAT_LIBM_ULP.UNIDIRECTIONAL_SEQUENCE_LSTM (ULPs of max(|y|, 1)) of the
 * TypeScript reference (as `run` compares) and of TFLite Micro (tflm-ref, or its recorded answers).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { elementCount } from '../../ir/graph.ts';
import { toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { floatUlpBound, floatUlpFloor } from '../common/families/float_libm.ts';
import { maxUlpDistance } from '../common/numerics/float_ulp.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { rng } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { floatLstmGraph } from '../../../../test/helpers/lstm_cases.ts';
import { floatLstmInputs } from '../../../../test/helpers/float_lstm_cases.ts';
import { FLOAT_FAMILY_TARGETS } from '../../../../test/helpers/emulated_variants.ts';

const BOUND = floatUlpBound('UNIDIRECTIONAL_SEQUENCE_LSTM');
const FLOOR = floatUlpFloor('UNIDIRECTIONAL_SEQUENCE_LSTM');
const INFERENCES = 4;

const TARGETS = FLOAT_FAMILY_TARGETS;

describe('float32 UNIDIRECTIONAL_SEQUENCE_LSTM within its bound on every target (state carried over inferences)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-flstm-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // time-major, two batches, a clipped cell; the last inference has extreme inputs (infinities, NaNs, subnormals)
  const { graph, op } = floatLstmGraph({ batches: 2, steps: 5, inputSize: 7, units: 9, timeMajor: true, cellClip: 3, spread: 1, seed: 31 });
  graph.name = 'lstm_float';
  const n = elementCount(graph.tensors[op.inputs[0]!]!.shape);
  const rand = rng(808);
  const cases = Array.from({ length: INFERENCES }, (_, k) => [new Uint8Array(toBytes(floatLstmInputs(rand, n, { extremes: k === INFERENCES - 1 })))]);

  for (const { target, tools } of TARGETS) {
    it(`${target}: within ${BOUND} ULP of max(|y|, ${FLOOR}) of the reference and of TFLite Micro`, async function () {
      if (tools.length > 0) requireTools(this, tools);
      const path = join(dir, `lstm_float_${target.replace(/\W/g, '')}.tflite`);
      saveTflite(path, graph);
      const report = await runModel(path, { target, cases, carryState: true, sanitize: target === 'host' });
      expect(report.matchesReference, 'run compares within the bound').to.equal(true);
      expect(report.floatTolerance?.ulps).to.deep.equal([BOUND]);
      const actual = report.cases.map((c) => Float32Array.from(c.outputs[0]!));
      if (tflmRefAvailable(this)) {
        const input = new Uint8Array(cases.reduce((s, c) => s + c[0]!.length, 0));
        cases.reduce((at, c) => (input.set(c[0]!, at), at + c[0]!.length), 0);
        const theirs = splitTflmOutputs(graph, runTflmRef(writeTflite(graph), input).outputs, INFERENCES);
        let worst = 0;
        actual.forEach((a, k) => {
          const t = new Float32Array(new Uint8Array(theirs[k]![0]!).buffer);
          worst = Math.max(worst, maxUlpDistance(t, a, FLOOR).ulps);
        });
        if (process.env.TINYFORGE_PRINT_ULPS) console.log(target, 'vs reference', report.floatTolerance?.worst, 'vs TFLite Micro', worst);
        expect(worst, `${target} against TFLite Micro`).to.be.at.most(BOUND);
      }
    });
  }
});
