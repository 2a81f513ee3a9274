// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import type { InsnCount } from '../../src/lab/estimate/timing/classes.ts';
import {
  CORTEX_M0PLUS,
  CORTEX_M3,
  CORTEX_M33,
  CORTEX_M4,
  CORTEX_M55,
  CORTEX_M7,
  CORTEX_M85,
  RV32IMC_ESP32C3,
  XTENSA_LX6_ESP32,
  XTENSA_LX7_ESP32S3,
  ZERO_WAIT,
} from '../../src/lab/estimate/timing/cores.ts';
import { decodeXtensa } from '../../src/lab/estimate/timing/xtensa.ts';
import { decodeThumb } from '../../src/lab/estimate/timing/thumb.ts';
import { decodeRv32 } from '../../src/lab/estimate/timing/rv32.ts';
import { priceInstructions } from '../../src/lab/estimate/timing/index.ts';

function thumb(hex: string): Uint8Array {
  return Uint8Array.from(hex.split(' ').flatMap((h) => [parseInt(h, 16) & 0xff, parseInt(h, 16) >>> 8]));
}

/** A straight-line listing: each instruction's bytes and its (executed, taken) counts, laid out from 0x1000. */
function listing(items: [string, number, number?][]): InsnCount[] {
  let address = 0x1000;
  return items.map(([hex, executed, taken]) => {
    const bytes = thumb(hex);
    const insn = { address, bytes, executed, taken: taken ?? 0 };
    address += bytes.length;
    return insn;
  });
}

