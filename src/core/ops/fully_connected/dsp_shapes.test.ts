// SPDX-License-Identifier: Apache-2.0
/**
 * The Arm DSP FULLY_CONNECTED kernel (fully_connected_dsp.h) over every small shape: row counts 1-13 (no
 * block of four, blocks with and without a row tail) against input lengths 1-9, 64 and 250 (no
 * whole word, words with and without a tail).
 *
 * - Compile: with its shapes constant (what the generated code gives it: the layer's function is
 *   inlined into its only caller), the kernel must compile warning-free with each DSP target's own
 *   flags (-O2 -Werror). A tail loop running on from the block loop's exit value once made GCC 12
 *   count 2^32 - 1 iterations on a dead copy of it and fail with
 *   -Werror=aggressive-loop-optimizations for 8 and 12 rows (a KWS DS-CNN's 12 classes). One C file
 *   per target holds one function per shape, each calling the body with literal shapes, exactly as
 *   the inlined layer does; a few whole generated models go through the build gate too.
 * - Run: every row count and input length as layers of one model on the emulated Cortex-M4,
 *   bit-exact with the TypeScript reference.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph } from '../../ir/graph.ts';
import { writeDirectoryAtomically } from '../../../lab/output.ts';
import { compileForEveryTarget } from '../../../lab/toolchain/gate.ts';
import { loadTarget } from '../../targets/targets.ts';
import { runTool } from '../../../lab/toolchain/toolchain.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

const ROWS = Array.from({ length: 13 }, (_, i) => i + 1);
const IN_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 64, 250];
const DSP_TARGETS = ['cortex-m4', 'cortex-m7', 'cortex-m33'];

/** FULLY_CONNECTED layers, one per (rows, input length), each reading the model input of its length. */
function fcShapesModel(name: string, rows: number[], inSizes: number[], seed: number): Graph {
  const rand = rng(seed);
  const b = new GraphBuilder(name);
  const inputs = new Map(
    inSizes.map((n, k) => [n, b.input({ shape: [k % 2 ? 2 : 1, n], q: { scale: 0.05, zeroPoint: randomInt(rand, -20, 20) }, name: `x${n}` })]),
  );
  for (const n of inSizes) {
    for (const r of rows) {
      const perChannel = (r + n) % 2 === 0;
      const batches = inSizes.indexOf(n) % 2 ? 2 : 1;
      const ws = perChannel ? Array.from({ length: r }, () => 0.002 + rand() * 0.02) : [0.002 + rand() * 0.02];
      const w = b.constant({ shape: [r, n], quant: { scale: ws, zeroPoint: ws.map(() => 0), axis: 0 } }, randomInt8(rand, r * n, -127, 127));
      const ins = [inputs.get(n)!, w];
      if (r % 3 !== 0)
        ins.push(
          b.constant(
            { shape: [r], dtype: 'int32' },
            Int32Array.from({ length: r }, () => randomInt(rand, -3000, 3000)),
          ),
        );
      const scale = 0.02 + (rand() * 0.1 * Math.sqrt(n)) / 4;
      const [y] = b.op('FULLY_CONNECTED', ins, [{ shape: [batches, r], q: { scale, zeroPoint: randomInt(rand, -50, 50) }, name: `fc_${r}x${n}` }], {
        activation: r % 4 === 1 ? 'RELU' : 'NONE',
        keepNumDims: false,
      });
      b.output(y!);
    }
  }
  return b.build();
}

/**
 * A C file calling fully_connected_dsp.h's body for `r` rows and every input length with literal
 * arguments (per tensor with starts, one batch, SMMULR requantization; per channel with no starts,
 * two batches, exact), the weights, starts and records extern arrays of their sizes as in a
 * generated model. One file per row count: in one file for all, the inliner's unit growth limit
 * leaves most layers un-inlined, their shapes unknown, and the check blind (GCC 12 then also
 * reports one such warning per source line only).
 */
