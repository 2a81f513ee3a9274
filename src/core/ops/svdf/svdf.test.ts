// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import svdf, { type SvdfParams } from './index.ts';
import { svdfDspRequantFn } from './dsp.ts';
import { wideRequantFn } from './fused.ts';
import { zeroPointAddFits } from '../common/numerics/fixedpoint.ts';
import { m0RequantFn } from '../common/isa/m0plus_requant.ts';
import { rv32RequantFn } from '../common/isa/rv32_rq.ts';
import { selectVariant } from '../variant.ts';
import type { KernelIsa, LayerEmitContext, OpDef } from '../op.ts';
import { compileGraph } from '../../compile.ts';
import { loadTarget } from '../../../lab/toolchain/index.ts';
import { sideBySide } from '../../../../test/helpers/graph_builder.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { TinyforgeError } from '../../errors.ts';
import { type DType, type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { type TensorBuffer, allocBuffer, toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import {
  type CCase,
  compileAndRun,
  evaluateOp,
  firstDifference,
  randomInt,
  randomInt8,
  rng,
  runCasesInC,
  singleOpGraph,
} from '../../../../test/helpers/op_harness.ts';
import { tflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { layerText } from '../layer_code.ts';

interface SvdfSpec {
  batches: number;
  inputSize: number;
  filters: number;
  rank: number;
  memory: number;
  stateType?: 'int16' | 'int8';
  inScale?: number;
  inZp?: number;
  wfScale?: number;
  wtScale?: number;
  stateScale?: number;
  stateZp?: number;
  outScale?: number;
  outZp?: number;
  weightsFeature?: ArrayLike<number>;
  weightsTime?: ArrayLike<number>;
  /** |weights_time| at most (int16 state; default 2000) */
  wtRange?: number;
  bias?: ArrayLike<number> | null;
  /** ignored on the integer path (TFLite Micro); desktop TFLite insists on RELU */
  activation?: 'NONE' | 'RELU';
  seed?: number;
}

function svdfGraph(s: SvdfSpec): { graph: Graph; op: Op } {
  const rand = rng(s.seed ?? 1);
  const stateType: DType = s.stateType ?? 'int16';
  const units = s.filters / s.rank;
  const wtRange = stateType === 'int16' ? (s.wtRange ?? 2000) : 127;
  const stateScale = s.stateScale ?? 0.01;
  const wtScale = s.wtScale ?? 0.001;
  const { graph, op } = singleOpGraph(
    'SVDF',
    [
      { shape: [s.batches, s.inputSize], scale: s.inScale ?? 0.05, zeroPoint: s.inZp ?? 0 },
      {
        shape: [s.filters, s.inputSize],
        scale: s.wfScale ?? 0.01,
        data: Int8Array.from(s.weightsFeature ?? randomInt8(rand, s.filters * s.inputSize, -127, 127)),
      },
      {
        shape: [s.filters, s.memory],
        dtype: stateType,
        scale: wtScale,
        data:
          stateType === 'int16'
            ? Int16Array.from(s.weightsTime ?? Array.from({ length: s.filters * s.memory }, () => randomInt(rand, -wtRange, wtRange)))
            : Int8Array.from(s.weightsTime ?? randomInt8(rand, s.filters * s.memory, -127, 127)),
      },
      s.bias === null
        ? null
        : {
            shape: [units],
            dtype: 'int32',
            scale: Math.fround(stateScale * wtScale),
            data: Int32Array.from(s.bias ?? Array.from({ length: units }, () => randomInt(rand, -2000, 2000))),
          },
      { shape: [s.batches, s.memory * s.filters], dtype: stateType, scale: stateScale, zeroPoint: s.stateZp ?? 0, name: 'activation_state' },
    ],
    [{ shape: [s.batches, units], scale: s.outScale ?? 0.05, zeroPoint: s.outZp ?? 0 }],
    { rank: s.rank, activation: s.activation ?? 'NONE', asymmetricQuantizeInputs: false },
  );
  graph.tensors[op.inputs[4]!]!.isVariable = true;
  graph.inputs = [op.inputs[0]!];
  return { graph, op };
}

function stateOf(graph: Graph, op: Op): TensorBuffer {
  const t = graph.tensors[op.inputs[4]!]!;
  const buffer = allocBuffer(t.dtype, elementCount(t.shape));
  if (t.dtype === 'int8') (buffer as Int8Array).fill(t.quant!.zeroPoint[0]!);
  return buffer;
}

const run = (graph: Graph, op: Op, x: ArrayLike<number>, state: TensorBuffer) =>
  Array.from(evaluateOp(svdf, graph, op, [Int8Array.from(x), state])[0] as Int8Array);

const values = (b: TensorBuffer) => Array.from(b as Int16Array);

const userError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof TinyforgeError) return e.message;
    throw e;
  }
  throw new Error('expected a TinyforgeError');
};

