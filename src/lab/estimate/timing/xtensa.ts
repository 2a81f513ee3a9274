// SPDX-License-Identifier: Apache-2.0
/**
 * Classifies Xtensa instructions (the ESP32's LX6 and the ESP32-S3's LX7 configurations: core ISA,
 * density, loops, MUL16/MUL32, DIV32, MAC16, windowed registers, FPU) for the timing tables, from
 * the opcode map of the Xtensa Instruction Set Architecture Reference Manual (chapter 7,
 * "Instruction Formats and Opcodes": op0 in bits 3..0, then t, s, r, op1, op2 nibbles of a 24-bit
 * instruction; op0 8..13 are the 16-bit density instructions). The instruction's size comes with it
 * (the emulator reports the bytes it executed), so wider encodings (the S3's `ee.*`) are classed by
 * size alone.
 */
import type { Decoded, InsnClass } from './classes.ts';

function make(cls: InsnClass, size: number, literal = false): Decoded {
  const memory = cls === 'load' || cls === 'store' || cls === 'fldst';
  return { cls, regs: 1, literal, memory, size };
}

/** Decodes one instruction from its little-endian bytes (2 or 3; more for the S3's SIMD extension). */
export function decodeXtensa(bytes: Uint8Array): Decoded {
  const size = bytes.length;
  const b0 = bytes[0] ?? 0;
  const op0 = b0 & 0xf;
  const t = b0 >>> 4;
  if (size === 2) return decodeNarrow(op0, t, bytes[1] ?? 0);
  if (size !== 3) return make('other', size); // the S3's 32-bit and wider TIE instructions (ee.*): not run by QEMU 7.2
  const b1 = bytes[1]!;
  const b2 = bytes[2]!;
  const s = b1 & 0xf;
  const r = b1 >>> 4;
  const op1 = b2 & 0xf;
  const op2 = b2 >>> 4;
  switch (op0) {
    case 0:
      return decodeQrst(t, s, r, op1, op2);
    case 1:
      return make('load', 3, true); // L32R: a literal from the code's memory
    case 2: // LSAI
      if (r === 0 || r === 1 || r === 2 || r === 9 || r === 11) return make('load', 3); // L8UI, L16UI, L32I, L16SI, L32AI
      if (r === 4 || r === 5 || r === 6 || r === 15) return make('store', 3); // S8I, S16I, S32I, S32RI
      if (r === 14) return make('sys', 3); // S32C1I (atomic)
      if (r === 7) return make('sys', 3); // cache operations
      return make('alu', 3); // MOVI, ADDI, ADDMI
    case 3:
      return make('fldst', 3); // LSCI: LSI, SSI, LSIU, SSIU
    case 4:
      return decodeMac16(op1, op2);
    case 5:
      return make('call', 3); // CALL0, CALL4, CALL8, CALL12
    case 6: {
      const n = t & 3;
      const m = t >>> 2;
      if (n === 0) return make('jump', 3); // J
      if (n === 3 && m === 0) return make('alu', 3); // ENTRY: a window rotation, one cycle without an overflow
      if (n === 3 && m === 1 && r >= 8 && r <= 10) return make('loop', 3); // LOOP, LOOPNEZ, LOOPGTZ
      return make('branch', 3); // BEQZ..BGEZ, BEQI..BGEI, BF/BT, BLTUI, BGEUI
    }
    case 7:
      return make('branch', 3); // B: register-register compares and bit tests
    default:
      return make('other', 3);
  }
}

/** op0 0 (QRST): the register-register core, shifts, multiplies, divides, special registers. */
function decodeQrst(t: number, s: number, r: number, op1: number, op2: number): Decoded {
  if (op1 === 0) {
    if (op2 === 0) {
      // ST0
      if (r === 0) {
        const m = t >>> 2;
        const n = t & 3;
        if (m === 2) return make('indirect', 3); // RET, RETW, JX
        if (m === 3) return make('indirect', 3); // CALLX0/4/8/12
        return make('other', 3); // ILL
      }
      if (r === 2) return make(t === 15 ? 'alu' : 'sys', 3); // NOP; ISYNC, RSYNC, ESYNC, DSYNC, EXCW, MEMW, EXTW
      if (r === 1) return make('alu', 3); // MOVSP
      return make('sys', 3); // RFE*, BREAK, SYSCALL/SIMCALL, RSIL, WAITI, ANY4...
    }
    if (op2 === 4 || op2 === 6) return make('alu', 3); // ST1 (SSR, SSL, SSA8L, SSAI, NSA, NSAU; ROTW), RT0 (NEG, ABS)
    if (op2 === 5) return make('sys', 3); // TLB
    return make('alu', 3); // AND, OR, XOR, ADD, ADDX*, SUB, SUBX*
  }
  if (op1 === 1) {
    if (op2 === 12 || op2 === 13) return make('mul', 3); // MUL16U, MUL16S
    if (op2 === 6) return make('sys', 3); // XSR
    if (op2 === 15) return make('sys', 3); // IMP
    return make('alu', 3); // SLLI, SRAI, SRLI, SRC, SRL, SLL, SRA
  }
  if (op1 === 2) {
    if (op2 === 8) return make('mul', 3); // MULL
    if (op2 === 10 || op2 === 11) return make('mull', 3); // MULUH, MULSH
    if (op2 >= 12) return make('div', 3); // QUOU, QUOS, REMU, REMS
    return make('alu', 3); // boolean ops
  }
  if (op1 === 3) {
    if (op2 === 0 || op2 === 1 || op2 === 14 || op2 === 15) return make('sys', 3); // RSR, WSR, RUR, WUR
    return make('alu', 3); // SEXT, CLAMPS, MIN, MAX, MINU, MAXU, MOVEQZ ...
  }
  if (op1 === 4 || op1 === 5) return make('alu', 3); // EXTUI
  if (op1 === 8 || op1 === 9) return make('fldst', 3); // LSCX (indexed FP), LSC4 (L32E/S32E)
  if (op1 === 10 || op1 === 11) return make(op2 === 7 ? 'fdiv' : 'fpu', 3); // FP0/FP1 (op2 7 of FP0: DIV0.S, SQRT0.S ...)
  return make('other', 3); // CUST0/CUST1
}

/**
 * op0 4 (MAC16): op1's high bits say UMUL/MUL (a product into ACC), MULA or MULS (an accumulation);
 * op2 8 and 9 are LDINC/LDDEC alone (a load into a MAC16 register), 0 and 1 an accumulation with one.
 */
function decodeMac16(op1: number, op2: number): Decoded {
  if (op2 === 8 || op2 === 9) return make('load', 3);
  return make(op1 >>> 2 <= 1 ? 'mul' : 'mla', 3);
}

/** The 16-bit density instructions. */
function decodeNarrow(op0: number, t: number, b1: number): Decoded {
  const r = b1 >>> 4;
  switch (op0) {
    case 8:
      return make('load', 2); // L32I.N
    case 9:
      return make('store', 2); // S32I.N
    case 10:
    case 11:
      return make('alu', 2); // ADD.N, ADDI.N
    case 12:
      return make(t & 8 ? 'branch' : 'alu', 2); // BEQZ.N, BNEZ.N; MOVI.N
    case 13:
      if (r === 15 && (t === 0 || t === 1)) return make('indirect', 2); // RET.N, RETW.N
      if (r === 15 && t !== 3) return make('other', 2); // BREAK.N, ILL.N
      return make('alu', 2); // MOV.N, NOP.N
    default:
      return make('other', 2);
  }
}
