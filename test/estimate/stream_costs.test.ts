// SPDX-License-Identifier: Apache-2.0
/** What an always-on pipeline costs (src/lab/estimate/stream.ts): the arithmetic of docs/pipeline.md. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamShape } from '../../src/core/pipeline/stream.ts';
import { planEstimation } from '../../src/lab/estimate/estimates.ts';
import { formatStreamCosts, streamCosts } from '../../src/lab/estimate/stream.ts';
import { readAudioClip } from '../../src/lab/data/wav.ts';

const SPEECH: StreamShape = { kind: 'audio', frameSamples: 480, hop: 320, hopSource: '--stride', features: 40, frames: 49, windowStride: 49 };
const COUNTS = {
  perFrame: 20_000,
  perWindow: 490_000,
  unit: 'instructions' as const,
  kind: 'instructions-measured' as const,
  basis: 'test',
  target: 'cortex-m4',
};

describe('pipeline costs', () => {
  it('duty cycle, energy per second and battery hours from the counts, the rate and the board', () => {
    const plan = planEstimation({ board: 'nucleo-l4r5zi', batteryMah: 220 })!;
    const c = streamCosts(SPEECH, COUNTS, { perSecond: 16000, source: 'test' }, plan);
    // 50 frames/s x 20,000 + 50/49 windows/s x 490,000 = 1,000,000 + 500,000
    expect(c.framesPerSecond).to.equal(50);
    expect(c.cyclesPerSecond).to.equal(1_500_000);
    expect(c.dutyCycle).to.equal(Number((1_500_000 / 120e6).toPrecision(4)));
    const current = plan.clock.runCurrent as { microampsPerMHz: number; volts: number };
    const microcoulombsPerSecond = (current.microampsPerMHz * 1_500_000) / 1e6;
    expect(c.microjoulesPerSecond).to.equal(Number((microcoulombsPerSecond * current.volts).toPrecision(4)));
    expect(c.batteryHours).to.equal(Number(((220 * 3_600_000) / microcoulombsPerSecond / 3600).toPrecision(4)));
    expect(c.unavailable).to.deep.equal([]);
    expect(formatStreamCosts(c, 'audio').join('\n')).to.match(/duty cycle 1\.25%, [\d.]+ uJ per second of stream, [\d.]+ h on the battery/);
  });

  it('estimated cycles drive the per-second figures; the measured counts are kept and named', () => {
    const plan = planEstimation({ board: 'nucleo-l4r5zi', batteryMah: 1000 })!;
    const measured = { ...COUNTS, basis: 'measured on qemu' };
    const estimated = {
      perFrame: 30_000,
      perWindow: 980_000,
      unit: 'cycles' as const,
      kind: 'cycles-estimated' as const,
      basis: 'timing model',
      target: 'cortex-m4',
    };
    const c = streamCosts(SPEECH, { ...estimated, measured }, { perSecond: 16000, source: 'test' }, plan);
    // 50 x 30,000 + 50/49 x 980,000 = 1,500,000 + 1,000,000
    expect(c.cyclesPerSecond).to.equal(2_500_000);
    expect(c.dutyCycle).to.equal(Number((2_500_000 / 120e6).toPrecision(4)));
    expect(c.measured).to.deep.equal(measured);
    const text = formatStreamCosts(c, 'audio').join('\n');
    expect(text).to.include('costs (cortex-m4): 30,000 cycles per frame (front-end), 980,000 per window (model), estimated cycles; timing model');
    expect(text).to.include(
      '  measured: 20,000 instructions per frame (front-end), 490,000 per window (model), measured instructions, taken as 1 cycle each (a lower bound); measured on qemu',
    );
    expect(text).to.match(/duty cycle 2\.08%.*; from the estimated cycles,/);
    expect(streamCosts(SPEECH, COUNTS, null, null).measured).to.equal(null);
  });

  it('says what it cannot give: no rate (raw samples), no board', () => {
    const c = streamCosts(SPEECH, COUNTS, null, null);
    expect(c.cyclesPerSecond).to.equal(null);
    expect(c.dutyCycle).to.equal(null);
    expect(c.unavailable.join('; ')).to.match(/rate is unknown .*give --rate; duty cycle, energy and battery: give --board/);
  });

  it('a front-end too slow for the stream shows a duty cycle above 100%', () => {
    const plan = planEstimation({ board: 'nucleo-l4r5zi' })!;
    const c = streamCosts(SPEECH, { ...COUNTS, perFrame: 3_000_000 }, { perSecond: 16000, source: 'test' }, plan);
    expect(c.dutyCycle).to.be.above(1);
    expect(formatStreamCosts(c, 'audio').join('\n')).to.include('(cannot keep up in real time)');
  });

  it('reads raw int16 samples (.raw, .pcm) without a rate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-raw-'));
    try {
      const file = join(dir, 'clip.raw');
      writeFileSync(file, Buffer.from(Int16Array.from([1, -2, 300]).buffer));
      const clip = readAudioClip(file);
      expect([...clip.samples]).to.deep.equal([1, -2, 300]);
      expect(clip.sampleRate).to.equal(null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
