// SPDX-License-Identifier: Apache-2.0
/**
 * A small fixed slice of the serial-link campaign (`npm run fuzz:links`, docs/fuzzing.md): a few
 * sessions of every command through the fault-injecting relay, failing on any WRONG outcome (a
 * result that differs from a clean link's, an image reported flashed or started that the device
 * does not hold, an error that is not one clean line, a hang). Also the real CLI through the relay,
 * so that what a user sees of a lying link is checked too: a result, or one `error:` line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { requireTools, scratchDir } from '../build/helpers.ts';
import { sharedModelsAvailable } from '../helpers/shared.ts';
import { tinyforgeAsync } from '../cli/async-cli.ts';
import { FakeBootloader, startPtyPair } from '../device/stm32-fake-bootloader.ts';
import { SerialTransport } from '../../src/device/transport/serial.ts';
import { type LinkCommand, formatTable, runCampaign } from './campaign.ts';
import { FaultRelay, drawPlan, Prng } from './relay.ts';

/** seed and sessions per command: about 60 s in all on the 2-core CI machine */
const SEED = 7;
const SESSIONS: Record<LinkCommand, number> = { run: 3, validate: 3, profile: 3, 'flash-an3155': 4, 'flash-esp': 4, 'flash-uf2': 4 };
/** sessions at once: the flashes mostly wait; rp2040js sessions use the CPU */
const JOBS: Record<LinkCommand, number> = { run: 1, validate: 1, profile: 1, 'flash-an3155': 2, 'flash-esp': 2, 'flash-uf2': 2 };

describe('fuzz:links: serial links that lie (a fixed slice of the campaign)', function () {
  this.timeout(600_000);

  before(function () {
    requireTools(this, ['socat']);
  });

  for (const command of ['flash-an3155', 'flash-esp', 'flash-uf2', 'run', 'validate', 'profile'] as const) {
    it(`${command}: ${SESSIONS[command]} sessions, none WRONG`, async function () {
      // the protocol commands and UF2 (verified by the rebooted harness) need the firmware built
      if (['run', 'validate', 'profile', 'flash-uf2'].includes(command)) {
        if (!sharedModelsAvailable(this)) return;
        requireTools(this, ['arm-none-eabi-gcc']);
      }
      const summaries = await runCampaign({ seed: SEED, sessions: SESSIONS[command], commands: [command], sessionLimitMs: 300_000, jobs: JOBS[command] });
      const wrong = summaries.flatMap((s) => s.wrong);
      expect(wrong.map((w) => `${w.command} #${w.index}: ${w.message}\n${w.log ?? ''}`).join('\n'), formatTable(summaries)).to.equal('');
      expect(summaries[0]!.sessions).to.equal(SESSIONS[command]);
    });
  }

  describe('the CLI through the relay', () => {
    let scratch: ReturnType<typeof scratchDir>;
    before(() => {
      scratch = scratchDir('fuzz-links-cli');
    });
    after(() => scratch?.cleanup());

    it('flash over a lying AN3155 link: the image verified and started, or one error: line and not started', async () => {
      const image = Uint8Array.from({ length: 1200 }, (_, i) => (i * 7 + 1) & 0xff);
      const bin = join(scratch.dir, 'app.bin');
      writeFileSync(bin, image);
      const links: [string, string] = [join(scratch.dir, 'host'), join(scratch.dir, 'relay')];
      for (let session = 0; session < 2; session++) {
        const pair = await startPtyPair();
        const fake = await FakeBootloader.open(pair.device, { productId: 0x0413 });
        const deviceSide = await SerialTransport.open(pair.host);
        let listener: ((b: Uint8Array) => void) | null = null;
        deviceSide.onData((b) => listener?.(b));
        const seed = 1000 + session;
        const relay = await FaultRelay.start(
          links,
          { write: (b) => void deviceSide.write(b).catch(() => {}), onData: (l) => (listener = l) },
          { ...drawPlan(new Prng(seed), 4000), corrupt: 0.002, unplugAfterBytes: session === 1 ? 900 : null, replugAfterMs: null },
          seed,
        );
        try {
          const r = await tinyforgeAsync(['flash', bin, '--port', links[0], '--json'], 90_000);
          const held = Buffer.from(fake.memory.subarray(0, image.length)).equals(Buffer.from(image));
          if (r.status === 0) {
            expect(JSON.parse(r.stdout).flash.verified).to.equal(true);
            expect(held, 'reported flashed: the device holds the image').to.equal(true);
            expect(fake.goAddress).to.equal(0x08000000);
          } else {
            const lines = r.stderr.trim().split('\n');
            expect(
              lines.filter((l) => l.startsWith('error: ')),
              r.stderr,
            ).to.have.length(1);
            expect(lines[lines.length - 1]).to.match(/^error: /);
            expect(r.stderr).to.not.match(/internal error|\n\s+at /);
            if (fake.goAddress !== null) expect(held, 'started: the device holds the image').to.equal(true);
          }
          if (session === 1) expect(r.status, 'unplugged mid-transfer').to.equal(1);
        } finally {
          await relay.stop();
          await deviceSide.close().catch(() => {});
          await fake.close().catch(() => {});
          pair.kill();
        }
      }
    });
  });
});
