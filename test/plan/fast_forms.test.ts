// SPDX-License-Identifier: Apache-2.0
/**
 * Arena-hungry fast forms (plan/fast_forms.ts): DEPTHWISE_CONV_2D's `arm-dsp padded-row channel
 * quads` (a padded copy of narrow maps' rows in its scratch) against `arm-dsp channel quads`, the same
 * kernel without it. The default declines the copy where it grows a scarce arena by more than the
 * instructions it saves are worth, keeps it where RAM is plentiful, and a RAM budget moves a layer
 * from it to `arm-dsp channel quads` before the
 * portable C, at a price. KWS's 25x5x64 layers take the copy under `--prefer size`, which keeps the
 * compact forms: by default and under `--prefer speed` the mask kernel (every pixel in place, the
 * padding read from its weights) takes them, with no copy and no scratch at all.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { kernelChoices } from '../../src/core/plan/budget.ts';
import { factsOf } from '../../src/core/ops/prepare.ts';
import { formatFastForms } from '../../src/core/plan/fast_forms.ts';
import { layerInstructions } from '../../src/core/ops/layer_cost.ts';
import { loadTarget, smallestPartRam } from '../../src/core/targets/targets.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';

const M4 = loadTarget('cortex-m4');
const PLENTY = { bytes: 1 << 20, board: 'a 1 MiB part' };
const padded = (c: ReturnType<typeof compileGraph>) =>
  c.prepared.layers.filter((l) => l.op.kind === 'DEPTHWISE_CONV_2D' && l.variant.name === 'arm-dsp padded-row channel quads').map((l) => l.position);
const depthwise = (c: ReturnType<typeof compileGraph>) => c.prepared.layers.filter((l) => l.op.kind === 'DEPTHWISE_CONV_2D').map((l) => l.position);
const source = (c: ReturnType<typeof compileGraph>) => c.generated.files.find((f) => f.role === 'source')!.text;

describe('arena-hungry fast forms (the padded depthwise copy)', () => {
  it('a layer on the padded copy may fall back to the channel quads without it, then the portable C, at a higher cost per MAC', () => {
    const fast = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: PLENTY });
    expect(padded(fast)).to.deep.equal(depthwise(fast)).and.to.have.length(4);
    for (const layer of fast.prepared.layers.filter((l) => l.op.kind === 'DEPTHWISE_CONV_2D')) {
      const choices = kernelChoices(layer, factsOf(fast.prepared));
      expect(choices.map((v) => v.name)).to.deep.equal(['arm-dsp padded-row channel quads', 'arm-dsp channel quads', 'portable']);
      // 25x5x64: a band of 16 output rows' windows, 18 rows of 7 padded pixels
      expect(choices[0]!.scratchBytes!(layer.params, factsOf(fast.prepared)) - choices[1]!.scratchBytes!(layer.params, factsOf(fast.prepared))).to.equal(
        18 * 7 * 64,
      );
      // the one cost model prices the copy under the border through tap pointers
      expect(layerInstructions({ ...layer, variant: choices[0]! }, M4.isa)).to.be.lessThan(layerInstructions({ ...layer, variant: choices[1]! }, M4.isa));
    }
  });

  it('the default declines the copy where it grows a scarce arena for a few percent of instructions (KWS on the M4, --prefer size)', () => {
    const fast = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: PLENTY });
    const chosen = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: smallestPartRam(M4) });
    expect(padded(chosen)).to.deep.equal([]);
    expect(chosen.fastFormsDeclined!.declined).to.deep.equal(depthwise(chosen));
    expect(chosen.fastFormsDeclined!.arenaFast).to.equal(fast.plan.arenaBytes);
    expect(chosen.plan.arenaBytes).to.equal(chosen.fastFormsDeclined!.arenaChosen);
    expect(fast.plan.arenaBytes - chosen.plan.arenaBytes).to.be.at.least(4000);
    expect(chosen.fastFormsDeclined!.instructionsForgone).to.be.greaterThan(0);
    expect(formatFastForms(chosen.fastFormsDeclined!)).to.match(
      /^fast kernel forms: none by default on layers 1, 3, 5, 7 \(arm-dsp padded-row channel quads -> arm-dsp channel quads\): arena 18,336 -> 10,576 B for about \+[\d,]+ estimated instructions \(--prefer speed keeps them\)$/,
    );
  });

  it('where RAM is plentiful the default keeps it', () => {
    const chosen = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: PLENTY });
    expect(padded(chosen)).to.have.length(4);
    expect(chosen.fastFormsDeclined).to.equal(undefined);
  });

  it('a RAM budget moves layers off the copy to the channel quads, not to the portable C, and prices each move', () => {
    const frugal = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: smallestPartRam(M4) }).plan.arenaBytes;
    const fitted = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: PLENTY, budget: { ram: frugal } });
    expect(fitted.plan.arenaBytes).to.be.at.most(frugal);
    const { moves } = fitted.budget!;
    expect(moves.length).to.be.greaterThan(0);
    for (const m of moves) {
      expect(m).to.include({ opKind: 'DEPTHWISE_CONV_2D', from: 'arm-dsp padded-row channel quads', to: 'arm-dsp channel quads' });
      expect(m.extraInstructions).to.be.greaterThan(0);
    }
  });

  it('where the mask kernel wins (KWS by default and under --prefer speed) no layer takes the copy, and no scratch: the smallest arena', () => {
    const frugal = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: smallestPartRam(M4) });
    for (const options of [{ partRam: smallestPartRam(M4) }, { partRam: PLENTY }, { prefer: 'speed' as const }]) {
      const chosen = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, ...options });
      expect(padded(chosen)).to.deep.equal([]);
      expect(chosen.fastFormsDeclined).to.equal(undefined);
      const layers = chosen.prepared.layers.filter((l) => l.op.kind === 'DEPTHWISE_CONV_2D');
      expect(layers.map((l) => l.variant.name)).to.deep.equal(Array(4).fill('arm-dsp 3x3 masked border'));
      for (const l of layers) expect(l.variant.scratchBytes!(l.params, factsOf(chosen.prepared))).to.equal(0);
      expect(source(chosen)).to.match(/tf_dwk_mask_k64_25x5_s11_p11_\w+\(/);
      expect(chosen.plan.arenaBytes).to.be.below(frugal.plan.arenaBytes);
    }
  });

  it('--prefer size keeps the compact form: no mask kernel, the weights as the model has them', () => {
    const size = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'size', partRam: smallestPartRam(M4) });
    const speed = compileGraph(kwsDsCnn(), 'kws.tflite', { isa: M4.isa, prefer: 'speed' });
    expect(source(size)).to.not.match(/tf_dwk_mask_/);
    expect(source(size)).to.match(/tf_dwk_mult1_k64_320_\w+\(/);
    // the mask kernel's weights: 220 B per 4 channels (extended, the zero point's word, the starts of
    // the window inside and of its 8 border classes) against the model's 36
    for (const position of depthwise(size)) {
      expect(speed.generated.layerConstBytes[position]! - size.generated.layerConstBytes[position]!, `layer ${position}`).to.equal((64 / 4) * (220 - 36));
    }
  });
});
