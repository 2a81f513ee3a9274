// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { loadGraph } from '../model/load.ts';
import { readInputCases } from '../run/inputs.ts';
import { runModel } from '../run/run.ts';
import { formatRunReport } from '../report/run.ts';
import { byteSizeOption, linkOption, patchOption } from './device-options.ts';
import type { PatchOption } from '../plan/patch.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';

export function runCommand(): Command {
  return new Command('run')
    .description('compile, build and run a model on the target (emulated board by default); print outputs, counter and memory')
    .argument('<model>', 'model file (.tflite)')
    .option('-t, --target <target>', 'target (see `tinyforge targets`)', 'cortex-m4')
    .option('-b, --board <board>', 'board of the target (default: its emulated board; with --port its real board)')
    .option('-p, --port <port>', 'serial port of a real board already flashed with this model (tinyforge flash MODEL)')
    .option('-i, --input <file>', 'input: raw bytes (all inputs concatenated; several back to back run each) or .npy')
    .option('--link <link>', "emulated boards: the UART over a pseudo-terminal (pty) or the emulator's stdio (stdio)", linkOption, 'pty' as EmulatorLink)
    .option('--keep <dir>', 'keep the generated sources and the build in this directory')
    .option('--timeout <seconds>', 'limit for the run on the board', '300')
    .option('--max-ram <bytes>', 'fit the arena in this many bytes, moving layers to more frugal kernels (as compile --max-ram)', byteSizeOption('--max-ram'))
    .option('--max-flash <bytes>', "fit the model's constant tables in this many bytes (as compile --max-flash)", byteSizeOption('--max-flash'))
    .option('--patch <mode>', 'run an initial convolution chain in row bands: auto, off, or START:LENGTH:ROWS (as compile --patch)', patchOption)
    .option('--json', 'print one JSON object on stdout')
    .action(
      async (
        modelPath: string,
        opts: {
          target: string;
          board?: string;
          port?: string;
          input?: string;
          keep?: string;
          timeout: string;
          json?: boolean;
          link: EmulatorLink;
          maxRam?: number;
          maxFlash?: number;
          patch?: PatchOption;
        },
      ) => {
        const cases = opts.input ? readInputCases(loadGraph(modelPath), opts.input) : undefined;
        const report = await runModel(modelPath, {
          target: opts.target,
          board: opts.board,
          port: opts.port,
          cases,
          workDir: opts.keep,
          link: opts.link,
          budget: opts.maxRam !== undefined || opts.maxFlash !== undefined ? { ram: opts.maxRam, flash: opts.maxFlash } : undefined,
          patch: opts.patch,
          timeoutMs: Number(opts.timeout) * 1000,
          progress: (m) => process.stderr.write(`${m}\n`),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatRunReport(report, modelPath)}\n`);
        if (!report.matchesReference) process.exitCode = 3;
      },
    );
}
