// SPDX-License-Identifier: Apache-2.0
/**
 * Accepted means correct: what compileGraph refuses up front (passes/validate.ts, the multiplier
 * guard in fixedpoint.ts) instead of compiling into wrong outputs, undefined C or a crash later. The
 * cases are issue #16's, each answered by one TinyforgeError line naming the tensor or op.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { lstmGraph } from '../helpers/lstm_cases.ts';
import { MAX_MODEL_BYTES } from '../../src/core/passes/validate.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { fc16Model, reluChain } from '../cli/bad_input_cases.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The one-line message compileGraph refuses `graph` with. */
function refusal(graph: Graph): string {
  try {
    compileGraph(graph, 'm.tflite');
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(TinyforgeError);
    const message = (e as Error).message;
    expect(message).to.not.include('\n');
    expect(message.startsWith('m.tflite: '), message).to.equal(true);
    return message;
  }
  return expect.fail('compiled a model it should refuse');
}

/** FULLY_CONNECTED 4 -> 3, per-channel weight scales, bias scales s_in * s_w unless given. */
function fc(o: { weightScales?: number[]; biasScales?: number[]; inputZeroPoint?: number; outputScale?: number } = {}): Graph {
  const ws = o.weightScales ?? [0.01, 0.02, 0.03];
  const zeros = ws.map(() => 0);
  const b = new GraphBuilder('fc');
  const x = b.input({ shape: [1, 4], q: { scale: 0.1, zeroPoint: o.inputZeroPoint ?? 0 }, name: 'x' });
  const w = b.constant(
    { shape: [3, 4], quant: { scale: ws, zeroPoint: zeros, axis: 0 }, name: 'w' },
    Int8Array.from({ length: 12 }, (_, i) => i - 6),
  );
  const biasScales = o.biasScales ?? ws.map((s) => s * 0.1);
  const bias = b.constant(
    { shape: [3], dtype: 'int32', quant: { scale: biasScales, zeroPoint: biasScales.map(() => 0), axis: 0 }, name: 'b' },
    Int32Array.from([1, 2, 3]),
  );
  const [y] = b.op('FULLY_CONNECTED', [x, w, bias], [{ shape: [1, 3], q: { scale: o.outputScale ?? 0.05, zeroPoint: 0 }, name: 'y' }], {
    activation: 'NONE',
    keepNumDims: false,
  });
  b.output(y!);
  return b.build();
}

function relu(shape: number[], change?: (g: Graph) => void): Graph {
  const b = new GraphBuilder('relu');
  const x = b.input({ shape, q: { scale: 0.1, zeroPoint: 0 }, name: 'x' });
  const [y] = b.op('RELU', [x], [{ shape, q: { scale: 0.1, zeroPoint: 0 }, name: 'y' }]);
  b.output(y!);
  const g = b.build();
  change?.(g);
  return g;
}

