// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerFastTrainingKernels, stockKernel, useTrainingBackend } from '../../src/compress/tfjs_kernels.ts';

/** The cpu backend's own kernel on the same inputs and attributes. */
function runStock(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const info = stockKernel(kernelName)({ inputs, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]!));
}

describe('compress/tfjs_kernels: fast filter gradients for the cpu backend', function () {
  let previousBackend: string | undefined;

  before(async () => {
    previousBackend = tf.getBackend();
    await tf.setBackend('cpu');
    registerFastTrainingKernels();
  });

  after(async () => {
    if (previousBackend) await tf.setBackend(previousBackend);
  });

  it('replaces the two stock kernels (so the comparisons below compare different code)', () => {
    for (const name of [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter]) {
      expect(tf.getKernel(name, 'cpu')!.kernelFunc).to.not.equal(stockKernel(name));
    }
  });

  const convCases = [
    { x: [2, 9, 9, 3], k: [3, 3], out: 4, strides: 1, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 3], out: 5, strides: 2, pad: 'same' },
    { x: [1, 8, 7, 4], k: [2, 3], out: 3, strides: [2, 1], pad: 'valid' },
    { x: [2, 6, 6, 8], k: [1, 1], out: 16, strides: 1, pad: 'valid' },
  ] as const;

  for (const c of convCases) {
    it(`Conv2DBackpropFilter matches the stock kernel: x [${c.x}], ${c.k.join('x')} -> ${c.out}, stride ${c.strides}, ${c.pad}`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal([...c.x], 0, 1, 'float32', 7) as tf.Tensor4D;
        const filterShape = [c.k[0], c.k[1], c.x[3], c.out] as [number, number, number, number];
        const y = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.strides as [number, number] | number, c.pad);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 8);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap;
        const fast = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
        const stock = runStock(tf.Conv2DBackpropFilter, { x, dy }, attrs);
        expect(fast.shape).to.deep.equal(filterShape);
        expect(maxRelativeDifference(fast, stock)).to.be.below(1e-5);
      });
    });
  }

  const depthwiseCases = [
    { x: [2, 9, 9, 3], k: [3, 3], mult: 1, strides: 1, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 3], mult: 2, strides: 2, pad: 'same' },
    { x: [1, 8, 7, 4], k: [2, 3], mult: 3, strides: 1, pad: 'valid' },
  ] as const;

  for (const c of depthwiseCases) {
    it(`DepthwiseConv2dNativeBackpropFilter matches the stock kernel: x [${c.x}], ${c.k.join('x')}, multiplier ${c.mult}, stride ${c.strides}, ${c.pad}`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal([...c.x], 0, 1, 'float32', 9) as tf.Tensor4D;
        const filterShape = [c.k[0], c.k[1], c.x[3], c.mult] as [number, number, number, number];
        const y = tf.depthwiseConv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.strides, c.pad);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 10);
        const attrs = { strides: c.strides, dilations: 1, pad: c.pad, dimRoundingMode: undefined, filterShape } as unknown as tf.NamedAttrMap;
        const fast = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, attrs) as tf.Tensor;
        const stock = runStock(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, attrs);
        expect(fast.shape).to.deep.equal(filterShape);
        expect(maxRelativeDifference(fast, stock)).to.be.below(1e-5);
      });
    });
  }

  it('gives tf.grad the gradient of a conv + depthwise loss (checked against a finite difference)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 11) as tf.Tensor4D;
      const w1 = tf.randomNormal([3, 3, 2, 3], 0, 0.5, 'float32', 12) as tf.Tensor4D;
      const w2 = tf.randomNormal([3, 3, 3, 2], 0, 0.5, 'float32', 13) as tf.Tensor4D;
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.depthwiseConv2d(tf.conv2d(x, a, 2, 'same'), b, 1, 'same'))) as tf.Scalar;
      const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D))([w1, w2]);
      // central differences on a few weights of each filter, in float64 arithmetic on float32 data
      const eps = 1e-2;
      for (const [w, g, which] of [
        [w1, g1!, 0],
        [w2, g2!, 1],
      ] as const) {
        const values = w.dataSync();
        const grad = g.dataSync();
        for (const i of [0, 5, values.length - 1]) {
          const plus = Float32Array.from(values);
          plus[i]! += eps;
          const minus = Float32Array.from(values);
          minus[i]! -= eps;
          const at = (v: Float32Array) => {
            const t = tf.tensor4d(v, w.shape);
            return loss(which === 0 ? t : w1, which === 1 ? t : w2).dataSync()[0]!;
          };
          const numeric = (at(plus) - at(minus)) / (2 * eps);
          expect(grad[i]!).to.be.closeTo(numeric, 1e-2 * Math.max(1, Math.abs(numeric)));
        }
      }
    });
  });
});

