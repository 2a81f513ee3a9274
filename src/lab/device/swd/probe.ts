// SPDX-License-Identifier: Apache-2.0
/**
 * Where a CMSIS-DAP probe is reached, as a dapjs Transport:
 *
 * - `tcp:HOST:PORT`: CMSIS-DAP commands over a TCP socket, framed as OpenOCD's cmsis_dap_tcp backend
 *   frames them (8-byte header: u32 0x00504144 "DAP\0", u16 payload length, u8 type 1 = request,
 *   2 = response, u8 reserved; little-endian). Remote probes (an ESP32 running a cmsis_dap_tcp
 *   server) and the tests' fake probe (test/device/swd/fake-probe.ts) speak it.
 * - `cmsis-dap[:SERIAL]`: a USB probe, through the `usb` npm package (CMSIS-DAP v2, bulk endpoints)
 *   or `node-hid` (v1, HID reports), whichever is installed; both are native modules tinyforge does
 *   not depend on, so without them this is a one-line error naming what to install.
 *
 * Every failure is a TinyforgeError naming the probe: no answer in time, the connection closed.
 */
import { Socket, connect } from 'node:net';
import type { Transport } from 'dapjs';
import { TinyforgeError } from '../../../core/errors.ts';

/** cmsis_dap_tcp framing: "DAP\0" little-endian, then u16 length, u8 type, u8 reserved. */
export const DAP_TCP_SIGNATURE = 0x00504144;
export const DAP_TCP_REQUEST = 1;
export const DAP_TCP_RESPONSE = 2;
export const DAP_TCP_HEADER = 8;

export type ProbeSpec = { kind: 'tcp'; host: string; port: number } | { kind: 'usb'; serial?: string } | { kind: 'openocd'; serial?: string };

export const PROBE_HELP =
  "cmsis-dap[:SERIAL] (a USB CMSIS-DAP probe), tcp:HOST:PORT (CMSIS-DAP over TCP, OpenOCD's cmsis_dap_tcp framing) or openocd[:SERIAL] (Debian's openocd with the board's ST-LINK/J-Link)";

/** Parses --probe. */
export function parseProbe(text: string): ProbeSpec {
  const tcp = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) throw new TinyforgeError(`--probe ${text}: the port must be 1..65535`);
    return { kind: 'tcp', host: tcp[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  }
  const usb = /^cmsis-dap(?::(.+))?$/.exec(text);
  if (usb) return { kind: 'usb', serial: usb[1] };
  const ocd = /^openocd(?::(.+))?$/.exec(text);
  if (ocd) return { kind: 'openocd', serial: ocd[1] };
  throw new TinyforgeError(`--probe must be ${PROBE_HELP}; got '${text}'`);
}

export function probeName(spec: ProbeSpec): string {
  if (spec.kind === 'tcp') return `tcp:${spec.host}:${spec.port}`;
  if (spec.kind === 'usb') return `cmsis-dap${spec.serial ? `:${spec.serial}` : ''}`;
  return `openocd${spec.serial ? `:${spec.serial}` : ''}`;
}

