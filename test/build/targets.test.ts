// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../src/core/errors.ts';
import { TARGETS_DIR, boardOf, findBoard, listTargets, loadTarget, parseTargetDescriptor } from '../../src/core/targets/targets.ts';

describe('build/targets', () => {
  it('lists the descriptors in targets/ and every one loads and validates', () => {
    const names = listTargets();
    expect(names).to.include.members(['host', 'cortex-m3', 'cortex-m4', 'cortex-m7']);
    for (const name of names) expect(loadTarget(name).name).to.equal(name);
  });

  it('describes the Cortex-M4 on the emulated MPS2 AN386 with the agreed flags and counter', () => {
    const m4 = loadTarget('cortex-m4');
    expect(m4.isa).to.deep.equal({ core: 'cortex-m4', thumb: true, dsp: true, fpu: 'fpv4-sp-d16' });
    expect(m4.toolchain.cflags).to.deep.equal([
      '-O2',
      '-mcpu=cortex-m4',
      '-mthumb',
      '-mfloat-abi=hard',
      '-mfpu=fpv4-sp-d16',
      '-std=c99',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-ffunction-sections',
      '-fdata-sections',
    ]);
    expect(m4.toolchain.ldflags).to.include.members(['--specs=nano.specs', '-Wl,--gc-sections']);
    expect(m4.memory).to.deep.equal({
      flash: { origin: 0, bytes: 4 << 20 },
      ram: { origin: 0x20000000, bytes: 4 << 20 },
      stackBytes: 65536,
    });
    const board = boardOf(m4);
    expect(board?.name).to.equal('qemu-mps2-an386');
    expect(board?.counter).to.deep.equal({
      kind: 'instructions',
      source: 'SysTick x 40 under QEMU -icount shift=0',
      countsPerTick: 40,
    });
    expect(board?.emulator?.args).to.include.members(['-icount', 'shift=0', 'enable=on,target=native', '{elf}']);
  });

  it('gives the host target the sanitizer flags and no board', () => {
    const host = loadTarget('host');
    expect(host.toolchain.cflags).to.deep.equal(['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1']);
    expect(host.toolchain.sanitizeFlags).to.deep.equal(['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g']);
    expect(host.memory).to.equal(null);
    expect(boardOf(host)).to.equal(undefined);
  });

  it('finds a board by name across targets', () => {
    expect(findBoard('qemu-mps2-an385').target.name).to.equal('cortex-m3');
    expect(() => findBoard('qemu-nope')).to.throw(TinyforgeError, /unknown board 'qemu-nope'.*qemu-mps2-an386/);
  });

  it('rejects unknown targets and boards with the known names', () => {
    expect(() => loadTarget('cortex-m99')).to.throw(TinyforgeError, /unknown target 'cortex-m99' \(known: .*cortex-m4/);
    expect(() => loadTarget('../package')).to.throw(TinyforgeError, /unknown target/);
    expect(() => boardOf(loadTarget('cortex-m4'), 'qemu-mps2-an385')).to.throw(TinyforgeError, /cortex-m4 has no board 'qemu-mps2-an385'/);
  });

  describe('validation', () => {
    const good = () => JSON.parse(readFileSync(join(TARGETS_DIR, 'cortex-m4.json'), 'utf8'));
    const parse = (raw: unknown) => () => parseTargetDescriptor(raw, 'bad.json');

    it('names the file and the field that is wrong', () => {
      const wrongType = good();
      wrongType.toolchain.cflags = '-O2';
      expect(parse(wrongType)).to.throw(TinyforgeError, 'bad.json: toolchain.cflags must be an array');

      const wrongKind = good();
      wrongKind.boards[0].counter.kind = 'seconds';
      expect(parse(wrongKind)).to.throw(TinyforgeError, 'bad.json: boards[0].counter.kind must be one of instructions, cycles');

      const typo = good();
      typo.isa.dps = true;
      expect(parse(typo)).to.throw(TinyforgeError, 'bad.json: unknown field isa.dps');

      const noElf = good();
      noElf.boards[0].emulator.args = ['-M', 'mps2-an386'];
      expect(parse(noElf)).to.throw(TinyforgeError, /emulator\.args must be a list containing "\{elf\}"/);

      const badDefault = good();
      badDefault.defaultBoard = 'qemu-other';
      expect(parse(badDefault)).to.throw(TinyforgeError, 'defaultBoard must be the name of one of its boards');

      const noMemory = good();
      noMemory.memory = null;
      expect(parse(noMemory)).to.throw(TinyforgeError, 'memory must be present for an embedded target');
    });

    it('accepts the descriptor as shipped', () => {
      expect(parse(good())).not.to.throw();
    });
  });
});
