// SPDX-License-Identifier: Apache-2.0
/**
 * Where a build's time goes, and what the object cache (src/lab/toolchain/object_cache.ts) saves:
 * `npx tsx bench/build-units.ts [MODEL.tflite] [--runs N]`.
 *
 * For a host build under ASan+UBSan (as `npm run fuzz:inputs` builds each mutant) and a cortex-m4
 * build, it times `runModel` with the cache off (TINYFORGE_NO_CACHE=1) and warm (median of N runs),
 * then replays each command of the build's log alone: every unit's compile, its `cc -E` (what a cache
 * lookup costs) and the link. The cache is a scratch folder, not the user's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runModel } from '../src/lab/run/run.ts';
import { buildLogCommands, timeCommand } from './build-log.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const model = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ?? join(import.meta.dirname, '../../shared/models/hello_world_int8.tflite');
const scratch = mkdtempSync(join(tmpdir(), 'tinyforge-bench-units-'));
process.env.TINYFORGE_CACHE_DIR = join(scratch, 'cache');

function findLog(dir: string): string | undefined {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = findLog(p);
      if (f) return f;
    } else if (e === 'build.log') return p;
  }
  return undefined;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

try {
  for (const [target, sanitize] of [
    ['host', true],
    ['cortex-m4', false],
  ] as const) {
    const timed = async (name: string, noCache: boolean) => {
      if (noCache) process.env.TINYFORGE_NO_CACHE = '1';
      else delete process.env.TINYFORGE_NO_CACHE;
      const t0 = performance.now();
      await runModel(model, { target, sanitize, workDir: join(scratch, name), timeoutMs: 120_000 });
      return performance.now() - t0;
    };
    await timed(`${target}-fill`, false); // fills the cache
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      cold.push(await timed(`${target}-cold-${i}`, true));
      warm.push(await timed(`${target}-warm-${i}`, false));
    }
    console.log(`== ${target}${sanitize ? ' (ASan+UBSan)' : ''}: runModel, median of ${runs}: no cache ${ms(median(cold))}, warm cache ${ms(median(warm))}`);
    const log = readFileSync(findLog(join(scratch, `${target}-cold-0`))!, 'utf8');
    let compile = 0;
    let preprocess = 0;
    for (const { cc, args: cmd } of buildLogCommands(log)) {
      const dt = timeCommand(cc, cmd);
      const c = cmd.indexOf('-c');
      if (c < 0) {
        console.log(`${'link'.padEnd(28)} ${ms(dt)}`);
        continue;
      }
      const pre = cmd.slice(0, c).concat('-E', cmd[c + 1]!);
      const dp = timeCommand(cc, pre);
      compile += dt;
      preprocess += dp;
      console.log(`${cmd[c + 1]!.split('/').slice(-2).join('/').padEnd(28)} ${ms(dt)}   cc -E ${ms(dp)}`);
    }
    console.log(`${'all compiles'.padEnd(28)} ${ms(compile)}   cc -E ${ms(preprocess)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
