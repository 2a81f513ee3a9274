// SPDX-License-Identifier: Apache-2.0
import { Command } from 'commander';
import { TFJS, loadOptional } from '../../lab/optional_deps.ts';
import { addAlias } from './option-aliases.ts';
import { type CalibrationCliOptions, type DataCliOptions, addCalibrationOptions, addDataOptions } from './compress_options.ts';

export function quantizeCommand(): Command {
  const cmd = new Command('quantize')
    .description('int8 post-training quantization of a float model (.tflite, .onnx or TensorFlow.js model.json) into a standard int8 .tflite')
    .argument('<model>', 'float model: .tflite or .onnx, or a TensorFlow.js model.json (or its folder)')
    .option('-o, --output <file.tflite>', 'output (default: <model>_int8.tflite)')
    .option('--json', 'print one JSON object on stdout: the held-out figures before and after, and the output file')
    .option('--weight-bits <b>', "every layer's weights at b bits (2..8, per channel, from the float weights); values stay int8 in the file")
    .option(
      '--weight-clip <how>',
      'how --weight-bits sets each scale: max (the largest weight is the top level) or mse (clipped for the least squared error over the nonzero weights; keeps more small weights at 3-4 bits)',
      'max',
    );
  addDataOptions(cmd, 'calibration data: .npz, .npy, .csv, a folder of images (labels optional), or a folder of WAV clips (with --front-end)');
  // -c/--calib: another spelling of the data set, -d/--data as on every other command that reads one
  addAlias(cmd, '-c, --calib', '--data');
  addCalibrationOptions(cmd);
  return cmd.action(
    async (modelPath: string, opts: DataCliOptions & CalibrationCliOptions & { output?: string; weightBits?: string; weightClip?: string; json?: boolean }) => {
      const { quantizeAction } = await loadOptional(TFJS, 'tinyforge quantize', () => import('./compress_actions.ts'));
      await quantizeAction(modelPath, opts);
    },
  );
}
