// SPDX-License-Identifier: Apache-2.0
/**
 * The HTML report (`profile --html`, `report`): one self-contained file, viewable offline, of one
 * profiled run or two side by side (before/after compression, two targets):
 *
 * - who made it: tool version, date, command line of each run;
 * - the headline figures and the RAM and flash breakdown against the board's capacity;
 * - the counter per layer (a bar chart, both runs' bars together when comparing);
 * - a table per layer: op, shapes, the kernel chosen, MACs, counter, share, weight flash, live RAM;
 * - the arena timeline of each run: every buffer a labelled rectangle across the layers it lives.
 *
 * Charts are drawn with Chart.js (an optional dependency), read from node_modules and inlined. The
 * runs' data sits in a JSON script block (id "tinyforge-data") that tools can read back. The page
 * marks itself `data-rendered="N"` (N charts drawn) when its script finishes and records script
 * errors in `data-errors`, so a headless browser can tell a drawn page from a blank or broken one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { CHART_JS, requireOptional } from '../../lab/optional_deps.ts';
import type { ProfileJson } from './profile.ts';
import { type Estimate, formatEstimate } from '../../lab/estimate/estimates.ts';
import { formatHz } from '../../lab/estimate/clock.ts';

let chartJs: string | undefined;

/**
 * Chart.js's browser build, read once from node_modules to be inlined. Chart.js is an optional
 * dependency: a command that writes a report calls this before its work (`neededBy` names it in the
 * one line said when it is not installed), so nothing is run or written that the report then lacks.
 */
