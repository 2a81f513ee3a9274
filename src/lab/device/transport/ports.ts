// SPDX-License-Identifier: Apache-2.0
/** The serial ports present, as serialport lists them (through udev on Linux). */
import { SerialPort } from 'serialport';
import { TinyforgeError } from '../../../core/errors.ts';
import { findTool } from '../../toolchain/toolchain.ts';

export interface PortInfo {
  path: string;
  manufacturer: string | null;
  serialNumber: string | null;
  vendorId: string | null;
  productId: string | null;
}

export async function listPorts(): Promise<PortInfo[]> {
  // serialport's Linux lister spawns udevadm and crashes the process with an uncaught error without it
  if (process.platform === 'linux') findTool('udevadm', 'apt-get install udev');
  let ports: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    ports = await SerialPort.list();
  } catch (e) {
    throw new TinyforgeError(`cannot list serial ports: ${(e as Error).message}`);
  }
  return ports
    .map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer ?? null,
      serialNumber: p.serialNumber ?? null,
      vendorId: p.vendorId ?? null,
      productId: p.productId ?? null,
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
