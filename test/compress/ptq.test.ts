// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../../src/core/errors.ts';
import type { Graph, Op, Quantization, Tensor } from '../../src/core/ir/graph.ts';
import { fromBytes, tensorBuffer } from '../../src/core/ir/buffers.ts';
import { dequantizeOutput, quantizeGraph, quantizeInput, quantizeLayersModel } from '../../src/compress/ptq.ts';
import { layersModelToFloatGraph } from '../../src/compress/from_layers.ts';
import { runFloatGraph } from '../../src/compress/float_executor.ts';
import { calibrateRanges } from '../../src/compress/calibrate.ts';
import { activationQuant, dequantizeTensorValues, quantizeTensorValues } from '../../src/compress/quant_params.ts';
import { registerFastTrainingKernels } from '../../src/compress/tfjs_kernels.ts';
import { prepareGraph } from '../../src/core/ops/prepare.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { runTfliteInterpreter } from '../helpers/tfjs_tflite.ts';
import { type Digit, imagesTensor, labelsTensor, loadDigits } from '../../examples/mnist/dataset.ts';
import { buildModel, trainModel } from '../../examples/mnist/model.ts';

const f32 = Math.fround;

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function tensorNamed(graph: Graph, name: string): Tensor {
  const t = graph.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor "${name}" in ${graph.tensors.map((x) => x.name).join(', ')}`);
  return t;
}

function weightsOf(model: tf.LayersModel, layer: string): { kernel: tf.Tensor; bias: Float32Array } {
  const [kernel, bias] = model.getLayer(layer).getWeights();
  return { kernel: kernel!, bias: bias!.dataSync() as Float32Array };
}

/** Every float tensor's value on one sample, by tensor index. */
function floatValues(graph: Graph, input: tf.Tensor): Map<number, Float32Array> {
  const values = new Map<number, Float32Array>();
  tf.tidy(() => {
    runFloatGraph(graph, [input], (index, v) => values.set(index, Float32Array.from(v.dataSync())));
  });
  return values;
}

/** One op of the float graph on its own, with some constants replaced. */
function runFloatOp(graph: Graph, op: Op, input: Float32Array, replace: Map<number, Float32Array> = new Map(), attrs = op.attrs): Float32Array {
  const tensors = graph.tensors.map((t) => (replace.has(t.index) ? { ...t, data: new Uint8Array(replace.get(t.index)!.buffer) } : t));
  const single: Graph = { ...graph, tensors, ops: [{ ...op, attrs }], inputs: [op.inputs[0]!], outputs: [op.outputs[0]!] };
  return tf.tidy(() => {
    const x = tf.tensor(input, graph.tensors[op.inputs[0]!]!.shape);
    return Float32Array.from(runFloatGraph(single, [x])[0]!.dataSync());
  });
}

/** The real interval an int8 tensor can represent. */
function representable(q: Quantization): [number, number] {
  return [q.scale[0]! * (-128 - q.zeroPoint[0]!), q.scale[0]! * (127 - q.zeroPoint[0]!)];
}

/** A sequential copy of the example architecture with seeded weights and nonzero biases. */
function fixedWeightModel(): tf.Sequential {
  const model = buildModel(3);
  let seed = 100;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 2) layer.setWeights([weights[0]!, tf.randomUniform(weights[1]!.shape, -0.2, 0.2, 'float32', seed++)]);
  }
  return model;
}

describe('compress/ptq: int8 post-training quantization of tfjs models', function () {
  let digits: { train: Digit[]; test: Digit[] };
  let calibration: tf.Tensor4D;

  let previousBackend: string | undefined;

  before(async () => {
    previousBackend = tf.getBackend();
    await tf.setBackend('cpu');
    registerFastTrainingKernels();
    digits = loadDigits(150, 20, 5);
    calibration = imagesTensor(digits.test.slice(0, 100));
  });

  after(async () => {
    calibration.dispose();
    if (previousBackend) await tf.setBackend(previousBackend);
  });

  describe('on the example architecture with fixed weights', () => {
    let model: tf.Sequential;
    let graph: Graph;

    before(() => {
      model = fixedWeightModel();
      graph = quantizeLayersModel(model, calibration, { name: 'fixed_cnn' });
    });

    it('lowers every layer to the TFLite op set with fused ReLUs, names from the layers', () => {
      expect(graph.name).to.equal('fixed_cnn');
      expect(graph.ops.map((op) => op.kind)).to.deep.equal([
        'CONV_2D',
        'DEPTHWISE_CONV_2D',
        'CONV_2D',
        'AVERAGE_POOL_2D',
        'RESHAPE',
        'FULLY_CONNECTED',
        'SOFTMAX',
      ]);
      expect(graph.ops.slice(0, 3).map((op) => op.attrs.activation)).to.deep.equal(['RELU', 'RELU', 'RELU']);
      expect(graph.ops[5]!.attrs.activation).to.equal('NONE');
      expect(graph.ops[0]!.attrs).to.include({ padding: 'SAME', strideH: 2, strideW: 2 });
      for (const name of [
        'conv1/kernel',
        'conv1/bias',
        'conv1',
        'dwconv/depthwise_kernel',
        'pwconv',
        'pool',
        'flatten',
        'logits/kernel',
        'logits/logits',
        'logits',
      ]) {
        tensorNamed(graph, name);
      }
      expect(graph.tensors[graph.inputs[0]!]!.shape).to.deep.equal([1, 28, 28, 1]);
      expect(graph.tensors[graph.outputs[0]!]!.name).to.equal('logits');
    });

    it('passes prepareGraph', () => {
      expect(() => prepareGraph(graph)).to.not.throw();
    });

    it('quantizes conv filters per output channel to OHWI: s_c = max|w_c| / 127, q = round(w / s_c)', () => {
      const { kernel } = weightsOf(model, 'conv1');
      const k = kernel.arraySync() as number[][][][]; // [kh][kw][in][out]
      const t = tensorNamed(graph, 'conv1/kernel');
      expect(t.shape).to.deep.equal([8, 3, 3, 1]);
      expect(t.quant!.axis).to.equal(0);
      const q = fromBytes('int8', t.data!) as Int8Array;
      for (let o = 0; o < 8; o++) {
        let maxAbs = 0;
        for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) maxAbs = Math.max(maxAbs, Math.abs(k[h]![w]![0]![o]!));
        const s = t.quant!.scale[o]!;
        expect(s).to.equal(f32(maxAbs / 127));
        for (let h = 0; h < 3; h++) {
          for (let w = 0; w < 3; w++) expect(q[(o * 3 + h) * 3 + w]).to.equal(Math.round(k[h]![w]![0]![o]! / s));
        }
      }
      expect(t.quant!.zeroPoint.every((z) => z === 0)).to.equal(true);
    });

    it('quantizes depthwise filters per channel along axis 3 of [1, kh, kw, C]', () => {
      const k = weightsOf(model, 'dwconv').kernel.arraySync() as number[][][][]; // [kh][kw][C][1]
      const t = tensorNamed(graph, 'dwconv/depthwise_kernel');
      expect(t.shape).to.deep.equal([1, 3, 3, 8]);
      expect(t.quant!.axis).to.equal(3);
      const q = fromBytes('int8', t.data!) as Int8Array;
      for (let c = 0; c < 8; c++) {
        let maxAbs = 0;
        for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) maxAbs = Math.max(maxAbs, Math.abs(k[h]![w]![c]![0]!));
        expect(t.quant!.scale[c]).to.equal(f32(maxAbs / 127));
        expect(q[(1 * 3 + 1) * 8 + c]).to.equal(Math.round(k[1]![1]![c]![0]! / t.quant!.scale[c]!));
      }
    });

    it('quantizes dense weights per tensor (TFLite default) as [out, in]', () => {
      const k = weightsOf(model, 'logits').kernel.arraySync() as number[][]; // [in][out]
      const t = tensorNamed(graph, 'logits/kernel');
      expect(t.shape).to.deep.equal([10, 784]);
      const maxAbs = Math.max(...k.flat().map(Math.abs));
      expect(t.quant!.scale).to.deep.equal([f32(maxAbs / 127)]);
      const q = fromBytes('int8', t.data!) as Int8Array;
      for (const [o, i] of [
        [0, 0],
        [3, 100],
        [9, 783],
      ] as const)
        expect(q[o * 784 + i]).to.equal(Math.round(k[i]![o]! / t.quant!.scale[0]!));
    });

    it('quantizes biases to int32 at scale s_in * s_w[c], zero point 0', () => {
      for (const [layer, input] of [
        ['conv1', 'conv1_input'],
        ['dwconv', 'conv1'],
        ['pwconv', 'dwconv'],
        ['logits', 'flatten'],
      ] as const) {
        const { bias } = weightsOf(model, layer);
        const sIn = tensorNamed(graph, input).quant!.scale[0]!;
        const weights = graph.ops.find((op) => graph.tensors[op.outputs[0]!]!.name.startsWith(layer))!.inputs[1]!;
        const sW = graph.tensors[weights]!.quant!.scale;
        const t = tensorNamed(graph, `${layer}/bias`);
        expect(t.dtype).to.equal('int32');
        const q = fromBytes('int32', t.data!) as Int32Array;
        bias.forEach((b, c) => {
          const s = f32(sIn * sW[sW.length === 1 ? 0 : c]!);
          expect(t.quant!.scale[sW.length === 1 ? 0 : c]).to.equal(s);
          expect(q[c]).to.equal(Math.round(b / s));
        });
        expect(t.quant!.zeroPoint.every((z) => z === 0)).to.equal(true);
      }
    });

    it('takes activation parameters from the calibration range, fixes softmax, shares through pool and reshape', () => {
      // the ranges observed by tfjs itself, through the model's own layer outputs
      const probe = tf.model({
        inputs: model.inputs,
        outputs: ['conv1', 'dwconv', 'pwconv', 'flatten'].map((n) => model.getLayer(n).output as tf.SymbolicTensor),
      });
      const observed = tf.tidy(() => (probe.predict(calibration) as tf.Tensor[]).map((t) => ({ min: t.min().dataSync()[0]!, max: t.max().dataSync()[0]! })));
      ['conv1', 'dwconv', 'pwconv'].forEach((name, i) => expect(tensorNamed(graph, name).quant).to.deep.equal(activationQuant(observed[i]!)));
      const logits = tf.tidy(() => {
        const flat = (probe.predict(calibration) as tf.Tensor[])[3]!;
        const { kernel, bias } = weightsOf(model, 'logits');
        const z = tf.add(tf.matMul(flat, kernel), tf.tensor1d(bias));
        return { min: z.min().dataSync()[0]!, max: z.max().dataSync()[0]! };
      });
      const logitsQuant = tensorNamed(graph, 'logits/logits').quant!;
      const expected = activationQuant(logits);
      expect(logitsQuant.zeroPoint).to.deep.equal(expected.zeroPoint);
      expect(logitsQuant.scale[0]).to.be.closeTo(expected.scale[0]!, expected.scale[0]! * 1e-5);
      const input = graph.tensors[graph.inputs[0]!]!.quant!;
      const pixels = tf.tidy(() => ({ min: calibration.min().dataSync()[0]!, max: calibration.max().dataSync()[0]! }));
      expect(input).to.deep.equal(activationQuant(pixels));
      expect(tensorNamed(graph, 'logits').quant).to.deep.equal({ scale: [1 / 256], zeroPoint: [-128], axis: 0 });
      expect(tensorNamed(graph, 'pool').quant).to.deep.equal(tensorNamed(graph, 'pwconv').quant);
      expect(tensorNamed(graph, 'flatten').quant).to.deep.equal(tensorNamed(graph, 'pwconv').quant);
    });

    it('quantizes dense weights per channel on request', () => {
      const perChannel = quantizeLayersModel(model, calibration, { perChannelDense: true });
      const t = tensorNamed(perChannel, 'logits/kernel');
      expect(t.quant!.scale).to.have.length(10);
      expect(t.quant!.axis).to.equal(0);
      expect(tensorNamed(perChannel, 'logits/bias').quant!.scale).to.have.length(10);
      expect(() => prepareGraph(perChannel)).to.not.throw();
    });

    /**
     * Each int8 op, fed the quantized float reference of its input x̂, against the float op on the
     * same x̂. For an op with weights the int32 accumulation is exact, so the difference is
     *   Σ_k x̂_k (w_k − ŵ_k) + (b − b̂)   (bounded by Σ|x̂_k||w_k − ŵ_k| + |b − b̂|)
     * plus one output step s_out for rounding to int8 (half a step) and the fixed-point multiplier
     * (well under half a step). ReLU and the clamp to the representable range are 1-Lipschitz, so
     * they keep the bound. AVERAGE_POOL_2D only rounds its average (one step); MAX_POOL_2D and
     * RESHAPE move values exactly; int8 SOFTMAX approximates exp in fixed point: two steps of 1/256.
     */
    it('keeps every op within the error bound its scales imply', () => {
      const floatGraph = layersModelToFloatGraph(model, 'fixed_cnn');
      const prepared = prepareGraph(graph);
      for (const digit of digits.test.slice(0, 3)) {
        const reference = floatValues(floatGraph, imagesTensor([digit]));
        for (const layer of prepared.layers) {
          const op = layer.op;
          const inQ = graph.tensors[op.inputs[0]!]!.quant!;
          const outT = graph.tensors[op.outputs[0]!]!;
          const outQ = outT.quant!;
          const qIn = quantizeTensorValues(reference.get(op.inputs[0]!)!, inQ);
          const xHat = dequantizeTensorValues(qIn, inQ);
          const out = tensorBuffer(outT);
          layer.def.evaluate(
            layer.params,
            op.inputs.map((i, k) => (k === 0 ? qIn : tensorBuffer(graph.tensors[i]!))),
            [out],
          );
          const got = dequantizeTensorValues(out as Int8Array, outQ);
          const [lo, hi] = representable(outQ);
          const want = runFloatOp(floatGraph, op, xHat).map((v) => Math.min(hi, Math.max(lo, v)));

          let bound: ArrayLike<number>;
          if (op.inputs.length >= 3) {
            // Σ|x̂||Δw| + |Δb|: the same op on |x̂| with filter |w − ŵ| and bias |b − b̂|, no activation
            const delta = (index: number) => {
              const t = graph.tensors[index]!;
              const exact = fromBytes('float32', floatGraph.tensors[index]!.data!) as Float32Array;
              const q = fromBytes(t.dtype, t.data!) as Int8Array | Int32Array;
              const scales = t.quant!.scale;
              const perChannel = scales.length > 1;
              const inner = t.quant!.axis === 0 ? exact.length / t.shape[0]! : 1;
              return exact.map((w, i) => {
                const scale = scales[perChannel ? Math.floor(i / inner) % scales.length : 0]!;
                const error = Math.abs(w - q[i]! * scale);
                // round to nearest: never more than half a step of the tensor's own scale
                if (error > scale * (0.5 + 1e-6)) expect.fail(`${t.name}[${i}] = ${w} quantized to ${q[i]} at scale ${scale}`);
                return error;
              });
            };
            const replace = new Map([
              [op.inputs[1]!, delta(op.inputs[1]!)],
              [op.inputs[2]!, delta(op.inputs[2]!)],
            ]);
            const weightError = runFloatOp(floatGraph, op, xHat.map(Math.abs), replace, { ...op.attrs, activation: 'NONE' });
            bound = weightError.map((e) => e + outQ.scale[0]!);
          } else {
            const steps = op.kind === 'SOFTMAX' ? 2 : op.kind === 'AVERAGE_POOL_2D' ? 1 : 0;
            bound = new Float32Array(got.length).fill(steps * outQ.scale[0]! + 1e-6);
          }
          got.forEach((g, i) => {
            if (Math.abs(g - want[i]!) > bound[i]! + 1e-6) {
              expect.fail(`op ${op.index} (${op.kind}) element ${i}: int8 ${g}, float ${want[i]}, bound ${bound[i]}`);
            }
          });
        }
      }
    });

    it('re-reads from the written .tflite as the same graph', () => {
      const bytes = writeTflite(graph);
      const back = parseTflite(bytes, 'fixed_cnn.tflite');
      expect(back).to.deep.equal(graph);
    });
  });

  describe('on a model trained here', function () {
    let model: tf.Sequential;
    let graph: Graph;

    before(async function () {
      model = buildModel(7);
      await trainModel(model, imagesTensor(digits.train), labelsTensor(digits.train), 3);
      graph = quantizeLayersModel(model, calibration, { name: 'trained_cnn' });
    });

    it('agrees with the float model on the top-1 class of >= 95% of 200 test digits, within the softmax bound', () => {
      const floatGraph = layersModelToFloatGraph(model);
      const prepared = prepareGraph(graph);
      const logits = tensorNamed(graph, 'logits/logits');
      const sz = logits.quant!.scale[0]!;
      let agree = 0;
      let floatCorrect = 0;
      for (const digit of digits.test) {
        const reference = floatValues(floatGraph, imagesTensor([digit]));
        const p = reference.get(graph.outputs[0]!)!;
        const z = reference.get(logits.index)!;
        const run = interpret(prepared, [quantizeInput(graph, digit.pixels)]);
        const pHat = dequantizeOutput(graph, run.outputs[0]!);
        const zHat = dequantizeTensorValues(run.tensors.get(logits.index) as Int8Array, logits.quant!);
        if (argmax(pHat) === argmax(p)) agree++;
        if (argmax(p) === digit.label) floatCorrect++;
        // The logits carry half a step of their own rounding plus what the layers before pass on,
        // each within about a step of its own scale (see the per-op bound above); 4 steps of the
        // logits' scale holds that with a margin (about 1 is typical).
        const zError = Math.max(...z.map((v, k) => Math.abs(v - zHat[k]!)));
        expect(zError, 'logits error').to.be.at.most(4 * sz);
        // softmax's Jacobian rows have ∞-norm 2p(1 − p) <= 1/2, so |Δp| <= |Δz|max / 2, plus the
        // int8 softmax's own two steps of 1/256
        p.forEach((v, k) => expect(Math.abs(v - pHat[k]!)).to.be.at.most(zError / 2 + 2 / 256));
      }
      expect(digits.test.length).to.equal(200);
      expect(floatCorrect / 200, 'float accuracy').to.be.at.least(0.85);
      expect(agree / 200, 'top-1 agreement').to.be.at.least(0.95);
    });

    it('runs the same in desktop TFLite (tfjs-tflite) from the written file', async function () {
      const bytes = writeTflite(graph);
      const prepared = prepareGraph(parseTflite(bytes, 'trained_cnn.tflite'));
      for (const digit of digits.test.slice(0, 10)) {
        const input = quantizeInput(graph, digit.pixels);
        const [theirs] = await runTfliteInterpreter(bytes, [input]);
        const ours = interpret(prepared, [input]).outputs[0]!;
        const a = new Int8Array(theirs!.buffer, theirs!.byteOffset, 10);
        const b = new Int8Array(ours.buffer, ours.byteOffset, 10);
        // desktop TFLite's optimized kernels may round differently from TFLite Micro's by one step
        a.forEach((v, k) => expect(Math.abs(v - b[k]!)).to.be.at.most(1));
        expect(argmax(a)).to.equal(argmax(b));
      }
    });
  });

  describe('a functional model using every supported layer', () => {
    function buildFunctional(): tf.LayersModel {
      const seed = (n: number) => ({
        kernelInitializer: tf.initializers.glorotUniform({ seed: n }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: n + 50 }),
      });
      const input = tf.input({ shape: [12, 12, 2], name: 'image' });
      const a = tf.layers.conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', ...seed(1) }).apply(input) as tf.SymbolicTensor;
      const aRelu = tf.layers.reLU({ name: 'a_relu' }).apply(a) as tf.SymbolicTensor;
      const b = tf.layers
        .depthwiseConv2d({
          name: 'b',
          kernelSize: 3,
          depthMultiplier: 2,
          padding: 'valid',
          depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 3 }),
        })
        .apply(aRelu) as tf.SymbolicTensor;
      const c = tf.layers.conv2d({ name: 'c', filters: 8, kernelSize: 1, activation: 'relu6', ...seed(4) }).apply(aRelu) as tf.SymbolicTensor;
      const cPooled = tf.layers.maxPooling2d({ name: 'c_pool', poolSize: 3, strides: 1 }).apply(c) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'sum' }).apply([b, cPooled]) as tf.SymbolicTensor;
      const sumRelu = tf.layers.activation({ name: 'sum_relu', activation: 'relu' }).apply(sum) as tf.SymbolicTensor;
      const dropped = tf.layers.dropout({ name: 'drop', rate: 0.5 }).apply(sumRelu) as tf.SymbolicTensor;
      const pooled = tf.layers.averagePooling2d({ name: 'avg', poolSize: 3, strides: 2, padding: 'same' }).apply(dropped) as tf.SymbolicTensor;
      const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(pooled) as tf.SymbolicTensor;
      const reshaped = tf.layers.reshape({ name: 'shape', targetShape: [2, 4] }).apply(gap) as tf.SymbolicTensor;
      const flat = tf.layers.flatten({ name: 'flat' }).apply(reshaped) as tf.SymbolicTensor;
      const dense = tf.layers.dense({ name: 'dense', units: 5, ...seed(5) }).apply(flat) as tf.SymbolicTensor;
      const probs = tf.layers.softmax({ name: 'probs' }).apply(dense) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: probs, name: 'functional model' });
    }

    it('lowers to a float graph that computes what tfjs computes', () => {
      const model = buildFunctional();
      const floatGraph = layersModelToFloatGraph(model);
      expect(floatGraph.name).to.equal('functional_model');
      expect(floatGraph.ops.map((op) => op.kind)).to.deep.equal([
        'CONV_2D',
        'CONV_2D',
        'DEPTHWISE_CONV_2D',
        'MAX_POOL_2D',
        'ADD',
        'AVERAGE_POOL_2D',
        'AVERAGE_POOL_2D',
        'RESHAPE',
        'RESHAPE',
        'RESHAPE',
        'FULLY_CONNECTED',
        'SOFTMAX',
      ]);
      expect(floatGraph.ops.map((op) => op.attrs.activation)).to.deep.equal([
        'RELU',
        'RELU6',
        'NONE',
        'NONE',
        'RELU',
        'NONE',
        'NONE',
        undefined,
        undefined,
        undefined,
        'NONE',
        undefined,
      ]);
      const x = tf.randomUniform([6, 12, 12, 2], -1, 1, 'float32', 9);
      const [ours] = runFloatGraph(floatGraph, [x]);
      const theirs = model.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(ours!, theirs))).dataSync()[0]).to.be.below(1e-5);
    });

    it('quantizes to a graph that passes prepareGraph and tracks the float outputs', () => {
      const model = buildFunctional();
      const x = tf.randomUniform([64, 12, 12, 2], -1, 1, 'float32', 10);
      const graph = quantizeLayersModel(model, x);
      const prepared = prepareGraph(graph);
      const expected = (model.predict(x) as tf.Tensor).arraySync() as number[][];
      const pixels = x.arraySync() as number[][][][];
      for (let n = 0; n < 8; n++) {
        const got = dequantizeOutput(graph, interpret(prepared, [quantizeInput(graph, pixels[n]!.flat(2))]).outputs[0]!);
        // five classes near 1/5 each: an error of a few output steps (1/256) at most
        got.forEach((v, k) => expect(v).to.be.closeTo(expected[n]![k]!, 0.05));
      }
      expect(parseTflite(writeTflite(graph), `${graph.name}.tflite`)).to.deep.equal(graph);
    });
  });

  describe('bad models give one line naming the layer', () => {
    const expectError = (build: () => tf.LayersModel, pattern: RegExp) => {
      const model = build();
      expect(() => quantizeLayersModel(model, tf.zeros([1, ...(model.inputs[0]!.shape.slice(1) as number[])])))
        .to.throw(TinyforgeError, pattern)
        .with.property('message')
        .that.does.not.include('\n');
    };

    it('an unsupported layer type', () => {
      expectError(
        () => tf.sequential({ layers: [tf.layers.dense({ name: 'fc', inputShape: [4], units: 3 }), tf.layers.batchNormalization({ name: 'bn' })] }),
        /layer "bn" \(BatchNormalization\): layer type is not supported/,
      );
    });

    it('an unsupported activation', () => {
      expectError(
        () => tf.sequential({ layers: [tf.layers.dense({ name: 'fc', inputShape: [4], units: 3, activation: 'tanh' })] }),
        /layer "fc" \(Dense\): activation "tanh" is not supported/,
      );
    });

    it('a ReLU that no op can absorb', () => {
      expectError(
        () =>
          tf.sequential({
            layers: [
              tf.layers.conv2d({ name: 'conv', inputShape: [4, 4, 1], filters: 2, kernelSize: 1 }),
              tf.layers.flatten({ name: 'flat' }),
              tf.layers.reLU({ name: 'late_relu' }),
            ],
          }),
        /layer "late_relu" \(ReLU\): RELU after a RESHAPE op cannot be fused/,
      );
    });

    it('a ReLU whose input is read elsewhere', () => {
      expectError(() => {
        const input = tf.input({ shape: [4] });
        const fc = tf.layers.dense({ name: 'fc', units: 4 }).apply(input) as tf.SymbolicTensor;
        const relu = tf.layers.reLU({ name: 'r' }).apply(fc) as tf.SymbolicTensor;
        const sum = tf.layers.add({ name: 's' }).apply([fc, relu]) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: sum });
      }, /layer "r" \(ReLU\): RELU cannot be fused into op 0 \(FULLY_CONNECTED\): its input is also read elsewhere/);
    });

    it('a Dense layer on a rank-4 input', () => {
      expectError(
        () => tf.sequential({ layers: [tf.layers.dense({ name: 'fc', inputShape: [2, 2, 3], units: 3 })] }),
        /layer "fc" \(Dense\): input has shape \[1,2,2,3\]; Dense needs a rank-2 input/,
      );
    });

    it('a float graph without a calibration range', () => {
      const model = tf.sequential({ layers: [tf.layers.dense({ name: 'fc', inputShape: [4], units: 3 })] });
      const floatGraph = layersModelToFloatGraph(model, 'm');
      const ranges = calibrateRanges(floatGraph, [tf.ones([2, 4])]);
      ranges.delete(floatGraph.outputs[0]!);
      expect(() => quantizeGraph(floatGraph, ranges)).to.throw(TinyforgeError, /m: tensor 3 "fc" has no calibration range/);
    });
  });
});
