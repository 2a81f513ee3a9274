// SPDX-License-Identifier: Apache-2.0
/**
 * The float32 SVDF (svdf_float.ts): the reference against a hand-worked call, what it refuses, and
 * the TypeScript reference, the host C (ASan+UBSan), the emulated Cortex-M4 (FPU), Cortex-M0 and
 * RP2040 (soft-float) and ESP32-C3 (RV32, soft-float) bit-exact with TFLite Micro (tflm-ref, or its
 * recorded answers) over units, ranks, memories, batches, every fused activation it runs, no bias,
 * NaNs, infinities and signed zeros, and the state carried over several inferences.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import svdf from './index.ts';
import { OpError } from '../../errors.ts';
import { type Graph, type Op, elementCount } from '../../ir/graph.ts';
import { allocBuffer, toBytes } from '../../ir/buffers.ts';
import { writeTflite } from '../../model/tflite/writer.ts';
import { saveTflite } from '../../../lab/model_files.ts';
import { runModel } from '../../../lab/run/run.ts';
import { evaluateOp, firstDifference, rng, runCasesInC } from '../../../../test/helpers/op_harness.ts';
import { runTflmRef, splitTflmOutputs, tflmRefAvailable } from '../../../../test/helpers/tflm_ref.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { FLOAT_SVDF_SPECS, floatSvdfGraph } from '../../../../test/helpers/float_svdf_cases.ts';

const F = Math.fround;
const INFERENCES = 4;
const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028235e38, -3.4028235e38];

const stateOf = (graph: Graph, op: Op) => allocBuffer('float32', elementCount(graph.tensors[op.inputs[4]!]!.shape)) as Float32Array;

/** Inputs in [-2, 2); with `specials`, one in six a zero of either sign, a NaN, an infinity, a subnormal or the largest float. */
function inputs(rand: () => number, n: number, specials: boolean): Float32Array {
  return Float32Array.from({ length: n }, () => (specials && rand() < 1 / 6 ? SPECIALS[Math.floor(rand() * SPECIALS.length)]! : F((2 * rand() - 1) * 2)));
}

