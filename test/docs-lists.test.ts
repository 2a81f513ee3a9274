// SPDX-License-Identifier: Apache-2.0
/**
 * The lists the docs keep of the code's own sets, held equal to them: the targets (README's "Targets:"
 * paragraph), the real boards (docs/boards/README.md's table) and the ISA families with their
 * headers (docs/kernels.md). A target, board or family added to the code without its line in the
 * docs, or a doc line left for one removed, fails here.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listTargets, loadTarget } from '../src/core/targets/targets.ts';
import { ISA_HEADERS } from '../src/core/ops/common/isa/isa.ts';
import { isaFamily } from '../src/core/ops/op.ts';

const ROOT = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The paragraph of `text` that starts with `opening`, up to the next blank line. */
function paragraph(text: string, opening: string): string {
  const at = text.indexOf(opening);
  expect(at, `"${opening}"`).to.be.above(-1);
  const end = text.indexOf('\n\n', at);
  return text.slice(at, end < 0 ? undefined : end);
}

describe('docs: the lists of targets, boards and ISA families equal the code’s', () => {
  const targets = listTargets().map(loadTarget);

  it("README's target list names every target, and only those", () => {
    const named = [...paragraph(read('README.md'), 'Targets: ').matchAll(/`([a-z0-9-]+)`(?=\s\(|\/)/g)].map((m) => m[1]!);
    expect([...new Set(named)].sort()).to.deep.equal(targets.map((t) => t.name).sort());
  });

  it("docs/boards/README.md's table lists every real board with its target, and only those", () => {
    const rows = [...read('docs/boards/README.md').matchAll(/^\| `([a-z0-9-]+)` \| [^|]+ \| `([a-z0-9-]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const real = targets.flatMap((t) => t.boards.filter((b) => !b.emulated).map((b) => `${b.name} ${t.name}`));
    expect(rows.sort()).to.deep.equal(real.sort());
  });

  it("docs/kernels.md names every ISA family with its header, and every target's family is one of them", () => {
    const text = paragraph(read('docs/kernels.md'), 'Each ISA family has one header');
    for (const [family, header] of Object.entries(ISA_HEADERS)) expect(text, family).to.match(new RegExp(`\`${family}\`\\s+\`${header.replace('.', '\\.')}\``));
    for (const t of targets) expect(Object.keys(ISA_HEADERS), t.name).to.include(isaFamily(t.isa));
  });
});