const DSP: KernelIsa = { dsp: true };
const ARMV6M: KernelIsa = { dsp: false, armv6m: true };
const RV32: KernelIsa = { dsp: false, rv32: true };

/** a starting state: random values of the state's type, a third of them at its extremes */
function randomState(rand: () => number, graph: Graph, op: Op): TensorBuffer {
  const state = stateOf(graph, op);
  const int16 = graph.tensors[op.inputs[4]!]!.dtype === 'int16';
  const [lo, hi] = int16 ? [-32768, 32767] : [-128, 127];
  for (let i = 0; i < state.length; i++) state[i] = rand() < 0.3 ? (rand() < 0.5 ? lo : hi) : randomInt(rand, lo, hi);
  return state;
}

/**
 * Layers sweeping what the variants specialise on: input sizes around the groups of four (odd ones
 * included), memory 1 to 32 (odd and even), ranks 1 to 3, batches 1 to 3, int16 and int8 states,
 * every zero point's extremes, and scales that move the requantizations off their fast forms: shift 0
 * and positive shifts, right shifts past 24, int16 time weights at full range whose sums wrap int32.
 */
function sweepSpecs(): SvdfSpec[] {
  const rand = rng(4040);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const specs: SvdfSpec[] = [
    // the keyword model's shapes
    { batches: 1, inputSize: 96, filters: 64, rank: 1, memory: 8, inZp: -128, outZp: -128, seed: 1 },
    { batches: 1, inputSize: 32, filters: 32, rank: 1, memory: 32, inZp: -7, outZp: -128, seed: 2 },
    // time sums past int32 (full-range int16 weights and state), several ranks
    { batches: 2, inputSize: 9, filters: 6, rank: 3, memory: 32, wtRange: 32767, outScale: 200, seed: 3 },
    { batches: 1, inputSize: 5, filters: 4, rank: 2, memory: 31, wtRange: 32767, outScale: 1e4, outZp: 127, seed: 4 },
    // output multiplier with a positive shift; and a right shift past 24 (a tiny output scale ratio)
    { batches: 1, inputSize: 12, filters: 3, rank: 1, memory: 3, outScale: 1e-6, stateScale: 0.01, wtScale: 0.01, seed: 5 },
    { batches: 1, inputSize: 12, filters: 3, rank: 1, memory: 4, outScale: 40, stateScale: 1e-4, wtScale: 1e-4, wtRange: 32767, seed: 6 },
    // feature multiplier of shift 0 and of a positive shift (tiny state scale): the state saturates
    { batches: 1, inputSize: 8, filters: 4, rank: 2, memory: 2, inScale: 0.05, wfScale: 0.01, stateScale: 6e-4, seed: 7 },
    { batches: 2, inputSize: 7, filters: 2, rank: 1, memory: 5, stateScale: 1e-5, seed: 8 },
    { batches: 1, inputSize: 7, filters: 2, rank: 1, memory: 6, stateType: 'int8', stateScale: 1e-5, stateZp: -128, seed: 9 },
    // int8 state at both zero point extremes
    { batches: 3, inputSize: 9, filters: 9, rank: 3, memory: 2, stateType: 'int8', stateZp: 127, stateScale: 0.05, inZp: 127, outZp: -128, seed: 10 },
    { batches: 1, inputSize: 17, filters: 4, rank: 4, memory: 1, bias: null, stateType: 'int8', stateZp: -128, seed: 11 },
    { batches: 1, inputSize: 3, filters: 2, rank: 1, memory: 3, bias: null, seed: 12 },
    { batches: 1, inputSize: 1, filters: 1, rank: 1, memory: 1, inZp: -128, seed: 13 },
    // int8 states walked four taps at a time, the last group packed (memory a multiple of four) or not
    { batches: 2, inputSize: 16, filters: 6, rank: 2, memory: 8, stateType: 'int8', stateZp: -9, stateScale: 0.05, seed: 14 },
    { batches: 1, inputSize: 16, filters: 4, rank: 1, memory: 32, stateType: 'int8', stateScale: 0.05, outZp: 5, seed: 15 },
    { batches: 1, inputSize: 6, filters: 3, rank: 3, memory: 10, stateType: 'int8', stateZp: 100, stateScale: 0.05, seed: 16 },
  ];
  for (let k = 0; k < 14; k++) {
    const rank = pick([1, 1, 2, 3]);
    const int8State = rand() < 0.35;
    specs.push({
      batches: pick([1, 1, 2, 3]),
      inputSize: pick([1, 2, 3, 4, 5, 7, 8, 11, 16, 33]),
      filters: rank * pick([1, 2, 3, 5, 8]),
      rank,
      memory: pick([1, 2, 3, 4, 7, 8, 10, 16]),
      stateType: int8State ? 'int8' : 'int16',
      inZp: pick([-128, -3, 0, 41, 127]),
      outZp: pick([-128, 0, 9, 127]),
      stateZp: int8State ? pick([-128, -5, 0, 127]) : 0,
      inScale: pick([0.01, 0.05, 0.3]),
      stateScale: pick([1e-3, 0.01, 0.05]),
      outScale: pick([0.005, 0.05, 0.5]),
      wtRange: pick([2000, 32767]),
      bias: rand() < 0.2 ? null : undefined,
      seed: 100 + k,
    });
  }
  // Armv6-M's filter blocks: 8, 4 and 3 left in C with units across a block's edge; 8 and 4; blocks
  // of 8 then 4 over weights at the int8 extremes (-128 and 127) at an input zero point of 127
  specs.push(
    { batches: 2, inputSize: 13, filters: 15, rank: 3, memory: 5, inZp: 127, outZp: 3, seed: 200 },
    { batches: 1, inputSize: 6, filters: 12, rank: 4, memory: 3, stateType: 'int8', stateZp: -20, stateScale: 0.05, inZp: -128, seed: 201 },
    {
      batches: 1,
      inputSize: 40,
      filters: 20,
      rank: 2,
      memory: 9,
      inZp: 127,
      weightsFeature: Array.from({ length: 800 }, (_, i) => (i % 3 === 0 ? 127 : -128)),
      seed: 202,
    },
  );
  return specs;
}

