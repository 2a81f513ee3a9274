// SPDX-License-Identifier: Apache-2.0
/**
 * A content-addressed cache of compiled objects (ccache's "preprocessor mode"), so the fixed harness
 * and firmware sources are not compiled again by every build of every model.
 *
 * The key of a unit is the sha256 of: the compiler's path and its `--version` output, the flags that
 * reach the compiler proper, the source's path (it is in debug info and sanitizer messages), the
 * working directory when debug info is on, and the unit's preprocessed text (`cc -E` with the same
 * flags), so every header it includes, and every -D, is in the key. The -D/-U/-I flags themselves are
 * left out of the key: they act on preprocessing only, which the preprocessed text already captures.
 * Paths the caller names as "volatile" (a model's temporary directory) are replaced by a placeholder
 * in the key, so the same harness built against the same model.h in another folder hits; so does the
 * source's own path where the object does not hold it (no debug info, no __FILE__ in the code), so a
 * model's unit generated again in another folder hits too.
 *
 * Entries live in `$TINYFORGE_CACHE_DIR`, else `$XDG_CACHE_HOME/tinyforge/objects`, else
 * `~/.cache/tinyforge/objects`, as `tfobj-<sha256>.o` files (a header with the payload's own sha256,
 * then the object), written to a temporary name and renamed into place, so concurrent builds in several
 * processes never see half an entry. A truncated or corrupt entry is ignored and rebuilt. The directory
 * is bounded (TINYFORGE_CACHE_MAX_MB, default 512): the least recently used entries go first, and only
 * files whose names the cache itself writes are ever deleted. TINYFORGE_NO_CACHE=1 turns it off.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { runTool, type ToolResult } from './toolchain.ts';

export interface ObjectCache {
  dir: string;
  maxBytes: number;
}

const DEFAULT_MAX_MB = 512;
const MAGIC = Buffer.from('TFOBJ1\n');
const HEADER_BYTES = MAGIC.length + 32;
const ENTRY = /^tfobj-[0-9a-f]{64}\.o$/;
const TEMP = /^tfobj-[0-9a-f]{64}\.o\.tmp-\d+-[0-9a-f]{8}$/;
/** a temporary file this old was left by a process that died while writing it */
const STALE_TEMP_MS = 3600_000;

/** The cache the environment asks for, or null when TINYFORGE_NO_CACHE=1 turns it off. */
export function objectCacheFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectCache | null {
  const off = env.TINYFORGE_NO_CACHE;
  if (off !== undefined && off !== '' && off !== '0') return null;
  const maxMb = Number(env.TINYFORGE_CACHE_MAX_MB);
  return { dir: objectCacheDir(env), maxBytes: (Number.isFinite(maxMb) && maxMb > 0 ? maxMb : DEFAULT_MAX_MB) * 1024 * 1024 };
}

/**
 * The cache of the models' own units the environment names: TINYFORGE_MODEL_UNIT_CACHE, a folder of
 * its own (never the user's cache, which one-off models would flood), for a run of many builds of the
 * same generated C (a test run builds one model in several tests); null when unset or when
 * TINYFORGE_NO_CACHE=1 turns caching off. Bounded like the object cache.
 */
export function modelUnitCacheFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectCache | null {
  const dir = env.TINYFORGE_MODEL_UNIT_CACHE;
  const objects = objectCacheFromEnv(env);
  return dir && objects ? { dir, maxBytes: objects.maxBytes } : null;
}

export function objectCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TINYFORGE_CACHE_DIR) return env.TINYFORGE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tinyforge', 'objects');
}

const identities = new Map<string, Promise<string>>();

/** `cc --version` of a compiler, asked once per process. */
function compilerIdentity(cc: string): Promise<string> {
  let identity = identities.get(cc);
  if (!identity) {
    identity = runTool(cc, ['--version']).then((r) => `${r.code}\n${r.stdout.toString('utf8')}`);
    identities.set(cc, identity);
  }
  return identity;
}

/** The flags that matter beyond preprocessing: -D, -U and -I act only on the preprocessed text. */
function keyFlags(flags: string[]): string[] {
  if (flags.some((f) => /^-g(gdb)?3$/.test(f))) return flags; // macro definitions go into the debug info
  return flags.filter((f) => !/^-[DUI]./.test(f));
}

