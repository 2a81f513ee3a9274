// SPDX-License-Identifier: Apache-2.0
/**
 * Where the farm's Redis is and how to reach it, checked and printed without loading the Redis
 * client: BullMQ and ioredis are optional dependencies, loaded only when a farm command connects.
 */
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

/** A redis:// or rediss:// URL, or a one-line error. */
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
