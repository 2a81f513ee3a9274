// SPDX-License-Identifier: Apache-2.0
import type { OriginalComparison } from '../../compress/validate_original.ts';
import { basename } from 'node:path';
import { formatTable } from './table.ts';

/** The widest line the terminal report prints: a wider matrix is left to `--json`. */
const COLUMNS = 100;

const figure = (v: number) => (Number.isFinite(v) ? (v === 0 || Math.abs(v) >= 1e-4 ? v.toFixed(4) : v.toExponential(2)) : String(v));
const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The terminal report of `validate --original`: distances per output, accuracy, the confusion matrix. */
export function formatOriginalComparison(r: OriginalComparison): string {
  const lines = [
    // file names, not paths: a line fits a terminal (--json carries the paths)
    `${basename(r.model)} on ${r.board ?? r.target} against ${basename(r.original)}: ${r.inputs} input${r.inputs === 1 ? '' : 's'} of ${basename(r.data)}`,
    '',
    formatTable(
      ['output', 'elements', 'RMSE', 'MAE', 'L2 relative', 'cosine'],
      r.outputs.map((o) => [`${o.output} "${o.name}"`, o.elements, figure(o.rmse), figure(o.mae), figure(o.l2Relative), figure(o.cosine)]),
    ),
  ];
  const c = r.classes;
  if (c) {
    lines.push('');
    const count = (share: number) => `${Math.round(share * r.inputs)}/${r.inputs}`;
    if (c.accuracy)
      lines.push(
        `accuracy: int8 ${percent(c.accuracy.compiled)} (${count(c.accuracy.compiled)}), original ${percent(c.accuracy.original)} (${count(c.accuracy.original)})`,
      );
    else lines.push('accuracy: no true classes (an .npz/.csv label, an image folder, or --labels-file for a .npy)');
    lines.push(`int8 top-1 = original top-1: ${percent(c.agreement)} (${count(c.agreement)})`);
    lines.push('');
    const matrix = confusionTable(c);
    if (matrix === null) lines.push(`confusion matrix: ${c.count} classes, too wide to print (--json carries it)`);
    else {
      lines.push(`confusion matrix: rows ${c.rows === 'truth' ? 'the true class' : "the original's top-1"}, columns int8's top-1`);
      lines.push(matrix);
    }
  }
  lines.push(
    '',
    r.bitExact.matched === r.bitExact.total
      ? `int8 outputs on ${r.board ?? r.target}: all ${r.bitExact.total} bit-exact with the host reference`
      : `MISMATCH: ${r.bitExact.total - r.bitExact.matched} of ${r.bitExact.total} int8 outputs differ from the host reference on ${r.board ?? r.target}`,
  );
  return lines.join('\n');
}

/**
 * The confusion matrix as a table within the terminal's width: labels as row and column names, else
 * class numbers as column names (rows `3 cat`); null when even that is too wide.
 */
function confusionTable(c: NonNullable<OriginalComparison['classes']>): string | null {
  const fits = (table: string) => table.split('\n').every((line) => line.length <= COLUMNS);
  const label = (i: number) => (c.labels ? c.labels[i]!.slice(0, 12) : String(i));
  const named = formatTable(
    ['', ...c.confusion.map((_, i) => label(i))],
    c.confusion.map((row, i) => [label(i), ...row]),
  );
  if (fits(named)) return named;
  const numbered = formatTable(
    ['', ...c.confusion.map((_, i) => String(i))],
    c.confusion.map((row, i) => [c.labels ? `${i} ${label(i)}` : String(i), ...row]),
  );
  return fits(numbered) ? numbered : null;
}
