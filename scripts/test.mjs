// SPDX-License-Identifier: Apache-2.0
/**
 * `npm test` (CI's command; `npm run test:serial` is one mocha process): every test
 * file (test/**, src/** *.test.ts) in two mocha processes ("shards") at once, one per core of CI's
 * 2-core machine, then the files that failed in a shard once more alone, one after another, and one
 * closing line "N passed, N failed, N skipped" over all, a non-zero exit when anything still fails.
 *
 * The partition is deterministic: files go to the shard with less recorded time so far, longest
 * first, by their times in test/support/test-times.json (a file not listed counts DEFAULT_SECONDS).
 * Files that cannot run beside each other stay in one shard, in one group (see groupOf): those that
 * open serial ports (socat pty pairs, the fake boot loaders and boards) and all of test/device and
 * test/faults; they then run one after another. Everything else a test uses is its own: scratch folders from mkdtemp, TCP ports
 * from listen(0), the object cache (entries checked by their hash, written by rename).
 *
 * Why the re-run alone: two shards on two cores starve timing-tight tests that pass alone (a
 * fake boot loader's 200-300 ms protocol timeouts outrun while the other shard takes the CPU; a check
 * over all 65,536 input pairs past its time limit on a loaded machine). A file that fails in its shard is run again by itself after both shards:
 * its counts from the shard are replaced by those alone, and if it passes alone it is named in the
 * output as one that failed beside the other shard (its shard failure printed above), so that it gets
 * slack or a fix. A batch of a shard that crashes (no summary; see runShard) has all its files run again alone. More than
 * MAX_RERUN_FILES failing files are not load: they count as failed without a re-run.
 *
 * Each shard's output is streamed with a "[1] " / "[2] " prefix; at the end each shard's failures
 * are printed again, unprefixed, then the slowest files of both and the closing line.
 *
 *   TINYFORGE_TEST_SHARDS=1 node scripts/test.mjs      one shard (any N >= 1 works)
 *   TINYFORGE_TEST_BATCH=4 node scripts/test.mjs       4 files per mocha process (default and most: 20)
 *   TINYFORGE_TEST_TIMES=t.json node scripts/test.mjs  every file's wall time, both shards, into t.json
 *   node scripts/test.mjs --list          prints the partition and its recorded times, runs nothing
 *   node scripts/test.mjs FILE|FOLDER...  these files (a folder: its *.test.ts files) only, partitioned the same way
 *   node scripts/test.mjs --tier quick    one tier only (quick, emulated, models: see tierOf and docs/testing.md)
 *   node scripts/test.mjs --tiers         each tier's files and recorded time, runs nothing
 *
 * The run has one scratch folder (TINYFORGE_TEST_RUN_DIR, unless set: test/support/root-hooks.ts),
 * shared by the shards and removed at the end: the models' own C units are cached there, so a model
 * built alike in several tests is compiled once a run, never from an earlier run's objects.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const ROOTS = ['test', 'src'];
const TIMES = join(ROOT, 'test', 'support', 'test-times.json');
const DEFAULT_SECONDS = 5;
const SLOWEST_SHOWN = 15;
/** more files failing than this in the shards is not load: they are not re-run alone */
const MAX_RERUN_FILES = 20;
/** test files per mocha process (see runShard), at most MAX_RERUN_FILES so that a crashed batch is re-run alone */
const BATCH_FILES = Math.min(MAX_RERUN_FILES, Math.max(1, Number(process.env.TINYFORGE_TEST_BATCH) || MAX_RERUN_FILES));
/** what makes a file (or a test helper it imports) a user of serial ports */
const SERIAL = /ptyPair|startPtyPair|socat|FakeBootloader|serialport|\/dev\/tty|\/dev\/pts|fake-pico|esp-rom-peer|protocol-fakes|stm32-fake/;

