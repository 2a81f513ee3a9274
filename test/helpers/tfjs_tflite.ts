// SPDX-License-Identifier: Apache-2.0
/**
 * An independent TFLite interpreter for tests: @tensorflow/tfjs-tflite (desktop TFLite compiled to
 * WASM) run under Node. It is built for browsers, so its first load needs a web-worker-like stage:
 * `self` with a `location`, `importScripts` (its emscripten loader script, run with
 * vm.runInThisContext), `fetch` (its .wasm, read from node_modules), and no `MessageChannel` (so its
 * feature probe picks the single-threaded build). Those globals are removed again once it has
 * loaded: left behind, they make tfjs-backend-wasm believe it runs in a web worker.
 *
 * Inputs and outputs are raw bytes, tensor by tensor, so int8 models (which tfjs tensors cannot
 * hold) run through the model runner's own buffers instead of tfjs tensors.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

interface RunnerTensor {
  dataType: string;
  name: string;
  shape: string;
  data(): ArrayBufferView;
}

interface ModelRunner {
  getInputs(): RunnerTensor[];
  getOutputs(): RunnerTensor[];
  infer(): boolean;
  cleanUp(): void;
}

interface TfliteModule {
  setWasmPath(path: string): void;
  loadTFLiteModel(model: ArrayBuffer, options?: { numThreads?: number }): Promise<unknown>;
}

const require = createRequire(import.meta.url);
const WASM_DIR = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm') + '/';

let loading: Promise<TfliteModule> | undefined;

/** Loads tfjs-tflite once, with the browser globals it needs present only while it loads. */
function loadTflite(): Promise<TfliteModule> {
  loading ??= (async () => {
    const g = globalThis as Record<string, unknown>;
    const saved = { self: g.self, importScripts: g.importScripts, fetch: g.fetch, MessageChannel: g.MessageChannel };
    const hadSelf = 'self' in g;
    g.self = Object.assign(globalThis, { location: { origin: '', href: WASM_DIR } });
    g.importScripts = (...urls: string[]) => {
      for (const url of urls) vm.runInThisContext(readFileSync(url, 'utf8'), { filename: url });
    };
    g.fetch = async (url: string) => new Response(readFileSync(url), { headers: { 'Content-Type': 'application/wasm' } });
    g.MessageChannel = undefined;
    const restoreConsole = routedConsole();
    try {
      const tflite = require('@tensorflow/tfjs-tflite') as TfliteModule;
      tflite.setWasmPath(WASM_DIR);
      // loading any buffer (an invalid one is refused after the WASM module loads) makes it load now,
      // while the globals are in place
      await tflite.loadTFLiteModel(new ArrayBuffer(16), { numThreads: 1 }).catch(() => undefined);
      return tflite;
    } finally {
      restoreConsole();
      g.fetch = saved.fetch;
      g.MessageChannel = saved.MessageChannel;
      delete g.importScripts;
      delete g.location;
      if (hadSelf) g.self = saved.self;
      else delete g.self;
    }
  })();
  return loading;
}

/**
 * Runs one inference of a .tflite model in tfjs-tflite: raw bytes per input tensor in, raw bytes
 * per output tensor out. Each call builds a fresh interpreter (stateful models start from zero).
 */
export async function runTfliteInterpreter(modelBytes: Uint8Array, inputs: Uint8Array[]): Promise<Uint8Array[]> {
  const tflite = await loadTflite();
  const buffer = modelBytes.slice().buffer;
  let model: { modelRunner: ModelRunner };
  // the interpreter reports why it refuses a model on the console: keep that for the error instead
  const log = captureConsole();
  try {
    model = (await tflite.loadTFLiteModel(buffer, { numThreads: 1 })) as { modelRunner: ModelRunner };
  } catch (e) {
    const details = log.lines.filter((line) => line.startsWith('ERROR: ')).map((line) => line.slice(7));
    const unique = [...new Set(details)].join('; ');
    throw new Error(`tfjs-tflite refused the model (it rejects some per-channel quantized models): ${(e as Error).message}${unique ? ` (${unique})` : ''}`);
  } finally {
    log.restore();
  }
  const runner = model.modelRunner;
  try {
    const inputTensors = runner.getInputs();
    if (inputTensors.length !== inputs.length) throw new Error(`the model has ${inputTensors.length} inputs, ${inputs.length} given`);
    inputTensors.forEach((t, i) => {
      const view = bytesOf(t.data());
      if (view.length !== inputs[i]!.length)
        throw new Error(`input ${i} '${t.name}' (${t.dataType}[${t.shape}]) takes ${view.length} bytes, ${inputs[i]!.length} given`);
      view.set(inputs[i]!);
    });
    if (!runner.infer()) throw new Error('tfjs-tflite: inference failed');
    return runner.getOutputs().map((t) => bytesOf(t.data()).slice());
  } finally {
    runner.cleanUp();
  }
}

/** Where the WASM module's console output goes while a capture is active. */
let consoleSink: string[] | undefined;

/**
 * Console functions that the WASM module binds when it loads (emscripten takes
 * `console.log.bind(console)` and `console.warn.bind(console)` once): they print as usual, or
 * collect the lines while captureConsole() is active.
 */
function routedConsole(): () => void {
  const saved = { log: console.log, warn: console.warn };
  const route =
    (print: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (consoleSink) consoleSink.push(args.map(String).join(' '));
      else print.apply(console, args);
    };
  Object.assign(console, { log: route(saved.log), warn: route(saved.warn) });
  return () => Object.assign(console, saved);
}

function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  consoleSink = lines;
  return {
    lines,
    restore: () => {
      consoleSink = undefined;
    },
  };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
