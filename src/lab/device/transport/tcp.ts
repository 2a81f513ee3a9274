// SPDX-License-Identifier: Apache-2.0
/**
 * A serial line carried over TCP: an emulator's UART as a socket (QEMU `-serial tcp:HOST:PORT`).
 * `listenForSerial` opens a listening socket on a free loopback port first and hands back the port
 * to give the emulator, which connects as a client: no port is guessed, and nothing the board sends
 * is lost before we hold the line (QEMU holds the UART's output until it is connected).
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { TinyforgeError } from '../../../core/errors.ts';
import type { Transport } from './transport.ts';

export class TcpTransport implements Transport {
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private closedReason: string | null = null;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    readonly name: string,
  ) {
    socket.setNoDelay(true);
    const fire = (reason: string) => {
      if (this.closedReason !== null) return;
      this.closedReason = reason;
      if (this.closing) return;
      for (const listener of this.closeListeners) listener(reason);
    };
    socket.on('error', (e) => fire(`the connection failed: ${e.message}`));
    socket.on('close', () => fire('the other end closed the connection'));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closedReason !== null || this.closing) return Promise.reject(new Error(`${this.name} is closed`));
    return new Promise((resolve, reject) => {
      this.socket.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
    });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.socket.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.closing = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // a peer that never answers the FIN: end it anyway
      setTimeout(() => this.socket.destroy(), 200).unref();
    });
  }
}

export interface SerialListener {
  /** the loopback port the emulator is to connect to */
  port: number;
  /** the first connection, as a transport named `name` */
  accept(timeoutMs: number, name: string): Promise<TcpTransport>;
  /** stops listening (the accepted connection stays open) */
  close(): void;
}

/** Listens on 127.0.0.1 at a free port for one connection from an emulator's UART. */
export async function listenForSerial(): Promise<SerialListener> {
  const server: Server = createServer();
  const sockets: Socket[] = [];
  const waiting: ((s: Socket) => void)[] = [];
  server.on('connection', (socket) => {
    const w = waiting.shift();
    if (w) w(socket);
    else sockets.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    accept(timeoutMs, name) {
      const ready = sockets.shift();
      if (ready) return Promise.resolve(new TcpTransport(ready, name));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new TinyforgeError(`${name}: nothing connected to 127.0.0.1:${port} within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((socket) => {
          clearTimeout(timer);
          resolve(new TcpTransport(socket, name));
        });
      });
    },
    close() {
      server.close();
    },
  };
}
