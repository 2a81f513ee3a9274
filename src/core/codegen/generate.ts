// SPDX-License-Identifier: Apache-2.0
import { join, resolve } from 'node:path';
import { DTYPE_C, type Graph, type Tensor, byteSize, elementCount } from '../ir/graph.ts';
import { TinyforgeError } from '../errors.ts';
import { fromBytes, variableResetByte } from '../ir/buffers.ts';
import { type KernelIsa, type LayerEmitContext, isaFamily } from '../ops/op.ts';
import type { PreparedGraph, PreparedLayer } from '../ops/prepare.ts';
import { cArrayBody, renderOpTemplate, renderTemplateFile } from '../ops/common/render.ts';
import { cFilesFor } from './c_files.ts';
import type { MemoryPlan, PlacedBuffer } from '../plan/arena.ts';
import { type Banners, type Provenance, bannerLines, renderBanner } from './banner.ts';
import { cCommentText, cIdentifier, cStringLiteral, cSymbolName, cmakeCommentText } from './c_text.ts';
import { layerText } from '../ops/layer_code.ts';
import { layoutName, onnxShapeOf } from '../ir/onnx_layout.ts';
import type { LayerTable, StagedLayer, StagedTable } from '../plan/weight_staging.ts';

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../../templates');

/** The licence of the C tinyforge writes from its own templates (its package licence). */
export const CODE_LICENSE = 'Apache-2.0';

/** What a generated file is: the model's API, code, tables, build file, or a kernel file copied as it is. */
export type GeneratedRole = 'header' | 'source' | 'weights-header' | 'weights-source' | 'cmake' | 'kernel';

/** A generated file: its name inside the output directory and its text. */
export interface GeneratedFile {
  name: string;
  text: string;
  /** absent for files made from a model by other means (project layouts, the client) */
  role?: GeneratedRole;
}

/**
 * The names of a model's own files: `<name>.h` (API), `<name>.c` (layers, arena), `<name>_weights.h`
 * and `<name>_weights.c` (constant tables), `<name>` the model's C name; two models' files can share
 * one folder.
 */
export interface ModelFileNames {
  header: string;
  source: string;
  weightsHeader: string;
  weightsSource: string;
}

export interface GeneratedModel {
  prefix: string;
  files: GeneratedFile[];
  /** the names of the model's own files in `files` */
  fileNames: ModelFileNames;
  /** bytes of constant tables (weights.c) in all */
  weightBytes: number;
  /** per layer (by position), the bytes of constant tables its code added (a table two layers share counts for the first) */
  layerConstBytes: number[];
  /** per layer (by position), the constant tables its code added, in the order it added them */
  layerTables: LayerTable[][];
  /** what the device harness reports of this model in HELLO (model.h's counts and sizes) */
  facts: ModelFacts;
  /**
   * The banner of a further file made from this model (a project layout's build files and starter
   * app): the same provenance lines as the generated C's; `license` null claims none.
   */
  banner: (what: string, license?: string | null) => Banners;
}

/** A compiled model's figures as model.h defines them and the device harness reports them in HELLO. */
export interface ModelFacts {
  numInputs: number;
  numOutputs: number;
  /** every input's bytes, concatenated in input order */
  inputBytes: number;
  /** every output's bytes, concatenated in output order */
  outputBytes: number;
  numLayers: number;
  arenaBytes: number;
}

interface ConstArray {
  symbol: string;
  ctype: string;
  count: number;
  body: string;
  /** already escaped for a C comment; where a weight tensor's name is printed (weights.c) */
  comment: string;
  /** the same without the tensor's name (weights.h: the name is printed once, in weights.c) */
  shortComment: string;
  /** 16: the table starts on a 16-byte boundary (128-bit vector loads that ignore the low address bits); else 4 */
  align?: 16;
  /** the table goes in internal RAM (plan/weight_regions.ts), its section the weights' RAM macro's */
  ram?: true;
}

/** The labels table's string literals, each element of the first output named once; absent without labels. */
function labelsTable(graph: Graph, labels: readonly string[] | undefined): string[] | undefined {
  if (labels === undefined) return undefined;
  const output = graph.tensors[graph.outputs[0]!]!;
  const elements = elementCount(output.shape);
  if (labels.length !== elements)
    throw new TinyforgeError(`${labels.length} labels for output tensor ${output.index} "${output.name}" of ${elements} elements`);
  return labels.map(cStringLiteral);
}

/** A named arena offset: `#define <symbol> <offset>u /* <comment> *\/`. */
interface OffsetConstant {
  symbol: string;
  offset: number;
  /** already escaped for a C comment */
  comment: string;
}

/** How the generated C holds its arena: a static array (default), or a buffer the caller passes to init. */
export type ArenaOption = 'static' | 'caller';

