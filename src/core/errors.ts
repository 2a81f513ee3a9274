// SPDX-License-Identifier: Apache-2.0
import { terminalText } from './terminal_text.ts';

/**
 * An error meant for the user: its message is one line that names the file, op or tensor at fault.
 * The CLI prints `error: <message>` and exits non-zero without a stack trace; anything else that
 * escapes is a bug in tinyforge and is reported as such.
 */
export class TinyforgeError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    // one line whoever prints it (the CLI, a library caller's log): model strings quoted in the
    // message (tensor and op names, paths) have their control characters shown as escapes
    super(terminalText(message));
    this.name = 'TinyforgeError';
  }
}

/** A problem with one op of a model (unsupported attribute, wrong dtype, bad shape). */
export class OpError extends TinyforgeError {
  constructor(
    readonly opIndex: number,
    readonly opKind: string,
    detail: string,
  ) {
    super(`op ${opIndex} (${opKind}): ${detail}`);
    this.name = 'OpError';
  }
}
