// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge completion bash|zsh|fish`: a completion script made from the command definitions
 * themselves (commands, options, their choices) and the target descriptors (--target, --board), so
 * it can never offer a flag the CLI does not take. Values with no fixed set (files, numbers)
 * fall back to the shell's file completion.
 */
import { Argument, Command, type Option } from 'commander';
import { listTargets, loadTarget } from '../../lab/toolchain/index.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  long: string | null;
  short: string | null;
  takesValue: boolean;
  /** the values to offer; null: any value (files) */
  values: string[] | null;
  description: string;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** the values of the first argument when it has a fixed set (completion's shell); null: files */
  argumentValues: string[] | null;
}

/** The names --target and --board accept, from the target descriptors. */
function targetValues(): { targets: string[]; boards: string[] } {
  const targets = listTargets();
  const boards = new Set<string>();
  for (const t of targets) for (const b of loadTarget(t).boards) boards.add(b.name);
  return { targets, boards: [...boards].sort() };
}

function optionSpecs(options: readonly Option[], values: { targets: string[]; boards: string[] }): OptionSpec[] {
  const specs = options
    .filter((o) => !o.hidden)
    .map((o) => ({
      long: o.long ?? null,
      short: o.short ?? null,
      takesValue: o.required || o.optional,
      values: o.argChoices ?? (o.long === '--target' ? values.targets : o.long === '--board' ? values.boards : null),
      description: o.description,
    }));
  return [...specs, { long: '--help', short: '-h', takesValue: false, values: null, description: 'display help for command' }];
}

function commandSpecs(program: Command): { global: OptionSpec[]; commands: CommandSpec[] } {
  const values = targetValues();
  return {
    global: optionSpecs(program.options, values),
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      options: optionSpecs(c.options, values),
      argumentValues: c.registeredArguments[0]?.argChoices ?? null,
    })),
  };
}

