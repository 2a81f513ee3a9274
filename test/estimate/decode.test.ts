// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { decodeThumb } from '../../src/lab/estimate/timing/thumb.ts';
import { decodeRv32 } from '../../src/lab/estimate/timing/rv32.ts';
import { decodeXtensa } from '../../src/lab/estimate/timing/xtensa.ts';
import type { InsnClass } from '../../src/lab/estimate/timing/classes.ts';

/** Little-endian bytes of a Thumb instruction as objdump prints it: "f7ff fffd" (halfwords in order). */
function thumb(hex: string): Uint8Array {
  return Uint8Array.from(hex.split(' ').flatMap((h) => [parseInt(h, 16) & 0xff, parseInt(h, 16) >>> 8]));
}

function rv(word: number, size: 2 | 4 = 4): Uint8Array {
  return Uint8Array.from(Array.from({ length: size }, (_, i) => (word >>> (8 * i)) & 0xff));
}

describe('estimate: instruction decoders', () => {
  // encodings from arm-none-eabi-as (-mcpu=cortex-m4 -mfpu=fpv4-sp-d16), as objdump prints them
  const thumbCases: [string, string, string, number?][] = [
    ['1888', 'adds r0, r1, r2', 'alu'],
    ['4348', 'muls r0, r1', 'mul'],
    ['6848', 'ldr r0, [r1, #4]', 'load'],
    ['4802', 'ldr r0, [pc, #8]', 'load'],
    ['6008', 'str r0, [r1]', 'store'],
    ['b5f0', 'push {r4-r7, lr}', 'stm', 5],
    ['bdf0', 'pop {r4-r7, pc}', 'ldmpc', 5],
    ['bc30', 'pop {r4, r5}', 'ldm', 2],
    ['d100', 'bne.n', 'branch'],
    ['b108', 'cbz r0', 'branch'],
    ['e7ff', 'b.n', 'jump'],
    ['4770', 'bx lr', 'indirect'],
    ['4487', 'add pc, r0', 'indirect'],
    ['4640', 'mov r0, r8', 'alu'],
    ['f7ff fffd', 'bl', 'call'],
    ['fb21 3002', 'smlad r0, r1, r2, r3', 'dsp'],
    ['fb91 f0f2', 'sdiv r0, r1, r2', 'div'],
    ['fb01 3002', 'mla r0, r1, r2, r3', 'mla'],
    ['fb01 f002', 'mul.w r0, r1, r2', 'mul'],
    ['fb82 0103', 'smull r0, r1, r2, r3', 'mull'],
    ['f8d1 0004', 'ldr.w r0, [r1, #4]', 'load'],
    ['f8c1 0004', 'str.w r0, [r1, #4]', 'store'],
    ['e9d1 2300', 'ldrd r2, r3, [r1]', 'load2'],
    ['e8b0 001e', 'ldmia.w r0!, {r1-r4}', 'ldm', 4],
    ['fa91 f002', 'sadd16 r0, r1, r2', 'simd'],
    ['fa2f f081', 'sxtb16 r0, r1', 'simd'],
    ['b248', 'sxtb r0, r1', 'alu'],
    ['f301 0007', 'ssat r0, #8, r1', 'alu'],
    ['bf08', 'it eq', 'it'],
    ['bf00', 'nop', 'other'],
    ['ee30 0a81', 'vadd.f32 s0, s1, s2', 'fpu'],
    ['ee80 0a81', 'vdiv.f32 s0, s1, s2', 'fdiv'],
    ['ed90 0a00', 'vldr s0, [r0]', 'fldst'],
    ['ed2d 8a04', 'vpush {s16-s19}', 'fldst', 4],
    ['f43f afd8', 'beq.w', 'branch'],
    ['f7ff bfd6', 'b.w', 'jump'],
    ['f3bf 8f5f', 'dmb sy', 'sys'],
    ['e8d0 f001', 'tbb [r0, r1]', 'table'],
  ];
  for (const [hex, text, cls, regs] of thumbCases) {
    it(`Thumb ${text} (${hex}) is ${cls}${regs ? ` of ${regs} registers` : ''}`, () => {
      const d = decodeThumb(thumb(hex));
      expect(d.cls).to.equal(cls);
      expect(d.size).to.equal(hex.includes(' ') ? 4 : 2);
      if (regs) expect(d.regs).to.equal(regs);
    });
  }

  it('marks pc-relative loads as literal loads', () => {
    expect(decodeThumb(thumb('4802')).literal).to.equal(true);
    expect(decodeThumb(thumb('6848')).literal).to.equal(false);
    expect(decodeThumb(thumb('f8df 0004')).literal).to.equal(true); // ldr.w r0, [pc, #4]
  });

  const rvCases: [number, 2 | 4, string, string][] = [
    [0x00c58533, 4, 'add a0, a1, a2', 'alu'],
    [0x02c58533, 4, 'mul a0, a1, a2', 'mul'],
    [0x02c59533, 4, 'mulh a0, a1, a2', 'mull'],
    [0x02c5c533, 4, 'div a0, a1, a2', 'div'],
    [0x0005a503, 4, 'lw a0, 0(a1)', 'load'],
    [0x00a5a023, 4, 'sw a0, 0(a1)', 'store'],
    [0x00b50463, 4, 'beq a0, a1, +8', 'branch'],
    [0x008000ef, 4, 'jal ra, +8', 'call'],
    [0x0080006f, 4, 'j +8', 'jump'],
    [0x00008067, 4, 'ret (jalr x0, ra)', 'indirect'],
    [0x30002573, 4, 'csrr a0, mstatus', 'sys'],
    [0x4188, 2, 'c.lw a0, 0(a1)', 'load'],
    [0xc188, 2, 'c.sw a0, 0(a1)', 'store'],
    [0xa011, 2, 'c.j', 'jump'],
    [0xc111, 2, 'c.beqz a0', 'branch'],
    [0x8082, 2, 'c.jr ra (ret)', 'indirect'],
    [0x952e, 2, 'c.add a0, a1', 'alu'],
    [0x0505, 2, 'c.addi a0, 1', 'alu'],
  ];
  for (const [word, size, text, cls] of rvCases) {
    it(`RV32IMC ${text} is ${cls}`, () => {
      const d = decodeRv32(rv(word, size));
      expect(d.cls).to.equal(cls);
      expect(d.size).to.equal(size);
    });
  }

  // Xtensa: the instruction words as objdump prints them (most significant byte first), from
  // xtensa-esp32-elf-as; in memory (and in the trace) the bytes are little-endian
  const xtCases: [string, string, InsnClass][] = [
    ['822340', 'mull a2, a3, a4', 'mul'],
    ['d12340', 'mul16s a2, a3, a4', 'mul'],
    ['a22340', 'muluh a2, a3, a4', 'mull'],
    ['d22340', 'quos a2, a3, a4', 'div'],
    ['740234', 'mul.aa.ll a2, a3', 'mul'],
    ['780234', 'mula.aa.ll a2, a3', 'mla'],
    ['280004', 'mula.dd.ll m0, m2', 'mla'],
    ['081404', 'mula.dd.ll.ldinc m1, a4, m0, m2', 'mla'],
    ['800404', 'ldinc m0, a4', 'load'],
    ['018276', 'loop a2, +5', 'loop'],
    ['004136', 'entry a1, 32', 'alu'],
    ['0020c0', 'memw', 'sys'],
    ['03ea20', 'rsr.ccount a2', 'sys'],
    ['0002e0', 'callx8 a2', 'indirect'],
    ['ff9425', 'call8', 'call'],
    ['000086', 'j', 'jump'],
    ['fe1216', 'beqz a2', 'branch'],
    ['fe3031', 'l32r a3', 'load'],
    ['006722', 's32i a2, a7, 0', 'store'],
    ['f01d', 'retw.n', 'indirect'],
    ['f03d', 'nop.n', 'alu'],
    ['120c', 'movi.n a2, 1', 'alu'],
    ['0329', 's32i.n a2, a3, 0', 'store'],
    ['0728', 'l32i.n a2, a7, 0', 'load'],
  ];
  for (const [word, text, cls] of xtCases) {
    it(`Xtensa ${text} is ${cls}`, () => {
      const bytes = Uint8Array.from(
        word
          .match(/../g)!
          .map((h) => parseInt(h, 16))
          .reverse(),
      );
      const d = decodeXtensa(bytes);
      expect(d.cls).to.equal(cls);
      expect(d.size).to.equal(bytes.length);
      expect(d.literal).to.equal(text.startsWith('l32r'));
    });
  }
});
