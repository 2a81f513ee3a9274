// SPDX-License-Identifier: Apache-2.0
/**
 * The perf sweep's grid: single-layer int8 models of the shapes real networks use (channels 1 to 512,
 * images 1x1 to 224x224, kernels 1 to 7, FC 8 to 4096), each drawn deterministically from its name so
 * a run can be repeated and any one layer rebuilt alone. Pure: no compiler, no emulator (the fast test
 * in test/perf/sweep.test.ts checks it).
 *
 * A full Cartesian grid (thousands of layers) would take days under emulation, so the grid is the
 * combinations real models have (pointwise and 3x3 convs along the channel ladder, stem convs on 1 and
 * 3 channels, depthwise at every width), each at the LARGEST image of {1, 7, 14, 28, 56, 112, 224} that
 * keeps the layer within the caps below (the steady state a kernel is judged by), plus a 7x7 point
 * for the wide late layers (where per-row overheads show).
 */
import type { FusedActivation, Graph, Padding } from '../src/core/ir/graph.ts';
import { outputSize } from '../src/core/ops/common/families/padding.ts';
import { GraphBuilder } from '../test/helpers/graph_builder.ts';
import { rng } from '../test/helpers/op_harness.ts';
import { int32Bias, int8Weights } from '../test/fuzz/ops/common.ts';
import { int8Q, int8s } from '../test/fuzz/draw.ts';

export const SWEEP_OPS = ['conv', 'dw', 'tconv', 'fc', 'avgpool', 'maxpool', 'add', 'mul', 'mean', 'softmax'] as const;
export type SweepOp = (typeof SWEEP_OPS)[number];

export const OP_KIND: Record<SweepOp, string> = {
  conv: 'CONV_2D',
  dw: 'DEPTHWISE_CONV_2D',
  tconv: 'TRANSPOSE_CONV',
  fc: 'FULLY_CONNECTED',
  avgpool: 'AVERAGE_POOL_2D',
  maxpool: 'MAX_POOL_2D',
  add: 'ADD',
  mul: 'MUL',
  mean: 'MEAN',
  softmax: 'SOFTMAX',
};

export const IMAGES = [1, 7, 14, 28, 56, 112, 224] as const;

export interface SweepCaps {
  /** MACs (taps, elements) of one layer: what one emulated run may cost */
  macs: number;
  /**
   * input + output activation bytes: what the smallest board (RP2040, 264 KiB) holds, and what the
   * run can afford to move: input and output travel over the emulated UART, which on QEMU takes
   * longer than the layer itself past a few tens of KB (a 200 KB input took a minute)
   */
  activations: number;
  /** constant bytes (filters): within every board's flash with the harness beside them */
  weights: number;
}

/** Full grid: ~20-40 min on one core for the three boards and CMSIS-NN (per-MAC figures are steady well below the caps). */
export const FULL_CAPS: SweepCaps = { macs: 8_000_000, activations: 64 * 1024, weights: 1024 * 1024 };
/** `--quick`: small layers of every op, a smoke test in under two minutes. */
export const QUICK_CAPS: SweepCaps = { macs: 1_000_000, activations: 64 * 1024, weights: 64 * 1024 };

export interface LayerSpec {
  op: SweepOp;
  /** the shape as printed: `k3s1 28x28x16->32` */
  shape: string;
  /** image side (windowed ops and ADD / MEAN); FC: the batch rows, SOFTMAX: the rows (0: one) */
  image: number;
  inC: number;
  outC: number;
  /** kernel side; MEAN: the axes (1: H and W, 2: the channels, 3: every axis to one value) */
  k: number;
  stride: number;
  /** depthwise multiplier */
  mult: number;
}

export interface SizedLayer extends LayerSpec {
  macs: number;
  activationBytes: number;
  weightBytes: number;
}

const same = (size: number, k: number, s: number) => outputSize('SAME' as Padding, size, k, s, 1);

