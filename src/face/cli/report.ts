// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { writeFileAtomically } from '../../lab/output.ts';
import { chartJsSource, isTinyforgeReport, reportHtml, runLabels } from '../report/html.ts';
import { type ProfileJson, readProfileJson } from '../report/profile.ts';
import { formatTable } from '../report/table.ts';
import { jsonLine } from '../report/json_document.ts';

/** The comparison as numbers: totals of each run and, with two, the second over the first. */
export function comparisonJson(runs: ProfileJson[]) {
  const labels = runLabels(runs);
  const totals = runs.map((r, i) => ({
    label: labels[i]!,
    model: r.model,
    target: r.target,
    board: r.board,
    counter: r.counter.kind,
    perInference: r.perInference,
    flash: r.memory.flash,
    flashWeights: r.memory.flashWeights,
    ram: r.memory.ram,
    arena: r.memory.arena,
    matchesReference: r.matchesReference,
  }));
  const [a, b] = runs;
  const ratio = (x: number, y: number) => (x > 0 ? y / x : null);
  return {
    runs: totals,
    ratios:
      a && b
        ? {
            perInference: a.counter.kind === b.counter.kind ? ratio(a.perInference, b.perInference) : null,
            flash: ratio(a.memory.flash, b.memory.flash),
            ram: ratio(a.memory.ram, b.memory.ram),
            arena: ratio(a.memory.arena, b.memory.arena),
          }
        : null,
  };
}

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'one `profile --json` output, or two compared (before/after compression, two targets): a table on the terminal, and with --html the HTML report',
    )
    .argument('<json...>', 'one or two files written by `tinyforge profile MODEL --json > FILE` (the first is the baseline)')
    .option('--html <file>', 'also write the self-contained HTML report to this file')
    .option('--json', 'also print the totals and ratios as one JSON object on stdout')
    .action((files: string[], opts: { html?: string; json?: boolean }) => {
      if (files.length > 2) throw new TinyforgeError(`report shows one run or compares two, got ${files.length} files`);
      if (opts.html) chartJsSource('tinyforge report --html');
      const runs = files.map(readProfileJson);
      if (opts.html) writeFileAtomically(opts.html, reportHtml(runs), isTinyforgeReport);
      const summary = comparisonJson(runs);
      if (opts.json) {
        process.stdout.write(jsonLine('report', summary));
      } else {
        const rows = summary.runs.map((r) => [r.label, `${r.perInference.toLocaleString('en-US')} ${r.counter}`, r.flash, r.ram, r.arena]);
        if (summary.ratios) {
          const x = (v: number | null) => (v === null ? '-' : `${v.toFixed(3)}x`);
          rows.push(['second / first', x(summary.ratios.perInference), x(summary.ratios.flash), x(summary.ratios.ram), x(summary.ratios.arena)]);
        }
        process.stdout.write(`${formatTable(['run', 'per inference', 'flash', 'RAM', 'arena'], rows)}\n`);
      }
      if (opts.html) process.stderr.write(`wrote ${opts.html}\n`);
    });
}
