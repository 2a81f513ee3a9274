// SPDX-License-Identifier: Apache-2.0
import { formatOnnxEdges } from '../../core/ir/onnx_layout.ts';
import { basename } from 'node:path';
import { Command } from 'commander';
import { TinyforgeError } from '../../core/errors.ts';
import { loadGraph } from '../../core/model/load.ts';
import { prepareGraph, unsupportedOps } from '../../core/ops/prepare.ts';
import { optimizeGraph } from '../../core/passes/index.ts';
import { chooseFastForms } from '../../core/plan/fast_forms.ts';
import { resolveTargetAndBoard, smallestPartRam } from '../../core/targets/targets.ts';
import type { Graph, OnnxImportSummary } from '../../core/ir/graph.ts';
import { type PatchOption, chosenBy, formatDeclined, formatPatch, patchReport, planWithPatch } from '../../core/plan/patch_policy.ts';
import { type CompileOptions, compileFiles, resolvePatchOption } from '../../core/compile.ts';
import { planMemory } from '../../core/plan/schedule.ts';
import { PREFER_HELP, byteSizeOption, patchOption, preferOption, weightsInRamOption } from './device-options.ts';
import { type ChoiceFlags, choiceOptions, compileChoicesOf } from './choice-options.ts';
import type { Prefer } from '../../core/ops/op.ts';
import { formatKernels, formatOps, formatPlan, formatSharedArena, formatTensors, formatTimeline } from '../report/inspect.ts';
import { inspectionJson, planJson, sharedArenaJson } from '../report/json.ts';
import { wrapLines } from '../report/layout.ts';
import { terminalText } from '../report/terminal_text.ts';
import { jsonLine } from '../report/json_document.ts';
import { externalRamOptions, weightsInRamChoice } from '../../lab/toolchain/fit.ts';
import { chooseWeightsInRam } from '../../core/plan/weight_regions.ts';
import { generateC } from '../../core/codegen/generate.ts';
import { formatWeightsInRam } from './compile.ts';
import { splitArena } from '../../core/plan/regions.ts';