/** Choices about the generated C's API (they change no kernel). */
export interface CodeOptions {
  /** `static` (default): model.c owns the arena; `caller`: `tf_<name>_init(arena, bytes)` takes it */
  arena?: ArenaOption;
  /** the model is one of several sharing one arena (plan/shared_arena.ts): the plan's offsets are into it */
  sharedArena?: SharedArenaCode;
  /** the name of each element of the first output: `<prefix>_labels[<PREFIX>_NUM_LABELS]` in the header */
  labels?: readonly string[];
  /** the layers (by position) whose constant tables go in internal RAM (plan/weight_regions.ts) */
  weightsInRam?: ReadonlySet<number>;
  /** the layers (by position) that copy their tables into their scratch at their start (plan/weight_staging.ts) */
  stagedWeights?: ReadonlyMap<number, StagedLayer>;
}

/** How a model's C reaches an arena several models share. */
export interface SharedArenaCode {
  /** the shared header (`tf_models.h`): the arena's size and alignment, and its declaration when static */
  header: string;
  /** the static arena's symbol (defined once, beside the shared header) */
  symbol: string;
  /** where this model's state (variable tensors) starts, and its bytes (0: none) */
  stateOffset: number;
  stateBytes: number;
  /** where the activation and scratch region every model shares starts */
  scratchOffset: number;
}

/** Longest part of a tensor's name carried into a C identifier (the index keeps them unique). */
const NAME_IN_IDENTIFIER = 32;

/**
 * A tensor's name as the tail of a C identifier: the first of TFLite's `;`-joined fused names, its
 * leading path components dropped while it is too long (the last ones say what it is), upper case.
 */
export function tensorNameIdentifier(name: string): string {
  let parts = (name.split(';')[0] ?? '').split('/');
  while (parts.length > 1 && parts.join('/').length > NAME_IN_IDENTIFIER) parts = parts.slice(1);
  return cIdentifier(parts.join('/'), NAME_IN_IDENTIFIER, 'UNNAMED').toUpperCase();
}

/**
 * Lowers a prepared, planned graph to C: `model.h` (public API), `model.c` (arena, one specialised
 * function per layer, the call sequence), `weights.c`/`weights.h` (const arrays in flash), and the
 * C files the layers' kernel variants need (c_files.ts), no others. `provenance` feeds the banner every
 * file starts with.
 */
export function generateC(
  prepared: PreparedGraph,
  plan: MemoryPlan,
  isa: KernelIsa | undefined = prepared.isa,
  provenance: Provenance = {},
  codeOptions: CodeOptions = {},
): GeneratedModel {
  const { graph } = prepared;
  const prefix = `tf_${cSymbolName(graph.name)}`;
  const PREFIX = prefix.toUpperCase();
  const consts: ConstArray[] = [];
  const layout = arenaLayout(prepared, plan, prefix, codeOptions);
  const tensorPointer = tensorPointers(graph, prefix, layout, consts);
  const emitted = emitLayers(prepared, codeOptions, { prefix, isa, scratchPointers: layout.scratchPointers, tensorPointer, consts });
  const { layers } = emitted;
  const cFiles = cFilesFor(emitted.cFiles, layers.map((l) => l.code).join('\n'), isaFamily(isa));

  const inputs = graph.inputs.map((t, n) => ioView(graph, plan, layout.offsets.tensor, { index: t, NAME: `${PREFIX}_INPUT${n}`, role: 'Input', n }));
  const outputs = graph.outputs.map((t, n) => ioView(graph, plan, layout.offsets.tensor, { index: t, NAME: `${PREFIX}_OUTPUT${n}`, role: 'Output', n }));
  const variables = graph.tensors
    .filter((t) => t.isVariable && !t.data)
    .map((t) => ({
      offsetSymbol: layout.offsets.tensor.get(t.index)!,
      bytes: byteSize(t),
      index: t.index,
      nameComment: cCommentText(t.name),
      fill: `0x${variableResetByte(t).toString(16).padStart(2, '0')}u`,
    }));
  const weights = weightsView(consts);
  const nameComment = cCommentText(graph.name);
  const lines = bannerLines(provenance, isa, graph.name);
  const banner = (what: string, license: string | null = CODE_LICENSE) => renderBanner(lines, what, license ?? undefined);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const summary = `model ${nameComment}: ${count(layers.length, 'layer')}, ${count(inputs.length, 'input')}, ${count(outputs.length, 'output')}`;
  const files = modelFileNames(cSymbolName(graph.name), new Set(cFiles.files.map((f) => f.name)));
  const asmSources = cFiles.files.filter((f) => f.name.endsWith('.S')).map((f) => f.name);
  const view = {
    prefix,
    files,
    callerArena: codeOptions.arena === 'caller',
    shared: codeOptions.sharedArena,
    PREFIX,
    // a model named "model" (model.tflite) is prefixed tf_model: its names are the short names already
    prefixIsAlias: prefix === 'tf_model',
    nameComment,
    summary,
    nameLiteral: cStringLiteral(graph.name),
    ...arenaView(plan, layout),
    inputs,
    outputs,
    aliases: [...inputs, ...outputs].flatMap((io) => io.aliases),
    labels: labelsTable(graph, codeOptions.labels) ?? false,
    variables,
    hasVariables: variables.length > 0,
    layers,
    numLayers: layers.length,
    ...weights,
    headers: cFiles.roots,
    // --prefer size trades instructions for flash in the code too (model.c.hbs's GCC pragma)
    optimizeForSize: prepared.prefer === 'size',
    asmSources,
    banner: fileBanners(banner, files, { graphName: graph.name, nameComment, summary, weightBytes: weights.weightBytes }),
    library: prefix,
    libraryDoc: 'the compiled model',
    librarySources: [files.source, files.weightsSource, ...asmSources],
  };
  const generatedFiles: GeneratedFile[] = [
    ...renderModelFiles(files, view),
    // the same bytes for every model (no model in the banner): two models' outputs may share one folder
    ...cFiles.files.map((f) => ({ name: f.name, text: `${kernelBanner(f.name, f.path)}${f.text}`, role: 'kernel' as const })),
  ];
  const ioBytes = (list: number[]) => list.reduce((n, t) => n + byteSize(graph.tensors[t]!), 0);
  const facts: ModelFacts = {
    numInputs: graph.inputs.length,
    numOutputs: graph.outputs.length,
    inputBytes: ioBytes(graph.inputs),
    outputBytes: ioBytes(graph.outputs),
    numLayers: view.numLayers,
    arenaBytes: view.arenaBytes,
  };
  const { layerConstBytes, layerTables } = emitted;
  return { prefix, files: generatedFiles, fileNames: files, weightBytes: weights.weightBytes, layerConstBytes, layerTables, facts, banner };
}

