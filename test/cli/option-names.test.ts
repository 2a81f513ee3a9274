// SPDX-License-Identifier: Apache-2.0
/**
 * One name for one thing on the command line, checked on every command and subcommand of the real
 * program: a concept has one option name wherever it is taken (the flag a user types after another
 * command then works), its other spellings are hidden aliases that set the very same option
 * (src/face/cli/option-aliases.ts), and a detector flags names that differ only by a plural, an
 * abbreviation, a hyphen or a known synonym unless they are listed below as different concepts.
 * The same flag with other placeholders or meanings on different commands is not judged here.
 */
import { expect } from 'chai';
import type { Command, Option } from 'commander';
import { createProgram } from '../../src/face/cli/program.ts';
import { AliasOption } from '../../src/face/cli/option-aliases.ts';
import { SHELLS, completionScript } from '../../src/face/cli/completion.ts';
import { tinyforge } from '../helpers/cli.ts';

interface Placed {
  path: string;
  command: Command;
}

/** Every command of the program by its path ('farm sweep'); the program itself is 'tinyforge'. */
function commandsOf(command: Command, path: string[] = []): Placed[] {
  const here = [...path, command.name()];
  return [{ path: here.slice(1).join(' ') || here[0]!, command }, ...command.commands.flatMap((c) => commandsOf(c, here))];
}

const isAlias = (o: Option): o is AliasOption => o instanceof AliasOption;
/** The names a user sees: the options in the help, not the aliases. */
const primary = (c: Command) => c.options.filter((o) => !o.hidden && o.long !== undefined);

/**
 * The concepts that have (or had, or invite) more than one spelling: the one name, and the other
 * spellings, which are never an option of their own. `aliasEverywhere`: every command taking the
 * name takes each other spelling too (they were the name on some commands); `elsewhere`: another
 * spelling that is the name of a different concept on some commands.
 */
interface Concept {
  what: string;
  name: string;
  others: string[];
  aliasEverywhere?: boolean;
  elsewhere?: Record<string, string>;
}

const CONCEPTS: Concept[] = [
  { what: "the farm's Redis URL", name: '--farm', others: ['--redis', '--redis-url', '--farm-url'], aliasEverywhere: true },
  { what: "TLS to the farm's Redis", name: '--farm-tls', others: ['--redis-tls'], aliasEverywhere: true },
  { what: "the CA of the farm's Redis", name: '--farm-ca', others: ['--redis-ca'], aliasEverywhere: true },
  { what: 'a client certificate for the farm', name: '--farm-cert', others: ['--redis-cert'], aliasEverywhere: true },
  { what: "the client certificate's key", name: '--farm-key', others: ['--redis-key'], aliasEverywhere: true },
  { what: 'what a command writes (a folder, a model file)', name: '--output', others: ['--out', '--output-dir', '--outdir'] },
  { what: 'the data set a compression command reads', name: '--data', others: ['--calib', '--dataset', '--calib-data'] },
  {
    what: 'the labels of a .npy of inputs',
    name: '--labels-file',
    others: ['--labels', '--truth'],
    elsewhere: { '--labels': 'class names (compile, run, profile, validate)' },
  },
  { what: 'the held-out samples a sensitivity analysis measures', name: '--sensitivity-samples', others: ['--samples'] },
  { what: 'one JSON document on stdout', name: '--json', others: ['--format', '--output-format'] },
  { what: 'more detail on stderr', name: '--verbose', others: ['--debug'] },
  { what: 'the instruction set the C is for', name: '--target', others: ['--isa', '--arch'] },
  { what: 'a board', name: '--board', others: ['--device'] },
];

/** Words with one meaning here, whichever is written. */
const SYNONYMS: string[][] = [
  ['output', 'out'],
  ['dir', 'folder', 'directory'],
  ['farm', 'redis'],
  ['quiet', 'silent'],
  ['target', 'isa', 'arch'],
  ['json', 'format'],
  ['data', 'dataset', 'calib', 'calibration'],
];

/**
 * Names the detector pairs that are different concepts, each with why. A list of values is another
 * option than one value: the plural names it.
 */
const DIFFERENT: Record<string, string> = {
  '--board --boards': 'a board, and the farm boards a job runs on (a list, or all)',
  '--port --ports': "a board's serial port, and farm worker --ports auto (find the boards on every port)",
  '--input --inputs': "one input file (run, profile, compile's starter app, validate's --reference), and a batch or folder of inputs",
  '--sparsities --sparsity': 'one target sparsity (prune, compress), and the list sensitivity measures',
};

/** A long option without the short flag it has on other commands, by command and option, each with why. */
const WITHOUT_SHORT: Record<string, string> = {
  'validate --input': "validate's inputs are --inputs; its --input is the one a --reference dump was made with, and -i would read as the inputs",
};

const word = (w: string) => SYNONYMS.find((group) => group.includes(w))?.[0] ?? w;
const singular = (w: string) =>
  w.endsWith('ies') ? `${w.slice(0, -3)}y` : /(ss|us|is)$/.test(w) ? w : /(ch|sh|x|z)es$/.test(w) ? w.slice(0, -2) : w.endsWith('s') ? w.slice(0, -1) : w;
