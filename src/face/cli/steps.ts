// SPDX-License-Identifier: Apache-2.0
/**
 * What the device commands (run, profile, validate, flash) show while they work. On a terminal each
 * step is a cli-progress line whose clock runs while the step does (a build, an emulator boot, a
 * flash write) and stays on screen with its duration when the next one starts; `count` turns the
 * current step into a bar (validate's inputs). Off a terminal (pipes, CI logs) each step is one plain
 * line, as before, so logs stay greppable.
 */
import cliProgress from 'cli-progress';
import { TERMINAL_COLUMNS, elide, wrapLines } from '../report/layout.ts';

/** The room a step's message has on a progress line: its clock (` (1m 05s)`) takes the rest. */
const STEP_MESSAGE_COLUMNS = TERMINAL_COLUMNS - 12;

export interface StepReporter {
  /** a new step (the previous one is finished) */
  step(message: string): void;
  /** progress through `total` items of the current step */
  count(done: number, total: number, what: string): void;
  /** the last step is finished */
  done(): void;
}

let active: StepReporter | undefined;

/** Ends the step on screen (before an error line is printed). */
export function stopActiveSteps(): void {
  active?.done();
}

export function stepReporter(stream: NodeJS.WriteStream = process.stderr): StepReporter {
  active = makeReporter(stream);
  return active;
}

function makeReporter(stream: NodeJS.WriteStream): StepReporter {
  if (!stream.isTTY) {
    return {
      step: (message) => stream.write(`${wrapLines(message)}\n`),
      count: () => {},
      done: () => {},
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  let counting = false;
  const finish = () => {
    bar?.stop();
    bar = undefined;
    counting = false;
  };
  const open = (format: string, total: number, value: number, payload: object) => {
    finish();
    bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, clearOnComplete: false, fps: 5, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
    bar.start(total, value, payload);
  };
  return {
    step(message) {
      // one line that redraws in place: cut, not wrapped
      open('{message} ({duration_formatted})', 1, 0, { message: elide(message, STEP_MESSAGE_COLUMNS) });
    },
    count(done, total, what) {
      if (!counting || !bar) {
        open(`{what} [{bar}] {value}/{total} ({duration_formatted}, {eta_formatted} left)`, total, done, { what });
        counting = true;
      } else bar.update(done);
    },
    done: finish,
  };
}
