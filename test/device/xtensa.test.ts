// SPDX-License-Identifier: Apache-2.0
/**
 * The ESP32 (LX6) and ESP32-S3 (LX7) cores on QEMU's Xtensa sim machine: the shared TFLite Micro
 * models built with Espressif's compilers, bit-exact with the recorded TFLite Micro outputs, counted
 * per inference by the project's QEMU instruction-counting plugin. Neither the compilers nor a qemu-system-xtensa with the ESP32 cores is an apt
 * package (docs/reference-runtimes.md builds them), so without them the suite skips, CI included.
 */
import { expect } from 'chai';
import { basename } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret, splitInputs } from '../../src/core/ops/interpreter.ts';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { boardIsa, boardOf, loadTarget } from '../../src/core/targets/targets.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { validateModel } from '../../src/lab/run/validate.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { XTENSA_BOARD as BOARD, xtensaToolsMissing } from '../helpers/xtensa.ts';
import { skipAbsent } from '../helpers/absent.ts';

const MODELS = ['hello_world_int8', 'micro_speech', 'person_detect', 'simple_add', 'mnist_lstm_int8'];
const TARGETS = ['esp32', 'esp32s3'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

for (const targetName of TARGETS) {
  describe(`device: ${targetName} on QEMU's Xtensa sim machine`, function () {
    before(function () {
      sharedModelsAvailable(this);
      const missing = xtensaToolsMissing(targetName);
      if (missing) skipAbsent(missing, `skipping the ${targetName} runs`, this, false);
    });

    for (const name of MODELS) {
      it(`${name}: bit-exact with TFLite Micro, instructions counted`, async function () {
        const cases = goldenCases(name);
        const target = loadTarget(targetName);
        // the kernels the emulated board runs (the S3's SIMD ones need the chip: boardIsa)
        const isa = boardIsa(target, boardOf(target, BOARD));
        const compiled = compileGraph(readTflite(sharedModelPath(name)), basename(sharedModelPath(name)), { isa });
        const report = await runModel(sharedModelPath(name), {
          target: targetName,
          board: BOARD,
          cases: cases.map((c) => splitInputs(compiled.prepared, c.input, c.name)),
          estimate: false,
        });
        expect(report.board).to.equal(BOARD);
        expect(report.counter?.kind).to.equal('instructions');
        // counted by the QEMU plugin from the invoke function's entry to its return, not by CCOUNT
        expect(report.counter?.source).to.match(/instruction-counting plugin/);
        report.cases.forEach((r, i) => {
          expect(hex(Buffer.from(Int8Array.from(r.outputs.flat()).buffer)), cases[i]!.name).to.equal(hex(cases[i]!.output));
          expect(r.count).to.be.greaterThan(0);
        });
        expect(report.matchesReference).to.equal(true);
        expect(report.memory.arena).to.equal(compiled.plan.arenaBytes);
        expect(report.memory.stack).to.be.greaterThan(0).and.lessThan(target.memory!.stackBytes);
        console.log(`    ${name} on ${targetName}: ${report.perInference} instructions per inference`);
      });
    }

    it('validate counts with the plugin as run does: exact counts, the profile hooks apart', async function () {
      const cases = goldenCases('micro_speech');
      const compiled = compileGraph(readTflite(sharedModelPath('micro_speech')), 'micro_speech.tflite', { isa: loadTarget(targetName).isa });
      const inputs = cases.map((c) => ({ name: c.name, tensors: splitInputs(compiled.prepared, c.input, c.name) }));
      const validated = await validateModel(sharedModelPath('micro_speech'), { target: targetName, board: BOARD, inputs });
      const run = await runModel(sharedModelPath('micro_speech'), { target: targetName, board: BOARD, cases: inputs.map((i) => i.tensors), estimate: false });
      expect(validated.matched).to.equal(cases.length);
      expect(validated.counter.source).to.match(/instruction-counting plugin/);
      // validate runs the profile build: its per-layer hooks add the same few instructions to every case
      const extra = validated.cases.map((c, i) => c.count - (run.cases[i]!.count ?? 0));
      expect(new Set(extra).size, `extra instructions per case: ${extra.join(', ')}`).to.equal(1);
      expect(extra[0])
        .to.be.at.least(0)
        .and.lessThan((run.cases[0]!.count ?? 0) / 1000);
    });

    it("validate's layer search runs extra invokes: the counts fall back to CCOUNT, labelled", async function () {
      const [c] = goldenCases('micro_speech');
      const target = loadTarget(targetName);
      const isa = boardIsa(target, boardOf(target, BOARD));
      const compiled = compileGraph(readTflite(sharedModelPath('micro_speech')), 'micro_speech.tflite', { isa });
      // a bit flipped in the fully connected layer's largest logit, as test/cli/validate.test.ts does
      const fc = compiled.prepared.layers[2]!;
      const logits = Array.from(interpret(compiled.prepared, [c!.input]).tensors.get(fc.op.outputs[0]!) as Int8Array);
      const offset = compiled.plan.tensorOffset.get(fc.op.outputs[0]!)! + logits.indexOf(Math.max(...logits));
      const validated = await validateModel(sharedModelPath('micro_speech'), {
        target: targetName,
        board: BOARD,
        inputs: [{ name: c!.name, tensors: [c!.input] }],
        extraCflags: ['-DTF_TEST_CORRUPT_LAYER=2', `-DTF_TEST_CORRUPT_OFFSET=${offset}`],
      });
      expect(validated.matched).to.equal(0);
      expect(validated.cases[0]!.firstDifferingLayer?.index).to.equal(2);
      expect(validated.counter.source).to.match(/^fallback, the counts of a layer search are not one per case: CCOUNT/);
      expect(validated.cases[0]!.count).to.be.greaterThan(0);
    });

    it('micro_speech with its arena split into PSRAM (--board with PSRAM, --max-ram 4K): bit-exact with TFLite Micro', async function () {
      const cases = goldenCases('micro_speech');
      const board = targetName === 'esp32' ? 'esp32-devkitc-wrover' : 'esp32-s3-devkitc-1';
      const compiled = compileGraph(readTflite(sharedModelPath('micro_speech')), 'micro_speech.tflite', { isa: loadTarget(targetName).isa });
      const report = await runModel(sharedModelPath('micro_speech'), {
        target: targetName,
        board,
        budget: { ram: 4096 },
        cases: cases.map((c) => splitInputs(compiled.prepared, c.input, c.name)),
        estimate: false,
      });
      // the internal arena under 4 KiB, the rest in the second array the sim's RAM holds
      expect(report.memory.arena).to.be.at.most(4096).and.lessThan(compiled.plan.arenaBytes);
      report.cases.forEach((r, i) => {
        expect(hex(Buffer.from(Int8Array.from(r.outputs.flat()).buffer)), cases[i]!.name).to.equal(hex(cases[i]!.output));
      });
    });
  });
}
