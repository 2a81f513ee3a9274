// SPDX-License-Identifier: Apache-2.0
/** The examples each command's --help ends with: the commands an engineer types first. */
export const COMMAND_EXAMPLES: Record<string, string[]> = {
  inspect: ['tinyforge inspect model.tflite', 'tinyforge inspect model.tflite --target rp2040 --json', 'tinyforge inspect model_qdq.onnx'],
  compile: [
    'tinyforge compile model.tflite --target cortex-m4 -o out/',
    'tinyforge compile model.tflite --target rp2040 -o out/ --max-ram 48K --prefer size',
    'tinyforge compile model_qdq.onnx --target cortex-m4 -o out/',
    'tinyforge compile frontend.tflite micro_speech.tflite --target cortex-m4 -o out/',
  ],
  run: [
    'tinyforge run model.tflite --target cortex-m4',
    'tinyforge run model.tflite --board nucleo-l4r5zi --verbose',
    'tinyforge run model.tflite --target rp2040 --input sample.npy --json',
    'tinyforge run model.tflite --port /dev/ttyACM0 --target cortex-m4',
    'tinyforge run frontend.tflite micro_speech.tflite --input yes.wav --labels silence,unknown,yes,no --board nucleo-l4r5zi --battery 220mAh',
    'tinyforge run gestures.tflite --input imu.csv --stride 10 --rate 100',
  ],
  boards: ['tinyforge boards', 'tinyforge boards --wide', 'tinyforge boards --json'],
  targets: ['tinyforge targets', 'tinyforge targets --wide', 'tinyforge targets --json'],
  profile: [
    'tinyforge profile model.tflite --target cortex-m4 --html report.html',
    'tinyforge profile small.tflite --json > small.json && tinyforge profile model.tflite --html cmp.html --compare small.json',
  ],
  validate: [
    'tinyforge validate model.tflite --inputs samples/ --target cortex-m4',
    'tinyforge validate model.tflite --reference dump/ --input in.bin',
    'tinyforge validate int8.tflite --original float.tflite --inputs test.npz -t host',
  ],
  ports: ['tinyforge ports', 'tinyforge ports --json'],
  monitor: [
    'tinyforge monitor --port /dev/ttyACM0 --board nucleo-l4r5zi',
    'tinyforge monitor --port /dev/ttyUSB0 --baud 921600 --timestamps wall',
    'tinyforge monitor --board qemu-mps2-an386 app.elf --json',
    'tinyforge monitor --board qemu-mps2-an386 model.tflite --project-app',
  ],
  flash: [
    'tinyforge flash model.tflite --target cortex-m4 --port /dev/ttyUSB0',
    'tinyforge flash model.tflite --target rp2040 --drive /media/$USER/RPI-RP2',
    'tinyforge flash firmware.bin --target esp32c3 --port /dev/ttyACM0',
    'tinyforge flash app.hex --board nrf52840-dk --probe cmsis-dap',
    'tinyforge flash app.elf --board nucleo-l4r5zi --probe openocd',
    'tinyforge flash app.bin --board nrf52840-dk --probe tcp:192.168.1.50:4441',
  ],
  quantize: [
    'tinyforge quantize float.tflite --calib data.npz -o model_int8.tflite',
    'tinyforge quantize model.json --calib images/ --ranges percentile',
    'tinyforge quantize float.onnx --calib data.npz -o model_int8.tflite',
  ],
  prune: ['tinyforge prune float.tflite --data data.npz --sparsity 0.8 --int8', 'tinyforge prune float.tflite --data data.npz --sparsity 0.5 --structured'],
  qat: ['tinyforge qat float.tflite --data data.npz --epochs 2'],
  distill: ['tinyforge distill --teacher big.tflite --student small.json --data data.npz'],
  lowrank: ['tinyforge lowrank float.tflite --data data.npz --energy 0.9 --int8'],
  compress: [
    'tinyforge compress float.tflite --data data.npz --target cortex-m4 --sparsity 0.8',
    'tinyforge compress float.tflite --data data.npz --target rp2040 --max-loss 0.5',
  ],
  sensitivity: ['tinyforge sensitivity float.tflite --data data.npz', 'tinyforge sensitivity float.tflite --data data.npz --max-flash 64K'],
  palettize: ['tinyforge palettize model_int8.tflite --bits 4'],
  completion: ['tinyforge completion bash', 'tinyforge completion fish | source'],
  init: ['tinyforge init model.tflite', 'tinyforge init --force'],
  report: ['tinyforge report before.json after.json --html compare.html'],
};