/** Where the model's buffers are in C: the arena arrays, the named offsets into them, each layer scratch's pointer. */
interface ArenaLayout {
  arena: string;
  offsets: ReturnType<typeof arenaOffsetConstants>;
  /** the buffers a split plan put in external RAM (plan/regions.ts), in a second static arena */
  external: MemoryPlan['external'];
  externalArena: string;
  scratchPointers: Map<number, string>;
}

function arenaLayout(prepared: PreparedGraph, plan: MemoryPlan, prefix: string, codeOptions: CodeOptions): ArenaLayout {
  const shared = codeOptions.sharedArena;
  // a shared static arena is one array for every model; a caller's is a pointer each model's init keeps
  const arena = shared && codeOptions.arena !== 'caller' ? shared.symbol : `${prefix}_arena`;
  const offsets = arenaOffsetConstants(prepared, plan, prefix.toUpperCase());
  const external = plan.external;
  const externalArena = `${prefix}_ext_arena`;
  if (external && (codeOptions.arena === 'caller' || shared))
    throw new TinyforgeError(
      `an arena split between internal RAM and ${external.region} is static and the model's own: not with --arena caller or a shared arena`,
    );
  const scratchPointers = new Map<number, string>();
  for (const [position, symbol] of offsets.scratch) scratchPointers.set(position, `(${arena} + ${symbol})`);
  for (const [position, symbol] of offsets.externalScratch) scratchPointers.set(position, `(${externalArena} + ${symbol})`);
  return { arena, offsets, external, externalArena, scratchPointers };
}

/**
 * The C expression of a tensor's data: a constant tensor's table (added to `consts` the first time
 * it is asked for), else its place in the arena (or the external one).
 */
function tensorPointers(graph: Graph, prefix: string, layout: ArenaLayout, consts: ConstArray[]): (index: number) => string {
  const { arena, offsets, externalArena } = layout;
  const constOfTensor = new Map<number, string>();
  return (index: number): string => {
    const t = graph.tensors[index]!;
    if (t.data) {
      let symbol = constOfTensor.get(index);
      if (!symbol) {
        symbol = `${prefix}_t${index}`;
        constOfTensor.set(index, symbol);
        consts.push(tensorConst(symbol, t));
      }
      return symbol;
    }
    const outside = offsets.externalTensor.get(index);
    if (outside !== undefined) return `((${DTYPE_C[t.dtype]} *)(${externalArena} + ${outside}))`;
    const symbol = offsets.tensor.get(index);
    if (symbol === undefined) throw new Error(`internal: tensor ${index} has no arena offset`);
    return `((${DTYPE_C[t.dtype]} *)(${arena} + ${symbol}))`;
  };
}

/** What every layer's code is emitted against: the model's names, its ISA, where its tensors are, the tables it adds to. */
interface ModelEmitState {
  prefix: string;
  isa: KernelIsa | undefined;
  scratchPointers: Map<number, string>;
  tensorPointer: (index: number) => string;
  consts: ConstArray[];
}

/**
 * Every layer's C (its function, after the file-scope blocks it is the first to need), with the C
 * files their kernel variants declare and each layer's tables and their bytes.
 */