/** The reference over `xs`, the state carried; each inference's output bytes. */
function referenceBytes(graph: Graph, op: Op, xs: Float32Array[]): Uint8Array[] {
  const state = stateOf(graph, op);
  return xs.map((x) => new Uint8Array(toBytes(evaluateOp(svdf, graph, op, [x, state])[0]!)));
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

describe('SVDF float32', () => {
  it('one call worked by hand: the new feature value joins the state, rank sums start from the bias, then the activation', () => {
    // 2 filters (rank 2, 1 unit), memory 2, input 2: features w.x = 1*2 + 2*0.5 = 3 and -1*2 + 0.25*0.5 = -1.875
    const { graph, op } = floatSvdfGraph({
      batches: 1,
      inputSize: 2,
      filters: 2,
      rank: 2,
      memory: 2,
      weightsFeature: [1, 2, -1, 0.25],
      weightsTime: [0.5, 2, 3, -1],
      bias: [0.125],
      activation: 'RELU',
    });
    const state = Float32Array.from([10, 20, 30, 40]);
    const out = evaluateOp(svdf, graph, op, [Float32Array.from([2, 0.5]), state])[0] as Float32Array;
    // the state shifts one slot left (20, 30 | 40, new): filter 0 [20, 3], filter 1 [40, -1.875]
    expect(Array.from(state)).to.deep.equal([20, 3, 40, -1.875]);
    // 0.125 + (0.5*20 + 2*3) + (3*40 + -1*-1.875) = 0.125 + 16 + 121.875 = 138
    expect(Array.from(out)).to.deep.equal([138]);
    const neg = floatSvdfGraph({
      batches: 1,
      inputSize: 1,
      filters: 1,
      rank: 1,
      memory: 1,
      weightsFeature: [1],
      weightsTime: [1],
      bias: [0],
      activation: 'RELU6',
    });
    const run = (x: number) => (evaluateOp(svdf, neg.graph, neg.op, [Float32Array.from([x]), stateOf(neg.graph, neg.op)])[0] as Float32Array)[0]!;
    // std::fmax / std::fmin: a NaN gives the other operand (RELU6 of NaN is 6), fmax(0, -0) is +0
    expect(run(NaN)).to.equal(6);
    expect(Object.is(run(-0), 0)).to.equal(true);
    expect(run(7)).to.equal(6);
  });

  it('refuses TANH and SIGN_BIT, int8 weights under a float input, a state that is not a variable', () => {
    const message = (g: { graph: Graph; op: Op }) => {
      try {
        svdf.check(g.graph, g.op);
      } catch (e) {
        if (e instanceof OpError) return e.message;
        throw e;
      }
      return '';
    };
    const spec = { batches: 1, inputSize: 3, filters: 2, rank: 1, memory: 2 };
    expect(message(floatSvdfGraph({ ...spec, activation: 'TANH' }))).to.match(/fused activation TANH is not supported on a float32 SVDF/);
    expect(message(floatSvdfGraph({ ...spec, activation: 'SIGN_BIT' }))).to.match(/fused activation SIGN_BIT is not supported/);
    const int8 = floatSvdfGraph(spec);
    Object.assign(int8.graph.tensors[int8.op.inputs[1]!]!, { dtype: 'int8', data: new Uint8Array(6), quant: { scale: [0.1], zeroPoint: [0], axis: 0 } });
    expect(message(int8)).to.match(/weights_feature .* is int8; a float32 layer of SVDF takes float32 inputs only/);
    const constant = floatSvdfGraph(spec);
    constant.graph.tensors[constant.op.inputs[4]!]!.isVariable = false;
    expect(message(constant)).to.match(/is not a variable tensor/);
  });

  const cases = FLOAT_SVDF_SPECS.map((spec, k) => {
    const { graph, op } = floatSvdfGraph(spec);
    const rand = rng(300 + k);
    const n = elementCount(graph.tensors[op.inputs[0]!]!.shape);
    const xs = Array.from({ length: INFERENCES }, (_, i) => inputs(rand, n, i === INFERENCES - 1));
    return { spec, graph, op, xs, label: JSON.stringify({ ...spec, seed: undefined }) };
  });

  it('the host C (ASan+UBSan) equals the reference bit for bit, from a random state', () => {
    const built = cases.map((c, k) => {
      const state = stateOf(c.graph, c.op);
      state.set(inputs(rng(k), state.length, true));
      return { ...c, state };
    });
    const outs = runCasesInC(built.map((b) => ({ def: svdf, graph: b.graph, op: b.op, inputs: [b.xs[INFERENCES - 1]!, b.state.slice()] })));
    built.forEach((b, k) => {
      const ref = new Uint8Array(toBytes(evaluateOp(svdf, b.graph, b.op, [b.xs[INFERENCES - 1]!, b.state.slice()])[0]!));
      expect(firstDifference(ref, outs[k]![0]!), b.label).to.equal(undefined);
    });
  });

  it(`the reference equals TFLite Micro bit for bit over ${INFERENCES} inferences, the state carried (no bias: as a bias of zeros)`, function () {
    if (!tflmRefAvailable(this)) return;
    for (const c of cases) {
      // TFLite Micro aborts on an SVDF without a bias: ours starts from 0.0f, as a bias of +0.0f does there
      const model = c.spec.noBias ? floatSvdfGraph({ ...c.spec, noBias: false, bias: new Array(c.spec.filters / c.spec.rank).fill(0) }).graph : c.graph;
      const theirs = splitTflmOutputs(model, runTflmRef(writeTflite(model), concat(c.xs.map((x) => new Uint8Array(toBytes(x))))).outputs, INFERENCES);
      referenceBytes(c.graph, c.op, c.xs).forEach((ours, i) => expect(firstDifference(theirs[i]![0]!, ours), `${c.label} inference ${i}`).to.equal(undefined));
    }
  });

  describe('on the targets: bit-exact with the reference and TFLite Micro, the state carried', function () {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-fsvdf-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    // rank 2, two batches, RELU6; the last inference with NaNs, infinities and signed zeros
    const c = cases[2]!;
    for (const { target, tools } of [
      { target: 'host', tools: [] },
      { target: 'cortex-m4', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
      { target: 'cortex-m0', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'] },
      { target: 'rp2040', tools: ['arm-none-eabi-gcc'] },
      { target: 'esp32c3', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'] },
    ]) {
      it(target, async function () {
        if (tools.length > 0) requireTools(this, tools);
        const path = join(dir, `svdf_float_${target.replace(/\W/g, '')}.tflite`);
        c.graph.name = 'svdf_float';
        saveTflite(path, c.graph);
        const report = await runModel(path, { target, cases: c.xs.map((x) => [new Uint8Array(toBytes(x))]), carryState: true, sanitize: target === 'host' });
        expect(report.matchesReference).to.equal(true);
        expect(report.floatTolerance?.ulps).to.deep.equal([0]);
        if (tflmRefAvailable(this)) {
          const theirs = splitTflmOutputs(c.graph, runTflmRef(writeTflite(c.graph), concat(c.xs.map((x) => new Uint8Array(toBytes(x))))).outputs, INFERENCES);
          report.cases.forEach((r, i) => {
            const ours = new Uint8Array(toBytes(Float32Array.from(r.outputs[0]!)));
            const t = new Float32Array(new Uint8Array(theirs[i]![0]!).buffer);
            // NaNs come back as numbers: their bits are the canonical NaN, as any NaN of TFLite Micro's
            Array.from(t).forEach((v, j) => {
              const o = new Float32Array(ours.buffer)[j]!;
              expect(Number.isNaN(v) ? Number.isNaN(o) : Object.is(v, o), `${target} inference ${i} output ${j}: ${o} against ${v}`).to.equal(true);
            });
          });
        }
      });
    }
  });
});
