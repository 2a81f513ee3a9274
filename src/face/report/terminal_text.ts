// SPDX-License-Identifier: Apache-2.0
/** The stdout guard of the CLI; the escaping itself is the core's (core/terminal_text.ts), errors use it too. */
import { stdoutText } from '../../core/terminal_text.ts';
import { STYLE_SEQUENCES, colorEnabled } from './style.ts';

export { stdoutText, terminalText } from '../../core/terminal_text.ts';

const STYLE = new RegExp(`(${STYLE_SEQUENCES.map((s) => s.replace(/[[\]\\]/g, '\\$&')).join('|')})`);

/**
 * stdoutText, except that style.ts's own color sequences pass: on a terminal with color on they are
 * tinyforge's layout. (A model string holding one of them could at most color some text; every
 * sequence that moves the cursor, retitles or rings is still escaped.)
 */
export function styledStdoutText(text: string): string {
  return text
    .split(STYLE)
    .map((part, i) => (i % 2 === 1 ? part : stdoutText(part)))
    .join('');
}

/**
 * Routes every string the process writes to stdout through stdoutText: one guard for all the
 * commands' reports, tables and JSON, whatever model string they quote. (stderr carries the
 * progress bars' own escape sequences; its messages are escaped where they are made.) With color
 * on (style.ts), its few sequences pass.
 */
export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const guard = colorEnabled(stream) ? styledStdoutText : stdoutText;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? guard(chunk) : chunk, ...rest)) as typeof stream.write;
}
