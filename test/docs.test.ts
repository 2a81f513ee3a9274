// SPDX-License-Identifier: Apache-2.0
/**
 * The documentation is a reference: every path it names exists in the tree, and it describes what
 * the tool does in the present tense, with no diary of how or when the work was done (measurements
 * come from `npm run bench`, history from git).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : [],
  );
}

const EXAMPLE_READMES = readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(ROOT, 'examples', e.name, 'README.md')))
  .map((e) => `examples/${e.name}/README.md`);
const DOCS = ['README.md', 'CONTRIBUTING.md', ...markdownUnder('docs'), ...EXAMPLE_READMES, 'firmware/README.md'];

/** a repository path: a top-level folder of the tree, then at least one more segment */
const PATH = /(?<![\w./-])((?:src|test|docs|templates|firmware|bench|scripts|examples|targets|tools)\/[\w./-]*\w)/g;

/** paths a doc names that are not in the tree by design, each with the reason */
const NOT_IN_TREE: { doc: string; path: RegExp; why: string }[] = [
  { doc: 'docs/adding-an-op.md', path: /^src\/core\/ops\/hard_sigmoid$/, why: 'the op the walkthrough creates' },
  { doc: 'docs/exports.md', path: /^(src|examples)\//, why: 'files inside an exported project' },
  { doc: 'docs/fuzzing.md', path: /^test\/fuzz\/repro-inputs$/, why: 'written by a campaign that finds something' },
  { doc: 'docs/kernels.md', path: /^bench\/sweep\.json$/, why: 'written by `npm run bench -- --sweep --json`' },
  { doc: 'docs/timing.md', path: /^test\/doc\/cortex_m(33|7)\.md$/, why: 'a file of another repository (jnk0le/random)' },
  { doc: 'examples/lenet/README.md', path: /^examples\/mnist\/lenet_train_test\.prototxt$/, why: "a file of Caffe's repository" },
];

/**
 * Phrases that narrate the work instead of describing the tool. Precise on purpose: "session" alone
 * is a device session, "now" and "before" have present-tense uses.
 */
const HISTORY: { phrase: RegExp; what: string }[] = [
  { phrase: /(?<![-\w])sessions? \d+\b/i, what: 'a numbered work session' },
  { phrase: /\brounds? \d+\b/i, what: 'a numbered round of work' },
  { phrase: /\bissues? \d+\b/i, what: 'an issue number (the tracker is history)' },
  { phrase: /\bsince (session|commit|version|issue|v\d)/i, what: '"since <point in history>"' },
  { phrase: /\bpreviously\b/i, what: '"previously"' },
  { phrase: /\bno longer\b/i, what: '"no longer"' },
  { phrase: /\bthis change\b/i, what: '"this change"' },
  { phrase: /\bwe (measured|found|tried|added|changed|fixed)\b/i, what: 'who did what' },
  { phrase: /\b(is|are) now\b/i, what: '"is now" / "are now"' },
  { phrase: /\bbefore (→|->) after\b/i, what: 'a before/after diary' },
  { phrase: /\bcommit [0-9a-f]{7,40}\b/i, what: 'a commit as a point in time' },
  { phrase: /\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* 20\d\d\b/, what: 'a dated entry' },
  { phrase: /\bshared with [^.]*\b(helpers|agents|sessions)\b/i, what: 'who shared the machine' },
];

describe('docs: a reference of the tree as it is', () => {
  it('every repository path the docs name exists', () => {
    const missing: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const [, path] of text.matchAll(PATH)) {
        if (existsSync(join(ROOT, path!))) continue;
        if (NOT_IN_TREE.some((n) => n.doc === doc && n.path.test(path!))) continue;
        missing.push(`${doc}: ${path}`);
      }
    }
    if (missing.length > 0) expect.fail(`paths named in the docs that are not in the tree:\n${[...new Set(missing)].join('\n')}`);
  });

  it('the exceptions above still name something the docs mention', () => {
    const unused = NOT_IN_TREE.filter((n) => ![...readFileSync(join(ROOT, n.doc), 'utf8').matchAll(PATH)].some(([, p]) => n.path.test(p!)));
    expect(
      unused.map((n) => `${n.doc}: ${n.path}`),
      'exceptions no doc needs any more',
    ).to.deep.equal([]);
  });

  it('the README, docs/ and the examples describe the tool, not the history of the work', () => {
    const found: string[] = [];
    for (const doc of DOCS) {
      readFileSync(join(ROOT, doc), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const h of HISTORY) {
            const m = line.match(h.phrase);
            if (m) found.push(`${doc}:${i + 1}: ${h.what}: "${m[0]}"`);
          }
        });
    }
    if (found.length > 0) expect.fail(`history in the docs (history lives in git; figures come from npm run bench):\n${found.join('\n')}`);
  });
});