const wordsOf = (long: string) => long.replace(/^--(no-)?/, '').split('-');

/** What makes two option names one name in other letters, if anything. */
function sameName(a: string, b: string): string[] {
  const wa = wordsOf(a);
  const wb = wordsOf(b);
  if (wa.join('-') === wb.join('-')) return []; // --x and --no-x: one option by design
  const kinds: string[] = [];
  if (wa.join('') === wb.join('')) kinds.push('hyphenation');
  if (wa.map(singular).join('-') === wb.map(singular).join('-')) kinds.push('plural');
  if (wa.map(word).join('-') === wb.map(word).join('-')) kinds.push('synonym');
  if (kinds.length === 0 && wa.map((w) => word(singular(w))).join('') === wb.map((w) => word(singular(w))).join('')) kinds.push('plural, synonym or hyphen');
  const prefixes = (x: string[], y: string[]) => x.length === y.length && x.every((w, i) => w.length >= 2 && y[i]!.startsWith(w)) && x.join() !== y.join();
  const initials = (x: string[], y: string[]) => x.length === 1 && y.length >= 2 && x[0] === y.map((w) => w[0]).join('');
  if (prefixes(wa, wb) || prefixes(wb, wa) || initials(wa, wb) || initials(wb, wa)) kinds.push('abbreviation');
  return kinds;
}