function emitLayers(prepared: PreparedGraph, codeOptions: CodeOptions, model: ModelEmitState) {
  const { graph } = prepared;
  const { prefix, consts } = model;
  const definedOnce = new Set<string>();
  const cFiles = new Set<string>();
  const layerConstBytes: number[] = [];
  const layerTables: LayerTable[][] = [];
  const layers = prepared.layers.map((layer) => {
    const fnName = `${prefix}_layer${layer.position}`;
    layerConstBytes[layer.position] = 0;
    layerTables[layer.position] = [];
    if (layer.isAlias) return { ...layerView(graph, layer), fnName, code: '', isAlias: true };
    const constsBefore = consts.length;
    // file-scope blocks the layer shares with others go before the first layer that needs them
    const shared: string[] = [];
    const defineOnce = (key: string, code: string) => {
      if (definedOnce.has(key)) return;
      definedOnce.add(key);
      shared.push(code);
    };
    const staged = codeOptions.stagedWeights?.get(layer.position);
    // a staged layer's kernel runs as <fn>_kernel, called by <fn> once its tables are copied
    const ctx = emitContext(prepared, layer, { fnName: staged ? `${fnName}_kernel` : fnName, defineOnce }, model);
    const kernelCode = layerText(layer.variant.emit(layer.params, ctx));
    layer.variant.cFiles?.forEach((f) => cFiles.add(f));
    layer.variant.layerCFiles?.(layer.params).forEach((f) => cFiles.add(f));
    const own = consts.slice(constsBefore);
    layerTables[layer.position] = own.map((c) => ({ symbol: c.symbol, ctype: c.ctype, bytes: c.count * cTypeBytes(c.ctype) }));
    layerConstBytes[layer.position] = layerTables[layer.position]!.reduce((n, t) => n + t.bytes, 0);
    if (codeOptions.weightsInRam?.has(layer.position)) for (const c of own) c.ram = true;
    let code = kernelCode;
    if (staged) {
      defineOnce('stage_copy', stageCopyFunction(prefix));
      code = stagedLayerCode(staged, own, kernelCode, { fnName, prefix, scratch: model.scratchPointers.get(layer.position) });
    }
    return { ...layerView(graph, layer), fnName, code: [...shared, code].join('\n'), isAlias: false };
  });
  return { layers, cFiles, layerConstBytes, layerTables };
}

/** The templates' view of the arenas: their symbols, sizes, alignment and named offsets. */
function arenaView(plan: MemoryPlan, layout: ArenaLayout) {
  const { external } = layout;
  return {
    arena: layout.arena,
    arenaBytes: Math.max(plan.arenaBytes, plan.alignment),
    plannedBytes: plan.arenaBytes,
    alignment: plan.alignment,
    // 16: enough for any load the kernels do (LDRD, LDM, 128-bit vectors on hosts); more if the plan asks more
    arenaAlign: Math.max(16, plan.alignment),
    strategy: plan.strategy,
    offsets: layout.offsets.list,
    external: external
      ? {
          arena: layout.externalArena,
          region: external.region,
          bytes: Math.max(external.arenaBytes, plan.alignment),
          plannedBytes: external.arenaBytes,
          buffers: external.buffers.length,
          strategy: external.strategy,
          offsets: layout.offsets.externalList,
        }
      : false,
  };
}

/** The templates' view of the constant tables: the tables, their bytes, and where they are placed. */
function weightsView(consts: ConstArray[]) {
  return {
    consts,
    weights16: consts.some((c) => c.align === 16),
    weightsInRam: consts.some((c) => c.ram === true),
    weightsInRamBytes: consts.filter((c) => c.ram === true).reduce((n, c) => n + c.count * cTypeBytes(c.ctype), 0),
    weightBytes: consts.reduce((n, c) => n + c.count * cTypeBytes(c.ctype), 0),
  };
}

/** The banner each of the model's own files starts with, saying what the file holds. */
function fileBanners(
  banner: (what: string, license?: string | null) => Banners,
  files: ModelFileNames,
  model: { graphName: string; nameComment: string; summary: string; weightBytes: number },
) {
  const { nameComment, summary } = model;
  return {
    modelH: banner(`${files.header}: the public API of the compiled ${summary}.`).c,
    modelC: banner(`${files.source}: the arena, one function per layer and the call sequence of ${summary}.`).c,
    weightsH: banner(`${files.weightsHeader}: the constant tables of model ${nameComment} (${model.weightBytes} bytes in flash).`).c,
    weightsC: banner(
      `${files.weightsSource}: the weights, biases and requantization tables of model ${nameComment}.\n` +
        'No licence is claimed for them here: they are derived from the model, whose licence they carry.',
      null,
    ).c,
    cmake: banner(`CMakeLists.txt: model ${cmakeCommentText(model.graphName)} as a static library.`).cmake,
  };
}

/** The model's own files, each rendered from its template over the same view. */
function renderModelFiles(files: ModelFileNames, view: object): GeneratedFile[] {
  return [
    { name: files.header, text: renderTemplateFile(join(TEMPLATES_DIR, 'model.h.hbs'), view), role: 'header' },
    { name: files.source, text: renderTemplateFile(join(TEMPLATES_DIR, 'model.c.hbs'), view), role: 'source' },
    { name: files.weightsHeader, text: renderTemplateFile(join(TEMPLATES_DIR, 'weights.h.hbs'), view), role: 'weights-header' },
    { name: files.weightsSource, text: renderTemplateFile(join(TEMPLATES_DIR, 'weights.c.hbs'), view), role: 'weights-source' },
    { name: 'CMakeLists.txt', text: renderTemplateFile(join(TEMPLATES_DIR, 'CMakeLists.txt.hbs'), view), role: 'cmake' },
  ];
}

