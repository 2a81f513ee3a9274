// SPDX-License-Identifier: Apache-2.0
/**
 * compile --max-ram / --max-flash (src/core/plan/budget.ts): a budget the fastest kernels meet changes
 * nothing; a tighter one moves layers to frugal kernels until the plan fits, and the model stays
 * bit-exact on the board; one no schedule meets is refused with the shortfall.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { byteSizeOption } from '../../src/face/cli/device-options.ts';
import { formatBudget, kernelChoices } from '../../src/core/plan/budget.ts';
import { factsOf } from '../../src/core/ops/prepare.ts';
import type { KernelIsa } from '../../src/core/ops/op.ts';
import { requireTools } from '../build/helpers.ts';
import { expectExactOnBoard } from '../helpers/emulated_variants.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';

const DSP = { dsp: true };
/**
 * A small DS-CNN whose peak includes a DSP kernel's scratch, which the portable C does without;
 * compiled under --prefer size (the compact kernels: by default its depthwise layers read their
 * padding from the weights, no scratch).
 */
const small = () => kwsDsCnn({ channels: 16, blocks: 2 });
const SIZE = { prefer: 'size' as const };
const RV32 = { dsp: false, rv32: true };

/** The arena the most frugal schedule needs, from the refusal of a 1-byte budget. */
function frugalArena(isa: KernelIsa): number {
  try {
    compileGraph(small(), 'kws.tflite', { ...SIZE, isa, budget: { ram: 1 } });
  } catch (e) {
    expect(e).to.be.instanceOf(TinyforgeError);
    const m = /needs ([\d,]+) bytes of arena, ([\d,]+) over/.exec((e as Error).message);
    expect(m, (e as Error).message).to.not.equal(null);
    return Number(m![1]!.replace(/,/g, ''));
  }
  throw new Error('a 1-byte arena was accepted');
}

describe('memory budgets (--max-ram, --max-flash)', () => {
  it('a layer on a family kernel may also run the portable C; a portable layer has no other choice', () => {
    const compiled = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: DSP });
    for (const layer of compiled.prepared.layers) {
      const names = kernelChoices(layer, factsOf(compiled.prepared)).map((v) => v.name);
      if (layer.variant.family === 'portable') expect(names).to.deep.equal([layer.variant.name]);
      else (expect(names[0]).to.equal(layer.variant.name), expect(names.at(-1)).to.equal('portable'));
    }
  });

  it('a budget the fastest kernels meet moves nothing and plans the same arena', () => {
    const fastest = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: DSP });
    const fitted = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: DSP, budget: { ram: fastest.plan.arenaBytes, flash: fastest.generated.weightBytes } });
    expect(fitted.budget!.moves).to.deep.equal([]);
    expect(fitted.plan.arenaBytes).to.equal(fastest.plan.arenaBytes);
    expect(formatBudget(fitted.budget!)).to.match(/fits with the fastest kernels/);
  });

  it('RAM: a budget between the frugal and the fastest arena moves layers until the plan fits, and says what it cost', () => {
    const fastest = compileGraph(small(), 'kws.tflite', { ...SIZE, isa: DSP }).plan.arenaBytes;
    const frugal = frugalArena(DSP);
    expect(frugal).to.be.lessThan(fastest); // the DSP kernels' scratch can be given up
    const fitted = compileGraph(small(), 'kws.tflite', { ...SIZE, isa: DSP, budget: { ram: frugal } });
    expect(fitted.plan.arenaBytes).to.be.at.most(frugal);
    const { moves } = fitted.budget!;
    expect(moves.length).to.be.greaterThan(0);
    for (const m of moves) {
      expect(fitted.prepared.layers[m.position]!.variant.name).to.equal(m.to);
      expect(m.extraInstructions).to.be.greaterThan(0);
    }
    expect(formatBudget(fitted.budget!)).to.match(/moved \d+ layers? to more frugal kernels: arena [\d,]+ B, about [\d,]+ more instructions/);
  });

  it('RAM: a budget below every schedule is refused with the shortfall', () => {
    const frugal = frugalArena(DSP);
    expect(() => compileGraph(small(), 'kws.tflite', { ...SIZE, isa: DSP, budget: { ram: frugal - 100 } })).to.throw(
      TinyforgeError,
      /^kws\.tflite does not fit --max-ram [\d,]+: the most frugal schedule found needs [\d,]+ bytes of arena, 100 over$/,
    );
  });

  it('flash: on RV32IMC the portable C tables are smaller, so a flash budget moves layers to them', () => {
    const fastest = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: RV32 });
    const portable = compileGraph(kwsDsCnn(), 'kws.tflite', {});
    expect(portable.generated.weightBytes).to.be.lessThan(fastest.generated.weightBytes);
    const fitted = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: RV32, budget: { flash: portable.generated.weightBytes } });
    expect(fitted.generated.weightBytes).to.be.at.most(portable.generated.weightBytes);
    expect(fitted.budget!.moves.length).to.be.greaterThan(0);
    expect(() => compileGraph(kwsDsCnn(), 'kws.tflite', { isa: RV32, budget: { flash: 1000 } })).to.throw(
      TinyforgeError,
      /--max-flash 1,000: the most frugal kernels need [\d,]+ bytes of constant tables, [\d,]+ over/,
    );
  });

  it('byte counts read as engineers write them', () => {
    const parse = byteSizeOption('--max-ram');
    expect(parse('49152')).to.equal(49152);
    expect(parse('48K')).to.equal(49152);
    expect(parse('48kb')).to.equal(49152);
    expect(parse('1M')).to.equal(1 << 20);
    for (const bad of ['', 'abc', '-5', '0', '12 parsecs']) expect(() => parse(bad)).to.throw(TinyforgeError, /--max-ram must be a positive byte count/);
  });

  describe('on the emulated Cortex-M4', () => {
    let dir: string;
    before(function () {
      requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
      dir = mkdtempSync(join(tmpdir(), 'tinyforge-budget-'));
    });
    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the model fitted to the frugal arena is bit-exact', async function () {
      const graph = small();
      const compiled = compileGraph(graph, `${graph.name}.tflite`, { ...SIZE, isa: loadTarget('cortex-m4').isa, budget: { ram: frugalArena(DSP) } });
      expect(compiled.budget!.moves.length).to.be.greaterThan(0);
      await expectExactOnBoard(graph, compiled, { target: 'cortex-m4', board: 'qemu-mps2-an386', dir, seed: 5 });
    });
  });
});
