// SPDX-License-Identifier: Apache-2.0
/**
 * Every real board's clock, flash wait states and run-mode current: each either with the document and
 * section it came from, or stored as unknown with why; figures derived from what a source gives say
 * how; every board resolves at its own clock.
 */
import { expect } from 'chai';
import { listTargets, loadTarget } from '../../src/core/targets/targets.ts';
import { resolveClock } from '../../src/lab/estimate/clock.ts';

const realBoards = listTargets()
  .map(loadTarget)
  .flatMap((target) => target.boards.filter((b) => !b.emulated).map((board) => ({ target, board })));

describe('estimate/boards: clock and power facts of every real board', () => {
  it('the real boards of issue #17 are all here', () => {
    expect(realBoards.map((b) => b.board.name).sort()).to.include.members([
      'nucleo-l4r5zi',
      'nrf52840-dk',
      'nucleo-h7a3zi-q',
      'nucleo-u575zi-q',
      'pico2',
      'pico',
      'esp32-c3-devkitm-1',
      'esp32-s3-devkitc-1',
    ]);
  });

  for (const { target, board } of realBoards) {
    it(`${board.name}: clock options, wait states and run current each sourced or unknown`, () => {
      const hw = board.hardware!;
      expect(hw.clock.options.length, 'clock options').to.be.greaterThan(0);
      expect(hw.clock.source.document).to.match(/\w{3,}/);
      expect(hw.clock.source.section).to.match(/\w{3,}/);
      for (const fact of [hw.flashWaitStates, hw.runCurrent]) {
        if ('unknown' in fact) {
          expect(fact.unknown).to.match(/^not (found|applicable)/);
          continue;
        }
        expect(fact.source.document).to.match(/\w{3,}/);
        expect(fact.source.section).to.match(/\w{3,}/);
      }
      if ('steps' in hw.flashWaitStates) {
        // every option's range has steps that reach its top clock
        for (const o of hw.clock.options) {
          const steps = hw.flashWaitStates.steps.filter((s) => s.range === (o.range ?? o.name));
          expect(steps.length, `${o.name}: wait-state steps`).to.be.greaterThan(0);
          expect(Math.max(...steps.map((s) => s.maxHz)), `${o.name}: steps reach its clock`).to.be.at.least(o.maxHz);
        }
      }
      if (!('unknown' in hw.runCurrent)) {
        const rc = hw.runCurrent;
        expect(rc.microampsPerMHz).to.be.greaterThan(0);
        expect(rc.conditions).to.match(/\w{3,}/);
        for (const p of rc.perClock ?? []) {
          // a figure derived from what the source gives says what it gave and how it was derived
          expect(p.given, `${p.range} ${p.hz}`).to.be.a('string');
          expect(p.derivation, `${p.range} ${p.hz}`).to.be.a('string');
          const [, ma, mhz] = /^([\d.]+) mA at ([\d.]+) MHz/.exec(p.given!)!;
          expect(p.microampsPerMHz, 'derivation checks out').to.be.closeTo((Number(ma) * 1000) / Number(mhz), 0.01);
          expect(p.hz).to.equal(Number(mhz) * 1e6);
        }
      }
      // the board resolves at its own clock and at each option's top
      expect(resolveClock(board).clockHz).to.equal(board.clockHz);
      for (const o of hw.clock.options) expect(resolveClock(board, o.maxHz).clockHz, `${target.name} ${o.name}`).to.equal(o.maxHz);
    });
  }
});
