// SPDX-License-Identifier: Apache-2.0
/**
 * The exports of `compile --project` (docs/exports.md): the `cmake` and `make` ones built here with
 * the Arm toolchain for the Cortex-M4 and with the host's gcc, a small main linked against each (and
 * run on the host); the Arduino, PlatformIO, Zephyr and ESP-IDF ones checked against their
 * conventions, their library sources compiled for the target under -Werror, and the starter apps
 * that can be (the sample header in C and C++, the PlatformIO example natively, the Arduino sketch
 * against a stand-in for the core's Serial) built and run on the host. The model is the MNIST CNN in examples/ (a few seconds
 * for everything).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compileFile, type CompiledModel } from '../../src/core/compile.ts';
import { writeDirectoryAtomically } from '../../src/lab/output.ts';
import { projectFiles } from '../../src/lab/toolchain/project_layouts.ts';
import { compileCheck } from '../../src/lab/toolchain/compile_check.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { isCompiledSource } from '../../src/lab/toolchain/toolchain.ts';
import { requireTools, scratchDir } from './helpers.ts';
import { tinyforge } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const MNIST = resolve(import.meta.dirname, '../../examples/mnist');
const MODEL = join(MNIST, 'mnist_cnn_int8.tflite');
const PREFIX = 'tf_mnist_cnn_int8';
/** the first digit of digits.bin and its label (examples/mnist/labels.json) */
const DIGIT = readFileSync(join(MNIST, 'digits.bin')).subarray(0, 784);
const DIGIT_LABEL = (JSON.parse(readFileSync(join(MNIST, 'labels.json'), 'utf8')) as { labels: number[] }).labels[0]!;

/** A tiny application of the model's API: reads one input on stdin, prints the top class. */
const APP_MAIN = `#include <stdint.h>
#include <stdio.h>
#include "mnist_cnn_int8.h"
int main(void) {
  int best = 0;
  int i;
  const int8_t *scores;
  if (tf_model_init() != 0) return 1;
  if (fread(tf_model_input(0), 1, tf_model_input_bytes(0), stdin) != tf_model_input_bytes(0)) return 2;
  if (tf_model_invoke() != 0) return 3;
  scores = (const int8_t *)tf_model_output(0);
  for (i = 1; i < (int)TF_MODEL_OUTPUT0_ELEMENTS; i++) if (scores[i] > scores[best]) best = i;
  printf("top class %d\\n", best);
  return 0;
}
`;
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror'];
const M4_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'];

