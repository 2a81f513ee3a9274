// SPDX-License-Identifier: Apache-2.0
/**
 * Classifies Thumb and Thumb-2 instructions (Armv6-M, Armv7-M, Armv7E-M, Armv8-M Mainline) for the
 * timing tables, following the encoding tables of the Armv7-M Architecture Reference Manual (DDI 0403,
 * A5 "The Thumb Instruction Set Encoding": 16-bit A5.2, 32-bit A5.3, and the FP encodings of A6/A7),
 * and the Armv8.1-M additions (Armv8-M ARM, DDI 0553): the MVE (Helium) vector instructions, which
 * occupy coprocessors 14 and 15 of the coprocessor space and the 111x 1111 space, and the
 * low-overhead loop and branch-future instructions of the branch space.
 */
import { MEMORY_CLASSES, type Decoded, type InsnClass } from './classes.ts';

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

function make(cls: InsnClass, size: number, regs = 1, literal = false): Decoded {
  return { cls, regs, literal, memory: MEMORY_CLASSES.has(cls), size };
}

/** A single load with the registers it writes (`rt`) and forms its address from (`address`: register numbers). */
function load(size: number, rt: number, address: number[], literal = false): Decoded {
  return { ...make('load', size, 1, literal), loadRegs: { writes: 1 << rt, address: address.reduce((m, r) => m | (1 << r), 0) } };
}

/** True when the halfword starts a 32-bit Thumb-2 instruction. */
export function isWide(hw1: number): boolean {
  return hw1 >>> 11 === 0b11101 || hw1 >>> 11 === 0b11110 || hw1 >>> 11 === 0b11111;
}

/** Decodes one instruction from its little-endian bytes (2 or 4). */
export function decodeThumb(bytes: Uint8Array): Decoded {
  const hw1 = bytes[0]! | (bytes[1]! << 8);
  if (!isWide(hw1)) return decode16(hw1);
  const hw2 = bytes.length >= 4 ? bytes[2]! | (bytes[3]! << 8) : 0;
  return decode32(hw1, hw2);
}

function decode16(hw: number): Decoded {
  const top6 = hw >>> 10;
  if (hw >>> 14 === 0b00) return make('alu', 2); // shift, add, subtract, move, compare
  if (top6 === 0b010000) return make(hw >>> 6 === 0b0100001101 ? 'mul' : 'alu', 2); // data processing; MULS
  if (top6 === 0b010001) {
    // special data processing and branch/exchange
    const op = (hw >>> 8) & 3;
    if (op === 3) return make('indirect', 2); // BX, BLX
    const rd = ((hw >>> 4) & 8) | (hw & 7);
    if (op !== 1 && rd === 15) return make('indirect', 2); // ADD pc / MOV pc
    return make('alu', 2);
  }
  if (hw >>> 11 === 0b01001) return load(2, (hw >>> 8) & 7, [15], true); // LDR literal
  if (hw >>> 12 === 0b0101) {
    // register offset: Rt, Rn, Rm in bits 2:0, 5:3, 8:6
    const opB = (hw >>> 9) & 7;
    return opB <= 2 ? make('store', 2) : load(2, hw & 7, [(hw >>> 3) & 7, (hw >>> 6) & 7]);
  }
  if (hw >>> 13 === 0b011 || hw >>> 12 === 0b1000) return (hw >>> 11) & 1 ? load(2, hw & 7, [(hw >>> 3) & 7]) : make('store', 2); // immediate offset
  if (hw >>> 12 === 0b1001) return (hw >>> 11) & 1 ? load(2, (hw >>> 8) & 7, [13]) : make('store', 2); // sp-relative
  if (hw >>> 12 === 0b1010) return make('alu', 2); // ADR, ADD sp
  if (hw >>> 12 === 0b1011) {
    // miscellaneous
    if ((hw & 0xf500) === 0xb100) return make('branch', 2); // CBZ, CBNZ
    if ((hw & 0xfe00) === 0xb400) return make('stm', 2, popcount(hw & 0x1ff)); // PUSH (lr in bit 8)
    if ((hw & 0xfe00) === 0xbc00) return hw & 0x100 ? make('ldmpc', 2, popcount(hw & 0x1ff)) : make('ldm', 2, popcount(hw & 0xff)); // POP
    if ((hw & 0xff00) === 0xbf00) return make(hw & 0xf ? 'it' : 'other', 2); // IT; hints
    if ((hw & 0xff00) === 0xbe00) return make('other', 2); // BKPT
    if ((hw & 0xffe8) === 0xb660) return make('sys', 2); // CPS
    return make('alu', 2); // SP adjust, extends, REV
  }
  if (hw >>> 11 === 0b11000) return make('stm', 2, popcount(hw & 0xff));
  if (hw >>> 11 === 0b11001) return make('ldm', 2, popcount(hw & 0xff));
  if (hw >>> 12 === 0b1101) {
    const cond = (hw >>> 8) & 0xf;
    return make(cond >= 0xe ? 'other' : 'branch', 2); // UDF, SVC
  }
  if (hw >>> 11 === 0b11100) return make('jump', 2);
  return make('other', 2);
}

