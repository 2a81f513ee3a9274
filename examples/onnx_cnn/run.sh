#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compiles the PyTorch-style ONNX QDQ model (cnn_qdq.onnx) and runs it on emulated boards: for each
# target, `tinyforge run` on the sample inputs (time and memory of an inference), then
# `tinyforge validate --reference onnxruntime` on each sample (every layer against ONNX Runtime),
# and one line per target: latency, memory and the output's agreement with ONNX Runtime.
#
#   bash examples/onnx_cnn/run.sh [TARGET...]     (default: cortex-m4 rp2040 esp32c3)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=examples/onnx_cnn/cnn_qdq.onnx
SAMPLES=examples/onnx_cnn/samples.bin
INPUT_BYTES=$((3 * 32 * 32 * 4))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cortex-m4 rp2040 esp32c3)
tinyforge() { node bin/tinyforge.js "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
count=$(($(wc -c <"$SAMPLES") / INPUT_BYTES))
for ((k = 0; k < count; k++)); do
  dd if="$SAMPLES" of="$work/sample$k.bin" bs="$INPUT_BYTES" skip="$k" count=1 status=none
done

status=0
for t in "${targets[@]}"; do
  echo "== $t: tinyforge run $MODEL --target $t --input $SAMPLES" >&2
  tinyforge run "$MODEL" --target "$t" --input "$SAMPLES" --json >"$work/$t.run.json" || {
    status=1
    rm -f "$work/$t.run.json"
  }
  for ((k = 0; k < count; k++)); do
    echo "== $t: tinyforge validate $MODEL --reference onnxruntime --target $t --input sample$k.bin" >&2
    # exit 3 is "differs from ONNX Runtime": its figures are what the summary reports
    out="$work/$t.validate.$k.json"
    rc=0
    tinyforge validate "$MODEL" --reference onnxruntime --target "$t" --input "$work/sample$k.bin" --json >"$out" || rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
      status=1
      rm -f "$out"
    fi
  done
done
echo
npx tsx examples/onnx_cnn/summarize.ts "$work" "${targets[@]}"
exit $status
