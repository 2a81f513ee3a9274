import { Command } from 'commander';
import { loadGraph } from '../model/load.ts';
import { type ValidateReport, readNamedInputs, validateModel } from '../run/validate.ts';
import { formatTable } from '../report/table.ts';
import { linkOption } from './device-options.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('run many inputs on a board and compare every output bit for bit with the host reference')
    .argument('<model>', 'model file (.tflite)')
    .requiredOption('--inputs <path>', 'a raw file of inputs back to back, a .npy with a batch dimension, or a directory of .bin/.npy files')
    .option('-t, --target <target>', 'target (see `tinyforge targets`)', 'cortex-m4')
    .option('-b, --board <board>', 'emulated board to start (default: the target\'s), or with --port the real board')
    .option('-p, --port <port>', 'serial port of a board already flashed with this model (tinyforge flash)')
    .option('--link <link>', 'emulated boards: the UART over a pseudo-terminal (pty) or the emulator\'s stdio (stdio)', 'pty')
    .option('--timeout <seconds>', 'limit for one inference on the board', '120')
    .option('--json', 'print one JSON object on stdout')
    .action(async (modelPath: string, opts: { inputs: string; target: string; board?: string; port?: string; link: string; timeout: string; json?: boolean }) => {
      const inputs = readNamedInputs(loadGraph(modelPath), opts.inputs);
      const report = await validateModel(modelPath, {
        target: opts.target, board: opts.board, port: opts.port, inputs, link: linkOption(opts.link),
        timeoutMs: Number(opts.timeout) * 1000, progress: (m) => process.stderr.write(`${m}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatValidateReport(report)}\n`);
      if (report.matched !== report.total) process.exitCode = 3;
    });
}

function formatValidateReport(r: ValidateReport): string {
  const rows = r.cases.map((c) => {
    let detail = '';
    if (c.firstMismatch) {
      const m = c.firstMismatch;
      detail = `output ${m.output}[${m.index}]: expected ${m.expected}, got ${m.actual}`;
      const l = c.firstDifferingLayer;
      if (l) detail += `; first differing layer #${l.index} ${l.op} (tensor ${l.tensor} "${l.name}"[${l.element}]: expected ${l.expected}, got ${l.actual})`;
      else if (l === null) detail += '; every layer output matched when read alone';
    }
    return [c.input, c.match ? 'yes' : 'NO', c.count, detail];
  });
  const table = formatTable(['input', 'bit-exact', r.counter.kind, 'first mismatch'], rows);
  const verdict = r.matched === r.total
    ? `all ${r.total} inputs bit-exact with the host reference on ${r.board ?? r.target}`
    : `MISMATCH: ${r.total - r.matched} of ${r.total} inputs differ from the host reference on ${r.board ?? r.target}`;
  return `${table}\n\n${verdict}`;
}
