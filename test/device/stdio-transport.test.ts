// SPDX-License-Identifier: Apache-2.0
/**
 * An emulator on a stdio pipe that dies at start: the request fails with the process's own exit and
 * last words, never the pipe's EPIPE, however the write and the exit race.
 */
import { spawn } from 'node:child_process';
import { StdioTransport } from '../../src/lab/device/transport/stdio.ts';
import { ProtocolClient } from '../../src/lab/device/protocol/client.ts';
import { Command, requests } from '../../src/lab/device/protocol/messages.ts';
import { expectRejection } from '../build/helpers.ts';

function dyingEmulator(delayS: string) {
  const child = spawn('sh', ['-c', `sleep ${delayS}; echo "emulator: the board is broken" >&2; exit 3`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let code: number | null = null;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('exit', (c) => (code = c));
  const transport = new StdioTransport(child, 'fake (sh stdio)', () => `fake exited with status ${code} (${stderr.trim()})`);
  return { child, transport };
}

describe('device: the stdio link to an emulator that exits', () => {
  it('a write that meets the closed pipe before the exit is reported waits for the exit', async () => {
    const { transport } = dyingEmulator('0');
    // the host busy while the emulator dies: its pipe is closed before Node has seen the exit
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const client = new ProtocolClient(transport, { timeoutMs: 200 });
    await expectRejection(
      client.request(Command.HELLO, requests.hello(), { step: 'HELLO', timeoutMs: 200, retries: 0 }),
      /^fake \(sh stdio\): HELLO: fake exited with status 3 \(emulator: the board is broken\)$/,
    );
  });

  for (const delay of ['0', '0.05', '0.3']) {
    it(`names the exit and what it printed, not the pipe's error (exit after ${delay} s)`, async () => {
      const { transport } = dyingEmulator(delay);
      const client = new ProtocolClient(transport, { timeoutMs: 200 });
      await expectRejection(
        client.request(Command.HELLO, requests.hello(), { step: 'HELLO', timeoutMs: 200, retries: 20 }),
        /^fake \(sh stdio\): HELLO: fake exited with status 3 \(emulator: the board is broken\)$/,
      );
    });
  }
});
