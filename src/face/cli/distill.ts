// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { DistillCliOptions } from './compress_actions.ts';

export function distillCommand(): Command {
  const cmd = new Command('distill')
    .description(
      "knowledge distillation: train the student on the teacher's softened outputs (temperature, alpha) and the labels, then export it to int8; also trains the same student without the teacher and says whether the teacher's gain is beyond noise",
    )
    .requiredOption('--teacher <model>', 'the trained teacher (float .tflite or TensorFlow.js model.json)')
    .requiredOption('--student <model>', 'the student to train (float .tflite or model.json, e.g. untrained)')
    .option('-T, --temperature <t>', 'softening temperature', '4')
    .option('--alpha <a>', 'weight of the teacher term (1 - alpha on the labels)', '0.7')
    .option('-o, --output <file.tflite>', 'int8 output (default: <student>_distilled_int8.tflite)')
    .option('--json', 'print one JSON object on stdout: the held-out figures, which model the step kept (before or after fine-tuning) and the output');
  addDataOptions(cmd);
  addTrainOptions(cmd, '5', '0.003');
  addCalibrationOptions(cmd);
  return cmd.action(async (opts: DistillCliOptions) => {
    const { distillAction } = await loadOptional(TFJS, 'tinyforge distill', () => import('./compress_actions.ts'));
    await distillAction(opts);
  });
}
