// SPDX-License-Identifier: Apache-2.0
import { CommanderError } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { installInterruptHandlers } from '../../lab/lifecycle.ts';
import { stopActiveSteps } from './steps.ts';
import { createProgram } from './program.ts';
import { guardStdout, terminalText } from '../report/terminal_text.ts';

const program = createProgram();

/**
 * Every failure ends as one line on stderr and a non-zero exit; a stack trace only on request.
 * Messages quote model strings (tensor names, file names): their control characters are shown as
 * escapes, so a name can neither break the line nor send the terminal an escape sequence.
 */
function fail(e: unknown): never {
  stopActiveSteps();
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof TinyforgeError) {
    process.stderr.write(`error: ${terminalText(e.message)}\n`);
    process.exit(e.exitCode);
  }
  const message = terminalText(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  process.stderr.write(`internal error: ${message} (a tinyforge bug: please report it; TINYFORGE_DEBUG=1 shows the stack)\n`);
  if (process.env.TINYFORGE_DEBUG) console.error(e);
  process.exit(70);
}

installInterruptHandlers();
guardStdout();

// no top-level await: dist/cli.cjs, the bundle bin/tinyforge.js runs, is CommonJS (scripts/build.mjs)
program.parseAsync(process.argv).catch(fail);