/**
 * `<name>.h`, `<name>.c`, `<name>_weights.h/.c`; `<name>_model...` when a kernel file the model ships
 * has one of those names already (a model named after a kernel header).
 */
export function modelFileNames(name: string, kernelFiles: ReadonlySet<string> = new Set()): ModelFileNames {
  const names = (base: string) => ({ header: `${base}.h`, source: `${base}.c`, weightsHeader: `${base}_weights.h`, weightsSource: `${base}_weights.c` });
  const plain = names(name);
  return Object.values(plain).some((n) => kernelFiles.has(n)) ? names(`${name}_model`) : plain;
}

/** The banner of a kernel file copied as it is: the tool and the file's place in it, nothing of the model. */
function kernelBanner(name: string, path: string): string {
  return renderBanner([], `${name}: copied from tinyforge's kernels (src/core/ops/${path}), the same for every model.`, CODE_LICENSE).c;
}

/**
 * One named offset per tensor the plan placed and per layer scratch buffer, in the order the plan
 * lists its buffers (by first use, then offset): `#define TF_X_T12_CONV1_RELU 7568u`.
 */
function arenaOffsetConstants(prepared: PreparedGraph, plan: MemoryPlan, PREFIX: string) {
  const inside = offsetConstants(prepared, plan.buffers, plan.tensorOffset, PREFIX, '');
  const outside = offsetConstants(
    prepared,
    plan.external?.buffers ?? [],
    plan.external?.tensorOffset ?? new Map(),
    PREFIX,
    `, in ${plan.external?.region ?? ''}`,
  );
  return {
    tensor: inside.tensor,
    scratch: inside.scratch,
    list: inside.list,
    externalTensor: outside.tensor,
    externalScratch: outside.scratch,
    externalList: outside.list,
  };
}

/** The named offsets of one arena's buffers (`where`: said after each comment, for the external arena). */
function offsetConstants(prepared: PreparedGraph, buffers: PlacedBuffer[], tensorOffset: Map<number, number>, PREFIX: string, where: string) {
  const { graph } = prepared;
  const tensor = new Map<number, string>();
  const scratch = new Map<number, string>();
  const list: OffsetConstant[] = [];
  const live = (first: number, last: number) => (first === last ? `live in layer ${first}` : `live layers ${first}..${last}`);
  for (const b of buffers) {
    if (b.scratchOf !== undefined) {
      const layer = prepared.layers[b.scratchOf];
      const symbol = `${PREFIX}_L${b.scratchOf}_SCRATCH`;
      scratch.set(b.scratchOf, symbol);
      const what = layer ? `${layer.op.kind}${layerOutput(layer)}` : 'layer';
      list.push({ symbol, offset: b.offset, comment: `layer ${b.scratchOf} ${what}: ${b.bytes} B of scratch, ${live(b.firstUse, b.lastUse)}${where}` });
    }
    for (const index of [...b.tensors].sort((x, y) => x - y)) {
      const t = graph.tensors[index]!;
      const offset = tensorOffset.get(index);
      if (offset === undefined || tensor.has(index)) continue;
      const symbol = `${PREFIX}_T${index}_${tensorNameIdentifier(t.name)}`;
      tensor.set(index, symbol);
      const shared =
        b.tensors.length > 1 ? `, shares its buffer with tensor${b.tensors.length > 2 ? 's' : ''} ${b.tensors.filter((i) => i !== index).join(', ')}` : '';
      list.push({
        symbol,
        offset,
        comment: `tensor ${index} "${cCommentText(t.name)}", ${t.dtype}[${t.shape.join(',')}], ${byteSize(t)} B, ${live(b.firstUse, b.lastUse)}${shared}${where}`,
      });
    }
  }
  // any offset the plan holds outside its buffer list (none today) still gets a name
  for (const [index, offset] of tensorOffset) {
    if (tensor.has(index)) continue;
    const t = graph.tensors[index]!;
    const symbol = `${PREFIX}_T${index}_${tensorNameIdentifier(t.name)}`;
    tensor.set(index, symbol);
    list.push({ symbol, offset, comment: `tensor ${index} "${cCommentText(t.name)}", ${t.dtype}[${t.shape.join(',')}], ${byteSize(t)} B${where}` });
  }
  const width = Math.max(0, ...list.map((c) => c.symbol.length));
  const offsetWidth = Math.max(0, ...list.map((c) => `${c.offset}u`.length));
  return {
    tensor,
    scratch,
    list: list.map((c) => ({ ...c, symbol: c.symbol.padEnd(width), value: `${c.offset}u`.padStart(offsetWidth) })),
  };
}

/**
 * ` -> tensor 7`: a layer by its first output tensor's index. A tensor's name (converters' run to a
 * few hundred characters) is printed once, in the comment of its arena offset or of its weights
 * array; every other mention is this short form.
 */