/** MACs (taps / elements for MAC-free ops, as the ops' own `macs` count them), activations and weights of a layer. */
export function sizeOf(l: LayerSpec): SizedLayer {
  const { image: n, inC, outC, k, stride } = l;
  const o = same(n, k, stride);
  let macs = 0,
    inBytes = 0,
    outBytes = 0,
    weightBytes = 0;
  switch (l.op) {
    case 'conv':
      macs = o * o * outC * k * k * inC;
      inBytes = n * n * inC;
      outBytes = o * o * outC;
      weightBytes = k * k * inC * outC;
      break;
    case 'tconv': {
      // the image is the input's side; the output is stride times larger (SAME)
      macs = n * n * inC * outC * k * k;
      inBytes = n * n * inC;
      outBytes = n * stride * n * stride * outC;
      weightBytes = k * k * inC * outC;
      break;
    }
    case 'dw':
      macs = o * o * outC * k * k;
      inBytes = n * n * inC;
      outBytes = o * o * outC;
      weightBytes = k * k * outC;
      break;
    case 'fc': {
      // the image is the batch (0: one row)
      const rows = Math.max(1, n);
      macs = rows * inC * outC;
      inBytes = rows * inC;
      outBytes = rows * outC;
      weightBytes = inC * outC;
      break;
    }
    case 'avgpool':
    case 'maxpool': {
      const p = l.k === 0 ? 1 : outputSize('VALID', n, k, stride, 1);
      macs = p * p * inC * (l.k === 0 ? n * n : k * k);
      inBytes = n * n * inC;
      outBytes = p * p * inC;
      break;
    }
    case 'add':
    case 'mul':
      macs = n * n * inC;
      inBytes = 2 * n * n * inC;
      outBytes = n * n * inC;
      break;
    case 'mean':
      macs = n * n * inC;
      inBytes = n * n * inC;
      outBytes = l.k === 2 ? n * n : l.k === 3 ? 1 : inC;
      break;
    case 'softmax': {
      const rows = Math.max(1, l.image);
      macs = rows * inC;
      inBytes = rows * inC;
      outBytes = rows * inC;
      break;
    }
  }
  return { ...l, macs, activationBytes: inBytes + outBytes, weightBytes };
}

export function fits(l: SizedLayer, caps: SweepCaps): boolean {
  return l.macs <= caps.macs && l.activationBytes <= caps.activations && l.weightBytes <= caps.weights;
}

function label(l: Omit<LayerSpec, 'shape'>): string {
  const img = `${l.image}x${l.image}`;
  switch (l.op) {
    case 'conv':
      return `k${l.k}s${l.stride} ${img}x${l.inC}->${l.outC}`;
    case 'tconv':
      return `k${l.k}s${l.stride} ${img}x${l.inC}->${l.outC}`;
    case 'dw':
      return `k${l.k}s${l.stride}m${l.mult} ${img}x${l.inC}`;
    case 'fc':
      return l.image > 1 ? `${l.inC}->${l.outC} x${l.image}` : `${l.inC}->${l.outC}`;
    case 'avgpool':
    case 'maxpool':
      return l.k === 0 ? `global ${img}x${l.inC}` : `k${l.k}s${l.stride} ${img}x${l.inC}`;
    case 'add':
    case 'mul':
      return `${img}x${l.inC}`;
    case 'mean':
      return `${l.k === 2 ? 'C' : l.k === 3 ? 'all' : 'HW'} ${img}x${l.inC}`;
    case 'softmax':
      return `${Math.max(1, l.image)}x${l.inC}`;
  }
}

function spec(l: Omit<LayerSpec, 'shape'>): LayerSpec {
  return { ...l, shape: label(l) };
}

/** The largest image of IMAGES (not above `max`) at which the layer fits the caps, if any. */
function largestImage(make: (image: number) => LayerSpec, caps: SweepCaps, max = 224): LayerSpec | undefined {
  for (const image of [...IMAGES].reverse()) {
    if (image > max) continue;
    // a k x k window on a smaller image is mostly padding: its per-MAC figure says nothing
    if (image < make(image).k) continue;
    const l = make(image);
    if (fits(sizeOf(l), caps)) return l;
  }
  return undefined;
}

