// SPDX-License-Identifier: Apache-2.0
/**
 * What `tinyforge tune` makes of the boards' answers, with a board faked (no emulator): a run that
 * gives no cycle count, or one no run takes, is a failed candidate, not a point at 0 ms; a farm
 * worker's result is checked before it is read as a run report, and one that is not is a failed
 * candidate; `--pick` rebuilds a point from its project file, which keeps the point's clock
 * (pick.test.ts: on the emulated board, the same figures).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import {
  type MeasureJob,
  type Measured,
  type Measurer,
  type TuneOptions,
  type TuneReport,
  checkedRunReport,
  farmMeasurements,
  tune,
} from '../../src/compress/tune.ts';
import { type TuneGrid, type TuneState, parseState } from '../../src/compress/tune_front.ts';
import type { Outcome } from '../../src/lab/farm/client.ts';
import { formatTuneReport, tuneJson } from '../../src/face/report/tune.ts';
import { jsonLine } from '../../src/face/report/json_document.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
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

function fakeBoard(cycles: number | null, results?: (jobs: MeasureJob[]) => (Measured | Error)[]): { measure: Measurer; jobs: MeasureJob[] } {
  const jobs: MeasureJob[] = [];
  return {
    jobs,
    measure: async (batch) => {
      jobs.push(...batch);
      return results ? results(batch) : batch.map(() => ({ report: boardReport(cycles), ranOn: 'a fake board' }));
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

  /** The search of dense int8 on the board whose runs `board` answers: its report and the lines it logged. */
  async function search(name: string, board: { measure: Measurer }, clocks = false): Promise<{ report: TuneReport; lines: string[] }> {
    const graph = readTflite(MODEL);
    const { train, test } = data();
    logs.length = 0;
    const report = await tune(graph, train, test, taskFor(graph, test), options(join(dir, name), board.measure, clocks));
    return { report, lines: logs.filter((l) => /failed/.test(l)) };
  }

  /** No point and one failed candidate, named with its board in one line matching `reason`, in the log and the report. */
  function expectFailed(report: TuneReport, lines: string[], reason: RegExp): void {
    const b = report.boards[0]!;
    expect(b.measured).to.deep.equal([]);
    expect(b.front).to.deep.equal([]);
    expect(report.candidates).to.include({ built: 0, pruned: 0, failed: 1 });
    expect(lines, logs.join('\n')).to.have.length(1);
    expect(lines[0]).to.match(/^int8\/speed@120MHz on nucleo-l4r5zi: failed: /);
    expect(lines[0]).to.match(reason);
    expect(b.failed).to.deep.equal([{ id: 'int8/speed@120MHz', reason: lines[0]!.slice('int8/speed@120MHz on nucleo-l4r5zi: '.length) }]);
    expect(formatTuneReport(report).split('\n')).to.include(lines[0]);
    expectSchemaValid(jsonLine('tune', tuneJson(report)).trim(), 'tune');
  }

  it('a run without a cycle count is a failed candidate, one line, not a point at 0 ms', async () => {
    const board = fakeBoard(null);
    const { report, lines } = await search('none', board);
    expect(board.jobs).to.have.length(1);
    expectFailed(report, lines, /the run on a fake board gave no cycle count/);
  });

  for (const cycles of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, 0.25])
    it(`a run giving ${cycles} cycles per inference is a failed candidate, not a point`, async () => {
      const { report, lines } = await search(`cycles-${cycles}`, fakeBoard(cycles));
      expectFailed(report, lines, /gave \S+ cycles per inference, which no run takes/);
    });

  it('a point an earlier search recorded at 0 ms is measured again on --resume, not kept', async () => {
    const out = join(dir, 'resume');
    const first = await search('resume', fakeBoard(1_200_000));
    const point = first.report.boards[0]!.measured[0]!;
    const file = join(out, 'tune-state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as TuneState;
    expect(parseState(readFileSync(file, 'utf8'), state.key, file).points).to.have.all.keys(`${BOARD} ${point.id}`);
    for (const k of Object.keys(state.points)) state.points[k] = { ...state.points[k]!, ms: 0 };
    writeFileSync(file, JSON.stringify(state));
    expect(parseState(JSON.stringify(state), state.key, file).points).to.deep.equal({});
    const board = fakeBoard(1_200_000);
    const graph = readTflite(MODEL);
    const { train, test } = data();
    const again = await tune(graph, train, test, taskFor(graph, test), { ...options(out, board.measure), resume: true });
    expect(board.jobs).to.have.length(1);
    expect(again.boards[0]!.front.map((p) => p.ms)).to.deep.equal([point.ms]);
    expect(point.ms).to.be.greaterThan(0);
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
      const args = pickArgs(p, out, join(out, 'fw'), 'cmake');
      expect(args).to.deep.equal(['--config', p.config, '-o', join(out, 'fw'), '--project', 'cmake']);
      const config = readProjectConfig(p.config!);
      expect(config.clock, p.id).to.equal(p.build.clockHz);
      expect(config.board).to.equal(BOARD);
      expect(config.prefer).to.equal(p.build.prefer);
      // the placement the board's builds default to, which priced the point, spelled out
      expect(config.weightsInRam).to.equal('staged');
    }
    // a point without a project file gets one, with its clock: never a line of flags without it
    const slow = measured.find((p) => p.build.clockHz !== measured[0]!.build.clockHz)!;
    rmSync(slow.config!);
    const args = pickArgs({ ...slow, config: undefined }, out, 'fw');
    expect(args).to.deep.equal(['--config', slow.config, '-o', 'fw']);
    expect(readProjectConfig(slow.config!)).to.include({ board: BOARD, target: 'cortex-m4', prefer: 'speed', clock: slow.build.clockHz });
  });

  it('a farm result that is not a run report is a failed candidate, one line naming the farm job, not a point', async () => {
    const good = JSON.parse(JSON.stringify(boardReport(1000)));
    const outcome = (output: unknown, id = 'b1-0'): Outcome => ({
      id,
      board: BOARD,
      model: 'int8.tflite',
      result: {
        jobId: id,
        command: 'run',
        board: BOARD,
        model: 'int8.tflite',
        sha256: '0'.repeat(64),
        worker: 'host-1',
        instance: `${BOARD}#1`,
        exitCode: 0,
        output: output as Record<string, unknown>,
        seconds: 1,
      },
      error: null,
    });
    // the farm's outcomes as the search reads them
    const jobs = [{ candidate: { id: 'int8/speed@120MHz', board: BOARD }, model: 'm', cases: [] }] as unknown as MeasureJob[];
    expect(farmMeasurements(jobs, [outcome(good)])[0]).to.deep.include({ ranOn: `host-1/${BOARD}#1` });
    const failures = [
      farmMeasurements(jobs, [outcome({ ...good, memory: { ...good.memory, flash: 'lots' } })])[0],
      farmMeasurements(jobs, [{ ...outcome(good), result: null, error: 'farm job b1-0: its result is malformed: not JSON' }])[0],
      farmMeasurements(jobs, [])[0],
      farmMeasurements(jobs, [{ ...outcome(good), board: 'pico' }])[0],
    ];
    for (const f of failures) {
      expect(f).to.be.instanceOf(Error);
      expect((f as Error).message).to.match(/^farm job \S+ \(int8\/speed@120MHz on nucleo-l4r5zi\): /);
    }
    expect((failures[0] as Error).message).to.match(/its result is not a run report: memory\.flash is "lots"$/);
    // in the search: a failed candidate, one line, and the search goes on
    const board = fakeBoard(null, (batch) => farmMeasurements(batch, [outcome({ ...good, cases: 'none' }, 'b2-0')]));
    const { report, lines } = await search('farm', board);
    expectFailed(report, lines, /farm job b2-0 \(int8\/speed@120MHz on nucleo-l4r5zi\): its result is not a run report: cases is not a list/);
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