function decode32(hw1: number, hw2: number): Decoded {
  const op1 = (hw1 >>> 11) & 3;
  const op2 = (hw1 >>> 4) & 0x7f;
  if (op1 === 0b01) {
    if ((op2 & 0b1100100) === 0b0000000) {
      // load/store multiple: LDM, STM, PUSH.W, POP.W (L = bit 4); SRS/RFE are not in M-profile
      const list = hw2 & 0xffff;
      if ((hw1 >>> 4) & 1) return list & 0x8000 ? make('ldmpc', 4, popcount(list)) : make('ldm', 4, popcount(list));
      return make('stm', 4, popcount(list));
    }
    if ((op2 & 0b1100100) === 0b0000100) {
      // load/store dual, exclusive, table branch
      const o1 = (hw1 >>> 7) & 3;
      const o2 = (hw1 >>> 4) & 3;
      if (o1 === 0 && o2 === 0) return make('store', 4); // STREX
      if (o1 === 0 && o2 === 1) return load(4, (hw2 >>> 12) & 0xf, [hw1 & 0xf]); // LDREX
      if (o1 === 1 && o2 === 1) {
        const o3 = (hw2 >>> 4) & 0xf;
        if (o3 === 0 || o3 === 1) return make('table', 4); // TBB, TBH
        return o3 >= 4 ? load(4, (hw2 >>> 12) & 0xf, [hw1 & 0xf]) : make('other', 4); // LDREXB/H
      }
      if (o1 === 1 && o2 === 0) return make('store', 4); // STREXB/H
      return make((hw1 >>> 4) & 1 ? 'load2' : 'store2', 4, 2, (hw1 & 0xf) === 15); // LDRD, STRD
    }
    if ((op2 & 0b1100000) === 0b0100000) return make('alu', 4); // data processing (shifted register)
    return decodeCoprocessor(hw1, hw2);
  }
  if (op1 === 0b10) {
    if ((hw2 & 0x8000) === 0) return make('alu', 4); // data processing (immediate)
    if ((hw2 & 0xd000) === 0xc000) return decodeLoop(hw1, hw2); // Armv8.1-M: op1 100 and 110 of the branch space
    const o1 = (hw2 >>> 12) & 7;
    if (o1 & 0b100 && o1 & 0b001) return make('call', 4); // BL
    if (o1 === 0b001 || o1 === 0b011) return make('jump', 4); // B.W
    if ((o1 & 0b101) === 0) {
      if (((hw1 >>> 7) & 7) !== 7) return make('branch', 4); // B<c>.W
      return make('sys', 4); // MSR, MRS, barriers, hints
    }
    return make('other', 4);
  }
  // op1 === 0b11
  if ((op2 & 0b1110001) === 0b0000000) return make('store', 4); // store single
  if ((op2 & 0b1100111) === 0b0000001 || (op2 & 0b1100111) === 0b0000011 || (op2 & 0b1100111) === 0b0000101) {
    const rt = (hw2 >>> 12) & 0xf;
    const rn = hw1 & 0xf;
    if (rt === 15 && (op2 & 0b1100111) !== 0b0000101) return make('other', 4); // PLD, PLI
    // register offset (not pc-relative, 12-bit immediate clear, hw2 bits 11:6 zero): Rm in hw2 bits 3:0
    const registerOffset = rn !== 15 && (op2 & 0b0001000) === 0 && ((hw2 >>> 6) & 0x3f) === 0;
    return load(4, rt, registerOffset ? [rn, hw2 & 0xf] : [rn], rn === 15);
  }
  if ((op2 & 0b1110000) === 0b0100000) {
    // data processing (register): parallel add/subtract, saturating, extend-and-add, misc
    const a = (hw1 >>> 4) & 0xf;
    const b = (hw2 >>> 4) & 0xf;
    if ((hw2 & 0xf000) === 0xf000) {
      if (a >= 8 && b < 8) return make('simd', 4); // parallel add/subtract (SADD16, QADD8, UHADD8 ...)
      if (a >= 8 && (b & 0b1100) === 0b1000) {
        const o1 = a & 3;
        return make(o1 === 0 ? 'simd' : 'alu', 4); // QADD/QSUB, QDADD (saturating); REV, RBIT, CLZ, SEL
      }
      if (a < 8 && b >= 8) {
        // extend (and add): SXTB16, UXTB16, SXTAB16 are SIMD; SXTB, UXTH ... are ALU
        const kind = (a >>> 1) & 3;
        return make(kind === 1 ? 'simd' : 'alu', 4);
      }
    }
    return make('alu', 4); // LSL/LSR/ASR/ROR (register)
  }
  if ((op2 & 0b1111000) === 0b0110000) {
    // multiply, multiply-accumulate, absolute difference
    const o1 = (hw1 >>> 4) & 7;
    const o2 = (hw2 >>> 4) & 3;
    const ra = (hw2 >>> 12) & 0xf;
    if (o1 === 0) return make(o2 === 0 && ra === 15 ? 'mul' : 'mla', 4);
    if (o1 === 7) return make('simd', 4); // USAD8, USADA8
    return make('dsp', 4); // SMLAxy/SMULxy, SMLAD/SMUAD, SMLAWy/SMULWy, SMLSD/SMUSD, SMMLA/SMMUL/SMMLS
  }
  if ((op2 & 0b1111000) === 0b0111000) {
    // long multiply, long multiply-accumulate, divide
    const o1 = (hw1 >>> 4) & 7;
    const o2 = (hw2 >>> 4) & 0xf;
    if (o1 === 0b001 || o1 === 0b011) return make('div', 4); // SDIV, UDIV
    if ((o1 === 0b100 || o1 === 0b101) && o2 !== 0) return make('dsp', 4); // SMLALxy, SMLALD, SMLSLD
    if (o1 === 0b110 && o2 === 0b0110) return make('dsp', 4); // UMAAL
    return make('mull', 4); // SMULL, UMULL, SMLAL, UMLAL
  }
  return decodeCoprocessor(hw1, hw2);
}

