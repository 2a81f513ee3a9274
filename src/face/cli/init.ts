// SPDX-License-Identifier: Apache-2.0
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { isModelFile } from '../../core/model/load.ts';
import { DEFAULT_TARGET, listTargets, loadTarget } from '../../core/targets/targets.ts';
import { PROJECT_KINDS } from '../../lab/toolchain/project_layouts.ts';
import { CONFIG_FILE, checkProjectConfig } from './project_config.ts';
import { PREFER_HELP, byteSizeOption, preferOption } from './device-options.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { type OnnxLayout, ONNX_LAYOUTS } from '../../core/model/onnx/edge_layout.ts';
import { jsonLine } from '../report/json_document.ts';

interface InitOptions {
  target?: string;
  board?: string;
  inputs?: string;
  maxRam?: number;
  maxFlash?: number;
  prefer?: Prefer;
  onnxLayout?: OnnxLayout;
  project?: string;
  output: string;
  force?: boolean;
  json?: boolean;
}

/** The only model file (.tflite or .onnx) in the current directory: the model when `init` is given none. */
function onlyModelHere(): string {
  const models = readdirSync('.').filter((f) => isModelFile(f));
  if (models.length === 1) return models[0]!;
  throw new TinyforgeError(
    models.length === 0
      ? 'init: no .tflite or .onnx file here: give the model (tinyforge init path/to/model.tflite)'
      : `init: ${models.length} model files here (${models.join(', ')}): give the model`,
  );
}

/** The target of a known board (an unknown one is reported by the file's check, naming the key). */
function boardTarget(board: string | undefined): string | undefined {
  return board === undefined ? undefined : listTargets().find((t) => loadTarget(t).boards.some((b) => b.name === board));
}

export function initCommand(program: Command): Command {
  return new Command('init')
    .description(`write a project file (${CONFIG_FILE}, or --config FILE) so that compile, run, profile, ... need no flags`)
    .argument('[model]', 'model file (.tflite or .onnx); default: the only .tflite or .onnx file here')
    .option('-t, --target <target>', "target (see `tinyforge targets`) (default: the --board's, else cortex-m4)")
    .option('-b, --board <board>', 'a board (`tinyforge boards`; implies its target)')
    .option('--inputs <path>', 'sample input(s): for run and profile (--input), validate (--inputs) and the starter apps of compile --project')
    .option('--max-ram <bytes>', 'budget: the arena must fit this many bytes (as compile --max-ram)', byteSizeOption('--max-ram'))
    .option('--max-flash <bytes>', "budget: the model's constant tables must fit this many bytes (as compile --max-flash)", byteSizeOption('--max-flash'))
    .option('--prefer <what>', PREFER_HELP, preferOption)
    .addOption(
      new Option('--onnx-layout <layout>', "an ONNX model's inputs and outputs at the C API (as compile --onnx-layout; default channels-last)").choices([
        ...ONNX_LAYOUTS,
      ]),
    )
    .option('--project <kind>', `what compile writes: ${PROJECT_KINDS.join(', ')} (default: the bare sources)`)
    .option('-o, --output <dir>', 'compile\'s output directory ("out" in the file)', 'out')
    .option('--force', 'replace an existing project file')
    .option('--json', 'print one JSON object on stdout: the file written and its contents')
    .action((modelArg: string | undefined, opts: InitOptions) => {
      const file = (program.opts() as { config?: string }).config ?? CONFIG_FILE;
      const base = dirname(resolve(file));
      // paths in the file are relative to it, so the project folder can move
      const inFile = (path: string) => relative(base, resolve(path)) || '.';
      const budget =
        opts.maxRam !== undefined || opts.maxFlash !== undefined
          ? { ...(opts.maxRam !== undefined ? { ram: opts.maxRam } : {}), ...(opts.maxFlash !== undefined ? { flash: opts.maxFlash } : {}) }
          : undefined;
      const contents = {
        model: inFile(modelArg ?? onlyModelHere()),
        // --board alone implies its target: the file then never names another one
        target: opts.target ?? boardTarget(opts.board) ?? DEFAULT_TARGET,
        ...(opts.board !== undefined ? { board: opts.board } : {}),
        ...(opts.inputs !== undefined ? { inputs: inFile(opts.inputs) } : {}),
        ...(budget ? { budget } : {}),
        ...(opts.prefer !== undefined ? { prefer: opts.prefer } : {}),
        ...(opts.onnxLayout !== undefined ? { onnxLayout: opts.onnxLayout } : {}),
        ...(opts.project !== undefined ? { project: opts.project } : {}),
        out: inFile(opts.output),
      };
      // what is written must read back: a wrong target or kind is reported now, not at the next command
      checkProjectConfig(contents, file);
      const text = `${JSON.stringify(contents, null, 2)}\n`;
      try {
        // 'wx': fails when the file exists, so a file nobody asked to replace is never overwritten
        writeFileSync(file, text, { flag: opts.force ? 'w' : 'wx' });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new TinyforgeError(`${file}: exists already; pass --force to replace it`);
        throw new TinyforgeError(`${file}: cannot write the project file (${code ?? (e as Error).message})`);
      }
      process.stdout.write(opts.json ? jsonLine('init', { file, config: contents }) : `wrote ${file}:\n${text}`);
    });
}
