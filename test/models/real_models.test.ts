// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { basename } from 'node:path';
import type { PatchOption } from '../../src/core/plan/patch_policy.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { unsupportedOps } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { splitInputs } from '../../src/core/ops/interpreter.ts';
import { toBytes } from '../../src/core/ir/buffers.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { SHARED_MODEL_NAMES, goldenActivation, goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

/** Models of ../shared/models that use only ops tinyforge compiles today. */
const COMPILABLE = ['hello_world_int8', 'micro_speech', 'person_detect', 'simple_add', 'mnist_lstm_int8'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('real TFLite Micro models (../shared/models)', function () {
  before(function () {
    sharedModelsAvailable(this);
  });

  it('compiles exactly the models whose ops are all supported; the rest fail with the list of ops', () => {
    for (const name of SHARED_MODEL_NAMES) {
      const missing = unsupportedOps(readTflite(sharedModelPath(name)));
      expect(missing.length === 0, `${name}: ${missing.join(', ')}`).to.equal(COMPILABLE.includes(name));
      if (missing.length > 0) console.log(`    NOTICE: ${name} not compiled yet: unsupported ${missing.join(', ')}`);
    }
  });

  for (const name of COMPILABLE) {
    describe(name, () => {
      const load = (patch?: PatchOption) => {
        const graph = readTflite(sharedModelPath(name));
        return compileGraph(graph, basename(sharedModelPath(name)), { isa: loadTarget('cortex-m4').isa, patch });
      };

      it('the TypeScript reference reproduces every output and every recorded activation', () => {
        // whole tensors: a row-band stage (the default on person_detect) keeps its inner tensors to itself
        const compiled = load('off');
        for (const c of goldenCases(name)) {
          const run = interpret(compiled.prepared, splitInputs(compiled.prepared, c.input, c.name));
          for (const [index, value] of run.tensors) {
            const recorded = goldenActivation(c, index);
            if (recorded) expect(hex(toBytes(value)), `${c.name}: tensor ${index}`).to.equal(hex(recorded));
          }
          expect(hex(Buffer.concat(run.outputs)), c.name).to.equal(hex(c.output));
        }
      });

      it('the generated C built for the host under ASan+UBSan reproduces the recorded outputs', async () => {
        const cases = goldenCases(name);
        const compiled = load();
        const report = await runModel(sharedModelPath(name), {
          target: 'host',
          sanitize: true,
          cases: cases.map((c) => splitInputs(compiled.prepared, c.input, c.name)),
        });
        report.cases.forEach((r, i) => {
          expect(hex(Buffer.from(Int8Array.from(r.outputs.flat()).buffer)), cases[i]!.name).to.equal(hex(cases[i]!.output));
        });
        expect(report.matchesReference).to.equal(true);
      });

      it('runs bit-exact on the emulated Cortex-M4 (QEMU mps2-an386) and reads back counter and memory', async () => {
        const cases = goldenCases(name);
        const compiled = load();
        const report = await runModel(sharedModelPath(name), {
          target: 'cortex-m4',
          cases: cases.map((c) => splitInputs(compiled.prepared, c.input, c.name)),
          estimate: false, // the counter is checked here; the timing model has its own tests
        });
        expect(report.board).to.equal('qemu-mps2-an386');
        expect(report.counter?.kind).to.equal('instructions');
        report.cases.forEach((r, i) => {
          expect(hex(Buffer.from(Int8Array.from(r.outputs.flat()).buffer)), cases[i]!.name).to.equal(hex(cases[i]!.output));
          expect(r.count).to.be.greaterThan(0);
        });
        expect(report.memory.arena).to.equal(compiled.plan.arenaBytes);
        expect(report.memory.stack)
          .to.be.greaterThan(0)
          .and.lessThan(64 * 1024);
        const hasWeights = compiled.graph.tensors.some((t) => t.data && compiled.graph.ops.some((op) => op.kind !== 'RESHAPE' && op.inputs.includes(t.index)));
        expect(report.memory.flashWeights > 0).to.equal(hasWeights);
        expect(report.memory.flashWeights).to.be.at.most(report.memory.flash);
        console.log(
          `    ${name}: ${report.perInference} instructions, arena ${report.memory.arena}, stack ${report.memory.stack}, flash ${report.memory.flash} (weights ${report.memory.flashWeights})`,
        );
      });

      // hello_world_int8 and micro_speech run there in test/device/boards.test.ts
      if (!['hello_world_int8', 'micro_speech'].includes(name))
        it('runs bit-exact on the emulated Cortex-M55 (QEMU mps3-an547), the Helium target', async () => {
          const cases = goldenCases(name);
          const target = loadTarget('cortex-m55');
          const compiled = compileGraph(readTflite(sharedModelPath(name)), basename(sharedModelPath(name)), { isa: target.isa });
          const report = await runModel(sharedModelPath(name), {
            target: 'cortex-m55',
            cases: cases.map((c) => splitInputs(compiled.prepared, c.input, c.name)),
            estimate: false,
          });
          expect(report.board).to.equal('qemu-mps3-an547');
          report.cases.forEach((r, i) => {
            expect(hex(Buffer.from(Int8Array.from(r.outputs.flat()).buffer)), cases[i]!.name).to.equal(hex(cases[i]!.output));
            expect(r.count).to.be.greaterThan(0);
          });
          expect(report.matchesReference).to.equal(true);
        });
    });
  }
});
