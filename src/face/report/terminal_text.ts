// SPDX-License-Identifier: Apache-2.0
/** The stdout guard of the CLI; the escaping itself is the core's (core/terminal_text.ts), errors use it too. */
import { stdoutText } from '../../core/terminal_text.ts';

export { stdoutText, terminalText } from '../../core/terminal_text.ts';

/**
 * Routes every string the process writes to stdout through stdoutText: one guard for all the
 * commands' reports, tables and JSON, whatever model string they quote. (stderr carries the
 * progress bars' own escape sequences; its messages are escaped where they are made.)
 */
export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? stdoutText(chunk) : chunk, ...rest)) as typeof stream.write;
}
