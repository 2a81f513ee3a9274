import { Command } from 'commander';
import { compileToDirectory } from '../compile.ts';
import { loadTarget } from '../build/targets.ts';
import { formatPlan } from '../report/inspect.ts';

export function compileCommand(): Command {
  return new Command('compile')
    .description('compile an int8 model to C sources: model.h (API), model.c (layers, arena), weights.c')
    .argument('<model>', 'model file (.tflite)')
    .option('-t, --target <target>', 'target the C is generated for', 'cortex-m4')
    .requiredOption('-o, --out <dir>', 'output directory (replaced atomically)')
    .action((modelPath: string, opts: { target: string; out: string }) => {
      const target = loadTarget(opts.target);
      const compiled = compileToDirectory(modelPath, opts.out);
      const files = compiled.generated.files.map((f) => f.name).join(', ');
      process.stdout.write(`${formatPlan(compiled.graph, compiled.plan)}\n\nwrote ${compiled.outDir} for ${target.name}: ${files}\n`);
    });
}