/**
 * The Armv8.1-M branch-space additions: low-overhead loops (DLS, WLS, LE and their tail-predicated
 * forms DLSTP, WLSTP, LETP, and LCTP), VCTP, and the branch-future instructions (BF, BFX, BFL, BFLX,
 * BFCSEL). LE and LETP are the WLS/WLSTP encodings with Rn = 15 (LCTP is DLSTP's).
 */
function decodeLoop(hw1: number, hw2: number): Decoded {
  if ((hw1 & 0xffc0) === 0xf000 && hw2 === 0xe801) return make('mvepred', 4); // VCTP
  if ((hw1 & 0xffcf) === 0xf00f && (hw2 & 0xf001) === 0xc001) return make('loopend', 4); // LE, LETP
  return make('loop', 4);
}

/**
 * MVE in the coprocessor and 111x 1111 spaces, after the classes the cores price differently (the
 * vector pipe each runs on). The patterns were checked against arm-none-eabi-objdump
 * (-m armv8.1-m.main) over random encodings of these spaces; integer lane-wise operations are the
 * default. Where `size3` is set the rule does not apply to size field (first halfword bits 5:4) 0b11,
 * which selects another instruction (VADC, VSHL by scalar, VQMOVN ...).
 */
const MVE_RULES: readonly { mask: number; value: number; cls: InsnClass | null; notSize3?: true }[] = [
  { mask: 0xffbf1fff, value: 0xfe310f4d, cls: 'mvepred' }, // VPST, VPNOT
  { mask: 0xefb10f51, value: 0xee300f00, cls: null }, // VADC, VSBC (integer; before VQDMULL)
  { mask: 0xeff00f10, value: 0xeee00f00, cls: null }, // VMAXV, VMINV, VMAXAV, VMINAV (integer pipe)
  { mask: 0xef8f0f01, value: 0xee890f00, cls: 'mvereduce' }, // VADDLV
  { mask: 0xef810f51, value: 0xee010e01, cls: 'mvemac', notSize3: true }, // VMULH, VRMULH
  { mask: 0xef810f51, value: 0xee010e00, cls: 'mvemac', notSize3: true }, // VMULLB, VMULLT
  { mask: 0xef810f50, value: 0xee000e00, cls: 'mvemac', notSize3: true }, // VQ(R)DMLADH(X), VQ(R)DMLSDH(X)
  { mask: 0xef810f50, value: 0xee000e40, cls: 'mvemac', notSize3: true }, // VQRDMLAH, VQRDMLASH
  { mask: 0xff810f70, value: 0xee000e60, cls: 'mvemac', notSize3: true }, // VQDMLAH, VQDMLASH
  { mask: 0xef810f70, value: 0xee010e40, cls: 'mvemac', notSize3: true }, // VMLA, VMLAS
  { mask: 0xef811f70, value: 0xee010e60, cls: 'mvemac', notSize3: true }, // VQDMULH, VQRDMULH (scalar)
  { mask: 0xff811f70, value: 0xee011e60, cls: 'mvemac', notSize3: true }, // VMUL (scalar)
  { mask: 0xefb10f50, value: 0xee300e00, cls: 'mvemac' }, // VCMUL
  { mask: 0xefb10f70, value: 0xee310e40, cls: 'mvemac' }, // VFMA, VFMAS (scalar)
  { mask: 0xefb11f70, value: 0xee310e60, cls: 'mvemac' }, // VMUL.F (scalar)
  { mask: 0xefb10f70, value: 0xee300f40, cls: 'mvemac' }, // VADD.F, VSUB.F (scalar)
  { mask: 0xefb10f10, value: 0xee300f00, cls: 'mvemac' }, // VQDMULLB, VQDMULLT
  { mask: 0xef800f50, value: 0xee800e00, cls: 'mvereduce' }, // VMLALDAV, VMLSLDAV, VRMLSLDAVH
  { mask: 0xef810f51, value: 0xee800f00, cls: 'mvereduce' }, // VRMLALDAVH
  { mask: 0xeff00e50, value: 0xeef00e00, cls: 'mvereduce' }, // VMLADAV, VMLAV, VMLSDAV, VADDV
  { mask: 0xffc10f10, value: 0xfe010f00, cls: 'mvecmp', notSize3: true }, // VCMP (integer)
  { mask: 0xffc10f10, value: 0xfe410f00, cls: 'mvecmp', notSize3: true }, // VPT (integer)
  { mask: 0xffb10f10, value: 0xee310f00, cls: 'mvecmp' }, // VCMP, VPT (floating point)
  { mask: 0xef810f51, value: 0xef000950, cls: 'mvemac', notSize3: true }, // VMUL (vector)
  { mask: 0xef810f51, value: 0xef000b40, cls: 'mvemac', notSize3: true }, // VQDMULH, VQRDMULH (vector)
  { mask: 0xef000e00, value: 0xef000c00, cls: 'mvemac' }, // floating point (vector): VADD.F, VMUL.F, VFMA ...
  { mask: 0xffb30e51, value: 0xffb30640, cls: 'mvemac' }, // VCVT between floating point and integer
];