export function chartJsSource(neededBy = 'the HTML report'): string {
  if (chartJs === undefined) {
    const dir = requireOptional(CHART_JS, neededBy, () => dirname(createRequire(import.meta.url).resolve('chart.js')));
    chartJs = readFileSync(join(dir, 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

/** Model strings (names, paths, command lines) are text, never markup; control characters are shown as escapes. */
export const escapeHtml = (text: string) =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** The page's generator tag: how tinyforge recognises an earlier report it may replace. */
export const REPORT_GENERATOR = 'tinyforge report';
export const isTinyforgeReport = (html: Uint8Array) => Buffer.from(html).includes(`<meta name="generator" content="${REPORT_GENERATOR}">`);

/** Text inside <script> must not close the element early. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

const n = (v: number) => v.toLocaleString('en-US');
const shapes = (list: number[][]) => list.map((s) => `[${s.join('x')}]`).join(' ');
const percent = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '-');

/** How a run is named in a comparison: its target or board, and the model when the two differ. */
export function runLabels(runs: ProfileJson[]): string[] {
  // a run made for a real board (--board nucleo-l4r5zi) is named by it, not by the emulator it ran on
  const place = (r: ProfileJson) => r.estimatedFor?.board ?? r.board ?? r.target;
  const labels = runs.map((r) => (runs.every((x) => x.model === runs[0]!.model) ? place(r) : `${r.model} on ${place(r)}`));
  return labels.map((l, i) => (labels.indexOf(l) !== i || labels.lastIndexOf(l) !== i ? `${l} (run ${i + 1})` : l));
}

/** The static RAM besides the arena (other globals, the harness's buffers), as the build measured it. */
const otherRam = (r: ProfileJson) => Math.max(0, r.memory.ram - r.memory.arena - r.memory.stackInvoke);

function provenanceLine(r: ProfileJson, label: string): string {
  const p = r.provenance;
  if (!p) return `<li><b>${escapeHtml(label)}</b>: made by an unknown tinyforge (no provenance in its JSON)</li>`;
  return `<li><b>${escapeHtml(label)}</b>: tinyforge ${escapeHtml(p.version)}, ${escapeHtml(p.generatedAt)}, <code>${escapeHtml(p.commandLine.join(' '))}</code></li>`;
}

/** Whose capacity the memory table uses: the board each run was measured against (a named real chip, else the emulated board). */
function capacityBoards(runs: ProfileJson[]): string {
  const names = [...new Set(runs.map((r) => r.capacity?.board).filter((b): b is string => b !== undefined))];
  return names.length ? `the capacity of ${escapeHtml(names.join(' / '))}` : "the board's capacity";
}

function memoryTable(runs: ProfileJson[], labels: string[]): string {
  const head = `<tr><th>run</th><th>flash</th><th>of which weights</th><th>code and constants</th><th>flash capacity</th><th>RAM</th><th>arena</th><th>stack</th><th>other static</th><th>RAM capacity</th></tr>`;
  const rows = runs.map((r, i) => {
    const m = r.memory;
    const cap = r.capacity;
    const cell = (v: number, of: number | undefined) => `<td class="n">${n(v)} B${of ? ` (${percent(v, of)})` : ''}</td>`;
    return (
      `<tr><td>${escapeHtml(labels[i]!)}</td>${cell(m.flash, cap?.flash)}${cell(m.flashWeights, cap?.flash)}${cell(m.flash - m.flashWeights, cap?.flash)}` +
      `<td class="n">${cap ? `${n(cap.flash)} B` : '-'}</td>${cell(m.ram, cap?.ram)}${cell(m.arena, cap?.ram)}${cell(m.stackInvoke, cap?.ram)}${cell(otherRam(r), cap?.ram)}` +
      `<td class="n">${cap ? `${n(cap.ram)} B` : '-'}</td></tr>`
    );
  });
  return `<table>\n${head}\n${rows.join('\n')}\n</table>`;
}

/** The estimate kinds the layer table shows, in its column order. */
const LAYER_ESTIMATES: [Estimate['kind'], string][] = [
  ['cycles-estimated', 'est. cycles'],
  ['ms-estimated', 'est. ms'],
  ['uJ-estimated', 'est. &micro;J'],
];

function layerTable(runs: ProfileJson[], labels: string[]): string {
  const base = runs[0]!;
  if (runs.length === 1) {
    // the per-layer estimates of a run made for a real board (absent in JSON written before them)
    const kinds = LAYER_ESTIMATES.filter(([kind]) => base.layers.some((l) => l.estimates?.some((e) => e.kind === kind)));
    const estimated = (l: ProfileJson['layers'][number]) =>
      kinds
        .map(([kind]) => {
          const e = l.estimates?.find((x) => x.kind === kind);
          return `<td class="n est" data-kind="${kind}">${e && !l.alias ? escapeHtml(formatEstimate(e).replace(/ (cycles|ms|uJ)$/, '')) : '-'}</td>`;
        })
        .join('');
    const rows = base.layers.map(
      (l) =>
        `<tr><td>${l.index}</td><td>${escapeHtml(l.op)}</td><td>${escapeHtml(`${shapes(l.inputs)} -> ${shapes(l.outputs)}`)}</td><td><code>${escapeHtml(l.kernel)}</code></td>` +
        `<td class="n">${n(l.macs)}</td><td class="n">${l.alias ? '-' : n(l.count)}</td><td class="n">${l.alias ? '-' : `${(l.share * 100).toFixed(1)}%`}</td>` +
        `<td class="n">${l.macsPerCount === null ? '-' : l.macsPerCount.toFixed(2)}</td><td class="n">${n(l.weightBytes)}</td><td class="n">${n(l.liveBytes)}</td>${estimated(l)}</tr>`,
    );
    return (
      `<table id="layers">\n<tr><th>#</th><th>op</th><th>shapes</th><th>kernel</th><th>MACs</th><th>${base.counter.kind}</th><th>share</th><th>MACs per ${base.counter.kind.replace(/s$/, '')}</th>` +
      `<th>weight flash (B)</th><th>live arena (B)</th>${kinds.map(([, head]) => `<th class="est">${head}</th>`).join('')}</tr>\n${rows.join('\n')}\n</table>` +
      (kinds.length ? `\n${estimateNote(base)}` : '')
    );
  }
  // two runs: the layers side by side, matched by position (the same model, or the same op order)
  const other = runs[1]!;
  const count = Math.max(base.layers.length, other.layers.length);
  // a run made for a real board also shows its estimated ms per layer
  const hasMs = (r: ProfileJson) => r.layers.some((l) => l.estimates?.some((e) => e.kind === 'ms-estimated'));
  const ms = (r: ProfileJson, l: ProfileJson['layers'][number] | undefined) => {
    if (!hasMs(r)) return '';
    const e = l?.estimates?.find((x) => x.kind === 'ms-estimated');
    return `<td class="n est" data-kind="ms-estimated">${e && !l!.alias ? escapeHtml(formatEstimate(e).replace(/ ms$/, '')) : '-'}</td>`;
  };
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = base.layers[i];
    const b = other.layers[i];
    const ratio = a && b && a.count > 0 && !a.alias && !b.alias && base.counter.kind === other.counter.kind ? `${(b.count / a.count).toFixed(2)}x` : '-';
    const side = (l: typeof a) =>
      l
        ? `<td><code>${escapeHtml(l.kernel)}</code></td><td class="n">${l.alias ? '-' : n(l.count)}</td><td class="n">${n(l.weightBytes)}</td><td class="n">${n(l.liveBytes)}</td>`
        : '<td>-</td><td>-</td><td>-</td><td>-</td>';
    rows.push(
      `<tr><td>${i}</td><td>${escapeHtml((a ?? b)!.op)}</td><td class="n">${n((a ?? b)!.macs)}</td>${side(a)}${ms(base, a)}${side(b)}${ms(other, b)}<td class="n">${ratio}</td></tr>`,
    );
  }
  const group = (r: ProfileJson, label: string) => `<th colspan="${hasMs(r) ? 5 : 4}">${escapeHtml(label)}</th>`;
  const sideHead = (r: ProfileJson) =>
    `<th>kernel</th><th>${r.counter.kind}</th><th>weight flash (B)</th><th>live arena (B)</th>${hasMs(r) ? `<th class="est">est. ms (${escapeHtml(r.estimatedFor?.board ?? '')})</th>` : ''}`;
  const notes = runs.filter(hasMs).map(estimateNote).join('\n');
  return (
    `<table>\n<tr><th></th><th></th><th></th>${group(base, labels[0]!)}${group(other, labels[1]!)}<th></th></tr>\n` +
    `<tr><th>#</th><th>op</th><th>MACs</th>${sideHead(base)}${sideHead(other)}<th>${escapeHtml(labels[1]!)} / ${escapeHtml(labels[0]!)}</th></tr>\n` +
    `${rows.join('\n')}\n</table>${notes ? `\n${notes}` : ''}`
  );
}

/** What the estimate columns are: for which board and clock, on what basis; never measurements. */
function estimateNote(r: ProfileJson): string {
  const f = r.estimatedFor;
  if (!f) return '';
  // the bases of the whole inference's figures (a layer's say the same of the layer)
  const shown = new Set(r.layers.flatMap((l) => (l.estimates ?? []).map((e) => e.kind)));
  const bases = (r.estimates ?? []).filter((e) => shown.has(e.kind)).map((e) => `${e.kind}: ${e.basis.replace(/ of the inference /, ' of each layer ')}`);
  return (
    `<p class="est-note">Estimated columns (est.) are estimates for ${escapeHtml(f.board)} (${escapeHtml(f.chip)}) at ${escapeHtml(formatHz(f.clockHz))}, ` +
    `not measurements; the measured figure is the ${escapeHtml(r.counter.kind)} column.</p>\n<ul class="est-note">${bases.map((b) => `<li>${escapeHtml(b)}</li>`).join('')}` +
    `${f.unavailable.map((u) => `<li>${escapeHtml(u.kind)}: unknown (${escapeHtml(u.why)})</li>`).join('')}</ul>`
  );
}

/** The whole-inference estimates of a run, one sentence. */
function estimateSentence(r: ProfileJson): string {
  if (!r.estimatedFor || !r.estimates?.length) return '';
  const parts = r.estimates.map((e) =>
    e.kind === 'battery-inferences-estimated'
      ? `${formatEstimate(e)} on a ${r.estimatedFor!.batteryMah} mAh battery`
      : formatEstimate(e).replace(/uJ$/, '&micro;J'),
  );
  return ` Estimated for ${escapeHtml(r.estimatedFor.board)} at ${escapeHtml(formatHz(r.estimatedFor.clockHz))}: ${parts.map((p) => `<b>${p}</b>`).join(', ')} (estimates, not measurements).`;
}

/** Where the counts come from: the board itself, or the emulator that ran the code for a real board. */
function where(r: ProfileJson): string {
  if (!r.board) return '';
  const real = r.estimatedFor?.board;
  return real && real !== r.board ? ` (run on ${escapeHtml(r.board)}, which emulates the core of ${escapeHtml(real)})` : ` (${escapeHtml(r.board)})`;
}

function headline(runs: ProfileJson[], labels: string[]): string {
  return runs
    .map((r, i) => {
      const unit = r.counter.kind;
      return (
        `<p><b>${escapeHtml(labels[i]!)}</b>: ${escapeHtml(r.model)} on ${escapeHtml(r.target)}${where(r)}, ` +
        `<b>${n(r.perInference)} ${unit}</b> per inference (${escapeHtml(r.counter.source)}), ${n(r.macs)} MACs; ` +
        `arena ${n(r.memory.arena)} B, stack ${n(r.memory.stackInvoke)} B, flash ${n(r.memory.flash)} B (weights ${n(r.memory.flashWeights)} B), RAM ${n(r.memory.ram)} B; ` +
        `outputs ${r.matchesReference ? 'bit-exact with the host reference' : '<b>DIFFER from the host reference</b>'}. ` +
        `Layer figures are net of the profiling hooks (${n(r.hookOverhead.insideLayer)} ${unit} each).${estimateSentence(r)}</p>`
      );
    })
    .join('\n');
}

/** An arena timeline tall enough that each buffer's label is legible: about 26 px per buffer. */
function arenaChartPx(r: ProfileJson): number {
  return Math.min(1600, Math.max(420, 26 * r.plan.buffers.length + 80));
}

/** The report of one run, or of two compared (the first is the baseline). */
export function reportHtml(runs: ProfileJson[]): string {
  if (runs.length < 1 || runs.length > 2) throw new TinyforgeError(`the HTML report shows one run or compares two, got ${runs.length}`);
  const labels = runLabels(runs);
  const units = new Set(runs.map((r) => r.counter.kind));
  const title = runs.length === 1 ? `${runs[0]!.model} on ${labels[0]}` : `${labels[0]} vs ${labels[1]}`;
  // `<` cannot close the script block, and C1 controls and line separators stay escapes
  const data = JSON.stringify({ labels, runs }).replace(/[<\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const timelines = runs
    .map(
      (r, i) =>
        `<h3>${escapeHtml(labels[i]!)}: ${n(r.plan.arena)} B</h3>\n<div class="chart" style="height: ${arenaChartPx(r)}px"><canvas id="arena-chart-${i}"></canvas></div>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="${REPORT_GENERATOR}">
<title>tinyforge: ${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { position: relative; width: 100%; max-width: 1100px; height: 420px; margin-bottom: 2em; }
.chart.small { height: 180px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${headline(runs, labels)}
<ul>
${runs.map((r, i) => provenanceLine(r, labels[i]!)).join('\n')}
</ul>
<h2>Flash and RAM against ${capacityBoards(runs)}</h2>
${memoryTable(runs, labels)}
<div class="chart small"><canvas id="memory-chart"></canvas></div>
<h2>${[...units].join(' / ')} per layer</h2>
${units.size > 1 ? '<p>The runs count different things (instructions on QEMU, cycles on rp2040js): compare their shapes, not their heights.</p>' : ''}
<div class="chart"><canvas id="layers-chart"></canvas></div>
<h2>Layers</h2>
${layerTable(runs, labels)}
<h2>Arena timeline</h2>
<p>Each rectangle is one buffer of the arena, labelled with its tensor: across the layers it lives (x, layer numbers and ops) at the bytes it occupies (y).</p>
${timelines}
<script type="application/json" id="tinyforge-data">${data}</script>
<script>${ERROR_TRAP}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(CHARTS_SCRIPT)}</script>
</body>
</html>
`;
}

/** Records script errors on the page itself, for the headless check. */
const ERROR_TRAP = `window.addEventListener('error', function (e) {
  var body = document.body;
  body.setAttribute('data-errors', (body.getAttribute('data-errors') || '') + (e.message || 'error') + ';');
});`;

/** Draws every chart from the JSON block; plain browser JavaScript. */
const CHARTS_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('tinyforge-data').textContent);
  var runs = data.runs, labels = data.labels, drawn = 0;
  var colours = ['#3b7dd8', '#e07b39', '#4caf50', '#9c27b0', '#f2b705', '#00a6a6', '#d84b6b', '#795548'];
  var layerName = function (l) { return '#' + l.index + ' ' + l.op; };

  // RAM and flash: stacked bars per run, against the capacity where the board has one
  var memLabels = [], parts = { weights: [], code: [], arena: [], stack: [], other: [], free: [] };
  runs.forEach(function (r, i) {
    var cap = r.capacity, m = r.memory;
    memLabels.push(labels[i] + ' flash');
    parts.weights.push(m.flashWeights); parts.code.push(m.flash - m.flashWeights);
    parts.arena.push(0); parts.stack.push(0); parts.other.push(0);
    parts.free.push(cap ? Math.max(0, cap.flash - m.flash) : 0);
    memLabels.push(labels[i] + ' RAM');
    parts.weights.push(0); parts.code.push(0);
    parts.arena.push(m.arena); parts.stack.push(m.stackInvoke); parts.other.push(Math.max(0, m.ram - m.arena - m.stackInvoke));
    parts.free.push(cap ? Math.max(0, cap.ram - m.ram) : 0);
  });
  var showFree = runs.every(function (r) { return r.capacity; });
  // against a capacity, each bar is the share of that memory (linear: 5.6% looks like 5.6%); the
  // tooltip gives the bytes
  var bytes = {};
  Object.keys(parts).forEach(function (k) { bytes[k] = parts[k].slice(); });
  if (showFree) {
    Object.keys(parts).forEach(function (k) {
      parts[k] = parts[k].map(function (v, row) {
        var cap = runs[row >> 1].capacity;
        return 100 * v / (row % 2 === 0 ? cap.flash : cap.ram);
      });
    });
  }
  var memSets = [
    { label: 'weights', data: parts.weights, bytes: bytes.weights, backgroundColor: '#3b7dd8' },
    { label: 'code and other constants', data: parts.code, bytes: bytes.code, backgroundColor: '#9bbbe8' },
    { label: 'arena', data: parts.arena, bytes: bytes.arena, backgroundColor: '#e07b39' },
    { label: 'stack', data: parts.stack, bytes: bytes.stack, backgroundColor: '#f2b705' },
    { label: 'other static RAM', data: parts.other, bytes: bytes.other, backgroundColor: '#f5d48a' }
  ];
  if (showFree) memSets.push({ label: 'free (capacity left)', data: parts.free, bytes: bytes.free, backgroundColor: '#e8e8e8' });
  new Chart(document.getElementById('memory-chart'), {
    type: 'bar',
    data: { labels: memLabels, datasets: memSets },
    options: {
      indexAxis: 'y', animation: false, maintainAspectRatio: false,
      plugins: { tooltip: { callbacks: { label: function (item) {
        var b = item.dataset.bytes[item.dataIndex];
        return item.dataset.label + ': ' + b.toLocaleString('en-US') + ' B' + (showFree ? ' (' + item.raw.toFixed(1) + '%)' : '');
      } } } },
      scales: {
        x: showFree
          ? { stacked: true, type: 'linear', min: 0, max: 100, title: { display: true, text: "share of the board's flash / RAM (%); the grey bar is what it has left" } }
          : { stacked: true, type: 'linear', title: { display: true, text: 'bytes' } },
        y: { stacked: true, ticks: { autoSkip: false } }
      }
    }
  });
  drawn++;

  var longest = runs.reduce(function (a, r) { return r.layers.length > a.layers.length ? r : a; }, runs[0]);
  new Chart(document.getElementById('layers-chart'), {
    type: 'bar',
    data: {
      labels: longest.layers.map(layerName),
      datasets: runs.map(function (r, i) {
        return { label: labels[i] + ' (' + r.counter.kind + ')', data: r.layers.map(function (l) { return l.count; }), backgroundColor: colours[i] };
      })
    },
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: { legend: { display: runs.length > 1 } },
      scales: { y: { title: { display: true, text: runs[0].counter.kind } } }
    }
  });
  drawn++;

  runs.forEach(function (r, ri) {
    var buffers = r.plan.buffers;
    var rectangles = {
      id: 'arenaRectangles' + ri,
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
          if (right - left > 40 && bottom - top > 15) {
            var text = (b.scratchOf === null ? 't' + b.tensors.join(',') + ' ' : '') + b.name + ' (' + b.bytes + ' B)';
            ctx.fillStyle = '#111';
            ctx.font = '13px sans-serif';
            ctx.fillText(text.length > 48 ? text.slice(0, 47) + '…' : text, left + 4, top + 13, right - left - 8);
          }
        });
        ctx.restore();
      }
    };
    new Chart(document.getElementById('arena-chart-' + ri), {
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
          x: {
            type: 'linear', min: -0.5, max: Math.max(0, r.layers.length - 0.5),
            title: { display: true, text: 'layer' },
            // one tick per layer, at the layer (not at the half-layer edges the range starts from)
            afterBuildTicks: function (axis) { axis.ticks = r.layers.map(function (l) { return { value: l.index }; }); },
            ticks: { autoSkip: true, maxRotation: 60, callback: function (v) { var l = r.layers[v]; return l ? layerName(l) : ''; } }
          },
          y: { type: 'linear', min: 0, max: Math.max(r.plan.arena, 1), title: { display: true, text: 'arena offset (bytes)' } }
        }
      },
      plugins: [rectangles]
    });
    drawn++;
  });
  document.body.setAttribute('data-rendered', String(drawn));
})();
`;
