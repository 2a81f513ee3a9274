// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../src/build/toolchain.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';

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
  let json: Record<string, any>;
  let stderr: string;

  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    const r = tinyforge(['profile', sharedModelPath('micro_speech'), '--target', 'cortex-m4', '--json', '--html', html]);
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, 'exactly one JSON object on stdout').to.have.length(1);
    json = JSON.parse(lines[0]!);
    stderr = r.stderr;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json has the DESIGN.md §6 fields, with one entry per layer', () => {
    expect(json).to.include({ model: 'micro_speech', target: 'cortex-m4', board: 'qemu-mps2-an386', matchesReference: true });
    expect(json.counter).to.deep.equal({ kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0' });
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
    const data = JSON.parse(/<script type="application\/json" id="tinyforge-data">(.*?)<\/script>/s.exec(text)![1]!);
    expect(data.layers.map((l: { count: number }) => l.count)).to.deep.equal(json.layers.map((l: { count: number }) => l.count));
    expect(data.plan.arena).to.equal(json.memory.arena);
    expect(data.plan.buffers.length).to.be.greaterThan(1);
    for (const b of data.plan.buffers) {
      expect(b.offset + b.bytes, b.name).to.be.at.most(data.plan.arena);
      expect(b.firstUse, b.name).to.be.at.most(b.lastUse);
    }
    expect(text).to.include('id="layers-chart"').and.include('id="arena-chart"');
  });

  it('the HTML draws both charts in a headless browser (when chromium is installed)', function () {
    const browser = chromium();
    if (!browser) {
      console.warn('  NOTICE: chromium not installed: the HTML was checked by parsing only');
      this.skip();
    }
    const r = spawnSync(browser!, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${html}`], { encoding: 'utf8', timeout: 60_000 });
    // Chart.js sizes each canvas it has drawn on
    expect(r.stdout)
      .to.match(/<canvas id="layers-chart"[^>]*style="[^"]*height/)
      .and.match(/<canvas id="arena-chart"[^>]*style="[^"]*height/);
  });

  it('the table names ops, shapes, counts and shares', () => {
    const r = tinyforge(['profile', sharedModelPath('micro_speech'), '--link', 'stdio']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/DEPTHWISE_CONV_2D\s+\[1x49x40x1\] -> \[1x25x20x8\]\s+320,000\s+[\d,]+\s+\d+\.\d%/);
    expect(r.stdout)
      .to.match(/per inference\s+[\d,]+ instructions/)
      .and.match(/outputs bit-exact with the host reference/);
  });

  it('refuses the host target, a bad --runs and an unknown board in one line', () => {
    for (const [args, pattern] of [
      [['--target', 'host'], /^error: target host has no device to talk to/],
      [['--runs', '0'], /^error: --runs must be a whole number from 1 to 65535, got '0'/],
      [['--board', 'qemu-nowhere'], /^error: target cortex-m4 has no board 'qemu-nowhere'/],
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
    const j = JSON.parse(r.stdout);
    expect(j.ports).to.be.an('array');
    for (const p of j.ports) expect(p.path).to.match(/^\/dev\//);
  });
});
