import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { registerFastTrainingKernels, stockKernel } from '../../src/compress/tfjs_kernels.ts';

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
      for (const [w, g, which] of [[w1, g1!, 0], [w2, g2!, 1]] as const) {
        const values = w.dataSync();
        const grad = g.dataSync();
        for (const i of [0, 5, values.length - 1]) {
          const plus = Float32Array.from(values); plus[i]! += eps;
          const minus = Float32Array.from(values); minus[i]! -= eps;
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
