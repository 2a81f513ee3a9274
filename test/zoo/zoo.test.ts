// SPDX-License-Identifier: Apache-2.0
/**
 * Models from public model zoos (`../shared/models/zoo/`), as their authors published them: each one
 * compiled for its targets and run on the host (ASan+UBSan) and on one emulated board per kernel
 * family (Arm DSP, Armv6-M, RV32), its outputs compared byte for byte with what TFLite Micro's
 * reference kernels gave for the same inputs (`golden/<model>/`, one inference from a fresh interpreter
 * each, so every case starts from reset state here too). The ESP32 and ESP32-S3 cores run on QEMU's
 * Xtensa sim machine where Espressif's compilers and that QEMU are found (not apt packages: CI skips). Models with state also run their inputs as
 * one stream, the state carried from each to the next (`run --carry-state`), against TFLite Micro
 * doing the same.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../src/core/ir/graph.ts';
import { type CompiledModel, compileFile } from '../../src/core/compile.ts';
import { splitInputs } from '../../src/core/ops/interpreter.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { sharedFile, sharedListing, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { valuesToBytes } from '../fuzz/campaign.ts';
import { runTflmRef, tflmRefAvailable } from '../helpers/tflm_ref.ts';
import { compileForEveryTarget } from '../../src/lab/toolchain/gate.ts';
import { xtensaToolsMissing } from '../helpers/xtensa.ts';
import { skipAbsent } from '../helpers/absent.ts';

interface ZooCase {
  name: string;
  input: Uint8Array;
  output: Uint8Array;
}

/** The models of the zoo sample that tinyforge compiles, and why the others wait. */
const WAITING: Record<string, string> = {};

function zooModels(): string[] {
  return sharedListing('zoo')
    .filter((f) => f.endsWith('.tflite'))
    .map((f) => f.replace(/\.tflite$/, ''))
    .sort();
}

function zooCases(model: string): ZooCase[] {
  const dir = sharedFile('zoo', 'golden', model);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { cases: { name: string; input: string; output: string }[] };
  return index.cases.map((c) => ({ name: c.name, input: readFileSync(join(dir, c.input)), output: readFileSync(join(dir, c.output)) }));
}

/** One case's outputs as TFLite Micro lays them out: each output tensor's bytes, back to back. */
function outputBytes(dtypes: DType[], outputs: number[][]): Buffer {
  return Buffer.concat(outputs.map((values, o) => valuesToBytes(dtypes[o]!, values)));
}

const compiledModels = new Map<string, CompiledModel>();

/** A zoo model compiled with the defaults, once for every test of it (each reads it, none changes it). */
function compiled(path: string): CompiledModel {
  let model = compiledModels.get(path);
  if (!model) {
    model = compileFile(path, {});
    compiledModels.set(path, model);
  }
  return model;
}

/** Models with state (variable tensors: SVDF, LSTM): their inputs also run as one stream. */
function hasState(path: string): boolean {
  return compiled(path).graph.tensors.some((t) => t.isVariable);
}

/** One emulated board per kernel family; the golden case each runs (the gaussian one: every value path) */
const FAMILY_BOARDS: { target: string; family: string }[] = [
  { target: 'cortex-m4', family: 'arm-dsp' },
  { target: 'rp2040', family: 'armv6m' },
  { target: 'esp32c3', family: 'rv32' },
  { target: 'cortex-m55', family: 'arm-mve' },
  { target: 'esp32', family: 'xtensa' },
  { target: 'esp32s3', family: 'xtensa' },
];

/** The tools an emulated board of `target` needs, or skips the test with one line. */
function requireBoardTools(context: Mocha.Context, target: string): void {
  if (target.startsWith('esp32') && target !== 'esp32c3') {
    const missing = xtensaToolsMissing(target);
    if (missing) skipAbsent(missing, `skipping the ${target} run`, context, false);
    return;
  }
  requireTools(context, target === 'esp32c3' ? ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] : ['arm-none-eabi-gcc', 'qemu-system-arm']);
}

describe('model zoo sample (../shared/models/zoo): bit-exact with TFLite Micro', function () {
  before(function () {
    sharedModelsAvailable(this);
  });

  // listed at describe time: with no zoo here, one test stands for them and skips with the notice
  if (zooModels().length === 0)
    it('the zoo sample', function () {
      if (sharedModelsAvailable(this)) expect.fail('the shared models hold no zoo/*.tflite');
    });

  for (const model of zooModels()) {
    const path = sharedFile('zoo', `${model}.tflite`);
    describe(model, () => {
      if (WAITING[model]) {
        it(`waits for ${WAITING[model]}`, function () {
          this.skip();
        });
        return;
      }

      it("every target's toolchain and flags (-Werror): no diagnostic", async () => {
        const result = await compileForEveryTarget(path, { link: false });
        expect(result.failures, result.failures.join('\n')).to.deep.equal([]);
      });

      it('host build (ASan+UBSan): every golden case', async function () {
        requireTools(this, ['cc']);
        const net = compiled(path);
        const dtypes = net.graph.outputs.map((t) => net.graph.tensors[t]!.dtype);
        const cases = zooCases(model);
        const report = await runModel(path, { target: 'host', sanitize: true, cases: cases.map((c) => splitInputs(net.prepared, c.input, c.name)) });
        report.cases.forEach((r, i) => expect(outputBytes(dtypes, r.outputs).equals(cases[i]!.output), `${model} ${cases[i]!.name}`).to.equal(true));
        expect(report.matchesReference).to.equal(true);
      });

      it('with state: the golden inputs back to back, state carried (run --carry-state), as TFLite Micro carries it', async function () {
        if (!hasState(path)) this.skip();
        if (!tflmRefAvailable(this)) return;
        requireTools(this, ['cc', 'arm-none-eabi-gcc', 'qemu-system-arm']);
        const net = compiled(path);
        const dtypes = net.graph.outputs.map((t) => net.graph.tensors[t]!.dtype);
        const cases = zooCases(model);
        const stream = runTflmRef(readFileSync(path), Buffer.concat(cases.map((c) => c.input))).outputs;
        for (const target of ['host', 'cortex-m4']) {
          const report = await runModel(path, {
            target,
            carryState: true,
            estimate: false,
            cases: cases.map((c) => splitInputs(net.prepared, c.input, c.name)),
          });
          const ours = Buffer.concat(report.cases.map((r) => outputBytes(dtypes, r.outputs)));
          expect(ours.equals(Buffer.from(stream)), `${model} on ${target}, state carried`).to.equal(true);
          expect(report.matchesReference, target).to.equal(true);
        }
      });

      for (const { target, family } of FAMILY_BOARDS) {
        it(`${family} kernels on the emulated ${target}: the gaussian case`, async function () {
          requireBoardTools(this, target);
          const net = compiled(path);
          const dtypes = net.graph.outputs.map((t) => net.graph.tensors[t]!.dtype);
          const c = zooCases(model).find((k) => k.name === 'gaussian') ?? zooCases(model)[0]!;
          const report = await runModel(path, { target, cases: [splitInputs(net.prepared, c.input, c.name)], estimate: false });
          expect(outputBytes(dtypes, report.cases[0]!.outputs).equals(c.output), `${model} on ${target}`).to.equal(true);
        });
      }
    });
  }
});