/** Channel pairs (in, out) along the ladder real CNNs climb, stem convs on 1 and 3 channels first. */
const CONV_PAIRS: [number, number][] = [
  [1, 8],
  [3, 8],
  [3, 16],
  [8, 8],
  [8, 16],
  [16, 16],
  [16, 32],
  [32, 32],
  [32, 64],
  [64, 64],
  [64, 128],
  [128, 128],
  [128, 256],
  [256, 256],
  [256, 512],
  [512, 512],
];
const CONV_SETS: { k: number; stride: number; pairs: [number, number][]; small?: boolean }[] = [
  { k: 1, stride: 1, pairs: CONV_PAIRS, small: true },
  { k: 3, stride: 1, pairs: CONV_PAIRS, small: true },
  {
    k: 3,
    stride: 2,
    pairs: [
      [1, 8],
      [3, 16],
      [16, 32],
      [64, 128],
      [256, 512],
    ],
  },
  {
    k: 5,
    stride: 1,
    pairs: [
      [1, 8],
      [8, 16],
      [32, 32],
      [64, 64],
    ],
  },
  {
    k: 5,
    stride: 2,
    pairs: [
      [3, 16],
      [32, 64],
    ],
  },
  {
    k: 7,
    stride: 2,
    pairs: [
      [1, 8],
      [3, 16],
      [16, 32],
    ],
  },
  {
    k: 7,
    stride: 1,
    pairs: [
      [8, 8],
      [32, 32],
    ],
  },
];
const DW_SETS: { k: number; stride: number; mult: number; channels: number[] }[] = [
  { k: 3, stride: 1, mult: 1, channels: [8, 16, 32, 64, 128, 256, 512] },
  { k: 3, stride: 2, mult: 1, channels: [16, 64, 256, 512] },
  { k: 5, stride: 1, mult: 1, channels: [16, 64, 256, 512] },
  { k: 3, stride: 1, mult: 2, channels: [1, 8, 32] },
  { k: 3, stride: 1, mult: 4, channels: [1, 8] },
  // multipliers above 1 over several channels, odd channel counts, larger windows: no kernel cliffs
  { k: 3, stride: 1, mult: 1, channels: [3, 10] },
  { k: 3, stride: 1, mult: 3, channels: [1, 5] },
  { k: 3, stride: 2, mult: 2, channels: [16] },
  { k: 5, stride: 1, mult: 2, channels: [8] },
];
const FC_SIZES = [8, 64, 256, 1024, 4096];

const QUICK: LayerSpec[] = [
  spec({ op: 'conv', image: 28, inC: 16, outC: 32, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'conv', image: 14, inC: 16, outC: 16, k: 3, stride: 1, mult: 1 }),
  spec({ op: 'conv', image: 56, inC: 3, outC: 8, k: 3, stride: 2, mult: 1 }),
  spec({ op: 'dw', image: 28, inC: 32, outC: 32, k: 3, stride: 1, mult: 1 }),
  spec({ op: 'dw', image: 14, inC: 8, outC: 16, k: 3, stride: 1, mult: 2 }),
  spec({ op: 'dw', image: 14, inC: 8, outC: 32, k: 3, stride: 1, mult: 4 }),
  spec({ op: 'dw', image: 14, inC: 5, outC: 15, k: 3, stride: 1, mult: 3 }),
  spec({ op: 'tconv', image: 14, inC: 16, outC: 8, k: 3, stride: 2, mult: 1 }),
  spec({ op: 'fc', image: 0, inC: 256, outC: 64, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'fc', image: 0, inC: 1024, outC: 32, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'avgpool', image: 28, inC: 16, outC: 16, k: 2, stride: 2, mult: 1 }),
  spec({ op: 'maxpool', image: 28, inC: 16, outC: 16, k: 2, stride: 2, mult: 1 }),
  spec({ op: 'add', image: 28, inC: 16, outC: 16, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'mul', image: 28, inC: 16, outC: 16, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'mean', image: 7, inC: 256, outC: 256, k: 1, stride: 1, mult: 1 }),
  // channel means and whole-tensor means (the runs kernels)
  spec({ op: 'mean', image: 14, inC: 32, outC: 1, k: 2, stride: 1, mult: 1 }),
  spec({ op: 'mean', image: 7, inC: 256, outC: 1, k: 3, stride: 1, mult: 1 }),
  spec({ op: 'softmax', image: 0, inC: 1000, outC: 1000, k: 1, stride: 1, mult: 1 }),
  // classifier heads (the row kernels)
  spec({ op: 'softmax', image: 0, inC: 2, outC: 2, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'softmax', image: 0, inC: 10, outC: 10, k: 1, stride: 1, mult: 1 }),
  spec({ op: 'softmax', image: 8, inC: 10, outC: 10, k: 1, stride: 1, mult: 1 }),
];

export interface Grid {
  layers: LayerSpec[];
  /** combinations left out, with why */
  pruned: string[];
}

