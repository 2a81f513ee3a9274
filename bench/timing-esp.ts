// SPDX-License-Identifier: Apache-2.0
/**
 * `npx tsx bench/timing-esp.ts [--record]`: the LX7 (ESP32-S3), LX6 (ESP32) and RV32IMC (ESP32-C3)
 * tables against the person_detection latencies esp-tflite-micro's README measured on the chips.
 * Traces one Invoke of person_detect (zero-point input) in esp-nn/<chip>/run, built with ESP-NN and
 * without (ESP_NN=off: the kernels without -DESP_NN, the README's "without ESP-NN"), with the
 * project's QEMU timing plugin beside the runner's own counter, prices each stream with the chip's
 * table at the README's clock and prints the error. --record writes the traces to
 * test/data/esp-person-detect-traces.json, which test/estimate/esp-silicon.test.ts prices in CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mergeSegments } from '../src/lab/estimate/timing/index.ts';
import { buildTimingPlugin, pluginArgument, readPluginTrace } from '../src/lab/estimate/timing/trace.ts';
import {
  ESP_PERSON_DETECTION_MS,
  type EspRecordedTrace,
  type EspSiliconBuild,
  type EspSiliconChip,
  priceEspTrace,
} from '../src/lab/estimate/timing/esp_silicon.ts';
import { findRuntime } from '../test/helpers/runtimes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'test', 'data', 'esp-person-detect-traces.json');
const MODEL = resolve(ROOT, '..', 'shared', 'models', 'person_detect.tflite');
const record = process.argv.includes('--record');
const chips: EspSiliconChip[] = ['esp32s3', 'esp32', 'esp32c3'];
const builds: EspSiliconBuild[] = ['esp_nn', 'reference'];

function chipEnv(run: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dirname(run), 'chip.env'), 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

const plugin = buildTimingPlugin(3);
const traces: Partial<Record<EspSiliconChip, Partial<Record<EspSiliconBuild, EspRecordedTrace>>>> = {};
console.log('person_detect, one Invoke: traced instructions, estimated ms at the README clock, measured ms (esp-tflite-micro README), error');
for (const chip of chips) {
  const run = findRuntime(`esp-nn-${chip}`);
  if (!run) {
    console.log(`${chip}: esp-nn/${chip}/run not installed, skipped`);
    continue;
  }
  const env = chipEnv(run);
  for (const build of builds) {
    const begin = Number(build === 'esp_nn' ? env.BEGIN : env.NOESPNN_BEGIN);
    const end = Number(build === 'esp_nn' ? env.END : env.NOESPNN_END);
    if (!begin || !end) {
      console.log(`${chip} ${build}: no firmware installed, skipped`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-timing-esp-'));
    try {
      const out = join(dir, 'trace.txt');
      const result = JSON.parse(
        execFileSync(run, [MODEL], {
          encoding: 'utf8',
          env: { ...process.env, ESP_NN: build === 'esp_nn' ? 'on' : 'off', RUNNER_TRACE_PLUGIN: pluginArgument(plugin, [begin, end], out) },
        }),
      ) as { invoke_instructions: number };
      const trace = readPluginTrace(out);
      const window = trace.segments.filter((s) => s.opener === begin);
      if (window.length !== 1) throw new Error(`${chip} ${build}: expected one Invoke window, got ${window.length}`);
      // The firmware calls nothing in the chip's ROM (below 0x40070000 on the ESP32 and the S3): what
      // the plugin saw there is the emulator's, not the build's. On the esp32s3 machine, loaded bare, a
      // long Invoke (the reference build's) enters the ROM's exception vector at 0x400003C0 a few
      // hundred million times, a number that moves from run to run; the build's own stream does not.
      const all = mergeSegments(window, trace).counts;
      const counts = chip === 'esp32c3' ? all : all.filter((c) => c.address >= 0x40070000);
      const dropped = all.reduce((n, c) => n + c.executed, 0) - counts.reduce((n, c) => n + c.executed, 0);
      if (dropped > 0) console.log(`${chip} ${build}: ${dropped} executions in the ROM left out`);
      const recorded: EspRecordedTrace = {
        instructions: counts.reduce((n, c) => n + c.executed, 0),
        counts: counts.sort((a, b) => a.address - b.address).map((c) => [c.address, Buffer.from(c.bytes).toString('hex'), c.executed, c.taken]),
      };
      (traces[chip] ??= {})[build] = recorded;
      const p = priceEspTrace(chip, build, recorded);
      console.log(
        `${chip.padEnd(8)} ${build.padEnd(10)} ${String(p.instructions).padStart(11)} (runner ${result.invoke_instructions}) ${p.estimatedMs.toFixed(1).padStart(8)} ms ${String(p.measuredMs).padStart(6)} ms ${p.errorPercent >= 0 ? '+' : ''}${p.errorPercent.toFixed(1)} %`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
if (record) {
  const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { traces: typeof traces }).traces : {};
  for (const chip of chips) traces[chip] = { ...previous[chip], ...traces[chip] };
  const doc = {
    about:
      "One Invoke of person_detect (../shared/models, zero-point input) in esp-tflite-micro 99f49e14 + ESP-NN d45b843c (esp-nn/<chip>/run, docs/reference-runtimes.md) on Espressif's QEMU 9.2.2, with ESP-NN and without (-DESP_NN off: TFLite Micro's reference kernels), traced by firmware/qemu-plugin/insn_timing.c between runner_invoke_begin and runner_invoke_end: per executed instruction [address, bytes, executions, taken exits]; measured: esp-tflite-micro's README (person_detection Invoke, internal memory)",
    measured: ESP_PERSON_DETECTION_MS,
    traces,
  };
  writeFileSync(OUT, JSON.stringify(doc) + '\n');
  console.log(`wrote ${OUT}`);
}
