// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addCalibrationOptions, addDataOptions, addTrainOptions } from './compress_options.ts';
import type { QatCliOptions } from './compress_actions.ts';

export function qatCommand(): Command {
  const cmd = new Command('qat')
    .description(
      'quantization-aware fine-tuning (fake-quant, straight-through gradients; weights per channel for conv and depthwise, per tensor for dense layers unless --per-channel-dense), then the int8 export; keeps the QAT model only if it beats plain PTQ on the held-out data',
    )
    .argument('<model>', 'float model: .tflite, or a TensorFlow.js model.json (or its folder)')
    .option('-o, --output <file.tflite>', 'output (default: <model>_qat_int8.tflite)')
    .option('--json', 'print one JSON object on stdout: the held-out figures, which model the step kept (before or after fine-tuning) and the output');
  addDataOptions(cmd);
  addTrainOptions(cmd, '2', '0.0005');
  addCalibrationOptions(cmd);
  return cmd.action(async (modelPath: string, opts: QatCliOptions) => {
    const { qatAction } = await loadOptional(TFJS, 'tinyforge qat', () => import('./compress_actions.ts'));
    await qatAction(modelPath, opts);
  });
}
