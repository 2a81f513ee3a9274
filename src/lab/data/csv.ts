// SPDX-License-Identifier: Apache-2.0
/**
 * Numeric CSV tables: one sample per row, comma-separated (double-quoted fields allowed), an
 * optional header row (detected: a first row with any non-numeric field).
 */
import { TinyforgeError } from '../../core/errors.ts';

export interface CsvTable {
  /** column names; `column 0`, `column 1`, ... without a header */
  columns: string[];
  rows: number[][];
}

function splitLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  fields.push(field.trim());
  return fields;
}

const isNumber = (s: string) => s !== '' && Number.isFinite(Number(s));

export function parseCsv(text: string, source: string): CsvTable {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ fields: splitLine(l), line: i + 1, empty: l.trim() === '' }))
    .filter((l) => !l.empty);
  if (lines.length === 0) throw new TinyforgeError(`${source}: empty CSV file`);
  const hasHeader = lines[0]!.fields.some((f) => !isNumber(f));
  const width = lines[0]!.fields.length;
  const columns = hasHeader ? lines[0]!.fields : Array.from({ length: width }, (_, i) => `column ${i}`);
  const rows = lines.slice(hasHeader ? 1 : 0).map(({ fields, line }) => {
    if (fields.length !== width) throw new TinyforgeError(`${source}: line ${line} has ${fields.length} fields, expected ${width}`);
    return fields.map((f, c) => {
      if (!isNumber(f)) throw new TinyforgeError(`${source}: line ${line}, column "${columns[c]}": "${f}" is not a number`);
      return Number(f);
    });
  });
  if (rows.length === 0) throw new TinyforgeError(`${source}: the CSV file has a header but no data rows`);
  return { columns, rows };
}