function replaceAll(text: string, paths: string[]): string {
  let out = text;
  for (const path of paths) if (path !== '') out = out.split(path).join('<volatile>');
  return out;
}

export interface CachedCompile {
  cc: string;
  /** every compile flag (not -c, the source or -o) */
  flags: string[];
  source: string;
  object: string;
  /** paths that may differ between builds of the same unit (a model's temporary folder) */
  volatilePaths?: string[];
}

export interface CompileOutcome {
  result: ToolResult;
  /** 'hit': the object came from the cache; 'miss': compiled and stored; 'off': not cached */
  cache: 'hit' | 'miss' | 'off';
  key?: string;
}

/** Whether preprocessed text names `path` outside its line markers (a string of the code: __FILE__). */
function namedInCode(text: string, path: string): boolean {
  if (path === '') return false;
  for (let at = text.indexOf(path); at >= 0; at = text.indexOf(path, at + path.length)) {
    if (text[text.lastIndexOf('\n', at) + 1] !== '#') return true;
  }
  return false;
}

/**
 * Keys found by preprocessing, by the unit's compiler, flags and source (volatile paths replaced), with
 * the files the preprocessor read and their sizes and times then: ccache's "direct mode" within one
 * process, so a fixed firmware unit built for model after model is preprocessed once. A key is used
 * again only while every file it read is unchanged, none lies in a volatile folder (a model's own
 * header), and no volatile folder holds a file of the same name that the include path could find first.
 */
const knownKeys = new Map<string, { key: string; read: { path: string; size: number; mtimeMs: number }[] }>();
const KNOWN_KEYS_KEPT = 512;

/** The files a preprocessed text names in its line markers (`# 12 "path" 1`), but the built-in ones. */
function filesRead(text: string): string[] {
  const files = new Set<string>();
  for (const m of text.matchAll(/^# \d+ "([^"]+)"/gm)) if (!m[1]!.startsWith('<')) files.add(m[1]!);
  return [...files];
}

function knownKey(memo: string, volatile: string[]): string | null {
  const known = knownKeys.get(memo);
  if (!known) return null;
  for (const file of known.read) {
    try {
      const st = statSync(file.path);
      if (st.size !== file.size || st.mtimeMs !== file.mtimeMs) return null;
    } catch {
      return null;
    }
  }
  const names = new Set(known.read.map((f) => basename(f.path)));
  for (const dir of volatile) {
    try {
      if (readdirSync(dir).some((f) => names.has(f))) return null;
    } catch {
      // not a folder: nothing in it shadows a header
    }
  }
  return known.key;
}

/** The key of a unit, or null when it cannot be preprocessed (the real compile then reports why). */
async function unitKey(unit: CachedCompile): Promise<string | null> {
  const volatile = unit.volatilePaths ?? [];
  const memo = [unit.cc, ...unit.flags.map((f) => replaceAll(f, volatile)), unit.source].join('\0');
  const known = knownKey(memo, volatile);
  if (known !== null) return known;
  const [identity, pre] = await Promise.all([compilerIdentity(unit.cc), runTool(unit.cc, [...unit.flags, '-E', unit.source])]);
  if (pre.code !== 0) return null;
  const text = pre.stdout.toString('latin1');
  const key = keyOfText(unit, identity, text, volatile);
  const read = filesRead(text).map((f) => resolve(f));
  if (!read.some((f) => volatile.some((dir) => dir !== '' && f.startsWith(dir)))) {
    try {
      const stamped = read.map((path) => {
        const st = statSync(path);
        return { path, size: st.size, mtimeMs: st.mtimeMs };
      });
      if (knownKeys.size >= KNOWN_KEYS_KEPT) knownKeys.delete(knownKeys.keys().next().value!);
      knownKeys.set(memo, { key, read: stamped });
    } catch {
      // a file it read is gone already: preprocess again next time
    }
  }
  return key;
}

function keyOfText(unit: CachedCompile, identity: string, text: string, volatile: string[]): string {
  const debug = unit.flags.some((f) => f.startsWith('-g') && f !== '-g0');
  // without debug info the object names its source's folder nowhere (unless the code itself does,
  // __FILE__): a unit in a volatile folder keys as the same unit in another one
  const movable = !debug && !volatile.some((path) => namedInCode(text, path));
  const hash = createHash('sha256');
  hash.update(`tinyforge-object-cache 1\0${unit.cc}\0${identity}\0`);
  for (const flag of keyFlags(unit.flags)) hash.update(`${replaceAll(flag, volatile)}\0`);
  hash.update(`\0${movable ? replaceAll(unit.source, volatile) : unit.source}\0`);
  if (debug) hash.update(`cwd ${process.cwd()}\0`);
  hash.update(replaceAll(text, volatile));
  return hash.digest('hex');
}

/** The object of an entry, or null when it is missing, unreadable, truncated or corrupt. */
function readEntry(path: string): Buffer | null {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return null;
  }
  if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const payload = data.subarray(HEADER_BYTES);
  const sum = createHash('sha256').update(payload).digest();
  if (!sum.equals(data.subarray(MAGIC.length, HEADER_BYTES))) return null;
  return payload;
}

function writeEntry(cache: ObjectCache, key: string, object: Buffer): void {
  const path = join(cache.dir, `tfobj-${key}.o`);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(cache.dir, { recursive: true });
    writeFileSync(temp, Buffer.concat([MAGIC, createHash('sha256').update(object).digest(), object]), { flag: 'wx' });
    renameSync(temp, path);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
  }
}