describe('CLI: one name for one thing', () => {
  const program = createProgram();
  const commands = commandsOf(program);

  it('walks every command and subcommand', () => {
    const paths = commands.map((c) => c.path);
    expect(paths).to.include.members(['tinyforge', 'run', 'compile', 'farm', 'farm worker', 'farm sweep', 'farm status', 'completion']);
  });

  it('the detector: no two names differ only by a plural, an abbreviation, a hyphen or a synonym', () => {
    const where = new Map<string, Set<string>>();
    for (const { path, command } of commands) for (const o of primary(command)) where.set(o.long!, (where.get(o.long!) ?? new Set()).add(path));
    const names = [...where.keys()].sort();
    const found = new Map<string, string>();
    for (const [i, a] of names.entries())
      for (const b of names.slice(i + 1)) {
        const kinds = sameName(a, b);
        if (kinds.length > 0) found.set(`${a} ${b}`, `${kinds.join(', ')}: ${a} (${[...where.get(a)!].join(', ')}), ${b} (${[...where.get(b)!].join(', ')})`);
      }
    const unexplained = [...found].filter(([pair]) => DIFFERENT[pair] === undefined).map(([, why]) => why);
    expect(unexplained, 'one concept, two names: make one an alias (addAlias), or list the pair in DIFFERENT with why').to.deep.equal([]);
    const stale = Object.keys(DIFFERENT).filter((pair) => !found.has(pair));
    expect(stale, 'pairs in DIFFERENT the detector no longer finds').to.deep.equal([]);
  });

  it('the concepts: one name each, the other spellings only as aliases of it', () => {
    const named = new Set(commands.flatMap(({ command }) => primary(command).map((o) => o.long!)));
    for (const concept of CONCEPTS) {
      expect(named.has(concept.name), `${concept.what}: ${concept.name} is an option somewhere`).to.equal(true);
      for (const { path, command } of commands) {
        for (const o of command.options.filter((x) => x.long !== undefined && concept.others.includes(x.long))) {
          if (isAlias(o)) expect(o.target.long, `${path} ${o.long}`).to.equal(concept.name);
          else
            expect(concept.elsewhere?.[o.long!], `${path} ${o.long}: ${concept.what} is ${concept.name}, ${o.long} at most an alias of it`).to.be.a('string');
        }
        if (concept.aliasEverywhere && command.options.some((o) => o.long === concept.name && !isAlias(o)))
          for (const other of concept.others.filter((x) => commands.some((c) => c.command.options.some((o) => o.long === x))))
            expect(
              command.options.some((o) => isAlias(o) && o.long === other),
              `${path} takes ${other} as another spelling of ${concept.name}`,
            ).to.equal(true);
      }
    }
  });

  it('every hidden option is an alias of an option the same command shows; help and completion offer only the name', () => {
    const named = new Set(commands.flatMap(({ command }) => primary(command).map((o) => o.long!)));
    const offered = new Set(SHELLS.flatMap((shell) => completionScript(program, shell).split(/[\s'"|(){},]+/)));
    for (const { path, command } of commands)
      for (const o of command.options.filter((x) => x.hidden)) {
        expect(isAlias(o), `${path} ${o.flags}: hidden but no alias`).to.equal(true);
        const target = (o as AliasOption).target;
        expect(command.options, `${path} ${o.flags}`).to.include(target);
        expect(target.hidden, `${path} ${o.flags}: an alias of a hidden option`).to.equal(false);
        expect(command.helpInformation(), path).to.include(target.long);
        // a spelling that is nobody's name is nowhere to be seen (--labels is the class names' name)
        if (named.has(o.long!)) continue;
        expect(command.helpInformation().split(/[\s,]+/), path).to.not.include(o.long);
        expect(offered.has(o.long!), `completion offers ${o.long}`).to.equal(false);
      }
  });

  it('a long option has the same short flag on every command that takes it', () => {
    const shorts = new Map<string, Set<string>>();
    for (const { command } of commands) for (const o of primary(command)) if (o.short) shorts.set(o.long!, (shorts.get(o.long!) ?? new Set()).add(o.short));
    const found: string[] = [];
    for (const [long, set] of shorts) if (set.size > 1) found.push(`${long}: ${[...set].join(' and ')}`);
    for (const { path, command } of commands)
      for (const o of primary(command)) {
        const short = shorts.get(o.long!);
        if (o.short || !short || WITHOUT_SHORT[`${path} ${o.long}`]) continue;
        // the short flag free on this command: it should mean the same option here
        if ([...short].every((s) => !command.options.some((x) => x.short === s))) found.push(`${path} ${o.long}: no ${[...short].join('/')}`);
      }
    expect(found, 'give the option its short flag, or list it in WITHOUT_SHORT with why').to.deep.equal([]);
    for (const key of Object.keys(WITHOUT_SHORT)) {
      const [path, long] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
      const option = commands.find((c) => c.path === path)?.command.options.find((o) => o.long === long);
      expect(option !== undefined && !option.short && shorts.has(long!), `WITHOUT_SHORT ${key} still applies`).to.equal(true);
    }
  });

  /** The value and its source that `args` give the option `attribute` of the command at `path`, on a program of its own. */
  function parsed(path: string, args: string[], attribute: string): { value: unknown; source: string | undefined } {
    const command = commandsOf(createProgram()).find((c) => c.path === path)!.command;
    const { unknown } = command.parseOptions(args);
    expect(unknown, `${path} ${args.join(' ')}`).to.deep.equal([]);
    return { value: command.getOptionValue(attribute), source: command.getOptionValueSource(attribute) };
  }

  it('each alias parses to the same option and value as the name, and both spellings at once are refused', () => {
    let aliases = 0;
    for (const { path, command } of commands)
      for (const alias of command.options.filter(isAlias)) {
        aliases++;
        const target = alias.target;
        const attribute = target.attributeName();
        const value = target.required || target.optional ? ['redis://127.0.0.1:1'] : [];
        const expected = parsed(path, [target.long!, ...value], attribute);
        expect(expected.source, `${path} ${target.long}`).to.equal('cli');
        for (const spelling of [alias.long!, ...(alias.short ? [alias.short] : [])])
          expect(parsed(path, [spelling, ...value], attribute), `${path} ${spelling}`).to.deep.equal(expected);
        for (const args of [
          [target.long!, ...value, alias.long!, ...value],
          [alias.long!, ...value, target.long!, ...value],
        ])
          expect(() => parsed(path, args, attribute), `${path} ${args.join(' ')}`).to.throw(
            `${[target.short, target.long].filter(Boolean).join('/')} and ${[alias.short, alias.long].filter(Boolean).join('/')} are one option: give it once`,
          );
      }
    // the farm's five on six commands, and compile --out, quantize --calib, sensitivity --samples, --labels of seven
    expect(aliases).to.be.at.least(30 + 3 + 7);
  });

  it('farm sweep --redis URL and --farm URL give the same options to the command', async () => {
    const optionsOf = async (spelling: string) => {
      const program = createProgram();
      const sweep = program.commands.find((c) => c.name() === 'farm')!.commands.find((c) => c.name() === 'sweep')!;
      // a parse error throws here instead of ending the process
      sweep.exitOverride().configureOutput({ outputError: () => {} });
      let seen: Record<string, unknown> | undefined;
      sweep.action((_models: string[], opts: Record<string, unknown>) => {
        seen = opts;
      });
      const url = 'rediss://farm:secret@127.0.0.1:1';
      await program.parseAsync(['node', 'tinyforge', 'farm', 'sweep', 'm.tflite', '--boards', 'rp2040js', spelling, url, `${spelling}-ca`, 'ca.crt']);
      return seen;
    };
    const farm = await optionsOf('--farm');
    expect(farm).to.include({ farm: 'rediss://farm:secret@127.0.0.1:1', farmCa: 'ca.crt' });
    expect(await optionsOf('--redis')).to.deep.equal(farm);
  });

  it('the real CLI: farm status --redis URL fails as --farm URL does, with the same line; a typo names --farm', () => {
    const [farm, redis] = ['--farm', '--redis'].map((spelling) => tinyforge(['farm', 'status', spelling, 'redis://127.0.0.1:1']));
    expect(farm!.status).to.equal(1);
    expect(farm!.stderr).to.match(/^error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/?: .*\n$/);
    expect(redis).to.deep.equal(farm);
    // a misspelling on a subcommand: one line, with the name to type
    const typo = tinyforge(['farm', 'sweep', 'm.tflite', '--boards', 'all', '--farmx', 'redis://127.0.0.1:1']);
    expect(typo.stderr).to.equal("error: unknown option '--farmx' (did you mean --farm?)\n");
  });
});
