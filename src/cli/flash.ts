import { Command } from 'commander';
import { TinyforgeError } from '../errors.ts';
import { type FlashFileResult, flashFile } from '../device/stm32/flash-file.ts';

function parseAddress(text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) throw new TinyforgeError(`--address must be a 32-bit address such as 0x08000000, got '${text}'`);
  return value;
}

function parseBaud(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new TinyforgeError(`--baud must be a positive integer, got '${text}'`);
  return value;
}

const hex32 = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

function describe(r: FlashFileResult): string {
  const f = r.flash;
  const lines = [
    `flashed ${r.image.source} (${r.image.bytes} bytes) to ${r.board ?? 'the board'} on ${r.port} through the AN3155 boot loader` +
      `${r.board ? ' (our loader on the emulated board)' : ''}`,
    `  boot loader v${f.bootloaderVersion >> 4}.${f.bootloaderVersion & 0xf}, product id 0x${f.productId.toString(16).padStart(4, '0')}; mass ${f.erase}`,
    `  ${f.blocks} blocks written and read back identical${f.retries ? ` (${f.retries} repeated)` : ''} in ${(f.elapsedMs / 1000).toFixed(1)} s`,
    f.started === null ? '  not started (--no-go)' : `  started at ${hex32(f.started)} (GO)`,
  ];
  if (r.application) {
    lines.push(
      r.application.answered
        ? `  the application answers: harness of model ${r.application.model}, build ${r.application.buildId}`
        : '  the application does not answer the device protocol (not a tinyforge harness?)',
    );
  }
  return lines.join('\n');
}

export function flashCommand(): Command {
  return new Command('flash')
    .description('flash an image, or a model built into the harness firmware, through the STM32 USART boot loader protocol (AN3155)')
    .argument('<file>', 'image (.elf, .bin, .hex) or model (.tflite: compiled and built first)')
    .option('-t, --target <target>', 'target (see `tinyforge targets`)', 'cortex-m4')
    .option('-p, --port <port>', 'serial port of a real board in its boot loader (8E1)')
    .option('-b, --board <board>', 'emulated board (default: the target\'s) when no --port is given')
    .option('--address <address>', 'where a .bin goes (default: 0x08000000 on a port; the loader\'s application address on an emulated board)')
    .option('--baud <rate>', 'baud rate on a real port', '115200')
    .option('--profile', 'for a model: build the profile variant of the harness (per-layer counters)')
    .option('--no-go', 'write and verify, but do not start the image')
    .option('--keep <dir>', 'keep the generated sources and the build in this directory')
    .option('--json', 'print one JSON object on stdout')
    .action(async (file: string, opts: {
      target: string; port?: string; board?: string; address?: string; baud: string; profile?: boolean; go: boolean; keep?: string; json?: boolean;
    }) => {
      const result = await flashFile({
        file, target: opts.target, port: opts.port, board: opts.board,
        address: opts.address === undefined ? undefined : parseAddress(opts.address),
        baudRate: parseBaud(opts.baud), profile: opts.profile, workDir: opts.keep,
        flash: { noGo: !opts.go },
        progress: (m) => process.stderr.write(`${m}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
    });
}
