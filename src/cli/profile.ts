// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { TinyforgeError } from '../errors.ts';
import { loadGraph } from '../model/load.ts';
import { readInputCases } from '../run/inputs.ts';
import { profileModel } from '../run/profile.ts';
import { formatProfileReport, profileJson } from '../report/profile.ts';
import { profileHtml, requireReportPath } from '../report/html.ts';
import {
  type PlanShapingFlags,
  countOption,
  linkOption,
  planShaping,
  planShapingOptions,
  reportMismatch,
  requireSerialPort,
  timeoutOption,
} from './device-options.ts';

export function profileCommand(): Command {
  const command = new Command('profile')
    .description('run the model on a board in a profile build and read back the counter per layer, memory and outputs')
    .argument('<model>', 'model file (.tflite)')
    .option('-t, --target <target>', 'target (see `tinyforge targets`)', 'cortex-m4')
    .option('-b, --board <board>', "emulated board to start (default: the target's), or with --port the real board")
    .option('-p, --port <port>', 'serial port of a board already flashed with this model (tinyforge flash)')
    .option('-i, --input <file>', 'input to profile with (raw bytes or .npy; the first input of the file); default: zero points')
    .option('--runs <n>', 'inferences to average over (1 to 65535)', countOption('--runs', 65_535), 1)
    .option('--link <link>', "emulated boards: the UART over a pseudo-terminal (pty) or the emulator's stdio (stdio)", 'pty')
    .option('--timeout <seconds>', 'limit for one inference on the board, in seconds (default 120)', timeoutOption, 120_000);
  return planShapingOptions(command)
    .option('--json', 'print one JSON object on stdout')
    .option('--html <file>', 'also write a self-contained HTML report (per-layer chart, arena timeline)')
    .action(
      async (
        modelPath: string,
        opts: {
          target: string;
          board?: string;
          port?: string;
          input?: string;
          runs: number;
          link: string;
          timeout: number;
          json?: boolean;
          html?: string;
        } & PlanShapingFlags,
      ) => {
        if (opts.port) requireSerialPort(opts.port);
        if (opts.html !== undefined) requireReportPath(opts.html);
        const input = opts.input ? readInputCases(loadGraph(modelPath), opts.input)[0] : undefined;
        const runs = opts.runs;
        const report = await profileModel(modelPath, {
          target: opts.target,
          board: opts.board,
          port: opts.port,
          input,
          runs,
          link: linkOption(opts.link),
          ...planShaping(opts),
          timeoutMs: opts.timeout,
          progress: (m) => process.stderr.write(`${m}\n`),
        });
        if (opts.html) {
          try {
            writeFileSync(opts.html, profileHtml(report, modelPath));
          } catch (e) {
            throw new TinyforgeError(`--html ${opts.html}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
          }
          process.stderr.write(`wrote ${opts.html}\n`);
        }
        process.stdout.write(opts.json ? `${JSON.stringify(profileJson(report))}\n` : `${formatProfileReport(report, modelPath)}\n`);
        if (!report.matchesReference)
          reportMismatch(`${modelPath}: the outputs on ${report.board ?? report.target} differ from tinyforge's reference (the host interpreter)`);
      },
    );
}
