// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import {
  type CalibrationCliOptions,
  type DataCliOptions,
  type TrainCliOptions,
  addCalibrationOptions,
  addDataOptions,
  addTrainOptions,
} from '../compress/cli_options.ts';

export function qatCommand(): Command {
  const cmd = new Command('qat')
    .description('quantization-aware fine-tuning (fake-quant, straight-through gradients, per-channel weights), then the int8 export')
    .argument('<model>', 'float model: .tflite, or a TensorFlow.js model.json (or its folder)')
    .option('-o, --output <file.tflite>', 'output (default: <model>_qat_int8.tflite)');
  addDataOptions(cmd);
  addTrainOptions(cmd, '2', '0.0005');
  addCalibrationOptions(cmd);
  return cmd.action(async (modelPath: string, opts: DataCliOptions & TrainCliOptions & CalibrationCliOptions & { output?: string }) => {
    const { qatAction } = await import('../compress/commands.ts');
    await qatAction(modelPath, opts);
  });
}
