// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { compileFile, modelFileProvenance } from '../compile.ts';
import { writeDirectoryAtomically } from '../codegen/output.ts';
import { projectFiles } from '../build/project_layouts.ts';
import { loadTarget } from '../build/targets.ts';
import { formatPlan, formatStorage } from '../report/inspect.ts';
import { commandLine } from '../codegen/banner.ts';
import { formatBudget } from '../plan/budget.ts';
import type { CompiledModel } from '../compile.ts';
import { PREFER_HELP, byteSizeOption, patchOption, preferOption } from './device-options.ts';
import type { Prefer } from '../ops/op.ts';
import { type PatchOption, formatPatch } from '../plan/patch.ts';
import { CLIENT_IN_OUTPUT, generateClient, labelsFromModel, readLabelsFile, writeClientFile } from '../codegen/client.ts';
import type { GeneratedFile } from '../codegen/generate.ts';
import { TinyforgeError } from '../errors.ts';

/** The plan, and what fitting a budget moved. */
function summary(compiled: CompiledModel): string {
  const plan = formatPlan(compiled.graph, compiled.plan);
  const lines = [plan];
  if (compiled.patch) lines.push(formatPatch(compiled.patch));
  if (compiled.budget) lines.push(formatBudget(compiled.budget));
  const storage = formatStorage(compiled.prepared);
  if (storage) lines.push(storage);
  return lines.join('\n');
}

export function compileCommand(): Command {
  return new Command('compile')
    .description('compile an int8 model to C sources: model.h (API), model.c (layers, arena), weights.c')
    .argument('<model>', 'model file (.tflite)')
    .option('-t, --target <target>', 'target the C is generated for', 'cortex-m4')
    .requiredOption('-o, --out <dir>', 'output directory: new, empty, or an earlier tinyforge output (replaced atomically)')
    .option('--force', 'write into a non-empty directory tinyforge did not create (its other files are kept)')
    .option(
      '--max-ram <bytes>',
      'fit the arena (activations + scratch) in this many bytes, moving layers to slower, more frugal kernels if needed (49152, 48K)',
      byteSizeOption('--max-ram'),
    )
    .option('--max-flash <bytes>', "fit the model's constant tables (weights.c) in this many bytes, the same way", byteSizeOption('--max-flash'))
    .option(
      '--patch <mode>',
      'run an initial convolution chain in row bands so its large tensors never exist whole: auto (when it lowers the arena), off, or START:LENGTH:ROWS; default off unless --max-ram needs it',
      patchOption,
    )
    .option('--prefer <what>', PREFER_HELP, preferOption)
    .option('--project <kind>', 'lay the sources out as a project: esp-idf (esp32, esp32s3, esp32c3) or pico-sdk (rp2040)')
    .option(
      '--client [file]',
      `also write a typed TypeScript host client for the model, driving a flashed or emulated board through the tinyforge package (default file: ${CLIENT_IN_OUTPUT} in the output directory)`,
    )
    .option('--labels <file>', "the client's class labels, one a line (default: the labels the model file carries, if any)")
    .action(
      (
        modelPath: string,
        opts: {
          target: string;
          out: string;
          project?: string;
          force?: boolean;
          maxRam?: number;
          maxFlash?: number;
          patch?: PatchOption;
          prefer?: Prefer;
          client?: string | true;
          labels?: string;
        },
      ) => {
        if (opts.labels !== undefined && opts.client === undefined) throw new TinyforgeError('--labels names the classes of the client: give --client too');
        const target = loadTarget(opts.target);
        const budget = opts.maxRam !== undefined || opts.maxFlash !== undefined ? { ram: opts.maxRam, flash: opts.maxFlash } : undefined;
        // the banner of every generated file: the target and the command line that made it
        const options = {
          isa: target.isa,
          budget,
          patch: opts.patch,
          prefer: opts.prefer,
          provenance: { target: target.name, command: commandLine(process.argv.slice(2)) },
        };
        const compiled = compileFile(modelPath, options);
        const files: GeneratedFile[] = opts.project !== undefined ? projectFiles(opts.project, compiled, target) : [...compiled.generated.files];
        let clientNote = '';
        if (opts.client !== undefined) {
          const labels = opts.labels !== undefined ? readLabelsFile(opts.labels) : labelsFromModel(modelPath);
          const text = generateClient(compiled.graph, modelPath, { labels, provenance: { ...modelFileProvenance(modelPath), ...options.provenance } });
          if (opts.client === true) files.push({ name: CLIENT_IN_OUTPUT, text });
          else {
            writeClientFile(opts.client, text, opts.force);
            clientNote = `\nwrote ${opts.client}: typed host client`;
          }
        }
        const outDir = writeDirectoryAtomically(opts.out, files, { force: opts.force });
        const what =
          opts.project !== undefined ? `: ${opts.project} project for ${target.name}` : ` for ${target.name}: ${files.map((f) => f.name).join(', ')}`;
        process.stdout.write(`${summary(compiled)}\n\nwrote ${outDir}${what}${clientNote}\n`);
      },
    );
}
