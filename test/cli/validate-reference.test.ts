// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge validate MODEL --reference DIR`: every layer's output read back from the device and
 * compared with TFLite Micro's per-tensor dump (tflm-ref --layers DIR).
 */
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { runTflmRef, withOracle, writeLayersDir } from '../helpers/tflm_ref.ts';
import { requireTools } from '../build/helpers.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { validateAgainstReference } from '../../src/lab/run/validate-reference.ts';
import { matchReference, readReferenceDump } from '../../src/lab/run/reference.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

describe('CLI: validate --reference (per-layer dumps)', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-validate-ref-'));
  const model = sharedModelPath('micro_speech');
  const ref = join(dir, 'ref');
  const input = join(dir, 'in.bin');
  /** the dump of another model */
  const otherRef = join(dir, 'hello-ref');

  /** A dump by tflm-ref of `modelPath` on `inputPath` into `out`. */
  const dump = (modelPath: string, out: string, inputPath?: string) => {
    writeLayersDir(runTflmRef(modelPath, inputPath ? new Uint8Array(readFileSync(inputPath)) : undefined, { layers: true }), out);
  };
  /** A copy of the reference with one byte of tensor `tensor` flipped. */
  const flipped = (name: string, tensor: number, byte: number) => {
    const copy = join(dir, name);
    cpSync(ref, copy, { recursive: true });
    const bytes = readFileSync(join(copy, `${tensor}.bin`));
    bytes[byte]! ^= 0x10;
    writeFileSync(join(copy, `${tensor}.bin`), bytes);
    return copy;
  };

  /** `graph` written as NAME.tflite, dumped by tflm-ref on `input`, validated on the host: the --json report (a match asserted) */
  const validateBuilt = (name: string, graph: Graph, input: Int8Array) => {
    const path = join(dir, `${name}.tflite`);
    writeFileSync(path, writeTflite(graph));
    const inputPath = join(dir, `${name}-in.bin`);
    writeFileSync(inputPath, input);
    const out = join(dir, `${name}-ref`);
    dump(path, out, inputPath);
    const r = tinyforge(['validate', path, '--reference', out, '--input', inputPath, '--target', 'host', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const j = expectSchemaValid(r.stdout);
    expect(j.match).to.equal(true);
    return j;
  };

  before(function () {
    sharedModelsAvailable(this);
    writeFileSync(input, goldenCases('micro_speech')[0]!.input);
    withOracle(this, () => {
      dump(model, ref, input);
      dump(sharedModelPath('hello_world_int8'), otherRef);
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('on the host', function () {
    before(function () {
      requireTools(this, [loadTarget('host').toolchain.cc]);
    });

    it('agrees with TFLite Micro at every layer and output (--json), taking the input from the reference', () => {
      const r = tinyforge(['validate', model, '--reference', ref, '--target', 'host', '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const j = expectSchemaValid(r.stdout);
      expect(j).to.include({ model: 'micro_speech', target: 'host', board: null, match: true, firstDifference: null, inferences: 1 });
      expect(j.input).to.match(/reference/);
      expect(j.layers.map((l: { position: number; op: string; opIndex: number }) => [l.position, l.op, l.opIndex])).to.deep.equal([
        [0, 'RESHAPE', 0],
        [1, 'DEPTHWISE_CONV_2D', 1],
        [2, 'FULLY_CONNECTED', 2],
        [3, 'SOFTMAX', 3],
      ]);
      for (const l of j.layers) for (const t of l.tensors) expect(t, `layer ${l.position}`).to.include({ differing: 0, matchedBy: 'index' });
      expect(j.outputs).to.have.length(1);
      expect(j.outputs[0]).to.include({ output: 0, tensor: 9, differing: 0 });
      expect(j.checked).to.deep.equal({ inputs: 1, constants: 5 });
      expect(j.notComparable).to.deep.equal([]);
    });

    it('plans whole tensors for a model the default runs in row bands, so every layer is compared (person_detect)', () => {
      const person = sharedModelPath('person_detect');
      const personRef = join(dir, 'person-ref');
      dump(person, personRef);
      const r = tinyforge(['validate', person, '--reference', personRef, '--target', 'host', '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const j = expectSchemaValid(r.stdout);
      expect(j).to.include({ model: 'person_detect', match: true });
      const ops = j.layers.map((l: { op: string }) => l.op);
      expect(ops).to.not.include('PATCH_STAGE');
      expect(ops.slice(0, 4)).to.deep.equal(['DEPTHWISE_CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D']);
    });

    it('names the layer and tensor whose dump has one flipped byte, with a one-line verdict', () => {
      // tensor 2 "Relu" is the output of layer 1 (DEPTHWISE_CONV_2D); element 1234
      const r = tinyforge(['validate', model, '--reference', flipped('flip-host', 2, 1234), '--input', input, '--target', 'host']);
      expect(r.status, r.stderr).to.equal(3);
      const last = unwrapped(r.stdout).trim().split('\n').at(-1)!;
      expect(last).to.match(
        /^DIFFERS from the reference .*flip-host on host: first at layer 1 DEPTHWISE_CONV_2D \(op 1\), tensor 2 "Relu": element 1234 expected -?\d+, got -?\d+ \(1 of 4000 elements differ\)$/,
      );
      expect(r.stderr).to.not.match(/\n\s+at /);
    });

    it('lists the tensors the graph passes folded away as not comparable, without failing on them', () => {
      // TRANSPOSE of a constant and SHAPE are folded at compile time; TFLite Micro runs them
      const Q = { scale: 0.5, zeroPoint: 1 };
      const b = new GraphBuilder('consts');
      const x = b.input({ shape: [1, 3], q: Q, name: 'x' });
      const w = b.constant({ shape: [3, 1], q: { scale: 0.2, zeroPoint: 4 }, name: 'w' }, Int8Array.from([1, -2, 100]));
      const [wt] = b.op('TRANSPOSE', [w, b.ints([1, 0])], [{ shape: [1, 3], q: { scale: 0.2, zeroPoint: 4 }, name: 'wt' }]);
      const [y] = b.op('ADD', [x, wt!], [{ shape: [1, 3], q: { scale: 0.25, zeroPoint: -3 }, name: 'y' }], { activation: 'NONE' });
      const [s] = b.op('SHAPE', [y!], [{ shape: [2], dtype: 'int32', name: 's' }], { outType: 'INT32' });
      const [z] = b.op('RESHAPE', [y!, s!], [{ shape: [1, 3], q: { scale: 0.25, zeroPoint: -3 }, name: 'z' }]);
      b.output(z!);
      const j = validateBuilt('consts', b.build(), Int8Array.from([5, -7, 60]));
      expect(j.notComparable.map((n: { tensor: number }) => n.tensor)).to.deep.equal([wt, s]);
      for (const n of j.notComparable) expect(n.reason).to.match(/folded/);
      expect(j.layers.flatMap((l: { tensors: { tensor: number }[] }) => l.tensors.map((t) => t.tensor))).to.deep.equal([y, z]);
      expect(j.outputs[0]).to.include({ tensor: z, differing: 0 });
    });

    it('agrees with TFLite Micro on a FULLY_CONNECTED pair whose dead and constant neurons the passes removed, the narrowed tensor not comparable', () => {
      // fc a: 6 neurons, row 1 all zeros (a constant output folded into b's bias); b reads no neuron 4
      const b = new GraphBuilder('dead');
      const x = b.input({ shape: [1, 5], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
      const wa = Int8Array.from({ length: 30 }, (_, i) => (Math.floor(i / 5) === 1 ? 0 : ((i * 37) % 200) - 100));
      const a = b.constant({ shape: [6, 5], q: { scale: 0.01, zeroPoint: 0 }, name: 'wa' }, wa);
      const ba = b.constant({ shape: [6], dtype: 'int32', q: { scale: 0.0005, zeroPoint: 0 }, name: 'ba' }, Int32Array.from([10, 9000, -40, 300, 0, 77]));
      const [h] = b.op('FULLY_CONNECTED', [x, a, ba], [{ shape: [1, 6], q: { scale: 0.1, zeroPoint: -128 }, name: 'h' }], {
        activation: 'RELU',
        keepNumDims: false,
      });
      const wb = Int8Array.from({ length: 18 }, (_, i) => (i % 6 === 4 ? 0 : ((i * 53) % 220) - 110));
      const w2 = b.constant({ shape: [3, 6], q: { scale: 0.02, zeroPoint: 0 }, name: 'wb' }, wb);
      const bb = b.constant({ shape: [3], dtype: 'int32', q: { scale: 0.002, zeroPoint: 0 }, name: 'bb' }, Int32Array.from([5, -60, 200]));
      const [y] = b.op('FULLY_CONNECTED', [h!, w2, bb], [{ shape: [1, 3], q: { scale: 0.3, zeroPoint: 2 }, name: 'y' }], {
        activation: 'NONE',
        keepNumDims: false,
      });
      b.output(y!);
      const j = validateBuilt('dead', b.build(), Int8Array.from([5, -7, 60, 127, -128]));
      expect(j.notComparable.map((n: { tensor: number }) => n.tensor)).to.deep.equal([h]);
      expect(j.notComparable[0].reason).to.match(/^narrowed by the graph passes/);
      expect(j.outputs[0]).to.include({ tensor: y, differing: 0 });
    });
  });

  describe('on the emulated Cortex-M4', function () {
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    });

    it('agrees with TFLite Micro at every layer and output', () => {
      const r = tinyforge(['validate', model, '--reference', ref, '--input', input, '--link', 'stdio']);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^micro_speech on qemu-mps2-an386, input: in\.bin$/m);
      expect(r.stdout).to.match(/^1 +DEPTHWISE_CONV_2D +1 +2 "Relu" +equal$/m);
      expect(unwrapped(r.stdout).trim().split('\n').at(-1)).to.match(/^all 4 layer outputs and 1 model output equal the reference .* on qemu-mps2-an386$/);
    });

    it('names exactly the layer whose dump has one flipped byte (--json)', () => {
      // tensor 6 "add_1" is the output of layer 2 (FULLY_CONNECTED); the softmax after it still agrees
      const r = tinyforge(['validate', model, '--reference', flipped('flip-m4', 6, 3), '--input', input, '--link', 'stdio', '--json']);
      expect(r.status, r.stderr).to.equal(3);
      const j = expectSchemaValid(r.stdout);
      expect(j).to.include({ match: false, board: 'qemu-mps2-an386' });
      expect(j.firstDifference).to.include({
        kind: 'layer',
        position: 2,
        op: 'FULLY_CONNECTED',
        opIndex: 2,
        tensor: 6,
        name: 'add_1',
        element: 3,
        differing: 1,
        elements: 4,
      });
      expect((j.firstDifference.expected ^ j.firstDifference.actual) & 0xff).to.equal(0x10);
      expect(j.outputs[0].differing).to.equal(0);
      expect(r.stderr.trim().split('\n').at(-1)).to.match(
        /^error: .*: DIFFERS from the reference .*: first at layer 2 FULLY_CONNECTED \(op 2\), tensor 6 "add_1": element 3 /,
      );
    });
  });

  it("matches entries by the model file's index, and by name where the index does not fit", () => {
    const renumbered = join(dir, 'renumbered');
    cpSync(ref, renumbered, { recursive: true });
    const entries = JSON.parse(readFileSync(join(ref, 'index.json'), 'utf8')) as { index: number; name: string }[];
    for (const e of entries) if (e.name === 'add_1') e.index = 42;
    writeFileSync(join(renumbered, 'index.json'), JSON.stringify(entries));
    cpSync(join(ref, '6.bin'), join(renumbered, '42.bin'));
    rmSync(join(renumbered, '6.bin'));
    const matched = matchReference(loadGraph(model), readReferenceDump(renumbered), 'micro_speech.tflite');
    expect(matched.find((m) => m.ref.index === 42)).to.include({ tensor: 6, by: 'name' });
    expect(matched.filter((m) => m.by === 'index').map((m) => m.tensor)).to.deep.equal([0, 1, 2, 3, 4, 5, 7, 8, 9]);
  });

  it('refuses a bad reference directory or input with one line naming the file, before any build', async () => {
    const bad = (name: string, files: Record<string, string | Uint8Array>) => {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      for (const [f, content] of Object.entries(files)) writeFileSync(join(d, f), content);
      return d;
    };
    const index = readFileSync(join(ref, 'index.json'), 'utf8');
    const short = bad('short', { 'index.json': index });
    cpSync(ref, short, { recursive: true });
    writeFileSync(join(short, '6.bin'), new Uint8Array(3));
    const missingBin = bad('missing-bin', { 'index.json': index });
    const cases: [string[], RegExp][] = [
      [['--reference', join(dir, 'nope')], /^error: .*nope: no such reference directory$/],
      [['--reference', bad('empty', {})], /^error: .*empty[/\\]index\.json: not found \(.*\)$/],
      [['--reference', bad('garbled', { 'index.json': '[{"index": 0,' })], /^error: .*garbled[/\\]index\.json: not valid JSON \(.*\)$/],
      [
        ['--reference', bad('object', { 'index.json': '{"tensors": []}' })],
        /^error: .*object[/\\]index\.json: expected a JSON array of tensor entries, got object$/,
      ],
      [
        ['--reference', bad('no-shape', { 'index.json': '[{"index": 9, "name": "labels_softmax", "type": "int8", "bytes": 4}]' })],
        /^error: .*no-shape[/\\]index\.json: entry 0 \(tensor 9\): "shape" must be a list of non-negative integers$/,
      ],
      [['--reference', missingBin], /^error: .*missing-bin[/\\]0\.bin: not found \(index\.json lists tensor 0 "Conv2D_bias"\)$/],
      [['--reference', short], /^error: .*short[/\\]6\.bin: 3 bytes, index\.json says tensor 6 "add_1" \(int8 \[1,4\]\) has 4$/],
      [
        ['--reference', otherRef],
        /^error: .*hello-ref[/\\]index\.json: tensor 0 ".*" int8 \[1,1\] is not a tensor of micro_speech\.tflite by index or by name.*: is the reference from another model\?$/,
      ],
      [
        ['--reference', ref, '--input', join(dir, 'zeros.bin')],
        /^error: .*ref[/\\]3\.bin: model input 0 \(tensor 3 "Reshape_1"\) differs from the input given \(zeros\.bin\) at byte \d+: the reference was made with another input/,
      ],
      [['--reference', ref, '--inputs', input], /^error: give --inputs .* or --reference .*, not both$/],
      [['--reference', ref, '--carry-state'], /^error: --carry-state goes with --inputs: --reference compares one input, from reset state$/],
    ];
    writeFileSync(join(dir, 'zeros.bin'), new Uint8Array(1960));
    // through the command for two of them (one line, status 1, nothing on stdout), the rest through the API (fast)
    for (const [args, pattern] of [cases[0]!, cases[7]!, cases[9]!, cases[10]!]) {
      const r = tinyforge(['validate', model, ...args, '--target', 'host']);
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stdout, args.join(' ')).to.equal('');
      expect(r.stderr.trim(), args.join(' ')).to.match(pattern);
    }
    for (const [args, pattern] of cases.slice(0, 9)) {
      const options = { target: 'host', reference: args[1]!, input: args[3] };
      const error = await validateAgainstReference(model, options).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, args.join(' ')).to.be.instanceOf(TinyforgeError);
      expect(`error: ${(error as Error).message}`, args.join(' ')).to.match(pattern);
    }
  });
});
