// SPDX-License-Identifier: Apache-2.0
import { TERMINAL_COLUMNS, columns, elide } from './layout.ts';

/** Which columns a table may narrow to fit its width, and from which side their cells are cut. */
export interface TableFit {
  /** the widest the table may be (default TERMINAL_COLUMNS) */
  width?: number;
  /** free-text columns, cut from their end (kernel names) or their start (tensor names: their tail tells them apart) */
  shrink: { column: number; from?: 'start' | 'end'; min?: number }[];
}

/** A plain-text table: columns sized to their widest cell, numbers right-aligned; narrowed to `fit` when given. */
export function formatTable(header: string[], rows: (string | number)[][], title?: string, fit?: TableFit): string {
  let cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const numeric = header.map((_, col) => rows.length > 0 && rows.every((r) => typeof r[col] === 'number'));
  const widths = header.map((_, col) => Math.max(...cells.map((r) => columns(r[col] ?? ''))));
  if (fit) {
    const limit = fit.width ?? TERMINAL_COLUMNS;
    let excess = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - limit;
    // the free-text columns give up columns in the order listed, each down to its header or its minimum
    for (const s of fit.shrink) {
      const floor = Math.max(columns(header[s.column]!), s.min ?? 8);
      const cut = Math.max(0, Math.min(excess, widths[s.column]! - floor));
      widths[s.column]! -= cut;
      excess -= cut;
    }
    cells = cells.map((r) =>
      r.map((c, col) => {
        const shrink = fit.shrink.find((s) => s.column === col);
        return shrink ? elide(c, widths[col]!, shrink.from) : c;
      }),
    );
  }
  const pad = (c: string, w: number, right: boolean) => {
    const gap = ' '.repeat(Math.max(0, w - columns(c)));
    return right ? gap + c : c + gap;
  };
  const line = (r: string[]) =>
    r
      .map((c, col) => pad(c, widths[col]!, numeric[col]!))
      .join('  ')
      .trimEnd();
  const out = [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  return (title ? `${title}\n` : '') + out.join('\n');
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}

export function formatBytes(n: number): string {
  return n >= 1024 ? `${n.toLocaleString('en-US')} (${(n / 1024).toFixed(1)} KiB)` : `${n}`;
}
