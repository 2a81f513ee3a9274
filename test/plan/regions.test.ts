// SPDX-License-Identifier: Apache-2.0
/**
 * The arena over internal SRAM and PSRAM (src/core/plan/regions.ts): a model that fits stays in one
 * internal arena; one over the internal limit (--max-ram on a board with PSRAM) moves its coldest
 * buffers to a second arena, never its inputs, outputs or variables, and trades no kernel for it;
 * the C declares the second arena for ESP-IDF's external .bss and runs bit-exact on the host.
 */
import { expect } from 'chai';
import { compileGraph } from '../../src/core/compile.ts';
import { elementCount } from '../../src/core/ir/graph.ts';
import { interpret } from '../../src/core/ops/interpreter.ts';
import { TinyforgeError } from '../../src/core/errors.ts';
import { bufferPlacements, externalTraffic, touchesPerByte } from '../../src/core/plan/regions.ts';
import { externalRamOf, findBoard, loadTarget, memoryRegions } from '../../src/core/targets/targets.ts';
import { externalRamOptions } from '../../src/lab/toolchain/fit.ts';
import { withTargetBuild } from '../../src/lab/run/device-build.ts';
import { runOnHost } from '../../src/lab/device/host.ts';
import { planJson } from '../../src/face/report/json.ts';
import { requireTools } from '../build/helpers.ts';
import { randomInt8, rng } from '../helpers/op_harness.ts';
import { kwsDsCnn } from '../helpers/kws_model.ts';

const PSRAM = { name: 'PSRAM', bytes: 8 << 20, accessCost: 6 };
const XTENSA = loadTarget('esp32s3').isa;
const model = () => kwsDsCnn({ channels: 32, blocks: 2 });