/**
 * The wasm backend has none of the three kernels: ours are the only implementation there. They are
 * checked against the cpu backend's stock kernels (tfjs's own code) on the same data, and through
 * tf.grads against central differences, and a layers model trains with them.
 */
describe('compress/tfjs_kernels: the three missing gradient kernels on the wasm backend', function () {
  let previousBackend: string | undefined;

  before(async () => {
    previousBackend = tf.getBackend();
    await useTrainingBackend();
  });

  after(async () => {
    if (previousBackend) await tf.setBackend(previousBackend);
  });

  /** Runs `kernel` on wasm with our kernel, and on cpu with tfjs's stock kernel; returns both results. */
  async function onBothBackends(
    kernel: string,
    make: () => { inputs: Record<string, tf.Tensor>; attrs: Record<string, unknown> },
  ): Promise<[Float32Array, Float32Array, number[]]> {
    await tf.setBackend('wasm');
    const wasm = tf.tidy(() => {
      const { inputs, attrs } = make();
      const out = tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
      return { values: Float32Array.from(out.dataSync()), shape: out.shape };
    });
    await tf.setBackend('cpu');
    const stock = tf.tidy(() => {
      const { inputs, attrs } = make();
      return Float32Array.from(runStock(kernel, inputs, attrs).dataSync());
    });
    await tf.setBackend('wasm');
    return [wasm.values, stock, wasm.shape];
  }

  const relativeDifference = (a: Float32Array, b: Float32Array) => {
    let diff = 0;
    let scale = 1e-6;
    a.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    });
    return diff / scale;
  };

  it('has no stock wasm kernel to fall back on (so these tests test ours)', () => {
    for (const name of [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter]) {
      expect(tf.getKernel(name, 'wasm'), name).to.not.equal(undefined);
    }
  });

  const convCases = [
    { x: [2, 9, 9, 3], k: [3, 3], out: 4, strides: 1, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 3], out: 5, strides: 2, pad: 'same' },
    { x: [1, 8, 7, 4], k: [2, 3], out: 3, strides: [2, 1], pad: 'valid' },
  ] as const;
  for (const c of convCases) {
    it(`Conv2DBackpropFilter equals tfjs's cpu kernel: x [${c.x}], ${c.k.join('x')} -> ${c.out}, stride ${c.strides}, ${c.pad}`, async () => {
      const filterShape = [c.k[0], c.k[1], c.x[3], c.out] as [number, number, number, number];
      const [ours, stock, shape] = await onBothBackends(tf.Conv2DBackpropFilter, () => {
        const x = tf.randomNormal([...c.x], 0, 1, 'float32', 21) as tf.Tensor4D;
        const y = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.strides as [number, number] | number, c.pad);
        return {
          inputs: { x, dy: tf.randomNormal(y.shape, 0, 1, 'float32', 22) },
          attrs: { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape },
        };
      });
      expect(shape).to.deep.equal(filterShape);
      expect(relativeDifference(ours, stock)).to.be.below(1e-5);
    });
  }

  const depthwiseCases = [
    { x: [2, 9, 9, 3], k: [3, 3], mult: 1, strides: 1, dilations: 1, pad: 'same' },
    { x: [3, 10, 11, 2], k: [3, 3], mult: 2, strides: 2, dilations: 1, pad: 'same' },
    { x: [1, 8, 7, 4], k: [2, 3], mult: 3, strides: 1, dilations: 1, pad: 'valid' },
  ] as const;
  for (const c of depthwiseCases) {
    const label = `x [${c.x}], ${c.k.join('x')}, multiplier ${c.mult}, stride ${c.strides}, dilation ${c.dilations}, ${c.pad}`;
    const filterShape = [c.k[0], c.k[1], c.x[3], c.mult] as [number, number, number, number];
    const dyOf = (x: tf.Tensor4D) =>
      tf.randomNormal(tf.depthwiseConv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations).shape, 0, 1, 'float32', 24);
    it(`DepthwiseConv2dNativeBackpropFilter equals tfjs's cpu kernel: ${label}`, async () => {
      const [ours, stock, shape] = await onBothBackends(tf.DepthwiseConv2dNativeBackpropFilter, () => {
        const x = tf.randomNormal([...c.x], 0, 1, 'float32', 23) as tf.Tensor4D;
        return { inputs: { x, dy: dyOf(x) }, attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, dimRoundingMode: undefined, filterShape } };
      });
      expect(shape).to.deep.equal(filterShape);
      expect(relativeDifference(ours, stock)).to.be.below(1e-5);
    });
    it(`DepthwiseConv2dNativeBackpropInput equals tfjs's cpu kernel: ${label}`, async () => {
      const [ours, stock, shape] = await onBothBackends(tf.DepthwiseConv2dNativeBackpropInput, () => {
        const x = tf.randomNormal([...c.x], 0, 1, 'float32', 23) as tf.Tensor4D;
        const filter = tf.randomNormal(filterShape, 0, 1, 'float32', 25);
        return {
          inputs: { dy: dyOf(x), filter },
          attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, dimRoundingMode: undefined, inputShape: [...c.x] },
        };
      });
      expect(shape).to.deep.equal([...c.x]);
      expect(relativeDifference(ours, stock)).to.be.below(1e-5);
    });
  }

  /**
   * tfjs never asks for dilated depthwise gradients (its gradient refuses dilation) and the stock cpu
   * kernels ignore dilation, so ours are checked from the definition: the op is linear, so
   * d/dw Σ dy·depthwise(x, w) is Σ dy·depthwise(x, e_i) for each unit filter e_i, exactly, and the
   * same for the input.
   */
  it('handles dilation: both depthwise gradients equal the gradient from the definition (dilation 2, stride 1 and 2)', () => {
    for (const strides of [1, 2] as const) {
      tf.tidy(() => {
        const x = tf.randomNormal([1, 7, 8, 2], 0, 1, 'float32', 41) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 42) as tf.Tensor4D;
        const forward = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.depthwiseConv2d(a, b, strides, 'same', 'NHWC', 2);
        const dy = tf.randomNormal(forward(x, w).shape, 0, 1, 'float32', 43);
        const functional = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.mul(dy, forward(a, b))).dataSync()[0]!;
        const unit = (shape: readonly number[], i: number) =>
          tf.tensor4d(
            Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, k) => (k === i ? 1 : 0)),
            shape as [number, number, number, number],
          );
        const dW = (
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, {
            strides,
            dilations: 2,
            pad: 'same',
            filterShape: w.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor
        ).dataSync();
        const dX = (
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, {
            strides,
            dilations: 2,
            pad: 'same',
            inputShape: x.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor
        ).dataSync();
        dW.forEach((g, i) => expect(g, `dW[${i}], stride ${strides}`).to.be.closeTo(functional(x, unit(w.shape, i)), 1e-4));
        dX.forEach((g, i) => expect(g, `dX[${i}], stride ${strides}`).to.be.closeTo(functional(unit(x.shape, i), w), 1e-4));
      });
    }
  });

  it('gives tf.grads the gradients of conv -> depthwise -> depthwise (input, filters) within central differences', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 31) as tf.Tensor4D;
      const w1 = tf.randomNormal([3, 3, 2, 3], 0, 0.5, 'float32', 32) as tf.Tensor4D;
      const w2 = tf.randomNormal([3, 3, 3, 2], 0, 0.5, 'float32', 33) as tf.Tensor4D;
      const w3 = tf.randomNormal([3, 3, 6, 1], 0, 0.5, 'float32', 34) as tf.Tensor4D;
      // the second depthwise needs DepthwiseConv2dNativeBackpropInput for the first one's gradient
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor4D) =>
        tf.sum(tf.square(tf.depthwiseConv2d(tf.depthwiseConv2d(tf.conv2d(x, a, 2, 'same'), b, 1, 'same'), c, 1, 'valid'))) as tf.Scalar;
      const weights = [w1, w2, w3];
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D))(weights);
      const eps = 1e-2;
      weights.forEach((w, which) => {
        const values = w.dataSync();
        const grad = grads[which]!.dataSync();
        for (const i of [0, 7, values.length - 1]) {
          const at = (delta: number) => {
            const v = Float32Array.from(values);
            v[i]! += delta;
            const args = weights.map((u, k) => (k === which ? tf.tensor4d(v, u.shape) : u));
            return loss(args[0]!, args[1]!, args[2]!).dataSync()[0]!;
          };
          const numeric = (at(eps) - at(-eps)) / (2 * eps);
          expect(grad[i]!, `filter ${which} [${i}]`).to.be.closeTo(numeric, 2e-2 * Math.max(1, Math.abs(numeric)));
        }
      });
    });
  });

  it('lets a layers model with conv and depthwise layers train with fit on wasm', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 1],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    // class 1: a bright square in the top-left corner
    const x = tf.tidy(() =>
      tf.concat([
        tf.zeros([16, 8, 8, 1]),
        tf.pad(tf.ones([16, 4, 4, 1]), [
          [0, 0],
          [0, 4],
          [0, 4],
          [0, 0],
        ]),
      ]),
    );
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([...new Array(16).fill(0), ...new Array(16).fill(1)], 'int32'), 2).toFloat());
    const history = await model.fit(x, y, { epochs: 15, batchSize: 8, verbose: 0 });
    expect(tf.getBackend()).to.equal('wasm');
    const losses = history.history.loss as number[];
    expect(losses.at(-1)!).to.be.below(losses[0]! / 4);
    tf.dispose([x, y]);
  });
});
