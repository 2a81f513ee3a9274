// SPDX-License-Identifier: Apache-2.0
/**
 * The recorded esp-tflite-micro + ESP-NN figures the ESP-NN columns hold their rows to
 * (bench/baselines/esp-nn.json): one entry per model (person_detect and the MLPerf Tiny shapes),
 * measured on the very file the bench builds, per chip the instructions, arena and outputs beside
 * TFLite Micro's reference kernels'; the rows print; where a runner is built, it still gives them.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ESPNN_BASELINE,
  ESPNN_BOARDS,
  ESPNN_CASES,
  ESPNN_MODELS,
  type EspChip,
  espnnBaseline,
  espnnDiffers,
  espnnModelFile,
  espnnRow,
  rampInput,
} from '../../bench/espnn.ts';
import { requireRuntime, runtimePath } from '../helpers/runtimes.ts';
import { sharedModelsAvailable } from '../helpers/shared.ts';

const CHIPS = Object.keys(ESPNN_BOARDS) as EspChip[];

describe('the ESP-NN columns (bench/espnn.ts)', () => {
  const recorded = espnnBaseline();

  it('has figures or a reason for every model and chip, and names the sources and the build', () => {
    expect(Object.keys(recorded).sort()).to.deep.equal([...ESPNN_MODELS].sort());
    const doc = JSON.parse(readFileSync(ESPNN_BASELINE, 'utf8')) as { recorded: { command: string }; conditions: Record<string, Record<string, string>> };
    expect(doc.recorded.command).to.equal('npx tsx bench/record_espnn_baseline.ts');
    expect(doc.conditions.esp_tflite_micro!.commit).to.match(/^99f49e14/);
    expect(doc.conditions.esp_nn!.commit).to.match(/^d45b843c/);
    let measured = 0;
    for (const [name, m] of Object.entries(recorded)) {
      for (const chip of CHIPS) {
        const f = m.chips[chip];
        if (f === null) {
          expect(m.missing?.[chip], `${name} ${chip}`).to.be.a('string').and.not.equal('');
          continue;
        }
        measured++;
        expect(f.invoke_insns, `${name} ${chip}`).to.be.above(0);
        expect(f.arena_used, `${name} ${chip}`).to.be.above(0);
        for (const c of ESPNN_CASES) {
          expect(f.outputs[c].esp_nn, `${name} ${chip} ${c}`).to.match(/^([0-9a-f]{2})+$/);
          expect(f.outputs[c].esp_nn.length, `${name} ${chip} ${c}`).to.equal(f.outputs[c].tflm_ref.length);
        }
      }
    }
    // the ESP32-C3 column at least is measured for every model
    for (const name of ESPNN_MODELS) expect(recorded[name]!.chips.esp32c3, name).to.not.equal(null);
    expect(measured).to.be.at.least(ESPNN_MODELS.length);
  });

  it('was measured on the files the bench builds (the MLPerf shapes of bench/mlperf.ts, the shared person_detect)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-espnn-test-'));
    try {
      for (const name of ESPNN_MODELS) {
        if (name === 'person_detect' && !sharedModelsAvailable(this)) continue;
        expect(espnnModelFile(name, dir).sha256, name).to.equal(recorded[name]!.sha256);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a record whose bit-exact flag disagrees with its outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyforge-espnn-test-'));
    try {
      const doc = JSON.parse(readFileSync(ESPNN_BASELINE, 'utf8')) as {
        models: Record<string, { chips: Record<string, { bit_exact_vs_tflm: boolean } | null> }>;
      };
      const c3 = doc.models.kws!.chips.esp32c3!;
      c3.bit_exact_vs_tflm = !c3.bit_exact_vs_tflm;
      const path = join(dir, 'esp-nn.json');
      writeFileSync(path, JSON.stringify(doc));
      expect(() => espnnBaseline(path)).to.throw(/kws on esp32c3: bit_exact_vs_tflm disagrees/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a row with the ratio, our bit-exactness and ESP-NN’s against the reference kernels', () => {
    const row = espnnRow({
      model: 'vww',
      chip: 'esp32c3',
      board: 'esp32-c3-devkitm-1',
      instructions: 25_000_000,
      espnnInstructions: 100_000_000,
      ratio: 0.25,
      arena: 35_328,
      espnnArena: 110_000,
      bitExact: true,
      espnnBitExact: false,
      meets: true,
    });
    expect(row).to.match(
      /^vww +esp32-c3-devkitm-1 +ours +25,000,000 +ESP-NN +100,000,000 +insns +0\.250x +arena +35,328 B \/ +110,000 B +bit-exact +ESP-NN != TFLM ref +meets$/,
    );
    expect(espnnRow({ model: 'ad', chip: 'esp32', board: 'esp32-devkitc', bitExact: true, meets: false, note: 'ESP-NN not measured: x' })).to.match(
      /ESP-NN - +ESP-NN not measured: x$/,
    );
  });

  it('says where ESP-NN differs from the reference kernels, or that it never does where measured', () => {
    const cell = { model: 'kws', chip: 'esp32c3' as const, board: 'esp32-c3-devkitm-1', bitExact: true, meets: true };
    expect(
      espnnDiffers([
        { ...cell, espnnBitExact: true },
        { ...cell, model: 'ad', espnnBitExact: false },
      ]),
    ).to.equal('ad on esp32c3');
    expect(espnnDiffers([{ ...cell, espnnBitExact: true }])).to.equal('nowhere (equal in all 1 measured cells, both inputs)');
    expect(espnnDiffers([cell])).to.equal('no ESP-NN cell measured');
  });

  it('makes the ramp input the recorder used', () => {
    expect(Array.from(rampInput(8))).to.deep.equal([11, 48, 85, 122, 159, 196, 233, 14]);
  });

  for (const [chip, model] of [
    ['esp32c3', 'kws'],
    ['esp32', 'ad'],
  ] as const) {
    it(`is what esp-nn/${chip}/run gives now (${model})`, function () {
      const runtime = `esp-nn-${chip}` as const;
      if (!requireRuntime(runtime, `the recorded ${chip} figures are not re-measured`, this)) return;
      const tool = runtimePath(runtime);
      const dir = mkdtempSync(join(tmpdir(), 'tinyforge-espnn-test-'));
      try {
        const out = JSON.parse(execFileSync(tool, [espnnModelFile(model, dir).path], { encoding: 'utf8' })) as {
          outputs_hex: string;
          invoke_instructions: number;
          arena_used_bytes: number;
        };
        const want = recorded[model]!.chips[chip]!;
        expect(out.outputs_hex).to.equal(want.outputs.zero_point.esp_nn);
        expect(out.invoke_instructions).to.equal(want.invoke_insns);
        expect(out.arena_used_bytes).to.equal(want.arena_used);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