/** The first clause of a description: a completion menu has one short line per entry. */
function summary(text: string): string {
  const first = text.split(/[;:(]/)[0]!.trim();
  return first.length > 70 ? `${first.slice(0, 67).trimEnd()}...` : first;
}

const flags = (o: OptionSpec) => [o.short, o.long].filter((f): f is string => f !== null);

function bashScript(spec: ReturnType<typeof commandSpecs>): string {
  const words = (list: string[]) => list.join(' ');
  const valueCases = (options: OptionSpec[], indent: string) => {
    const lines: string[] = [];
    for (const o of options.filter((x) => x.takesValue)) {
      const reply = o.values ? `COMPREPLY=($(compgen -W "${words(o.values)}" -- "$cur"))` : 'COMPREPLY=()';
      lines.push(`${indent}${flags(o).join('|')}) ${reply}; return 0 ;;`);
    }
    return lines;
  };
  const globalValueFlags = spec.global.filter((o) => o.takesValue).flatMap(flags);
  const lines = [
    '# tinyforge completion for bash: source <(tinyforge completion bash)',
    '_tinyforge() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in',
    ...(globalValueFlags.length ? [`      ${globalValueFlags.join('|')}) ((i++)) ;;`] : []),
    '      -*) ;;',
    '      *) cmd="${COMP_WORDS[i]}"; break ;;',
    '    esac',
    '  done',
    '  case "$cmd" in',
    '    "")',
    '      case "$prev" in',
    ...valueCases(spec.global, '        '),
    '      esac',
    `      COMPREPLY=($(compgen -W "${words([...spec.commands.map((c) => c.name), ...spec.global.flatMap(flags)])}" -- "$cur"))`,
    '      ;;',
  ];
  for (const c of spec.commands) {
    lines.push(
      `    ${c.name})`,
      '      case "$prev" in',
      ...valueCases(c.options, '        '),
      '      esac',
      // arguments are files (models, data): an empty reply falls back to them (-o default)
      `      [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "${words(c.options.flatMap(flags))}" -- "$cur"))`,
      ...(c.argumentValues ? [`      [[ "$cur" == -* ]] || COMPREPLY=($(compgen -W "${words(c.argumentValues)}" -- "$cur"))`] : []),
      '      ;;',
    );
  }
  lines.push('  esac', '  return 0', '}', 'complete -o default -F _tinyforge tinyforge', '');
  return lines.join('\n');
}

/** Text inside a zsh single-quoted _arguments spec: no quote, and no bracket or colon of the spec's own syntax. */
const zshText = (text: string) => summary(text).replace(/'/g, '').replace(/\[/g, '(').replace(/]/g, ')').replace(/:/g, '\\:');

function zshScript(spec: ReturnType<typeof commandSpecs>): string {
  const optionSpecLines = (options: OptionSpec[]) =>
    options.map((o) => {
      const names = flags(o);
      const name = names.length > 1 ? `{${names.join(',')}}` : names[0]!;
      const action = !o.takesValue ? '' : o.values ? `:value:(${o.values.join(' ')})` : ':value:_files';
      return `      ${names.length > 1 ? `'(${names.join(' ')})'` : ''}${name}'[${zshText(o.description)}]${action}'`;
    });
  const lines = [
    '#compdef tinyforge',
    '# tinyforge completion for zsh: source <(tinyforge completion zsh)',
    '_tinyforge() {',
    '  local -a commands',
    '  commands=(',
    ...spec.commands.map((c) => `    '${c.name}:${zshText(c.description)}'`),
    '  )',
    '  if (( CURRENT == 2 )); then',
    "    _describe 'command' commands",
    '    return',
    '  fi',
    '  case $words[2] in',
  ];
  for (const c of spec.commands) {
    lines.push(
      `    ${c.name})`,
      '      _arguments \\',
      ...optionSpecLines(c.options).map((l) => `${l} \\`),
      c.argumentValues ? `      '1:value:(${c.argumentValues.join(' ')})'` : "      '*:file:_files'",
      '      ;;',
    );
  }
  lines.push('  esac', '}', 'compdef _tinyforge tinyforge', '');
  return lines.join('\n');
}

const fishText = (text: string) => `'${summary(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishScript(spec: ReturnType<typeof commandSpecs>): string {
  const optionLine = (o: OptionSpec, condition: string) => {
    const parts = [`complete -c tinyforge -n ${condition}`];
    if (o.short) parts.push(`-s ${o.short.slice(1)}`);
    if (o.long) parts.push(`-l ${o.long.slice(2)}`);
    if (o.takesValue) parts.push(o.values ? `-x -a '${o.values.join(' ')}'` : '-r -F');
    parts.push(`-d ${fishText(o.description)}`);
    return parts.join(' ');
  };
  const lines = ['# tinyforge completion for fish: tinyforge completion fish | source', 'complete -c tinyforge -f'];
  for (const c of spec.commands) lines.push(`complete -c tinyforge -n __fish_use_subcommand -a ${c.name} -d ${fishText(c.description)}`);
  for (const o of spec.global) lines.push(optionLine(o, '__fish_use_subcommand'));
  for (const c of spec.commands) {
    const condition = `'__fish_seen_subcommand_from ${c.name}'`;
    // the arguments are files
    lines.push(`complete -c tinyforge -n ${condition} ${c.argumentValues ? `-x -a '${c.argumentValues.join(' ')}'` : '-F'}`);
    for (const o of c.options) lines.push(optionLine(o, condition));
  }
  lines.push('');
  return lines.join('\n');
}

export function completionScript(program: Command, shell: Shell): string {
  const spec = commandSpecs(program);
  return shell === 'bash' ? bashScript(spec) : shell === 'zsh' ? zshScript(spec) : fishScript(spec);
}

export function completionCommand(program: Command): Command {
  return new Command('completion')
    .description('print a shell completion script for tinyforge: commands, options, targets and boards')
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(SHELLS))
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell as Shell));
    });
}
