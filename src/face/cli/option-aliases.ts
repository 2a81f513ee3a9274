// SPDX-License-Identifier: Apache-2.0
/**
 * One name for one thing on the command line: where an option has another spelling (the one another
 * command used, or an earlier one), that spelling is an alias. An alias is hidden from the help and
 * from completion, and it sets the very option it stands for: the same value, parsed the same way,
 * under the option's own name, so an action, the project file and `getOptionValueSource` see one
 * option whichever spelling was typed. test/cli/option-names.test.ts holds the commands to it.
 */
import type { EventEmitter } from 'node:events';
import { type Command, Option } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';

/** Another spelling of `target`: its value lands in the target's attribute. */
export class AliasOption extends Option {
  readonly target: Option;

  constructor(flags: string, target: Option) {
    super(flags, `another spelling of ${target.long}`);
    this.target = target;
    this.hideHelp();
    if (target.parseArg) this.argParser(target.parseArg);
  }

  override attributeName(): string {
    return this.target.attributeName();
  }
}

const spellingOf = (o: Option) => [o.short, o.long].filter((f): f is string => f !== undefined).join('/');

/** The spelling that last set each option of a command (an option given in two spellings is refused). */
const lastSpelling = new WeakMap<Command, Map<string, string>>();

/**
 * Adds `flags` ('--redis', '-c, --calib') to `command` as another spelling of its option `long`,
 * which takes the same value (or none). Giving the option in both spellings is an error; giving one
 * spelling twice keeps the last value, as for any option.
 */
export function addAlias(command: Command, flags: string, long: string): Command {
  const target = command.options.find((o) => o.long === long && !(o instanceof AliasOption));
  if (!target) throw new Error(`${command.name()} has no option ${long} for the alias ${flags}`);
  if (target.negate || target.variadic) throw new Error(`${command.name()} ${long}: a negated or variadic option takes no alias`);
  const value = /[<[].*$/.exec(target.flags)?.[0];
  const alias = new AliasOption(value ? `${flags} ${value}` : flags, target);
  const attribute = target.attributeName();
  const guard = (spelling: string) => () => {
    const seen = lastSpelling.get(command) ?? new Map<string, string>();
    lastSpelling.set(command, seen);
    // a value from this parse's command line (a new parse starts from the defaults again)
    if (command.getOptionValueSource(attribute) === 'cli' && seen.has(attribute) && seen.get(attribute) !== spelling)
      throw new TinyforgeError(`${spellingOf(target)} and ${spellingOf(alias)} are one option: give it once`);
    seen.set(attribute, spelling);
  };
  // before commander's own listeners, which set the value
  const events = command as unknown as EventEmitter;
  events.prependListener(`option:${target.name()}`, guard(target.name()));
  command.addOption(alias);
  events.prependListener(`option:${alias.name()}`, guard(alias.name()));
  return command;
}
