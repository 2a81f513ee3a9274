// SPDX-License-Identifier: Apache-2.0
/**
 * The npm package as a user gets it: built once (`npm run build`), packed, unpacked into a scratch
 * project's node_modules, and used from there with plain Node (no tsx): the library API, the built
 * CLI, and a client that `compile --client` generated, typechecked against the package's
 * declarations and driving an emulated board whose classify() scores must equal TFLite Micro's
 * recorded outputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { expect } from 'chai';
import { type InstalledPackage, installedPackage, plainNodeEnv } from '../helpers/installed_package.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { PROJECT_ROOT } from '../helpers/cli.ts';
import { HANG_GUARD_MS } from '../support/hang-guard.ts';

const LABELS = ['silence', 'unknown', 'yes', 'no'];

/** Runs `node args` in the scratch project as a user would: plain Node, no loader. */
function node(pkg: InstalledPackage, args: string[], timeoutMs = HANG_GUARD_MS, cwd = pkg.projectDir) {
  const r = spawnSync(process.execPath, args, { cwd, env: plainNodeEnv(), encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What `dir` takes on disk, in KiB: `du -sk`, disk blocks (not the sum of file sizes), hard links once. */
function diskKiB(dir: string): number {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`du -sk ${dir} failed: ${r.stderr}`);
  return Number(r.stdout.split('\t')[0]);
}

/** `npm install TARBALL --omit=optional` (no TF.js, client generator, HTML report or farm) must take at most this on disk. */
const SMALL_INSTALL_MIB = 60;

/** The optional dependencies and what says it needs each: the one line a command prints without them. */
const OPTIONAL: Record<string, { packages: string[]; hint: string }> = {
  tfjs: {
    packages: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'],
    hint: 'error: tinyforge quantize needs TensorFlow.js, an optional dependency that is not installed: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm\n',
  },
  client: {
    packages: ['ts-morph'],
    hint: 'error: tinyforge compile --client needs ts-morph, an optional dependency that is not installed: npm install ts-morph\n',
  },
  html: {
    packages: ['chart.js'],
    hint: 'error: tinyforge profile --html needs Chart.js, an optional dependency that is not installed: npm install chart.js\n',
  },
  farm: {
    packages: ['bullmq', 'ioredis'],
    hint: 'error: tinyforge farm status needs BullMQ, an optional dependency that is not installed: npm install bullmq ioredis\n',
  },
  ort: {
    packages: ['onnxruntime-node'],
    hint: 'error: tinyforge validate --reference onnxruntime needs ONNX Runtime, an optional dependency that is not installed: npm install onnxruntime-node\n',
  },
};

describe('npm package: built, packed, installed and used with plain Node', function () {
  let pkg: InstalledPackage;

  before(function () {
    pkg = installedPackage();
    console.log(
      `  (${pkg.reusedDist ? "the checkout's current dist/ copied" : 'built'} in ${(pkg.buildMs / 1000).toFixed(1)} s; tarball ${(pkg.pack.size / 1024).toFixed(0)} KiB, ${pkg.pack.entryCount} files, ${(pkg.pack.unpackedSize / 1024 / 1024).toFixed(1)} MiB unpacked)`,
    );
  });
  after(() => pkg?.cleanup());

  it('npm run build emits JavaScript and declarations for the entry, and the kernel sources the ops read at run time', () => {
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/face/cli/main.js',
      'dist/core/ops/conv_2d/conv_2d.c.hbs',
      'dist/core/ops/conv_2d/conv_2d_dsp.h',
    ]) {
      expect(existsSync(join(pkg.checkoutDir, f)), f).to.equal(true);
    }
    // Node's ESM loader needs every relative import to name its .js file
    const compileJs = readFileSync(join(pkg.checkoutDir, 'dist/core/compile.js'), 'utf8');
    expect(compileJs).to.match(/from ["']\.\/model\/load\.js["']/);
    expect(compileJs).to.not.match(/from ["']\.[^"']*\.ts["']/);
  });

  it('the tarball holds dist, the runtime assets and the docs, and no sources, tests, bench or examples', () => {
    const paths = pkg.pack.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/tinyforge.js',
      'dist/index.js',
      'dist/index.d.ts',
      'targets/cortex-m4.json',
      'templates/model.c.hbs',
      'firmware/common/harness.c',
      'docs/api.md',
      'docs/protocol.md',
      'docs/schemas/run.schema.json',
    ]) {
      expect(paths, f).to.include(f);
    }
    const unwanted = paths.filter((p) => /^(src|test|bench|examples|scripts|tools)\/|\.test\.(js|d\.ts)$|(^|\/)\.ci\//.test(p));
    expect(unwanted, 'files that must not ship').to.deep.equal([]);
    expect(paths.filter((p) => !/^(dist|bin|firmware|targets|templates|docs)\/|^(package\.json|README\.md|LICENSE)$/.test(p))).to.deep.equal([]);
    // ~2.0 MB of modules and assets, 0.65 MB of the command line's bundle (dist/cli.cjs)
    expect(pkg.pack.size, 'tarball bytes').to.be.below(2.75 * 1024 * 1024);
  });

  it('ships every doc that the README and the shipped docs link to', () => {
    const paths = new Set(pkg.pack.files.map((f) => f.path));
    const docs = ['README.md', ...[...paths].filter((p) => /^docs\/.*\.md$/.test(p))];
    const missing: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(PROJECT_ROOT, doc), 'utf8');
      const dir = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/')) : '';
      // markdown links and `docs/x.md` mentions; relative to the linking file, as a reader follows them
      const links = [...text.matchAll(/\]\(([^)#\s]+\.md)[)#]/g)].map((m) => posix.normalize(posix.join(dir, m[1]!)));
      const mentions = [...text.matchAll(/`(docs\/[^`\s]+\.md)`/g)].map((m) => m[1]!);
      for (const target of [...links, ...mentions]) if (!target.startsWith('..') && !paths.has(target)) missing.push(`${doc} -> ${target}`);
    }
    expect(missing, 'linked docs missing from the tarball').to.deep.equal([]);
  });

  it("plain node imports 'tinyforge' and compiles a shared model through the library API", function () {
    if (!sharedModelsAvailable(this)) return;
    const script = join(pkg.projectDir, 'compile.mjs');
    writeFileSync(
      script,
      `import { compile, TinyforgeError, VERSION } from 'tinyforge';
const model = ${JSON.stringify(sharedModelPath('micro_speech'))};
const compiled = await compile(model, { target: 'cortex-m4', outDir: 'out-api', client: true, labels: ['silence', 'unknown', 'yes', 'no'] });
let refused = null;
try { await compile('no-such-model.tflite'); } catch (e) { refused = { isTinyforgeError: e instanceof TinyforgeError, message: e.message }; }
console.log(JSON.stringify({ VERSION, target: compiled.target, outDir: compiled.outDir, arena: compiled.plan.arenaBytes, files: compiled.generated.files.map((f) => f.name), client: compiled.client, refused }));
`,
    );
    const r = node(pkg, [script]);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.VERSION).to.equal(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
    expect(out).to.deep.include({ target: 'cortex-m4', outDir: join(pkg.projectDir, 'out-api') });
    expect(out.arena).to.be.above(0);
    expect(out.files).to.include.members(['micro_speech.h', 'micro_speech.c', 'micro_speech_weights.c']);
    expect(readFileSync(join(pkg.projectDir, 'out-api/micro_speech.c'), 'utf8')).to.include('tf_micro_speech_invoke');
    expect(out.client).to.include('export class MicroSpeechDevice').and.include("['silence', 'unknown', 'yes', 'no']");
    expect(readFileSync(join(pkg.projectDir, 'out-api/client.ts'), 'utf8')).to.equal(out.client);
    expect(out.refused).to.deep.equal({ isTinyforgeError: true, message: 'no-such-model.tflite: no such file' });
  });

  it("run() from the installed package builds the harness from the package's own firmware and matches TFLite Micro on the host", function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['gcc']);
    const [golden] = goldenCases('hello_world_int8');
    const script = join(pkg.projectDir, 'run.mjs');
    writeFileSync(
      script,
      `import { run } from 'tinyforge';
const report = await run(${JSON.stringify(sharedModelPath('hello_world_int8'))}, { target: 'host', inputs: [Int8Array.from(${JSON.stringify(Array.from(new Int8Array(golden!.input.buffer, golden!.input.byteOffset, golden!.input.length)))})] });
console.log(JSON.stringify({ outputs: report.outputs, matchesReference: report.matchesReference, target: report.target }));
`,
    );
    const r = node(pkg, [script]);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({
      outputs: [Array.from(new Int8Array(golden!.output.buffer, golden!.output.byteOffset, golden!.output.length))],
      matchesReference: true,
      target: 'host',
    });
  });

  it('the installed bin runs the built CLI with plain node: compile --client writes clients that typecheck against the declarations', function () {
    if (!sharedModelsAvailable(this)) return;
    writeFileSync(join(pkg.projectDir, 'labels.txt'), `${LABELS.join('\n')}\n`);
    const bin = join(pkg.packageDir, 'bin/tinyforge.js');
    const speech = node(pkg, [
      bin,
      'compile',
      sharedModelPath('micro_speech'),
      '-o',
      'out-cli',
      '--client',
      'micro_speech_client.ts',
      '--labels',
      'labels.txt',
    ]);
    expect(speech.status, speech.stderr).to.equal(0);
    expect(speech.stdout).to.include('wrote micro_speech_client.ts: typed host client');
    // two inputs, one output: no classify(), infer() with both inputs by name
    const add = node(pkg, [bin, 'compile', sharedModelPath('simple_add'), '-o', 'out-add', '--client']);
    expect(add.status, add.stderr).to.equal(0);
    expect(readFileSync(join(pkg.projectDir, 'out-add/client.ts'), 'utf8')).to.not.include('classify');

    writeFileSync(join(pkg.projectDir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(pkg.projectDir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          types: [],
          outDir: 'built',
        },
        files: ['micro_speech_client.ts', 'out-add/client.ts'],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = node(pkg, [tsc, '-p', 'tsconfig.json']);
    expect(r.stdout + r.stderr, 'tsc output').to.equal('');
    expect(r.status).to.equal(0);
    expect(existsSync(join(pkg.projectDir, 'built/micro_speech_client.js'))).to.equal(true);
  });

  it("drives an emulated Cortex-M4 through the generated client: classify()'s scores equal TFLite Micro's outputs, for int8 and float inputs", function () {
    if (!sharedModelsAvailable(this)) return;
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
    if (!existsSync(join(pkg.projectDir, 'built/micro_speech_client.js'))) this.skip(); // the test above failed
    const graph = loadGraph(sharedModelPath('micro_speech'));
    const input = graph.tensors[graph.inputs[0]!]!.quant!;
    const output = graph.tensors[graph.outputs[0]!]!.quant!;
    const golden = goldenCases('micro_speech');
    const cases = golden.map((c) => {
      const q = Array.from(new Int8Array(c.input.buffer, c.input.byteOffset, c.input.length));
      return { name: c.name, int8: q, float: Array.from(Float32Array.from(q, (v) => input.scale[0]! * (v - input.zeroPoint[0]!))) };
    });
    writeFileSync(join(pkg.projectDir, 'cases.json'), JSON.stringify(cases));
    const script = join(pkg.projectDir, 'drive.mjs');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
import { MicroSpeechDevice, open, classify, close } from './built/micro_speech_client.js';
const result = (r) => ({ scores: Array.from(r.scores), label: r.label, index: r.index, latency: r.latency });
await open({ model: ${JSON.stringify(sharedModelPath('micro_speech'))}, target: 'cortex-m4' });
const runs = [];
for (const c of JSON.parse(readFileSync('cases.json', 'utf8'))) {
  runs.push({ name: c.name, int8: result(await classify(Int8Array.from(c.int8))), float: result(await classify(Float32Array.from(c.float))) });
}
await close();
let wrongModel = null;
try { await MicroSpeechDevice.open({ model: ${JSON.stringify(sharedModelPath('hello_world_int8'))}, target: 'cortex-m4' }); } catch (e) { wrongModel = e.message; }
console.log(JSON.stringify({ runs, wrongModel }));
`,
    );
    const r = node(pkg, [script]);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      runs: { name: string; int8: Classified; float: Classified }[];
      wrongModel: string | null;
    };
    expect(out.runs.map((run) => run.name)).to.deep.equal(golden.map((c) => c.name));
    out.runs.forEach((run, i) => {
      const q = new Int8Array(golden[i]!.output.buffer, golden[i]!.output.byteOffset, golden[i]!.output.length);
      const scores = Array.from(Float32Array.from(q, (v) => output.scale[0]! * (v - output.zeroPoint[0]!)));
      const best = scores.indexOf(Math.max(...scores));
      for (const got of [run.int8, run.float]) {
        expect(got.scores, `${run.name} scores`).to.deep.equal(scores);
        expect(got).to.deep.include({ index: best, label: LABELS[best] });
        expect(got.latency.unit).to.equal('instructions');
        expect(got.latency.count).to.be.above(0);
        expect(got.latency.seconds).to.equal(null);
      }
    });
    expect(out.wrongModel).to.match(
      /^qemu-mps2-an386 \(\S*qemu-system-arm stdio\): the device runs model hello_world_int8 \(1 input bytes, 1 output bytes\), not micro_speech \(1960, 4\): flash it with this model$/,
    );
  });

  describe('installed by path without the optional dependencies (npm install TARBALL --omit=optional)', function () {
    let userDir: string;
    let bin: string;

    before(function () {
      // a project of its own: npm installs into the nearest folder with a package.json
      userDir = mkdtempSync(join(tmpdir(), 'tinyforge-small-install-'));
      writeFileSync(join(userDir, 'package.json'), '{ "private": true }\n');
      // the tarball by its path, as the README's Install says; the registry's answers come from npm's
      // cache when it has them; no install scripts (serialport's native addon ships prebuilt)
      const r = spawnSync(
        'npm',
        ['install', join(pkg.projectDir, pkg.pack.filename), '--omit=optional', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
        { cwd: userDir, env: plainNodeEnv(), encoding: 'utf8', timeout: HANG_GUARD_MS },
      );
      if (r.status !== 0) throw new Error(`npm install --omit=optional failed (status ${r.status}):\n${r.stderr}${r.stdout}`);
      bin = join(userDir, 'node_modules/tinyforge/bin/tinyforge.js');
    });
    after(() => {
      if (userDir) rmSync(userDir, { recursive: true, force: true });
    });

    it('the README installs the very tarball npm pack makes, by its path', () => {
      const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      expect(pkg.pack.filename).to.equal(`tinyforge-${version}.tgz`);
      const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
      expect(readme).to.include(`npm install /path/to/${pkg.pack.filename}`);
      expect(readme).to.include(`npm install /path/to/${pkg.pack.filename} --omit=optional`);
      // no command line installs by a name the registry does not have
      expect(readme).to.not.match(/^npm install tinyforge\b/m);
      // and it says how to add each optional dependency
      for (const dep of Object.values(OPTIONAL)) expect(readme).to.include(`\`npm install ${dep.packages.join(' ')}\``);
      expect(JSON.parse(readFileSync(join(userDir, 'package.json'), 'utf8')).dependencies.tinyforge).to.match(/^file:.*\.tgz$/);
    });

    it(`takes at most ${SMALL_INSTALL_MIB} MB on disk, without any optional dependency`, () => {
      const kib = diskKiB(join(userDir, 'node_modules'));
      console.log(`  (installed: ${(kib / 1024).toFixed(1)} MB on disk in node_modules, du -sk)`);
      const declared = Object.keys(
        (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }).optionalDependencies,
      );
      expect(declared.sort()).to.deep.equal(
        Object.values(OPTIONAL)
          .flatMap((d) => d.packages)
          .sort(),
      );
      const present = [...declared, '@ts-morph/common'].filter((p) => existsSync(join(userDir, 'node_modules', p)));
      expect(present, 'optional packages installed').to.deep.equal([]);
      expect(kib).to.be.at.most(SMALL_INSTALL_MIB * 1024);
    });

    it('compiles, runs on the host and palettizes there', function () {
      if (!sharedModelsAvailable(this)) return;
      requireTools(this, ['gcc']);
      const model = sharedModelPath('hello_world_int8');
      const compiled = node(pkg, [bin, 'compile', model, '-o', 'out'], 120_000, userDir);
      expect(compiled.status, compiled.stderr).to.equal(0);
      expect(existsSync(join(userDir, 'out/hello_world_int8.c'))).to.equal(true);
      const ran = node(pkg, [bin, 'run', model, '--target', 'host', '--json'], 120_000, userDir);
      expect(ran.status, ran.stderr).to.equal(0);
      expect(JSON.parse(ran.stdout)).to.include({ matchesReference: true });
      // palettize clusters an int8 .tflite without TF.js
      const palettized = node(pkg, [bin, 'palettize', model, '-o', 'palette.tflite'], 120_000, userDir);
      expect(palettized.status, palettized.stderr).to.equal(0);
      expect(existsSync(join(userDir, 'palette.tflite'))).to.equal(true);
    });

    it("plain node imports 'tinyforge' and compiles; compile()'s client option says what to install", function () {
      if (!sharedModelsAvailable(this)) return;
      const script = join(userDir, 'api.mjs');
      writeFileSync(
        script,
        `import { compile, TinyforgeError } from 'tinyforge';
const model = ${JSON.stringify(sharedModelPath('hello_world_int8'))};
const compiled = await compile(model);
let refused = null;
try { await compile(model, { outDir: 'out-api-client', client: true }); } catch (e) { refused = { isTinyforgeError: e instanceof TinyforgeError, message: e.message }; }
console.log(JSON.stringify({ arena: compiled.plan.arenaBytes, refused }));
`,
      );
      const r = node(pkg, [script], 120_000, userDir);
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out.arena).to.be.above(0);
      expect(out.refused).to.deep.equal({
        isTinyforgeError: true,
        message: "compile()'s client option needs ts-morph, an optional dependency that is not installed: npm install ts-morph",
      });
      expect(existsSync(join(userDir, 'out-api-client'))).to.equal(false);
    });

    it('the compression commands say in one line what to install, and exit non-zero', function () {
      if (!sharedModelsAvailable(this)) return;
      const r = node(pkg, [bin, 'quantize', sharedModelPath('hello_world_int8'), '-o', 'q.tflite'], 120_000, userDir);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.equal(OPTIONAL.tfjs!.hint);
      expect(existsSync(join(userDir, 'q.tflite'))).to.equal(false);
    });

    it('compile --client, profile --html and the farm say in one line what to install, exit non-zero and write nothing', function () {
      if (!sharedModelsAvailable(this)) return;
      const model = sharedModelPath('hello_world_int8');
      const cases = [
        { dep: 'client', args: ['compile', model, '-o', 'out-client', '--client'], writes: ['out-client'] },
        { dep: 'html', args: ['profile', model, '--target', 'cortex-m4', '--html', 'report.html'], writes: ['report.html'] },
        // a port nothing listens on: the missing dependency is said before any connection is tried
        { dep: 'farm', args: ['farm', 'status', '--farm', 'redis://127.0.0.1:9'], writes: [] },
        // the ONNX reference loads before anything is built
        {
          dep: 'ort',
          args: ['validate', join(PROJECT_ROOT, 'test', 'data', 'onnx', 'conv2d-qdq-uint8-1010.onnx'), '--reference', 'onnxruntime', '--target', 'host'],
          writes: [],
        },
      ];
      for (const c of cases) {
        const r = node(pkg, [bin, ...c.args], 120_000, userDir);
        const what = `tinyforge ${c.args.slice(0, c.dep === 'farm' ? 2 : 1).join(' ')}`;
        expect(r.stderr, what).to.equal(OPTIONAL[c.dep]!.hint);
        expect(r.status, what).to.equal(1);
        expect(r.stdout, what).to.equal('');
        for (const f of c.writes) expect(existsSync(join(userDir, f)), `${what} wrote ${f}`).to.equal(false);
      }
      // run --farm goes the same way, naming itself
      const r = node(pkg, [bin, 'run', model, '--farm', 'redis://127.0.0.1:9', '--board', 'mps2-an386'], 120_000, userDir);
      expect(r.stderr).to.equal('error: tinyforge run --farm needs BullMQ, an optional dependency that is not installed: npm install bullmq ioredis\n');
      expect(r.status).to.equal(1);
    });
  });
});

interface Classified {
  scores: number[];
  label: string;
  index: number;
  latency: { count: number; unit: string; source: string; seconds: number | null };
}
