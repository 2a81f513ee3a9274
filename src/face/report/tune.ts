// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge tune`'s report: the front of each board as a terminal table, the recipe that rebuilds
 * each point, and the HTML page with one scatter plot per board (accuracy against ms, point size
 * for flash, the dense int8 model and the float model's accuracy marked).
 */
import type { TuneReport } from '../../compress/tune.ts';
import { type Point, formatMHz } from '../../compress/tune_front.ts';
import { chartJsSource, escapeHtml } from './html.ts';
import { formatTable } from './table.ts';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const kb = (b: number) => (b / 1024).toFixed(1);

/** What the recipe does to the model, in a few words. */
export function describeRecipe(p: Pick<Point, 'recipe'>): string {
  const r = p.recipe;
  const parts: string[] = [];
  if (r.channels > 0) parts.push(`${Math.round(r.channels * 100)}% channels pruned`);
  if (r.sensitivityLoss !== undefined) parts.push(`per-layer bits/sparsity (<= ${r.sensitivityLoss} pt)`);
  if (r.weightBits !== undefined) parts.push(`${r.weightBits}-bit weights`);
  if (r.paletteBits !== undefined) parts.push(`${2 ** r.paletteBits}-entry palettes`);
  return parts.length === 0 ? 'dense int8' : parts.join(', ');
}

/** The commands that rebuild and run a point: from its project file, and from its int8 model file with the flags. */
export function pointCommands(p: Point): string[] {
  const clock = ` --clock ${p.build.clockHz / 1e6}MHz`;
  const common = `${p.model} --board ${p.board} --prefer ${p.build.prefer}`;
  const fromFile = p.config ? [`tinyforge run --config ${p.config} --json`, `tinyforge compile --config ${p.config}`] : [];
  return [...fromFile, `tinyforge run ${common}${clock} --json`, `tinyforge compile ${common} -o firmware-${p.board}`];
}

export function formatTuneReport(report: TuneReport): string {
  const lines: string[] = [];
  lines.push(
    `${report.model}: ${report.float ? `float ${pct(report.float.accuracy)}, ` : ''}dense int8 ${pct(report.int8.accuracy)} on ${report.heldOut} held-out samples`,
    `candidates: ${report.candidates.total}; estimated ${report.candidates.estimated}, accuracy measured for ${report.candidates.accuracyMeasured} recipes, ` +
      `built and run ${report.candidates.built}, pruned ${report.candidates.pruned}, failed ${report.candidates.failed}; ${report.seconds.toFixed(0)} s` +
      (report.stopped ? ' (stopped: --resume continues)' : ''),
  );
  for (const b of report.boards) {
    const dense = b.denseInt8;
    const rows = b.front.map((p, i) => [
      String(i + 1),
      p.recipe.id,
      `${p.build.prefer}@${formatMHz(p.build.clockHz)}`,
      pct(p.accuracy),
      p.ms.toFixed(3),
      dense ? `${(dense.ms / p.ms).toFixed(2)}x` : '-',
      kb(p.ram),
      kb(p.flash),
      `${kb(p.flashWeights)} KiB`,
      dense ? `${((p.flashWeights / dense.flashWeights) * 100).toFixed(0)}%` : '-',
    ]);
    lines.push(
      '',
      formatTable(
        ['#', 'recipe', 'build', 'accuracy', 'est. ms', 'speed-up', 'RAM KiB', 'flash KiB', 'weights', 'of int8'],
        rows,
        `${b.board} (${b.target}): ${b.front.length} point${b.front.length === 1 ? '' : 's'} on the front of ${b.measured.length} measured`,
      ),
    );
    const inexact = b.measured.filter((p) => p.bitExact.matched !== p.bitExact.total);
    const samples = [...new Set(b.measured.map((p) => p.bitExact.total))].join(' or ');
    lines.push(
      inexact.length === 0
        ? `bit-exact: every output of the ${b.measured.length} points measured equals the host reference (${samples} samples each)`
        : `NOT bit-exact: ${inexact.map((p) => `${p.id} (${p.bitExact.matched}/${p.bitExact.total})`).join(', ')}`,
    );
    for (const f of b.failed) lines.push(`${f.id} on ${b.board}: ${f.reason}`);
    const recipes = [...new Map(b.front.map((p) => [p.recipe.id, describeRecipe(p)])).entries()];
    if (recipes.length > 0) lines.push(`recipes: ${recipes.map(([id, what]) => `${id} = ${what}`).join('; ')}`);
  }
  const pickable = report.boards.flatMap((b) => b.front.slice(0, 1));
  if (pickable.length > 0) {
    lines.push('', 'rebuild a point from its project file or its model (--pick BOARD:N writes its firmware):');
    for (const p of pickable) lines.push(...pointCommands(p).map((c) => `  ${c}`));
  }
  return lines.join('\n');
}

/** The `--json` document's body: the report with each point's commands. */
export function tuneJson(report: TuneReport): object {
  const point = (p: Point) => ({ ...p, what: describeRecipe(p), commands: pointCommands(p) });
  return {
    ...report,
    boards: report.boards.map((b) => ({
      ...b,
      front: b.front.map(point),
      measured: b.measured.map(point),
      denseInt8: b.denseInt8 ? point(b.denseInt8) : null,
    })),
  };
}

/** Text inside <script> must not close the element early. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

export function tuneHtml(report: TuneReport): string {
  const data = scriptSafe(
    JSON.stringify({
      float: report.float ? report.float.accuracy : null,
      boards: report.boards.map((b) => ({
        board: b.board,
        front: b.front.map((p) => ({ id: p.id, accuracy: p.accuracy, ms: p.ms, flash: p.flash, ram: p.ram })),
        others: b.measured.filter((p) => !b.front.includes(p)).map((p) => ({ id: p.id, accuracy: p.accuracy, ms: p.ms, flash: p.flash, ram: p.ram })),
        dense: b.denseInt8 ? { id: b.denseInt8.id, accuracy: b.denseInt8.accuracy, ms: b.denseInt8.ms, flash: b.denseInt8.flash } : null,
      })),
    }),
  );
  const sections = report.boards
    .map(
      (b, i) => `<h2>${escapeHtml(b.board)} (${escapeHtml(b.target)})</h2>
<div class="chart"><canvas id="tune-chart-${i}"></canvas></div>
<table><tr><th>#</th><th>recipe</th><th>what</th><th>build</th><th>accuracy</th><th>est. ms</th><th>RAM</th><th>flash</th><th>bit-exact</th></tr>
${b.front
  .map(
    (p, k) =>
      `<tr><td class="n">${k + 1}</td><td>${escapeHtml(p.recipe.id)}</td><td>${escapeHtml(describeRecipe(p))}</td><td>${escapeHtml(`${p.build.prefer}@${formatMHz(p.build.clockHz)}`)}</td>` +
      `<td class="n">${pct(p.accuracy)}</td><td class="n">${p.ms.toFixed(3)}</td><td class="n">${p.ram}</td><td class="n">${p.flash}</td><td class="n">${p.bitExact.matched}/${p.bitExact.total}</td></tr>`,
  )
  .join('\n')}
</table>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="tinyforge tune">
<title>${escapeHtml(`tinyforge tune: ${report.model}`)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { position: relative; width: 100%; max-width: 1100px; height: 420px; margin-bottom: 1em; }
</style>
</head>
<body>
<h1>${escapeHtml(`tinyforge tune: ${report.model}`)}</h1>
<p>Each board's measured points: held-out accuracy against the estimated ms per inference; the size of a point grows with its flash (from the smallest flash of the report to the largest). The front is drawn in colour, the other measured points in grey; the dense int8 model is the square, the float model's accuracy the dashed line.</p>
${sections}
<script type="application/json" id="tinyforge-data">${data}</script>
<script>${ERROR_TRAP}</script>
<script>${scriptSafe(chartJsSource('tinyforge tune --html'))}</script>
<script>${scriptSafe(SCATTER_SCRIPT)}</script>
</body>
</html>
`;
}

/** Records script errors on the page itself, for the headless check. */
const ERROR_TRAP = `window.addEventListener('error', function (e) {
  var body = document.body;
  body.setAttribute('data-errors', (body.getAttribute('data-errors') || '') + (e.message || 'error') + ';');
});`;

/** One scatter per board; plain browser JavaScript. */
const SCATTER_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('tinyforge-data').textContent);
  var drawn = 0;
  var minFlash = Infinity, maxFlash = 0;
  data.boards.forEach(function (b) { b.front.concat(b.others).forEach(function (p) { minFlash = Math.min(minFlash, p.flash); maxFlash = Math.max(maxFlash, p.flash); }); });
  // from the smallest flash of the report to the largest
  var radius = function (p) { return 4 + 16 * (maxFlash > minFlash ? (p.flash - minFlash) / (maxFlash - minFlash) : 0.5); };
  var xy = function (p) { return { x: p.ms, y: 100 * p.accuracy, id: p.id, flash: p.flash, ram: p.ram }; };
  data.boards.forEach(function (b, i) {
    var all = b.front.concat(b.others);
    var lo = Math.min.apply(null, all.map(function (p) { return p.ms; })), hi = Math.max.apply(null, all.map(function (p) { return p.ms; }));
    var sets = [
      { label: 'front', data: b.front.map(xy), backgroundColor: 'rgba(59,125,216,0.6)', borderColor: '#3b7dd8', pointRadius: b.front.map(radius), showLine: false },
      { label: 'other measured points', data: b.others.map(xy), backgroundColor: 'rgba(150,150,150,0.4)', borderColor: '#999', pointRadius: b.others.map(radius), showLine: false }
    ];
    if (data.float !== null) sets.push({ label: 'float model accuracy', type: 'line', data: [{ x: lo, y: 100 * data.float }, { x: hi, y: 100 * data.float }], borderColor: '#e07b39', borderDash: [6, 4], pointRadius: 0, fill: false });
    if (b.dense) sets.push({ label: 'dense int8', data: [xy(b.dense)], backgroundColor: 'rgba(76,175,80,0.7)', borderColor: '#2e7d32', pointStyle: 'rect', pointRadius: radius(b.dense) });
    new Chart(document.getElementById('tune-chart-' + i), {
      type: 'scatter',
      data: { datasets: sets },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { x: { title: { display: true, text: 'estimated ms per inference' } }, y: { title: { display: true, text: 'held-out accuracy (%)' } } },
        plugins: { tooltip: { callbacks: { label: function (c) { var p = c.raw; return (p.id || c.dataset.label) + ': ' + p.y.toFixed(2) + '%, ' + p.x.toFixed(3) + ' ms' + (p.flash ? ', flash ' + p.flash + ' B' : ''); } } } }
      }
    });
    drawn++;
  });
  document.body.setAttribute('data-rendered', String(drawn));
})();
`;
