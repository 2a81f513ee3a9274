// SPDX-License-Identifier: Apache-2.0
/**
 * Edge-input fuzzing: the layers and inputs that reach the accumulators' bounds. Each case is one layer
 * (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, TRANSPOSE_CONV or BATCH_MATMUL)
 * drawn from a seed with the longest dot products and widest windows an element budget allows (the
 * board's RAM: `maxElements` input values), extreme zero points (127, -128) and weights (all -128, all
 * 127, alternating -128/127, random), run on inputs all-max, all-min and alternating max/min. Every case
 * is compiled into host C under ASan and UBSan with -fno-sanitize-recover=all (any overflow, a
 * sanitizer report, stops the program) for the portable kernel and each family's host twin, and its
 * outputs compared byte for byte with the TS reference (which wraps as TFLite Micro's int32
 * accumulators do: src/core/ops/common/numerics/accumulator_bound.ts).
 */
import type { Graph, Op } from '../../src/core/ir/graph.ts';
import type { TensorBuffer } from '../../src/core/ir/buffers.ts';
import { toBytes } from '../../src/core/ir/buffers.ts';
import type { KernelIsa, OpDef } from '../../src/core/ops/op.ts';
import fullyConnected from '../../src/core/ops/fully_connected/index.ts';
import conv2d from '../../src/core/ops/conv_2d/index.ts';
import depthwise from '../../src/core/ops/depthwise_conv_2d/index.ts';
import averagePool from '../../src/core/ops/average_pool_2d/index.ts';
import transposeConv from '../../src/core/ops/transpose_conv/index.ts';
import batchMatmul from '../../src/core/ops/batch_matmul/index.ts';
import { type CCase, evaluateOp, firstDifference, rng, runCasesInC, singleOpGraph } from '../helpers/op_harness.ts';

export type EdgeInput = 'max' | 'min' | 'alternating';
export const EDGE_INPUTS: readonly EdgeInput[] = ['max', 'min', 'alternating'];

export interface EdgeCase extends CCase {
  /** what was drawn, for reports: `FULLY_CONNECTED 100000->2 zp 127 w -128 x max` */
  label: string;
  /** whether the layer's accumulator bound passes 2^31 (the kernel wraps) */
  wraps: boolean;
}

export interface EdgeOptions {
  seed: number;
  /** layers in all (each run on the three edge inputs) */
  count: number;
  /** the most input values one layer reads: the board's RAM budget for its activations */
  maxElements: number;
  /** the kernel families' host twins besides the portable C (default all) */
  isas?: (KernelIsa | undefined)[];
}

export const EDGE_ISAS: (KernelIsa | undefined)[] = [undefined, { dsp: true }, { dsp: false, armv6m: true }, { dsp: false, rv32: true }];

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** An input of `n` values of the dtype at one edge. */
export function edgeValues(kind: EdgeInput, n: number, dtype: 'int8' | 'int16'): Int8Array | Int16Array {
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  const out = dtype === 'int8' ? new Int8Array(n) : new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = kind === 'max' ? hi : kind === 'min' ? lo : i % 2 === 0 ? hi : lo;
  return out;
}

/** Weights at the edges: all -128, all 127, alternating, or random over the whole range. */
function edgeWeights(rand: Rand, n: number): { data: Int8Array; name: string } {
  const kind = pick(rand, ['-128', '127', 'alternating', 'random'] as const);
  const data = new Int8Array(n);
  for (let i = 0; i < n; i++) data[i] = kind === '-128' ? -128 : kind === '127' ? 127 : kind === 'alternating' ? (i % 2 ? 127 : -128) : int(rand, -128, 127);
  return { data, name: kind };
}

/** The output scale that maps the largest accumulator to about 100 steps (sometimes a random one), so outputs are not all clamped. */
function outScale(rand: Rand, inScale: number, wScale: number, terms: number): number {
  return rand() < 0.75 ? (inScale * wScale * terms * 32640) / int(rand, 50, 20000) : 10 ** (rand() * 6 - 3);
}