function layerOutput(layer: PreparedLayer): string {
  const out = layer.op.outputs.find((i) => i >= 0);
  return out === undefined ? '' : ` -> tensor ${out}`;
}

type QuantKind = 'NONE' | 'INT8' | 'UINT8' | 'INT16' | 'INT32' | 'FLOAT32';

/** How the float helpers convert a tensor: its type with per-tensor quantization, a float copy, or not at all. */
function quantKind(t: Tensor): { kind: QuantKind; why?: string } {
  if (t.dtype === 'float32') return { kind: 'FLOAT32' };
  if (t.dtype !== 'int8' && t.dtype !== 'uint8' && t.dtype !== 'int16' && t.dtype !== 'int32')
    return { kind: 'NONE', why: `${t.dtype} is not a quantized type` };
  if (!t.quant || t.quant.scale.length === 0) return { kind: 'NONE', why: 'no quantization parameters' };
  if (t.quant.scale.length > 1) return { kind: 'NONE', why: `per-channel quantization (${t.quant.scale.length} scales along axis ${t.quant.axis})` };
  return { kind: t.dtype.toUpperCase() as QuantKind };
}

/** An input or output: its doc comment and #defines in model.h, its rows in model.c's tables. */
function ioView(graph: Graph, plan: MemoryPlan, offsets: Map<number, string>, io: { index: number; NAME: string; role: 'Input' | 'Output'; n: number }) {
  const { index, NAME, role, n } = io;
  const t = graph.tensors[index]!;
  const q = quantKind(t);
  const perTensor = t.quant && t.quant.scale.length === 1 ? { scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0] ?? 0 } : undefined;
  const elements = elementCount(t.shape);
  const defines: [string, string, string][] = [
    ['NAME', cStringLiteral(t.name), "the tensor's name in the model"],
    ['TENSOR', String(index), "the tensor's index in the model"],
    ['TYPE', DTYPE_C[t.dtype], `element type (${t.dtype})`],
    ['RANK', String(t.shape.length), 'number of dimensions'],
    ['DIMS', `{ ${t.shape.join(', ')} }`, 'the shape, as an initializer'],
    ...t.shape.map((d, i): [string, string, string] => [`DIM${i}`, String(d), '']),
    ['ELEMENTS', `${elements}u`, 'elements'],
    ['BYTES', `${byteSize(t)}u`, 'bytes'],
  ];
  // an ONNX model's tensor: the axis order of DIMS, and how it relates to the ONNX value's
  const layout = layoutName(t);
  let layoutDoc: string | undefined;
  if (layout !== undefined) {
    const onnxLayout = [...layout].sort((a, b) => 'NCDHW'.indexOf(a) - 'NCDHW'.indexOf(b)).join('');
    defines.push(['LAYOUT', cStringLiteral(layout), layout === onnxLayout ? "the ONNX model's own layout" : `ONNX's ${onnxLayout}, channels last`]);
    layoutDoc =
      layout === onnxLayout
        ? `layout ${layout}, the ONNX model's own for "${cCommentText(t.onnx!.name)}"`
        : `layout ${layout}: the ONNX model's "${cCommentText(t.onnx!.name)}" is ${onnxLayout} [${onnxShapeOf(t).join(', ')}]; here channels last`;
  }
  if (perTensor) {
    defines.push(['SCALE', shortFloatLiteral(perTensor.scale), 'real = SCALE * (q - ZERO_POINT)']);
    defines.push(['ZERO_POINT', perTensor.zeroPoint < 0 ? `(${perTensor.zeroPoint})` : String(perTensor.zeroPoint), '']);
  }
  const width = Math.max(...defines.map(([k]) => `${NAME}_${k}`.length));
  const lines = defines.map(([k, v, c]) => `${`${NAME}_${k}`.padEnd(width)} ${c ? `${v.padEnd(12)} /* ${c} */` : v}`.trimEnd());
  const SHORT = `TF_MODEL_${role.toUpperCase()}${n}`;
  const shortWidth = Math.max(...defines.map(([k]) => `${SHORT}_${k}`.length));
  const aliases = defines.map(([k]) => `${`${SHORT}_${k}`.padEnd(shortWidth)} ${NAME}_${k}`);
  let quantDoc: string;
  if (q.kind === 'FLOAT32') quantDoc = 'float32: not quantized (the float helpers copy it)';
  else if (perTensor && q.kind !== 'NONE') {
    const zp = perTensor.zeroPoint < 0 ? `(q + ${-perTensor.zeroPoint})` : perTensor.zeroPoint === 0 ? 'q' : `(q - ${perTensor.zeroPoint})`;
    const scale = shortFloatLiteral(perTensor.scale).replace(/f$/, '');
    quantDoc = `real value = ${scale} * ${zp}  (scale ${scale}, zero point ${perTensor.zeroPoint})`;
  } else quantDoc = `the float helpers return TF_ERROR_NOT_QUANTIZED for it: ${q.why ?? 'not quantized'}`;
  return {
    n,
    NAME,
    role,
    index,
    nameComment: cCommentText(t.name),
    dtype: t.dtype,
    shape: t.shape.join(', '),
    elements,
    bytes: byteSize(t),
    arenaOffset: plan.tensorOffset.get(index) ?? 0,
    offsetSymbol: offsets.get(index) ?? '0u',
    quantDoc,
    layoutDoc,
    // a model input that only gave a shape TFLite Micro ignores too (TRANSPOSE_CONV's output shape)
    unread: role === 'Input' && !graph.ops.some((op) => op.inputs.includes(index)) && !graph.outputs.includes(index),
    defines: lines,
    aliases,
    qKind: q.kind,
    // the table of the float helpers: 1.0 and 0 where a tensor has no per-tensor parameters (never read then)
    qScale: perTensor ? `${NAME}_SCALE` : '1.0f',
    qZeroPoint: perTensor ? `${NAME}_ZERO_POINT` : '0',
  };
}