/**
 * Compiles `unit.source` into `unit.object` (`cc FLAGS -c SOURCE -o OBJECT`), or copies the object
 * from the cache. Only a compile that succeeded without a word on stderr is stored, so a hit never
 * hides a warning. Cache trouble (an unwritable directory, a bad entry) only costs the compile.
 */
export async function compileCached(cache: ObjectCache | null, unit: CachedCompile): Promise<CompileOutcome> {
  const compile = () => runTool(unit.cc, [...unit.flags, '-c', unit.source, '-o', unit.object]);
  if (!cache) return { result: await compile(), cache: 'off' };
  const key = await unitKey(unit);
  if (key === null) return { result: await compile(), cache: 'off' };
  const entry = join(cache.dir, `tfobj-${key}.o`);
  const cached = readEntry(entry);
  if (cached) {
    try {
      writeFileSync(unit.object, cached);
      const now = new Date();
      try {
        utimesSync(entry, now, now); // least recently used goes first
      } catch {
        // pruned meanwhile by another build
      }
      return { result: { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '' }, cache: 'hit', key };
    } catch {
      // cannot write the object from the cache: compile it
    }
  }
  const result = await compile();
  if (result.code === 0 && result.stderr === '') {
    try {
      writeEntry(cache, key, readFileSync(unit.object));
    } catch {
      // the object vanished: nothing to store
    }
  }
  return { result, cache: 'miss', key };
}

/** when each cache folder was last pruned by this process (Date.now()) */
const lastPruned = new Map<string, number>();
/** a process prunes a folder at most this often: a pruning stats every entry, thousands in a long run */
const PRUNE_EVERY_MS = 60_000;

/**
 * Deletes the least recently used entries until the cache holds at most `maxBytes`, and temporary
 * files left by dead writers, unless this process pruned the folder less than a minute ago (`always`:
 * regardless). Files with other names are never touched.
 */
export function pruneObjectCache(cache: ObjectCache, always = false): void {
  const now = Date.now();
  if (!always && now - (lastPruned.get(cache.dir) ?? -Infinity) < PRUNE_EVERY_MS) return;
  lastPruned.set(cache.dir, now);
  let names: string[];
  try {
    names = readdirSync(cache.dir);
  } catch {
    return;
  }
  const entries: { path: string; size: number; used: number }[] = [];
  for (const name of names) {
    const path = join(cache.dir, name);
    try {
      if (ENTRY.test(name)) {
        const st = statSync(path);
        if (st.isFile()) entries.push({ path, size: st.size, used: st.mtimeMs });
      } else if (TEMP.test(name)) {
        const st = statSync(path);
        if (st.isFile() && now - st.mtimeMs > STALE_TEMP_MS) unlinkSync(path);
      }
    } catch {
      // gone meanwhile
    }
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total <= cache.maxBytes) return;
  entries.sort((a, b) => a.used - b.used);
  for (const entry of entries) {
    if (total <= cache.maxBytes) break;
    try {
      unlinkSync(entry.path);
    } catch {
      // another build pruned it
    }
    total -= entry.size;
  }
}