function shapesSweepC(includes: string[], r: number): string {
  const lines = [...includes.map((h) => `#include "${h}"`), 'extern uint8_t arena[];'];
  for (const n of IN_SIZES) {
    // per tensor with starts, one batch, SMMULR; per channel without starts, two batches, exact
    for (const v of [0, 1]) {
      const id = `${r}_${n}_${v}`;
      const withStart = v === 0;
      lines.push(
        `extern const int8_t w_${id}[${r * n}];`,
        ...(withStart ? [`extern const int32_t s_${id}[${r}];`] : []),
        `extern const int32_t q_${id}[${v ? 2 * r : 2}];`,
        // the generated shape: a static function per mode around the body, inlined by the
        // inliner (not early) into the layer, its only caller, which passes literal shapes
        `static void fc_mode_${id}(const int8_t *x, int batches, int in_n, const int8_t *w, int rows, const int32_t *start,`,
        '                          const int32_t *q, const tf_rq_t *rq, int8_t *out) {',
        `  tf_fc_dsp_body(x, batches, in_n, w, rows, start, q, rq, out, ${1 - v}, 1, ${v});`,
        '}',
        // the two-rows-in-one-halfword body of the same shape, with and without a fix table
        `static void fcp_mode_${id}(const int8_t *x, int batches, int in_n, const int8_t *w, int rows, const int32_t *start,`,
        '                           const int32_t *q, const tf_rq_t *rq, int8_t *out, const uint16_t *fix) {',
        `  tf_fcp_dsp_body(x, batches, in_n, w, rows, start, q, rq, out, fix, (uint32_t *)0, ${1 - v}, 1, ${v});`,
        '}',
        // and over inputs unpacked in scratch (the generated layers of 64-128 inputs)
        `static void fcpx_mode_${id}(const int8_t *x, int batches, int in_n, const int8_t *w, int rows, const int32_t *start,`,
        '                            const int32_t *q, const tf_rq_t *rq, int8_t *out, const uint16_t *fix, uint32_t *xs) {',
        `  tf_fcp_dsp_body(x, batches, in_n, w, rows, start, q, rq, out, fix, xs, ${1 - v}, 1, ${v});`,
        '}',
        `extern const uint16_t f_${id}[4];`,
        `void fc_${id}(void);`,
        `void fc_${id}(void) {`,
        '  static const tf_rq_t rq = { 5, -128, 127 };',
        `  fc_mode_${id}((int8_t *)(arena + 1024), ${1 + v}, ${n}, w_${id}, ${r}, ${withStart ? `s_${id}` : '(const int32_t *)0'}, q_${id}, &rq, (int8_t *)(arena + 0));`,
        `  fcp_mode_${id}((int8_t *)(arena + 1024), ${1 + v}, ${n}, w_${id}, ${r}, ${withStart ? `s_${id}` : '(const int32_t *)0'}, q_${id}, &rq, (int8_t *)(arena + 0), ${v ? `f_${id}` : '(const uint16_t *)0'});`,
        `  fcpx_mode_${id}((int8_t *)(arena + 1024), ${1 + v}, ${n}, w_${id}, ${r}, ${withStart ? `s_${id}` : '(const int32_t *)0'}, q_${id}, &rq, (int8_t *)(arena + 0), ${v ? `f_${id}` : '(const uint16_t *)0'}, (uint32_t *)(arena + 2048));`,
        '}',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('FULLY_CONNECTED Arm DSP kernel: every small shape', function () {
  let dir: string;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-fc-shapes-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of DSP_TARGETS) {
    it(`${target}: the kernel compiles warning-free for rows 1-13 x inputs ${IN_SIZES.join(', ')}, shapes constant`, async () => {
      const t = loadTarget(target);
      // a generated model brings the headers, in the order model.c includes them
      const compiled = compileGraph(fcShapesModel('fc_headers', [5], [8], 1), 'fc_headers', { isa: t.isa });
      const modelDir = writeDirectoryAtomically(join(dir, `${target}-headers`), compiled.generated.files);
      const modelC = compiled.generated.files.find((f) => f.role === 'source')!.text;
      const includes = [...modelC.matchAll(/^#include "([^"]+\.h)"/gm)]
        .map((m) => m[1]!)
        .filter((h) => h !== compiled.generated.fileNames.header && h !== compiled.generated.fileNames.weightsHeader);
      // the pairs header brings fully_connected_dsp.h (its tail rows and columns) with it
      expect(includes).to.include('fully_connected_dsp_pairs.h');
      const failures: string[] = [];
      let next = 0;
      await Promise.all(
        [0, 1].map(async () => {
          while (next < ROWS.length) {
            const r = ROWS[next++]!;
            const sweep = join(dir, `${target}-sweep-${r}.c`);
            writeFileSync(sweep, shapesSweepC(includes, r));
            const result = await runTool(t.toolchain.cc, [...t.toolchain.cflags, `-I${modelDir}`, '-c', sweep, '-o', join(dir, `${target}-sweep-${r}.o`)]);
            if (result.code !== 0 || result.stderr.trim() !== '')
              failures.push(
                `${r} rows: ${result.stderr
                  .split('\n')
                  .filter((l) => /error|warning/.test(l))
                  .slice(0, 3)
                  .join(' | ')}`,
              );
          }
        }),
      );
      expect(failures).to.deep.equal([]);
    });
  }

  it('whole models with 8, 12 and 13 rows (64 and 250 inputs) pass the build gate on the DSP targets', async () => {
    for (const [rows, n] of [
      [8, 64],
      [12, 64],
      [12, 250],
      [13, 9],
      [12, 7],
    ] as const) {
      const graph = fcShapesModel(`fc_${rows}x${n}`, [rows], [n], rows * 100 + n);
      const gate = await compileForEveryTarget(graph, { targets: DSP_TARGETS, workDir: join(dir, `gate-${rows}-${n}`) });
      expect(gate.failures, `${rows} rows x ${n}`).to.deep.equal([]);
      expect(gate.targets.map((r) => r.mode)).to.deep.equal(DSP_TARGETS.map(() => 'compile'));
    }
  });

  it('rows pruned as trained models leave them (bias +-2^30 under a weight scale of 1e-9) take SMMLAR records, bit-exact on the emulated Cortex-M4', async function () {
    requireTools(this, ['qemu-system-arm']);
    const rand = rng(8);
    const b = new GraphBuilder('fc_dsp_pruned');
    // [rows, inputs, activation, weight limit]: the 1024-input layer's live rows within FAST's h < 2^23
    for (const [rows, n, activation, limit] of [
      [12, 9, 'NONE', 127],
      [13, 64, 'RELU', 127],
      [8, 250, 'NONE', 127],
      [16, 1024, 'RELU6', 30],
      [3, 40, 'NONE', 127],
    ] as const) {
      const x = b.input({ shape: [1, n], q: { scale: 0.05, zeroPoint: randomInt(rand, -20, 20) }, name: `x${n}` });
      const scales = Array.from({ length: rows }, () => 0.002 + rand() * 0.02);
      const weights = randomInt8(rand, rows * n, -limit, limit);
      const bias = Int32Array.from({ length: rows }, () => randomInt(rand, -3000, 3000));
      const outScale = 0.02 + (rand() * 0.1 * Math.sqrt(n)) / 4;
      // every third row pruned: zero but for a +-1 on some, its bias the converter's +-2^30 or at the output's step
      for (let r = 1; r < rows; r += 3) {
        scales[r] = 1e-9;
        weights.fill(0, r * n, (r + 1) * n);
        if (r % 2 === 1) weights[r * n + randomInt(rand, 0, n - 1)] = rand() < 0.5 ? 1 : -1;
        bias[r] = r % 4 === 1 ? (rand() < 0.5 ? 2 ** 30 : -(2 ** 30)) : Math.round(0.5 / ((0.05 * 1e-9) / outScale)) + randomInt(rand, -100, 100);
      }
      const w = b.constant({ shape: [rows, n], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } }, weights);
      const bt = b.constant({ shape: [rows], dtype: 'int32' }, bias);
      const [y] = b.op(
        'FULLY_CONNECTED',
        [x, w, bt],
        [{ shape: [1, rows], q: { scale: outScale, zeroPoint: randomInt(rand, -50, 50) }, name: `fc_${rows}x${n}` }],
        {
          activation,
          keepNumDims: false,
        },
      );
      b.output(y!);
    }
    const graph = b.build();
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
    const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
    expect(text.match(/near-constant rows requantized by equivalent records/g) ?? []).to.have.length(5);
    expect(text).to.not.match(/exact 64-bit/);
    await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed: 12 });
  });

  it('every row count and input length runs bit-exact on the emulated Cortex-M4', async function () {
    requireTools(this, ['qemu-system-arm']);
    const graph = fcShapesModel('fc_dsp_shapes', ROWS, IN_SIZES, 7);
    const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget('cortex-m4').isa });
    const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
    expect(text).to.match(/Arm DSP: streaming, 4 rows per pass/);
    await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed: 11 });
  });
});
