// SPDX-License-Identifier: Apache-2.0
/**
 * `compile FRONTEND MODEL --project <kind>` (docs/pipeline.md, docs/exports.md), checked as the
 * single-model exports are (exports.test.ts): the `cmake` project built with the host's gcc under
 * -Werror, its starter app printing what `run` prints for an audio stream and a sensor stream, and
 * the library with the toolchain file for the Cortex-M4; the `platformio` example built natively
 * (g++) and the Arduino sketch against a stand-in for the core's Serial, printing the same; the
 * `arduino` library, the `platformio` library and the `zephyr`, `pico-sdk` and `esp-idf` projects (their
 * SDKs are not here) checked against their conventions, the library sources compiled for the target
 * under -Werror and the starter app compiled with the target's compiler against a stand-in for the
 * SDK's headers. The models are the small stand-ins of test/helpers/pipeline_models.ts.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { compileCheck } from '../../src/lab/toolchain/compile_check.ts';
import { isCompiledSource } from '../../src/lab/toolchain/toolchain.ts';
import { tinyforge } from '../helpers/cli.ts';
import { standInClassifier, standInFrontEnd, testClip, wavBytes, writeModelFile } from '../helpers/pipeline_models.ts';
import { requireTools, scratchDir } from './helpers.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror'];
const LABELS = 'silence,unknown,yes,no';

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: HANG_GUARD_MS });
  const log = `$ ${command} ${args.join(' ')}\n${r.stdout}${r.stderr}`;
  expect(r.status, log).to.equal(0);
  return { stdout: r.stdout, stderr: r.stderr, log };
}

/** Compiles every .c and .S of `dir` for `target` with its own flags (-Werror); returns the sources. */
function compileSourcesFor(target: string, dir: string, outDir: string, includes: string[] = []) {
  const t = loadTarget(target);
  const sources = readdirSync(dir).filter(isCompiledSource);
  expect(sources, dir).to.include.members(['tf_pipeline.c', 'words.c']);
  for (const s of sources)
    run(t.toolchain.cc, [...t.toolchain.cflags, `-I${dir}`, ...includes.map((i) => `-I${i}`), '-c', join(dir, s), '-o', join(outDir, `${s}.o`)]);
  return sources;
}

