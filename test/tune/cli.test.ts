// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune` as a user runs it, on a tiny grid: the example's float MNIST CNN, real digits in
 * .npz files, one emulated Cortex-M4 board. The front is measured and bit-exact, its --json matches
 * the schema, the HTML draws a scatter per board in headless Chromium, --resume continues from the
 * state without training or building again, --pick writes the chosen point's firmware, and each
 * point's project file (tinyforge.json) rebuilds it: the same bytes as its printed compile command,
 * the same flash and ms from `run --config`.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { PROJECT_ROOT, tinyforge } from '../helpers/cli.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { requireTools } from '../build/helpers.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';
import { writeMnistSplits } from '../compress/mnist_fixture.ts';

function chromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return findTool(name, 'apt-get install chromium');
    } catch {
      // optional: the HTML is checked by parsing without it
    }
  }
  return null;
}

const MODEL = join(PROJECT_ROOT, 'examples/mnist/float/model.json');
const BOARD = 'nucleo-l4r5zi';

describe('CLI: tune on a tiny grid', function () {
  let dir: string;
  let args: string[];
  let doc: any;
  let first: ReturnType<typeof tinyforge>;

  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-tune-'));
    writeMnistSplits(dir, 400, 100);
    args = [
      'tune',
      MODEL,
      '--data',
      join(dir, 'train.npz'),
      '--eval',
      join(dir, 'test.npz'),
      '--boards',
      BOARD,
      '--channels',
      '0.5',
      '--losses',
      'none',
      '--weight-bits',
      'none',
      '--palette-bits',
      '3',
      '--prefer',
      'speed',
      '--epochs',
      '1',
      '--channel-epochs',
      '1',
      '--calib-samples',
      '100',
      '--device-samples',
      '2',
      // relative to the run's directory: the report names every file absolutely
      '--search-dir',
      'out',
    ];
    first = tinyforge([...args, '--json', '--html', join(dir, 'front.html')], { cwd: dir });
    expect(first.status, first.stderr).to.equal(0);
    doc = expectSchemaValid(first.stdout.trim().split('\n').at(-1)!, 'tune');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('measures a front on the board: non-dominated, bit-exact, with dense int8 and the counts', () => {
    expect(doc.boards).to.have.length(1);
    expect(doc.model).to.equal(MODEL);
    expect(doc.stateFile).to.equal(join(dir, 'out', 'tune-state.json'));
    const b = doc.boards[0];
    expect(b.board).to.equal(BOARD);
    expect(b.front.length).to.be.at.least(1);
    expect(b.denseInt8.recipe.id).to.equal('int8');
    for (const p of b.measured) {
      expect(p.bitExact.matched, p.id).to.equal(p.bitExact.total);
      expect(p.bitExact.total).to.equal(2);
      expect(p.ms).to.be.greaterThan(0);
      expect(p.flash).to.be.greaterThan(p.flashWeights);
      expect(existsSync(p.model), p.model).to.equal(true);
      expect(p.model).to.equal(join(dir, 'out', 'models', `${p.recipe.id}.tflite`));
      expect(isAbsolute(p.config), p.config).to.equal(true);
    }
    // no front point is beaten on all four figures by any measured point
    const beats = (a: any, c: any) =>
      a.accuracy >= c.accuracy &&
      a.ms <= c.ms &&
      a.ram <= c.ram &&
      a.flash <= c.flash &&
      (a.accuracy > c.accuracy || a.ms < c.ms || a.ram < c.ram || a.flash < c.flash);
    for (const p of b.front)
      expect(
        b.measured.some((q: any) => beats(q, p)),
        p.id,
      ).to.equal(false);
    // half the channels: fewer weights and faster than dense int8 on the same board
    const ch = b.measured.find((p: any) => p.recipe.id === 'ch50');
    expect(ch, 'the channel-pruned point is measured').to.not.equal(undefined);
    expect(ch.flashWeights).to.be.lessThan(b.denseInt8.flashWeights);
    expect(ch.ms).to.be.lessThan(b.denseInt8.ms);
    // 3 recipes on one board, one storage choice and clock
    expect(doc.candidates.total).to.equal(3);
    expect(doc.candidates.built + doc.candidates.pruned).to.equal(3);
    expect(doc.stopped).to.equal(false);
    expect(first.stderr).to.match(/searching/);
  });

  it('the HTML draws one scatter per board in headless Chromium, with the front in a table', function () {
    const html = readFileSync(join(dir, 'front.html'), 'utf8');
    expect(html).to.include('id="tune-chart-0"').and.include(BOARD);
    const browser = chromium();
    if (!browser) skipAbsent('chromium not installed', 'the HTML was checked by parsing only', this);
    const common = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1200,1600'];
    const dom = spawnSync(browser!, [...common, '--dump-dom', `file://${join(dir, 'front.html')}`], { encoding: 'utf8', timeout: HANG_GUARD_MS }).stdout;
    expect(dom, 'a script failed on the page').to.not.match(/data-errors=/);
    expect(dom).to.match(/<body[^>]*data-rendered="1"/);
    expect(dom).to.match(/<canvas id="tune-chart-0"[^>]*style="[^"]*height/);
  });

  it("each point's tinyforge.json rebuilds it: the same C as the compile command, the same flash and ms", () => {
    const p = doc.boards[0].front[0];
    expect(existsSync(p.config), p.config).to.equal(true);
    const config = JSON.parse(readFileSync(p.config, 'utf8'));
    expect(config).to.deep.equal({
      model: relative(dirname(p.config), p.model),
      target: 'cortex-m4',
      board: BOARD,
      prefer: p.build.prefer,
      // the Cortex-M4 board's default placement (docs/tune.md: every option that priced the point)
      weightsInRam: 'staged',
      clock: p.build.clockHz,
      out: 'firmware',
    });
    expect(p.commands).to.include(`tinyforge compile --config ${p.config}`);
    const fromFile = join(dirname(p.config), 'firmware');
    const fromFlags = join(dir, 'firmware-flags');
    const a = tinyforge(['compile', '--config', p.config]);
    expect(a.status, a.stderr).to.equal(0);
    const b = tinyforge(['compile', p.model, '--board', BOARD, '--prefer', p.build.prefer, '-o', fromFlags]);
    expect(b.status, b.stderr).to.equal(0);
    const files = readdirSync(fromFlags).sort();
    expect(readdirSync(fromFile).sort()).to.deep.equal(files);
    // every file the same, but for the banner line that spells out the command
    const body = (f: string) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => !/command: tinyforge compile/.test(l))
        .join('\n');
    for (const f of files) expect(body(join(fromFile, f)), f).to.equal(body(join(fromFlags, f)));
    const run = tinyforge(['run', '--config', p.config, '--json']);
    expect(run.status, run.stderr).to.equal(0);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(r.memory.flash).to.equal(p.flash);
    expect((r.cycleEstimate.perInference / p.build.clockHz) * 1000).to.be.closeTo(p.ms, p.ms * 0.02);
  });

  it('--resume continues from the state without training or building again; --pick writes the firmware', () => {
    const fw = join(dir, 'firmware');
    const again = tinyforge([...args, '--resume', '--pick', `${BOARD}:1`, '-o', fw], { cwd: dir });
    expect(again.status, again.stderr).to.equal(0);
    // nothing trained (no fine-tuning label) and nothing built (no compile step) by the search itself
    expect(again.stderr).to.not.match(/compiling and running|fine-tuning/);
    expect(again.stdout).to.include(`${BOARD} (cortex-m4)`);
    // from the point's project file, which keeps its clock
    expect(again.stderr).to.match(/picked \S+ on nucleo-l4r5zi at [\d.]+MHz: tinyforge compile --config \S+tinyforge\.json -o /);
    expect(readdirSync(fw).some((f) => f.endsWith('.c'))).to.equal(true);
  });
});