describe('validateGraph: every quantization parameter, shape and index compileGraph relies on', () => {
  it('compiles the well-formed models the cases start from', () => {
    expect(compileGraph(fc(), 'm.tflite').generated.files.length).to.be.greaterThan(0);
    expect(compileGraph(relu([1, 4]), 'm.tflite').plan.arenaBytes).to.be.greaterThan(0);
  });

  it('an LSTM weight scale of Infinity: refused naming the tensor (was a BigInt crash in run)', () => {
    const { graph } = lstmGraph({ batches: 1, steps: 2, inputSize: 3, units: 2, wScales: [Infinity, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01] });
    expect(refusal(graph)).to.match(
      /tensor 1 "in1" \(input 1 of op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\)\): scale Infinity: a scale must be a finite number above 0/,
    );
  });

  it('an LSTM cell_clip of NaN says what it must be', () => {
    const { graph } = lstmGraph({ batches: 1, steps: 2, inputSize: 3, units: 2, cellClip: Number.NaN });
    expect(refusal(graph)).to.include('cell_clip NaN must be a finite number, 0 or more');
  });

  it('bias scales of 0, NaN, Infinity and negative', () => {
    for (const s of [0, Number.NaN, Infinity, -0.001]) {
      expect(refusal(fc({ biasScales: [0.001, s, 0.003] }))).to.match(
        new RegExp(`tensor 2 "b" \\(input 2 of op 0 \\(FULLY_CONNECTED\\)\\): scale ${String(s).replace('.', '\\.')}\\S* \\(channel 1\\)`),
      );
    }
  });

  it('an int8 zero point of -4.6e18', () => {
    expect(refusal(fc({ inputZeroPoint: -4.6e18 }))).to.include(
      `tensor 0 "x" (input 0 of op 0 (FULLY_CONNECTED)): zero point -4600000000000000000 is outside int8's range [-128, 127]`,
    );
  });

  it('a per-channel scale of 1e10: the rescale would shift left by 35 (undefined in C), so the op is refused', () => {
    expect(refusal(fc({ weightScales: [0.01, 1e10, 0.01] }))).to.match(
      /op 0 \(FULLY_CONNECTED\): a rescale of the op is 2\.000e\+10 \(2\^31 or more\): its left shift by 35 bits/,
    );
  });

  it('per-channel scales that do not match the channels', () => {
    const g = fc();
    g.tensors[1]!.quant = { scale: [0.01, 0.02], zeroPoint: [0, 0], axis: 0 };
    expect(refusal(g)).to.include('tensor 1 "w" (input 1 of op 0 (FULLY_CONNECTED)): 2 per-channel scales for 3 channels');
  });

  it('16384x16384: over the 64 MiB any microcontroller could hold, refused before planning (was a 512 MB arena)', () => {
    expect(MAX_MODEL_BYTES).to.equal(64 * 1024 * 1024);
    expect(refusal(relu([16384, 16384]))).to.include('tensor 0 "x" (input 0 of op 0 (RELU)): int8[16384,16384] is 256.0 MiB');
  });

  it('zero-size dimensions (the C would not build)', () => {
    expect(refusal(relu([1, 0, 3]))).to.include('shape [1,0,3] holds no element');
  });

  it('a model computing only from constants (a constant output is copied from flash: test/passes/constant_outputs.test.ts)', () => {
    // a model computing only from constants takes no input: the harnesses exchange inputs per inference, so it is refused
    const computed = relu([1, 4], (g) => (g.tensors[0]!.data = Uint8Array.from([1, 2, 3, 4])));
    computed.inputs = [];
    expect(refusal(computed)).to.include('the model has no inputs');
  });

  it('no ops, no outputs, an output nothing writes, an index past the tensors', () => {
    expect(refusal({ name: 'e', tensors: [], ops: [], inputs: [], outputs: [] })).to.equal('m.tflite: the model has no ops: nothing to compile');
    expect(refusal(relu([1, 4], (g) => (g.outputs = [])))).to.equal('m.tflite: the model has no outputs: nothing to compute');
    const unwritten = relu([1, 4], (g) => {
      g.tensors.push({ index: 2, name: 'loose', shape: [1, 4], dtype: 'int8', quant: { scale: [0.1], zeroPoint: [0], axis: 0 } });
      g.outputs.push(2);
    });
    expect(refusal(unwritten)).to.include('model output tensor 2 "loose" is written by no op');
    expect(refusal(relu([1, 4], (g) => (g.ops[0]!.inputs = [7])))).to.include('op 0 (RELU): input 7 is not a tensor');
  });

  it('inputs the caller fills only, one writer per tensor, no op reading what it writes (fuzz:inputs findings)', () => {
    expect(refusal(relu([1, 4], (g) => (g.inputs = [])))).to.include('the model has no inputs');
    expect(refusal(relu([1, 4], (g) => g.inputs.push(1)))).to.match(/model input tensor 1 .* is also written by op 0 \(RELU\)/);
    expect(refusal(relu([1, 4], (g) => (g.ops[0]!.inputs = [1])))).to.match(/op 0 \(RELU\) reads tensor 1 .*, which it writes itself/);
    expect(refusal(relu([1, 4], (g) => (g.tensors[1]!.data = new Uint8Array(4))))).to.match(/op 0 \(RELU\) writes tensor 1 .*, which holds constant data/);
    const twice = relu([1, 4], (g) => g.ops.push({ ...g.ops[0]!, index: 1 }));
    expect(refusal(twice)).to.match(/tensor 1 .* is written by 2 ops/);
  });

  it('an op reads only what is there when it runs: not a tensor a later op writes, nor one nothing provides, nor a constant marked variable; an LSTM gate bias that overflows (fuzz:inputs seeds 3006 and 3007)', () => {
    // two RELUs x -> y -> z (reluChain), with the first reading z (written by the second, after it)
    const chain = reluChain;
    expect(() =>
      compileGraph(
        chain(() => {}),
        'm.tflite',
      ),
    ).to.not.throw();
    expect(refusal(chain((g) => (g.ops[0]!.inputs = [g.ops[1]!.outputs[0]!])))).to.match(
      /input 0 of op 0 \(RELU\) is tensor \d+ "z", which op 1 \(RELU\) writes only later/,
    );
    const loose = chain((g) => {
      g.tensors.push({ index: g.tensors.length, name: 'loose', shape: [1, 4], dtype: 'int8', quant: { scale: [0.1], zeroPoint: [0], axis: 0 } });
      g.ops[1]!.inputs = [g.tensors.length - 1];
    });
    expect(refusal(loose)).to.match(/input 0 of op 1 \(RELU\) is tensor \d+ "loose", which no op, constant or model input provides/);
    // a constant marked variable: TFLite Micro would zero it (seed 3007, case 5194: one flipped bit)
    const variableWeights = fc();
    variableWeights.tensors[1]!.isVariable = true;
    expect(refusal(variableWeights)).to.match(/tensor 1 "w" \(input 1 of op 0 \(FULLY_CONNECTED\)\): marked variable .* and holding constant data/);
    const flipped = join(PROJECT_ROOT, 'test/fuzz/findings/3007-5194-bytes-flip.tflite');
    expect(refusal(parseTflite(readFileSync(flipped), 'm.tflite'))).to.match(/marked variable .* and holding constant data/);
    // an LSTM gate bias flipped to about -2^31: the gate's int32 accumulator would overflow (seed 3007, case 14004)
    const lstmBias = join(PROJECT_ROOT, 'test/fuzz/findings/3007-14004-bytes-flip.tflite');
    expect(refusal(parseTflite(readFileSync(lstmBias), 'm.tflite'))).to.match(
      /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): bias -2147444023 of channel 7 \(tensor 6 .*\) overflows the int32 accumulator/,
    );
    // the fuzzer's mutant itself: hello_world's first FULLY_CONNECTED reading the model's output
    const path = join(PROJECT_ROOT, 'test/fuzz/findings/3006-1250-op-tensors.tflite');
    expect(refusal(parseTflite(readFileSync(path), 'm.tflite'))).to.match(
      /input 0 of op 0 \(FULLY_CONNECTED\) is tensor 9 .*, which op 2 \(FULLY_CONNECTED\) writes only later/,
    );
  });

  it('an int64 bias of a 16x8 layer that takes the accumulator past +-2^47 is refused, as TFLite Micro refuses it; one within passes', () => {
    const fc16 = fc16Model;
    expect(refusal(fc16(2n ** 62n))).to.match(
      /op 0 \(FULLY_CONNECTED\): int64 bias 4611686018427387904 of channel 1 \(tensor 2 "b".*\) takes the accumulator past TFLite Micro's range of \+-2\^47/,
    );
    // sum |w| = 10: 10 x 32768 more than the bias reaches 2^47
    expect(refusal(fc16(-(2n ** 47n) + 327_679n))).to.match(/int64 bias -140737488027649 of channel 1/);
    expect(() => compileGraph(fc16(-(2n ** 47n) + 327_680n), 'm.tflite')).to.not.throw();
  });

  it('strides, dilations and pool windows past 2^16, and names of kilobytes, are one readable line (fuzz:inputs findings)', () => {
    const b = new GraphBuilder('dw');
    const x = b.input({ shape: [1, 8, 8, 2], q: { scale: 0.1, zeroPoint: 0 }, name: 'x' });
    const w = b.constant({ shape: [1, 3, 3, 2], quant: { scale: [0.01, 0.01], zeroPoint: [0, 0], axis: 3 }, name: 'w' }, new Int8Array(18).fill(1));
    const [y] = b.op('DEPTHWISE_CONV_2D', [x, w, -1], [{ shape: [1, 8, 8, 2], q: { scale: 0.1, zeroPoint: 0 }, name: 'y' }], {
      padding: 'SAME',
      strideH: 1,
      strideW: 1,
      dilationH: 2 ** 31 - 1,
      dilationW: 1,
      depthMultiplier: 1,
      activation: 'NONE',
    });
    b.output(y!);
    // was compiled, then the host C failed to build on an int overflow in the window's padding
    expect(refusal(b.build())).to.match(/op 0 \(DEPTHWISE_CONV_2D\): attribute dilation_h_factor = 2147483647; expected a positive integer up to 65536/);
    // a corrupt name (a length pointing into the file's data): control characters escaped, cut at 200 characters
    const named = refusal(relu([1, 4], (g) => ((g.tensors[1]!.name = `y\n\u0000${'\u001b[2J'.repeat(300)}`), (g.tensors[1]!.quant = undefined))));
    expect(named).to.not.match(/[\u0000-\u001f]/);
    expect(named).to.include('(1203 characters)');
    expect(named.length).to.be.below(1000);
  });
});
