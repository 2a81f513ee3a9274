// SPDX-License-Identifier: Apache-2.0
/** `tinyforge completion bash|zsh|fish`: scripts made from the command definitions, checked in a real bash. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createProgram } from '../../src/face/cli/program.ts';
import { completionScript } from '../../src/face/cli/completion.ts';
import { listTargets } from '../../src/lab/toolchain/index.ts';
import { describeBoards } from '../../src/face/cli/boards.ts';
import { tinyforge } from '../helpers/cli.ts';

/** What bash's completion function offers for the words typed so far (the last one being completed). */
function bashCompletions(scriptFile: string, words: string[][]): string[][] {
  const calls = words
    .map((w) => {
      const quoted = w.map((x) => `'${x}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${w.length - 1}; COMPREPLY=(); _tinyforge; echo "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  const r = spawnSync('bash', ['-c', `source ${scriptFile}\n${calls}`], { encoding: 'utf8' });
  expect(r.stderr).to.equal('');
  return r.stdout
    .split('\n')
    .slice(0, words.length)
    .map((line) => (line === '' ? [] : line.split(' ')));
}

describe('CLI: completion', () => {
  const program = createProgram();
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tinyforge-completion-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tinyforge completion bash registers a completion function in bash', () => {
    const printed = tinyforge(['completion', 'bash']);
    expect(printed.status, printed.stderr).to.equal(0);
    expect(printed.stdout).to.equal(completionScript(program, 'bash'));
    const r = spawnSync('bash', ['-c', 'source <(node bin/tinyforge.js completion bash); complete -p tinyforge'], { encoding: 'utf8' });
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim()).to.equal('complete -o default -F _tinyforge tinyforge');
    const refused = tinyforge(['completion', 'tcsh']);
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr).to.equal("error: command-argument value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.\n");
  });

  it('bash completes commands, options, and --target/--board values from the targets; files where a value is free', () => {
    const file = join(dir, 'tinyforge.bash');
    writeFileSync(file, completionScript(program, 'bash'));
    const [commands, co, runOptions, targets, boards, afterConfig, sparse, shells, output, model] = bashCompletions(file, [
      ['tinyforge', ''],
      ['tinyforge', 'co'],
      ['tinyforge', 'run', 'model.tflite', '--ta'],
      ['tinyforge', 'compile', 'model.tflite', '--target', ''],
      ['tinyforge', 'run', 'model.tflite', '-b', 'nucleo-'],
      ['tinyforge', '--config', 'project.json', 'profile', '--bo'],
      ['tinyforge', 'inspect', 'm.tflite', '--sparse-kernels', ''],
      ['tinyforge', 'completion', ''],
      ['tinyforge', 'compile', 'm.tflite', '-o', ''],
      ['tinyforge', 'validate', ''],
    ]);
    expect(commands).to.include.members(program.commands.map((c) => c.name()));
    expect(commands).to.include.members(['--config', '--help', '--version']);
    expect(co).to.deep.equal(['compile', 'compress', 'completion']);
    expect(runOptions).to.deep.equal(['--target']);
    expect(targets).to.deep.equal(listTargets());
    expect(boards).to.deep.equal(
      describeBoards()
        .map((b) => b.name)
        .filter((n) => n.startsWith('nucleo-'))
        .sort(),
    );
    expect(boards).to.include('nucleo-l4r5zi');
    expect(afterConfig).to.deep.equal(['--board', '--boards']);
    expect(sparse).to.deep.equal(['off', 'auto', 'force']);
    expect(shells).to.deep.equal(['bash', 'zsh', 'fish']);
    // nothing offered: bash's default (file names) takes over
    expect(output).to.deep.equal([]);
    expect(model).to.deep.equal([]);
  });

  it('zsh and fish scripts name every command and option, and parse in their shell where it is installed', function () {
    const zsh = completionScript(program, 'zsh');
    const fish = completionScript(program, 'fish');
    expect(zsh.startsWith('#compdef tinyforge\n')).to.equal(true);
    for (const c of program.commands) {
      expect(zsh, c.name()).to.include(`\n    ${c.name()})\n`);
      expect(fish, c.name()).to.include(`-n __fish_use_subcommand -a ${c.name()} `);
      for (const o of c.options.filter((x) => x.long && !x.hidden)) {
        expect(fish, `${c.name()} ${o.long}`).to.match(new RegExp(`'__fish_seen_subcommand_from ${c.name()}'.* -l ${o.long!.slice(2)} `));
      }
    }
    expect(fish).to.match(/'__fish_seen_subcommand_from run' -s t -l target -x -a '[^']*\bcortex-m4\b/);
    expect(zsh).to.match(/\{-t,--target\}'\[target\]:value:\([^)]*\bcortex-m4\b/);
    let checked = 0;
    for (const [shell, text, args] of [
      ['zsh', zsh, ['-n']],
      ['fish', fish, ['--no-execute']],
    ] as const) {
      const file = join(dir, `tinyforge.${shell}`);
      writeFileSync(file, text);
      const r = spawnSync(shell, [...args, file], { encoding: 'utf8' });
      if (r.error) continue; // the shell is not installed here
      checked++;
      expect(r.status, `${shell}: ${r.stderr}`).to.equal(0);
    }
    if (checked === 0) console.log('  (zsh and fish are not installed: their scripts are checked as text only)');
  });
});
