// SPDX-License-Identifier: Apache-2.0
/**
 * A hybrid model whose float32 output comes from a libm layer (int8 CONV_2D -> DEQUANTIZE ->
 * LOGISTIC float32 -> output), end to end through the CLI as a user runs it: `run` on the host and on
 * the emulated Cortex-M4, `profile` and `validate` on the emulated Cortex-M4 each compare the float
 * output with the reference within LOGISTIC's ULP bound and print that tolerance, in the text and in
 * --json. The TS reference is within the same bound of TFLite Micro.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { saveTflite } from '../../src/lab/model_files.ts';
import { FLOAT_LIBM_ULP } from '../../src/core/ops/common/families/float_libm.ts';
import { maxUlpDistance } from '../../src/core/ops/common/numerics/float_ulp.ts';
import { requireTools } from '../build/helpers.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { hybridLogistic } from '../helpers/float_libm_models.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { asFloats } from '../helpers/float_libm_cases.ts';
import { tflmOutputs } from '../helpers/tflm_ref.ts';

const BOUND = FLOAT_LIBM_ULP.LOGISTIC!;

describe('a hybrid model with a libm float32 output (int8 conv -> DEQUANTIZE -> LOGISTIC) through the CLI', function () {
  let dir: string;
  let model: string;
  let inputs: string;
  const cases: Uint8Array[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-hybrid-libm-'));
    model = join(dir, 'hybrid_logistic.tflite');
    saveTflite(model, hybridLogistic());
    const rand = rng(612);
    for (let k = 0; k < 4; k++) cases.push(new Uint8Array(randomInt8(rand, 72).buffer));
    inputs = join(dir, 'inputs.bin');
    writeFileSync(inputs, Buffer.concat(cases));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the TS reference is within LOGISTIC's bound of TFLite Micro", () => {
    const graph = hybridLogistic();
    const prepared = compileGraph(graph).prepared;
    for (const c of cases) {
      const ours = asFloats(interpret(prepared, [c]).outputs[0]!);
      const theirs = asFloats(tflmOutputs(graph, [c])[0]!);
      expect(maxUlpDistance(theirs, ours).ulps).to.be.at.most(BOUND);
    }
  });

  for (const target of ['host', 'cortex-m4']) {
    it(`run on ${target}: matches within ${BOUND} ULP and says so (text and --json)`, function () {
      if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const j = tinyforge(['run', model, '--target', target, '--input', inputs, '--json']);
      expect(j.status, j.stderr).to.equal(0);
      const doc = expectSchemaValid(j.stdout.trim());
      expect(doc.matchesReference).to.equal(true);
      expect(doc.cases).to.have.length(cases.length);
      expect(doc.floatTolerance.ulps).to.deep.equal([BOUND]);
      expect(doc.floatTolerance.worst[0]).to.be.at.most(BOUND);
      const t = tinyforge(['run', model, '--target', target, '--input', inputs]);
      expect(t.status, t.stderr).to.equal(0);
      const text = unwrapped(t.stdout);
      expect(text).to.include('all outputs match the host reference within the tolerance');
      expect(text).to.match(new RegExp(`output 0: <= ${BOUND} ULP, worst \\d ULP`));
    });
  }

  it('profile and validate on the emulated Cortex-M4 compare within the tolerance and print it', function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const p = tinyforge(['profile', model, '--target', 'cortex-m4', '--json']);
    expect(p.status, p.stderr).to.equal(0);
    const pj = expectSchemaValid(p.stdout.trim());
    expect(pj.matchesReference).to.equal(true);
    expect(pj.floatTolerance.ulps).to.deep.equal([BOUND]);
    const pt = tinyforge(['profile', model, '--target', 'cortex-m4']);
    expect(pt.status, pt.stderr).to.equal(0);
    expect(unwrapped(pt.stdout)).to.include('outputs match the host reference within the tolerance');
    const v = tinyforge(['validate', model, '--target', 'cortex-m4', '--inputs', inputs, '--json']);
    expect(v.status, v.stderr).to.equal(0);
    const vj = expectSchemaValid(v.stdout.trim());
    expect(vj).to.include({ matched: cases.length, total: cases.length });
    expect(vj.floatTolerance.ulps).to.deep.equal([BOUND]);
    const vt = tinyforge(['validate', model, '--target', 'cortex-m4', '--inputs', inputs]);
    expect(vt.status, vt.stderr).to.equal(0);
    const text = unwrapped(vt.stdout);
    expect(text).to.include(`all ${cases.length} inputs match the host reference within the tolerance`);
    expect(text).to.include(`output 0: <= ${BOUND} ULP`);
  });
});
