// SPDX-License-Identifier: Apache-2.0
/**
 * What the timing model knows of one executed instruction: its class (what the cores' timing
 * tables price), and how often it ran at one address.
 */

export type InsnClass =
  /** data processing, moves, compares, shifts, extends: one cycle on every core modelled */
  | 'alu'
  /** 32 x 32 -> 32 multiply (MUL/MULS; RV32 MUL) */
  | 'mul'
  /** multiply-accumulate to 32 bits (MLA, MLS) */
  | 'mla'
  /** 32 x 32 -> 64 multiplies and accumulates (UMULL, SMULL, UMLAL, SMLAL; RV32 MULH*) */
  | 'mull'
  /** Armv7E-M DSP multiplies (SMLAD, SMLABB, SMULBB, SMMLA, SMLALD ...) */
  | 'dsp'
  /** Armv7E-M SIMD and saturating arithmetic (SADD16, QADD8, SXTB16, SSAT ...) */
  | 'simd'
  /** integer divide (SDIV/UDIV; RV32 DIV/REM) */
  | 'div'
  /** single load (LDR/LDRB/LDRH/LDRSB/LDRSH, any addressing; RV32 LB..LW) */
  | 'load'
  /** single store */
  | 'store'
  /** LDRD / STRD */
  | 'load2'
  | 'store2'
  /** load / store multiple, PUSH, POP without pc: `regs` registers */
  | 'ldm'
  | 'stm'
  /** POP or LDM with pc: a return */
  | 'ldmpc'
  /** conditional branch (B<c>, CBZ/CBNZ; RV32 B*): taken or not */
  | 'branch'
  /** unconditional direct branch (B, RV32 JAL x0) */
  | 'jump'
  /** call (BL; RV32 JAL ra) */
  | 'call'
  /** indirect branch or return (BX, BLX reg, MOV/ADD pc; RV32 JALR) */
  | 'indirect'
  /** table branch (TBB/TBH) */
  | 'table'
  /** IT */
  | 'it'
  /** floating point data processing, and core/FPU moves */
  | 'fpu'
  /** floating point divide and square root */
  | 'fdiv'
  /** floating point loads and stores (VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP): `regs` words */
  | 'fldst'
  /** system: MRS/MSR, barriers, CSR access */
  | 'sys'
  /** hints and the rest (NOP, WFI, BKPT, SVC, ECALL ...) */
  | 'other'
  /** MVE (Helium) vector loads: contiguous, widening, gather, VLD2x/VLD4x */
  | 'mveload'
  /** MVE vector stores: contiguous, narrowing, scatter, VST2x/VST4x */
  | 'mvestore'
  /** MVE integer lane-wise operations: VADD/VSUB, VMAX/VMIN, shifts, VDUP, VMOVL/VMOVN, VQMOVN, logic, VPSEL */
  | 'mveint'
  /** MVE multiplies and multiply-accumulates, lane-wise (VMUL, VMLA/VMLAS, VQRDMULH, VQDMULH, VMULL), and MVE floating point */
  | 'mvemac'
  /** MVE reductions across lanes into general registers (VMLADAV, VMLALDAV, VRMLALDAVH, VADDV, VADDLV) */
  | 'mvereduce'
  /** MVE compares into the predicate (VCMP, VPT) */
  | 'mvecmp'
  /** MVE predication without a compare (VPST, VPNOT, VCTP) */
  | 'mvepred'
  /** loop and branch-future setup (DLS, WLS, DLSTP, WLSTP, LCTP, BF, BFX, BFL, BFCSEL) */
  | 'loop'
  /** low-overhead loop end (LE, LETP): taken back to the loop start until the count runs out */
  | 'loopend';

export interface Decoded {
  cls: InsnClass;
  /** registers moved (ldm, stm, ldmpc, fldst); 1 otherwise */
  regs: number;
  /** a load whose address is pc-relative: a literal pool in the code's memory */
  literal: boolean;
  /** a load or store (any width, any count) */
  memory: boolean;
  /** bytes of the instruction */
  size: number;
  /** a single load (Thumb): the registers it writes and those it forms its address from, one bit per register */
  loadRegs?: { writes: number; address: number };
}

/** One instruction address as the emulator ran it in a window. */
export interface InsnCount {
  address: number;
  /** the instruction's bytes in guest (little-endian) order */
  bytes: Uint8Array;
  executed: number;
  /** times the next instruction executed was not the one after it (a taken branch) */
  taken: number;
}

export const MEMORY_CLASSES: ReadonlySet<InsnClass> = new Set(['load', 'store', 'load2', 'store2', 'ldm', 'stm', 'ldmpc', 'fldst', 'mveload', 'mvestore']);

/** The MVE classes: executed in beats on the vector pipes of the Cortex-M55 and Cortex-M85. */
export const MVE_CLASSES: ReadonlySet<InsnClass> = new Set(['mveload', 'mvestore', 'mveint', 'mvemac', 'mvereduce', 'mvecmp', 'mvepred']);