describe('SVDF', () => {
  describe('reference kernel, hand-computed (unit scales: every multiplier is 1)', () => {
    const unit: SvdfSpec = {
      batches: 1,
      inputSize: 2,
      filters: 2,
      rank: 2,
      memory: 3,
      inScale: 1,
      wfScale: 1,
      wtScale: 1,
      stateScale: 1,
      outScale: 1,
      weightsFeature: [1, 1, 2, -1],
      weightsTime: [1, 2, 3, 4, 5, 6],
      bias: [10],
    };

    it('rank 2: two calls fill the memory from the right; unit = bias + sum over its filters of state . weights_time', () => {
      const { graph, op } = svdfGraph(unit);
      const state = stateOf(graph, op);
      // features [3, 0]: state rows [0,0,3] [0,0,0]; 10 + 3*3 = 19
      expect(run(graph, op, [1, 2], state)).to.deep.equal([19]);
      expect(values(state)).to.deep.equal([0, 0, 3, 0, 0, 0]);
      // features [2, 7]: rows [0,3,2] [0,0,7]; 10 + (6 + 6) + 42 = 64
      expect(run(graph, op, [3, -1], state)).to.deep.equal([64]);
      expect(values(state)).to.deep.equal([0, 3, 2, 0, 0, 7]);
      // a third call drops the oldest value: rows [3,2,f0] [0,7,f1] with features [0, 0]: 10 + 3 + 4 + 35 = 52
      expect(run(graph, op, [0, 0], state)).to.deep.equal([52]);
    });

    it('rank 1: one unit per filter; no bias', () => {
      const { graph, op } = svdfGraph({ ...unit, rank: 1, bias: null });
      expect(run(graph, op, [1, 2], stateOf(graph, op))).to.deep.equal([9, 0]);
    });

    it('a fused RELU is not applied on the integer path (as in TFLite Micro and desktop TFLite)', () => {
      const { graph, op } = svdfGraph({ ...unit, bias: [-30], activation: 'RELU' });
      expect(run(graph, op, [1, 2], stateOf(graph, op))).to.deep.equal([-21]);
    });

    it('zero points of the input, an int8 state and the output; the state saturates', () => {
      const { graph, op } = svdfGraph({ ...unit, stateType: 'int8', inZp: -128, stateZp: 3, outZp: -5, outScale: 16 });
      const state = stateOf(graph, op);
      // x - z = [129, 130]: features 259 -> 262 after the state zero point -> 127, and 128 -> 127;
      // unit: 10 + 124*3 + 124*6 = 1126, times 1/16 -> 70, plus -5
      expect(run(graph, op, [1, 2], state)).to.deep.equal([65]);
      expect(values(state)).to.deep.equal([3, 3, 127, 3, 3, 127]);
      // output saturation at the int8 extremes
      const big = svdfGraph({ ...unit, outZp: 127 });
      expect(run(big.graph, big.op, [1, 2], stateOf(big.graph, big.op))).to.deep.equal([127]);
    });

    it("requantizes with TFLite Micro's float-then-double effective scales", () => {
      const { graph, op } = svdfGraph({ ...unit, inScale: 0.5, stateScale: 0.25, wtScale: 0.5, outScale: 0.125 });
      // feature multiplier 0.5*1/0.25 = 2: features [6, 0]; output multiplier 0.25*0.5/0.125 = 1: 10 + 18
      const state = stateOf(graph, op);
      expect(run(graph, op, [1, 2], state)).to.deep.equal([28]);
      expect(values(state)).to.deep.equal([0, 0, 6, 0, 0, 0]);
    });
  });

  describe('rejects what TFLite Micro does not run', () => {
    it('names the op and tensor', () => {
      const mutate = (f: (g: Graph, op: Op) => void) => {
        const { graph, op } = svdfGraph({ batches: 1, inputSize: 4, filters: 6, rank: 2, memory: 5 });
        f(graph, op);
        return userError(() => svdf.check(graph, op));
      };
      expect(
        mutate((g, op) => {
          op.attrs.rank = 4;
        }),
      ).to.match(/op 0 \(SVDF\): rank 4 does not divide the 6 filters/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.isVariable = false;
        }),
      ).to.match(/activation state tensor \d+ "activation_state" is not a variable tensor/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.dtype = 'int8';
        }),
      ).to.match(/must have weights_time's type int16/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[4]!]!.shape = [1, 29];
        }),
      ).to.match(/expected batches \* memory \* filters = 30/);
      expect(
        mutate((g, op) => {
          g.tensors[op.inputs[0]!]!.dtype = 'int16';
        }),
      ).to.match(/input tensor 0 .* is int16/);
    });
  });

  describe('emitted C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) equals the reference', () => {
    it('random layers with int16 and int8 state, batches, ranks, zero points and a non-zero starting state', () => {
      const rand = rng(77);
      const specs: SvdfSpec[] = [
        { batches: 1, inputSize: 8, filters: 6, rank: 2, memory: 5, seed: 1 },
        { batches: 2, inputSize: 5, filters: 4, rank: 1, memory: 7, inZp: -128, outZp: 100, seed: 2 },
        { batches: 3, inputSize: 3, filters: 9, rank: 3, memory: 2, stateType: 'int8', stateZp: -7, stateScale: 0.05, inZp: 127, outZp: -128, seed: 3 },
        { batches: 1, inputSize: 10, filters: 4, rank: 4, memory: 4, bias: null, stateType: 'int8', stateZp: 127, seed: 4 },
      ];
      const cases: CCase[] = specs.map((s) => {
        const { graph, op } = svdfGraph(s);
        const state = stateOf(graph, op);
        for (let i = 0; i < state.length; i++) state[i] = s.stateType === 'int8' ? randomInt(rand, -128, 127) : randomInt(rand, -20000, 20000);
        return { def: svdf, graph, op, inputs: [randomInt8(rand, s.batches * s.inputSize), state] };
      });
      const results = runCasesInC(cases);
      cases.forEach((c, k) => {
        const state = c.inputs[1]!.slice();
        const expected = toBytes(evaluateOp(svdf, c.graph, c.op, [c.inputs[0]!, state])[0]!);
        expect(firstDifference(expected, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });
  });

  describe("every family's variant (one pass per filter) equals the reference, on the host (ASan+UBSan, the DSP and Armv6-M C twins)", () => {
    const families: [string, KernelIsa, (p: SvdfParams) => string][] = [
      ['arm-dsp', DSP, (p) => (p.inputSize >= 4 ? 'arm-dsp' : 'portable')],
      ['armv6m', ARMV6M, () => 'armv6m'],
      ['rv32', RV32, () => 'rv32'],
    ];
    for (const [name, isa, expected] of families) {
      it(`${name}: a sweep of shapes, zero points and scales (incl. wrapping time sums and requantizations off every fast form)`, () => {
        const rand = rng(78);
        const cases: CCase[] = sweepSpecs().map((s) => {
          const { graph, op } = svdfGraph(s);
          expect(selectVariant(svdf, svdf.prepare(graph, op), isa).name, `seed ${s.seed}`).to.equal(expected(svdf.prepare(graph, op)));
          return { def: svdf, graph, op, inputs: [randomInt8(rand, s.batches * s.inputSize), randomState(rand, graph, op)], isa };
        });
        const results = runCasesInC(cases);
        cases.forEach((c, k) => {
          const state = c.inputs[1]!.slice();
          const expectedOut = toBytes(evaluateOp(svdf, c.graph, c.op, [c.inputs[0]!, state])[0]!);
          expect(firstDifference(expectedOut, results[k]![0]!), `case ${k} (seed ${sweepSpecs()[k]!.seed})`).to.equal(undefined);
        });
      });
    }

    it('armv6m: the halfword row walk taken where the int16 state is not word-aligned (the sweep, forced)', () => {
      const aligned = '((uintptr_t)state & 3u) == 0u';
      let forced = 0;
      const halves: OpDef<SvdfParams> = {
        ...svdf,
        variants: svdf.variants!.map((v) =>
          v.name === 'armv6m'
            ? {
                ...v,
                emit: (p: SvdfParams, ctx: LayerEmitContext) => {
                  const c = layerText(v.emit(p, ctx));
                  if (c.includes(aligned)) forced++;
                  return c.replace(aligned, '0');
                },
              }
            : v,
        ),
      };
      const rand = rng(79);
      const cases: CCase[] = sweepSpecs().map((s) => {
        const { graph, op } = svdfGraph(s);
        return { def: halves, graph, op, inputs: [randomInt8(rand, s.batches * s.inputSize), randomState(rand, graph, op)], isa: ARMV6M };
      });
      const results = runCasesInC(cases);
      expect(forced).to.be.greaterThan(10);
      cases.forEach((c, k) => {
        const state = c.inputs[1]!.slice();
        const expectedOut = toBytes(evaluateOp(svdf, c.graph, c.op, [c.inputs[0]!, state])[0]!);
        expect(firstDifference(expectedOut, results[k]![0]!), `case ${k}`).to.equal(undefined);
      });
    });

    it("the requantization helpers (svdf_dsp.h's SMMLAR+QADD form, Armv6-M's and RV32's for any int32) equal TFLite's for int32 sums at the extremes", () => {
      const rand = rng(1614);
      const layers = Array.from({ length: 160 }, (_, i) => {
        const multiplier = i % 16 === 0 ? 2 ** 31 - 1 : i % 16 === 1 ? 2 ** 30 : randomInt(rand, 2 ** 30, 2 ** 31 - 1);
        const shift = randomInt(rand, -31, 2);
        const bits: 8 | 16 = i % 2 === 0 ? 8 : 16;
        const zp =
          i % 5 === 0
            ? bits === 8
              ? -128
              : -32768
            : i % 5 === 1
              ? bits === 8
                ? 127
                : 32767
              : bits === 8
                ? randomInt(rand, -128, 127)
                : randomInt(rand, -300, 300);
        return { multiplier, shift, bits, zp };
      });
      const fns: string[] = [];
      const calls: string[] = [];
      layers.forEach((l, i) => {
        const [lo, hi] = l.bits === 8 ? [-128, 127] : [-32768, 32767];
        fns.push(svdfDspRequantFn(`dsp${i}`, l.multiplier, l.shift, l.zp, l.bits));
        // what m0plus.ts and rv32.ts emit for sums of any int32
        const fits = zeroPointAddFits(l.multiplier, l.shift, Infinity, l.zp);
        fns.push(
          fits
            ? m0RequantFn({ name: `m0${i}`, multiplier: l.multiplier, shift: l.shift, bound: Infinity, zp: l.zp, lo, hi })
            : wideRequantFn(`m0${i}`, l.multiplier, l.shift, l.zp, lo, hi),
        );
        fns.push(
          fits
            ? rv32RequantFn({ name: `rv${i}`, multiplier: l.multiplier, shift: l.shift, bound: Infinity, zp: l.zp, lo, hi })
            : wideRequantFn(`rv${i}`, l.multiplier, l.shift, l.zp, lo, hi),
        );
        calls.push(
          `  { const int64_t q = (int64_t)tf_mbqm(x, ${l.multiplier}, ${l.shift}) + ${l.zp}; const int32_t want = (int32_t)(q < ${lo} ? ${lo} : (q > ${hi} ? ${hi} : q)); if (dsp${i}(x) != want || m0${i}(x) != want || rv${i}(x) != want) { printf("layer ${i} x %ld\\n", (long)x); return 0; } }`,
        );
      });
      const common = join(import.meta.dirname, '../common');
      const program = [
        '#include <stdint.h>',
        '#include <stdio.h>',
        '#include "fixedpoint.h"',
        '#include "arm_dsp.h"',
        '#include "m0plus_rq.h"',
        '#include "rv32.h"',
        '#include "svdf_dsp.h"',
        ...fns,
        'static uint32_t st = 2463534242u;',
        'static uint32_t next(void) { st ^= st << 13; st ^= st >> 17; st ^= st << 5; return st; }',
        'static int32_t pick32(void) {',
        '  const uint32_t r = next() & 7u;',
        '  if (r == 0u) return (next() & 1u) ? INT32_MAX - (int32_t)(next() % 64u) : INT32_MIN + (int32_t)(next() % 64u);',
        '  if (r == 1u) return (int32_t)(next() % 4096u) - 2048;',
        '  if (r == 2u) return (int32_t)(next() >> (next() % 31u)) * ((next() & 1u) ? 1 : -1);',
        '  return (int32_t)next();',
        '}',
        'int main(void) {',
        '  for (int k = 0; k < 20000; ++k) {',
        '    const int32_t x = pick32();',
        ...calls,
        '  }',
        '  printf("ok");',
        '  return 0;',
        '}',
      ].join('\n');
      // the headers side by side, as the generated output ships them
      const files = [
        ...['numerics/fixedpoint.h', 'isa/arm_dsp.h', 'isa/m0plus_rq.h', 'isa/rv32.h'].map((f) => join(common, f)),
        join(import.meta.dirname, 'svdf_dsp.h'),
      ].map((path) => ({ name: basename(path), path, text: readFileSync(path, 'utf8') }));
      expect(new TextDecoder().decode(compileAndRun(program, files))).to.equal('ok');
    });
  });

  describe("each family's variant on its emulated board: bit-exact with the reference", function () {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-svdf-boards-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    // nineteen sweep layers side by side: both states, odd and even memory and inputs, wrapping sums,
    // every requantization form, Armv6-M's filter blocks of 8 and 4 and the filters left in C
    const picks = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 30, 31, 32];
    const boards = [
      { target: 'cortex-m4', board: 'qemu-mps2-an386', family: 'arm-dsp', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
      { target: 'rp2040', board: 'rp2040js', family: 'armv6m', tools: ['arm-none-eabi-gcc'] },
      { target: 'esp32c3', board: 'qemu-riscv32-virt', family: 'rv32', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
    ];
    for (const { target, board, family, tools } of boards) {
      it(`${family} on ${board}`, async function () {
        requireTools(this, tools);
        const specs = sweepSpecs();
        const graph = sideBySide(
          `svdf_${family.replace('-', '_')}`,
          picks.map((k) => svdfGraph(specs[k]!).graph),
        );
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const names = compiled.prepared.layers.map((l) => l.variant.name);
        expect(names.filter((n) => n === family).length, names.join(' ')).to.be.greaterThan(picks.length - 3);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed: 11 });
      });
    }
  });

  describe('as a model (our writer)', () => {
    // desktop TFLite's integer SVDF takes an int16 state and refuses any activation but RELU (which it
    // then does not apply)
    const spec: SvdfSpec = { batches: 1, inputSize: 16, filters: 8, rank: 2, memory: 6, inZp: -3, outZp: 2, seed: 9, activation: 'RELU' };
    const inputs = [0, 1, 2].map((k) => randomInt8(rng(100 + k), 16));

    it('TensorFlow Lite Micro (tflm-ref) gives the same first-inference output', function () {
      if (!tflmRefAvailable(this)) return;
      const { graph, op } = svdfGraph(spec);
      for (const x of inputs) {
        const ours = toBytes(evaluateOp(svdf, graph, op, [x, stateOf(graph, op)])[0]!);
        const theirs = tflmOutputs(graph, [new Uint8Array(toBytes(x))]);
        expect(firstDifference(theirs[0]!, ours)).to.equal(undefined);
      }
    });

    it('runs bit-exact on the emulated Cortex-M4, the state starting from zero at each case', async function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-svdf-'));
      try {
        const path = join(dir, 'svdf.tflite');
        saveTflite(path, svdfGraph(spec).graph);
        const report = await runModel(path, { target: 'cortex-m4', cases: inputs.map((x) => [new Uint8Array(toBytes(x))]) });
        expect(report.matchesReference).to.equal(true);
        expect(report.cases.every((c) => c.count! > 0)).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
