// SPDX-License-Identifier: Apache-2.0
/**
 * The farm's connection to Redis: a URL that may carry a password or an ACL user
 * (`redis://user:pass@host:port`, `rediss://` for TLS) and TLS files handed to ioredis as they are.
 * BullMQ is given ioredis instances, never options: it then needs no driver of its own to load.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { TinyforgeError } from '../../core/errors.ts';
import { type RedisAccess, checkRedisUrl, redactedUrl } from './access.ts';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TinyforgeError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** ioredis options for the access; blocking BullMQ connections need maxRetriesPerRequest null. */
export function redisOptions(access: RedisAccess): RedisOptions {
  checkRedisUrl(access.url);
  const wantsTls = access.tls || access.ca !== undefined || access.cert !== undefined || access.key !== undefined;
  return {
    maxRetriesPerRequest: null,
    // a restarted Redis is found again within a second or two
    retryStrategy: (times) => Math.min(250 * times, 2000),
    lazyConnect: false,
    ...(wantsTls
      ? {
          tls: {
            ...(access.ca ? { ca: readPem(access.ca, 'CA certificate') } : {}),
            ...(access.cert ? { cert: readPem(access.cert, 'client certificate') } : {}),
            ...(access.key ? { key: readPem(access.key, 'client key') } : {}),
          },
        }
      : {}),
  };
}

/** A connection; its first error is said in one line by the caller (ioredis retries quietly). */
export function connectRedis(access: RedisAccess): Redis {
  const redis = new Redis(access.url, redisOptions(access));
  // ioredis emits 'error' on every failed reconnect; without a listener Node would crash the process
  redis.on('error', () => {});
  return redis;
}

/** Waits for the first connection; a wrong URL, password or certificate is said in one line. */
export async function checkConnection(redis: Redis, access: RedisAccess, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onError: ((e: Error) => void) | undefined;
  try {
    await Promise.race([
      redis.ping(),
      // the first failure is said at once: ioredis would otherwise retry a refused connection forever
      new Promise((_, reject) => {
        onError = reject;
        redis.once('error', onError);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    redis.disconnect();
    throw new TinyforgeError(`cannot reach Redis at ${redactedUrl(access.url)}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
    if (onError) redis.removeListener('error', onError);
  }
}
