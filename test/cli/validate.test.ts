// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { validateModel } from '../../src/lab/run/validate.ts';
import { tinyforge } from '../helpers/cli.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

describe('CLI: validate', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-validate-'));
  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a directory of inputs on the board, each bit-exact with the host reference (--json)', () => {
    const inputs = join(dir, 'inputs');
    mkdirSync(inputs);
    const cases = goldenCases('micro_speech');
    for (const c of cases) writeFileSync(join(inputs, `${c.name}.bin`), c.input);
    writeFileSync(join(inputs, 'notes.txt'), 'not an input');
    const r = tinyforge(['validate', sharedModelPath('micro_speech'), '--inputs', inputs, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(1);
    const j = expectSchemaValid(lines[0]!);
    expect(j).to.include({ model: 'micro_speech', target: 'cortex-m4', board: 'qemu-mps2-an386', matched: cases.length, total: cases.length });
    expect(j.counter.kind).to.equal('instructions');
    expect(j.cases.map((c: { input: string }) => c.input)).to.deep.equal(cases.map((c) => `${c.name}.bin`).sort());
    for (const c of j.cases) {
      expect(c.match, c.input).to.equal(true);
      expect(c.firstMismatch).to.equal(undefined);
      expect(c.count).to.be.greaterThan(0);
    }
  });

  it('takes a raw file of inputs back to back and prints a table', () => {
    const cases = goldenCases('hello_world_int8');
    const file = join(dir, 'all.bin');
    writeFileSync(file, Buffer.concat(cases.map((c) => c.input)));
    const r = tinyforge(['validate', sharedModelPath('hello_world_int8'), '--inputs', file, '--link', 'stdio']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout)
      .to.include('all.bin#0')
      .and.include(`all.bin#${cases.length - 1}`);
    expect(r.stdout).to.match(new RegExp(`all ${cases.length} inputs bit-exact with the host reference on qemu-mps2-an386`));
  });

  it('finds the first layer that differs when one layer computes a wrong byte', async () => {
    // a test-only harness flag flips one byte of layer 2's (FULLY_CONNECTED) output right after it runs
    const graph = loadGraph(sharedModelPath('micro_speech'));
    // planned as the build for cortex-m4 plans it (its kernels' scratch moves the tensors)
    const compiled = compileGraph(graph, 'micro_speech', { isa: loadTarget('cortex-m4').isa });
    const fc = compiled.prepared.layers[2]!;
    expect(fc.op.kind).to.equal('FULLY_CONNECTED');
    // the largest logit, so that the softmax after it must change too
    const [c] = goldenCases('micro_speech');
    const logits = Array.from(interpret(compiled.prepared, [c!.input]).tensors.get(fc.op.outputs[0]!) as Int8Array);
    const element = logits.indexOf(Math.max(...logits));
    const offset = compiled.plan.tensorOffset.get(fc.op.outputs[0]!)! + element;
    const report = await validateModel(sharedModelPath('micro_speech'), {
      target: 'cortex-m4',
      link: 'stdio',
      inputs: [{ name: 'sawtooth', tensors: [c!.input] }],
      extraCflags: ['-DTF_TEST_CORRUPT_LAYER=2', `-DTF_TEST_CORRUPT_OFFSET=${offset}`],
    });
    expect(report.matched).to.equal(0);
    const [k] = report.cases;
    expect(k!.match).to.equal(false);
    expect(k!.firstMismatch!.output).to.equal(0);
    const layer = k!.firstDifferingLayer!;
    expect(layer).to.include({ index: 2, op: 'FULLY_CONNECTED', tensor: fc.op.outputs[0], element });
    expect((layer.expected & 0xff) ^ (layer.actual & 0xff), 'the flipped bit').to.equal(0x40);
  });

  it('refuses missing inputs and a directory without inputs, naming them', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    for (const [path, pattern] of [
      [join(dir, 'nope.bin'), /^error: .*nope\.bin: no such input file or directory$/],
      [empty, /^error: .*empty: no \.bin or \.npy files in the directory$/],
    ] as [string, RegExp][]) {
      const r = tinyforge(['validate', sharedModelPath('micro_speech'), '--inputs', path]);
      expect(r.status).to.not.equal(0);
      expect(r.stderr.trim()).to.match(pattern);
    }
    const r = tinyforge(['validate', sharedModelPath('micro_speech')]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^error: give --inputs PATH .* or --reference DIR .*$/);
  });
});
