// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';
import { runModel } from '../../src/lab/run/run.ts';
import { profileModel } from '../../src/lab/run/profile.ts';
import { requireTools } from '../build/helpers.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';

describe('estimate: estimated cycles from the emulators’ instruction streams', function () {
  let dir: string;
  let model: string;

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tf-timing-'));
    model = join(dir, 'kws_small.tflite');
    writeFileSync(model, writeTflite(kwsDsCnn({ channels: 8, blocks: 1, classes: 4, name: 'kws_small' })));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('cortex-m4 profile: a CycleEstimate per inference and per layer, next to the exact instruction count', async () => {
    const r = await profileModel(model, { target: 'cortex-m4' });
    const e = r.cycleEstimate!;
    expect(e).to.not.equal(null);
    expect(e.core).to.equal('cortex-m4');
    expect(e.board).to.equal('qemu-mps2-an386');
    expect(e.flashWaitStates).to.equal(0);
    expect(e.clockHz).to.equal(25_000_000);
    expect(e.basis).to.match(/Cortex-M4 TRM/);
    // every instruction costs at least one cycle on a single-issue core
    expect(e.perInference).to.be.greaterThan(r.perInference);
    expect(e.perInference).to.be.lessThan(r.perInference * 3);
    expect(e.perLayer).to.have.length(r.layers.length);
    // a layer's count is read in whole counter ticks (SysTick x 40 here): it may be one tick over its instructions
    const tick = Number(/x (\d+)/.exec(r.counter.source)?.[1] ?? 1);
    expect(tick).to.equal(40);
    for (const l of r.layers) {
      if (l.alias) expect(e.perLayer![l.index]).to.equal(0);
      else expect(e.perLayer![l.index], `layer ${l.index}`).to.be.within(l.count - tick, l.count * 3);
    }
    const layers = e.perLayer!.reduce((a, b) => a + b, 0);
    expect(layers).to.be.lessThan(e.perInference);
  });

  it('cortex-m4 run for a real board: its flash wait states at its clock, said in the basis', async () => {
    const r = await runModel(model, { target: 'cortex-m4', board: 'nucleo-l4r5zi' });
    const e = r.cycleEstimate!;
    expect(e.board).to.equal('nucleo-l4r5zi');
    expect(e.clockHz).to.equal(120_000_000);
    expect(e.flashWaitStates).to.equal(5);
    // the board's ART accelerator is replayed, not assumed away
    expect(e.basis).to.match(
      /5 flash wait states behind the ART accelerator, its caches \(32 and 8 lines of 32 B\) and prefetch \(on\) replayed in program order/,
    );
    expect(e.perLayer).to.equal(null);
  });

  it('cortex-m4 run for the NUCLEO-L4R5ZI with --weights-in-ram auto: the tables read from SRAM cost fewer cycles, the same outputs, more RAM', async () => {
    const flash = await runModel(model, { target: 'cortex-m4', board: 'nucleo-l4r5zi' });
    const ram = await runModel(model, { target: 'cortex-m4', board: 'nucleo-l4r5zi', weightsInRam: 'auto' });
    expect(ram.matchesReference).to.equal(true);
    expect(ram.cases.map((c) => c.outputs)).to.deep.equal(flash.cases.map((c) => c.outputs));
    expect(ram.cycleEstimate!.perInference).to.be.lessThan(flash.cycleEstimate!.perInference);
    expect(ram.realBoard!.ram.needed).to.be.greaterThan(flash.realBoard!.ram.needed);
  });

  it('cortex-m4 profile for the NUCLEO-L4R5ZI: the ART replay costs every layer at least the zero-wait figure, and the layers add up', async () => {
    const flat = (await profileModel(model, { target: 'cortex-m4' })).cycleEstimate!;
    const r = await profileModel(model, { target: 'cortex-m4', board: 'nucleo-l4r5zi' });
    const e = r.cycleEstimate!;
    expect(e.perInference).to.be.greaterThan(flat.perInference);
    for (const [k, cycles] of e.perLayer!.entries()) expect(cycles, `layer ${k}`).to.be.at.least(flat.perLayer![k]!);
    expect(e.perLayer!.reduce((a, b) => a + b, 0)).to.be.lessThan(e.perInference);
  });

  it('cortex-m55 run: the Cortex-M55 table prices the stream, its stated error says not validated', async () => {
    const r = await runModel(model, { target: 'cortex-m55' });
    const e = r.cycleEstimate!;
    expect(e.core).to.equal('cortex-m55');
    expect(e.board).to.equal('qemu-mps3-an547');
    expect(e.basis).to.match(/ARMScheduleM55\.td/);
    expect(e.basis).to.match(/error not validated/);
    // MVE instructions and 16-bit pairs can cost less than one cycle each, never a third
    const counted = r.perInference!;
    expect(e.perInference).to.be.within(counted / 3, counted * 3);
  });

  it('cortex-m85 run for the EK-RA8D1: the Cortex-M85 table at the board’s 480 MHz', async () => {
    const r = await runModel(model, { target: 'cortex-m85', board: 'ek-ra8d1' });
    const e = r.cycleEstimate!;
    expect(e.core).to.equal('cortex-m85');
    expect(e.board).to.equal('ek-ra8d1');
    expect(e.clockHz).to.equal(480_000_000);
    expect(e.basis).to.match(/ARMScheduleM85\.td/);
    const counted = r.perInference!;
    expect(e.perInference).to.be.within(counted / 3, counted * 3);
  });

  it('rp2040 run: the Cortex-M0+ estimate agrees with rp2040js’s own cycles within 3 %', async () => {
    let reference: number | null = null;
    const r = await runModel(model, { target: 'rp2040', onReferenceCycles: (c) => (reference = c) });
    const e = r.cycleEstimate!;
    expect(e.core).to.equal('cortex-m0plus');
    expect(e.board).to.equal('rp2040js');
    expect(reference).to.be.a('number');
    expect(Math.abs(e.perInference - reference!) / reference!).to.be.lessThan(0.03);
  });

  it('rp2040 profile: per layer, the estimate agrees with rp2040js’s cycle counter (net of the hooks) within 5 %', async () => {
    // the bar of issue #17 is 3 % per model; per layer, call-heavy small kernels (SOFTMAX: ~3 %) show the two
    // models' one known difference: rp2040js leaves lr out of PUSH and pc out of POP's N (docs/timing.md)
    const r = await profileModel(model, { target: 'rp2040' });
    const e = r.cycleEstimate!;
    expect(r.counter.kind).to.equal('cycles');
    for (const l of r.layers) {
      if (l.alias || l.count < 1000) continue;
      expect(Math.abs(e.perLayer![l.index]! - l.count) / l.count, `layer ${l.index} (${l.op}): ${e.perLayer![l.index]} vs ${l.count}`).to.be.lessThan(0.05);
    }
  });

  it('run with estimate: false traces nothing', async () => {
    const r = await runModel(model, { target: 'cortex-m4', estimate: false });
    expect(r.cycleEstimate).to.equal(null);
  });

  describe('RP2040: the Cortex-M0+ table against rp2040js on the shared models (bar: 3 %)', () => {
    // person_detect (42.6 M cycles, ~40 s) is left to `npm run timing:validate`
    for (const name of ['hello_world_int8', 'micro_speech', 'simple_add', 'mnist_lstm_int8']) {
      it(name, async function () {
        if (!sharedModelsAvailable(this)) return;
        let reference: number | null = null;
        const r = await runModel(sharedModelPath(name), { target: 'rp2040', onReferenceCycles: (c) => (reference = c) });
        const error = (r.cycleEstimate!.perInference - reference!) / reference!;
        expect(Math.abs(error), `${name}: estimated ${r.cycleEstimate!.perInference}, rp2040js ${reference}`).to.be.lessThan(0.03);
      });
    }
  });
});