/** A drawn layer; `rhsCount`: a second run-time input (BATCH_MATMUL's rhs), at the same edge as the first. */
type Layer = { def: OpDef; graph: Graph; op: Op; dtype: 'int8' | 'int16'; inputCount: number; rhsCount?: number; label: string };

function fcLayer(rand: Rand, maxElements: number): Layer {
  const inF = rand() < 0.5 ? maxElements : int(rand, 1, maxElements);
  const outF = int(rand, 1, 3);
  const w = edgeWeights(rand, inF * outF);
  const zp = pick(rand, [127, -128, 0, int(rand, -128, 127)]);
  const wZp = rand() < 0.2 ? pick(rand, [-128, 127, int(rand, -5, 5)]) : 0;
  const bias = rand() < 0.6 ? Int32Array.from({ length: outF }, () => int(rand, -(2 ** 20), 2 ** 20)) : undefined;
  const { graph, op } = singleOpGraph(
    'FULLY_CONNECTED',
    [
      { shape: [1, inF], scale: 0.5, zeroPoint: zp },
      { shape: [outF, inF], scale: 0.01, zeroPoint: wZp, data: w.data },
      bias ? { shape: [outF], dtype: 'int32', scale: 0.005, data: bias } : null,
    ],
    [{ shape: [1, outF], scale: outScale(rand, 0.5, 0.01, inF), zeroPoint: int(rand, -128, 127) }],
    { activation: pick(rand, ['NONE', 'RELU'] as const), keepNumDims: false },
  );
  return {
    def: fullyConnected,
    graph,
    op,
    dtype: 'int8',
    inputCount: inF,
    label: `FULLY_CONNECTED ${inF}->${outF} zp ${zp} w ${w.name}${wZp ? ` z_w ${wZp}` : ''}`,
  };
}

function convLayer(rand: Rand, maxElements: number): Layer {
  const k = pick(rand, [1, 2, 3]);
  const inC = Math.max(1, Math.floor(maxElements / (k * k)) - (rand() < 0.5 ? 0 : int(rand, 0, 5)));
  const outC = int(rand, 1, 3);
  const w = edgeWeights(rand, outC * k * k * inC);
  const zp = pick(rand, [127, -128, int(rand, -128, 127)]);
  const { graph, op } = singleOpGraph(
    'CONV_2D',
    [
      { shape: [1, k, k, inC], scale: 0.5, zeroPoint: zp },
      { shape: [outC, k, k, inC], scale: 0.01, data: w.data },
      rand() < 0.5 ? { shape: [outC], dtype: 'int32', scale: 0.005, data: Int32Array.from({ length: outC }, () => int(rand, -(2 ** 20), 2 ** 20)) } : null,
    ],
    [{ shape: [1, 1, 1, outC], scale: outScale(rand, 0.5, 0.01, k * k * inC), zeroPoint: int(rand, -128, 127) }],
    { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' },
  );
  return { def: conv2d, graph, op, dtype: 'int8', inputCount: k * k * inC, label: `CONV_2D ${k}x${k}x${inC}->${outC} zp ${zp} w ${w.name}` };
}

function depthwiseLayer(rand: Rand, maxElements: number): Layer {
  const ch = int(rand, 1, 3);
  const side = Math.max(1, Math.floor(Math.sqrt(maxElements / ch)));
  const w = edgeWeights(rand, side * side * ch);
  const zp = pick(rand, [127, -128, int(rand, -128, 127)]);
  const { graph, op } = singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [
      { shape: [1, side, side, ch], scale: 0.5, zeroPoint: zp },
      { shape: [1, side, side, ch], scale: 0.01, axis: 3, data: w.data },
    ],
    [{ shape: [1, 1, 1, ch], scale: outScale(rand, 0.5, 0.01, side * side), zeroPoint: int(rand, -128, 127) }],
    { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, depthMultiplier: 1, activation: 'NONE' },
  );
  return { def: depthwise, graph, op, dtype: 'int8', inputCount: side * side * ch, label: `DEPTHWISE_CONV_2D ${side}x${side}x${ch} zp ${zp} w ${w.name}` };
}