function run(command: string, args: string[], options: { input?: Uint8Array; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(command, args, { input: options.input, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: HANG_GUARD_MS });
  const log = `$ ${command} ${args.join(' ')}\n${r.stdout}${r.stderr}`;
  expect(r.status, log).to.equal(0);
  return { stdout: r.stdout, stderr: r.stderr, log };
}

/** Compiles every .c and .S of `dir` for `target` with its flags (-Werror) and `includes`. */
function compileSourcesFor(target: string, dir: string, outDir: string, includes: string[] = []) {
  const t = loadTarget(target);
  const sources = readdirSync(dir).filter(isCompiledSource);
  expect(sources, dir).to.include('mnist_cnn_int8.c');
  for (const s of sources)
    run(t.toolchain.cc, [...t.toolchain.cflags, `-I${dir}`, ...includes.map((i) => `-I${i}`), '-c', join(dir, s), '-o', join(outDir, `${s}.o`)]);
  return sources;
}

/** `key=value` lines of a properties file, comments skipped. */
function properties(text: string): Map<string, string> {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('exports: compile --project cmake|make|arduino|platformio|zephyr|esp-idf|pico-sdk', function () {
  let scratch: ReturnType<typeof scratchDir>;
  const compiled = new Map<string, CompiledModel>();
  const compileFor = (target: string) => {
    if (!compiled.has(target)) compiled.set(target, compileFile(MODEL, { isa: loadTarget(target).isa, provenance: { target } }));
    return compiled.get(target)!;
  };
  /** Writes `kind`'s export for `target` into the scratch directory, the first digit as the sample. */
  const exportTo = (kind: string, target: string, name = `${kind}-${target}`) =>
    writeDirectoryAtomically(
      join(scratch.dir, name),
      projectFiles(kind, compileFor(target), loadTarget(target), { sample: [new Uint8Array(DIGIT)], sampleSource: 'the first digit of digits.bin' }),
    );

  before(function () {
    requireTools(this, ['gcc', 'g++', 'make', 'cmake', 'arm-none-eabi-gcc']);
    scratch = scratchDir('exports');
    writeFileSync(join(scratch.dir, 'main.c'), APP_MAIN);
  });
  after(() => scratch?.cleanup());

  it('make: builds the library for the Cortex-M4 with its own flags, warning-free, and with CC/CFLAGS given; a main links against it', () => {
    const dir = exportTo('make', 'cortex-m4');
    const makefile = readFileSync(join(dir, 'Makefile'), 'utf8');
    expect(makefile).to.include('ARCH_FLAGS ?= -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16');
    const own = run('make', ['-C', dir]);
    expect(own.log).to.include('arm-none-eabi-gcc -mcpu=cortex-m4');
    expect(own.stderr, 'the default flags build without a warning').to.equal('');
    const lib = join(dir, `lib${PREFIX}.a`);
    expect(existsSync(lib)).to.equal(true);
    run('make', ['-C', dir, 'clean']);
    expect(existsSync(lib), 'make clean removes the library').to.equal(false);
    // CFLAGS without an -O level: OPTIMIZE still gives one (the DSP kernels do not build at -O0)
    const given = run('make', ['-C', dir, 'CC=arm-none-eabi-gcc', `CFLAGS=-g ${STRICT.join(' ')}`]);
    expect(given.log).to.include(`-O2 -g ${STRICT.join(' ')}`);
    run('arm-none-eabi-gcc', [
      ...M4_FLAGS,
      ...STRICT,
      `-I${dir}`,
      join(scratch.dir, 'main.c'),
      lib,
      '--specs=nosys.specs',
      '-o',
      join(scratch.dir, 'make-m4.elf'),
    ]);
  });

  it('make: the host build links a main that classifies the digit as its label', () => {
    const dir = exportTo('make', 'host');
    run('make', ['-C', dir, `CFLAGS=-O1 ${STRICT.join(' ')}`]);
    const app = join(scratch.dir, 'make-host-app');
    run('gcc', [...STRICT, `-I${dir}`, join(scratch.dir, 'main.c'), join(dir, `lib${PREFIX}.a`), '-o', app]);
    expect(run(app, [], { input: DIGIT }).stdout).to.equal(`top class ${DIGIT_LABEL}\n`);
  });

  it('cmake: with its toolchain file the library and an app build for the Cortex-M4 under -Werror; on the host the app classifies the digit', () => {
    const app = (name: string, modelDir: string) => {
      const src = join(scratch.dir, `${name}-app`);
      writeDirectoryAtomically(src, [
        { name: 'main.c', text: APP_MAIN },
        {
          name: 'CMakeLists.txt',
          text: `cmake_minimum_required(VERSION 3.13)\nproject(app C)\nadd_subdirectory(${modelDir} model)\nadd_executable(app main.c)\ntarget_link_libraries(app PRIVATE ${PREFIX})\n`,
        },
      ]);
      return src;
    };
    const m4 = exportTo('cmake', 'cortex-m4');
    const toolchain = join(m4, 'toolchain-cortex-m4.cmake');
    expect(readFileSync(toolchain, 'utf8')).to.include('set(CMAKE_C_COMPILER arm-none-eabi-gcc)');
    const m4Build = join(scratch.dir, 'cmake-m4-build');
    // CFLAGS from the environment come on top of the toolchain file's core flags (-DCMAKE_C_FLAGS would replace them)
    run('cmake', ['-S', app('cmake-m4', m4), '-B', m4Build, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DCMAKE_EXE_LINKER_FLAGS=--specs=nosys.specs'], {
      env: { CFLAGS: STRICT.slice(1).join(' ') },
    });
    const built = run('cmake', ['--build', m4Build, '--', 'VERBOSE=1']);
    expect(built.log).to.match(
      /arm-none-eabi-gcc .*-Wall -Wextra -Wpedantic -Wshadow -Werror -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 .*-c \S+\/mnist_cnn_int8\.c/,
    );
    expect(existsSync(join(m4Build, 'app'))).to.equal(true);

    const host = exportTo('cmake', 'host');
    expect(existsSync(join(host, 'toolchain-host.cmake')), 'no toolchain file for the host').to.equal(false);
    const hostBuild = join(scratch.dir, 'cmake-host-build');
    run('cmake', ['-S', app('cmake-host', host), '-B', hostBuild, `-DCMAKE_C_FLAGS=${STRICT.slice(1).join(' ')}`]);
    run('cmake', ['--build', hostBuild]);
    expect(run(join(hostBuild, 'app'), [], { input: DIGIT }).stdout).to.equal(`top class ${DIGIT_LABEL}\n`);
  });

  it("arduino: library.properties as the library specification asks, src/ compiles for the Cortex-M4, the sketch's folder is its name", () => {
    const dir = exportTo('arduino', 'cortex-m4');
    const props = properties(readFileSync(join(dir, 'library.properties'), 'utf8'));
    for (const key of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures'])
      expect(props.has(key), `library.properties: ${key}`).to.equal(true);
    expect(props.get('name')).to.match(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/);
    // arduino-lint refuses an empty url
    expect(() => new URL(props.get('url') ?? '')).to.not.throw();
    expect(props.get('name')).to.not.match(/^arduino/i);
    expect(props.get('version')).to.match(/^\d+\.\d+\.\d+$/);
    expect(['Display', 'Communication', 'Signal Input/Output', 'Sensors', 'Device Control', 'Timing', 'Data Storage', 'Data Processing', 'Other']).to.include(
      props.get('category'),
    );
    expect(props.get('includes')).to.equal(`${PREFIX}.h`);
    expect(readFileSync(join(dir, 'src', `${PREFIX}.h`), 'utf8')).to.include('#include "mnist_cnn_int8.h"');
    const sketch = readFileSync(join(dir, 'examples', 'Classify', 'Classify.ino'), 'utf8');
    expect(sketch).to.include(`#include <${PREFIX}.h>`).and.include('Serial.begin(115200)').and.include(`${PREFIX}_top_class()`);
    expect(existsSync(join(dir, 'examples', 'Classify', `${PREFIX}_sample.h`))).to.equal(true);
    compileSourcesFor('cortex-m4', join(dir, 'src'), scratch.dir);
  });

  it("arduino: the sketch, built as C++ for the host against a stand-in for the Arduino core's Serial, prints the digit's class", () => {
    const dir = exportTo('arduino', 'host');
    // what the sketch uses of the Arduino core, with the Print overloads the core declares; main() runs setup() once
    const stub = join(scratch.dir, 'Arduino.h');
    writeFileSync(
      stub,
      `#include <stddef.h>
#include <stdio.h>
struct StubSerial {
  void begin(unsigned long) {}
  explicit operator bool() const { return true; }
  size_t print(const char *s) { return (size_t)printf("%s", s); }
  size_t print(int v) { return (size_t)printf("%d", v); }
  size_t print(unsigned long v) { return (size_t)printf("%lu", v); }
  size_t println(const char *s) { return (size_t)printf("%s\\n", s); }
  size_t println(int v) { return (size_t)printf("%d\\n", v); }
  size_t println(unsigned long v) { return (size_t)printf("%lu\\n", v); }
};
static StubSerial Serial;
static unsigned long millis() { return 0; }
static unsigned long micros() { return 0; }
void setup();
void loop();
int main() { setup(); return 0; }
`,
    );
    const objects = readdirSync(join(dir, 'src'))
      .filter((f) => f.endsWith('.c'))
      .map((f) => {
        run('gcc', [...STRICT, `-I${join(dir, 'src')}`, '-c', join(dir, 'src', f), '-o', join(scratch.dir, `ino-${f}.o`)]);
        return join(scratch.dir, `ino-${f}.o`);
      });
    const app = join(scratch.dir, 'sketch-app');
    const sketch = join(dir, 'examples', 'Classify', 'Classify.ino');
    run('g++', ['-Wall', '-Wextra', '-Werror', '-include', stub, `-I${join(dir, 'src')}`, '-x', 'c++', sketch, '-x', 'none', ...objects, '-o', app]);
    expect(run(app, []).stdout).to.equal(`top class ${DIGIT_LABEL} (tinyforge's reference: ${DIGIT_LABEL}), 0 us\n`);
  });

  it('platformio: library.json, include/ and src/ compile for the RP2040; the example points at the library and runs natively', () => {
    const dir = exportTo('platformio', 'rp2040');
    const manifest = JSON.parse(readFileSync(join(dir, 'library.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.name).to.match(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(manifest.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(manifest.platforms).to.deep.equal(['raspberrypi']);
    expect(manifest.build).to.deep.equal({ srcDir: 'src', includeDir: 'include' });
    expect(readdirSync(join(dir, 'include'))).to.deep.equal(['mnist_cnn_int8.h']);
    const sources = compileSourcesFor('rp2040', join(dir, 'src'), scratch.dir, [join(dir, 'include')]);
    expect(
      sources.some((s) => s.endsWith('.S')),
      'the Armv6-M assembly kernels are in src/',
    ).to.equal(true);
    const ini = readFileSync(join(dir, 'examples', 'classify', 'platformio.ini'), 'utf8');
    const link = /^lib_deps = (\S+)=symlink:\/\/(\S+)$/m.exec(ini);
    expect(link?.[1]).to.equal(manifest.name);
    expect(existsSync(join(dir, 'examples', 'classify', link![2]!, 'library.json')), 'lib_deps leads to the library').to.equal(true);
    expect(ini).to.match(/^\[env:pico\]\nplatform = raspberrypi\nboard = pico\nframework = arduino$/m);

    // the example as the native platform builds it (no ARDUINO): the C++ main and the C library
    const host = exportTo('platformio', 'host');
    const objects = readdirSync(join(host, 'src'))
      .filter((s) => s.endsWith('.c'))
      .map((s) => {
        run('gcc', [...STRICT, `-I${join(host, 'include')}`, `-I${join(host, 'src')}`, '-c', join(host, 'src', s), '-o', join(scratch.dir, `pio-${s}.o`)]);
        return join(scratch.dir, `pio-${s}.o`);
      });
    const app = join(scratch.dir, 'pio-native');
    run('g++', ['-Wall', '-Wextra', '-Werror', `-I${join(host, 'include')}`, join(host, 'examples', 'classify', 'src', 'main.cpp'), ...objects, '-o', app]);
    expect(run(app, []).stdout).to.equal(`top class ${DIGIT_LABEL} (tinyforge's reference: ${DIGIT_LABEL})\n`);
  });

  it("the starter apps' sample header is C99 as well: a C main with it classifies the sample as the reference does, with either arena", () => {
    for (const arena of ['static', 'caller'] as const) {
      const host = loadTarget('host');
      const compiledHere = arena === 'static' ? compileFor('host') : compileFile(MODEL, { isa: host.isa, provenance: { target: 'host' }, arena });
      const dir = writeDirectoryAtomically(
        join(scratch.dir, `sample-c-${arena}`),
        projectFiles('platformio', compiledHere, host, { sample: [new Uint8Array(DIGIT)], sampleSource: 'the first digit of digits.bin' }),
      );
      const main = join(scratch.dir, `sample_main_${arena}.c`);
      writeFileSync(
        main,
        `#include <stdio.h>\n#include "${PREFIX}_sample.h"\nint main(void) {\n  if (${PREFIX}_sample_init() != TF_OK) return 1;\n  ${PREFIX}_sample_load();\n  if (${PREFIX}_invoke() != 0) return 2;\n  printf("%d %d\\n", ${PREFIX}_top_class(), ${PREFIX.toUpperCase()}_SAMPLE_EXPECTED_CLASS);\n  return 0;\n}\n`,
      );
      const sources = readdirSync(join(dir, 'src'))
        .filter((f) => f.endsWith('.c'))
        .map((f) => join(dir, 'src', f));
      const app = join(scratch.dir, `sample-c-app-${arena}`);
      run('gcc', [
        ...STRICT,
        `-I${join(dir, 'include')}`,
        `-I${join(dir, 'src')}`,
        `-I${join(dir, 'examples', 'classify', 'src')}`,
        main,
        ...sources,
        '-o',
        app,
      ]);
      expect(run(app, []).stdout, arena).to.equal(`${DIGIT_LABEL} ${DIGIT_LABEL}\n`);
      if (arena === 'caller')
        expect(readFileSync(join(dir, 'include', 'mnist_cnn_int8.h'), 'utf8')).to.include('tf_status_t tf_mnist_cnn_int8_init(uint8_t *arena, size_t bytes);');
    }
  });

  it('zephyr: module.yml names the build files, Kconfig and the sample agree on the symbol, src/ compiles for the Cortex-M33', () => {
    const dir = exportTo('zephyr', 'cortex-m33');
    const moduleYml = readFileSync(join(dir, 'zephyr', 'module.yml'), 'utf8');
    expect(moduleYml).to.match(/^name: tf_mnist_cnn_int8\nbuild:\n {2}cmake: \.\n {2}kconfig: Kconfig\nsamples:\n {2}- samples$/m);
    const symbol = /^config (\w+)$/m.exec(readFileSync(join(dir, 'Kconfig'), 'utf8'))?.[1];
    expect(symbol).to.equal('TF_MNIST_CNN_INT8');
    const cmake = readFileSync(join(dir, 'CMakeLists.txt'), 'utf8');
    expect(cmake).to.include(`if(CONFIG_${symbol})`);
    for (const source of [...cmake.matchAll(/^ {4}(src\/\S+)$/gm)].map((m) => m[1]!)) expect(existsSync(join(dir, source)), source).to.equal(true);
    const sample = join(dir, 'samples', 'classify');
    const prj = readFileSync(join(sample, 'prj.conf'), 'utf8');
    expect(prj).to.include(`CONFIG_${symbol}=y`);
    // a few KiB, not the Cortex-M33 target's whole 64 KiB stack, for a model whose invoke takes a few hundred bytes
    expect(Number(/CONFIG_MAIN_STACK_SIZE=(\d+)/.exec(prj)![1])).to.equal(4096);
    const sampleCmake = readFileSync(join(sample, 'CMakeLists.txt'), 'utf8');
    const modules = /list\(APPEND ZEPHYR_EXTRA_MODULES \$\{CMAKE_CURRENT_SOURCE_DIR\}\/(\S+)\)/.exec(sampleCmake)?.[1];
    expect(existsSync(join(sample, modules!, 'zephyr', 'module.yml')), 'the sample finds the module').to.equal(true);
    expect(sampleCmake.indexOf('ZEPHYR_EXTRA_MODULES')).to.be.lessThan(sampleCmake.indexOf('find_package(Zephyr'));
    expect(readFileSync(join(sample, 'sample.yaml'), 'utf8')).to.include(`- "top class ${DIGIT_LABEL} "`);
    expect(readFileSync(join(sample, 'src', 'main.c'), 'utf8')).to.include('#include <zephyr/kernel.h>');
    compileSourcesFor('cortex-m33', join(dir, 'src'), scratch.dir, [join(dir, 'include')]);
  });

  it('esp-idf: a component, a starter main/ and the harness project sharing it; the component compiles for the ESP32-C3 and the ESP32', async function () {
    requireTools(this, ['riscv64-unknown-elf-gcc', 'xtensa-lx106-elf-gcc']);
    const dir = exportTo('esp-idf', 'esp32c3');
    const component = join(dir, 'components', PREFIX);
    expect(readFileSync(join(component, 'idf_component.yml'), 'utf8')).to.match(/^version: "\d+\.\d+\.\d+"$/m);
    expect(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8')).to.match(
      /include\(\$ENV\{IDF_PATH\}\/tools\/cmake\/project\.cmake\)\nproject\(tf_mnist_cnn_int8_app\)/,
    );
    expect(readFileSync(join(dir, 'main', 'CMakeLists.txt'), 'utf8')).to.include(`REQUIRES ${PREFIX} esp_hw_support`);
    expect(readFileSync(join(dir, 'main', 'main.c'), 'utf8')).to.include('void app_main(void)');
    const harness = readFileSync(join(dir, 'harness', 'CMakeLists.txt'), 'utf8');
    const extra = /set\(EXTRA_COMPONENT_DIRS \$\{CMAKE_CURRENT_LIST_DIR\}\/(\S+)\)/.exec(harness)?.[1];
    expect(existsSync(join(dir, 'harness', extra!, PREFIX, 'CMakeLists.txt')), "the harness finds the starter app's component").to.equal(true);
    expect(harness.indexOf('EXTRA_COMPONENT_DIRS')).to.be.lessThan(harness.indexOf('project.cmake'));
    expect(readFileSync(join(dir, 'harness', 'sdkconfig.defaults'), 'utf8')).to.include('CONFIG_ESP_CONSOLE_NONE=y');
    expect(readFileSync(join(dir, 'sdkconfig.defaults'), 'utf8'), 'the starter app keeps its console').to.not.include('CONSOLE_NONE');
    compileSourcesFor('esp32c3', component, scratch.dir);
    const xtensa = exportTo('esp-idf', 'esp32');
    const checked = await compileCheck({ target: 'esp32', modelDir: join(xtensa, 'components', PREFIX), outDir: join(scratch.dir, 'xtensa') });
    expect(checked.checked).to.include('mnist_cnn_int8.c');
  });

  it('the CLI writes an export with the --input sample, and refuses an unknown kind in one line', () => {
    const out = join(scratch.dir, 'cli-arduino');
    const sample = join(scratch.dir, 'digit.bin');
    writeFileSync(sample, DIGIT);
    const r = tinyforge(['compile', MODEL, '--target', 'cortex-m4', '--project', 'arduino', '--input', sample, '-o', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`wrote ${out}: arduino project for cortex-m4`);
    const header = readFileSync(join(out, 'examples', 'Classify', `${PREFIX}_sample.h`), 'utf8');
    expect(header)
      .to.include(`one sample input (${basename(sample)})`)
      .and.include(`_SAMPLE_EXPECTED_CLASS ${DIGIT_LABEL}`);
    const bad = tinyforge(['compile', MODEL, '--project', 'keil', '-o', join(scratch.dir, 'keil')]);
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.equal("error: unknown project kind 'keil' (known: cmake, make, arduino, platformio, zephyr, esp-idf, pico-sdk)\n");
    const noProject = tinyforge(['compile', MODEL, '--input', sample, '-o', join(scratch.dir, 'plain')]);
    expect(noProject.stderr).to.match(/^error: --input is the starter app's sample: it goes with --project\n$/);
  });
});
