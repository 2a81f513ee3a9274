// SPDX-License-Identifier: Apache-2.0
/**
 * Progress of long compression steps (training epochs, calibration, evaluation, builds). The library
 * reports through this interface; the CLI shows bars on stderr (cli-progress), tests stay silent.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** a new bar of `total` units, e.g. training batches */
  start(label: string, total: number): void;
  /** `done` units finished so far, with an optional note (loss, accuracy) */
  update(done: number, note?: string): void;
  stop(): void;
  /** one line of information between bars */
  log(message: string): void;
}

export const silentProgress: Progress = { start() {}, update() {}, stop() {}, log() {} };

/** Bars on stderr when it is a terminal; plain lines (a start and an end per step) otherwise. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    let label = '';
    let started = 0;
    let note = '';
    return {
      start(l) {
        label = l;
        started = Date.now();
        note = '';
        stream.write(`${label} ...\n`);
      },
      update(_done, n) {
        if (n) note = n;
      },
      stop() {
        if (label) stream.write(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s${note ? ` (${note})` : ''}\n`);
        label = '';
      },
      log(message) {
        stream.write(`${message}\n`);
      },
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(28)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} {note}`,
          stream,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { note: '' });
    },
    update(done, note) {
      bar?.update(done, { note: note ?? '' });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
    log(message) {
      stream.write(`${message}\n`);
    },
  };
}

/** Lets timers (progress bar redraws) run between synchronous tfjs batches. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
