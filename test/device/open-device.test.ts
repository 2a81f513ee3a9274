// SPDX-License-Identifier: Apache-2.0
/**
 * The library's `openDevice` (src/index.ts): given a model it builds that model's harness and starts
 * the target's emulated board (rp2040js here: in process, no QEMU), or with a port checks that the
 * board there runs that very build; without anything to reach it says so in one line.
 */
import { expect } from 'chai';
import { openDevice, TinyforgeError } from '../../src/index.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { expectRejection, requireTools } from '../build/helpers.ts';
import { FakeDevice, type PtyPair, ptyPair } from './protocol-fakes.ts';

describe('library: openDevice', function () {
  it('refuses options that name no device, and the host target', async () => {
    await expectRejection(openDevice({}), /^openDevice: give a port, an elf \(with its board\) or a model$/);
    const e = await openDevice({ model: 'm.tflite', target: 'host' }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(TinyforgeError);
    expect((e as Error).message).to.match(/^target host has no device to talk to/);
  });

  describe('with a model', function () {
    let pair: PtyPair | undefined;
    before(function () {
      if (!sharedModelsAvailable(this)) return;
      requireTools(this, ['arm-none-eabi-gcc', 'socat']);
    });
    afterEach(() => {
      pair?.kill();
      pair = undefined;
    });

    it("builds the model's harness and starts the emulated board: one inference equals TFLite Micro's", async () => {
      const [golden] = goldenCases('hello_world_int8');
      const device = await openDevice({ model: sharedModelPath('hello_world_int8'), target: 'rp2040' });
      try {
        expect(device.hello).to.deep.include({ model: 'hello_world_int8', target: 'rp2040', board: 'rp2040js', profile: false });
        await device.resetState();
        await device.writeInputs(golden!.input);
        const invoked = await device.invoke(1);
        expect(invoked.firstTicks).to.be.above(0);
        expect(Array.from(await device.readOutputs())).to.deep.equal(Array.from(golden!.output));
      } finally {
        await device.close();
      }
    });

    it('with a port: a board running another build is refused, saying to flash it first', async () => {
      pair = await ptyPair();
      const fake = await FakeDevice.attach(pair.b);
      try {
        await expectRejection(
          openDevice({ model: sharedModelPath('hello_world_int8'), target: 'rp2040', port: pair.a }),
          new RegExp(`^${pair.a}: HELLO: the device runs build [0-9a-f]{16} of model fake_xor, not this build \\([0-9a-f]{16}\\): flash it first$`),
        );
      } finally {
        await fake.close();
      }
    });
  });
});
