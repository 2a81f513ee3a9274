// SPDX-License-Identifier: Apache-2.0
/**
 * `tinyforge run FRONTEND MODEL --input clip.wav` and `run MODEL --input imu.csv`: the terminal's
 * lines, `--json`, the costs on a real board, and the refusals (docs/pipeline.md).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tinyforge, unwrapped } from '../helpers/cli.ts';
import { standInClassifier, standInFrontEnd, testClip, wavBytes, writeModelFile } from '../helpers/pipeline_models.ts';
import { expectSchemaValid } from '../helpers/json_schema.ts';

describe('tinyforge run on a pipeline', () => {
  let dir: string;
  let fe: string;
  let model: string;
  let clip: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-cli-pipeline-'));
    fe = writeModelFile(dir, 'front', standInFrontEnd({ window: 48, features: 8 }));
    model = writeModelFile(dir, 'words', standInClassifier(5, 8));
    clip = join(dir, 'clip.wav');
    writeFileSync(clip, wavBytes(testClip(1000)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--board: runs tf_pipeline.c on its core's emulator (cortex-m4), equal to the reference; one line per window, the estimated cycles beside the measured instructions", () => {
    const r = tinyforge([
      'run',
      fe,
      model,
      '--input',
      clip,
      '--stride',
      '32',
      '--labels',
      'silence,unknown,yes,no',
      '--board',
      'nucleo-l4r5zi',
      '--battery',
      '220mAh',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const windows = r.stdout.split('\n').filter((l) => l.startsWith('window '));
    expect(windows).to.have.length(6);
    // long lines are wrapped at 100 columns: read them whole
    r.stdout = unwrapped(r.stdout);
    expect(r.stdout).to.include('ran on cortex-m4 (qemu-mps2-an386): equals the reference byte for byte');
    expect(r.stdout).to.match(/instructions measured on qemu-mps2-an386/);
    expect(r.stdout).to.match(/firmware: [\d,]+ bytes of flash, [\d,]+ bytes of stack at most/);
    expect(windows[1]).to.match(/^window 1 at sample 160: (silence|unknown|yes|no) [\d.]+$/);
    expect(r.stdout).to.match(
      /costs \(cortex-m4\): [\d,]+ cycles per frame \(front-end\), [\d,]+ per window \(model\), estimated cycles; the timing model over qemu-mps2-an386's instruction trace/,
    );
    expect(r.stdout).to.match(/nucleo-l4r5zi at 120 MHz, 5 flash wait states/);
    expect(r.stdout).to.match(
      /measured: [\d,]+ instructions per frame \(front-end\), [\d,]+ per window \(model\), measured instructions, taken as 1 cycle each/,
    );
    expect(r.stdout).to.match(/500 frames\/s, 100 windows\/s, [\d,]+ cycles per second of stream/);
    expect(r.stdout).to.match(
      /on nucleo-l4r5zi \(STM32L4R5ZIT6\) at 120 MHz: duty cycle [\d.]+%, [\d.]+ uJ per second of stream, [\d.]+ h on the battery; from the estimated cycles/,
    );
  });

  it('--json and --html: windows, the last outputs, features, costs; --target host runs tf_pipeline.c and equals the reference', () => {
    const html = join(dir, 'report.html');
    const ref = expectSchemaValid(tinyforge(['run', fe, model, '--input', clip, '--stride', '32', '--json', '--html', html]).stdout);
    const page = readFileSync(html, 'utf8');
    expect(page).to.include('<h2>Costs</h2>');
    expect(ref.costs).to.include({ kind: 'instructions-estimated', measured: null });
    expect(page).to.include('instructions estimated without a run, taken as 1 cycle each');
    expect(page.match(/<tr><td class="n">\d+<\/td><td class="n">\d+<\/td>/g)).to.have.length(6);
    // the page embeds the document without its $schema and version
    const { $schema: _schema, version: _version, ...document } = ref;
    expect(JSON.parse(/<script type="application\/json" id="tinyforge-data">(.*)<\/script>/.exec(page)![1]!)).to.deep.equal(document);
    const r = tinyforge(['run', fe, model, '--input', clip, '--stride', '32', '--json', '--target', 'host']);
    expect(r.status, r.stderr).to.equal(0);
    const host = expectSchemaValid(r.stdout);
    expect(host.ranOn).to.equal('host');
    expect(host.matchesReference).to.equal(true);
    expect(host.windows).to.deep.equal(ref.windows);
    expect(host.windows[2]).to.include({ index: 2, startSample: 320 });
    expect(host.outputs).to.deep.equal(ref.windows[5].outputs);
    expect(host.features).to.have.length(30);
    expect(host.stream).to.include({ kind: 'audio', frameSamples: 48, hop: 32, features: 8, frames: 5, windowStride: 5 });
    expect(host.costs.perWindow).to.be.above(0);
    expect(host.costs.dutyCycle).to.equal(null);
  });

  it('slides a model over a CSV recording by --stride rows', () => {
    const imu = writeModelFile(dir, 'imu', standInClassifier(10, 3, 3, 31));
    const csv = join(dir, 'imu.csv');
    writeFileSync(csv, `ax,ay,az\n${Array.from({ length: 30 }, (_, t) => [Math.sin(t), Math.cos(t), t / 30].join(',')).join('\n')}\n`);
    const r = tinyforge(['run', imu, '--input', csv, '--stride', '5', '--rate', '100', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = expectSchemaValid(r.stdout);
    expect(json.windows.map((w: { startSample: number }) => w.startSample)).to.deep.equal([0, 5, 10, 15, 20]);
    expect(json.costs.windowsPerSecond).to.equal(20);
  });

  it('compile writes both models and tf_pipeline.h/.c; --project make builds a starter app that prints what run does', () => {
    const out = join(dir, 'out');
    let r = tinyforge(['compile', fe, model, '--stride', '32', '-t', 'cortex-m4', '-o', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = expectSchemaValid(r.stdout);
    expect(json.files).to.include.members(['front.h', 'front.c', 'words.h', 'words.c', 'tf_pipeline.h', 'tf_pipeline.c']);
    expect(json.pipeline.stream).to.include({ hop: 32, frames: 5 });
    const project = join(dir, 'project');
    r = tinyforge([
      'compile',
      fe,
      model,
      '--stride',
      '32',
      '-t',
      'host',
      '-o',
      project,
      '--project',
      'make',
      '--input',
      clip,
      '--labels',
      'silence,unknown,yes,no',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const make = spawnSync('make', ['-s', 'app'], { cwd: project, encoding: 'utf8' });
    expect(make.status, make.stderr).to.equal(0);
    const app = spawnSync(join(project, 'app'), { encoding: 'utf8' });
    const ref = expectSchemaValid(tinyforge(['run', fe, model, '--input', clip, '--stride', '32', '--labels', 'silence,unknown,yes,no', '--json']).stdout);
    const expected = ref.windows.map(
      (w: { index: number; outputs: number[][]; top: { class: number; label: string } }) => `window ${w.index}: ${w.top.label} ${w.outputs[0]![w.top.class]}`,
    );
    expect(app.stdout.trim().split('\n')).to.deep.equal(expected);
    // a sensor stream's project pushes float rows through tf_pipeline_push_rows
    const imu = writeModelFile(dir, 'imu_p', standInClassifier(4, 3, 2, 5));
    const csv = join(dir, 'imu_p.csv');
    writeFileSync(csv, `${Array.from({ length: 13 }, (_, t) => [Math.sin(t), -0.5 + t / 13, 0.25].join(',')).join('\n')}\n`);
    const sensorProject = join(dir, 'sensor-project');
    r = tinyforge(['compile', imu, '--stride', '3', '-t', 'host', '-o', sensorProject, '--project', 'make', '--input', csv]);
    expect(r.status, r.stderr).to.equal(0);
    expect(spawnSync('make', ['-s', 'app'], { cwd: sensorProject, encoding: 'utf8' }).status).to.equal(0);
    const sensorRef = expectSchemaValid(tinyforge(['run', imu, '--input', csv, '--stride', '3', '--json']).stdout);
    expect(spawnSync(join(sensorProject, 'app'), { encoding: 'utf8' }).stdout.trim().split('\n')).to.deep.equal(
      sensorRef.windows.map(
        (w: { index: number; outputs: number[][]; top: { class: number } }) => `window ${w.index}: class ${w.top.class} ${w.outputs[0]![w.top.class]}`,
      ),
    );
  });

  it('refuses in one line: a wrong number of labels, a stride on one model, a stereo clip', () => {
    let r = tinyforge(['run', fe, model, '--input', clip, '--labels', 'a,b']);
    expect(r.status).to.not.equal(0);
    expect(r.stderr.trim()).to.equal("error: --labels: 2 labels for the model's 4 scores");
    r = tinyforge(['compile', fe, model, '--pipeline', '-o', join(dir, 'never'), '--arena', 'caller']);
    expect(r.stderr.trim()).to.match(/^error: --arena is for one model; a pipeline compiles its models with the defaults/);
    r = tinyforge(['run', model, '--stride', '3']);
    expect(r.stderr.trim()).to.match(/^error: --stride is for a pipeline/);
    const stereo = join(dir, 'stereo.wav');
    writeFileSync(stereo, wavBytes(testClip(100), 16000, 2));
    r = tinyforge(['run', fe, model, '--input', stereo]);
    expect(r.stderr.trim()).to.match(/^error: .*stereo\.wav: 2 channels; give one channel/);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });
});
