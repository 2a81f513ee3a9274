import { expect } from 'chai';
import { TinyforgeError } from '../../src/errors.ts';
import type { CounterSpec } from '../../src/build/targets.ts';
import { parseHarnessOutput } from '../../src/device/harness-output.ts';

const counter: CounterSpec = { kind: 'instructions', source: 'SysTick x 40 under QEMU -icount shift=0', countsPerTick: 40 };
const parse = (log: string, expectedCases?: number) => parseHarnessOutput(log, 'qemu-test', counter, expectedCases);
const lines = (...l: string[]) => `${l.join('\n')}\n`;
const HELLO = 'TF HELLO model=hello_world_int8 counter=systick';
const MEM = 'TF MEM arena=676 stack=412 stack_invoke=96';

describe('device: harness output', () => {
  it('reads cases, layers and memory', () => {
    const run = parse(
      lines(HELLO, 'TF CASE 0 TICKS 12 OUT 7f80', 'TF LAYER 0 0 TICKS 5', 'TF LAYER 0 1 TICKS 6', 'TF CASE 1 TICKS 13 OUT 0001', MEM, 'TF DONE'),
      2,
    );
    expect(run.model).to.equal('hello_world_int8');
    expect(run.cases).to.have.length(2);
    expect(Array.from(run.cases[0].outputs)).to.deep.equal([0x7f, 0x80]);
    expect(run.cases[0]).to.include({ index: 0, ticks: 12, count: 480, instructions: 480 });
    expect(run.cases[0].layers).to.deep.equal([{ index: 0, ticks: 5, count: 200 }, { index: 1, ticks: 6, count: 240 }]);
    expect(run.cases[1].layers).to.deep.equal([]);
    expect(run.memory).to.deep.equal({ arena: 676, stack: 412, stackInvoke: 96 });
    expect(run.counter.kind).to.equal('instructions');
  });

  it('gives no instruction figure for a cycle counter', () => {
    const run = parseHarnessOutput(lines(HELLO, 'TF CASE 0 TICKS 7 OUT 00', MEM, 'TF DONE'), 'real', { ...counter, kind: 'cycles', countsPerTick: 1 });
    expect(run.cases[0].count).to.equal(7);
    expect(run.cases[0].instructions).to.equal(undefined);
  });

  it('tolerates CR LF line ends and blank lines', () => {
    expect(parse(`${HELLO}\r\n\r\nTF CASE 0 TICKS 1 OUT ab\r\n${MEM}\r\nTF DONE\r\n`).cases).to.have.length(1);
  });

  const rejects = (log: string, pattern: RegExp, expectedCases?: number) =>
    expect(() => parse(log, expectedCases)).to.throw(TinyforgeError, pattern);

  it('quotes garbage with its line number', () => {
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT ab', '\u0000\u00ffgarbage', MEM, 'TF DONE'), /qemu-test: console line 3: unexpected output "\\u0000ÿgarbage"/);
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT abc', MEM, 'TF DONE'), /console line 2: bad output hex "abc"/);
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT AB', MEM, 'TF DONE'), /console line 2: unexpected output/);
    rejects(lines(HELLO, 'TF CASE 0 TICKS 99999999999999999999 OUT ab', MEM, 'TF DONE'), /console line 2: bad number "99999999999999999999"/);
  });

  it('reports lines that are missing or out of order', () => {
    rejects('', /no TF HELLO from the firmware/);
    rejects(lines('TF CASE 0 TICKS 1 OUT ab'), /console line 1: expected TF HELLO first/);
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT ab'), /firmware stopped before TF DONE; last line: "TF CASE 0 TICKS 1 OUT ab"/);
    rejects(lines(HELLO, 'TF DONE'), /no TF MEM line/);
    rejects(lines(HELLO, 'TF CASE 1 TICKS 1 OUT ab', MEM, 'TF DONE'), /case 1 out of order \(expected 0\)/);
    rejects(lines(HELLO, 'TF LAYER 0 0 TICKS 1', MEM, 'TF DONE'), /layer timing for case 0 out of place/);
    rejects(lines(HELLO, HELLO, MEM, 'TF DONE'), /second TF HELLO \(did the board reset\?\)/);
    rejects(lines(HELLO, MEM, 'TF DONE', 'TF DONE'), /console line 4: output after TF DONE/);
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT ab', MEM, 'TF DONE'), /expected 2 case results, got 1/, 2);
  });

  it('surfaces the error the firmware reported, even after a torn line', () => {
    rejects(lines(HELLO, 'TF CASE 0 TICKS 1 OUT a', 'TF ERROR fault exception=0x00000003 pc=0x000007c6'), /^qemu-test: firmware reported: fault exception=0x00000003 pc=0x000007c6$/);
  });
});
