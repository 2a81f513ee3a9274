/**
 * Faster filter-gradient kernels for tfjs's `cpu` backend, so that training a small CNN on this
 * machine takes seconds instead of minutes. The stock kernels read every element through
 * `TensorBuffer.get` with a full index computation; these walk the flat NHWC arrays once, output
 * pixel by output pixel, with the channel loop innermost over contiguous memory. Same sums, only a
 * different order of float additions (differences at the level of float rounding).
 *
 * Cases outside the fast path (channels-first data, dilation) go to the stock kernel unchanged.
 */
import * as tf from '@tensorflow/tfjs';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type KernelArgs = Parameters<tf.KernelFunc>[0];

interface CpuBackendData {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** dW[kh,kw,ci,co] = Σ_b,y,x in(b, y·s + kh − pad, x·s + kw − pad, ci) · dy(b, y, x, co). */
function conv2dFilterGradient(x: ArrayLike<number>, dy: ArrayLike<number>, info: Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xBase = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wBase = (wR * filterWidth + wC) * inChannels * outChannels;
            for (let d1 = 0; d1 < inChannels; d1++) {
              const xv = x[xBase + d1]!;
              if (xv === 0) continue;
              const row = wBase + d1 * outChannels;
              for (let d2 = 0; d2 < outChannels; d2++) dW[row + d2]! += xv * dy[dyBase + d2]!;
            }
          }
        }
      }
    }
  }
  return dW;
}

/** dW[kh,kw,ci,m] = Σ_b,y,x in(b, y·s + kh − pad, x·s + kw − pad, ci) · dy(b, y, x, ci·mult + m). */
function depthwiseFilterGradient(x: ArrayLike<number>, dy: ArrayLike<number>, info: Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const mult = outChannels / inChannels;
  // The filter [kh, kw, inC, mult] flattens to [kh, kw, outC] with oc = ic·mult + m, as dy is laid out.
  const dW = new Float32Array(filterHeight * filterWidth * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xBase = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wBase = (wR * filterWidth + wC) * outChannels;
            for (let oc = 0; oc < outChannels; oc++) {
              dW[wBase + oc]! += x[xBase + Math.floor(oc / mult)]! * dy[dyBase + oc]!;
            }
          }
        }
      }
    }
  }
  return dW;
}

function isUnitDilation(dilations: unknown): boolean {
  return dilations === undefined || dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1));
}

let registered = false;

/**
 * Replaces the cpu backend's Conv2DBackpropFilter and DepthwiseConv2dNativeBackpropFilter with the
 * fast versions above. Idempotent; call before training on the `cpu` backend.
 */
export function registerFastTrainingKernels(): void {
  if (registered) return;
  registered = true;
  override(tf.Conv2DBackpropFilter, (args, stock) => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (attrs.dataFormat === 'NCHW') return stock(args);
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false,
    );
    return gradient(args, x, dy, info, conv2dFilterGradient);
  });
  override(tf.DepthwiseConv2dNativeBackpropFilter, (args, stock) => {
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    if (!isUnitDilation(attrs.dilations)) return stock(args);
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true,
    );
    return gradient(args, x, dy, info, depthwiseFilterGradient);
  });
}

function gradient(
  args: KernelArgs, x: tf.TensorInfo, dy: tf.TensorInfo, info: Conv2DInfo,
  compute: (x: ArrayLike<number>, dy: ArrayLike<number>, info: Conv2DInfo) => Float32Array,
): tf.TensorInfo {
  const backend = args.backend as unknown as CpuBackendData;
  const dW = compute(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, info);
  return backend.makeTensorInfo(info.filterShape, 'float32', dW);
}

const replaced = new Map<string, tf.KernelFunc>();

function override(kernelName: string, fast: (args: KernelArgs, stock: tf.KernelFunc) => ReturnType<tf.KernelFunc>): void {
  const stock = tf.getKernel(kernelName, 'cpu');
  if (!stock) throw new Error(`tfjs cpu backend has no ${kernelName} kernel to replace`);
  replaced.set(kernelName, stock.kernelFunc);
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({ ...stock, kernelFunc: (args) => fast(args, stock.kernelFunc) });
}

/** The cpu backend's own kernel, even after it was replaced: what tests compare the fast ones with. */
export function stockKernel(kernelName: string): tf.KernelFunc {
  const own = replaced.get(kernelName) ?? tf.getKernel(kernelName, 'cpu')?.kernelFunc;
  if (!own) throw new Error(`tfjs cpu backend has no ${kernelName} kernel`);
  return own;
}
