// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addAlias } from './option-aliases.ts';
import { addCalibrationOptions, addDataOptions } from './compress_options.ts';
import type { SensitivityCliOptions } from './compress_actions.ts';

export function sensitivityCommand(): Command {
  const cmd = new Command('sensitivity')
    .description(
      "each layer's loss when it alone goes to fewer weight bits or to a sparsity (a table), and optionally the per-layer bits and sparsities that meet --max-loss or --max-flash",
    )
    .argument('<model>', 'float model (.tflite or TensorFlow.js model.json, quantized first on --data) or an int8 .tflite')
    .option('--sensitivity-samples <n>', 'held-out samples measured (int8 model: the first of --eval, else of --data)', '200')
    .option('--bits <list>', 'weight bit widths measured', '4,3,2')
    .option('--sparsities <list>', 'sparsities measured (magnitude pruning of the int8 weights, no fine-tuning)', '0.5,0.75,0.9,0.95')
    .option('--max-loss <x>', 'search: fewest weight bytes losing at most x accuracy points (x relative output error without class labels)')
    .option('--max-flash <bytes>', 'search: least loss with the weights in at most this many bytes (estimated storage)')
    .option('-o, --output <file.tflite>', 'with a search: write the chosen int8 model here (post-training; `compress` fine-tunes)')
    .option('--json', 'print one JSON object on stdout (the table, and the search)');
  addDataOptions(cmd);
  addCalibrationOptions(cmd);
  // the name compress gives the same samples; --samples: another spelling of it
  addAlias(cmd, '--samples', '--sensitivity-samples');
  return cmd.action(async (modelPath: string, opts: SensitivityCliOptions) => {
    const { sensitivityAction } = await loadOptional(TFJS, 'tinyforge sensitivity', () => import('./compress_actions.ts'));
    await sensitivityAction(modelPath, opts);
  });
}
