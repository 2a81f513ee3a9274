// SPDX-License-Identifier: Apache-2.0
/**
 * Int4 weights end to end: TFLite INT4 constants through our writer and reader (packing, odd counts),
 * TensorFlow Lite Micro (tflm-ref) as the oracle on generated INT4 layers and on a small INT4 model,
 * and that model compiled and run on the host and on the emulated Cortex-M4 and RP2040, every output
 * equal to the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '../../../model/tflite/generated/schema_generated.ts';
import * as flatbuffers from 'flatbuffers';
import { packInt4, unpackInt4 } from '../../../ir/int4.ts';
import { parseTflite } from '../../../model/tflite/reader.ts';
import { writeTflite } from '../../../model/tflite/writer.ts';
import { compileGraph } from '../../../compile.ts';
import { loadTarget } from '../../../targets/targets.ts';
import { elementCount } from '../../../ir/graph.ts';
import { interpret } from '../../interpreter.ts';
import { requireTools } from '../../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../../test/helpers/emulated_variants.ts';
import { int4SmallNet } from '../../../../../test/helpers/int4_models.ts';
import { int4Cases } from '../../../../../test/helpers/int4_cases.ts';
import { randomInt8, rng, singleOpGraph } from '../../../../../test/helpers/op_harness.ts';
import { expectTflmAgrees } from '../../../../../test/helpers/op_checks.ts';
import { runTflmRef, tflmRefAvailable } from '../../../../../test/helpers/tflm_ref.ts';
import { preferInSuite, suiteChoices } from '../../../../../test/helpers/prefer.ts';

function fileTensorTypes(bytes: Uint8Array): { type: number; bufferBytes: number }[] {
  const model = tfl.Model.getRootAsModel(new flatbuffers.ByteBuffer(bytes));
  const sg = model.subgraphs(0)!;
  return Array.from({ length: sg.tensorsLength() }, (_, i) => {
    const t = sg.tensors(i)!;
    return { type: t.type(), bufferBytes: t.buffer() === 0 ? 0 : (model.buffers(t.buffer())!.dataLength() ?? 0) };
  });
}

describe('int4 weights: TFLite INT4 import/export, TFLite Micro, devices', () => {
  preferInSuite('size', { entropy: false, palette: false });
  it('packs as TFLite: low nibble first, an odd count padded with a zero high nibble', () => {
    expect(Array.from(packInt4(new Uint8Array(Int8Array.from([1, -2, 7]).buffer)))).to.deep.equal([0xe1, 0x07]);
    const values = randomInt8(rng(3), 101, -8, 7);
    expect(Array.from(new Int8Array(unpackInt4(packInt4(new Uint8Array(values.buffer)), 101).buffer))).to.deep.equal(Array.from(values));
  });

  it('writes storageBits-4 weights as INT4 (ceil(n/2) bytes) and reads them back as int8 values', () => {
    const { graph } = singleOpGraph(
      'FULLY_CONNECTED',
      [{ shape: [1, 5], scale: 0.1, zeroPoint: 0 }, { shape: [3, 5], scale: 0.05, data: randomInt8(rng(1), 15, -8, 7) }, null],
      [{ shape: [1, 3], scale: 0.2, zeroPoint: 1 }],
      { activation: 'NONE', keepNumDims: false },
    );
    graph.tensors[1]!.storageBits = 4;
    const bytes = writeTflite(graph);
    expect(fileTensorTypes(bytes)[1]).to.deep.equal({ type: tfl.TensorType.INT4, bufferBytes: 8 });
    const back = parseTflite(bytes, 'fc.tflite');
    expect(back.tensors[1]!.storageBits).to.equal(4);
    expect(back.tensors[1]!.dtype).to.equal('int8');
    expect(Array.from(back.tensors[1]!.data!)).to.deep.equal(Array.from(graph.tensors[1]!.data!));
    expect(back.tensors[0]!.storageBits).to.equal(undefined);
    graph.tensors[1]!.data![0] = 9;
    expect(() => writeTflite(graph)).to.throw(/storageBits 4 needs int8 values in \[-8, 7\]/);
  });

  it('TFLite Micro agrees with the reference on generated INT4 layers (CONV_2D, DEPTHWISE with a bias, per-tensor FC)', function () {
    if (!tflmRefAvailable(this)) return;
    const cases = [
      ...int4Cases('conv', 41, 6, undefined),
      ...int4Cases('pointwise', 42, 3, undefined),
      ...int4Cases('depthwise', 43, 12, undefined),
      ...int4Cases('fc', 44, 12, undefined),
    ]
      // what TFLM 90b983c runs: no per-channel INT4 FULLY_CONNECTED, no INT4 DEPTHWISE_CONV_2D without a bias
      .filter(
        (c) =>
          (c.op.kind !== 'FULLY_CONNECTED' || c.graph.tensors[c.op.inputs[1]!]!.quant!.scale.length === 1) &&
          (c.op.kind !== 'DEPTHWISE_CONV_2D' || c.op.inputs[2]! >= 0),
      )
      .map((c) => {
        c.graph.tensors[c.op.inputs[1]!]!.storageBits = 4;
        return c;
      });
    expect(cases.length).to.be.greaterThan(12);
    expectTflmAgrees(
      cases[0]!.def,
      cases.filter((c) => c.def === cases[0]!.def),
    );
    for (const c of cases) expectTflmAgrees(c.def, [c]);
  });

  describe('a small INT4 model (conv 3x3 s2 -> depthwise 3x3 -> conv 1x1 -> FC)', function () {
    let dir: string;
    const graph = parseTflite(writeTflite(int4SmallNet(1)), 'int4_net.tflite');
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-int4-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('round-trips as INT4 and TFLite Micro gives the reference outputs', function () {
      expect(graph.ops.map((op) => graph.tensors[op.inputs[1]!]!.storageBits)).to.deep.equal([4, 4, 4, 4]);
      if (!tflmRefAvailable(this)) return;
      const rand = rng(9);
      const input = new Uint8Array(randomInt8(rand, elementCount(graph.tensors[graph.inputs[0]!]!.shape)).buffer);
      const compiled = compileGraph(graph, 'int4_net.tflite', suiteChoices());
      const ours = interpret(compiled.prepared, [input]).outputs[0]!;
      const theirs = runTflmRef(writeTflite(graph), input);
      expect(Array.from(theirs.outputs)).to.deep.equal(Array.from(ours as Uint8Array));
    });

    for (const [target, board] of [
      ['host', undefined],
      ['cortex-m4', 'qemu-mps2-an386'],
      ['rp2040', 'rp2040js'],
    ] as const) {
      it(`runs the int4 kernels on ${target}, bit-exact, with half the weight bytes`, async function () {
        if (target !== 'host') requireTools(this, ['arm-none-eabi-gcc', ...(target === 'cortex-m4' ? ['qemu-system-arm'] : [])]);
        const compiled = compileGraph(graph, 'int4_net.tflite', { ...suiteChoices(), isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text.match(/int4 weights/g)).to.have.length(4);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 11 });
      });
    }
  });
});