/** every test file, relative to the project, sorted */
export function testFiles() {
  const files = [];
  for (const top of ROOTS) {
    for (const e of readdirSync(join(ROOT, top), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.test.ts')) continue;
      const rel = relative(ROOT, join(e.parentPath, e.name));
      if (rel.split('/').some((part) => part.startsWith('.') || part === 'node_modules')) continue;
      files.push(rel);
    }
  }
  return files.sort();
}

/**
 * The test files `args` name: files as given, folders as every *.test.ts under them; one line and exit 2
 * for a path that does not exist or a folder without tests.
 */
export function namedFiles(args) {
  return args.flatMap((arg) => {
    const path = resolve(arg);
    if (!existsSync(path)) fail(`${arg}: no such test file or folder`);
    if (!statSync(path).isDirectory()) return [relative(ROOT, path)];
    const inside = readdirSync(path, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
      .map((e) => relative(ROOT, join(e.parentPath, e.name)))
      .filter((rel) => !rel.split('/').some((part) => part === 'node_modules' || (part.startsWith('.') && part !== '..')))
      .sort();
    if (inside.length === 0) fail(`${arg}: no *.test.ts files in this folder`);
    return inside;
  });
}

function fail(message) {
  console.error(`test: ${message}`);
  process.exit(2);
}

/** folders whose files all go in the serial group: device transports, boards and link faults */
const SERIAL_FOLDERS = ['test/device/', 'test/faults/'];

/** a test file's text and the texts of the helpers under test/ it imports */
function textsOf(file) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const helpers = [...text.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)]
    .map((m) => join(dirname(join(ROOT, file)), m[1]))
    .filter((p) => p.startsWith(join(ROOT, 'test')) && existsSync(p));
  return [text, ...helpers.map((p) => readFileSync(p, 'utf8'))];
}

/** 'serial' for a file that opens serial ports, directly or through a helper under test/ it imports; else its own name */
export function groupOf(file) {
  if (SERIAL_FOLDERS.some((f) => file.startsWith(f))) return 'serial';
  return textsOf(file).some((t) => SERIAL.test(t)) ? 'serial' : file;
}

