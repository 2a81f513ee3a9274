// SPDX-License-Identifier: Apache-2.0
/**
 * A board's answers to the fuzzer's batches, recorded where the board runs and replayed where it
 * does not: the ESP32-S3's slice runs on Espressif's QEMU `esp32s3` machine (the SIMD kernels
 * executed), which CI has not, so the outputs it gave are kept in `device-answers/<target>.json`,
 * one entry per batch keyed by the target, the model's bytes and its inputs. Where the target's
 * compiler or its default board's emulator is absent, the campaign compares the recorded outputs
 * with TFLite Micro's instead of running; `TINYFORGE_RECORD_DEVICE=1` records what a live run gave.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boardOf, loadTarget } from '../../src/core/targets/targets.ts';
import { findEmulator, toolchainPath } from '../../src/lab/toolchain/compilers.ts';
import { findTool } from '../../src/lab/toolchain/toolchain.ts';

export const DEVICE_ANSWERS_DIR = join(import.meta.dirname, 'device-answers');

/** The targets whose answers are recorded, and the board they were recorded on. */
export const RECORDED_TARGETS: Record<string, string> = { esp32s3: 'qemu-esp32s3' };

interface AnswerFile {
  target: string;
  board: string;
  /** per batch key: per case, per output, the bytes in hex */
  answers: Record<string, string[][]>;
}

const loaded = new Map<string, AnswerFile>();

function answerFile(target: string): AnswerFile {
  let file = loaded.get(target);
  if (!file) {
    const path = join(DEVICE_ANSWERS_DIR, `${target}.json`);
    file = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as AnswerFile) : { target, board: RECORDED_TARGETS[target]!, answers: {} };
    loaded.set(target, file);
  }
  return file;
}

/** The batch's key: the target, the model's bytes, every case's inputs. */
export function deviceKey(target: string, model: Uint8Array, cases: Uint8Array[][]): string {
  const hash = createHash('sha256').update(`${target}\0`).update(model);
  for (const inputs of cases) for (const t of inputs) hash.update(`${t.byteLength}\0`).update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  return hash.digest('hex');
}

/** Whether the target's answers are replayed here: it is recorded, and its compiler or its board's emulator is absent. */
export function replaysDevice(target: string): boolean {
  const board = RECORDED_TARGETS[target];
  if (!board) return false;
  const t = loadTarget(target);
  try {
    findTool(t.toolchain.cc, t.toolchain.install, { ...process.env, PATH: toolchainPath(t) });
    findEmulator(boardOf(t, board)!.emulator!);
    return false;
  } catch {
    return true;
  }
}

/** The recorded outputs of a batch, or undefined. */
export function recordedAnswer(target: string, key: string): Uint8Array[][] | undefined {
  const found = answerFile(target).answers[key];
  return found?.map((outputs) => outputs.map((h) => new Uint8Array(Buffer.from(h, 'hex'))));
}

export const recordingDevice = (): boolean => process.env.TINYFORGE_RECORD_DEVICE === '1';

/** Keeps a live run's outputs (with TINYFORGE_RECORD_DEVICE=1), written at once, keys sorted. */
export function recordAnswer(target: string, key: string, outputs: Uint8Array[][]): void {
  if (!recordingDevice() || !RECORDED_TARGETS[target]) return;
  const file = answerFile(target);
  file.answers[key] = outputs.map((perCase) => perCase.map((b) => Buffer.from(b).toString('hex')));
  const sorted = Object.fromEntries(
    Object.keys(file.answers)
      .sort()
      .map((k) => [k, file.answers[k]!]),
  );
  mkdirSync(DEVICE_ANSWERS_DIR, { recursive: true });
  writeFileSync(join(DEVICE_ANSWERS_DIR, `${target}.json`), `${JSON.stringify({ ...file, answers: sorted }, null, 1)}\n`);
}
