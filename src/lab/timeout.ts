// SPDX-License-Identifier: Apache-2.0
/**
 * Waiting on a promise for at most a while. The timer is always cleared when the race ends: a pending
 * one keeps Node's event loop alive, so a command would stay up its full length after finishing.
 */
import { TinyforgeError } from '../core/errors.ts';

/** `work`'s value, or `onTimeout()`'s once `ms` pass first. */
export async function within<T, F>(work: Promise<T>, ms: number, onTimeout: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work`'s value, or a TinyforgeError with `message` once `ms` pass first. */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  return within(work, ms, () => {
    throw new TinyforgeError(message);
  });
}
