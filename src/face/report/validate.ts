// SPDX-License-Identifier: Apache-2.0
import type { OriginalComparison } from '../../compress/validate_original.ts';
import { basename } from 'node:path';
import { formatTable } from './table.ts';

/** Classes beyond this many make a matrix wider than a terminal: `--json` carries it whole. */
const MATRIX_CLASSES = 16;

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
    if (c.count > MATRIX_CLASSES) lines.push(`confusion matrix: ${c.count} classes, too many to print (--json carries it)`);
    else {
      const name = (i: number) => (c.labels ? c.labels[i]!.slice(0, 12) : String(i));
      lines.push(`confusion matrix: rows ${c.rows === 'truth' ? 'the true class' : "the original's top-1"}, columns int8's top-1`);
      lines.push(
        formatTable(
          ['', ...c.confusion.map((_, i) => name(i))],
          c.confusion.map((row, i) => [name(i), ...row]),
        ),
      );
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
