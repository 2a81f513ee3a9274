// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune --pick` on the emulated board: a point measured at a clock other than the board's
 * default, picked, compiles from its project file (every option that priced it, the clock with
 * them), and that project file's run gives the point's flash, RAM and ms exactly, where the same
 * model at the board's default clock is priced otherwise.
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTflite } from '../../src/core/model/tflite/reader.ts';
import { findBoard } from '../../src/core/targets/targets.ts';
import { type Measured, cheapFigures, localMeasurer, pointOf } from '../../src/compress/tune.ts';
import { boardClocks, candidateId } from '../../src/compress/tune_front.ts';
import { quantizeInput } from '../../src/compress/ptq.ts';
import type { RunReport } from '../../src/lab/run/run.ts';
import { weightsInRamDefault } from '../../src/lab/toolchain/fit.ts';
import { pickArgs } from '../../src/face/cli/tune_action.ts';
import { readProjectConfig } from '../../src/face/cli/project_config.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { requireTools } from '../build/helpers.ts';
import { mnistData } from '../compress/mnist_fixture.ts';

const MODEL = join(PROJECT_ROOT, 'examples/mnist/mnist_cnn_int8.tflite');
const BOARD = 'nucleo-l4r5zi';

describe('tune --pick on the emulated board: the picked build has the figures its point was measured with', function () {
  let dir: string;

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tune-pick-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a point at a clock other than the board default: compile and run from what --pick gives, the same flash, RAM and ms', async () => {
    const graph = readTflite(MODEL);
    const { target, board } = findBoard(BOARD);
    const { test } = mnistData();
    // the slowest clock the board offers: more flash wait states than at its default
    const clockHz = Math.min(...boardClocks(board, true));
    expect(clockHz).to.not.equal(board.clockHz);
    const recipe = { id: 'int8', channels: 0 };
    const build = { prefer: 'speed' as const, clockHz };
    const candidate = { id: candidateId(recipe, build), board: BOARD, recipe, build };
    // the search directory's model, as the search writes it
    mkdirSync(join(dir, 'models'));
    const model = join(dir, 'models', 'int8.tflite');
    copyFileSync(MODEL, model);
    const size = test.x.length / test.count;
    const input = quantizeInput(graph, test.x.subarray(0, size));
    const [measured] = await localMeasurer()([{ candidate, model, cases: [[input]] }]);
    expect(measured).to.not.be.instanceOf(Error);
    const cheap = cheapFigures(graph, target, board, build.prefer, clockHz);
    const point = pointOf(candidate, measured as Measured, 0.9, cheap, model);
    if (typeof point === 'string') expect.fail(point);
    expect(point.ms).to.be.greaterThan(0);

    // what --pick runs: its project file, written where the point has none
    const fw = join(dir, 'fw');
    const args = pickArgs(point, dir, fw);
    expect(args[0]).to.equal('--config');
    const config = readProjectConfig(args[1]!);
    expect(config).to.include({ model, target: target.name, board: BOARD, prefer: 'speed', weightsInRam: weightsInRamDefault(target, board), clock: clockHz });
    const compiled = tinyforge(['compile', ...args, '--json']);
    expect(compiled.status, compiled.stderr).to.equal(0);
    const plan = JSON.parse(compiled.stdout.trim().split('\n').at(-1)!);
    expect(plan.board).to.equal(BOARD);
    expect(readdirSync(fw).some((f) => f.endsWith('.c'))).to.equal(true);

    // its figures from the same project file and input: those of the point, exactly
    writeFileSync(join(dir, 'input.bin'), input);
    const again = tinyforge(['run', '--config', args[1]!, '--input', join(dir, 'input.bin'), '--json']);
    expect(again.status, again.stderr).to.equal(0);
    const r = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as RunReport;
    expect(r.memory.arena).to.equal(plan.memory.arena);
    const repeat = pointOf(candidate, { report: r, ranOn: 'emulated' }, 0.9, cheap, model);
    if (typeof repeat === 'string') expect.fail(repeat);
    expect({ ms: repeat.ms, ram: repeat.ram, flash: repeat.flash, flashWeights: repeat.flashWeights }).to.deep.equal({
      ms: point.ms,
      ram: point.ram,
      flash: point.flash,
      flashWeights: point.flashWeights,
    });
    expect(r.cycleEstimate?.clockHz).to.equal(clockHz);
    // the clock matters: at the board's default the same build is priced otherwise
    const fast = tinyforge(['run', model, '--board', BOARD, '--prefer', 'speed', '--input', join(dir, 'input.bin'), '--json']);
    expect(fast.status, fast.stderr).to.equal(0);
    const f = JSON.parse(fast.stdout.trim().split('\n').at(-1)!) as RunReport;
    expect((f.cycleEstimate!.perInference / board.clockHz) * 1000).to.not.equal(point.ms);
  });
});
