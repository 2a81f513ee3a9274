// SPDX-License-Identifier: Apache-2.0
/**
 * Tools started by a small helper process. Node starts a child with fork() (libuv on Linux), whose cost
 * grows with the parent's memory: about 10 ms from a fresh process, 200 ms from one holding 1 GB (a
 * test run, a `tune` over many candidates, a fuzz campaign), paid again for every compile. runTool's
 * tools (compilers, binutils) are therefore started by one small Node process of its own, which reads
 * a request per line on its stdin and answers a line on its stdout (JSON), started on first use.
 *
 * The helper starts each tool in a process group of its own and, on SIGINT, SIGTERM or SIGHUP (the
 * CLI's clean-up: src/lab/lifecycle.ts, or a terminal's Ctrl-C), or when its stdin closes (the parent
 * is gone), stops every group it started (SIGTERM, then SIGKILL) and exits. It keeps no event loop of the parent's alive while
 * no request waits. A helper that cannot start or dies is started again at the next request; where none
 * starts, tools are started directly (runToolDirect). TINYFORGE_DIRECT_SPAWN=1 starts them directly.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { trackChild } from '../lifecycle.ts';

export interface SpawnRequest {
  path: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface SpawnAnswer {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** The helper's program (plain CommonJS, run by `node -e`: nothing of the project loads in it). */
const HELPER = `
const { spawn } = require('node:child_process');
const running = new Map();
const send = (answer) => process.stdout.write(JSON.stringify(answer) + '\\n');
const signalGroup = (child, signal) => { try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch {} } };
const killGroup = (child) => signalGroup(child, 'SIGKILL');
// SIGTERM first (gcc removes its temporary files), SIGKILL 300 ms later: inside the 500 ms the CLI's
// clean-up gives a child before it kills it
let stopping = false;
const stopAll = () => {
  if (stopping) return;
  stopping = true;
  for (const child of running.values()) signalGroup(child, 'SIGTERM');
  setTimeout(() => { for (const child of running.values()) killGroup(child); process.exit(0); }, running.size > 0 ? 300 : 0);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopAll);
process.stdin.on('end', stopAll);
function start(r) {
  let child;
  let answered = false;
  const answer = (a) => { if (!answered) { answered = true; running.delete(r.id); send({ id: r.id, ...a }); } };
  try {
    child = spawn(r.path, r.args, { cwd: r.cwd, env: r.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (e) {
    answer({ error: e.message });
    return;
  }
  running.set(r.id, child);
  const out = [];
  const err = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => err.push(d));
  const timer = r.timeoutMs === undefined ? undefined : setTimeout(() => killGroup(child), r.timeoutMs);
  child.on('error', (e) => { clearTimeout(timer); answer({ error: e.message }); });
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    answer({ code, signal, stdout: Buffer.concat(out).toString('base64'), stderr: Buffer.concat(err).toString('utf8') });
  });
}
let rest = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  rest += d;
  for (let at = rest.indexOf('\\n'); at >= 0; at = rest.indexOf('\\n')) {
    const line = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (line) start(JSON.parse(line));
  }
});
`;

/** The helper itself stopped or could not start: the request may be run another way. */
export class HelperGone extends Error {}

interface Waiting {
  resolve(answer: SpawnAnswer): void;
  reject(error: Error): void;
}

interface Helper {
  child: ChildProcessByStdio<Writable, Readable, null>;
  waiting: Map<number, Waiting>;
}

let helper: Helper | null = null;
let nextId = 1;

/** keeps the parent's event loop alive while a request waits, and only then */
function hold(h: Helper): void {
  const busy = h.waiting.size > 0;
  for (const handle of [h.child, h.child.stdin, h.child.stdout] as { ref(): void; unref(): void }[]) {
    if (busy) handle.ref();
    else handle.unref();
  }
}

function startHelper(): Helper {
  const child = trackChild(spawn(process.execPath, ['-e', HELPER], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const h: Helper = { child, waiting: new Map() };
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    rest += d;
    for (let at = rest.indexOf('\n'); at >= 0; at = rest.indexOf('\n')) {
      const line = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const answer = JSON.parse(line) as { id: number; error?: string; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
      const waiting = h.waiting.get(answer.id);
      if (!waiting) continue;
      h.waiting.delete(answer.id);
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve({ code: answer.code, signal: answer.signal, stdout: Buffer.from(answer.stdout, 'base64'), stderr: answer.stderr });
    }
    hold(h);
  });
  const gone = () => {
    if (helper === h) helper = null;
    for (const waiting of h.waiting.values()) waiting.reject(new HelperGone('the process that starts tools stopped'));
    h.waiting.clear();
  };
  child.once('exit', gone);
  child.once('error', gone);
  // a parent that exits while the helper writes: nothing to report
  child.stdin.on('error', gone);
  hold(h);
  return h;
}

/** Runs a tool through the helper; rejects with the reason where it cannot be started. */
export function spawnThroughHelper(request: SpawnRequest): Promise<SpawnAnswer> {
  helper ??= startHelper();
  const h = helper;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    h.waiting.set(id, { resolve, reject });
    hold(h);
    h.child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
  });
}

/** Whether tools go through the helper (TINYFORGE_DIRECT_SPAWN=1: started by this process). */
export function helperWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const direct = env.TINYFORGE_DIRECT_SPAWN;
  return direct === undefined || direct === '' || direct === '0';
}

/** The helper's process id while one runs (for a test that stops it), else undefined. */
export function helperProcessId(): number | undefined {
  return helper?.child.pid;
}