function poolLayer(rand: Rand, maxElements: number): Layer {
  const dtype = rand() < 0.6 ? 'int16' : 'int8';
  const side = Math.max(1, Math.floor(Math.sqrt(maxElements)));
  const q = { dtype, scale: 0.001, zeroPoint: 0 } as const;
  const { graph, op } = singleOpGraph('AVERAGE_POOL_2D', [{ shape: [1, side, side, 1], ...q }], [{ shape: [1, 1, 1, 1], ...q }], {
    padding: 'VALID',
    strideH: 1,
    strideW: 1,
    filterH: side,
    filterW: side,
    activation: 'NONE',
  });
  return { def: averagePool, graph, op, dtype, inputCount: side * side, label: `AVERAGE_POOL_2D ${dtype} ${side}x${side}` };
}

/** A 2x2 image of as many channels as the budget allows through a k x k filter, stride 1 or 2 (phase kernels at 2). */
function transposeConvLayer(rand: Rand, maxElements: number): Layer {
  const k = pick(rand, [1, 2, 3]);
  const s = pick(rand, [1, 2]);
  const inC = Math.max(1, Math.floor(maxElements / 4) - (rand() < 0.5 ? 0 : int(rand, 0, 5)));
  const outC = int(rand, 1, 2);
  const out = s + k;
  const w = edgeWeights(rand, outC * k * k * inC);
  const zp = pick(rand, [127, -128, int(rand, -128, 127)]);
  const { graph, op } = singleOpGraph(
    'TRANSPOSE_CONV',
    [
      { shape: [4], dtype: 'int32', data: Int32Array.from([1, out, out, outC]) },
      { shape: [outC, k, k, inC], scale: Array(outC).fill(0.01), zeroPoint: Array(outC).fill(0), axis: 0, data: w.data },
      { shape: [1, 2, 2, inC], scale: 0.5, zeroPoint: zp },
      rand() < 0.5 ? { shape: [outC], dtype: 'int32', data: Int32Array.from({ length: outC }, () => int(rand, -(2 ** 20), 2 ** 20)) } : null,
    ],
    [{ shape: [1, out, out, outC], scale: outScale(rand, 0.5, 0.01, k * k * inC), zeroPoint: int(rand, -128, 127) }],
    { padding: 'VALID', strideH: s, strideW: s, activation: 'NONE' },
  );
  return { def: transposeConv, graph, op, dtype: 'int8', inputCount: 4 * inC, label: `TRANSPOSE_CONV 2x2x${inC} ${k}x${k}/${s}->${outC} zp ${zp} w ${w.name}` };
}

/** [1, K] x [K, n], both run-time inputs, K as long as the budget allows (both operands count). */
function batchMatmulLayer(rand: Rand, maxElements: number): Layer {
  const n = pick(rand, [1, 1, 2]);
  const depth = Math.max(1, Math.floor(maxElements / (1 + n)));
  const zl = pick(rand, [127, -128, int(rand, -128, 127)]);
  const zr = pick(rand, [127, -128, int(rand, -128, 127)]);
  const { graph, op } = singleOpGraph(
    'BATCH_MATMUL',
    [
      { shape: [1, depth], scale: 0.5, zeroPoint: zl },
      { shape: [depth, n], scale: 0.5, zeroPoint: zr },
    ],
    [{ shape: [1, n], scale: (0.25 * depth * 65025) / int(rand, 50, 20000), zeroPoint: int(rand, -128, 127) }],
    { adjX: false, adjY: false, asymmetricQuantizeInputs: false },
  );
  return { def: batchMatmul, graph, op, dtype: 'int8', inputCount: depth, rhsCount: depth * n, label: `BATCH_MATMUL ${depth}x${n} zp ${zl}/${zr}` };
}