/** What a layer's kernel variant emits its code through: its tensors' pointers, its scratch, its tables, its templates. */
function emitContext(
  prepared: PreparedGraph,
  layer: PreparedLayer,
  fn: { fnName: string; defineOnce: (key: string, code: string) => void },
  model: ModelEmitState,
): LayerEmitContext {
  const { fnName, defineOnce } = fn;
  const { prefix, isa, scratchPointers, tensorPointer, consts } = model;
  const { op } = layer;
  const at = (list: number[], i: number, what: string) => {
    const index = list[i];
    if (index === undefined || index < 0) throw new Error(`internal: op ${op.index} (${op.kind}) has no ${what} ${i}`);
    return index;
  };
  return {
    graph: prepared.graph,
    op,
    fnName,
    prefix,
    input: (i) => tensorPointer(at(op.inputs, i, 'input')),
    output: (i) => tensorPointer(at(op.outputs, i, 'output')),
    scratch: () => {
      const pointer = scratchPointers.get(layer.position);
      if (pointer === undefined) throw new Error(`internal: op ${op.index} (${op.kind}) asked for scratch it did not declare`);
      return pointer;
    },
    addConst: (suffix, ctype, values, align) => {
      // C has no empty arrays: an empty table (a sparse layer whose weights are all zero) is one 0 no kernel reads
      const body = values.length > 0 ? cArrayBody(ctype === 'float' ? Array.from(values, floatLiteral) : values) : '  0';
      const count = Math.max(1, values.length);
      // a table the same as one already emitted is that one (a row-band stage's band and steady
      // instances of a layer carry the same weights and records: person_detect's stage, 808 B)
      const same = consts.find((c) => c.ctype === ctype && c.count === count && c.body === body && (c.align ?? 4) >= (align ?? 4));
      if (same) return same.symbol;
      const symbol = `${prefix}_l${layer.position}_${suffix}`;
      consts.push({
        symbol,
        ctype,
        count,
        body,
        comment: `layer ${layer.position} (${op.kind}${layerOutput(layer)}) ${suffix}`,
        shortComment: `layer ${layer.position} (${op.kind}${layerOutput(layer)}) ${suffix}`,
        ...(align ? { align } : {}),
      });
      return symbol;
    },
    render: (file, view) => renderOpTemplate(layer.def.dir, file, view),
    isa,
    ...(prepared.prefer ? { prefer: prepared.prefer } : {}),
    defineOnce,
  };
}

/**
 * The copy a staged layer makes of its tables (plan/weight_staging.ts): four words a step (two LDRD
 * from flash on Arm: one 64-bit flash word each), then the last words and bytes. Every staged table starts on a 16-byte
 * boundary of the arena and its flash copy on a 4-byte one (TF_WEIGHT). A plain loop: GCC would
 * make it a call of the C library's memcpy, byte by byte in newlib-nano.
 */
function stageCopyFunction(prefix: string): string {
  return `/* Weights staged in the arena (plan/weight_staging.ts): a layer's tables copied from flash into its
 * scratch at its start, four words a step, where its kernel then reads them at RAM speed. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void ${prefix}_stage(uint8_t *destination, const void *source, size_t bytes) {
  const uint8_t *from = (const uint8_t *)source;
  size_t words = bytes / 4u;
  for (; words >= 4u; words -= 4u, destination += 16, from += 16) {
    uint32_t a, b, c, d;
    memcpy(&a, __builtin_assume_aligned(from, 4), 4);
    memcpy(&b, __builtin_assume_aligned(from + 4, 4), 4);
    memcpy(&c, __builtin_assume_aligned(from + 8, 4), 4);
    memcpy(&d, __builtin_assume_aligned(from + 12, 4), 4);
    memcpy(__builtin_assume_aligned(destination, 4), &a, 4);
    memcpy(__builtin_assume_aligned(destination + 4, 4), &b, 4);
    memcpy(__builtin_assume_aligned(destination + 8, 4), &c, 4);
    memcpy(__builtin_assume_aligned(destination + 12, 4), &d, 4);
  }
  for (; words > 0u; words--, destination += 4, from += 4) {
    uint32_t word;
    memcpy(&word, __builtin_assume_aligned(from, 4), 4);
    memcpy(__builtin_assume_aligned(destination, 4), &word, 4);
  }
  for (size_t k = 0; k < bytes % 4u; k++) destination[k] = from[k];
}`;
}

