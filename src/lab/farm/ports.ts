// SPDX-License-Identifier: Apache-2.0
/**
 * `farm worker --ports auto`: the real boards on this host, found by the USB id of their on-board
 * probe's serial port. An id names a board only where one board we build firmware for carries that
 * probe; an ST-LINK/V3 sits on several Nucleo boards, so such a port needs `--port-board PATH=BOARD`.
 */
import { TinyforgeError } from '../../core/errors.ts';
import { listPorts, type PortInfo } from '../device/transport/ports.ts';
import type { BoardSlot } from './worker.ts';
import { checkBoardName } from './job.ts';

/** USB vendor:product (lower-case hex) of an on-board probe, and the boards that carry it. */
const PROBE_BOARDS: Record<string, string[]> = {
  // ST-LINK/V2-1 (Nucleo-144 of the L4+ generation)
  '0483:374b': ['nucleo-l4r5zi'],
  // STLINK-V3E / V3 (newer Nucleo-144 boards)
  '0483:374e': ['nucleo-h7a3zi-q', 'nucleo-u575zi-q'],
  '0483:3753': ['nucleo-h7a3zi-q', 'nucleo-u575zi-q'],
  // SEGGER J-Link OB (nRF52840 DK)
  '1366:1015': ['nrf52840-dk'],
  '1366:1051': ['nrf52840-dk'],
  // Raspberry Pi Debug Probe (its UART wired to a Pico's pins 1 and 2)
  '2e8a:000c': ['pico', 'pico2'],
};

export interface PortBoard {
  port: string;
  board: string;
  /** `tinyforge flash --probe` for boards flashed over SWD */
  probe?: string;
}

/** `--port-board PATH=BOARD[@PROBE]`, repeatable. */
export function portBoardOption(value: string, previous: PortBoard[] = []): PortBoard[] {
  const m = /^([^=]+)=([a-z0-9._-]+)(?:@(.+))?$/.exec(value);
  if (!m) throw new TinyforgeError(`--port-board must be PATH=BOARD or PATH=BOARD@PROBE (/dev/ttyACM0=nucleo-l4r5zi@openocd), got '${value}'`);
  return [...previous, { port: m[1]!, board: checkBoardName(m[2]!), ...(m[3] ? { probe: m[3] } : {}) }];
}

function usbId(p: PortInfo): string | null {
  return p.vendorId && p.productId ? `${p.vendorId}:${p.productId}`.toLowerCase() : null;
}

/**
 * The real boards present: those named by `--port-board`, then every other port whose USB id names
 * one board. `skipped` says, a line each, the ports left out and why.
 */
export async function detectPortBoards(named: PortBoard[], list: () => Promise<PortInfo[]> = listPorts): Promise<{ found: PortBoard[]; skipped: string[] }> {
  const ports = await list();
  const found: PortBoard[] = [...named];
  const skipped: string[] = [];
  for (const p of ports) {
    if (named.some((n) => n.port === p.path)) continue;
    const id = usbId(p);
    const boards = id ? PROBE_BOARDS[id] : undefined;
    if (!boards) continue;
    if (boards.length === 1) found.push({ port: p.path, board: boards[0]! });
    else skipped.push(`${p.path} (USB ${id}) may be ${boards.join(' or ')}: name it with --port-board ${p.path}=BOARD`);
  }
  return { found, skipped };
}

export function portSlots(boards: PortBoard[]): BoardSlot[] {
  return boards.map((b) => ({ board: b.board, instance: `${b.board}@${b.port}`, port: b.port }));
}

/** `--boards B1,B2 --instances N`: N emulated instances of each. */
export function emulatedSlots(boards: string[], instances: number): BoardSlot[] {
  return boards.flatMap((board) => Array.from({ length: instances }, (_, i) => ({ board, instance: instances > 1 ? `${board}#${i + 1}` : board })));
}