describe('estimate: per-core timing tables', () => {
  // a loop of 10 iterations: ldr, ldr, muls, adds, str, subs, bne (taken 9 times), then bx lr
  const loop = listing([
    ['6848', 10], // ldr r0, [r1, #4]
    ['688a', 10], // ldr r2, [r1, #8]
    ['4350', 10], // muls r0, r2
    ['1824', 10], // adds r4, r4, r0
    ['6008', 10], // str r0, [r1]
    ['3b01', 10], // subs r3, #1
    ['d1f8', 10, 9], // bne loop
    ['4770', 1], // bx lr
  ]);

  it('Cortex-M0+: loads and stores 2, ALU and MULS 1, a taken branch 2, BX 2', () => {
    const { cycles, instructions } = priceInstructions(loop, decodeThumb, CORTEX_M0PLUS, ZERO_WAIT);
    expect(instructions).to.equal(71);
    // 3 memory x 2 x 10 + 3 ALU x 10 + bne 10 + 9 taken + bx 2
    expect(cycles).to.equal(60 + 30 + 19 + 2);
  });

  it('Cortex-M4: the second of two neighbouring loads pipelines (1 cycle), STR 1, a taken branch 1+P', () => {
    const { cycles } = priceInstructions(loop, decodeThumb, CORTEX_M4, ZERO_WAIT);
    // ldr 2 + ldr 1 + muls 1 + adds 1 + str 1 + subs 1 = 7 per iteration; bne 10 + 1 x 9 taken; bx 1+P = 2
    expect(cycles).to.equal(70 + 19 + 2);
  });

  it('Cortex-M4: a load pipelines only after a single load that did not write its address register (TRM "Load/store timings")', () => {
    const afterStore = listing([
      ['6008', 10], // str r0, [r1]
      ['688a', 10], // ldr r2, [r1, #8]: nothing pipelines after a store, 2
    ]);
    expect(priceInstructions(afterStore, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(10 + 20);
    const chained = listing([
      ['6808', 10], // ldr r0, [r1]
      ['6802', 10], // ldr r2, [r0]: its address is the load before's result, 2
      ['684b', 10], // ldr r3, [r1, #4]: independent of r2, 1
      ['f851 4023', 10], // ldr.w r4, [r1, r3, lsl #2]: indexed by the load before's result, 2
    ]);
    expect(priceInstructions(chained, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(20 + 20 + 10 + 20);
    // the Cortex-M33 keeps a load after any single load or store at 1 (its RP2350 measurements)
    expect(priceInstructions(afterStore, decodeThumb, CORTEX_M33, ZERO_WAIT).cycles).to.equal(10 + 10);
  });

  it('PUSH/POP count every register, pc and lr included (1+N; POP pc 3+N on the M0+, 1+N+P on the M3)', () => {
    const frame = listing([
      ['b5f0', 1], // push {r4-r7, lr}
      ['bdf0', 1], // pop {r4-r7, pc}
    ]);
    expect(priceInstructions(frame, decodeThumb, CORTEX_M0PLUS, ZERO_WAIT).cycles).to.equal(6 + 8);
    expect(priceInstructions(frame, decodeThumb, CORTEX_M3, ZERO_WAIT).cycles).to.equal(6 + 7);
  });

  it('Cortex-M3 prices MLA 2 and long multiplies 4 where the M4 takes 1', () => {
    const mults = listing([
      ['fb01 3002', 5], // mla
      ['fb82 0103', 5], // smull
    ]);
    expect(priceInstructions(mults, decodeThumb, CORTEX_M3, ZERO_WAIT).cycles).to.equal(10 + 20);
    expect(priceInstructions(mults, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(10);
  });

  it('Cortex-M7 dual-issues every second instruction of a pairable run, never two loads (banks unknown)', () => {
    const alu = listing([
      ['1888', 4], // adds
      ['1888', 4],
      ['1888', 4],
      ['1888', 4],
    ]);
    // the 2nd, 3rd and 4th follow a pairable one: each pairs half its executions
    expect(priceInstructions(alu, decodeThumb, CORTEX_M7, ZERO_WAIT).cycles).to.equal(4 + 3 * 2);
    const loads = listing([
      ['6848', 4],
      ['688a', 4],
    ]);
    expect(priceInstructions(loads, decodeThumb, CORTEX_M7, ZERO_WAIT).cycles).to.equal(8);
  });

  it('Cortex-M7 pairs as measured on an STM32H743: load+store and ALU+SMLAD pair, multiply+store and SIMD second do not', () => {
    // jnk0le/random "pipeline cycle test/doc/cortex_m7.md" (DWT cycle counts)
    const pair = (first: string, second: string) =>
      priceInstructions(
        listing([
          [first, 4],
          [second, 4],
        ]),
        decodeThumb,
        CORTEX_M7,
        ZERO_WAIT,
      ).cycles;
    expect(pair('6848', '6008')).to.equal(4 + 2); // ldr, str: pair
    expect(pair('1888', 'fb21 3002')).to.equal(4 + 2); // adds, smlad: a MAC pairs in either slot
    expect(pair('4350', '6008')).to.equal(4 + 4); // muls, str: no
    expect(pair('fb21 3002', '4350')).to.equal(4 + 4); // two multiplies: no
    expect(pair('1888', 'fa81 f042')).to.equal(4 + 4); // adds, uadd8: SIMD only as the first of two
    expect(pair('fa81 f042', '1888')).to.equal(4 + 2); // uadd8, adds: pair
    // PUSH/POP/LDM/STM of N registers: ceil(N/2) cycles (64-bit bus), not 1+ceil(N/2)
    expect(priceInstructions(listing([['b5f0', 1]]), decodeThumb, CORTEX_M7, ZERO_WAIT).cycles).to.equal(3);
  });

  it('Cortex-M33 reproduces DWT loop measurements on an RP2350 (jnk0le/random, cortex_m33.md)', () => {
    // a two-instruction loop, 10 iterations: subs (1) + bne (2 taken, 0 not taken: it dual-issues
    // with the 16-bit subs) = 3 cycles an iteration, the last 1
    const countdown = listing([
      ['3f01', 10], // subs r7, #1
      ['d1fd', 10, 9], // bne loop
    ]);
    expect(priceInstructions(countdown, decodeThumb, CORTEX_M33, ZERO_WAIT).cycles).to.equal(9 * 3 + 1);
    // subs (1), ldmia r6!, {r0-r3} (4: N, not 1+N), bne (1 taken after a 16-bit load, which sets no
    // flags) = 6 an iteration as measured; the M4 table gives 1 + 5 + 2 = 8
    const block = listing([
      ['3f01', 10], // subs r7, #1
      ['ce0f', 10], // ldmia r6!, {r0-r3}
      ['d1fc', 10, 9], // bne loop
    ]);
    expect(priceInstructions(block, decodeThumb, CORTEX_M33, ZERO_WAIT).cycles).to.equal(9 * 6 + 5);
    expect(priceInstructions(block, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(9 * 8 + 7);
    // LDRD 2 (M4: 3), PUSH of 5 registers 5 (M4: 6), 16-bit MULS 2, 32-bit MUL 1
    const misc = listing([
      ['e9d2 0100', 1], // ldrd r0, r1, [r2]
      ['b5f0', 1], // push {r4-r7, lr}
      ['4350', 1], // muls r0, r2
      ['fb00 f002', 1], // mul.w r0, r0, r2
    ]);
    expect(priceInstructions(misc, decodeThumb, CORTEX_M33, ZERO_WAIT).cycles).to.equal(2 + 5 + 2 + 1);
    expect(priceInstructions(misc, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(3 + 6 + 1 + 1);
  });

  it('Cortex-M4 against a published DWT measurement: a 4-instruction loop, 3 iterations, 16 cycles', () => {
    // compendium.i-0.nl "Branch timing": mov, mov, then (add, sub, cmp, bne) x 3, the bne taken twice:
    // 14 instructions, 16 cycles measured (narrow loop start, so no unaligned-target cycle)
    const routine = listing([
      ['4602', 1], // mov r2, r0
      ['2001', 1], // movs r0, #1
      ['4410', 3], // add r0, r2
      ['3901', 3], // subs r1, #1
      ['2900', 3], // cmp r1, #0
      ['d1fb', 3, 2], // bne loop
    ]);
    const { cycles, instructions } = priceInstructions(routine, decodeThumb, CORTEX_M4, ZERO_WAIT);
    expect(instructions).to.equal(14);
    expect(cycles).to.equal(16);
  });

  it('Cortex-M4: a branch to an unaligned 32-bit instruction refills for one more cycle', () => {
    // the same routine with a 32-bit loop head (mul.w) at an address 2 mod 4, entered twice by the bne
    const routine = listing([
      ['bf00', 1], // nop: puts the loop head at 0x1006
      ['4602', 1], // mov r2, r0
      ['2001', 1], // movs r0, #1
      ['fb00 f002', 3], // mul.w r0, r0, r2
      ['3901', 3], // subs r1, #1
      ['2900', 3], // cmp r1, #0
      ['d1fa', 3, 2], // bne loop
    ]);
    expect(routine[3]!.address % 4).to.equal(2);
    expect(priceInstructions(routine, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles).to.equal(1 + 16 + 2);
  });

  it('flash wait states: per fetch word and taken branch without an accelerator, literal loads pay them too', () => {
    const code = listing([
      ['4802', 2], // ldr r0, [pc, #8]: a literal load
      ['d1fd', 2, 1], // bne, taken once
    ]);
    const memory = { perFetchWord: 3, perTakenBranch: 3, perFlashRead: 3, codeInFlash: true };
    const base = priceInstructions(code, decodeThumb, CORTEX_M4, ZERO_WAIT).cycles;
    // 4 halfword fetches = 2 words x 3, one taken branch x 3, two literal loads x 3
    expect(priceInstructions(code, decodeThumb, CORTEX_M4, memory).cycles).to.equal(base + 6 + 3 + 6);
  });

  it('Cortex-M55 and M85: MVE instructions overlap across vector pipes and wait on the same pipe (LLVM ARMScheduleM55.td)', () => {
    // the model's two sequences (encodings from arm-none-eabi-as -mcpu=cortex-m55):
    // VLDR; VADD; VMUL; VSTR issue in 4 consecutive cycles, the beats of each overlapping the next
    const overlapping = listing([
      ['ed90 1f00', 1], // vldrw.u32 q0, [r0]
      ['ef20 2840', 1], // vadd.i32 q1, q0, q0
      ['ef22 4952', 1], // vmul.i32 q2, q1, q1
      ['ed81 5f00', 1], // vstrw.32 q2, [r1]
    ]);
    // VLDR; VLDRB; VADD; VSTR: the second load waits for the load/store pipe, 5 cycles
    const twoLoads = listing([
      ['ed90 1f00', 1], // vldrw.u32 q0, [r0]
      ['ed92 7e00', 1], // vldrb.u8 q3, [r2]
      ['ef20 2840', 1], // vadd.i32 q1, q0, q0
      ['ed81 5f00', 1], // vstrw.32 q2, [r1]
    ]);
    for (const core of [CORTEX_M55, CORTEX_M85]) {
      expect(priceInstructions(overlapping, decodeThumb, core, ZERO_WAIT).cycles, core.core).to.equal(4);
      expect(priceInstructions(twoLoads, decodeThumb, core, ZERO_WAIT).cycles, core.core).to.equal(5);
    }
    // a scalar load right after a vector load shares the load/store unit: 1 more (LDR itself 1, pipelined)
    const scalarAfter = listing([
      ['ed90 1f00', 1], // vldrw.u32 q0, [r0]
      ['6808', 1], // ldr r0, [r1]
    ]);
    expect(priceInstructions(scalarAfter, decodeThumb, CORTEX_M55, ZERO_WAIT).cycles).to.equal(1 + 2);
  });

  it('Cortex-M55 and M85: a tail-predicated loop pays its LETP as a branch on the first iteration only', () => {
    // dlstp.8; then 10 iterations of vldrb, vldrb, vmladava, letp (taken 9 times)
    const loop = listing([
      ['f003 e001', 1], // dlstp.8 lr, r3
      ['ecb0 1e10', 10], // vldrb.u8 q0, [r0], #16
      ['ecb1 3e10', 10], // vldrb.u8 q1, [r1], #16
      ['eef0 2f22', 10], // vmladava.s8 r2, q0, q1
      ['f01f c009', 10, 9], // letp lr, loop
    ]);
    // dlstp 1; loads 10 + 10, the second waiting on the first's pipe (+10); the MAC on another pipe 10;
    // letp: the first taken as a branch (2), the 8 later taken ones from the loop cache (0), the exit 1
    for (const core of [CORTEX_M55, CORTEX_M85]) {
      expect(priceInstructions(loop, decodeThumb, core, ZERO_WAIT).cycles, core.core).to.equal(1 + 30 + 10 + 3);
    }
  });

  it('RV32IMC (ESP32-C3 class): a taken branch refills, a divide is iterative', () => {
    const rv = (word: number, size: number) => Uint8Array.from(Array.from({ length: size }, (_, i) => (word >>> (8 * i)) & 0xff));
    const code: InsnCount[] = [
      { address: 0x100, bytes: rv(0x00c58533, 4), executed: 10, taken: 0 }, // add
      { address: 0x104, bytes: rv(0x02c5c533, 4), executed: 1, taken: 0 }, // div
      { address: 0x108, bytes: rv(0x00b50463, 4), executed: 10, taken: 9 }, // beq
    ];
    expect(priceInstructions(code, decodeRv32, RV32IMC_ESP32C3, ZERO_WAIT).cycles).to.equal(10 + 33 + 10 + 18);
  });

  it('Xtensa LX6 (ESP32) and LX7 (ESP32-S3): a taken branch refills 3 / 0 cycles, a zero-overhead loop closes for free', () => {
    const xt = (word: string) =>
      Uint8Array.from(
        word
          .match(/../g)!
          .map((h) => parseInt(h, 16))
          .reverse(),
      );
    // a counted loop closed by a decrement and a taken branch: 5 cycles a pass on the ESP32 (pcm1723.hateblo.jp)
    const counted: InsnCount[] = [
      { address: 0x100, bytes: xt('120c'), executed: 10, taken: 0 }, // movi.n (the body)
      { address: 0x102, bytes: xt('fec2c2'), executed: 10, taken: 0 }, // addi a12, a2, -2
      { address: 0x105, bytes: xt('fe1216'), executed: 10, taken: 9 }, // beqz, taken back 9 times
    ];
    const perPass = (table: typeof XTENSA_LX6_ESP32) => priceInstructions(counted, decodeXtensa, table, ZERO_WAIT).cycles;
    expect(perPass(XTENSA_LX6_ESP32)).to.equal(10 + 10 + 10 + 9 * 3);
    // the S3 as person_detection measured on the chip says (docs/timing.md)
    expect(perPass(XTENSA_LX7_ESP32S3)).to.equal(10 + 10 + 10);
    // the same body under LOOP: the back edge is the body's last instruction, priced as itself
    const zeroOverhead: InsnCount[] = [
      { address: 0x100, bytes: xt('018276'), executed: 1, taken: 0 }, // loop
      { address: 0x103, bytes: xt('120c'), executed: 10, taken: 9 }, // movi.n, back to the loop start 9 times
    ];
    expect(priceInstructions(zeroOverhead, decodeXtensa, XTENSA_LX6_ESP32, ZERO_WAIT).cycles).to.equal(1 + 10);
    // loads pay half the load-use stall of each pipeline: 2 on the 7-stage LX6, 1.5 on the 5-stage LX7
    const loads: InsnCount[] = [{ address: 0x100, bytes: xt('0728'), executed: 4, taken: 0 }];
    expect(priceInstructions(loads, decodeXtensa, XTENSA_LX6_ESP32, ZERO_WAIT).cycles).to.equal(8);
    expect(priceInstructions(loads, decodeXtensa, XTENSA_LX7_ESP32S3, ZERO_WAIT).cycles).to.equal(6);
  });
});