/**
 * A staged layer's C: its kernel's code with each of its tables' names bound to the copy in its
 * scratch (a macro over the kernel's text only), then the layer function, which copies the tables
 * and runs the kernel.
 */
function stagedLayerCode(
  staged: StagedLayer,
  own: readonly ConstArray[],
  kernelCode: string,
  at: { fnName: string; prefix: string; scratch?: string },
): string {
  const emitted = own.map((c) => c.symbol).join(',');
  if (at.scratch === undefined || emitted !== staged.tables.map((t) => t.symbol).join(','))
    throw new Error(`internal: layer ${staged.position}'s staged tables are not the tables its kernel emits`);
  const scratch = at.scratch;
  const copy = (t: StagedTable) => `(${scratch} + ${t.offset}u)`;
  const binds = staged.tables.map((t) => `#define ${t.symbol} ((const ${t.ctype} *)(const void *)${copy(t)})`);
  const unbinds = staged.tables.map((t) => `#undef ${t.symbol}`);
  const copies = staged.tables.map((t) => `  ${at.prefix}_stage(${copy(t)}, ${t.symbol}, ${t.bytes}u);`);
  const what = `${staged.bytes} B of tables read ${Math.round(staged.readsPerByte)} times a byte`;
  return [
    `/* staged: the kernel reads its tables from the layer's scratch, copied there from flash (${what}) */`,
    ...binds,
    kernelCode,
    ...unbinds,
    `static void ${at.fnName}(void) {`,
    ...copies,
    `  ${at.fnName}_kernel();`,
    '}',
  ].join('\n');
}

function tensorConst(symbol: string, t: Tensor): ConstArray {
  const values = fromBytes(t.dtype, t.data!);
  const ctype = DTYPE_C[t.dtype];
  // unsigned literals: a uint32 above INT32_MAX has no int type, a uint64 above INT64_MAX no signed one
  const unsignedSuffix = t.dtype === 'uint32' ? 'u' : t.dtype === 'uint64' ? 'ull' : undefined;
  const body =
    t.dtype === 'float32'
      ? cArrayBody(Array.from(values as Float32Array, floatLiteral))
      : unsignedSuffix
        ? cArrayBody(Array.from(values as ArrayLike<number | bigint>, (v) => `${v}${unsignedSuffix}`))
        : cArrayBody(values as ArrayLike<number>);
  return {
    symbol,
    ctype,
    // C has no empty arrays: a tensor of no elements is one 0 no kernel reads
    count: elementCount(t.shape) || values.length || 1,
    body: values.length > 0 ? body : '  0',
    comment: `tensor ${t.index} "${cCommentText(t.name)}" ${t.dtype}[${t.shape.join(', ')}]`,
    shortComment: `tensor ${t.index} ${t.dtype}[${t.shape.join(', ')}]`,
  };
}

/** A float as a C float literal that reads back as the same float32 (9 significant digits round-trip). */
function floatLiteral(v: number): string {
  if (Number.isNaN(v)) return '(0.0f / 0.0f)';
  if (!Number.isFinite(v)) return v > 0 ? '(1.0f / 0.0f)' : '(-1.0f / 0.0f)';
  // toPrecision drops the sign of -0, which a float computation can tell from +0
  if (Object.is(v, -0)) return '-0.0f';
  return `${v.toPrecision(9)}f`;
}

/**
 * The shortest C float literal that reads back as the same float32 as `v` (`0.00390625f`, not
 * `0.00390625000f`); always with a point or an exponent, so `1` is `1.0f`.
 */
export function shortFloatLiteral(v: number): string {
  if (!Number.isFinite(v)) return floatLiteral(v);
  const target = Math.fround(v);
  let text = String(target);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = String(Number(target.toPrecision(digits)));
    if (Math.fround(Number(candidate)) === target) {
      text = candidate;
      break;
    }
  }
  return `${/[.e]/.test(text) ? text : `${text}.0`}f`;
}

function cTypeBytes(ctype: string): number {
  return /64/.test(ctype) ? 8 : /32|float/.test(ctype) ? 4 : /16/.test(ctype) ? 2 : 1;
}

function layerView(graph: Graph, layer: PreparedLayer) {
  const shape = (i: number) => (i >= 0 ? `[${graph.tensors[i]!.shape.join('x')}]` : '-');
  return {
    position: layer.position,
    opIndex: layer.op.index,
    kind: layer.op.kind,
    output: layerOutput(layer),
    inputs: layer.op.inputs
      .filter((i) => i >= 0 && !graph.tensors[i]!.data)
      .map(shape)
      .join(', '),
    outputs: layer.op.outputs.map(shape).join(', '),
    macs: layer.macs,
  };
}
