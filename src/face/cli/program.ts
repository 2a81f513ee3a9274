// SPDX-License-Identifier: Apache-2.0
/** The `tinyforge` command line: every command, with help that marks required options and ends in examples. */
import { Command, Help } from 'commander';
import { inspectCommand } from './inspect.ts';
import { compileCommand } from './compile.ts';
import { runCommand } from './run.ts';
import { targetsCommand } from './targets.ts';
import { boardsCommand } from './boards.ts';
import { profileCommand } from './profile.ts';
import { validateCommand } from './validate.ts';
import { portsCommand } from './ports.ts';
import { monitorCommand } from './monitor.ts';
import { flashCommand } from './flash.ts';
import { quantizeCommand } from './quantize.ts';
import { pruneCommand } from './prune.ts';
import { qatCommand } from './qat.ts';
import { distillCommand } from './distill.ts';
import { lowrankCommand } from './lowrank.ts';
import { tuneCommand } from './tune.ts';
import { compressCommand } from './compress.ts';
import { sensitivityCommand } from './sensitivity.ts';
import { palettizeCommand } from './palettize.ts';
import { reportCommand } from './report.ts';
import { farmCommand } from './farm.ts';
import { TOOL_VERSION } from '../../core/codegen/banner.ts';
import { COMMAND_EXAMPLES } from './examples.ts';
import { initCommand } from './init.ts';
import { completionCommand } from './completion.ts';
import { CONFIG_FILE, CONFIGURED_COMMANDS, applyProjectConfig } from './project_config.ts';

export function createProgram(): Command {
  const program = new Command()
    .name('tinyforge')
    .description('Compile int8 neural networks to static C for microcontrollers, build, run and profile them')
    .version(TOOL_VERSION)
    .option(
      '--config <file>',
      `project file: model, target, board, inputs, budget, prefer, project, out (default: ./${CONFIG_FILE} when present; read by ${CONFIGURED_COMMANDS.join(', ')}; flags win)`,
    )
    // one error line, as every other failure (the help is a --help away)
    .showHelpAfterError(false)
    .exitOverride()
    .hook('preAction', (_program, command) => applyProjectConfig(command, (program.opts() as { config?: string }).config));

  program.addCommand(initCommand(program));

  program.addCommand(inspectCommand());
  program.addCommand(compileCommand());
  program.addCommand(runCommand());
  program.addCommand(targetsCommand());
  program.addCommand(boardsCommand());
  program.addCommand(profileCommand());
  program.addCommand(validateCommand());
  program.addCommand(portsCommand());
  program.addCommand(monitorCommand());
  program.addCommand(flashCommand());
  program.addCommand(quantizeCommand());
  program.addCommand(pruneCommand());
  program.addCommand(qatCommand());
  program.addCommand(distillCommand());
  program.addCommand(lowrankCommand());
  program.addCommand(compressCommand());
  program.addCommand(sensitivityCommand());
  program.addCommand(palettizeCommand());
  program.addCommand(tuneCommand());
  program.addCommand(reportCommand());
  program.addCommand(farmCommand());
  program.addCommand(completionCommand(program));

  // Every command's help (a subcommand's too): required options marked, and examples at the end.
  const plainHelp = new Help();
  // commander's errors stay one line: its "(Did you mean ...?)" joins the error line instead of a second one
  const oneLine = { outputError: (text: string, write: (t: string) => void) => write(text.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')) };
  program.configureOutput(oneLine);
  const descendants = (c: Command): Command[] => c.commands.flatMap((sub) => [sub, ...descendants(sub)]);
  for (const command of descendants(program)) {
    command.configureOutput(oneLine);
    command.configureHelp({
      optionDescription: (option) => {
        const base = plainHelp.optionDescription(option);
        return option.mandatory ? `${base} (required)` : base;
      },
    });
    const examples = command.parent === program ? COMMAND_EXAMPLES[command.name()] : undefined;
    if (examples) command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
  return program;
}
