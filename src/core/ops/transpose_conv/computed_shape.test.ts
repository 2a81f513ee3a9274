// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV whose output shape (input 0) is not a constant tensor. TFLite Micro never reads
 * input 0: it sizes the layer from the output tensor's static shape. Three ways a model gives the
 * shape, each in int8 and 16x8 (int16 activations, int8 weights):
 * - a model input (TFLite Micro's SEANet layer tests feed the shape as input 0);
 * - a STRIDED_SLICE of a model input: the slice is computed in the graph and read by no kernel;
 * - SHAPE → STRIDED_SLICE → PACK of the layer's input, as Keras writes a Conv2DTranspose: folded
 *   into a constant at compile time (shapes are static).
 * The computed shapes are dropped with the ops that fed them, the model inputs stay in the API
 * (unread), and the outputs are TFLite Micro's byte for byte, on the host (ASan+UBSan) and on the
 * emulated boards of the transpose-convolution kernel families.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import { type Graph, byteSize } from '../../ir/graph.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { interpret } from '../interpreter.ts';
import { runModel } from '../../../lab/run/run.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, randomInt16, rng } from '../../../../test/helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';

type ShapeSource = 'model input' | 'sliced model input' | 'shape chain';
type Activations = 'int8' | 'int16';

const SOURCES: ShapeSource[] = ['model input', 'sliced model input', 'shape chain'];

/** One TRANSPOSE_CONV (stride 2, 3x3, SAME) whose output shape comes from `source`. */
function layerModel(activations: Activations, source: ShapeSource, seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(`tconv_${activations}_${source.replace(/ /g, '_')}`);
  const [inH, inW, inC, outC] = [randomInt(rand, 2, 4), randomInt(rand, 2, 4), randomInt(rand, 1, 6), randomInt(rand, 1, 8)];
  const out = [1, 2 * inH - randomInt(rand, 0, 1), 2 * inW, outC];
  const xq = activations === 'int8' ? { scale: 0.05, zeroPoint: -7 } : { scale: 0.001, zeroPoint: 0 };
  const x = b.input({ shape: [1, inH, inW, inC], dtype: activations, q: xq, name: 'x' });
  let shape: number;
  if (source === 'model input') shape = b.input({ shape: [4], dtype: 'int32', name: 'output_shape' });
  else if (source === 'sliced model input') {
    const dims = b.input({ shape: [6], dtype: 'int32', name: 'dims' });
    [shape] = b.op('STRIDED_SLICE', [dims, b.ints([1]), b.ints([5]), b.ints([1])], [{ shape: [4], dtype: 'int32' }]) as [number];
  } else {
    const [xShape] = b.op('SHAPE', [x], [{ shape: [4], dtype: 'int32' }], { outType: 'INT32' });
    const [batch] = b.op('STRIDED_SLICE', [xShape!, b.ints([0]), b.ints([1]), b.ints([1])], [{ shape: [], dtype: 'int32' }], { shrinkAxisMask: 1 });
    const scalar = (v: number) => b.tensor({ shape: [], dtype: 'int32' }, Int32Array.from([v]));
    [shape] = b.op('PACK', [batch!, scalar(out[1]!), scalar(out[2]!), scalar(outC)], [{ shape: [4], dtype: 'int32' }], { valuesCount: 4, axis: 0 }) as [number];
  }
  const scales = Array.from({ length: outC }, () => 0.002 + rand() * 0.02);
  const filter = b.constant(
    { shape: [outC, 3, 3, inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
    randomInt8(rand, outC * 9 * inC, -127, 127),
  );
  const bias =
    activations === 'int8'
      ? b.constant(
          { shape: [outC], dtype: 'int32' },
          Int32Array.from({ length: outC }, () => randomInt(rand, -3000, 3000)),
        )
      : b.constant(
          { shape: [outC], dtype: 'int64' },
          BigInt64Array.from({ length: outC }, () => BigInt(randomInt(rand, -30000, 30000))),
        );
  const yq = activations === 'int8' ? { scale: 0.2, zeroPoint: 3 } : { scale: 0.0004, zeroPoint: 0 };
  const [y] = b.op('TRANSPOSE_CONV', [shape, filter, x, bias], [{ shape: out, dtype: activations, q: yq }], {
    padding: 'SAME',
    strideH: 2,
    strideW: 2,
    activation: 'NONE',
  });
  b.output(y!);
  return b.build();
}

/** Random bytes for every model input: the shape inputs get garbage, which no kernel reads. */
function inputCases(graph: Graph, seed: number): Uint8Array[][] {
  const rand = rng(seed);
  return [0, 1].map(() =>
    graph.inputs.map((i) => {
      const t = graph.tensors[i]!;
      if (t.dtype === 'int16') return new Uint8Array(randomInt16(rand, byteSize(t) / 2).buffer);
      return new Uint8Array(randomInt8(rand, byteSize(t)).buffer);
    }),
  );
}

const MODELS = (['int8', 'int16'] as const).flatMap((a, k) => SOURCES.map((s, j) => layerModel(a, s, 100 + 10 * k + j)));

describe('TRANSPOSE_CONV with a computed output shape (TFLite Micro reads the output tensor)', function () {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tconv-shape-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('compiles to the TRANSPOSE_CONV alone; a shape given as a model input stays in the API, unread', () => {
    for (const graph of MODELS) {
      const compiled = compileGraph(graph);
      expect(
        compiled.graph.ops.map((op) => op.kind),
        graph.name,
      ).to.deep.equal(['TRANSPOSE_CONV']);
      expect(compiled.graph.inputs.length, graph.name).to.equal(graph.inputs.length);
      const header = compiled.generated.files.find((f) => f.role === 'header')!.text;
      const unread = /no layer reads it/.test(header);
      expect(unread, graph.name).to.equal(!graph.name.endsWith('shape_chain'));
    }
  });

  it("the TS reference gives TFLite Micro's outputs byte for byte (int8 and 16x8, garbage in the shape inputs)", function () {
    if (!tflmRefAvailable(this)) return;
    for (const [k, graph] of MODELS.entries()) {
      const compiled = compileGraph(graph);
      for (const cs of inputCases(graph, k)) {
        const ours = interpret(compiled.prepared, cs).outputs[0]!;
        const theirs = tflmOutputs(graph, cs)[0]!;
        expect(Buffer.from(ours).toString('hex'), graph.name).to.equal(Buffer.from(theirs).toString('hex'));
      }
    }
  });

  const BOARDS = [
    { target: 'host', board: undefined, tools: [] },
    { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
    { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'] },
    { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
  ];
  for (const { target, board, tools } of BOARDS) {
    it(`the compiled C on ${target} matches the reference (int8 through the ${target === 'host' ? 'portable' : 'phase'} kernel)`, async function () {
      requireTools(this, tools);
      for (const [k, graph] of MODELS.entries()) {
        if (target !== 'host') {
          // the target's variant is the one chosen, the computed shape notwithstanding
          const text = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa }).generated.files.find((f) => f.role === 'source')!.text;
          if (graph.name.startsWith('tconv_int8')) expect(text, graph.name).to.match(/stride-1 convolutions, one per output phase/);
        }
        const path = join(dir, `${graph.name}_${target.replace(/\W/g, '')}.tflite`);
        saveTflite(path, graph);
        const cases = inputCases(graph, k);
        const report = await runModel(path, { target, board, cases, sanitize: target === 'host' });
        expect(
          report.cases.map((c) => c.matchesReference),
          graph.name,
        ).to.deep.equal(cases.map(() => true));
      }
    });
  }
});