const LAYERS = [fcLayer, convLayer, depthwiseLayer, poolLayer, transposeConvLayer, batchMatmulLayer];

/** The cases of one campaign: each drawn layer on the three edge inputs and one kernel family. */
export function edgeCases(o: EdgeOptions): EdgeCase[] {
  const cases: EdgeCase[] = [];
  const isas = o.isas ?? EDGE_ISAS;
  for (let k = 0; k < o.count; k++) {
    const rand = rng(o.seed * 7919 + k);
    const layer = LAYERS[k % LAYERS.length]!(rand, o.maxElements);
    const params = layer.def.prepare(layer.graph, layer.op) as { accWraps?: boolean; sumMayWrap?: boolean };
    const isa = isas[Math.floor(k / LAYERS.length) % isas.length];
    for (const kind of EDGE_INPUTS)
      cases.push({
        def: layer.def,
        graph: layer.graph,
        op: layer.op,
        inputs: [edgeValues(kind, layer.inputCount, layer.dtype), ...(layer.rhsCount ? [edgeValues(kind, layer.rhsCount, layer.dtype)] : [])],
        isa,
        label: `${layer.label} x ${kind}${isa ? ` (${JSON.stringify(isa)})` : ''}`,
        wraps: Boolean(params.accWraps || params.sumMayWrap),
      });
  }
  return cases;
}

export interface EdgeFinding {
  label: string;
  /** 'sanitizer': the host C stopped (a UBSan/ASan report, or a build failure); 'mismatch': an output byte differs from the TS reference */
  kind: 'sanitizer' | 'mismatch';
  detail: string;
}

export interface EdgeResult {
  cases: number;
  layers: number;
  wrapping: number;
  findings: EdgeFinding[];
  elapsedMs: number;
}

/** Runs the cases, `perProgram` to one host program (a stop is then narrowed to the case alone). */
export function runEdgeCases(cases: EdgeCase[], perProgram = 12, progress?: (line: string) => void): EdgeFinding[] {
  const findings: EdgeFinding[] = [];
  for (let i = 0; i < cases.length; i += perProgram) {
    const group = cases.slice(i, i + perProgram);
    let outputs: Uint8Array[][] | undefined;
    try {
      outputs = runCasesInC(group);
    } catch {
      // one program per case: name the one that stops
      for (const c of group) {
        try {
          compare(c, runCasesInC([c])[0]!, findings);
        } catch (e) {
          findings.push({
            label: c.label,
            kind: 'sanitizer',
            detail: String((e as Error).message)
              .split('\n')
              .slice(0, 6)
              .join(' | '),
          });
        }
      }
    }
    if (outputs) group.forEach((c, k) => compare(c, outputs![k]!, findings));
    progress?.(`edge: ${Math.min(i + perProgram, cases.length)}/${cases.length} cases, ${findings.length} finding(s)`);
  }
  return findings;
}

function compare(c: EdgeCase, actual: Uint8Array[], findings: EdgeFinding[]): void {
  const expected: TensorBuffer[] = evaluateOp(c.def, c.graph, c.op, c.inputs);
  expected.forEach((out, o) => {
    const d = firstDifference(toBytes(out), actual[o]!);
    if (d) findings.push({ label: c.label, kind: 'mismatch', detail: `output ${o}: ${d}` });
  });
}

export function runEdgeCampaign(o: EdgeOptions, progress?: (line: string) => void): EdgeResult {
  const start = Date.now();
  const cases = edgeCases(o);
  const findings = runEdgeCases(cases, 12, progress);
  return { cases: cases.length, layers: o.count, wrapping: cases.filter((c) => c.wraps).length / EDGE_INPUTS.length, findings, elapsedMs: Date.now() - start };
}