function decodeMveDataProcessing(hw1: number, hw2: number): Decoded {
  const word = ((hw1 << 16) | hw2) >>> 0;
  const size3 = ((hw1 >>> 4) & 3) === 3;
  for (const rule of MVE_RULES) {
    if ((word & rule.mask) >>> 0 !== rule.value >>> 0 || (rule.notSize3 && size3)) continue;
    return make(rule.cls ?? 'mveint', 4);
  }
  return make('mveint', 4);
}

/** Coprocessor space: the FPU (coprocessors 10 and 11) and, on Armv8.1-M, MVE (14 and 15); the rest is priced as one cycle. */
function decodeCoprocessor(hw1: number, hw2: number): Decoded {
  const coproc = (hw2 >>> 8) & 0xf;
  const size = 4;
  if ((hw1 & 0xef00) === 0xef00) return decodeMveDataProcessing(hw1, hw2); // 111x 1111: no Advanced SIMD in M-profile
  if (coproc === 14 || coproc === 15) {
    const top = (hw1 >>> 8) & 0xf; // 1100, 1101: loads/stores; 1110: data processing
    if (top === 0xc || top === 0xd) {
      const load = ((hw1 >>> 4) & 1) === 1;
      // P = 0, U = 0, W = 0 in the 1110 1100 space: VMOV of two lanes to or from two core registers
      if ((hw1 & 0xffa0) === 0xec00) return make('mveint', size);
      return make(load ? 'mveload' : 'mvestore', size);
    }
    return decodeMveDataProcessing(hw1, hw2);
  }
  if (coproc !== 10 && coproc !== 11) return make('other', size);
  // VDUP (core register to every lane): bit 7 of the first halfword set, where the FP VMOV to a scalar has it clear
  if ((hw1 & 0xff90) === 0xee80 && (hw2 & 0x0f5f) === 0x0b10) return make('mveint', size);
  const top = (hw1 >>> 8) & 0xf; // 1100, 1101: loads/stores and 64-bit moves; 1110: data processing and 32-bit moves
  if (top === 0xc || top === 0xd) {
    const o = (hw1 >>> 4) & 0x1f;
    if ((o & 0b11110) === 0b00100) return make('fpu', size); // VMOV 2 core registers <-> doubles
    if ((o & 0b10010) === 0b10000) return make('fldst', size, 1, (hw1 & 0xf) === 15); // VLDR, VSTR
    const words = hw2 & 0xff; // VLDM, VSTM, VPUSH, VPOP: imm8 words
    return make('fldst', size, Math.max(1, coproc === 11 ? words & ~1 : words));
  }
  if ((hw2 & 0x10) !== 0) return make('fpu', size); // VMOV core <-> single, VMRS, VMSR
  const opc1 = (hw1 >>> 4) & 0b1011;
  const opc3 = (hw2 >>> 6) & 1;
  if (opc1 === 0b1000 && opc3 === 0) return make('fdiv', size); // VDIV
  if (opc1 === 0b1011 && (hw1 & 0xf) === 1 && opc3 === 1 && ((hw2 >>> 7) & 1) === 1) return make('fdiv', size); // VSQRT
  return make('fpu', size);
}