export function inspectCommand(): Command {
  const command = new Command('inspect')
    .description('show ops, tensors, quantization, MACs, weight bytes and the memory plan of a model')
    .argument('[models...]', 'model file (.tflite or .onnx); several: the arena they share when compiled into one library; default: "model" of tinyforge.json')
    .option('-t, --target <target>', "target whose kernels and memory plan are shown (default: the --board's, else cortex-m4)")
    .option('-b, --board <board>', 'a board (`tinyforge boards`): its target')
    .option(
      '--patch <mode>',
      'show the plan with an initial convolution chain run in row bands: auto, off, START:LENGTH:ROWS (as compile --patch; default: as compile plans it)',
      patchOption,
    )
    .option('--prefer <what>', `${PREFER_HELP} (as compile --prefer)`, preferOption)
    .option(
      '--max-ram <bytes>',
      "with a --board that has PSRAM: the internal RAM limit; the plan shows the arena's buffers split between internal RAM and PSRAM as compile places them",
      byteSizeOption('--max-ram'),
    )
    .option(
      '--weights-in-ram <mode>',
      'with a --board whose flash is slower than its internal RAM: auto shows the layers whose weight tables compile --weights-in-ram auto puts in internal RAM; none (default)',
      weightsInRamOption,
    )
    .option('--json', 'print one JSON object on stdout');
  return choiceOptions(command).action(
    (
      models: string[] | string,
      flags: {
        json?: boolean;
        target?: string;
        board?: string;
        patch?: PatchOption;
        prefer?: Prefer;
        maxRam?: number;
        weightsInRam?: 'auto' | 'none';
      } & ChoiceFlags,
    ) => {
      const choices = compileChoicesOf(flags);
      const opts = { ...flags, prefer: choices.prefer };
      const { target, board } = resolveTargetAndBoard(opts.target, opts.board);
      const psram = opts.board !== undefined ? externalRamOptions(target, board) : {};
      if (opts.maxRam !== undefined && !psram.externalRam)
        throw new TinyforgeError(
          'inspect --max-ram is for a --board with PSRAM (esp32-s3-devkitc-1, esp32-devkitc-wrover): compile --max-ram fits other boards',
        );
      // tinyforge.json's "model" comes as one path
      const modelPaths = typeof models === 'string' ? [models] : models;
      if (modelPaths.length > 1) {
        inspectShared(modelPaths, { isa: target.isa, partRam: smallestPartRam(target), patch: opts.patch, ...choices }, opts.json === true);
        return;
      }
      const modelPath = modelPaths[0]!;
      const original = loadGraph(modelPath, choices);
      const source = basename(modelPath);
      // Shown as compiled: after the graph passes (constants folded, no-op moves aliased).
      let graph: Graph = original;
      let prepared;
      let problem: string | undefined;
      try {
        graph = optimizeGraph(original, source, { deadNeurons: choices.deadNeurons });
      } catch (e) {
        if (!(e instanceof TinyforgeError)) throw e;
        problem = e.message;
      }
      const missing = unsupportedOps(graph);
      try {
        prepared = missing.length === 0 && !problem ? prepareGraph(graph, source, target.isa, opts.prefer, choices.kernels) : undefined;
      } catch (e) {
        if (!(e instanceof TinyforgeError)) throw e;
        problem = e.message;
      }
      // planned as compile plans it (the same fast forms and row-band policy)
      if (prepared && opts.prefer !== 'speed') prepared = chooseFastForms(prepared, smallestPartRam(target)).prepared;
      const whole = prepared ? planMemory(prepared) : undefined;
      const option = whole ? resolvePatchOption(opts, whole.plan.arenaBytes) : 'off';
      const planned = prepared ? planWithPatch(prepared, option, whole, undefined, smallestPartRam(target)) : undefined;
      const report = planned ? patchReport(planned, chosenBy(opts.patch, option)) : undefined;
      const stageLine = report ? formatPatch(report) : undefined;
      const declinedLine = planned ? formatDeclined(planned) : undefined;
      prepared = planned?.prepared;
      if (planned) graph = planned.prepared.graph;
      let plan = planned?.plan;
      // on a board with PSRAM, split as compile splits (plan/regions.ts)
      const internalLimit = opts.maxRam ?? psram.internalRam;
      if (plan && prepared && psram.externalRam && internalLimit !== undefined) {
        try {
          plan = splitArena(prepared, plan, internalLimit, psram.externalRam, source);
        } catch (e) {
          if (!(e instanceof TinyforgeError)) throw e;
          problem = e.message;
        }
      }
      // as compile places them (plan/weight_regions.ts), after the arena
      const weightsOption = weightsInRamChoice(opts.weightsInRam, target, opts.board !== undefined ? board : undefined).weightsInRam;
      const weightsInRam =
        weightsOption && plan && prepared && !problem
          ? chooseWeightsInRam(
              prepared,
              generateC(prepared, plan, target.isa).layerConstBytes,
              (opts.maxRam ?? weightsOption.internalBytes) - plan.arenaBytes,
              weightsOption,
            )
          : undefined;
      if (opts.json) {
        const json = { ...inspectionJson(graph, prepared, plan, missing, problem), ...(weightsInRam ? { weightsInRam } : {}) };
        process.stdout.write(
          jsonLine('inspect', {
            ...json,
            ...(stageLine ? { patch: stageLine } : {}),
            ...(declinedLine ? { patchDeclined: declinedLine } : {}),
            ...(original.onnx ? { onnx: original.onnx } : {}),
          }),
        );
        return;
      }
      const out = [
        `${terminalText(source)}: ${original.ops.length} ops${graph.ops.length !== original.ops.length ? ` (${graph.ops.length} after graph passes)` : ''}, ${graph.tensors.length} tensors, inputs ${graph.inputs.join(',')}, outputs ${graph.outputs.join(',')}; kernels for ${target.name}`,
        ...(original.onnx ? [formatOnnxLowering(original.onnx)] : []),
        ...(original.onnx
          ? [
              (formatOnnxEdges(graph) ?? '')
                .split('\n')
                .map((line) => terminalText(line))
                .join('\n'),
            ].filter(Boolean)
          : []),
        formatOps(graph, prepared),
        ...(prepared ? [formatKernels(graph, prepared)] : []),
        formatTensors(graph),
      ];
      if (missing.length > 0) out.push(terminalText(`unsupported ops (${missing.length}): ${missing.join(', ')}`));
      if (problem) out.push(`cannot compile: ${terminalText(problem)}`);
      if (plan) out.push(formatPlan(graph, plan, prepared), formatTimeline(plan));
      if (stageLine) out.push(stageLine);
      if (declinedLine) out.push(declinedLine);
      if (weightsInRam) out.push(formatWeightsInRam(weightsInRam));
      if (prepared) {
        const macs = prepared.layers.reduce((n, l) => n + l.macs, 0);
        out.push(
          `total: ${macs.toLocaleString('en-US')} MACs, ${weightBytes(graph).toLocaleString('en-US')} weight bytes, arena ${plan!.arenaBytes.toLocaleString('en-US')} bytes`,
        );
      }
      process.stdout.write(`${wrapLines(out.join('\n\n'))}\n`);
    },
  );
}

/** What each ONNX node became; inputs and outputs keep ONNX's layout (reader.ts says how). */
function formatOnnxLowering(onnx: OnnxImportSummary): string {
  const lines = onnx.nodes.map((n) => {
    const became = n.kinds.length > 0 ? n.kinds.join(' + ') : '(no op)';
    return `  ${terminalText(n.node)} ${n.opType} -> ${became}${n.note ? `: ${terminalText(n.note)}` : ''}`;
  });
  return [`ONNX opset ${onnx.opset}, ${onnx.nodes.length} nodes lowered:`, ...lines].join('\n');
}

function weightBytes(graph: Graph): number {
  return graph.tensors.filter((t) => t.data).reduce((n, t) => n + t.data!.length, 0);
}

/**
 * Several models as `compile A B ...` lays them out: each compiled as compile plans it, then the
 * arena they share, against the sum of their arenas apart.
 */
function inspectShared(modelPaths: string[], options: CompileOptions, json: boolean): void {
  const library = compileFiles(modelPaths, options);
  const names = library.models.map((m) => m.graph.name);
  if (json) {
    const models = library.models.map((m) => ({ model: m.graph.name, source: m.source, memory: planJson(m.plan) }));
    process.stdout.write(jsonLine('inspect', { models, sharedArena: sharedArenaJson(names, library.shared) }));
    return;
  }
  const models = library.models.map((m) => `${terminalText(m.source)}: ${m.graph.ops.length} ops, C name ${m.graph.name} (${m.generated.prefix}_*)`);
  process.stdout.write(`${wrapLines(`${models.join('\n')}\n\n${formatSharedArena(names, library.shared)}`)}\n`);
}