/** CMSIS-DAP over TCP (cmsis_dap_tcp framing). */
export class TcpDapTransport implements Transport {
  packetSize = 64;
  private socket: Socket | undefined;
  private received = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closedWhy: string | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly name: string,
    private readonly timeoutMs = 5000,
  ) {}

  async open(): Promise<void> {
    if (this.socket) return;
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TinyforgeError(`--probe ${this.name}: no connection in ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new TinyforgeError(`--probe ${this.name}: cannot connect (${e.code ?? e.message}); is the probe's server running there?`));
      });
    });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.closedWhy ??= `the connection failed (${e.code ?? e.message})`;
    });
    socket.on('close', () => {
      this.closedWhy ??= 'the probe closed the connection';
      this.waiter?.();
    });
  }

  async close(): Promise<void> {
    this.closedWhy ??= 'closed';
    this.socket?.destroy();
  }

  async write(data: BufferSource): Promise<void> {
    let payload = ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
    // dapjs sends DAP_WriteAbort's 32-bit abort value as one byte (a USB report pads it with zeros): pad it here too
    if (payload[0] === 0x08 && payload.length < 6) payload = Buffer.concat([payload, Buffer.alloc(6 - payload.length)]);
    const socket = this.socket;
    if (!socket || this.closedWhy !== undefined) throw this.closedError();
    const header = Buffer.alloc(DAP_TCP_HEADER);
    header.writeUInt32LE(DAP_TCP_SIGNATURE, 0);
    header.writeUInt16LE(payload.length, 4);
    header[6] = DAP_TCP_REQUEST;
    socket.write(Buffer.concat([header, payload]));
  }

  async read(): Promise<DataView> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (this.received.length >= DAP_TCP_HEADER) {
        if (this.received.readUInt32LE(0) !== DAP_TCP_SIGNATURE || this.received[6] !== DAP_TCP_RESPONSE)
          throw new TinyforgeError(`--probe ${this.name}: the answer is not a cmsis_dap_tcp response (is this a CMSIS-DAP TCP server?)`);
        const length = this.received.readUInt16LE(4);
        if (this.received.length >= DAP_TCP_HEADER + length) {
          const payload = Uint8Array.prototype.slice.call(this.received, DAP_TCP_HEADER, DAP_TCP_HEADER + length);
          this.received = this.received.subarray(DAP_TCP_HEADER + length);
          // dapjs reads fixed offsets: a short answer is padded as a USB report would be
          const padded = new Uint8Array(Math.max(payload.length, this.packetSize));
          padded.set(payload);
          return new DataView(padded.buffer);
        }
      }
      if (this.closedWhy !== undefined) throw this.closedError();
      const left = deadline - Date.now();
      if (left <= 0) throw new TinyforgeError(`--probe ${this.name}: no answer from the probe in ${this.timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  private closedError(): TinyforgeError {
    return new TinyforgeError(`--probe ${this.name}: ${this.closedWhy ?? 'not connected'} in the middle of a transfer; the flash may hold part of the image`);
  }
}

/**
 * A USB CMSIS-DAP probe through `usb` (v2 bulk) or `node-hid` (v1 HID). Untested: no probe and
 * neither package here. Without either package this is the one-line error naming what to install.
 */
export async function openUsbTransport(serial: string | undefined): Promise<Transport> {
  const dapjs = await loadDapjs();
  const usb = await optionalImport('usb');
  if (usb) {
    const list: any[] = (usb.getDeviceList ?? usb.usb?.getDeviceList)?.call(usb.usb ?? usb) ?? [];
    for (const device of list) {
      const described = await describeUsb(device);
      if (!described || !/CMSIS-DAP/i.test(described.product)) continue;
      if (serial !== undefined && described.serial !== serial) continue;
      return new dapjs.USB(device);
    }
  }
  const hid = await optionalImport('node-hid');
  if (hid) {
    const found = (hid.devices() as { path?: string; product?: string; serialNumber?: string }[]).find(
      (d) => d.path && /CMSIS-DAP/i.test(d.product ?? '') && (serial === undefined || d.serialNumber === serial),
    );
    if (found) return new dapjs.HID(new hid.HID(found.path!));
  }
  if (!usb && !hid)
    throw new TinyforgeError(
      "--probe cmsis-dap: a USB probe needs the 'usb' npm package (npm install usb) or 'node-hid' (npm install node-hid) next to tinyforge; or reach the probe through OpenOCD (--probe openocd) or a CMSIS-DAP TCP server (--probe tcp:HOST:PORT)",
    );
  throw new TinyforgeError(
    `--probe cmsis-dap${serial ? `:${serial}` : ''}: no CMSIS-DAP probe${serial ? ` with serial ${serial}` : ''} found on USB (plugged in? permission to open it: udev rules)`,
  );
}

/** dapjs is a UMD bundle: Node's ESM loader gives its exports as `default`, tsx as named exports. */
export async function loadDapjs(): Promise<typeof import('dapjs')> {
  const m = (await import('dapjs')) as typeof import('dapjs') & { default?: typeof import('dapjs') };
  return m.CmsisDAP ? m : m.default!;
}

async function optionalImport(name: string): Promise<any> {
  try {
    const m = await import(name);
    return m.default ?? m;
  } catch {
    return undefined;
  }
}

async function describeUsb(device: any): Promise<{ product: string; serial: string } | undefined> {
  const d = device.deviceDescriptor;
  if (!d?.iProduct) return undefined;
  try {
    device.open();
  } catch {
    return undefined;
  }
  const text = (index: number) =>
    new Promise<string>((resolve) => {
      if (!index) resolve('');
      else device.getStringDescriptor(index, (e: unknown, s?: string) => resolve(e ? '' : (s ?? '')));
    });
  try {
    return { product: await text(d.iProduct), serial: await text(d.iSerialNumber) };
  } finally {
    try {
      device.close();
    } catch {
      // closed already
    }
  }
}
