// SPDX-License-Identifier: Apache-2.0
/** A serial port set up the way ST's USART boot loader wants it: 8 data bits, even parity, 1 stop bit. */
import { SerialTransport } from '../transport/serial.ts';

export const BOOTLOADER_BAUD = 115200;

export function openBootloaderPort(path: string, baudRate = BOOTLOADER_BAUD): Promise<SerialTransport> {
  return SerialTransport.open(path, { baudRate, parity: 'even' });
}
