// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { loadGraph } from '../model/load.ts';
import { readInputCases } from '../run/inputs.ts';
import { runModel } from '../run/run.ts';
import { formatRunReport } from '../report/run.ts';
import { type PlanShapingFlags, linkOption, planShaping, planShapingOptions, reportMismatch, requireSerialPort, timeoutOption } from './device-options.ts';
import type { EmulatorLink } from '../device/transport/qemu.ts';

export function runCommand(): Command {
  const command = new Command('run')
    .description('compile, build and run a model on the target (emulated board by default); print outputs, counter and memory')
    .argument('<model>', 'model file (.tflite)')
    .option('-t, --target <target>', 'target (see `tinyforge targets`)', 'cortex-m4')
    .option('-b, --board <board>', 'board of the target (default: its emulated board; with --port its real board)')
    .option('-p, --port <port>', 'serial port of a real board already flashed with this model (tinyforge flash MODEL)')
    .option('-i, --input <file>', 'input: raw bytes (all inputs concatenated; several back to back run each) or .npy')
    .option('--link <link>', "emulated boards: the UART over a pseudo-terminal (pty) or the emulator's stdio (stdio)", linkOption, 'pty' as EmulatorLink)
    .option('--keep <dir>', 'keep the generated sources and the build in this directory')
    .option('--timeout <seconds>', 'limit for the run on the board, in seconds (default 300)', timeoutOption, 300_000);
  return planShapingOptions(command)
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
          timeout: number;
          json?: boolean;
          link: EmulatorLink;
        } & PlanShapingFlags,
      ) => {
        if (opts.port) requireSerialPort(opts.port);
        const cases = opts.input ? readInputCases(loadGraph(modelPath), opts.input) : undefined;
        const report = await runModel(modelPath, {
          target: opts.target,
          board: opts.board,
          port: opts.port,
          cases,
          workDir: opts.keep,
          link: opts.link,
          ...planShaping(opts),
          timeoutMs: opts.timeout,
          progress: (m) => process.stderr.write(`${m}\n`),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatRunReport(report, modelPath)}\n`);
        if (!report.matchesReference)
          reportMismatch(
            `${modelPath}: the outputs on ${report.board ?? report.target} differ from tinyforge's reference (the host interpreter); the report above shows where`,
          );
      },
    );
}
