// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { PruneCliOptions } from './compress_actions.ts';

export function pruneCommand(): Command {
  const cmd = new Command('prune')
    .description(
      'magnitude pruning with a gradual schedule and fine-tuning; --structured removes whole channels so the model shrinks; the fine-tuned model is kept only if it beats the same pruning without fine-tuning on the held-out data',
    )
    .argument('<model>', 'float model: .tflite, or a TensorFlow.js model.json (or its folder)')
    .option('-s, --sparsity <fraction>', 'one share of weights set to zero in every large layer (default 0.7); --structured: share of channels removed')
    .option(
      '--max-loss <x>',
      "instead of one rate: each layer's own sparsity from its measured sensitivity, the most zeros losing at most x accuracy points (int8, before fine-tuning)",
    )
    .option('--structured', 'remove whole filters/neurons (each layer keeping a multiple of four) and rewrite the following layers')
    .option('--min-weights <n>', 'unstructured: layers with fewer weights stay dense', '256')
    .option('-o, --output <file.tflite>', 'output (default: <model>_pruned.tflite, float; with --int8 <model>_pruned_int8.tflite)')
    .option('--int8', 'quantize the pruned model to int8 (calibrated on --data)')
    .option('--json', 'print one JSON object on stdout: the held-out figures, which model the step kept (before or after fine-tuning) and the output');
  addDataOptions(cmd);
  addTrainOptions(cmd, '3', '0.002');
  addCalibrationOptions(cmd);
  return cmd.action(async (modelPath: string, opts: PruneCliOptions) => {
    const { pruneAction } = await loadOptional(TFJS, 'tinyforge prune', () => import('./compress_actions.ts'));
    await pruneAction(modelPath, opts);
  });
}
