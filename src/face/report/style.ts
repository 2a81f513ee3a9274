// SPDX-License-Identifier: Apache-2.0
/**
 * Color on the terminal: bold headers, green for what fits or matches, red for what does not. Only
 * on a terminal (stdout a TTY) and only without NO_COLOR (https://no-color.org): a pipe, a file or
 * a test reads plain text. Plain ANSI codes, the few this file names and nothing else, so the
 * stdout guard (terminal_text.ts) can let exactly these through and escape any other.
 */

export interface Style {
  enabled: boolean;
  bold(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

/** The sequences Style writes, and the only escape sequences stdout carries. */
export const STYLE_SEQUENCES = ['\x1b[1m', '\x1b[22m', '\x1b[31m', '\x1b[32m', '\x1b[39m'] as const;

const wrap = (on: string, off: string) => (text: string) => (text === '' ? text : `${on}${text}${off}`);

export const PLAIN: Style = { enabled: false, bold: (t) => t, good: (t) => t, bad: (t) => t };

const COLOR: Style = { enabled: true, bold: wrap('\x1b[1m', '\x1b[22m'), good: wrap('\x1b[32m', '\x1b[39m'), bad: wrap('\x1b[31m', '\x1b[39m') };

/** Whether a stream gets color: a TTY, and NO_COLOR unset or empty. */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** The style for stdout (or `stream`): colored on a terminal, plain otherwise. */
export function styleFor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): Style {
  return colorEnabled(stream, env) ? COLOR : PLAIN;
}
