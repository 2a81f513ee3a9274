// SPDX-License-Identifier: Apache-2.0
/**
 * A generated model ships its own ISA family's C and no other's: kernels several families share
 * include `isa.h`, which codegen replaces by the target family's header (common/isa/isa.ts), and
 * the files of common/isa/ that belong to one family (its header, its building blocks) appear in
 * that family's models only.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { compileFile } from '../../src/core/compile.ts';
import { familyChain, isaFamily } from '../../src/core/ops/op.ts';
import { ISA_FAMILY_FILES, ISA_HEADERS, ISA_SELECTOR } from '../../src/core/ops/common/isa/isa.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { sharedFile, sharedModelsAvailable } from '../helpers/shared.ts';
import { int4SmallNet } from '../helpers/int4_models.ts';
import { GraphBuilder } from '../helpers/graph_builder.ts';
import { singleOpGraph } from '../helpers/op_harness.ts';
import type { Graph } from '../../src/core/ir/graph.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';

// softmax's row kernels (micro_speech, the LSTM), the word pools (person_detect), the common-scale
// ADD (the ResNet), int4 weights and MEAN: the shared kernels that reach for an ISA header
const MODELS = ['micro_speech.tflite', 'person_detect.tflite', 'mnist_lstm_int8.tflite', 'zoo/tinymaix_mnist_resnet_q.tflite'];
const TARGETS = ['cortex-m55', 'cortex-m4', 'rp2040', 'esp32c3', 'esp32s3', 'esp32', 'host'];

/** A 16x8 DEPTHWISE_CONV_2D (int16 activations) of 8 channels: every family's depthwise_conv_2d_int16.h. */
function depthwiseInt16Net(): Graph {
  const filter = Int8Array.from({ length: 9 * 8 }, (_, i) => ((i * 37) % 255) - 127);
  return singleOpGraph(
    'DEPTHWISE_CONV_2D',
    [{ shape: [1, 6, 6, 8], dtype: 'int16', scale: 0.5, zeroPoint: 0 }, { shape: [1, 3, 3, 8], scale: 0.01, zeroPoint: 0, axis: 3, data: filter }, null],
    [{ shape: [1, 4, 4, 8], dtype: 'int16', scale: 0.5, zeroPoint: 0 }],
    { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 },
  ).graph;
}

/** Spatial means of 16 channels: every family's MEAN word kernel (mean_words.h). */
function meanNet(): Graph {
  const b = new GraphBuilder('mean_net');
  const x = b.input({ shape: [1, 5, 7, 16], q: { scale: 0.05, zeroPoint: -3 }, name: 'x' });
  const axis = b.constant({ shape: [2], dtype: 'int32' }, Int32Array.from([1, 2]));
  const [o] = b.op('MEAN', [x, axis], [{ shape: [1, 16], q: { scale: 0.02, zeroPoint: 5 }, name: 'mean' }], { keepDims: false });
  b.output(o!);
  return b.build();
}

describe('codegen: each model ships only its ISA family headers', function () {
  it('the targets stand for the families', () => {
    const families = TARGETS.map((t) => isaFamily(loadTarget(t).isa));
    expect(new Set(families)).to.deep.equal(new Set(Object.keys(ISA_HEADERS)));
  });

  for (const target of TARGETS) {
    it(`${target}: no other family's file, no ${ISA_SELECTOR}, the family's header where a shared kernel needs it`, function () {
      if (!sharedModelsAvailable(this)) return;
      const isa = loadTarget(target).isa;
      const family = isaFamily(isa);
      const chain: string[] = familyChain(isa);
      const foreign = Object.entries(ISA_FAMILY_FILES)
        .filter(([f]) => !chain.includes(f))
        .flatMap(([, files]) => files);
      // int4 weights take int4_dot.h on every family, MEAN mean_words.h, 16x8 depthwise its int16 kernel
      const built: Record<string, Graph> = {
        int4_net: parseTflite(writeTflite(int4SmallNet(1)), 'int4_net.tflite'),
        mean_net: meanNet(),
        depthwise_int16: depthwiseInt16Net(),
      };
      for (const model of [...MODELS, ...Object.keys(built)]) {
        const compiled = built[model] ? compileGraph(built[model], model, { isa }) : compileFile(sharedFile(model), { isa });
        const files = compiled.generated.files;
        const names = files.map((f) => f.name);
        expect(
          names.filter((n) => foreign.includes(n)),
          `${model} for ${target} (${family})`,
        ).to.deep.equal([]);
        expect(names, model).not.to.include(ISA_SELECTOR);
        for (const f of files) expect(f.text, `${model}: ${f.name}`).not.to.match(/#\s*include\s+"isa\.h"/);
        // a shipped file that includes an ISA header includes its own family's
        const included = files.flatMap((f) => [...f.text.matchAll(/#\s*include\s+"([^"]+)"/g)].map((m) => m[1]!));
        const headers = Object.values(ISA_HEADERS).filter((h) => included.includes(h));
        for (const h of headers) expect([...familyChain(isa).map((f) => ISA_HEADERS[f]), ISA_HEADERS.portable], `${model}: includes ${h}`).to.include(h);
      }
    });
  }
});
