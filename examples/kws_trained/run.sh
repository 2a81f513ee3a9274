#!/usr/bin/env bash
# The keyword spotter trained here (12 classes, examples/kws_trained/README.md) on a held-out clip:
# TFLite Micro's micro_speech audio front-end and kws_int8.tflite as one stream pipeline, run on an
# emulated board (default the Cortex-M4 of nucleo-l4r5zi), every frame's features and the window's
# scores checked against tinyforge's reference byte for byte. Prints the top class and the costs.
#
#   bash examples/kws_trained/run.sh [CLIP.wav] [--board pico | ...] [--json]
#
# The front-end and the clips are in ../shared beside the checkout (SPEECH_COMMANDS and FRONT_END
# may name them elsewhere); the default clip is the first "yes" of the data set's testing_list.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${SPEECH_COMMANDS:-../shared/data/speech_commands}"
FRONT_END="${FRONT_END:-../shared/models/zoo/tflm_audio_preprocessor_int8.tflite}"
MODEL=examples/kws_trained/kws_int8.tflite
LABELS=_silence_,_unknown_,down,go,left,no,off,on,right,stop,up,yes
if [ ! -f "$DATA/testing_list.txt" ] || [ ! -f "$FRONT_END" ]; then
  echo "kws_trained: the Speech Commands clips ($DATA) or the front-end ($FRONT_END) are absent: they live in ../shared beside the checkout" >&2
  exit 2
fi
CLIP="$DATA/$(grep -m1 '^yes/' "$DATA/testing_list.txt")"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then CLIP="$1"; shift; fi
[ -f "$CLIP" ] || { echo "kws_trained: $CLIP not found" >&2; exit 2; }
board=(--board nucleo-l4r5zi)
for a in "$@"; do case "$a" in --board | --target | -t | -b) board=() ;; esac; done
bash scripts/setup.sh
echo "clip: $CLIP" >&2
exec node bin/tinyforge.js run "$FRONT_END" "$MODEL" --input "$CLIP" --stride 320 \
  --labels "$LABELS" "${board[@]}" --battery 1000mAh "$@"
