// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findBoard, loadTarget } from '../../src/core/targets/targets.ts';
import { externalRamOptions } from '../../src/lab/toolchain/fit.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';
import { FIRMWARE_DIR } from '../../src/core/targets/targets.ts';
import { espIdfProject, picoSdkLibrary, projectFiles } from '../../src/lab/toolchain/project_layouts.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { tinyforge } from '../helpers/cli.ts';
import { sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { scratchDir } from '../build/helpers.ts';

describe('project layouts: ESP-IDF project, component and harness, pico-sdk library', function () {
  const compile = (target: string) => {
    const path = sharedModelPath('micro_speech');
    return compileGraph(loadGraph(path), basename(path), { isa: loadTarget(target).isa });
  };
  const byName = (files: { name: string; text: string }[]) => new Map(files.map((f) => [f.name, f.text]));

  before(function () {
    sharedModelsAvailable(this);
  });

  it("ESP-IDF: the model as a component, harness/ running the device harness with the plan's facts", () => {
    const compiled = compile('esp32c3');
    const files = byName(espIdfProject(compiled, loadTarget('esp32c3')));
    const component = 'components/tf_micro_speech';
    expect(files.get(`${component}/CMakeLists.txt`)).to.match(
      /idf_component_register\(\s*SRCS "micro_speech\.c" "micro_speech_weights\.c"\s*INCLUDE_DIRS "\."\)/,
    );
    expect(files.get(`${component}/idf_component.yml`)).to.match(/targets:\n {2}- esp32c3\n/);
    for (const f of compiled.generated.files.filter((g) => g.name !== 'CMakeLists.txt')) expect(files.get(`${component}/${f.name}`), f.name).to.equal(f.text);
    const main = files.get('harness/main/CMakeLists.txt')!;
    expect(main).to.include('REQUIRES tf_micro_speech');
    expect(main).to.include('TF_TARGET_NAME="esp32c3"');
    expect(main).to.include(`TF_HARNESS_INPUT0_ARENA_OFFSET=${compiled.plan.tensorOffset.get(compiled.graph.inputs[0]!)}u`);
    expect(main).to.include('TF_CORE_CLOCK_HZ=160000000u');
    // the harness is tinyforge's own, unchanged
    for (const f of ['harness.c', 'tf_frame.c', 'tf_frame.h', 'platform.h']) {
      expect(files.get(`harness/main/${f}`), f).to.equal(readFileSync(join(FIRMWARE_DIR, 'common', f), 'utf8'));
    }
    expect(files.get('harness/main/platform_esp_idf.c')).to.include('esp_cpu_get_cycle_count');
    expect(files.get('harness/CMakeLists.txt')).to.match(/include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)/);
    expect(files.get('harness/CMakeLists.txt')).to.include('TF_PROFILE=1');
    expect(files.get('harness/sdkconfig.defaults')).to.include('CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y');
    expect(files.get('sdkconfig.defaults')).to.include('CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y');
    expect(files.get('main/main.c')).to.include('tf_micro_speech_top_class()');
    expect(byName(espIdfProject(compile('esp32s3'), loadTarget('esp32s3'))).get('harness/sdkconfig.defaults')).to.include('CONFIG_ESPTOOLPY_FLASHSIZE_8MB=y');
  });

  it("pico-sdk: an INTERFACE library of the model's sources and an example that links it", () => {
    const compiled = compile('rp2040');
    const files = byName(picoSdkLibrary(compiled));
    const cmake = files.get('CMakeLists.txt')!;
    expect(cmake).to.include('add_library(tf_micro_speech INTERFACE)');
    // micro_speech.c, micro_speech_weights.c and the Armv6-M kernels' assembly the chosen variants ship
    const asm = compiled.generated.files.filter((f) => f.name.endsWith('.S')).map((f) => f.name);
    expect(asm, 'micro_speech on the RP2040 runs assembly kernels').to.not.be.empty;
    const listed = ['micro_speech.c', 'micro_speech_weights.c', ...asm].map((n) => `  \${CMAKE_CURRENT_LIST_DIR}/${n}\n`).join('');
    expect(cmake).to.include(`target_sources(tf_micro_speech INTERFACE\n${listed})`);
    expect(files.get('example/CMakeLists.txt')).to.include('target_link_libraries(tf_micro_speech_example pico_stdlib tf_micro_speech)');
    // micro_speech's input zero point is -128: the example's default sample is exactly that
    expect(files.get('example/main.c')).to.include('tf_micro_speech_sample_load();');
    expect(files.get('example/tf_micro_speech_sample.h')).to.match(/tf_micro_speech_sample_input0\[1960\] = \{\n {2}0x80, 0x80,/);
    expect(files.get('micro_speech.c')).to.equal(compiled.generated.files.find((f) => f.role === 'source')!.text);
  });

  it('refuses a layout for the wrong target, and the CLI writes one', () => {
    expect(() => projectFiles('pico-sdk', compile('esp32c3'), loadTarget('esp32c3'))).to.throw(/a pico-sdk library is for --target rp2040, not esp32c3/);
    expect(() => projectFiles('esp-idf', compile('rp2040'), loadTarget('rp2040'))).to.throw(/target rp2040 is not an ESP chip/);
    expect(() => projectFiles('keil', compile('rp2040'), loadTarget('rp2040'))).to.throw(/unknown project kind 'keil'/);
    const scratch = scratchDir('layout-cli');
    try {
      const r = tinyforge(['compile', sharedModelPath('hello_world_int8'), '--target', 'esp32s3', '--project', 'esp-idf', '-o', join(scratch.dir, 'idf')]);
      expect(r.status, r.stderr).to.equal(0);
      expect(readFileSync(join(scratch.dir, 'idf', 'components', 'tf_hello_world_int8', 'idf_component.yml'), 'utf8')).to.include('- esp32s3');
    } finally {
      scratch.cleanup();
    }
  });
});

describe('ESP-IDF project of an arena split into PSRAM', function () {
  const byName = (files: { name: string; text: string }[]) => new Map(files.map((f) => [f.name, f.text]));
  const compileKws = (target: string, ram?: number) => {
    const { externalRam } = externalRamOptions(loadTarget(target), findBoard(target === 'esp32' ? 'esp32-devkitc-wrover' : 'esp32-s3-devkitc-1').board);
    return compileGraph(kwsDsCnn({ channels: 32, blocks: 2 }), 'kws.tflite', {
      isa: loadTarget(target).isa,
      externalRam,
      ...(ram !== undefined ? { budget: { ram } } : {}),
    });
  };

  it('turns PSRAM on and lets .bss into it; the component declares the part there with EXT_RAM_BSS_ATTR', () => {
    const whole = compileKws('esp32s3');
    const split = compileKws('esp32s3', Math.floor(whole.plan.arenaBytes / 2));
    expect(split.plan.external).to.not.equal(undefined);
    const files = byName(espIdfProject(split, loadTarget('esp32s3')));
    // the layout ESP-IDF expects: a top CMakeLists.txt, main/ and the model as a component
    expect(files.get('CMakeLists.txt')).to.match(/include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)/);
    expect(files.get('main/CMakeLists.txt')).to.match(/idf_component_register\(/);
    expect(files.get('components/tf_kws_ds_cnn/CMakeLists.txt')).to.match(/idf_component_register\(/);
    for (const sdkconfig of ['sdkconfig.defaults', 'harness/sdkconfig.defaults']) {
      const text = files.get(sdkconfig)!;
      for (const line of ['CONFIG_SPIRAM=y', 'CONFIG_SPIRAM_MODE_OCT=y', 'CONFIG_SPIRAM_SPEED_80M=y', 'CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y'])
        expect(text, `${sdkconfig}: ${line}`).to.include(line);
    }
    const header = files.get('components/tf_kws_ds_cnn/kws_ds_cnn.h')!;
    expect(header).to.include('#define TF_KWS_DS_CNN_EXT_ARENA_SECTION EXT_RAM_BSS_ATTR');
    expect(files.get('components/tf_kws_ds_cnn/kws_ds_cnn.c')).to.include('TF_KWS_DS_CNN_EXT_ARENA_SECTION;');
    // the ESP32's PSRAM is quad SPI: no octal mode line
    const esp32 = compileKws('esp32', Math.floor(whole.plan.arenaBytes / 2));
    const esp32Config = byName(espIdfProject(esp32, loadTarget('esp32'))).get('sdkconfig.defaults')!;
    expect(esp32Config).to.include('CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y');
    expect(esp32Config).to.not.include('CONFIG_SPIRAM_MODE_OCT');
  });

  it('an arena that fits internal RAM leaves PSRAM off', () => {
    const files = byName(espIdfProject(compileKws('esp32s3'), loadTarget('esp32s3')));
    expect(files.get('sdkconfig.defaults')).to.not.include('CONFIG_SPIRAM');
    expect(files.get('components/tf_kws_ds_cnn/kws_ds_cnn.h')).to.not.include('EXT_RAM_BSS_ATTR');
  });
});
