// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { basename } from 'node:path';
import { compileFile } from '../compile.ts';
import { checkFits } from '../build/fit.ts';
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
    .action(
      (
        modelPath: string,
        opts: { target: string; out: string; project?: string; force?: boolean; maxRam?: number; maxFlash?: number; patch?: PatchOption; prefer?: Prefer },
      ) => {
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
        // a model too big for the target is refused here as run refuses it, saying by how much, before anything is written
        const compileChecked = () => {
          const compiled = compileFile(modelPath, options);
          checkFits(compiled, basename(modelPath), target);
          return compiled;
        };
        if (opts.project !== undefined) {
          const compiled = compileChecked();
          const outDir = writeDirectoryAtomically(opts.out, projectFiles(opts.project, compiled, target), { force: opts.force });
          process.stdout.write(`${summary(compiled)}\n\nwrote ${outDir}: ${opts.project} project for ${target.name}\n`);
          return;
        }
        const compiled = compileChecked();
        const outDir = writeDirectoryAtomically(opts.out, compiled.generated.files, { force: opts.force });
        const files = compiled.generated.files.map((f) => f.name).join(', ');
        process.stdout.write(`${summary(compiled)}\n\nwrote ${outDir} for ${target.name}: ${files}\n`);
      },
    );
}
