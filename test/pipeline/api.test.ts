// SPDX-License-Identifier: Apache-2.0
/** The Node API of a pipeline (src/index.ts, docs/api.md): compilePipelineFiles and runPipeline as the CLI runs them. */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePipelineFiles, runPipeline } from '../../src/index.ts';
import { tinyforge } from '../helpers/cli.ts';
import { standInClassifier, standInFrontEnd, testClip, wavBytes, writeModelFile } from '../helpers/pipeline_models.ts';

describe('the Node API of a pipeline', () => {
  let dir: string;
  let fe: string;
  let model: string;
  let clip: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tf-api-pipeline-'));
    fe = writeModelFile(dir, 'front', standInFrontEnd({ window: 48, features: 8 }));
    model = writeModelFile(dir, 'words', standInClassifier(5, 8));
    clip = join(dir, 'clip.wav');
    writeFileSync(clip, wavBytes(testClip(1000)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compilePipelineFiles writes both models and tf_pipeline.h/.c, as compile FRONTEND MODEL does', async () => {
    const out = join(dir, 'out');
    const compiled = await compilePipelineFiles(fe, model, { target: 'cortex-m4', stride: 32, outDir: out });
    const names = compiled.files.map((f) => f.name);
    expect(names).to.include.members(['tf_pipeline.h', 'tf_pipeline.c', 'front.h', 'words.h']);
    expect(compiled.outDir).to.equal(out);
    expect(existsSync(join(out, 'tf_pipeline.c'))).to.equal(true);
    expect(compiled.stream).to.include({ kind: 'audio', frameSamples: 48, hop: 32, features: 8, frames: 5, windowStride: 5 });
    expect(compiled.frontEnd).to.not.equal(null);
    const inMemory = await compilePipelineFiles(fe, model, { stride: 32 });
    expect(inMemory.outDir).to.equal(null);
    expect(inMemory.target).to.equal('cortex-m4');
  });

  it('runPipeline returns the object of run --json: the reference, and on a real board the estimated costs', async () => {
    // the printed document names its schema and version; the API's object is the rest of it
    const { $schema, version, ...cli } = JSON.parse(tinyforge(['run', fe, model, '--input', clip, '--stride', '32', '--json']).stdout);
    expect([$schema, version]).to.deep.equal(['urn:tinyforge:schema:run', 1]);
    expect(await runPipeline(fe, model, { input: clip, stride: 32 })).to.deep.equal(cli);
    const labels = ['silence', 'unknown', 'yes', 'no'];
    const onBoard = await runPipeline(fe, model, { input: clip, stride: 32, board: 'nucleo-l4r5zi', battery: '220mAh', labels });
    expect(onBoard.ranOn).to.equal('cortex-m4 (qemu-mps2-an386)');
    expect(onBoard.matchesReference).to.equal(true);
    expect(onBoard.windows.map((w) => w.outputs)).to.deep.equal(cli.windows.map((w: { outputs: number[][] }) => w.outputs));
    expect(labels).to.include(onBoard.windows[0]!.top.label);
    expect(onBoard.costs).to.include({ kind: 'cycles-estimated', unit: 'cycles' });
    expect(onBoard.costs.measured).to.include({ kind: 'instructions-measured', unit: 'instructions' });
    expect(onBoard.costs.perWindow).to.be.above(0);
    expect(onBoard.costs.board).to.deep.equal({ name: 'nucleo-l4r5zi', chip: 'STM32L4R5ZIT6', clockHz: 120e6 });
    expect(onBoard.costs.batteryHours).to.be.above(0);
    const untraced = await runPipeline(fe, model, { input: clip, stride: 32, board: 'nucleo-l4r5zi', estimate: false });
    // the counter ticks every 40 instructions: the measured counts of two runs agree to a tick, not exactly
    expect(untraced.costs).to.include({ kind: 'instructions-measured', measured: null });
    expect(untraced.costs.perWindow).to.be.closeTo(onBoard.costs.measured!.perWindow, 40);
  });
});
