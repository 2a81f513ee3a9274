// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';
import { skipAbsent } from '../helpers/absent.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

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

describe('CLI: profile and ports', function () {
  const dir = mkdtempSync(join(tmpdir(), 'tf-profile-'));
  const html = join(dir, 'report.html');
  const jsonFile = join(dir, 'm4.json');
  const otherJsonFile = join(dir, 'rp2040.json');
  const compareHtml = join(dir, 'compare.html');
  let json: Record<string, any>;
  let stderr: string;

  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const r = tinyforge(['profile', sharedModelPath('micro_speech'), '--target', 'cortex-m4', '--json', '--html', html]);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, 'exactly one JSON object on stdout').to.have.length(1);
    json = expectSchemaValid(lines[0]!);
    stderr = r.stderr;
    writeFileSync(jsonFile, r.stdout);
    const other = tinyforge(['profile', sharedModelPath('micro_speech'), '--target', 'rp2040', '--json']);
    expect(other.status, other.stderr).to.equal(0);
    writeFileSync(otherJsonFile, other.stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json has the DESIGN.md §6 fields, with one entry per layer', () => {
    expect(json).to.include({ model: 'micro_speech', target: 'cortex-m4', board: 'qemu-mps2-an386', matchesReference: true });
    expect(json.counter).to.deep.equal({ kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0', exact: 'instructions' });
    // no real board named: the timing model's cycles for the emulated board alone (no clock of a real chip: no time or energy)
    expect(json.estimates.map((e: { kind: string }) => e.kind)).to.deep.equal(['cycles-estimated']);
    expect(json.estimates[0].basis).to.match(/qemu-mps2-an386 at 25 MHz, zero wait states \(no real board named\)/);
    expect(json.estimatedFor).to.equal(null);
    expect(json.outputs).to.have.length(1);
    expect(json.perInference).to.be.a('number').greaterThan(0);
    expect(json.layers.map((l: { index: number; op: string }) => [l.index, l.op])).to.deep.equal([
      [0, 'RESHAPE'],
      [1, 'DEPTHWISE_CONV_2D'],
      [2, 'FULLY_CONNECTED'],
      [3, 'SOFTMAX'],
    ]);
    for (const l of json.layers) for (const k of ['index', 'op', 'macs', 'count']) expect(l[k], k).to.not.equal(undefined);
    expect(json.layers[0].count, 'a reshape emits no code').to.equal(0);
    expect(json.layers[1].macs).to.equal(320000);
    for (const k of ['arena', 'scratch', 'stack', 'flash', 'flashWeights', 'ram']) expect(json.memory[k], k).to.be.a('number');
    // the layers, net of the hooks, add up to the inference less the hooks' share outside the layers
    const sum = json.layers.reduce((n: number, l: { count: number }) => n + l.count, 0);
    expect(sum).to.equal(json.layersTotal);
    expect(sum)
      .to.be.at.most(json.perInference)
      .and.greaterThan(json.perInference * 0.99);
    expect(json.memory.arenaUsed)
      .to.be.at.most(json.memory.arena)
      .and.greaterThan(json.memory.arena - 16);
    expect(stderr)
      .to.match(/profile build/)
      .and.match(/wrote .*report\.html/);
  });

  it('--html writes one self-contained file with the chart data and the arena timeline', () => {
    const text = readFileSync(html, 'utf8');
    expect(text).to.match(/^<!DOCTYPE html>/);
    expect(text, 'Chart.js inlined').to.include('Chart.js v4');
    // nothing is fetched from elsewhere (links in Chart.js's licence comments are only text)
    expect(text, 'no external scripts, styles or images').to.not.match(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=|url\(\s*['"]?https?:/);
    const data = JSON.parse(/<script type="application\/json" id="tinyforge-data">(.*?)<\/script>/s.exec(text)![1]!).runs[0];
    expect(data.layers.map((l: { count: number }) => l.count)).to.deep.equal(json.layers.map((l: { count: number }) => l.count));
    expect(data.plan.arena).to.equal(json.memory.arena);
    expect(data.plan.buffers.length).to.be.greaterThan(1);
    for (const b of data.plan.buffers) {
      expect(b.offset + b.bytes, b.name).to.be.at.most(data.plan.arena);
      expect(b.firstUse, b.name).to.be.at.most(b.lastUse);
    }
    expect(text).to.include('id="layers-chart"').and.include('id="arena-chart-0"').and.include('id="memory-chart"');
  });

  /** The page as headless Chromium renders it: its DOM after the scripts ran, and a screenshot when asked. */
  function render(this: Mocha.Context, file: string, screenshot = true): { dom: string; png: PNG | null } {
    const browser = chromium();
    if (!browser) skipAbsent('chromium not installed', 'the HTML was checked by parsing only', this);
    const common = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1200,2400'];
    const dom = spawnSync(browser!, [...common, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: HANG_GUARD_MS }).stdout;
    if (!screenshot) return { dom, png: null };
    const shot = `${file}.png`;
    spawnSync(browser!, [...common, `--screenshot=${shot}`, `file://${file}`], { timeout: HANG_GUARD_MS });
    return { dom, png: PNG.sync.read(readFileSync(shot)) };
  }

  /** Share of the pixels that are not the page's white, and how many distinct colours there are. */
  function ink(png: PNG): { share: number; colours: number } {
    const colours = new Set<number>();
    let inked = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const rgb = (png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!;
      colours.add(rgb);
      if (rgb !== 0xffffff) inked++;
    }
    return { share: inked / (png.data.length / 4), colours: colours.size };
  }

  it('the HTML draws every chart in headless Chromium: no script error, not blank', function () {
    const { dom, png } = render.call(this, html);
    expect(dom, 'a script failed on the page').to.not.match(/data-errors=/);
    // memory, per layer, one arena timeline
    expect(dom).to.match(/<body[^>]*data-rendered="3"/);
    // Chart.js sizes each canvas it has drawn on
    for (const id of ['memory-chart', 'layers-chart', 'arena-chart-0']) expect(dom).to.match(new RegExp(`<canvas id="${id}"[^>]*style="[^"]*height`));
    const { share, colours } = ink(png!);
    expect(share, 'share of non-white pixels').to.be.greaterThan(0.08);
    expect(colours, 'distinct colours (charts drawn, not only text)').to.be.greaterThan(200);
  });

  it('the HTML has the kernel, weight flash and live arena per layer, capacity, tool version and command line', () => {
    const text = readFileSync(html, 'utf8');
    for (const l of json.layers) {
      expect(l.kernel, `layer ${l.index}`).to.be.a('string').and.not.equal('');
      expect(text).to.include(`<code>${l.kernel}</code>`);
    }
    expect(json.layers[0].kernel).to.equal('alias');
    // the FC layer stores its 16,000 int8 weights and 4 int32 biases
    expect(json.layers[2].weightBytes).to.be.at.least(16_000);
    for (const l of json.layers) expect(l.liveBytes, `layer ${l.index}`).to.be.at.most(json.memory.arena).and.greaterThan(0);
    expect(json.capacity).to.deep.equal({ flash: 4 * 1024 * 1024, ram: 4 * 1024 * 1024, board: 'qemu-mps2-an386' });
    expect(json.provenance.tool).to.equal('tinyforge');
    expect(json.provenance.commandLine.slice(0, 2)).to.deep.equal(['tinyforge', 'profile']);
    expect(text).to.match(/tinyforge \d+\.\d+\.\d+, \d{4}-\d\d-\d\dT/);
    expect(text).to.include('flash capacity').and.include('4,194,304 B');
  });

  it('report compares two runs: both in the charts, side by side per layer, ratios on stdout', function () {
    const r = tinyforge(['report', jsonFile, otherJsonFile, '--html', compareHtml, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const summary = expectSchemaValid(r.stdout);
    expect(summary.runs.map((x: { label: string }) => x.label)).to.deep.equal(['qemu-mps2-an386', 'rp2040js']);
    expect(summary.ratios.perInference, 'instructions and cycles are not compared').to.equal(null);
    expect(summary.ratios.flash).to.be.a('number').greaterThan(0);
    const text = readFileSync(compareHtml, 'utf8');
    expect(text).to.include('qemu-mps2-an386 vs rp2040js').and.include('<code>armv6m</code>');
    const { dom } = render.call(this, compareHtml, false);
    expect(dom).to.not.match(/data-errors=/);
    expect(dom).to.match(/<body[^>]*data-rendered="4"/);
  });

  it('the HTML of a run made for a real board names that board, and shows its memory as shares', () => {
    const realHtml = join(dir, 'l4r5.html');
    const r = tinyforge(['profile', sharedModelPath('micro_speech'), '--board', 'nucleo-l4r5zi', '--html', realHtml]);
    expect(r.status, r.stderr).to.equal(0);
    const text = readFileSync(realHtml, 'utf8');
    expect(text).to.include('<title>tinyforge: micro_speech on nucleo-l4r5zi</title>');
    expect(text).to.include('(run on qemu-mps2-an386, which emulates the core of nucleo-l4r5zi)');
    expect(text).to.include("share of the board's flash / RAM (%)").and.not.include('bytes (log scale');
  });

  it('report refuses a file that is not a profile JSON, and never overwrites a file it did not write', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ model: 'x', target: 'cortex-m4' }));
    let r = tinyforge(['report', bad, '--html', join(dir, 'never.html')]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^error: .*bad\.json: not a tinyforge profile JSON: 'perInference' is missing/);
    const mine = join(dir, 'notes.html');
    writeFileSync(mine, '<p>my notes</p>');
    r = tinyforge(['report', jsonFile, '--html', mine]);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.match(/^error: .*notes\.html: exists and is not a file tinyforge wrote/);
    expect(readFileSync(mine, 'utf8')).to.equal('<p>my notes</p>');
    // an earlier report of ours is replaced
    r = tinyforge(['report', jsonFile, '--html', compareHtml]);
    expect(r.status, r.stderr).to.equal(0);
  });

  it('report without --html prints the comparison table and writes nothing', () => {
    const r = tinyforge(['report', jsonFile, otherJsonFile]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout)
      .to.match(/^run\s+per inference\s+flash\s+RAM\s+arena/m)
      .and.match(/second \/ first/);
    expect(r.stderr).to.equal('');
  });

  it('the table names ops, shapes, counts and shares; the Kernels lines each layer kernel in full', () => {
    const r = tinyforge(['profile', sharedModelPath('micro_speech'), '--link', 'stdio']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/DEPTHWISE_CONV_2D\s+\[1x49x40x1\] -> \[1x25x20x8\]\s+320,000\s+[\d,]+\s+\d+\.\d%/);
    // the same model on the same target as the --json run of before()
    const kernels = /^Kernels\n((?: {2}.*\n)+)/m.exec(r.stdout)![1]!;
    for (const l of (json.layers as { index: number; op: string; kernel: string; alias: boolean }[]).filter((x) => !x.alias))
      expect(kernels, `${l.op} ${l.index}`).to.match(new RegExp(`^  ${l.op} ${l.kernel.replace(/[()]/g, '\\$&')}: ops? (\\d+, )*${l.index}(,|$)`, 'm'));
    // the short summary: per inference and the rest in one table row
    expect(r.stdout)
      .to.match(/^per inference +est\. ms +est\. uJ +arena +stack +flash +fits$/m)
      .and.match(/^[\d,]+ instructions +[\d.,]+ +- +[\d.]+ KiB +\d+ B +[\d.]+ KiB +yes \(qemu-mps2-an386\)$/m)
      .and.match(/outputs bit-exact with the host reference/);
  });

  it('refuses the host target, a bad --runs and an unknown board in one line', () => {
    for (const [args, pattern] of [
      [['--target', 'host'], /^error: target host has no device to talk to/],
      [['--runs', '0'], /^error: --runs must be a whole number from 1 to 65535, got '0'/],
      // --board alone names its target, so an unknown one is looked up among every target's boards
      [['--board', 'qemu-nowhere'], /^error: unknown board 'qemu-nowhere' \(known: .*qemu-mps2-an386.*nucleo-l4r5zi/],
      [['--target', 'cortex-m4', '--board', 'qemu-nowhere'], /^error: target cortex-m4 has no board 'qemu-nowhere'/],
      [['--link', 'carrier-pigeon'], /^error: --link must be pty or stdio/],
    ] as [string[], RegExp][]) {
      const r = tinyforge(['profile', sharedModelPath('micro_speech'), ...args]);
      expect(r.status, args.join(' ')).to.not.equal(0);
      expect(r.stderr.trim().split('\n').pop()).to.match(pattern);
    }
  });

  it('ports --json lists the serial ports as one object', () => {
    const r = tinyforge(['ports', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const j = expectSchemaValid(r.stdout);
    expect(j.ports).to.be.an('array');
    for (const p of j.ports) expect(p.path).to.match(/^\/dev\//);
  });
});
