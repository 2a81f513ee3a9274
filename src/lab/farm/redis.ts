// SPDX-License-Identifier: Apache-2.0
/**
 * The farm's connection to Redis: a URL that may carry a password or an ACL user
 * (`redis://user:pass@host:port`, `rediss://` for TLS) and TLS files handed to ioredis as they are.
 * BullMQ is given ioredis instances, never options: it then needs no driver of its own to load.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { TinyforgeError } from '../../core/errors.ts';

export interface RedisAccess {
  url: string;
  /** TLS even on a redis:// URL */
  tls?: boolean;
  /** PEM files: the CA that signed the server's certificate, and a client certificate and key */
  ca?: string;
  cert?: string;
  key?: string;
}

/** The URL without its password, for messages and the status table. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TinyforgeError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TinyforgeError(`--farm must be a URL such as redis://[user:password@]host:port, got '${redactedUrl(url)}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TinyforgeError(`--farm must be a redis:// or rediss:// URL, got '${redactedUrl(url)}'`);
  return url;
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
