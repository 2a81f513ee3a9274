// SPDX-License-Identifier: Apache-2.0
/**
 * The terminal layout every command's human output follows: no line wider than TERMINAL_COLUMNS,
 * prose wrapped at word boundaries, tables narrowed by eliding their widest free-text cells. The
 * full texts stay in `--json`, `--verbose` and the HTML; errors stay one line (main.ts).
 */

/** The widest line a command prints: fits an 80-column terminal's common wider setting and a split pane. */
export const TERMINAL_COLUMNS = 100;

/** The select graphic rendition sequences of style.ts: they take no column. */
const SGR = /\x1b\[[0-9;]*m/g;

/** Columns a string takes on the terminal: one per code point, styling excluded. */
export function columns(text: string): number {
  let n = 0;
  for (const _ of text.replace(SGR, '')) n++;
  return n;
}

/** `text` cut to `width` columns with an ellipsis where it was cut: at its end, or at its start (`…ends/like/this`). */
export function elide(text: string, width: number, from: 'end' | 'start' = 'end'): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  return from === 'end' ? `${chars.slice(0, width - 1).join('')}…` : `…${chars.slice(chars.length - width + 1).join('')}`;
}

/**
 * One paragraph wrapped at word boundaries: the first line starts with `first` (a label, or an
 * indent), the next ones with `rest`; a word wider than a whole line is cut across lines.
 */
export function wrap(text: string, width = TERMINAL_COLUMNS, first = '', rest = first): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const room = () => width - columns(line);
  for (let word of text.split(/ +/).filter((w) => w !== '')) {
    if (!empty && columns(word) + 1 > room()) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    if (!empty) line += ' ';
    // a path or a long token: cut where the line ends
    while (columns(word) > room() && room() > 0 && empty) {
      const chars = [...word];
      const fits = room();
      lines.push(line + chars.slice(0, fits).join(''));
      word = chars.slice(fits).join('');
      line = rest;
    }
    line += word;
    empty = false;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd()).join('\n');
}

/**
 * Every line of a multi-line text wrapped at `width`, each keeping its own leading indent (two
 * more spaces on its continuation lines, so a wrapped item reads as one). Lines that fit are kept as they are.
 */
export function wrapLines(text: string, width = TERMINAL_COLUMNS): string {
  return text
    .split('\n')
    .map((line) => {
      if (columns(line) <= width) return line;
      const indent = /^ */.exec(line)![0];
      return wrap(line.slice(indent.length), width, indent, `${indent}  `);
    })
    .join('\n');
}

/** `label  value` lines, the labels in one column and each value wrapped under itself. */
export function factLines(facts: [string, string][], width = TERMINAL_COLUMNS): string {
  const labelWidth = Math.max(0, ...facts.map(([k]) => columns(k)));
  const hang = ' '.repeat(labelWidth + 2);
  return facts.map(([k, v]) => wrap(v, width, `${k}${' '.repeat(labelWidth - columns(k))}  `, hang)).join('\n');
}
