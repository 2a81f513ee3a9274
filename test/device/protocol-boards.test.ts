// SPDX-License-Identifier: Apache-2.0
/**
 * End to end over the device protocol on every emulated board in targets/ (a loop, so boards added
 * later are covered): the real models of ../shared/models in a profile build, over the board's UART
 * as a pseudo-terminal (the real-port path): HELLO, inputs written in frames, INVOKE, outputs
 * bit-exact with the recorded TFLite Micro outputs, per-layer counters that add up to the total,
 * and memory read back against the compile-time plan.
 */
import { expect } from 'chai';
import { listTargets, loadTarget, type BoardDescriptor, type TargetDescriptor } from '../../src/core/targets/targets.ts';
import { loadGraph } from '../../src/core/model/load.ts';
import { compileGraph } from '../../src/core/compile.ts';
import { withSession } from '../../src/lab/device/session.ts';
import { withDeviceBuild } from '../../src/lab/run/device-build.ts';
import { goldenCases, sharedModelPath, sharedModelsAvailable } from '../helpers/shared.ts';
import { requireTools } from '../build/helpers.ts';
import { xtensaToolsMissing } from '../helpers/xtensa.ts';
import { skipAbsent } from '../helpers/absent.ts';

/** Every emulated board (QEMU over a pty, or in process such as rp2040js), with its target. */
function emulatedBoards(): { target: TargetDescriptor; board: BoardDescriptor }[] {
  return listTargets()
    .map(loadTarget)
    .filter((t) => t.firmware !== 'host' && t.memory !== null)
    .flatMap((target) => target.boards.filter((b) => b.emulated && b.emulator).map((board) => ({ target, board })));
}

/** models and how many of their golden cases run (person_detect is slow on boards without DSP) */
const MODELS: [string, number][] = [
  ['micro_speech', 4],
  ['person_detect', 1],
];

describe('device protocol: real models on every emulated board, over its serial line (a pty for QEMU)', function () {
  before(function () {
    sharedModelsAvailable(this);
    requireTools(this, ['arm-none-eabi-gcc', 'qemu-system-arm']);
  });

  for (const { target, board } of emulatedBoards()) {
    for (const [model, caseCount] of MODELS) {
      it(`${board.name} (${target.name}): ${model}`, async function () {
        const missing = target.firmware === 'xtensa' ? xtensaToolsMissing(target.name) : null;
        if (missing) skipAbsent(missing, `skipping ${board.name} (${target.name})`, this, false);
        const graph = loadGraph(sharedModelPath(model));
        const golden = goldenCases(model).slice(0, caseCount);
        const ram = target.memory!.ram.bytes;
        const arena = compileGraph(graph, model).plan.arenaBytes;
        const weights = graph.tensors.filter((t) => t.data).reduce((n, t) => n + t.data!.length, 0);
        if (arena + target.memory!.stackBytes > ram || weights > target.memory!.flash.bytes) {
          console.warn(`  NOTICE: ${model} (arena ${arena}, weights ${weights} bytes) does not fit ${board.name} (RAM ${ram}): skipped`);
          this.skip();
        }
        await withDeviceBuild(graph, sharedModelPath(model), { target: target.name, board: board.name }, async ({ compiled, build }) => {
          await withSession({ board: board.name, elf: build.elf, link: 'pty' }, async (session) => {
            const hello = session.hello;
            expect(hello).to.deep.include({ target: target.name, board: board.name, model: graph.name, coreClockHz: board.clockHz, buildId: build.buildId });
            expect(hello).to.deep.include({ profile: true, arenaKnown: true, numLayers: compiled.prepared.layers.length });
            const activeLayers = compiled.prepared.layers.filter((l) => !l.isAlias).length;
            for (const c of golden) {
              await session.resetState();
              await session.writeInputs(c.input);
              const invoked = await session.invoke(1);
              expect(Array.from(await session.readOutputs()), `${c.name} outputs`).to.deep.equal(Array.from(c.output));
              expect(invoked.firstTicks, 'counter').to.be.greaterThan(0);

              const layers = await session.readLayers();
              const rawSum = layers.ticks.reduce((a, b) => a + b, 0);
              const { insideTicks, pairTicks } = layers.calibration;
              // The total also holds each hook pair's outside part (measured on the device), each
              // layer's call into its kernel (up to 64 counts) and the invoke's own call (up to 200);
              // every figure can be off by one tick.
              const unexplained = invoked.firstTicks - rawSum - activeLayers * (pairTicks - insideTicks);
              const cpt = session.counter.countsPerTick;
              const allowance = activeLayers * (1 + 64 / cpt) + 3 + 200 / cpt;
              expect(unexplained, `${c.name}: total ${invoked.firstTicks}, layers ${rawSum} ticks`).to.be.within(-(activeLayers + 3), allowance);
              compiled.prepared.layers.forEach((l, i) => {
                if (l.isAlias) expect(layers.ticks[i], `alias layer ${i}`).to.equal(0);
              });
            }
            const memory = await session.readMemory();
            // Painting sees every byte any layer wrote. Tensors are written whole, so the arena is
            // used up to the end of the highest tensor, and at most to the plan's size; a scratch
            // buffer on top may be declared larger than its kernel writes.
            const tensorExtent = Math.max(...compiled.plan.buffers.filter((b) => b.scratchOf === undefined).map((b) => b.offset + b.bytes));
            const planExtent = Math.max(...compiled.plan.buffers.map((b) => b.offset + b.bytes));
            expect(memory.arenaPlanned).to.equal(compiled.plan.arenaBytes);
            if (tensorExtent === planExtent) expect(memory.arenaUsed, 'arena written == planned extent').to.equal(planExtent);
            else expect(memory.arenaUsed, 'arena written, scratch on top').to.be.within(tensorExtent, planExtent);
            expect(memory.stackInvoke).to.be.greaterThan(0).and.lessThan(memory.stackCapacity);
            expect(memory.stackHighWater).to.be.lessThan(memory.stackCapacity).and.lessThan(ram);
            expect(memory.stackCapacity).to.equal(target.memory!.stackBytes);
          });
        });
      });
    }
  }
});
