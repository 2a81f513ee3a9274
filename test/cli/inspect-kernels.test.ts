// SPDX-License-Identifier: Apache-2.0
/**
 * inspect's Kernels section names every layer's kernel in full, however the Ops table elides it to
 * fit the terminal: over generated models on every ISA family, each op's `#` is listed under exactly
 * the kernel its layer runs, and no line is wider than the terminal.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { loadTarget } from '../../src/core/targets/targets.ts';
import { formatKernels, formatOps } from '../../src/face/report/inspect.ts';
import { TERMINAL_COLUMNS, columns } from '../../src/face/report/layout.ts';
import { SMALL_MODELS } from '../helpers/small_models.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';

const KWS = { name: 'kws_ds_cnn', build: () => kwsDsCnn() };
/** the small models on every family; the keyword spotter where its conv and depthwise kernels have the longest names */
const TARGETS = ['cortex-m4', 'cortex-m0', 'cortex-m55', 'esp32s3', 'esp32c3', 'host'];
const modelsFor = (target: string) => (target === 'cortex-m4' || target === 'esp32s3' ? [...SMALL_MODELS, KWS] : SMALL_MODELS);

/** The Kernels section as kernel name -> the op numbers listed for it (continuation lines joined). */
function listed(section: string): Map<string, number[]> {
  const entries = section
    .split('\n')
    .slice(1)
    .join('\n')
    .split(/\n(?=  \S)/)
    .map((e) => e.replace(/\s+/g, ' ').trim());
  return new Map(
    entries.map((e) => {
      const m = /^(.*): ops? ([\d, ]+)$/.exec(e);
      expect(m, e).to.not.equal(null);
      return [m![1]!, m![2]!.split(', ').map(Number)];
    }),
  );
}

describe('CLI: inspect names each layer kernel in full', () => {
  for (const target of TARGETS) {
    it(`${target}: every op under its layer's kernel, once`, () => {
      for (const m of modelsFor(target)) {
        const compiled = compileGraph(m.build(), m.name, { isa: loadTarget(target).isa });
        const section = formatKernels(compiled.graph, compiled.prepared);
        for (const line of [...section.split('\n'), ...formatOps(compiled.graph, compiled.prepared).split('\n')])
          expect(columns(line), line).to.be.at.most(TERMINAL_COLUMNS);
        const kernels = listed(section);
        const seen: number[] = [];
        compiled.prepared.layers.forEach((layer, position) => {
          if (layer.isAlias) return;
          const op = compiled.graph.ops[position]!.index;
          expect(kernels.get(`${layer.op.kind} ${layer.variant.name}`), `${m.name} op ${op}`).to.include(op);
          seen.push(op);
        });
        expect([...kernels.values()].flat().sort((a, b) => a - b)).to.deep.equal(seen.sort((a, b) => a - b));
      }
    });
  }
});
