// SPDX-License-Identifier: Apache-2.0
/**
 * How a device's float32 outputs are compared with the reference. A float32 layer of an op whose
 * TFLite Micro kernel calls libm (LOGISTIC, TANH, SOFTMAX, ...) gives each C library's rounding of
 * expf, tanhf, logf, so it is within a stated number of ULPs of the reference, not bit-exact
 * (`FLOAT_LIBM_ULP`, docs/kernels.md). The rule: a float32 output may differ from the reference by
 * the sum of the ULP bounds of the libm layers it depends on (each counted once); a float32 output
 * that depends on none is bit-exact, a NaN matching any NaN (x86 and Arm make NaNs of other signs
 * and payloads); every integer output is compared byte for byte.
 */
import type { Graph } from '../../core/ir/graph.ts';
import { floatUlpBound, floatUlpFloor } from '../../core/ops/common/families/float_libm.ts';
import { ulpDistanceFloored } from '../../core/ops/common/numerics/float_ulp.ts';
import { equalBytes } from '../data/bytes.ts';

export const TOLERANCE_RULE =
  'a float32 output is within the summed ULP bounds of the libm layers it depends on (LOGISTIC, TANH, SOFTMAX, ...: docs/kernels.md), else bit-exact (any NaN matching a NaN); other outputs byte for byte';

export interface FloatTolerance {
  /** per output: the ULPs a float32 output may differ by (0: bit-exact); null for an integer output (byte for byte) */
  ulps: (number | null)[];
  /** per output: below this magnitude the ULPs are those of the floor (LOG_SOFTMAX: 1; 0: plain ULPs); null for an integer output */
  floor: (number | null)[];
  /** per output: the largest ULP distance seen over every case (null for an integer output) */
  worst: (number | null)[];
  rule: string;
}

/** How one output is compared: null for an integer output (byte for byte). */
export interface OutputTolerance {
  /** the summed bounds of the libm layers the output depends on (0: bit-exact) */
  ulps: number;
  /** the largest floor among them (ulpDistanceFloored) */
  floor: number;
}

/** Each output's tolerance: the sum of the ULP bounds of the libm layers it depends on, each counted once. */
export function outputUlpTolerances(graph: Graph): (OutputTolerance | null)[] {
  const libmLayers = new Map<number, Set<number>>(); // tensor -> the ops with a bound it depends on
  for (const op of graph.ops) {
    const deps = new Set<number>();
    for (const i of op.inputs) if (i >= 0) for (const d of libmLayers.get(i) ?? []) deps.add(d);
    const input = op.inputs[0] === undefined || op.inputs[0] < 0 ? undefined : graph.tensors[op.inputs[0]];
    if (input?.dtype === 'float32' && floatUlpBound(op.kind) > 0) deps.add(op.index);
    for (const o of op.outputs) if (o >= 0) libmLayers.set(o, deps);
  }
  const kindOf = new Map(graph.ops.map((op) => [op.index, op.kind]));
  return graph.outputs.map((t) => {
    if (graph.tensors[t]!.dtype !== 'float32') return null;
    let ulps = 0;
    let floor = 0;
    for (const d of libmLayers.get(t) ?? []) {
      ulps += floatUlpBound(kindOf.get(d)!);
      floor = Math.max(floor, floatUlpFloor(kindOf.get(d)!));
    }
    return { ulps, floor };
  });
}

/** The largest ULP distance between two float32 byte strings of one length. */
export function maxUlpOfBytes(a: Uint8Array, b: Uint8Array, floor = 0): number {
  if (a.length !== b.length) return Infinity;
  const va = new DataView(a.buffer, a.byteOffset, a.length);
  const vb = new DataView(b.buffer, b.byteOffset, b.length);
  let worst = 0;
  for (let i = 0; i + 4 <= a.length; i += 4) worst = Math.max(worst, ulpDistanceFloored(va.getUint32(i, true), vb.getUint32(i, true), floor));
  return worst;
}

/** One output of one case against the reference: byte for byte, or within `ulps` ULPs for a float32 output with a bound. */
export function outputMatches(actual: Uint8Array, expected: Uint8Array, tolerance: OutputTolerance | null): boolean {
  if (equalBytes(actual, expected)) return true;
  if (tolerance === null) return false;
  if (tolerance.ulps > 0) return maxUlpOfBytes(actual, expected, tolerance.floor) <= tolerance.ulps;
  // bit-exact float32: the same bits, or NaN where the reference has NaN (x86 and Arm give NaNs other signs and payloads)
  if (actual.length !== expected.length) return false;
  const va = new DataView(actual.buffer, actual.byteOffset, actual.length);
  const vb = new DataView(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i + 4 <= actual.length; i += 4) {
    const a = va.getUint32(i, true);
    const b = vb.getUint32(i, true);
    if (a !== b && !(isNaNBits(a) && isNaNBits(b))) return false;
  }
  return true;
}

const isNaNBits = (u: number): boolean => (u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0;

/**
 * The tolerance of a model's outputs and the worst distances over every case; undefined when the
 * model has no float32 output (every output byte for byte).
 */
export function floatTolerance(graph: Graph, actual: Uint8Array[][], expected: Uint8Array[][]): FloatTolerance | undefined {
  const tolerances = outputUlpTolerances(graph);
  if (tolerances.every((u) => u === null)) return undefined;
  const worst = tolerances.map((u, o) =>
    u === null ? null : actual.reduce((w, outs, k) => Math.max(w, maxUlpOfBytes(outs[o]!, expected[k]![o]!, u.floor)), 0),
  );
  return { ulps: tolerances.map((u) => u?.ulps ?? null), floor: tolerances.map((u) => u?.floor ?? null), worst, rule: TOLERANCE_RULE };
}

/** One line for the text reports: what the float32 outputs were compared with and the worst distance seen. */
export function toleranceLine(t: FloatTolerance): string {
  const parts = t.ulps.flatMap((u, o) =>
    u === null ? [] : [`output ${o}: ${u === 0 ? 'exact' : `<= ${u} ULP${t.floor[o] ? ` of max(|y|, ${t.floor[o]})` : ''}`}, worst ${fmt(t.worst[o])} ULP`],
  );
  return `float32 outputs compared within a tolerance (${parts.join('; ')}): ${t.rule}`;
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Number.isFinite(v) ? String(v) : 'inf');
