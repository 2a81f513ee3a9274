// SPDX-License-Identifier: Apache-2.0
/** The terminal layout and color helpers (src/face/report/layout.ts, style.ts) and the stdout guard's color pass. */
import { expect } from 'chai';
import { columns, elide, factLines, wrap, wrapLines } from '../../src/face/report/layout.ts';
import { formatTable } from '../../src/face/report/table.ts';
import { PLAIN, STYLE_SEQUENCES, colorEnabled, styleFor } from '../../src/face/report/style.ts';
import { styledStdoutText } from '../../src/face/report/terminal_text.ts';
import { formatSummary } from '../../src/face/report/run.ts';

const widest = (text: string) => Math.max(...text.split('\n').map(columns));

describe('terminal layout: 100 columns, color only on a terminal', () => {
  it('wraps prose at word boundaries with a hanging indent, cutting a word wider than a line', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const wrapped = wrap(words, 40, 'label  ', '       ');
    expect(widest(wrapped)).to.be.at.most(40);
    expect(wrapped.split('\n')[1]).to.match(/^ {7}word/);
    expect(wrapped.replace(/\n +/g, ' ').replace(/^label {2}/, '')).to.equal(words);
    const path = `/${'x'.repeat(150)}`;
    expect(wrap(path, 100).split('\n').map(columns)).to.deep.equal([100, 51]);
    // a line that fits stays as it is, spaces and all; one that does not keeps its indent
    expect(wrapLines('a  b')).to.equal('a  b');
    expect(wrapLines(`  ${words}`, 50).split('\n')[1]).to.match(/^ {4}word/);
  });

  it('lines up labelled facts and wraps each value under itself', () => {
    const text = factLines([
      ['model', 'm.tflite'],
      ['est. energy', 'x '.repeat(80).trim()],
    ]);
    expect(widest(text)).to.be.at.most(100);
    expect(text.split('\n')[0]).to.equal('model        m.tflite');
    expect(text.split('\n')[2]).to.match(/^ {13}x/);
  });

  it('narrows a table in the free-text columns listed, eliding from their end or start', () => {
    const rows = [[1, 'a'.repeat(70), 'some/long/tensor/name/that/ends/in/weights', 'kernel']];
    const table = formatTable(['#', 'notes', 'name', 'kernel'], rows, undefined, {
      shrink: [
        { column: 1, min: 60 },
        { column: 2, from: 'start', min: 20 },
      ],
    });
    expect(widest(table)).to.be.at.most(100);
    expect(table).to.match(/a…  …/);
    expect(table).to.include('in/weights');
    expect(elide('abcdef', 4)).to.equal('abc…');
    expect(elide('abcdef', 4, 'start')).to.equal('…def');
    // without `fit` a table is as wide as its cells
    expect(widest(formatTable(['x'], [['y'.repeat(120)]]))).to.equal(120);
  });

  it('colors only a TTY without NO_COLOR, and the stdout guard lets exactly its sequences through', () => {
    expect(colorEnabled({ isTTY: true }, {})).to.equal(true);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).to.equal(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).to.equal(true);
    expect(colorEnabled({ isTTY: false }, {})).to.equal(false);
    expect(colorEnabled({}, {})).to.equal(false);
    const color = styleFor({ isTTY: true }, {});
    expect(color.bold('x')).to.equal('\x1b[1mx\x1b[22m');
    expect(styleFor({ isTTY: false }, {})).to.equal(PLAIN);
    // the summary's header bold and its verdict green, in a width that ignores the sequences
    const summary = formatSummary(
      { perInference: '840 instructions', cycleEstimate: null, arena: 32, stack: 68, flash: 4647, fits: { fits: true, board: 'b' } },
      color,
    );
    expect(summary).to.include('\x1b[32myes (b)\x1b[39m').and.include('\x1b[1mper inference');
    expect(widest(summary)).to.equal(
      widest(formatSummary({ perInference: '840 instructions', cycleEstimate: null, arena: 32, stack: 68, flash: 4647, fits: { fits: true, board: 'b' } })),
    );
    expect(formatSummary({ perInference: null, cycleEstimate: null, arena: 1, stack: null, flash: 1, fits: { fits: false, board: 'b' } }, color)).to.include(
      '\x1b[31mNO (b)\x1b[39m',
    );
    for (const s of STYLE_SEQUENCES) expect(styledStdoutText(`a${s}b`)).to.equal(`a${s}b`);
    // any other sequence, a model name's cursor move or title, is still shown as an escape
    expect(styledStdoutText('x\x1b[2Jy\x1b]0;t\x07')).to.equal('x\\u001b[2Jy\\u001b]0;t\\u0007');
  });
});
