// SPDX-License-Identifier: Apache-2.0
/**
 * Option parsing for the project's own campaign scripts (`npm run fuzz`, `fuzz:inputs`,
 * `fuzz:links`): numbers are checked where commander reads them, so `--count abc` or `--jobs 0` is
 * one `error:` line naming the option instead of a campaign that runs on NaN, and every usage error
 * exits 2, apart from a campaign's own exit 1 (a finding).
 */
import { type Command, InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer in [min, max] (any safe integer by default). */
export function integerArg(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const range =
    max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer of at least ${min}`) : `an integer from ${min} to ${max}`;
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`It takes ${range}.`);
    return n;
  };
}

/** A commander argument parser for a finite number above 0 (minutes, seconds). */
export function positiveArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('It takes a number above 0.');
  return n;
}

/** Usage errors (unknown option, bad value) exit 2 after commander's one line (no suggestion line); --help exits 0. */
export function usageErrorsExitTwo(program: Command): Command {
  return program
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}