/**
 * Round-robin over the ops (conv, dw, fc, ..., conv, dw, ...): the order a long run goes in, so one
 * stopped early still has figures for every op.
 */
export function interleaved(layers: readonly LayerSpec[]): LayerSpec[] {
  const byOp = SWEEP_OPS.map((op) => layers.filter((l) => l.op === op));
  const out: LayerSpec[] = [];
  for (let i = 0; out.length < layers.length; i++) for (const g of byOp) if (i < g.length) out.push(g[i]!);
  return out;
}

/** The sweep's layers for the ops asked for, pruned to the caps. */
export function sweepGrid(options: { quick?: boolean; ops?: readonly SweepOp[] } = {}): Grid {
  const ops = new Set(options.ops ?? SWEEP_OPS);
  const caps = options.quick ? QUICK_CAPS : FULL_CAPS;
  const layers: LayerSpec[] = [];
  const pruned: string[] = [];
  const add = (l: LayerSpec | undefined, what: string) => {
    if (l && fits(sizeOf(l), caps)) layers.push(l);
    else pruned.push(`${what}: over the caps${l ? '' : ' at every image'} (${describeCaps(caps)})`);
  };
  if (options.quick) {
    for (const l of QUICK.filter((q) => ops.has(q.op))) {
      if (fits(sizeOf(l), caps)) layers.push(l);
      else pruned.push(`${l.op} ${l.shape}: over the caps`);
    }
    return { layers, pruned };
  }
  if (ops.has('conv')) {
    for (const set of CONV_SETS) {
      for (const [inC, outC] of set.pairs) {
        const make = (image: number) => spec({ op: 'conv', image, inC, outC, k: set.k, stride: set.stride, mult: 1 });
        const big = largestImage(make, caps);
        add(big, `conv k${set.k}s${set.stride} ${inC}->${outC}`);
        if (set.small && big && big.image > 7 && inC >= 64) add(largestImage(make, caps, 7), `conv k${set.k}s${set.stride} 7x7x${inC}->${outC}`);
      }
    }
  }
  if (ops.has('dw')) {
    for (const set of DW_SETS) {
      for (const c of set.channels) {
        add(
          largestImage((image) => spec({ op: 'dw', image, inC: c, outC: c * set.mult, k: set.k, stride: set.stride, mult: set.mult }), caps),
          `dw k${set.k}s${set.stride}m${set.mult} x${c}`,
        );
      }
    }
  }
  if (ops.has('tconv')) {
    // decoder upsampling layers: channels falling as the image grows
    for (const [k, stride, inC, outC] of [
      [3, 2, 16, 8],
      [3, 2, 64, 32],
      [4, 2, 32, 16],
      [2, 2, 64, 32],
      [3, 1, 16, 16],
      [5, 2, 32, 1],
    ] as const) {
      add(
        largestImage((image) => spec({ op: 'tconv', image, inC, outC, k, stride, mult: 1 }), caps, 56),
        `tconv k${k}s${stride} ${inC}->${outC}`,
      );
    }
  }
  if (ops.has('fc')) {
    for (const inC of FC_SIZES) {
      for (const outC of FC_SIZES) {
        add(spec({ op: 'fc', image: 0, inC, outC, k: 1, stride: 1, mult: 1 }), `fc ${inC}->${outC}`);
      }
    }
    // batches of 2 and 4 rows (sequence models, batched inference)
    for (const [inC, outC, batch] of [
      [256, 64, 4],
      [1024, 64, 2],
      [1024, 64, 4],
    ] as const) {
      add(spec({ op: 'fc', image: batch, inC, outC, k: 1, stride: 1, mult: 1 }), `fc ${inC}->${outC} x${batch}`);
    }
  }
  for (const op of ['avgpool', 'maxpool'] as const) {
    if (!ops.has(op)) continue;
    for (const [k, stride, c] of [
      [2, 2, 16],
      [3, 2, 32],
      [2, 2, 64],
      [3, 2, 128],
    ] as const) {
      add(
        largestImage((image) => spec({ op, image, inC: c, outC: c, k, stride, mult: 1 }), caps),
        `${op} k${k}s${stride} x${c}`,
      );
    }
    for (const c of [64, 256, 1024]) add(spec({ op, image: 7, inC: c, outC: c, k: 0, stride: 1, mult: 1 }), `${op} global 7x7x${c}`);
  }
  for (const op of ['add', 'mul'] as const) {
    if (!ops.has(op)) continue;
    for (const c of [8, 32, 128, 256])
      add(
        largestImage((image) => spec({ op, image, inC: c, outC: c, k: 1, stride: 1, mult: 1 }), caps),
        `${op} x${c}`,
      );
  }
  if (ops.has('mean')) {
    for (const [image, c] of [
      [7, 64],
      [7, 256],
      [7, 1024],
      [14, 128],
    ] as const)
      add(spec({ op: 'mean', image, inC: c, outC: c, k: 1, stride: 1, mult: 1 }), `mean ${image}x${c}`);
    for (const [image, c] of [
      [14, 32],
      [7, 256],
      [28, 3],
    ] as const)
      add(spec({ op: 'mean', image, inC: c, outC: 1, k: 2, stride: 1, mult: 1 }), `mean C ${image}x${c}`);
    add(spec({ op: 'mean', image: 7, inC: 256, outC: 1, k: 3, stride: 1, mult: 1 }), 'mean all 7x7x256');
  }
  if (ops.has('softmax')) {
    for (const c of [2, 4, 10, 12, 100, 1000, 4096]) add(spec({ op: 'softmax', image: 0, inC: c, outC: c, k: 1, stride: 1, mult: 1 }), `softmax ${c}`);
    add(spec({ op: 'softmax', image: 8, inC: 10, outC: 10, k: 1, stride: 1, mult: 1 }), 'softmax 8x10');
  }
  return { layers, pruned };
}

