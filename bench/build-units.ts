import { runModel } from '../src/run/run.ts';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
const model = process.argv[2] ?? '/work/shared/models/hello_world_int8.tflite';
function findLog(dir: string): string | undefined {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = findLog(p);
      if (f) return f;
    } else if (e === 'build.log') return p;
  }
}
for (const [target, sanitize] of [
  ['host', true],
  ['cortex-m4', false],
] as const) {
  const workDir = `/tmp/oc/w-${target}`;
  const t0 = performance.now();
  await runModel(model, { target, sanitize, workDir, timeoutMs: 120000 });
  const total = performance.now() - t0;
  const log = readFileSync(findLog(workDir)!, 'utf8');
  const cmds = log
    .split('\n')
    .filter((l) => l.startsWith('$ '))
    .map((l) => l.slice(2).split(' '));
  let comp = 0,
    pre = 0;
  console.log(`== ${target}${sanitize ? ' sanitized' : ''}: runModel total ${total.toFixed(0)} ms`);
  for (const [cc, ...args] of cmds) {
    const isCompile = args.includes('-c');
    const t = performance.now();
    spawnSync(cc!, args);
    const dt = performance.now() - t;
    let dp = 0;
    if (isCompile) {
      const a = args.slice();
      const i = a.indexOf('-c');
      a[i] = '-E';
      const o = a.indexOf('-o');
      a.splice(o, 2);
      const t2 = performance.now();
      spawnSync(cc!, a, { maxBuffer: 1 << 28 });
      dp = performance.now() - t2;
      comp += dt;
      pre += dp;
    }
    const src = isCompile ? args[args.indexOf('-c') + 1]!.split('/').slice(-2).join('/') : 'LINK';
    console.log(`${src.padEnd(40)} ${dt.toFixed(0).padStart(6)} ms${isCompile ? `   cc -E ${dp.toFixed(0).padStart(5)} ms` : ''}`);
  }
  console.log(`sum compile ${comp.toFixed(0)} ms, sum cc -E ${pre.toFixed(0)} ms`);
}