describe('arena over internal SRAM and PSRAM', function () {
  const whole = compileGraph(model(), 'kws.tflite', { isa: XTENSA });

  it('boards give their regions a kind and an access cost; PSRAM only where the module has it', () => {
    const s3 = findBoard('esp32-s3-devkitc-1');
    expect(memoryRegions(s3.board).map((r) => [r.kind, r.bytes, r.accessCost])).to.deep.equal([
      ['internal-sram', 425984, 1],
      ['psram', 8 << 20, 6],
      ['flash', 8 << 20, 24],
    ]);
    expect(externalRamOf(s3.board)).to.deep.equal({ name: 'PSRAM', bytes: 8 << 20, accessCost: 6 });
    const wrover = findBoard('esp32-devkitc-wrover');
    expect(wrover.target.name).to.equal('esp32');
    expect(externalRamOf(wrover.board)).to.deep.equal({ name: 'PSRAM', bytes: 4 << 20, accessCost: 24 });
    // the internal limit without --max-ram: the chip's internal RAM less the stack and the harness
    expect(externalRamOptions(s3.target, s3.board).internalRam).to.equal(425984 - 16384 - 512);
    expect(externalRamOf(findBoard('qemu-xtensa-sim').board)).to.equal(undefined);
    expect(externalRamOptions(loadTarget('esp32c3'), findBoard('esp32-c3-devkitm-1').board)).to.deep.equal({});
  });

  it('a model that fits the internal limit keeps one internal arena', () => {
    const fits = compileGraph(model(), 'kws.tflite', { isa: XTENSA, externalRam: PSRAM, budget: { ram: whole.plan.arenaBytes } });
    expect(fits.plan.external).to.equal(undefined);
    expect(fits.plan.arenaBytes).to.equal(whole.plan.arenaBytes);
    expect(fits.generated.files.find((f) => f.role === 'source')!.text).to.not.include('_ext_arena');
    expect(planJson(fits.plan).external).to.equal(null);
  });

  it('--max-ram below the arena: the coldest buffers go to PSRAM, the internal arena fits, no kernel is traded', () => {
    const ram = Math.floor(whole.plan.arenaBytes / 2);
    const split = compileGraph(model(), 'kws.tflite', { isa: XTENSA, externalRam: PSRAM, budget: { ram } });
    const external = split.plan.external!;
    expect(external, split.plan.strategy).to.not.equal(undefined);
    expect(split.plan.arenaBytes).to.be.at.most(ram);
    expect(split.budget).to.equal(undefined); // the RAM budget moved buffers, not kernels
    expect(split.prepared.layers.map((l) => l.variant.name)).to.deep.equal(whole.prepared.layers.map((l) => l.variant.name));
    // every buffer in exactly one arena; the model's inputs and outputs inside
    const rows = bufferPlacements(split.prepared, split.plan);
    expect(rows.length).to.equal(whole.plan.buffers.length);
    const outside = rows.filter((r) => r.region === 'external');
    expect(outside.length).to.equal(external.buffers.length).and.be.greaterThan(0);
    for (const io of [...split.graph.inputs, ...split.graph.outputs]) {
      expect(split.plan.tensorOffset.has(io), `tensor ${io}`).to.equal(true);
      expect(external.tensorOffset.has(io), `tensor ${io}`).to.equal(false);
    }
    // the coldest per byte left first: the first buffer out is no hotter than any movable buffer inside it shared a layer with
    const coldestOutside = Math.min(...outside.map((r) => r.touchesPerByte));
    expect(Math.min(...external.buffers.map((b) => touchesPerByte(split.prepared, b)))).to.equal(coldestOutside);
    expect(coldestOutside).to.be.lessThan(Math.max(...rows.filter((r) => r.region === 'internal').map((r) => r.touchesPerByte)));
    expect(externalTraffic(split.prepared, split.plan)).to.be.greaterThan(0);
    const json = planJson(split.plan, split.prepared);
    expect(json.external!.region).to.equal('PSRAM');
    expect(json.external!.buffers.every((b) => b.region === 'external')).to.equal(true);
    expect(json.buffers.every((b) => b.region === 'internal')).to.equal(true);
  });

  it('refuses an internal limit under the buffers that must stay inside, and a split with --arena caller', () => {
    expect(() => compileGraph(model(), 'kws.tflite', { isa: XTENSA, externalRam: PSRAM, budget: { ram: 16 } })).to.throw(
      TinyforgeError,
      /kws\.tflite: the internal arena needs [\d,]+ bytes with every buffer that may move in PSRAM; over 16/,
    );
    const ram = Math.floor(whole.plan.arenaBytes / 2);
    expect(() => compileGraph(model(), 'kws.tflite', { isa: XTENSA, externalRam: PSRAM, budget: { ram }, arena: 'caller' })).to.throw(
      TinyforgeError,
      /--arena caller takes one arena/,
    );
  });

  it('the C declares the PSRAM arena with EXT_RAM_BSS_ATTR under ESP-IDF, nothing elsewhere', () => {
    const split = compileGraph(model(), 'kws.tflite', { isa: XTENSA, externalRam: PSRAM, budget: { ram: Math.floor(whole.plan.arenaBytes / 2) } });
    const header = split.generated.files.find((f) => f.role === 'header')!.text;
    const source = split.generated.files.find((f) => f.role === 'source')!.text;
    expect(header).to.include(`#define TF_KWS_DS_CNN_EXT_ARENA_BYTES ${Math.max(split.plan.external!.arenaBytes, split.plan.alignment)}u`);
    expect(header).to.match(
      /#if defined\(ESP_PLATFORM\)\n#include "esp_attr.h"\n#define TF_KWS_DS_CNN_EXT_ARENA_SECTION EXT_RAM_BSS_ATTR\n#else\n#define TF_KWS_DS_CNN_EXT_ARENA_SECTION\n#endif/,
    );
    expect(source).to.match(/static uint8_t tf_kws_ds_cnn_ext_arena\[\d+\] TF_ALIGNED\(16\) TF_KWS_DS_CNN_EXT_ARENA_SECTION;/);
    expect(source).to.include('(tf_kws_ds_cnn_ext_arena + TF_KWS_DS_CNN_');
  });

  it('outputs are bit-exact whatever the split (host build)', async function () {
    requireTools(this, ['gcc']);
    const graph = model();
    const rand = rng(43);
    const inputBytes = elementCount(graph.tensors[graph.inputs[0]!]!.shape);
    const cases = [0, 1].map(() => new Uint8Array(randomInt8(rand, inputBytes).buffer));
    const host = loadTarget('host');
    for (const share of [1, 2, 4]) {
      const compiled = compileGraph(graph, 'kws.tflite', {
        externalRam: PSRAM,
        budget: { ram: share === 1 ? whole.plan.arenaBytes : Math.floor(whole.plan.arenaBytes / share) },
      });
      if (share > 1) expect(compiled.plan.external, `1/${share}`).to.not.equal(undefined);
      const expected = cases.flatMap((c) => Array.from(interpret(compiled.prepared, [c]).outputs[0]!));
      const outputs = await withTargetBuild(compiled, host, undefined, { profile: false, progress: () => {} }, async ({ build }) =>
        runOnHost(build.elf, Uint8Array.from(cases.flatMap((c) => Array.from(c)))),
      );
      expect(Array.from(outputs.outputs), `internal limit 1/${share} of the arena`).to.deep.equal(expected);
    }
  });
});