function describeCaps(c: SweepCaps): string {
  return `${c.macs / 1e6}M MACs, ${c.activations / 1024} KiB activations, ${c.weights / 1024} KiB weights`;
}

/** A stable 32-bit seed from a layer's name: the same layer always gets the same weights and input. */
export function seedOf(l: LayerSpec): number {
  let h = 0x811c9dc5;
  for (const ch of `${l.op} ${l.shape}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * The output scale where `terms` products of input and weight spread over int8 (as trained models'
 * are): neither saturated (the cheap path) nor all zero.
 */
function outScale(inScale: number, wScale: number, terms: number): number {
  return Math.max(1e-8, inScale * wScale * 32 * Math.sqrt(Math.max(1, terms)));
}

const ACTIVATION: FusedActivation = 'RELU6';

/**
 * The layer as a one-op graph with valid int8 quantization (weights per channel for convolutions,
 * per tensor for FC as TFLite Micro requires, biases at s_in·s_w) and a random input.
 */
export function layerGraph(l: LayerSpec): { graph: Graph; input: Uint8Array } {
  const rand = rng(seedOf(l));
  const b = new GraphBuilder(`sweep_${l.op}`);
  const qIn = int8Q(rand, -2, -1);
  const full = [127] as const;
  const n = l.image;
  const o = same(n, l.k, l.stride);
  const image = (c: number) => [1, n, n, c];
  let inputBytes = 0;
  const input = (shape: number[], q = qIn) => {
    inputBytes += shape.reduce((a, d) => a * d, 1);
    return b.input({ shape, q });
  };
  switch (l.op) {
    case 'conv': {
      const x = input(image(l.inC));
      const f = int8Weights(b, rand, [l.outC, l.k, l.k, l.inC], { perChannel: true, axis: 0, channels: l.outC, limits: full });
      const bias = int32Bias(b, rand, l.outC, qIn.scale, f.scales, [5000]);
      const q = { scale: outScale(qIn.scale, f.scales[0]!, l.k * l.k * l.inC), zeroPoint: -128 };
      const [y] = b.op('CONV_2D', [x, f.index, bias], [{ shape: [1, o, o, l.outC], q }], {
        padding: 'SAME',
        strideH: l.stride,
        strideW: l.stride,
        dilationH: 1,
        dilationW: 1,
        activation: ACTIVATION,
      });
      b.output(y!);
      break;
    }
    case 'dw': {
      const x = input(image(l.inC));
      const f = int8Weights(b, rand, [1, l.k, l.k, l.outC], { perChannel: true, axis: 3, channels: l.outC, limits: full });
      const bias = int32Bias(b, rand, l.outC, qIn.scale, f.scales, [5000]);
      const q = { scale: outScale(qIn.scale, f.scales[0]!, l.k * l.k), zeroPoint: -128 };
      const [y] = b.op('DEPTHWISE_CONV_2D', [x, f.index, bias], [{ shape: [1, o, o, l.outC], q }], {
        padding: 'SAME',
        strideH: l.stride,
        strideW: l.stride,
        dilationH: 1,
        dilationW: 1,
        activation: ACTIVATION,
        depthMultiplier: l.mult,
      });
      b.output(y!);
      break;
    }
    case 'tconv': {
      const x = input(image(l.inC));
      const f = int8Weights(b, rand, [l.outC, l.k, l.k, l.inC], { perChannel: true, axis: 0, channels: l.outC, limits: full });
      const bias = int32Bias(b, rand, l.outC, qIn.scale, f.scales, [5000]);
      // each output sums about k*k*inC/stride^2 products
      const q = { scale: outScale(qIn.scale, f.scales[0]!, (l.k * l.k * l.inC) / (l.stride * l.stride)), zeroPoint: -128 };
      const out = [1, n * l.stride, n * l.stride, l.outC];
      const [y] = b.op('TRANSPOSE_CONV', [b.ints(out), f.index, x, bias], [{ shape: out, q }], {
        padding: 'SAME',
        strideH: l.stride,
        strideW: l.stride,
        activation: 'NONE',
      });
      b.output(y!);
      break;
    }
    case 'fc': {
      const batch = Math.max(1, l.image);
      const x = input([batch, l.inC]);
      const f = int8Weights(b, rand, [l.outC, l.inC], { perChannel: false, axis: 0, channels: l.outC, limits: full });
      const bias = int32Bias(b, rand, l.outC, qIn.scale, f.scales, [5000]);
      const q = { scale: outScale(qIn.scale, f.scales[0]!, l.inC), zeroPoint: 0 };
      const [y] = b.op('FULLY_CONNECTED', [x, f.index, bias], [{ shape: [batch, l.outC], q }], { activation: 'NONE', keepNumDims: false });
      b.output(y!);
      break;
    }
    case 'avgpool':
    case 'maxpool': {
      const x = input(image(l.inC));
      const global = l.k === 0;
      const k = global ? n : l.k;
      const p = global ? 1 : outputSize('VALID', n, k, l.stride, 1);
      const [y] = b.op(OP_KIND[l.op], [x], [{ shape: [1, p, p, l.inC], q: qIn }], {
        padding: 'VALID',
        strideH: global ? 1 : l.stride,
        strideW: global ? 1 : l.stride,
        filterH: k,
        filterW: k,
        activation: 'NONE',
      });
      b.output(y!);
      break;
    }
    case 'add': {
      const qB = int8Q(rand, -2, -1);
      const x = input(image(l.inC));
      const z = input(image(l.inC), qB);
      const q = { scale: Math.max(qIn.scale, qB.scale) * 1.5, zeroPoint: 0 };
      const [y] = b.op('ADD', [x, z], [{ shape: image(l.inC), q }], { activation: 'NONE' });
      b.output(y!);
      break;
    }
    case 'mul': {
      const qB = int8Q(rand, -2, -1);
      const x = input(image(l.inC));
      const z = input(image(l.inC), qB);
      // products of the two inputs' ranges spread over int8
      const q = { scale: qIn.scale * qB.scale * 64, zeroPoint: 0 };
      const [y] = b.op('MUL', [x, z], [{ shape: image(l.inC), q }], { activation: 'NONE' });
      b.output(y!);
      break;
    }
    case 'mean': {
      const x = input(image(l.inC));
      const [axes, out] =
        l.k === 2
          ? [[3], [1, l.image, l.image, 1]]
          : l.k === 3
            ? [
                [0, 1, 2, 3],
                [1, 1, 1, 1],
              ]
            : [
                [1, 2],
                [1, 1, 1, l.inC],
              ];
      const [y] = b.op('MEAN', [x, b.ints(axes)], [{ shape: out, q: qIn }], { keepDims: true });
      b.output(y!);
      break;
    }
    case 'softmax': {
      // TFLite Micro's int8 softmax output: scale 1/256, zero point -128
      const shape = [Math.max(1, l.image), l.inC];
      const x = input(shape, { scale: 0.1, zeroPoint: 0 });
      const [y] = b.op('SOFTMAX', [x], [{ shape, q: { scale: 1 / 256, zeroPoint: -128 } }], { beta: 1 });
      b.output(y!);
      break;
    }
  }
  return { graph: b.build(), input: new Uint8Array(int8s(rand, inputBytes).buffer) };
}