describe('pipeline exports: compile FRONTEND MODEL --project cmake|arduino|platformio|zephyr|pico-sdk|esp-idf', function () {
  let scratch: ReturnType<typeof scratchDir>;
  let fe: string;
  let model: string;
  let clip: string;
  /** `run`'s lines for the stream, as the starter apps print them */
  let expected: string[];
  const compileProject = (kind: string, target: string, extra: string[] = []) => {
    const out = join(scratch.dir, `${kind}-${target}`);
    const r = tinyforge(['compile', fe, model, '--stride', '32', '-t', target, '-o', out, '--project', kind, ...extra]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`${kind} project for ${target}`);
    return out;
  };

  before(function () {
    requireTools(this, ['gcc', 'g++', 'cmake', 'arm-none-eabi-gcc']);
    scratch = scratchDir('pipeline-exports');
    fe = writeModelFile(scratch.dir, 'front', standInFrontEnd({ window: 48, features: 8 }));
    model = writeModelFile(scratch.dir, 'words', standInClassifier(5, 8));
    clip = join(scratch.dir, 'clip.wav');
    writeFileSync(clip, wavBytes(testClip(1000)));
    const ref = tinyforge(['run', fe, model, '--input', clip, '--stride', '32', '--labels', LABELS, '--json']);
    expect(ref.status, ref.stderr).to.equal(0);
    expected = (JSON.parse(ref.stdout) as { windows: { index: number; outputs: number[][]; top: { class: number; label: string } }[] }).windows.map(
      (w) => `window ${w.index}: ${w.top.label} ${w.outputs[0]![w.top.class]}`,
    );
    expect(expected.length).to.be.greaterThan(1);
  });
  after(() => scratch?.cleanup());

  it("cmake: the library and app/ build on the host under -Werror; the app prints run's windows for the clip", () => {
    const dir = compileProject('cmake', 'host', ['--input', clip, '--labels', LABELS]);
    expect(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8')).to.include('add_library(tf_pipeline STATIC');
    expect(existsSync(join(dir, 'toolchain-host.cmake')), 'no toolchain file for the host').to.equal(false);
    const sample = readFileSync(join(dir, 'app', 'tf_pipeline_sample.h'), 'utf8');
    expect(sample).to.include('static const int16_t tf_pipeline_sample[TF_PIPELINE_SAMPLE_COUNT]').and.include('clip.wav');
    const build = join(scratch.dir, 'cmake-host-build');
    run('cmake', ['-S', join(dir, 'app'), '-B', build, `-DCMAKE_C_FLAGS=${STRICT.slice(1).join(' ')}`]);
    run('cmake', ['--build', build]);
    expect(run(join(build, 'tf_pipeline_app'), []).stdout.trim().split('\n')).to.deep.equal(expected);
  });

  it('cmake: with its toolchain file the library and the app build for the Cortex-M4 under -Werror', () => {
    const dir = compileProject('cmake', 'cortex-m4');
    const toolchain = join(dir, 'toolchain-cortex-m4.cmake');
    expect(readFileSync(toolchain, 'utf8')).to.include('set(CMAKE_C_COMPILER arm-none-eabi-gcc)');
    // no --input: the app pushes silence
    expect(readFileSync(join(dir, 'app', 'tf_pipeline_sample.h'), 'utf8')).to.include('silence (no --input)');
    const build = join(scratch.dir, 'cmake-m4-build');
    run('cmake', ['-S', join(dir, 'app'), '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_EXE_LINKER_FLAGS=--specs=nosys.specs'], {
      env: { CFLAGS: STRICT.slice(1).join(' ') },
    });
    const built = run('cmake', ['--build', build, '--', 'VERBOSE=1']);
    expect(built.log).to.match(/arm-none-eabi-gcc .*-Werror -mcpu=cortex-m4 .*-c \S+\/tf_pipeline\.c/);
    expect(existsSync(join(build, 'tf_pipeline_app'))).to.equal(true);
  });

  it("cmake: a sensor stream's project (--channels, rows.csv) pushes float rows and prints run's windows", () => {
    const imu = writeModelFile(scratch.dir, 'imu', standInClassifier(4, 3, 2, 5));
    const csv = join(scratch.dir, 'rows.csv');
    writeFileSync(csv, `${Array.from({ length: 13 }, (_, t) => [Math.sin(t), -0.5 + t / 13, 0.25].join(',')).join('\n')}\n`);
    const dir = join(scratch.dir, 'cmake-sensor');
    const r = tinyforge(['compile', imu, '--stride', '3', '--channels', '3', '-t', 'host', '-o', dir, '--project', 'cmake', '--input', csv]);
    expect(r.status, r.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'app', 'main.c'), 'utf8')).to.include('tf_pipeline_push_rows(');
    const build = join(scratch.dir, 'cmake-sensor-build');
    run('cmake', ['-S', join(dir, 'app'), '-B', build, `-DCMAKE_C_FLAGS=${STRICT.slice(1).join(' ')}`]);
    run('cmake', ['--build', build]);
    const ref = JSON.parse(tinyforge(['run', imu, '--input', csv, '--stride', '3', '--json']).stdout) as {
      windows: { index: number; outputs: number[][]; top: { class: number } }[];
    };
    expect(run(join(build, 'tf_pipeline_app'), []).stdout.trim().split('\n')).to.deep.equal(
      ref.windows.map((w) => `window ${w.index}: class ${w.top.class} ${w.outputs[0]![w.top.class]}`),
    );
  });

  it("arduino: library.properties and a header named after the model; src/ compiles for the Cortex-M4; the sketch prints run's windows", () => {
    const dir = compileProject('arduino', 'cortex-m4', ['--input', clip, '--labels', LABELS]);
    const props = readFileSync(join(dir, 'library.properties'), 'utf8');
    expect(props)
      .to.match(/^name=tf_words_pipeline$/m)
      .and.match(/^includes=tf_words_pipeline\.h$/m);
    expect(readFileSync(join(dir, 'src', 'tf_words_pipeline.h'), 'utf8')).to.include('#include "tf_pipeline.h"');
    const sketch = join(dir, 'examples', 'ClassifyStream', 'ClassifyStream.ino');
    expect(readFileSync(sketch, 'utf8')).to.include('#include <tf_words_pipeline.h>').and.include('Serial.begin(115200)');
    expect(existsSync(join(dir, 'examples', 'ClassifyStream', 'tf_pipeline_sample.h'))).to.equal(true);
    compileSourcesFor('cortex-m4', join(dir, 'src'), scratch.dir);
    // the sketch as C++ on the host, ARDUINO defined, against what it uses of the core; main() runs setup() once
    const host = compileProject('arduino', 'host', ['--input', clip, '--labels', LABELS]);
    const stub = join(scratch.dir, 'Arduino.h');
    writeFileSync(
      stub,
      `#pragma once
#include <stddef.h>
#include <stdio.h>
struct StubSerial {
  void begin(unsigned long) {}
  explicit operator bool() const { return true; }
  size_t print(const char *s) { return (size_t)printf("%s", s); }
};
static StubSerial Serial;
static unsigned long millis() { return 0; }
void setup();
void loop();
int main() { setup(); return 0; }
`,
    );
    const objects = readdirSync(join(host, 'src'))
      .filter((f) => f.endsWith('.c'))
      .map((f) => {
        run('gcc', [...STRICT, `-I${join(host, 'src')}`, '-c', join(host, 'src', f), '-o', join(scratch.dir, `ino-${f}.o`)]);
        return join(scratch.dir, `ino-${f}.o`);
      });
    const app = join(scratch.dir, 'sketch-app');
    const ino = join(host, 'examples', 'ClassifyStream', 'ClassifyStream.ino');
    run('g++', [
      '-Wall',
      '-Wextra',
      '-Werror',
      '-DARDUINO=10819',
      '-include',
      stub,
      `-I${scratch.dir}`,
      `-I${join(host, 'src')}`,
      '-x',
      'c++',
      ino,
      '-x',
      'none',
      ...objects,
      '-o',
      app,
    ]);
    expect(run(app, []).stdout.trim().split('\n')).to.deep.equal(expected);
  });

  it("platformio: library.json, include/ and src/ compile for the RP2040; the example runs natively and prints run's windows", () => {
    const dir = compileProject('platformio', 'rp2040', ['--input', clip, '--labels', LABELS]);
    const manifest = JSON.parse(readFileSync(join(dir, 'library.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.name).to.equal('tf-pipeline');
    expect(manifest.platforms).to.deep.equal(['raspberrypi']);
    expect(manifest.build).to.deep.equal({ srcDir: 'src', includeDir: 'include' });
    expect(readdirSync(join(dir, 'include'))).to.deep.equal(['tf_pipeline.h']);
    compileSourcesFor('rp2040', join(dir, 'src'), scratch.dir, [join(dir, 'include')]);
    const ini = readFileSync(join(dir, 'examples', 'stream', 'platformio.ini'), 'utf8');
    const link = /^lib_deps = (\S+)=symlink:\/\/(\S+)$/m.exec(ini);
    expect(link?.[1]).to.equal(manifest.name);
    expect(existsSync(join(dir, 'examples', 'stream', link![2]!, 'library.json')), 'lib_deps leads to the library').to.equal(true);
    expect(ini).to.match(/^\[env:pico\]\nplatform = raspberrypi\nboard = pico\nframework = arduino$/m);
    // the example as the native platform builds it (no ARDUINO): the C++ main and the C library
    const host = compileProject('platformio', 'host', ['--input', clip, '--labels', LABELS]);
    const objects = readdirSync(join(host, 'src'))
      .filter((s) => s.endsWith('.c'))
      .map((s) => {
        run('gcc', [...STRICT, `-I${join(host, 'include')}`, `-I${join(host, 'src')}`, '-c', join(host, 'src', s), '-o', join(scratch.dir, `pio-${s}.o`)]);
        return join(scratch.dir, `pio-${s}.o`);
      });
    const app = join(scratch.dir, 'pio-native');
    run('g++', ['-Wall', '-Wextra', '-Werror', `-I${join(host, 'include')}`, join(host, 'examples', 'stream', 'src', 'main.cpp'), ...objects, '-o', app]);
    expect(run(app, []).stdout.trim().split('\n')).to.deep.equal(expected);
  });

  it('zephyr: a module (module.yml, Kconfig, CMakeLists.txt) and samples/stream; src/ and the sample compile for the Cortex-M33', () => {
    const dir = compileProject('zephyr', 'cortex-m33', ['--input', clip, '--labels', LABELS]);
    expect(readFileSync(join(dir, 'zephyr', 'module.yml'), 'utf8')).to.match(
      /^name: tf_pipeline\nbuild:\n {2}cmake: \.\n {2}kconfig: Kconfig\nsamples:\n {2}- samples$/m,
    );
    expect(/^config (\w+)$/m.exec(readFileSync(join(dir, 'Kconfig'), 'utf8'))?.[1]).to.equal('TF_PIPELINE');
    const cmake = readFileSync(join(dir, 'CMakeLists.txt'), 'utf8');
    expect(cmake).to.include('if(CONFIG_TF_PIPELINE)');
    const listed = [...cmake.matchAll(/^ {4}src\/(\S+)$/gm)].map((m) => m[1]!);
    expect(readdirSync(join(dir, 'include'))).to.deep.equal(['tf_pipeline.h']);
    const sources = compileSourcesFor('cortex-m33', join(dir, 'src'), scratch.dir, [join(dir, 'include')]);
    expect(listed).to.have.members(sources);
    const sample = join(dir, 'samples', 'stream');
    expect(readFileSync(join(sample, 'prj.conf'), 'utf8')).to.include('CONFIG_TF_PIPELINE=y');
    const sampleCmake = readFileSync(join(sample, 'CMakeLists.txt'), 'utf8');
    const modules = /list\(APPEND ZEPHYR_EXTRA_MODULES \$\{CMAKE_CURRENT_SOURCE_DIR\}\/(\S+)\)/.exec(sampleCmake)?.[1];
    expect(existsSync(join(sample, modules!, 'zephyr', 'module.yml')), 'the sample finds the module').to.equal(true);
    expect(readFileSync(join(sample, 'sample.yaml'), 'utf8')).to.include('- "window 0: "');
    const main = join(sample, 'src', 'main.c');
    expect(readFileSync(main, 'utf8')).to.include('tf_pipeline_push(');
    const t = loadTarget('cortex-m33');
    run(t.toolchain.cc, [...t.toolchain.cflags, ...STRICT, `-I${join(dir, 'include')}`, '-c', main, '-o', join(scratch.dir, 'zephyr-main.o')]);
  });

  it('pico-sdk: an INTERFACE library and example/ as the SDK expects; both compile for the RP2040 under -Werror', () => {
    const dir = compileProject('pico-sdk', 'rp2040', ['--input', clip, '--labels', LABELS]);
    const cmake = readFileSync(join(dir, 'CMakeLists.txt'), 'utf8');
    expect(cmake).to.include('add_library(tf_pipeline INTERFACE)');
    const listed = [...cmake.matchAll(/\$\{CMAKE_CURRENT_LIST_DIR\}\/(\S+)$/gm)].map((m) => m[1]!);
    const sources = compileSourcesFor('rp2040', dir, scratch.dir);
    expect(listed).to.have.members(sources);
    const example = readFileSync(join(dir, 'example', 'CMakeLists.txt'), 'utf8');
    expect(example).to.include('include(${PICO_SDK_PATH}/external/pico_sdk_import.cmake)');
    // -DPICO_SDK_PATH or the environment; no download of picotool at configure time
    expect(example).to.include('if(NOT PICO_SDK_PATH AND DEFINED ENV{PICO_SDK_PATH})').and.include('find_package(picotool QUIET CONFIG)');
    expect(example.indexOf('pico_sdk_import')).to.be.lessThan(example.indexOf('project('));
    expect(example).to.include('target_link_libraries(tf_pipeline_example pico_stdlib tf_pipeline)');
    const main = readFileSync(join(dir, 'example', 'main.c'), 'utf8');
    expect(main).to.include('stdio_init_all();').and.include('tf_pipeline_push(');
    // the SDK's declarations the app uses, for a compile here
    const stub = join(scratch.dir, 'pico-stub', 'pico');
    run('mkdir', ['-p', stub]);
    writeFileSync(join(stub, 'stdlib.h'), '#include <stdbool.h>\nbool stdio_init_all(void);\nstatic inline void tight_loop_contents(void) {}\n');
    const t = loadTarget('rp2040');
    run(t.toolchain.cc, [
      ...t.toolchain.cflags,
      ...STRICT,
      `-I${dir}`,
      `-I${join(scratch.dir, 'pico-stub')}`,
      '-c',
      join(dir, 'example', 'main.c'),
      '-o',
      join(scratch.dir, 'pico-main.o'),
    ]);
  });

  it('esp-idf: the pipeline as a component and main/ with app_main; both compile for the ESP32-C3 and the component for the ESP32', async function () {
    requireTools(this, ['riscv64-unknown-elf-gcc', 'xtensa-lx106-elf-gcc']);
    const dir = compileProject('esp-idf', 'esp32c3', ['--input', clip]);
    expect(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8')).to.match(
      /include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)\nproject\(tf_pipeline_app\)/,
    );
    expect(readFileSync(join(dir, 'main', 'CMakeLists.txt'), 'utf8')).to.include('REQUIRES tf_pipeline esp_hw_support');
    const main = readFileSync(join(dir, 'main', 'main.c'), 'utf8');
    expect(main).to.include('void app_main(void)').and.include('tf_pipeline_push(');
    expect(existsSync(join(dir, 'harness')), "the device harness is one model's").to.equal(false);
    const component = join(dir, 'components', 'tf_pipeline');
    expect(readFileSync(join(component, 'idf_component.yml'), 'utf8')).to.match(/^version: "\d+\.\d+\.\d+"$/m);
    const srcs = /SRCS ((?:"[^"]+" )+)/.exec(readFileSync(join(component, 'CMakeLists.txt'), 'utf8'))![1]!.match(/[^" ]+/g)!;
    const sources = compileSourcesFor('esp32c3', component, scratch.dir);
    expect(srcs).to.have.members(sources);
    const t = loadTarget('esp32c3');
    run(t.toolchain.cc, [...t.toolchain.cflags, ...STRICT, `-I${component}`, '-c', join(dir, 'main', 'main.c'), '-o', join(scratch.dir, 'idf-main.o')]);
    const xtensa = compileProject('esp-idf', 'esp32');
    const checked = await compileCheck({ target: 'esp32', modelDir: join(xtensa, 'components', 'tf_pipeline'), outDir: join(scratch.dir, 'xtensa') });
    expect(checked.checked).to.include('tf_pipeline.c');
  });

  it('refuses in one line a kind that does not go with the target', () => {
    const r = tinyforge(['compile', fe, model, '--stride', '32', '-t', 'cortex-m4', '-o', join(scratch.dir, 'bad'), '--project', 'pico-sdk']);
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.equal('error: a pico-sdk library is for --target rp2040, not cortex-m4\n');
  });
});
