// SPDX-License-Identifier: Apache-2.0
/**
 * Audio clips for a pipeline's stream: a RIFF WAVE file of 16-bit PCM, one channel (its chunks walked
 * as RIFF lays them out: `fmt ` before `data`, other chunks skipped, odd sizes padded), or raw
 * little-endian int16 samples (`.raw`, `.pcm`). Anything else is refused in one line naming the file.
 */
import { extname } from 'node:path';
import { TinyforgeError } from '../../core/errors.ts';
import { readUserFile } from '../../core/model/read_file.ts';

export interface AudioClip {
  samples: Int16Array;
  /** samples per second; null for raw samples (the file does not say) */
  sampleRate: number | null;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const fourCc = (b: Uint8Array, at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function int16s(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  if (LITTLE_ENDIAN) {
    // one copy of the bytes: the host's int16 layout is the file's
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 2));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** A WAVE file's samples: 16-bit PCM mono only. */
export function parseWav(bytes: Uint8Array, source: string): AudioClip {
  if (bytes.length < 12 || fourCc(bytes, 0) !== 'RIFF' || fourCc(bytes, 8) !== 'WAVE')
    throw new TinyforgeError(`${source}: not a WAV file (no RIFF/WAVE header); give 16-bit PCM mono WAV, or raw int16 samples as .raw or .pcm`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = fourCc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new TinyforgeError(`${source}: its fmt chunk is ${size} bytes, too short for a WAV format`);
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID's first two bytes
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) throw new TinyforgeError(`${source}: its data chunk comes before a fmt chunk: not a WAV file tinyforge can read`);
      if (fmt.format !== WAVE_FORMAT_PCM) throw new TinyforgeError(`${source}: WAV format ${fmt.format} is not PCM; give 16-bit PCM mono`);
      if (fmt.bits !== 16) throw new TinyforgeError(`${source}: ${fmt.bits}-bit samples; give 16-bit PCM mono`);
      if (fmt.channels !== 1) throw new TinyforgeError(`${source}: ${fmt.channels} channels; give one channel (mono), e.g. sox in.wav -c 1 out.wav`);
      const end = Math.min(bytes.length, body + size);
      return { samples: int16s(bytes.subarray(body, body + ((end - body) & ~1))), sampleRate: fmt.rate };
    }
    at = body + size + (size & 1);
  }
  throw new TinyforgeError(`${source}: no data chunk: not a complete WAV file`);
}

/** Raw little-endian int16 samples. */
export function parseRawPcm(bytes: Uint8Array, source: string): AudioClip {
  if (bytes.length % 2 !== 0) throw new TinyforgeError(`${source}: ${bytes.length} bytes, not a whole number of int16 samples`);
  return { samples: int16s(bytes), sampleRate: null };
}

export const AUDIO_EXTENSIONS = ['.wav', '.raw', '.pcm'];

/** Reads a clip: `.wav` parsed, `.raw` / `.pcm` as int16 samples; another extension refused. */
export function readAudioClip(path: string): AudioClip {
  const ext = extname(path).toLowerCase();
  if (!AUDIO_EXTENSIONS.includes(ext))
    throw new TinyforgeError(`${path}: a front-end's stream is audio: a .wav (16-bit PCM mono) or raw int16 samples (.raw, .pcm)`);
  const bytes = new Uint8Array(readUserFile(path, 'audio clip'));
  const clip = ext === '.wav' ? parseWav(bytes, path) : parseRawPcm(bytes, path);
  if (clip.samples.length === 0) throw new TinyforgeError(`${path}: no samples`);
  return clip;
}
