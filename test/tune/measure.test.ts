// SPDX-License-Identifier: Apache-2.0
/**
 * What `tinyforge tune` makes of the boards' answers, with a board faked (no emulator): a run that
 * gives no cycle count is an unmeasured candidate, not a point at 0 ms; a farm worker's result is
 * checked before it is read as a run report; `--pick` rebuilds a point from its project file, which
 * keeps the point's clock.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { type MeasureJob, type Measurer, type TuneOptions, checkedRunReport, tune } from '../../src/compress/tune.ts';
import type { TuneGrid } from '../../src/compress/tune_front.ts';
import { taskFor } from '../../src/compress/task.ts';
import { subset } from '../../src/lab/data/dataset.ts';
import type { RunReport } from '../../src/lab/run/run.ts';
import { pickArgs } from '../../src/face/cli/tune_action.ts';
import { readProjectConfig } from '../../src/face/cli/project_config.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { mnistData } from '../compress/mnist_fixture.ts';

const MODEL = join(PROJECT_ROOT, 'examples/mnist/mnist_cnn_int8.tflite');
const BOARD = 'nucleo-l4r5zi';
/** dense int8 only, at speed */
const GRID: TuneGrid = { channels: [], channelMultiple: 1, sensitivityLosses: [], weightBits: [], paletteBits: [], prefer: ['speed'], qatAbove: Infinity };

/** A `run --json` report as a board gives it, with `cycles` per inference (null: no counter). */
function boardReport(cycles: number | null): RunReport {
  return {
    model: 'int8.tflite',
    target: 'cortex-m4',
    board: BOARD,
    counter: cycles === null ? null : { kind: 'cycles', source: 'DWT' },
    outputs: [[0]],
    perInference: cycles,
    memory: {
      arena: 5000,
      scratch: 0,
      stack: 600,
      flash: 40_000,
      flashWeights: 20_000,
      ram: 6000,
      weightsInRam: 0,
      weights: 'flash',
      lowerBound: 0,
      classicFloor: 0,
    },
    cases: [{ index: 0, outputs: [[0]], count: cycles, matchesReference: true }],
    matchesReference: true,
    macs: 1000,
    realBoard: null,
    cycleEstimate: null,
  } as unknown as RunReport;
}

function fakeBoard(cycles: number | null): { measure: Measurer; jobs: MeasureJob[] } {
  const jobs: MeasureJob[] = [];
  return {
    jobs,
    measure: async (batch) => {
      jobs.push(...batch);
      return batch.map(() => ({ report: boardReport(cycles), ranOn: 'a fake board' }));
    },
  };
}

describe('tune: what the boards answer', function () {
  let dir: string;
  const logs: string[] = [];
  const data = () => {
    const { train, test } = mnistData();
    const first = (n: number) => Array.from({ length: n }, (_, i) => i);
    return { train: subset(train, first(50)), test: subset(test, first(20)) };
  };
  const options = (outDir: string, measure: Measurer, clocks = false): TuneOptions => ({
    boards: [BOARD],
    grid: GRID,
    clocks,
    constraints: {},
    epochs: 1,
    deviceSamples: 1,
    outDir,
    modelHash: 'test',
    measure,
    progress: { start() {}, update() {}, stop() {}, log: (m) => logs.push(m) },
  });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tune-measure-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a run without a cycle count is an unmeasured candidate, one line, not a point at 0 ms', async () => {
    const graph = readTflite(MODEL);
    const { train, test } = data();
    const board = fakeBoard(null);
    logs.length = 0;
    const report = await tune(graph, train, test, taskFor(graph, test), options(join(dir, 'none'), board.measure));
    expect(board.jobs).to.have.length(1);
    expect(report.boards[0]!.measured).to.deep.equal([]);
    expect(report.boards[0]!.front).to.deep.equal([]);
    expect(report.candidates.built).to.equal(0);
    expect(report.candidates.pruned).to.equal(1);
    const line = logs.filter((l) => /unmeasured/.test(l));
    expect(line).to.have.length(1);
    expect(line[0]).to.match(/^int8\S* on nucleo-l4r5zi: unmeasured: the run on a fake board gave no cycle count/);
  });

  it('a run with a cycle count is a point at its clock; --pick compiles it from its project file, which keeps the clock', async () => {
    const graph = readTflite(MODEL);
    const { train, test } = data();
    const board = fakeBoard(1_200_000);
    const out = join(dir, 'clocks');
    // every clock the board offers: points at clocks other than its default
    const report = await tune(graph, train, test, taskFor(graph, test), options(out, board.measure, true));
    const measured = report.boards[0]!.measured;
    const clocks = new Set(measured.map((p) => p.build.clockHz));
    expect(clocks.size).to.be.greaterThan(1);
    for (const p of measured) {
      expect(p.ms).to.be.closeTo((1_200_000 / p.build.clockHz) * 1000, 1e-9);
      const args = pickArgs(p, join(out, 'fw'), 'cmake');
      expect(args).to.deep.equal(['--config', p.config, '-o', join(out, 'fw'), '--project', 'cmake']);
      const config = readProjectConfig(p.config!);
      expect(config.clock, p.id).to.equal(p.build.clockHz);
      expect(config.board).to.equal(BOARD);
      expect(config.prefer).to.equal(p.build.prefer);
    }
    // without a project file: the model file and the flags
    const bare = { ...measured[0]!, config: undefined };
    expect(pickArgs(bare, 'fw')).to.deep.equal([bare.model, '--board', BOARD, '--prefer', 'speed', '-o', 'fw']);
  });

  it("a farm worker's result is checked as a run report, and refused in one line naming the job", () => {
    const good = JSON.parse(JSON.stringify(boardReport(1000)));
    expect(checkedRunReport(good, 'farm job 7').memory.flash).to.equal(40_000);
    expect(checkedRunReport({ ...good, cycleEstimate: { perInference: 1200 } }, 'farm job 7').cycleEstimate!.perInference).to.equal(1200);
    const bad: [unknown, RegExp][] = [
      [null, /null/],
      [[good], /a list/],
      ['an error page', /string/],
      [{ ...good, memory: undefined }, /no memory figures/],
      [{ ...good, memory: { ...good.memory, flash: '40 kB' } }, /memory\.flash is "40 kB"/],
      [{ ...good, memory: { ...good.memory, arena: undefined } }, /memory\.arena is missing/],
      [{ ...good, cases: [{ index: 0 }] }, /cases is not a list of outputs compared with the reference/],
      [{ ...good, perInference: -5 }, /perInference is -5/],
      [{ ...good, cycleEstimate: { cycles: 5 } }, /cycleEstimate has no count/],
      [{ ...good, realBoard: { name: 'x' } }, /realBoard has no RAM needed/],
    ];
    for (const [output, message] of bad) {
      let error: unknown;
      try {
        checkedRunReport(output, 'farm job 7 (int8-speed-120MHz on nucleo-l4r5zi)');
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(output)).to.be.instanceOf(TinyforgeError);
      const text = (error as Error).message;
      expect(text.split('\n'), text).to.have.length(1);
      expect(text).to.match(/^farm job 7 \(int8-speed-120MHz on nucleo-l4r5zi\): its result is not a run report: /);
      expect(text).to.match(message);
    }
  });
});
