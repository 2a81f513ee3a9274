// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { listPorts } from '../../lab/device/transport/ports.ts';
import { formatTable } from '../report/table.ts';
import { jsonLine } from '../report/json_document.ts';

export function portsCommand(): Command {
  return new Command('ports')
    .description('list the serial ports present (for --port)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: { json?: boolean }) => {
      const ports = await listPorts();
      if (opts.json) {
        process.stdout.write(jsonLine('ports', { ports }));
        return;
      }
      if (ports.length === 0) {
        process.stdout.write('no serial ports found\n');
        return;
      }
      const rows = ports.map((p) => [p.path, p.manufacturer ?? '-', p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-', p.serialNumber ?? '-']);
      process.stdout.write(`${formatTable(['port', 'manufacturer', 'usb id', 'serial number'], rows)}\n`);
    });
}
