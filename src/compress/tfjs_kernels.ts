// SPDX-License-Identifier: Apache-2.0
/**
 * Gradient kernels that make training a small CNN practical on this machine with `@tensorflow/tfjs`:
 * - on the `wasm` backend, the three it does not have at all (Conv2DBackpropFilter,
 *   DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter): without them `fit`
 *   fails with "Kernel ... not registered";
 * - on the `cpu` backend, faster replacements of the same three: the stock kernels read every
 *   element through `TensorBuffer.get` with a full index computation.
 * Both walk the flat NHWC arrays once, output pixel by output pixel, with the channel loop innermost
 * over contiguous memory. Same sums as the stock kernels, only a different order of float additions.
 *
 * Channels-first data goes to the stock cpu kernel; on wasm it is refused (tfjs layers models are
 * channels-last unless told otherwise).
 */
import * as tf from '@tensorflow/tfjs';
import { TinyforgeError } from '../core/errors.ts';
import { TFJS, loadOptional } from '../lab/optional_deps.ts';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type KernelArgs = Parameters<tf.KernelFunc>[0];
type Values = ArrayLike<number>;

/** dW[kh,kw,ci,co] = Σ_b,y,x in(b, y·s + kh·d − pad, x·s + kw·d − pad, ci) · dy(b, y, x, co). */
export function conv2dFilterGradient(x: Values, dy: Values, info: Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR * dilationHeight - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC * dilationWidth - left;
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

/** dW[kh,kw,ci,m] = Σ_b,y,x in(b, y·s + kh·d − pad, x·s + kw·d − pad, ci) · dy(b, y, x, ci·mult + m). */
export function depthwiseFilterGradient(x: Values, dy: Values, info: Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
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
          const xR = yR * strideHeight + wR * dilationHeight - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC * dilationWidth - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xBase = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wBase = (wR * filterWidth + wC) * outChannels;
            for (let ic = 0, oc = 0; ic < inChannels; ic++) {
              const xv = x[xBase + ic]!;
              for (let m = 0; m < mult; m++, oc++) dW[wBase + oc]! += xv * dy[dyBase + oc]!;
            }
          }
        }
      }
    }
  }
  return dW;
}

/** dx(b, y·s + kh·d − pad, x·s + kw·d − pad, ci) += Σ_m W[kh,kw,ci,m] · dy(b, y, x, ci·mult + m). */
export function depthwiseInputGradient(dy: Values, filter: Values, info: Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const mult = outChannels / inChannels;
  const dx = new Float32Array(batchSize * inHeight * inWidth * inChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * outChannels;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR * dilationHeight - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC * dilationWidth - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xBase = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const wBase = (wR * filterWidth + wC) * outChannels;
            for (let ic = 0, oc = 0; ic < inChannels; ic++) {
              let sum = 0;
              for (let m = 0; m < mult; m++, oc++) sum += filter[wBase + oc]! * dy[dyBase + oc]!;
              dx[xBase + ic]! += sum;
            }
          }
        }
      }
    }
  }
  return dx;
}

/** How a backend's tensor data are read and a new float32 tensor is made, for our kernels. */
interface BackendAccess {
  read(backend: unknown, t: tf.TensorInfo): Values;
  make(backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo;
}

interface CpuBackend {
  data: { get(dataId: object): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Values;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

const ACCESS: Record<'cpu' | 'wasm', BackendAccess> = {
  cpu: {
    read: (backend, t) => (backend as CpuBackend).data.get(t.dataId).values,
    make: (backend, shape, values) => (backend as CpuBackend).makeTensorInfo(shape, 'float32', values),
  },
  wasm: {
    // a view into the wasm heap: read it before anything allocates (our kernels compute into a JS
    // array first, and only then allocate the output)
    read: (backend, t) => (backend as WasmBackend).typedArrayFromHeap(t),
    make: (backend, shape, values) => (backend as WasmBackend).makeOutput(shape, 'float32', undefined, values),
  },
};

function channelsFirst(dataFormat: unknown): boolean {
  return dataFormat === 'NCHW' || dataFormat === 'channelsFirst';
}

type TrainingKernel = (args: KernelArgs, access: BackendAccess) => tf.TensorInfo | null;

/** Our kernels by name; `null` from one means "not this case": the stock kernel (cpu) takes it. */
const KERNELS: Record<string, TrainingKernel> = {
  [tf.Conv2DBackpropFilter]: (args, access) => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (channelsFirst(attrs.dataFormat)) return null;
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
    );
    const dW = conv2dFilterGradient(access.read(args.backend, x), access.read(args.backend, dy), info);
    return access.make(args.backend, info.filterShape, dW);
  },
  [tf.DepthwiseConv2dNativeBackpropFilter]: (args, access) => {
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      true,
    );
    const dW = depthwiseFilterGradient(access.read(args.backend, x), access.read(args.backend, dy), info);
    return access.make(args.backend, info.filterShape, dW);
  },
  [tf.DepthwiseConv2dNativeBackpropInput]: (args, access) => {
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      true,
    );
    const dx = depthwiseInputGradient(access.read(args.backend, dy), access.read(args.backend, filter), info);
    return access.make(args.backend, info.inShape, dx);
  },
};

/** The cpu backend's own kernels, kept when ours replace them: fallback and test reference. */
const stockCpu = new Map<string, tf.KernelFunc>();
const registeredOn = new Set<string>();

/**
 * Registers our three gradient kernels for `backend` (`cpu`: replacing the stock ones; `wasm`:
 * adding the missing ones). Idempotent.
 */
export function registerTrainingKernels(backend: 'cpu' | 'wasm'): void {
  if (registeredOn.has(backend)) return;
  registeredOn.add(backend);
  const access = ACCESS[backend];
  for (const [name, kernel] of Object.entries(KERNELS)) {
    const existing = tf.getKernel(name, backend);
    let stock: tf.KernelFunc | undefined;
    if (existing) {
      stock = stockCpu.get(name) ?? existing.kernelFunc;
      if (backend === 'cpu') stockCpu.set(name, stock);
      tf.unregisterKernel(name, backend);
    }
    tf.registerKernel({
      kernelName: name,
      backendName: backend,
      kernelFunc: (args) => {
        const out = kernel(args, access);
        if (out) return out;
        if (stock) return stock(args);
        throw new TinyforgeError(`${name} on the ${backend} backend: channels-first data is not supported (use channels-last layers)`);
      },
    });
  }
}

/** Replaces the cpu backend's three gradient kernels with ours (kept for older callers). */
export function registerFastTrainingKernels(): void {
  registerTrainingKernels('cpu');
}

/** The cpu backend's own kernel, even after ours replaced it: what tests compare ours with. */
export function stockKernel(kernelName: string): tf.KernelFunc {
  const own = stockCpu.get(kernelName) ?? tf.getKernel(kernelName, 'cpu')?.kernelFunc;
  if (!own) throw new Error(`tfjs cpu backend has no ${kernelName} kernel`);
  return own;
}

let wasmReady: Promise<void> | undefined;

/**
 * Makes tfjs train on the `wasm` backend (XNNPACK, SIMD; single-threaded under Node) with our
 * gradient kernels, and the `cpu` backend's as a fallback. Idempotent; awaits the wasm module's load.
 */
export function useTrainingBackend(): Promise<void> {
  wasmReady ??= (async () => {
    await loadOptional(TFJS, 'training', () => import('@tensorflow/tfjs-backend-wasm'));
    registerTrainingKernels('cpu');
    registerTrainingKernels('wasm');
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new TinyforgeError('the tfjs wasm backend failed to initialise');
  })();
  return wasmReady.then(async () => {
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  });
}
