#!/usr/bin/env bash
# Keyword spotting from a WAV clip: TFLite Micro's micro_speech audio front-end and keyword model as
# one stream pipeline, run on an emulated board (default the Cortex-M4 of nucleo-l4r5zi), every
# frame's features and every window's scores checked against tinyforge's reference. Prints the top
# class per window ("yes", "no", ...) and what always-on listening costs on the board.
#
#   bash examples/keyword_spotter/run.sh [CLIP.wav] [--board pico | --target esp32c3 | ...] [--json]
#
# The two models and the clips are TFLite Micro's (see README.md): FRONT_END, MODEL and CLIP may
# name them; by default they are taken from ../shared/models beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED="${MICRO_SPEECH_DIR:-../shared/models}"
FRONT_END="${FRONT_END:-$SHARED/zoo/tflm_audio_preprocessor_int8.tflite}"
MODEL="${MODEL:-$SHARED/micro_speech.tflite}"
CLIP="$SHARED/zoo/audio/yes_1000ms.wav"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then CLIP="$1"; shift; fi
for f in "$FRONT_END" "$MODEL" "$CLIP"; do
  if [ ! -f "$f" ]; then
    echo "keyword_spotter: $f not found: set FRONT_END, MODEL and the clip (examples/keyword_spotter/README.md)" >&2
    exit 2
  fi
done
board=(--board nucleo-l4r5zi)
for a in "$@"; do case "$a" in --board | --target | -t | -b) board=() ;; esac; done
bash scripts/setup.sh
exec node bin/tinyforge.js run "$FRONT_END" "$MODEL" --input "$CLIP" --stride 320 \
  --labels silence,unknown,yes,no "${board[@]}" --battery 1000mAh "$@"
