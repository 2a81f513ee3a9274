// SPDX-License-Identifier: Apache-2.0
/**
 * Reading a file the user names (a model, an input, a dataset, a firmware image). A path can name
 * anything: a FIFO (reading it waits forever for a writer), /dev/zero (endless), a directory, a file
 * of gigabytes, one without read permission. Each ends as one TinyforgeError naming the path before
 * a byte is read; a regular file of sane size is read whole.
 */
import { readFileSync, statSync } from 'node:fs';
import { TinyforgeError } from '../errors.ts';

/** The largest file tinyforge reads: 512 MiB (a float model is 4x its int8 weights, which are capped at 64 MiB). */
export const MAX_READ_BYTES = 512 * 1024 * 1024;

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** Why a path cannot be read, from its errno code. */
export function unreadableReason(code: string | undefined, fallback: string): string {
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ELOOP') return 'too many symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return `cannot read (${code ?? fallback})`;
}

/** What kind of non-regular file `path` is, for the message. */
function kindOf(stats: ReturnType<typeof statSync> & object): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of the regular file at `path`, at most `maxBytes` of them; `what` says what the file is
 * for in the message (`model file`, `input`). Throws one TinyforgeError line otherwise.
 */
export function readUserFile(path: string, what: string, maxBytes = MAX_READ_BYTES): Buffer<ArrayBuffer> {
  let stats;
  try {
    stats = statSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TinyforgeError(`${path}: ${unreadableReason(err.code, err.message)}`);
  }
  if (!stats.isFile()) throw new TinyforgeError(`${path}: is ${kindOf(stats)}, expected a ${what}`);
  if (stats.size > maxBytes) throw new TinyforgeError(`${path}: ${mib(stats.size)}, more than tinyforge reads for a ${what} (${mib(maxBytes)})`);
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TinyforgeError(`${path}: ${unreadableReason(err.code, err.message)}`);
  }
}
