// SPDX-License-Identifier: Apache-2.0
/**
 * `profile --html`: one self-contained HTML file, viewable offline: the per-layer counter as a bar
 * chart and the arena timeline (each buffer a rectangle: layers it lives across × bytes it holds),
 * drawn with Chart.js. The Chart.js build is read from node_modules when the report is written and
 * inlined; the report's data sits in a JSON script block (id "tinyforge-data") that tools can read.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { TinyforgeError } from '../errors.ts';
import type { ProfileReport } from '../run/profile.ts';

export function chartJsSource(): string {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  } catch {
    throw new TinyforgeError('chart.js is not installed (npm install): the HTML report inlines it');
  }
  return readFileSync(join(dir, 'chart.umd.min.js'), 'utf8');
}

/** What marks a file as a report of ours: its data block (so `--html` may replace it). */
const REPORT_MARKER = 'id="tinyforge-data"';

/**
 * Checked before the run: `profile --html FILE` writes a new file or replaces an earlier report of
 * tinyforge's, never another file; and its folder must exist.
 */
export function requireReportPath(path: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new TinyforgeError(`--html ${path}: no folder ${folder} to write it in`);
  if (!existsSync(path)) return;
  const stats = statSync(path);
  if (!stats.isFile()) throw new TinyforgeError(`--html ${path}: exists and is not a regular file`);
  // the marker sits past the head and table; 1 MB covers any report's start without reading a huge file whole
  const head = Buffer.alloc(Math.min(stats.size, 1 << 20));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.toString('utf8').includes(REPORT_MARKER))
    throw new TinyforgeError(`--html ${path}: exists and is not a tinyforge report; refusing to overwrite it (give a new file name)`);
}

/** Markup characters and control characters (a model's file name may hold an ESC) as character references. */
const escapeHtml = (text: string) => text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `&#${c.charCodeAt(0)};`);
/** Text inside <script> must not close the element early. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

export function profileHtml(report: ProfileReport, modelPath: string): string {
  const unit = report.counter.kind;
  const data = JSON.stringify({
    model: report.model,
    target: report.target,
    board: report.board,
    counter: report.counter,
    perInference: report.perInference,
    layers: report.layers.map((l) => ({ index: l.index, op: l.op, macs: l.macs, count: l.count, share: l.share, alias: l.alias })),
    plan: report.plan,
    memory: report.memory,
  }).replace(/[<\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const rows = report.layers
    .map(
      (l) =>
        `<tr><td>${l.index}</td><td>${escapeHtml(l.op)}</td><td>${escapeHtml(l.outputs.map((s) => `[${s.join('x')}]`).join(' '))}</td>` +
        `<td class="n">${l.macs.toLocaleString('en-US')}</td><td class="n">${l.alias ? '-' : l.count.toLocaleString('en-US')}</td>` +
        `<td class="n">${l.alias ? '-' : `${(l.share * 100).toFixed(1)}%`}</td><td class="n">${l.macsPerCount === null ? '-' : l.macsPerCount.toFixed(2)}</td></tr>`,
    )
    .join('\n');
  const m = report.memory;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tinyforge profile: ${escapeHtml(report.model)} on ${escapeHtml(report.board ?? report.target)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { position: relative; width: 100%; max-width: 1100px; height: 420px; margin-bottom: 2em; }
</style>
</head>
<body>
<h1>${escapeHtml(report.model)}</h1>
<p>${escapeHtml(modelPath)} on ${escapeHtml(report.target)}${report.board ? ` (${escapeHtml(report.board)})` : ''}:
<b>${report.perInference.toLocaleString('en-US')} ${unit}</b> per inference (${escapeHtml(report.counter.source)}),
${report.macs.toLocaleString('en-US')} MACs. Arena ${m.arena} bytes planned${m.arenaUsed === null ? '' : `, ${m.arenaUsed} written`};
stack ${m.stackInvoke} bytes; flash ${m.flash} bytes (weights ${m.flashWeights}); RAM ${m.ram} bytes.
Layer figures are net of the profiling hooks (${report.hookOverhead.insideLayer} ${unit} each).</p>
<h2>${unit} per layer</h2>
<div class="chart"><canvas id="layers-chart"></canvas></div>
<h2>Arena timeline</h2>
<p>Each rectangle is one buffer of the arena: across the layers it lives (x) at the bytes it occupies (y).</p>
<div class="chart"><canvas id="arena-chart"></canvas></div>
<h2>Layers</h2>
<table>
<tr><th>#</th><th>op</th><th>output</th><th>MACs</th><th>${unit}</th><th>share</th><th>MACs per ${unit.replace(/s$/, '')}</th></tr>
${rows}
</table>
<script type="application/json" ${REPORT_MARKER}>${data}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(CHARTS_SCRIPT)}</script>
</body>
</html>
`;
}

/** Draws both charts from the JSON block; plain browser JavaScript. */
const CHARTS_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('tinyforge-data').textContent);
  var unit = data.counter.kind;
  new Chart(document.getElementById('layers-chart'), {
    type: 'bar',
    data: {
      labels: data.layers.map(function (l) { return '#' + l.index + ' ' + l.op; }),
      datasets: [{ label: unit, data: data.layers.map(function (l) { return l.count; }), backgroundColor: '#3b7dd8' }]
    },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { title: { display: true, text: unit } } } }
  });

  var colours = ['#3b7dd8', '#e07b39', '#4caf50', '#9c27b0', '#f2b705', '#00a6a6', '#d84b6b', '#795548'];
  var buffers = data.plan.buffers;
  var rectangles = {
    id: 'arenaRectangles',
    beforeDatasetsDraw: function (chart) {
      var x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx;
      ctx.save();
      buffers.forEach(function (b, i) {
        var left = x.getPixelForValue(b.firstUse - 0.45), right = x.getPixelForValue(b.lastUse + 0.45);
        var top = y.getPixelForValue(b.offset + b.bytes), bottom = y.getPixelForValue(b.offset);
        ctx.fillStyle = colours[i % colours.length] + (b.scratchOf === null ? 'b0' : '60');
        ctx.strokeStyle = '#333';
        ctx.fillRect(left, top, right - left, bottom - top);
        ctx.strokeRect(left, top, right - left, bottom - top);
        if (right - left > 70 && bottom - top > 14) {
          ctx.fillStyle = '#111';
          ctx.font = '11px sans-serif';
          ctx.fillText(b.name.length > 40 ? b.name.slice(0, 39) + '…' : b.name, left + 4, top + 12, right - left - 8);
        }
      });
      ctx.restore();
    }
  };
  new Chart(document.getElementById('arena-chart'), {
    type: 'scatter',
    data: {
      datasets: [{
        label: 'buffers',
        data: buffers.map(function (b) { return { x: (b.firstUse + b.lastUse) / 2, y: b.offset + b.bytes / 2, buffer: b }; }),
        pointRadius: 2, pointBackgroundColor: '#000'
      }]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: function (item) {
          var b = item.raw.buffer;
          return b.name + ': bytes ' + b.offset + '..' + (b.offset + b.bytes) + ', layers ' + b.firstUse + '..' + b.lastUse;
        } } }
      },
      scales: {
        x: { type: 'linear', min: -0.5, max: Math.max(0, data.layers.length - 0.5), title: { display: true, text: 'layer' }, ticks: { stepSize: 1 } },
        y: { type: 'linear', min: 0, max: Math.max(data.plan.arena, 1), title: { display: true, text: 'arena offset (bytes)' } }
      }
    },
    plugins: [rectangles]
  });
})();
`;
