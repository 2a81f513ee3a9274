// SPDX-License-Identifier: Apache-2.0
import { Command, CommanderError } from 'commander';
import { TinyforgeError } from '../errors.ts';
import { inspectCommand } from './inspect.ts';
import { compileCommand } from './compile.ts';
import { runCommand } from './run.ts';
import { targetsCommand } from './targets.ts';
import { profileCommand } from './profile.ts';
import { validateCommand } from './validate.ts';
import { portsCommand } from './ports.ts';
import { flashCommand } from './flash.ts';
import { quantizeCommand } from './quantize.ts';
import { pruneCommand } from './prune.ts';
import { qatCommand } from './qat.ts';
import { distillCommand } from './distill.ts';
import { lowrankCommand } from './lowrank.ts';
import { compressCommand } from './compress.ts';
import { sensitivityCommand } from './sensitivity.ts';
import { palettizeCommand } from './palettize.ts';
import { TOOL_VERSION } from '../codegen/banner.ts';
import { guardStdout, terminalText } from '../report/terminal_text.ts';

const program = new Command()
  .name('tinyforge')
  .description('Compile int8 neural networks to static C for microcontrollers, build, run and profile them')
  .version(TOOL_VERSION)
  // one error line, as every other failure (the help is a --help away)
  .showHelpAfterError(false)
  .exitOverride();

program.addCommand(inspectCommand());
program.addCommand(compileCommand());
program.addCommand(runCommand());
program.addCommand(targetsCommand());
program.addCommand(profileCommand());
program.addCommand(validateCommand());
program.addCommand(portsCommand());
program.addCommand(flashCommand());
program.addCommand(quantizeCommand());
program.addCommand(pruneCommand());
program.addCommand(qatCommand());
program.addCommand(distillCommand());
program.addCommand(lowrankCommand());
program.addCommand(compressCommand());
program.addCommand(sensitivityCommand());
program.addCommand(palettizeCommand());

/**
 * Every failure ends as one line on stderr and a non-zero exit; a stack trace only on request.
 * Messages quote model strings (tensor names, file names): their control characters are shown as
 * escapes, so a name can neither break the line nor send the terminal an escape sequence.
 */
function fail(e: unknown): never {
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

guardStdout();
try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
