// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run fuzz -- --seed S --count N [--target T ...] [--batch K] [--dtype int8|int16|float32|hybrid] [--only OP]
 * [--repro DIR] [--json FILE]`: a differential fuzzing campaign against TFLite Micro (tflm-ref).
 * `npm run fuzz -- --edge --seed S --count N [--max-elements E]`: the edge-input mode (edge.ts): the
 * widest layers, extreme zero points and weights, inputs all-max/all-min/alternating, host C under
 * ASan+UBSan (no recovery) against the TS reference; needs no tflm-ref.
 * `npm run fuzz -- --onnx --seed S --count N [--target T ...] [--only GENERATOR ...] [--form qdq|qop]
 * [--ort-level L] [--onnx-requant exact|fixed]`: generated ONNX models (onnx/generate.ts) against ONNX Runtime, every output's
 * exact share and max |diff| in LSB per op and family (onnx/campaign.ts); needs no tflm-ref.
 * Prints a line per batch on stderr and a table of models per op and per target at the end; exits 1
 * on any finding (reproducers are written to test/fuzz/repro/ unless --repro says elsewhere).
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CampaignError, FAMILY_TARGETS, runCampaign } from './campaign.ts';
import { REPRO_DIR } from './repro.ts';
import { findRuntime, missingRuntimeNotice } from '../helpers/runtimes.ts';
import type { FuzzDType } from './ops/types.ts';
import { integerArg, usageErrorsExitTwo } from '../helpers/cli_args.ts';
import { runEdgeCampaign } from './edge.ts';

const program = new Command('fuzz')
  .description('differential fuzzing: generated models, every output byte compared with TFLite Micro')
  .option('--seed <n>', 'campaign seed', integerArg(), 1)
  .option('--count <n>', 'models (components) in all', integerArg(1), 100)
  .option('--batch <n>', 'components per generated model file', integerArg(1, 1000), 24)
  .option('--target <t...>', `where to run besides the TS reference (${Object.keys(FAMILY_TARGETS).join(', ')})`, ['host'])
  .option('--dtype <d...>', 'activation types: int8, int16, float32 (float models), hybrid (int8 -> DEQUANTIZE -> float -> QUANTIZE)', ['int8', 'int16'])
  .option('--only <op...>', 'only generators of these ops or names')
  .option('--repro <dir>', 'where reproducers go', REPRO_DIR)
  .option('--no-repro', 'write no reproducers')
  .option('--gate', 'also compile every batch for every other target with its own flags (-Werror)')
  .option('--json <file>', 'write the campaign figures as JSON')
  .option('--edge', 'edge inputs: widest layers, extreme zero points and weights, all-max/all-min/alternating inputs (no tflm-ref needed)')
  .option('--onnx', 'ONNX models (QDQ and QOperator) against ONNX Runtime instead of TFLite models against TFLite Micro')
  .option('--form <f...>', 'with --onnx: qdq, qop', ['qdq', 'qop'])
  .option('--onnx-requant <mode>', "with --onnx: exact (ONNX Runtime's float32 requantization) or fixed (the kernel families' fixed point)", 'exact')
  .option('--ort-level <level>', "with --onnx: ONNX Runtime's graph optimization level (disabled, basic, extended, all)", 'all')
  .option('--max-elements <n>', 'with --edge: the most input values one layer reads (the RAM budget)', integerArg(1, 1 << 24), 131072);

usageErrorsExitTwo(program).parse();
const o = program.opts<{
  seed: number;
  count: number;
  batch: number;
  target: string[];
  dtype: string[];
  only?: string[];
  repro: string | false;
  json?: string;
  gate?: boolean;
  edge?: boolean;
  onnx?: boolean;
  form: string[];
  ortLevel: string;
  onnxRequant: string;
  maxElements: number;
}>();

async function onnxMain(): Promise<number> {
  const { onnxRuntimeAvailable, ORT_OPTIMIZATION_LEVELS } = await import('../../src/lab/run/onnxruntime.ts');
  const { OnnxImporterAbsent, formatOnnxCampaign, runOnnxCampaign } = await import('./onnx/campaign.ts');
  if (!(await onnxRuntimeAvailable())) {
    console.error('NOTICE: onnxruntime-node is not installed (npm install onnxruntime-node): the ONNX campaign compares with it');
    return 2;
  }
  if (!(ORT_OPTIMIZATION_LEVELS as readonly string[]).includes(o.ortLevel))
    throw new CampaignError(`--ort-level: "${o.ortLevel}" is not one of ${ORT_OPTIMIZATION_LEVELS.join(', ')}`);
  if (o.onnxRequant !== 'exact' && o.onnxRequant !== 'fixed') throw new CampaignError(`--onnx-requant: exact or fixed, not ${o.onnxRequant}`);
  if (o.form.some((f) => f !== 'qdq' && f !== 'qop')) throw new CampaignError(`--form: qdq or qop, not ${o.form.join(' ')}`);
  try {
    const r = await runOnnxCampaign({
      seed: o.seed,
      count: o.count,
      targets: o.target,
      only: o.only,
      forms: o.form as ('qdq' | 'qop')[],
      level: o.ortLevel as 'all',
      onnxRequant: o.onnxRequant as 'exact' | 'fixed',
      reproDir: o.repro === false ? undefined : join(o.repro, 'onnx'),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${formatOnnxCampaign(r, o.target)}\n`);
    process.stdout.write(
      `onnx seed ${r.seed}: ${r.models} models against ONNX Runtime (level ${r.level}); ${r.levelsDiffer} whose ORT outputs differ between levels all and disabled; ${r.findings.length} finding(s) in ${(r.elapsedMs / 1000).toFixed(0)} s\n`,
    );
    for (const f of r.findings) process.stdout.write(`  ${f.kind} on ${f.target}: ${f.label}: ${f.detail}${f.repro ? ` -> ${f.repro}` : ''}\n`);
    if (o.json) writeFileSync(o.json, `${JSON.stringify(r, null, 1)}\n`);
    return r.findings.length ? 1 : 0;
  } catch (e) {
    if (e instanceof OnnxImporterAbsent) {
      console.error(`NOTICE: ${e.message}: the ONNX campaign needs the ONNX importer (loadGraph of a .onnx)`);
      return 2;
    }
    if (e instanceof Error && !(e instanceof CampaignError) && /^no ONNX generator/.test(e.message)) throw new CampaignError(e.message);
    throw e;
  }
}

