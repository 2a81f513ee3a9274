#!/usr/bin/env bash
# Sets up what is missing, then runs the shipped MNIST example on the emulated Cortex-M4 (QEMU
# mps2-an386) and prints its outputs, instructions per inference and memory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/tinyforge.js run examples/mnist/mnist_cnn_int8.tflite --target cortex-m4 --input examples/mnist/digits.bin "$@"
