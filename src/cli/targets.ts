import { Command } from 'commander';
import { listTargets, loadTarget } from '../build/index.ts';
import { formatTable } from '../report/table.ts';

export function targetsCommand(): Command {
  return new Command('targets')
    .description('list targets and their boards: memory, counter, real or emulated')
    .option('--json', 'print one JSON object on stdout')
    .action((opts: { json?: boolean }) => {
      const targets = listTargets().map(loadTarget);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ targets: targets.map((t) => ({ name: t.name, cpu: t.cpu, isa: t.isa, memory: t.memory, boards: t.boards.map((b) => ({ name: b.name, emulated: b.emulated, counter: b.counter })) })) })}\n`);
        return;
      }
      const rows = targets.flatMap((t) => {
        const mem = t.memory ? `${t.memory.flash.bytes / 1024} KiB / ${t.memory.ram.bytes / 1024} KiB` : 'host';
        const dsp = t.isa.dsp ? 'DSP' : '-';
        if (t.boards.length === 0) return [[t.name, t.cpu, dsp, mem, '(native build)', '-', 'compiled and run natively']];
        return t.boards.map((b) => [t.name, t.cpu, dsp, mem, b.name, b.counter.kind, b.emulated ? 'emulated' : 'real hardware']);
      });
      process.stdout.write(`${formatTable(['target', 'cpu', 'isa', 'flash / ram', 'board', 'counter', 'kind'], rows)}\n`);
    });
}
