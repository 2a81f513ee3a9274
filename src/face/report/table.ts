// SPDX-License-Identifier: Apache-2.0
/** A plain-text table: columns sized to their widest cell, numbers right-aligned. */
export function formatTable(header: string[], rows: (string | number)[][], title?: string): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const numeric = header.map((_, col) => rows.length > 0 && rows.every((r) => typeof r[col] === 'number'));
  const widths = header.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, col) => (numeric[col] ? c.padStart(widths[col]!) : c.padEnd(widths[col]!)))
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
