// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { LowRankCliOptions } from './compress_actions.ts';

export function lowrankCommand(): Command {
  const cmd = new Command('lowrank')
    .description('low-rank factorization (SVD) of dense and 1x1 conv layers, with fine-tuning (kept only if it beats the truncated model on the held-out data)')
    .argument('<model>', 'float model: .tflite, or a TensorFlow.js model.json (or its folder)')
    .option('-r, --rank <r>', 'keep this rank in every factorized layer')
    .option('-e, --energy <share>', "keep the smallest rank holding this share of the singular values' energy (e.g. 0.9)")
    .option('--min-weights <n>', 'layers with fewer weights are left alone', '1024')
    .option('-o, --output <file.tflite>', 'output (default: <model>_lowrank.tflite, float; with --int8 <model>_lowrank_int8.tflite)')
    .option('--int8', 'quantize the result to int8 (calibrated on --data)')
    .option('--json', 'print one JSON object on stdout: the held-out figures, which model the step kept (before or after fine-tuning) and the output');
  addDataOptions(cmd);
  addTrainOptions(cmd, '3', '0.001');
  addCalibrationOptions(cmd);
  return cmd.action(async (modelPath: string, opts: LowRankCliOptions) => {
    const { lowrankAction } = await loadOptional(TFJS, 'tinyforge lowrank', () => import('./compress_actions.ts'));
    await lowrankAction(modelPath, opts);
  });
}
