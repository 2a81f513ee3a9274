// SPDX-License-Identifier: Apache-2.0
/**
 * What an interrupted command must not leave behind. Every child process tinyforge starts (compilers,
 * emulators, host builds) and every temporary folder it makes is registered here while it lives; on
 * SIGINT, SIGTERM or SIGHUP the CLI kills the children, removes the folders, prints one line and exits
 * with 128 + the signal's number. Outputs are written to temporary siblings and renamed into place
 * (codegen/output.ts), so an interrupted write leaves only a temporary that is removed here too.
 *
 * Temporary folders come from mkdtemp (a fresh, unique name each time), so two commands running at
 * once never share one.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const folders = new Set<string>();

/**
 * Registers a child process until it exits. Spawn it with `detached: true` (DETACHED) so it leads its
 * own process group: an interruption then stops its own children too (gcc's cc1, as, collect2).
 */
export const DETACHED = { detached: true } as const;

/** Registers a child process until it exits. */
export function trackChild<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  return child;
}

/** A new private folder under the system's temp dir (`tinyforge-<what>-XXXXXX`), removed on interruption. */
export function makeTempFolder(what: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tinyforge-${what}-`));
  folders.add(dir);
  return dir;
}

/** Removes a folder made by makeTempFolder (or any registered path); safe to call twice. */
export function removeTempFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  folders.delete(dir);
}

/** Forgets a folder made by makeTempFolder without removing it (a failed build's folder, kept for its log). */
export function untrackTempPath(path: string): void {
  folders.delete(path);
}

/** Sends a signal to a child's whole process group (a compiler driver's cc1/as/ld too); false when it is gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    try {
      return child.kill(signal === 0 ? undefined : signal);
    } catch {
      return false;
    }
  }
}

/** Blocks this thread for `ms` (the clean-up runs in a signal handler and at exit: no event loop to wait on). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Stops every live child and removes every registered temporary path, now. Children get SIGTERM first
 * (gcc removes its own temporary files, QEMU closes its pty), then SIGKILL after half a second.
 */
export function cleanUpNow(): void {
  const live = [...children].filter((c) => signalGroup(c, 'SIGTERM'));
  for (let waited = 0; waited < 500 && live.some((c) => signalGroup(c, 0)); waited += 20) sleepSync(20);
  for (const child of live) signalGroup(child, 'SIGKILL');
  children.clear();
  for (const path of folders) rmSync(path, { recursive: true, force: true });
  folders.clear();
}

/**
 * Lets a signal that arrived during synchronous work reach its handler (which exits): a long compile
 * holds the event loop, so Ctrl-C is only seen when it turns again. Commands await this between their
 * stages and before they write anything.
 *
 * One turn of the loop is not enough: a signal that came while the CLI's first tick ran is dispatched
 * only some turns later. So the process sends itself SIGURG (ignored by default, used by nothing in
 * tinyforge) and waits for it: signals reach their handlers in the order the kernel delivered them,
 * and a pending SIGINT, SIGTERM or SIGHUP (lower numbers) is delivered before it. A ref'd timer keeps
 * the loop alive meanwhile and ends the wait if the sentinel is lost; Windows has no SIGURG and gets
 * two turns of the loop.
 */
export function letSignalsIn(): Promise<void> {
  if (process.platform === 'win32') return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(fallback);
      process.removeListener(SENTINEL, done);
      resolve();
    };
    const fallback = setTimeout(done, 1000);
    process.once(SENTINEL, done);
    process.kill(process.pid, SENTINEL);
  });
}

/** The signal letSignalsIn sends itself to learn that earlier signals have been dispatched. */
const SENTINEL: NodeJS.Signals = 'SIGURG';

const SIGNALS: [NodeJS.Signals, number][] = [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
];

/** Who takes the next SIGINT instead of the clean-up and exit below; null: nobody. */
let interruptTaker: (() => void) | null = null;

/**
 * The next SIGINT goes to `handler` instead of ending the process: a command that Ctrl-C ends as
 * its normal way out (`monitor`) stops its own way. A second Ctrl-C ends the process as usual.
 * Returns the undo, for when the command ends first.
 */
export function takeInterrupt(handler: () => void): () => void {
  interruptTaker = handler;
  return () => {
    if (interruptTaker === handler) interruptTaker = null;
  };
}

/** The CLI's handlers: on a signal, clean up, say so in one line, exit 128 + signal number. */
export function installInterruptHandlers(write: (line: string) => void = (l) => process.stderr.write(l)): void {
  for (const [signal, number] of SIGNALS) {
    process.once(signal, function onSignal() {
      if (signal === 'SIGINT' && interruptTaker) {
        const taker = interruptTaker;
        interruptTaker = null;
        process.once(signal, onSignal);
        taker();
        return;
      }
      const pending = children.size;
      cleanUpNow();
      write(
        `error: interrupted by ${signal}${pending > 0 ? ` (stopped ${pending} child process${pending > 1 ? 'es' : ''})` : ''}; nothing was left half-written\n`,
      );
      process.exit(128 + number);
    });
  }
  process.once('exit', cleanUpNow);
}
