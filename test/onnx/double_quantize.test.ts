// SPDX-License-Identifier: Apache-2.0
/**
 * A tensor quantized twice: a DequantizeLinear whose scale or zero point is not the one of the
 * QuantizeLinear that made its input (hand-edited graphs, some exporters). ONNX Runtime reads the
 * stored integers with the DequantizeLinear's own parameters; tinyforge does the same (a RESHAPE
 * alias whose output carries them), and every layer, the relabeled integers included, equals ONNX
 * Runtime's at its default level, int8 and uint8, at a graph output and before a Conv and a Sigmoid.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '../../src/core/model/load.ts';
import { onnxRuntimeAvailable } from '../../src/lab/run/onnxruntime.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { skipUnlessOrtExact } from '../helpers/ort_platform.ts';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { OnnxBuilder, attrInts, randomInts, seeded } from '../helpers/onnx_builder.ts';

/** x -> Q(s1, z1) -> DQ(s2, z2) [-> Conv -> Q -> DQ(other) -> Sigmoid -> Q -> DQ] -> output. */
function twiceQuantized(type: 'int8' | 'uint8', layers: boolean): Uint8Array {
  const b = new OnnxBuilder();
  const off = type === 'uint8' ? 128 : 0;
  const x = b.input('x', 'float', [1, 3, 6, 6]);
  const q = b.one('QuantizeLinear', [x, b.init('s', 'float', [], [0.031]), b.init('z', type, [], [off + 3])]);
  let y = b.one('DequantizeLinear', [q, b.init('s', 'float', [], [0.047]), b.init('z', type, [], [off - 9])]);
  if (layers) {
    const w = b.dqConst([4, 3, 3, 3], randomInts(seeded(7), 108, -127, 127), [0.01, 0.02, 0.013, 0.007], 0);
    const c = b.one('Conv', [y, w], [attrInts('pads', [1, 1, 1, 1])]);
    const cq = b.one('QuantizeLinear', [c, b.init('s', 'float', [], [0.09]), b.init('z', type, [], [off - 5])]);
    const read = b.one('DequantizeLinear', [cq, b.init('s', 'float', [], [0.05]), b.init('z', type, [], [off + 10])]);
    y = b.qdq(b.one('Sigmoid', [read]), 1 / 256, type === 'uint8' ? 0 : -128, type);
  }
  b.output(y, 'float');
  return b.bytes();
}

/** A float32 .npy of shape [1, 3, 6, 6] spanning the quantized ranges and past them. */
function inputNpy(): Uint8Array {
  const rand = seeded(3);
  const data = Float32Array.from({ length: 108 }, () => (rand() - 0.5) * 10);
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 6, 6), }";
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  head.set(new TextEncoder().encode(header), 10);
  return new Uint8Array([...head, ...new Uint8Array(data.buffer)]);
}

describe('ONNX: a tensor quantized twice', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-double-q-'));
    writeFileSync(join(dir, 'x.npy'), inputNpy());
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the integers with the DequantizeLinear’s own scale and zero point', function () {
    const path = join(dir, 'import.onnx');
    writeFileSync(path, twiceQuantized('uint8', true));
    const graph = loadGraph(path);
    const relabels = graph.ops.filter((op) => op.kind === 'RESHAPE');
    expect(relabels).to.have.length(2);
    const [from, to] = [graph.tensors[relabels[0]!.inputs[0]!]!, graph.tensors[relabels[0]!.outputs[0]!]!];
    expect(from.quant).to.deep.include({ scale: [Math.fround(0.031)], zeroPoint: [3] });
    expect(to.quant).to.deep.include({ scale: [Math.fround(0.047)], zeroPoint: [-9] });
    expect(to.shape).to.deep.equal(from.shape);
    expect(graph.onnx!.nodes.filter((n) => /quantized twice/.test(n.note ?? ''))).to.have.length(2);
  });

  for (const type of ['int8', 'uint8'] as const) {
    for (const layers of [false, true]) {
      it(`${type}, ${layers ? 'read by a Conv and a Sigmoid' : 'at a graph output'}: every layer equals ONNX Runtime's`, async function () {
        if (!(await onnxRuntimeAvailable())) skipAbsent('ONNX Runtime does not load', 'the comparison is skipped', this, false);
        const path = join(dir, `${type}_${layers ? 'layers' : 'output'}.onnx`);
        writeFileSync(path, twiceQuantized(type, layers));
        const r = tinyforge(['validate', path, '--reference', 'onnxruntime', '--input', join(dir, 'x.npy'), '--target', 'host']);
        // a uint8 Conv: where this CPU's ONNX Runtime saturates u8 x s8 pairs, its answer is not the exact one
        if (r.status !== 0) await skipUnlessOrtExact(this);
        expect(r.status, r.stderr).to.equal(0);
        const text = unwrapped(r.stdout);
        expect(text).to.match(/RESHAPE +\d+ +\d+ "dequantizelinear_\d+_quantized" +equal/);
        expect(text).to.match(/all \d+ layer outputs and 1 model output equal the reference onnxruntime \(level all\)/);
        expect(text).to.not.include('not comparable');
      });
    }
  }
});
