// SPDX-License-Identifier: Apache-2.0
/**
 * Frame checks for ops with a validity flag (SignalFramer, SignalStacker): while the flag is false
 * TFLite Micro leaves the frames it could not fill unwritten, so its bytes there are whatever its
 * arena held (the last stack, another tensor's values); ours are zeros. Against TFLite Micro, in an
 * invocation whose flag is false, a frame that is all zeros in ours is taken as unwritten; the
 * reference and the C must agree on every byte.
 */
import { type FrameCase, expectFramesEqual, hostCOverFrames, referenceOverFrames, tflmOverFrames } from './frame_checks.ts';

/**
 * Output `data` is written in frames of `frameBytes` bytes (default: whole) only while bool output
 * `flag` is true; or, `counted`, only its first n frames, n the float32 in output `flag`
 * (TFLite_Detection_PostProcess's rows past num_detections under fast NMS).
 */
export interface ValidFlag {
  data: number;
  flag: number;
  frameBytes?: number;
  counted?: boolean;
}

/** How many leading frames of a flagged output TFLite Micro wrote (Infinity: all of them). */
function writtenFrames(flag: ValidFlag, flagBytes: Uint8Array): number {
  if (!flag.counted) return flagBytes[0] !== 0 ? Infinity : 0;
  const n = new DataView(flagBytes.buffer, flagBytes.byteOffset, flagBytes.byteLength).getFloat32(0, true);
  return Number.isFinite(n) && n >= 0 ? n : Infinity;
}

/**
 * TFLite Micro's outputs (`expected`, per invocation, per output) with every frame of a flagged
 * output zeroed where the flag is false (or past the count) and `ours` has zeros: the frames it
 * left unwritten.
 */
export function maskInvalid(expected: Uint8Array[][], ours: Uint8Array[][], flags: readonly ValidFlag[]): Uint8Array[][] {
  return expected.map((outputs, k) =>
    outputs.map((bytes, o) => {
      const flag = flags.find((f) => f.data === o);
      const mine = ours[k]?.[o];
      if (!flag || !mine || mine.length !== bytes.length) return bytes;
      const written = writtenFrames(flag, outputs[flag.flag]!);
      if (written === Infinity) return bytes;
      const masked = new Uint8Array(bytes);
      const step = flag.frameBytes ?? bytes.length;
      for (let at = written * step; at < bytes.length; at += step) {
        if (mine.subarray(at, at + step).every((v) => v === 0)) masked.fill(0, at, at + step);
      }
      return masked;
    }),
  );
}

/** expectFramesAgree for graphs whose outputs carry validity flags (the same for every case). */
export function expectValidFramesAgree(cases: FrameCase[], flags: readonly ValidFlag[], options: { tflm?: boolean; c?: boolean } = {}): void {
  const references = cases.map(referenceOverFrames);
  if (options.tflm !== false)
    cases.forEach((c, k) => expectFramesEqual(maskInvalid(tflmOverFrames(c), references[k]!, flags), references[k]!, `${c.name} (expected: TFLite Micro)`));
  if (options.c !== false) {
    const ran = hostCOverFrames(cases);
    cases.forEach((c, k) => expectFramesEqual(references[k]!, ran[k]!, `${c.name} (generated C vs reference)`));
  }
}
