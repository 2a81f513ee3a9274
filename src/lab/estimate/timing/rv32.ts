// SPDX-License-Identifier: Apache-2.0
/**
 * Classifies RV32IMC instructions (and the Zicsr/Zifencei system instructions) for the timing
 * tables, from the RISC-V Unprivileged ISA specification's opcode map (RV32I base: chapter 2;
 * M: chapter 7; C: chapter 16, table 16.5-16.7 quadrants 0-2).
 */
import type { Decoded, InsnClass } from './classes.ts';

function make(cls: InsnClass, size: number, literal = false): Decoded {
  const memory = cls === 'load' || cls === 'store';
  return { cls, regs: 1, literal, memory, size };
}

/** Decodes one instruction from its little-endian bytes (2 for compressed, 4 otherwise). */
export function decodeRv32(bytes: Uint8Array): Decoded {
  const low = bytes[0]! | (bytes[1]! << 8);
  if ((low & 3) !== 3) return decodeCompressed(low);
  const word = (low | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  const opcode = word & 0x7f;
  const rd = (word >>> 7) & 0x1f;
  switch (opcode) {
    case 0x03:
      return make('load', 4);
    case 0x23:
      return make('store', 4);
    case 0x63:
      return make('branch', 4);
    case 0x6f:
      return make(rd === 0 ? 'jump' : 'call', 4); // JAL
    case 0x67:
      return make('indirect', 4); // JALR
    case 0x33: {
      const funct7 = word >>> 25;
      if (funct7 === 1) {
        const funct3 = (word >>> 12) & 7;
        if (funct3 === 0) return make('mul', 4); // MUL
        if (funct3 <= 3) return make('mull', 4); // MULH, MULHSU, MULHU
        return make('div', 4); // DIV, DIVU, REM, REMU
      }
      return make('alu', 4);
    }
    case 0x13:
    case 0x37:
    case 0x17:
      return make('alu', 4); // OP-IMM, LUI, AUIPC
    case 0x0f:
    case 0x73:
      return make(((word >>> 12) & 7) === 0 && opcode === 0x73 ? 'other' : 'sys', 4); // FENCE, CSR*; ECALL/EBREAK/WFI/MRET
    default:
      return make('other', 4);
  }
}

function decodeCompressed(hw: number): Decoded {
  const quadrant = hw & 3;
  const funct3 = hw >>> 13;
  if (quadrant === 0) {
    if (funct3 === 0) return make('alu', 2); // C.ADDI4SPN
    if (funct3 === 2 || funct3 === 3 || funct3 === 1) return make('load', 2); // C.LW (C.FLW/C.FLD without F/D)
    return make('store', 2); // C.SW
  }
  if (quadrant === 1) {
    if (funct3 === 1) return make('call', 2); // C.JAL (RV32)
    if (funct3 === 5) return make('jump', 2); // C.J
    if (funct3 === 6 || funct3 === 7) return make('branch', 2); // C.BEQZ, C.BNEZ
    return make('alu', 2); // C.ADDI, C.LI, C.LUI, C.ADDI16SP, C.SRLI ... C.AND
  }
  if (quadrant === 2) {
    if (funct3 === 2 || funct3 === 1 || funct3 === 3) return make('load', 2); // C.LWSP
    if (funct3 === 6 || funct3 === 5 || funct3 === 7) return make('store', 2); // C.SWSP
    if (funct3 === 4) {
      const rs2 = (hw >>> 2) & 0x1f;
      const rs1 = (hw >>> 7) & 0x1f;
      if (rs2 === 0 && rs1 !== 0) return make('indirect', 2); // C.JR, C.JALR
      if (rs2 === 0 && rs1 === 0) return make('other', 2); // C.EBREAK
      return make('alu', 2); // C.MV, C.ADD
    }
    return make('alu', 2); // C.SLLI
  }
  return make('other', 2);
}
