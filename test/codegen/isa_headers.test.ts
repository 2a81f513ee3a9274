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
import { isaFamily } from '../../src/core/ops/op.ts';
import { ISA_FAMILY_FILES, ISA_HEADERS, ISA_SELECTOR } from '../../src/core/ops/common/isa/isa.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { SHARED_MODELS, sharedModelsAvailable } from '../helpers/shared.ts';
import { int4SmallNet } from '../helpers/int4_models.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { parseTflite } from '../../src/core/model/tflite/reader.ts';
import { writeTflite } from '../../src/core/model/tflite/writer.ts';

// softmax's row kernels (micro_speech, the LSTM), the word pools (person_detect), the common-scale
// ADD (the ResNet), and int4 weights: the shared kernels that reach for an ISA header
const MODELS = ['micro_speech.tflite', 'person_detect.tflite', 'mnist_lstm_int8.tflite', 'zoo/tinymaix_mnist_resnet_q.tflite'];
const TARGETS = ['cortex-m4', 'rp2040', 'esp32c3', 'host'];

describe('codegen: each model ships only its ISA family headers', function () {
  this.timeout(300_000);

  it('the four targets stand for the four families', () => {
    const families = TARGETS.map((t) => isaFamily(loadTarget(t).isa));
    expect(new Set(families)).to.deep.equal(new Set(Object.keys(ISA_HEADERS)));
  });

  for (const target of TARGETS) {
    it(`${target}: no other family's file, no ${ISA_SELECTOR}, the family's header where a shared kernel needs it`, function () {
      if (!sharedModelsAvailable(this)) return;
      const isa = loadTarget(target).isa;
      const family = isaFamily(isa);
      const foreign = Object.entries(ISA_FAMILY_FILES)
        .filter(([f]) => f !== family)
        .flatMap(([, files]) => files);
      // int4 weights take int4_dot.h on every family
      const int4Net = parseTflite(writeTflite(int4SmallNet(1)), 'int4_net.tflite');
      for (const model of [...MODELS, 'int4_net']) {
        const compiled = model === 'int4_net' ? compileGraph(int4Net, model, { isa }) : compileFile(join(SHARED_MODELS, model), { isa });
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
        for (const h of headers) expect([ISA_HEADERS[family], ISA_HEADERS.portable], `${model}: includes ${h}`).to.include(h);
      }
    });
  }
});
