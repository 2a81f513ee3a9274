// SPDX-License-Identifier: Apache-2.0
/**
 * TRANSPOSE_CONV's phase variants (phases.ts) and MUL's RV32 variant on the emulated boards of each
 * family: a model chaining random transpose convolutions (strides 1-3, kernels 1-5, SAME and VALID,
 * output sizes off the stride grid, per-channel scales, zero points) and a MUL, cross-compiled for
 * the target and bit-exact with the TypeScript reference. The host tests run the same C on many more
 * random layers; this checks the target build picks the variants and the target code agrees.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../compile.ts';
import type { Graph, Padding } from '../../ir/graph.ts';
import { loadTarget } from '../../targets/targets.ts';
import { requireTools } from '../../../../test/build/helpers.ts';
import { expectExactOnBoard } from '../../../../test/helpers/emulated_variants.ts';
import { GraphBuilder } from '../../../../test/helpers/graph_builder.ts';
import { randomInt, randomInt8, rng } from '../../../../test/helpers/op_harness.ts';

/** x -> three random TRANSPOSE_CONVs -> MUL of the last by itself; every layer's output is a model output. */
function decoder(name: string, seed: number): Graph {
  const rand = rng(seed);
  const r = (lo: number, hi: number) => randomInt(rand, lo, hi);
  const b = new GraphBuilder(name);
  const q = () => ({ scale: 0.05 + rand() * 0.3, zeroPoint: r(-30, 30) });
  let shape = [1, r(2, 4), r(2, 4), r(1, 9)];
  let x = b.input({ shape, q: { scale: 0.05, zeroPoint: -7 }, name: 'x' });
  const outputs: number[] = [];
  for (let layer = 0; layer < 3; layer++) {
    const [, inH, inW, inC] = shape as [number, number, number, number];
    const stride = [r(1, 3), r(1, 3)] as const;
    const k = [r(1, 5), r(1, 5)] as const;
    const padding: Padding = rand() < 0.5 ? 'SAME' : 'VALID';
    const outC = r(1, 12);
    const outH = padding === 'SAME' ? inH * stride[0] - r(0, stride[0] - 1) : (inH - 1) * stride[0] + k[0];
    const outW = padding === 'SAME' ? inW * stride[1] - r(0, stride[1] - 1) : (inW - 1) * stride[1] + k[1];
    const scales = Array.from({ length: outC }, () => 0.002 + rand() * 0.02);
    const filter = b.constant(
      { shape: [outC, k[0], k[1], inC], quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } },
      randomInt8(rand, outC * k[0] * k[1] * inC, -127, 127),
    );
    const bias = b.constant(
      { shape: [outC], dtype: 'int32' },
      Int32Array.from({ length: outC }, () => r(-3000, 3000)),
    );
    const out = [1, outH, outW, outC];
    const [y] = b.op('TRANSPOSE_CONV', [b.ints(out), filter, x, bias], [{ shape: out, q: q() }], {
      padding,
      strideH: stride[0],
      strideW: stride[1],
      activation: 'NONE',
    });
    outputs.push(y!);
    x = y!;
    shape = out;
  }
  const [m] = b.op('MUL', [x, x], [{ shape, q: q() }], { activation: 'NONE' });
  b.output(...outputs, m!);
  return b.build();
}

const BOARDS = [
  { target: 'cortex-m4', board: 'qemu-mps2-an386', tools: ['arm-none-eabi-gcc', 'qemu-system-arm'], variant: /arm-dsp phases|Arm DSP/ },
  { target: 'rp2040', board: 'rp2040js', tools: ['arm-none-eabi-gcc'], variant: /stride-1 convolutions/ },
  { target: 'esp32c3', board: 'qemu-riscv32-virt', tools: ['riscv64-unknown-elf-gcc', 'qemu-system-riscv32'], variant: /RV32IMC, (exact|one MULH)/ },
];

for (const { target, board, tools, variant } of BOARDS) {
  describe(`TRANSPOSE_CONV phases (and MUL) on the emulated ${target} (${board})`, function () {
    let dir: string;
    before(function () {
      requireTools(this, tools);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-tconv-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    for (const seed of [11, 12]) {
      const graph = decoder(`tconv_chain_${seed}`, seed);
      it(`${graph.name}: random transpose convolutions and a MUL, bit-exact`, async () => {
        const compiled = compileGraph(graph, `${graph.name}.tflite`, { isa: loadTarget(target).isa });
        const text = compiled.generated.files.find((f) => f.role === 'source')!.text;
        expect(text).to.match(/stride-1 convolutions, one per output phase/);
        expect(text).to.match(variant);
        await expectExactOnBoard(graph, compiled, { target, board, dir, seed });
      });
    }
  });
}