function edgeMain(): number {
  const r = runEdgeCampaign({ seed: o.seed, count: o.count, maxElements: o.maxElements }, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `edge seed ${o.seed}: ${r.layers} layers (${r.wrapping} whose accumulator bound passes 2^31), ${r.cases} cases (x all-max, all-min, alternating), up to ${o.maxElements} input values a layer; ${r.findings.length} finding(s) in ${(r.elapsedMs / 1000).toFixed(0)} s\n`,
  );
  for (const f of r.findings) process.stdout.write(`  ${f.kind}: ${f.label}: ${f.detail}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(r, null, 1)}\n`);
  return r.findings.length ? 1 : 0;
}

async function main(): Promise<number> {
  if (o.edge) return edgeMain();
  if (o.onnx) return onnxMain();
  if (!findRuntime('tflm-ref')) {
    console.error(missingRuntimeNotice('tflm-ref', 'a campaign compares with TensorFlow Lite Micro live'));
    return 2;
  }
  const result = await runCampaign({
    seed: o.seed,
    count: o.count,
    batchSize: o.batch,
    targets: o.target,
    dtypes: o.dtype as FuzzDType[],
    only: o.only,
    reproDir: o.repro === false ? undefined : o.repro,
    gate: o.gate,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const ops = Object.keys(result.byOp).sort();
  const rows = ops.map((op) => [
    op,
    String(result.byOp[op]!.models),
    ...o.dtype.map((d) => String(result.byOp[op]!.dtypes[d] ?? 0)),
    ...o.target.map((t) => String(result.byOp[op]!.targets[t] ?? 0)),
  ]);
  const header = ['op', 'models', ...o.dtype, ...o.target];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(
    `seed ${result.seed}: ${result.models} models in ${result.batches} batches, per target ${o.target.map((t) => `${t} ${result.byTarget[t] ?? 0}`).join(', ')}; ${result.findings.length} finding(s) in ${(result.elapsedMs / 1000).toFixed(0)} s\n`,
  );
  for (const note of result.notes) process.stdout.write(`  ${note}\n`);
  if (result.skipped) process.stdout.write(`${result.skipped} component(s) skipped: their ops have no kernel here yet\n`);
  for (const f of result.findings)
    process.stdout.write(
      `  ${f.kind} on ${f.where}: ${f.component.generator} (${f.component.dtype}, seed ${f.component.seed}): ${f.detail}${f.repro ? ` -> ${f.repro}` : ''}\n`,
    );
  if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 1)}\n`);
  return result.findings.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    // a campaign asked for what cannot be drawn is the user's one line; anything else is a bug, with its stack
    if (e instanceof CampaignError) {
      process.stderr.write(`error: fuzz: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`fuzz: ${e instanceof Error ? e.stack : e}\n`);
    process.exit(3);
  },
);