/** the tiers, quickest first (docs/testing.md) */
export const TIERS = ['quick', 'emulated', 'models'];
/** whole models on the emulated boards, the generated-model fuzzers and the reference runtimes */
const MODELS_TIER = /^test\/(zoo|models|fuzz|examples)\//;
/** what a test file (or a test helper it imports) calls to build firmware or start an emulator */
const EMULATED = /requireTools\(|runModel\(|runOnBoard\(|validateModel\(|profileModel\(|startQemu\(|buildFirmware\(|expectExactOnBoard\(/;
/** a file recorded at this many seconds or more is not quick, whatever it calls */
const QUICK_SECONDS = 5;

/**
 * A file's tier: `models` by folder; `emulated` when it or a test helper it imports builds firmware or
 * starts an emulator, or its recorded time is QUICK_SECONDS or more; else `quick` (host units).
 */
export function tierOf(file, seconds) {
  if (MODELS_TIER.test(file)) return 'models';
  if ((seconds.get(file) ?? 0) >= QUICK_SECONDS) return 'emulated';
  return textsOf(file).some((t) => EMULATED.test(t)) ? 'emulated' : 'quick';
}

/** the value of `--name VALUE` among the arguments, or undefined */
function optionValue(name) {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

/** the files in `count` shards, balanced by recorded seconds (largest group first, ties by name) */
export function partition(files, count, seconds) {
  const groups = new Map();
  for (const f of files) {
    const g = groupOf(f);
    const entry = groups.get(g) ?? { name: g, files: [], seconds: 0 };
    entry.files.push(f);
    entry.seconds += seconds.get(f) ?? DEFAULT_SECONDS;
    groups.set(g, entry);
  }
  const shards = Array.from({ length: count }, () => ({ files: [], seconds: 0 }));
  const ordered = [...groups.values()].sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : 1));
  for (const g of ordered) {
    const shard = shards.reduce((best, s) => (s.seconds < best.seconds ? s : best));
    shard.files.push(...g.files);
    shard.seconds += g.seconds;
  }
  for (const s of shards) s.files.sort();
  return shards.filter((s) => s.files.length > 0);
}

function recordedSeconds() {
  try {
    return new Map(JSON.parse(readFileSync(TIMES, 'utf8')).map((t) => [t.file, t.seconds]));
  } catch {
    return new Map();
  }
}

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

/**
 * runs one shard: its files in batches of at most BATCH_FILES, one fresh mocha process each, one after
 * another. A process keeps every test file it loaded (their module-level models, traces and caches)
 * until it exits, so one process over a whole shard grows toward V8's heap limit; a batch bounds that,
 * and a batch that crashes anyway takes only its own files down, few enough to re-run alone.
 * Resolves with the summed counts of the batches that ended with a summary, their failure reports, their
 * files' times (into timesFile) and the files of the batches that crashed.
 */
async function runShard(index, files, timesFile) {
  const merged = { index, code: 0, signal: null, counts: { passed: 0, failed: 0, skipped: 0 }, failures: '', crashed: [] };
  const times = [];
  for (let from = 0; from < files.length; from += BATCH_FILES) {
    const batch = files.slice(from, from + BATCH_FILES);
    const path = `${timesFile}.${from}`;
    const r = await runBatch(index, batch, path);
    if (existsSync(path)) times.push(...JSON.parse(readFileSync(path, 'utf8')));
    rmSync(path, { force: true });
    if (r.code !== 0) merged.code = r.code;
    merged.signal ??= r.signal;
    // no summary, or a failing exit with no failure counted: the batch crashed, its counts are not known
    if (!r.counts || (r.code !== 0 && r.counts.failed === 0)) {
      merged.crashed.push(...batch);
      continue;
    }
    for (const k of Object.keys(merged.counts)) merged.counts[k] += r.counts[k];
    if (r.failures) merged.failures += (merged.failures ? '\n\n' : '') + r.failures;
  }
  writeFileSync(timesFile, JSON.stringify(times));
  return merged;
}

/** runs one mocha process over `files`; resolves with its exit status, summary counts (or null) and failure report */
function runBatch(index, files, timesFile) {
  const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  const child = spawn(process.execPath, [mocha, ...files], {
    cwd: ROOT,
    env: { ...process.env, TINYFORGE_TEST_TIMES: timesFile, TINYFORGE_TEST_SHARD: String(index) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${index}] `;
  const lines = [];
  const pipe = (stream, out) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      const parts = (rest + d).split('\n');
      rest = parts.pop();
      for (const line of parts) {
        lines.push(line);
        out.write(prefix + line + '\n');
      }
    });
    stream.on('end', () => {
      if (rest) {
        lines.push(rest);
        out.write(prefix + rest + '\n');
      }
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      const last = [...lines].reverse().find((l) => SUMMARY.test(l.trim()));
      const m = last ? SUMMARY.exec(last.trim()) : null;
      const counts = m ? { passed: +m[1], failed: +m[2], skipped: +m[3] } : null;
      // the spec reporter's failure list: from "N failing" to the slowest-files table
      const from = lines.findIndex((l) => /^\s+\d+ failing/.test(l));
      const to = lines.findIndex((l, i) => i > from && /^slowest test files/.test(l));
      const failures =
        from >= 0
          ? lines
              .slice(from, to > from ? to : undefined)
              .join('\n')
              .trimEnd()
          : '';
      done({ index, code: code ?? (signal ? 1 : 0), signal, counts, failures });
    });
  });
}

async function main() {
  const count = Math.max(1, Number(process.env.TINYFORGE_TEST_SHARDS ?? 2) || 2);
  const seconds = recordedSeconds();
  const tier = optionValue('--tier');
  if (tier !== undefined && !TIERS.includes(tier)) fail(`--tier must be one of ${TIERS.join(', ')}, got '${tier}'`);
  const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--tier');
  const files = (named.length > 0 ? namedFiles(named) : testFiles()).filter((f) => tier === undefined || tierOf(f, seconds) === tier);
  const shards = partition(files, count, seconds);
  if (process.argv.includes('--list')) {
    shards.forEach((s, i) => console.log(`shard ${i + 1}: ${s.files.length} files, ${Math.round(s.seconds)} s recorded\n  ${s.files.join('\n  ')}`));
    return;
  }
  if (process.argv.includes('--tiers')) {
    for (const t of TIERS) {
      const inTier = files.filter((f) => tierOf(f, seconds) === t);
      const total = inTier.reduce((n, f) => n + (seconds.get(f) ?? DEFAULT_SECONDS), 0);
      console.log(`${t}: ${inTier.length} files, ${Math.round(total)} s recorded (file times summed over both shards)`);
    }
    return;
  }
  const started = Date.now();
  // one scratch folder for the whole run (both shards and the re-runs), removed at its end: the
  // models' own units cached there, and fixtures made once a run (test/support/root-hooks.ts)
  if (process.env.TINYFORGE_TEST_RUN_DIR === undefined) {
    const run = mkdtempSync(join(tmpdir(), 'tinyforge-test-run-'));
    process.env.TINYFORGE_TEST_RUN_DIR = run;
    process.on('exit', () => rmSync(run, { recursive: true, force: true }));
  }
  const work = mkdtempSync(join(tmpdir(), 'tinyforge-test-'));
  let results;
  let times = [];
  try {
    console.log(
      `npm test: ${shards.length} shard(s) at once: ${shards.map((s, i) => `[${i + 1}] ${s.files.length} files, ~${Math.round(s.seconds)} s recorded`).join('; ')}`,
    );
    results = await Promise.all(shards.map((s, i) => runShard(i + 1, s.files, join(work, `times-${i + 1}.json`))));
    for (const r of results) {
      const path = join(work, `times-${r.index}.json`);
      if (existsSync(path)) times.push(...JSON.parse(readFileSync(path, 'utf8')));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  times.sort((a, b) => b.seconds - a.seconds);
  if (process.env.TINYFORGE_TEST_TIMES) writeFileSync(process.env.TINYFORGE_TEST_TIMES, JSON.stringify(times, null, 1));

  const total = { passed: 0, failed: 0, skipped: 0 };
  const perFile = new Map(times.map((t) => [t.file, t]));
  const rerun = [];
  console.log('');
  for (const r of results) {
    const c = r.counts;
    const files = shards[r.index - 1].files;
    const crashed = r.crashed.length > 0 ? `; ${r.crashed.length} file(s) in a batch that ended without its summary` : '';
    console.log(`shard ${r.index}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, exit ${r.signal ?? r.code}${crashed}`);
    if (r.failures) console.log(`\nshard ${r.index}'s failures:\n${r.failures}\n`);
    // the files that failed, and every file of a batch that crashed (its counts are not in c): again alone
    const failed = files.filter((f) => !r.crashed.includes(f) && (perFile.get(f)?.failed ?? 0) > 0);
    rerun.push(...r.crashed, ...failed);
    for (const k of Object.keys(total)) total[k] += c[k] - failed.reduce((n, f) => n + (perFile.get(f)?.[k] ?? 0), 0);
  }
  if (rerun.length > MAX_RERUN_FILES) {
    console.log(`${rerun.length} files failed in the shards: more than ${MAX_RERUN_FILES}, not re-run alone; they count as failed`);
    total.failed += rerun.length;
  } else if (rerun.length > 0) {
    // what fails beside the other shard and passes alone is a test that cannot share the machine (a tight
    // timeout, CPU starvation): it counts as passed and is named, so that it gets slack or a fix
    console.log(`re-running alone, one after another, the ${rerun.length} file(s) that failed in a shard:\n  ${rerun.join('\n  ')}`);
    const path = join(mkdtempSync(join(tmpdir(), 'tinyforge-test-')), 'times-rerun.json');
    const again = await runShard('alone', rerun, path);
    const rerunTimes = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : [];
    rmSync(dirname(path), { recursive: true, force: true });
    const c = again.counts;
    const crashed = again.crashed.length > 0 ? `; ${again.crashed.length} file(s) ended without a summary, each counted failed` : '';
    console.log(`\nalone: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, exit ${again.signal ?? again.code}${crashed}`);
    if (again.failures) console.log(`\nthe failures alone:\n${again.failures}\n`);
    for (const k of Object.keys(total)) total[k] += c[k];
    total.failed += again.crashed.length;
    const passedAlone = rerunTimes.filter((t) => t.failed === 0).map((t) => t.file);
    if (passedAlone.length > 0) console.log(`failed beside the other shard, passed alone (their shard failures are above):\n  ${passedAlone.join('\n  ')}`);
  }
  console.log(`\nslowest test files (of ${times.length}, ${Math.round((Date.now() - started) / 1000)} s in all, ${shards.length} shard(s)):`);
  for (const t of times.slice(0, SLOWEST_SHOWN)) console.log(`  ${t.seconds.toFixed(1).padStart(7)} s  ${t.file}`);
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exitCode = total.failed > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
