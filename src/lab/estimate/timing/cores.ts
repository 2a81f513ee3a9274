// SPDX-License-Identifier: Apache-2.0
/**
 * Per-core timing tables: the cycles of one execution of each instruction class, from the cores'
 * published timing (zero wait states), and what memory adds. Every figure names its source; where
 * a core's vendor publishes no table (Cortex-M7, Cortex-M33, the ESP32-C3's RISC-V core, the
 * ESP32's and ESP32-S3's Xtensa cores) the
 * assumption is said so and docs/timing.md lists it as unknown.
 */
import { MVE_CLASSES, type Decoded, type InsnClass } from './classes.ts';

/** One decoded instruction address with its counts and the context the tables need. */
export interface TimedInsn {
  d: Decoded;
  executed: number;
  taken: number;
  /**
   * executions that directly followed the instruction before it in memory (it ran and fell
   * through): the bound for pipelining with it (load/store pairs, dual issue)
   */
  afterPrevious: number;
  /** the instruction before it in memory, when it is in the same straight-line run */
  previous: Decoded | null;
  /** its address is 2 mod 4 (a 32-bit instruction there straddles two fetch words) */
  halfwordAligned: boolean;
}

/** What the board's memory adds, per event (core clock cycles). */
export interface MemoryCosts {
  /** per executed instruction fetch word from flash (no accelerator, no cache): the wait states */
  perFetchWord: number;
  /** per taken branch (a prefetch buffer refill from flash) */
  perTakenBranch: number;
  /** per literal-pool load (a pc-relative load: a data read from the code's flash) */
  perFlashRead: number;
  /** the code runs from flash (else every fetch is from zero-wait memory) */
  codeInFlash: boolean;
}

export const ZERO_WAIT: MemoryCosts = { perFetchWord: 0, perTakenBranch: 0, perFlashRead: 0, codeInFlash: false };

export interface CoreTiming {
  /** the CycleEstimate core name */
  core: string;
  /** the tables' source, for the basis line */
  source: string;
  /** cycles of the instruction's executions (all of them), memory excluded */
  cycles(i: TimedInsn): number;
  /** bytes per instruction fetch (the bus width the wait states are paid per) */
  fetchBytes: number;
}

const TAKEN_CLASSES: ReadonlySet<InsnClass> = new Set(['branch', 'jump', 'call', 'indirect', 'ldmpc', 'table', 'loop', 'loopend']);
/** Classes that transfer control only some of the times they run (WLS skipping its loop, LE looping back). */
const CONDITIONAL_CLASSES: ReadonlySet<InsnClass> = new Set(['branch', 'loop', 'loopend']);

/** Count of taken transfers of control of one instruction (unconditional ones always transfer). */
export function takenCount(i: TimedInsn): number {
  if (!TAKEN_CLASSES.has(i.d.cls)) return 0;
  if (CONDITIONAL_CLASSES.has(i.d.cls)) return Math.min(i.taken, i.executed);
  return i.executed;
}

/**
 * Cortex-M0+ (Armv6-M), as in the RP2040: Cortex-M0+ Technical Reference Manual (ARM DDI 0484),
 * section 3.3 "Instruction set summary", Table 3-1 cycle counts; two-stage pipeline, so a taken
 * branch refills for one more cycle than on the three-stage Cortex-M0 (whose table is the M0 TRM's
 * 3.3). N counts every register in the list, pc and lr included. MULS is one cycle with the fast
 * multiplier (the RP2040 Datasheet, 2.4.1: "single-cycle 32x32 multiply").
 */
export const CORTEX_M0PLUS: CoreTiming = {
  core: 'cortex-m0plus',
  source: 'Cortex-M0+ TRM (DDI 0484) Table 3-1',
  fetchBytes: 4,
  cycles(i) {
    const { d, executed: n } = i;
    switch (d.cls) {
      case 'load':
      case 'store':
        return 2 * n; // LDR*/STR* 2
      case 'ldm':
      case 'stm':
        return (1 + d.regs) * n; // LDM/STM/PUSH/POP 1+N
      case 'ldmpc':
        return (3 + d.regs) * n; // POP {..., pc} 3+N
      case 'branch':
        return n + takenCount(i); // B<cond> 2 taken, 1 not taken
      case 'jump':
        return 2 * n; // B 2
      case 'call':
        return 3 * n; // BL 3
      case 'indirect':
        return 2 * n; // BX, BLX, MOV pc, ADD pc 2
      case 'sys':
        return 3 * n; // MRS, MSR, DMB, DSB, ISB 3
      default:
        return n; // data processing, MULS (fast multiplier), extends, hints 1
    }
  },
};

/** The Cortex-M0 (three-stage pipeline): Cortex-M0 TRM (ARM DDI 0432), 3.3 Table 3-1. */
export const CORTEX_M0: CoreTiming = {
  core: 'cortex-m0',
  source: 'Cortex-M0 TRM (DDI 0432) Table 3-1',
  fetchBytes: 4,
  cycles(i) {
    const { d, executed: n } = i;
    switch (d.cls) {
      case 'ldmpc':
        return (4 + d.regs) * n; // POP {..., pc} 4+N
      case 'branch':
        return n + 2 * takenCount(i); // B<cond> 3 taken, 1 not taken
      case 'jump':
      case 'indirect':
        return 3 * n; // B, BX, BLX, MOV pc 3
      case 'call':
        return 4 * n; // BL 4
      case 'sys':
        return 4 * n; // MRS, MSR 4; barriers 4
      default:
        return CORTEX_M0PLUS.cycles(i);
    }
  },
};

/**
 * The three-stage Armv7-M pipeline's pipeline refill P ("1 to 3 depending on the alignment and width
 * of the target instruction, and whether the processor manages to speculate the address early":
 * Cortex-M3 TRM (DDI 0337) and Cortex-M4 TRM (DDI 0439), 3.3). 1 is used: a published DWT measurement
 * of a small loop (compendium.i-0.nl "Branch timing": a taken branch 2 cycles, 3 to an unaligned
 * 32-bit target) matches it exactly; the unaligned-target cycle is not modelled.
 */
const P = 1;
/** SDIV/UDIV "2 to 12" cycles, early termination on the operands' magnitudes: the midpoint assumed. */
const DIVIDE = 7;

/** Shared by the Cortex-M3/M4/M33 tables: what only depends on the three-stage Armv7-M pipeline. */
function armv7mCommon(i: TimedInsn, multiply: (cls: InsnClass) => number, pipelines = pipelinesAfter): number {
  // a branch to a 32-bit instruction that is not word-aligned refills for one more cycle (P = 2, not 1):
  // the TRMs' "depending on the alignment and width of the target instruction"; the published
  // measurement behind P = 1 gives 3 cycles for such a taken branch
  const unalignedTarget = i.d.size === 4 && i.halfwordAligned ? i.executed - Math.min(i.afterPrevious, i.executed) : 0;
  return unalignedTarget + armv7mBase(i, multiply, pipelines);
}

/** Whether a single load pipelines after `previous` (Armv7-M TRMs, "Load/store timings"). */
function pipelinesAfter(previous: Decoded | null, load: Decoded): boolean {
  if (previous?.cls !== 'load') return false;
  const written = previous.loadRegs?.writes ?? 0;
  const address = load.loadRegs?.address ?? 0;
  return (written & address) === 0;
}

/** The Cortex-M33's looser terms: a load pipelines after any single load or store (see CORTEX_M33). */
function afterAnySingle(previous: Decoded | null): boolean {
  return !!previous?.memory && previous.cls !== 'ldm' && previous.cls !== 'stm';
}

function armv7mBase(i: TimedInsn, multiply: (cls: InsnClass) => number, pipelines: (previous: Decoded | null, load: Decoded) => boolean): number {
  const { d, executed: n } = i;
  // "Neighboring load and store single instructions can pipeline their address and data phases"
  // (TRM 3.3, note to Table 3-1), on the terms of its "Load/store timings": a load right after a
  // single load costs 1, not 2, unless that load wrote a register this one's address is formed from;
  // nothing pipelines after a store, nor with LDRD/STRD, LDM/STM
  const pipelined = d.cls === 'load' && pipelines(i.previous, d) ? Math.min(i.afterPrevious, n) : 0;
  switch (d.cls) {
    case 'load':
      return 2 * n - pipelined; // LDR 2 (1 when pipelined)
    case 'store':
      return n; // "STR Rx,[Ry,#imm] is always one cycle" (the data phase overlaps the next instruction)
    case 'load2':
    case 'store2':
      return 3 * n; // LDRD/STRD 1+N, N = 2
    case 'ldm':
    case 'stm':
      return (1 + d.regs) * n; // LDM/STM/PUSH/POP 1+N
    case 'ldmpc':
      return (1 + d.regs + P) * n; // POP {..., pc} 1+N+P
    case 'branch':
      return n + P * takenCount(i); // B<cond>, CBZ: 1+P taken, 1 not taken
    case 'jump':
    case 'call':
    case 'indirect':
      return (1 + P) * n; // B, BL, BX, BLX, MOV pc: 1+P
    case 'table':
      return (2 + P) * n; // TBB/TBH 2+P
    case 'div':
      return DIVIDE * n;
    case 'mul':
    case 'mla':
    case 'mull':
    case 'dsp':
    case 'simd':
      return multiply(d.cls) * n;
    case 'fdiv':
      return 14 * n; // VDIV, VSQRT 14
    case 'fldst':
      return (1 + d.regs) * n; // VLDR/VSTR 2, VLDM/VSTM/VPUSH/VPOP 1+N
    case 'sys':
      return 2 * n; // MRS 2, MSR 2; barriers 1+B (B assumed 1)
    default:
      return n; // data processing, IT, FPU arithmetic (VADD, VMUL 1), hints
  }
}

/**
 * Cortex-M3: Cortex-M3 TRM (ARM DDI 0337), 18.2 / 3.3 "Processor instruction timings": MUL 1,
 * MLA/MLS 2, SMULL/UMULL 3 to 5 (4 assumed), SMLAL/UMLAL 4 to 7 (priced as the long multiplies).
 */
export const CORTEX_M3: CoreTiming = {
  core: 'cortex-m3',
  source: 'Cortex-M3 TRM (DDI 0337) Table 18-1/3-1, P=1',
  fetchBytes: 4,
  cycles: (i) => armv7mCommon(i, (cls) => (cls === 'mla' ? 2 : cls === 'mull' ? 4 : 1)),
};

/**
 * Cortex-M4: Cortex-M4 TRM (ARM DDI 0439), 3.3.1 Table 3-1: MUL, MLA, MLS, SMULL, UMULL, SMLAL,
 * UMLAL, the DSP multiplies (SMLAD, SMLABB, SMMLA ...) and SIMD all 1 cycle; SDIV/UDIV 2 to 12.
 */
export const CORTEX_M4: CoreTiming = {
  core: 'cortex-m4',
  source: 'Cortex-M4 TRM (DDI 0439) Table 3-1, P=1',
  fetchBytes: 4,
  cycles: (i) => armv7mCommon(i, () => 1),
};

/**
 * Cortex-M33 (Armv8-M Mainline with the DSP extension): its TRM (ARM DDI 0553) publishes no cycle
 * table. The Cortex-M4's table is the base (three-stage, single-cycle 32-bit and DSP multiplies,
 * SDIV/UDIV 2 to 12 priced at the midpoint), corrected where independent DWT measurements on an
 * RP2350 (Cortex-M33 r1p0; jnk0le/random, "pipeline cycle test/doc/cortex_m33.md") differ from it:
 * - LDM/STM/PUSH/POP of N registers N cycles, not 1+N; LDRD/STRD 2, not 3;
 * - a 16-bit MULS 2 cycles (the 32-bit MUL 1);
 * - "limited dual issue" of two 16-bit instructions: a 16-bit conditional branch after a 16-bit
 *   instruction costs 0 when not taken, and when taken 1, not 2, if that instruction sets no flags
 *   (only 16-bit loads and stores are known here to set none); IT issues with the instruction
 *   before it (0).
 * Loads cost 2, 1 right after another load or store: the RP2350 measurements give a load 1 cycle
 * plus 1 when the next instruction uses its result (load-to-use latency 2), which this matches when
 * the result is used next; the M4's stricter pipelining terms (not after a store, nor into a load
 * whose address the previous load wrote) are not applied, the measurements showing none of them.
 */
export const CORTEX_M33: CoreTiming = {
  core: 'cortex-m33',
  source: 'no published table: the Cortex-M4 TRM (DDI 0439) Table 3-1, P=1, with RP2350 DWT measurements (jnk0le/random)',
  fetchBytes: 4,
  cycles(i) {
    const { d, executed: n } = i;
    const narrowPair = d.size === 2 && i.previous?.size === 2 ? Math.min(i.afterPrevious, n) : 0;
    switch (d.cls) {
      case 'ldm':
      case 'stm':
        return d.regs * n;
      case 'ldmpc':
        return (d.regs + P) * n;
      case 'load2':
      case 'store2':
        return 2 * n;
      case 'mul':
        return (d.size === 2 ? 2 : 1) * n;
      case 'load':
        return armv7mCommon(i, () => 1, afterAnySingle);
      case 'it':
        return n - narrowPair;
      case 'branch': {
        if (d.size !== 2) return armv7mCommon(i, () => 1);
        const taken = takenCount(i);
        // executions that paired with a 16-bit instruction before them: not taken 0, taken 1 after a
        // 16-bit load/store (which sets no flags), else the M4's 1 / 1+P
        const paired = Math.min(narrowPair, n);
        const takenShare = n > 0 ? (paired * taken) / n : 0;
        const pairedNotTaken = paired - takenShare;
        const pairedTakenCost = i.previous?.memory ? 1 : 1 + P;
        return Math.round(n + P * taken - pairedNotTaken - (1 + P - pairedTakenCost) * takenShare);
      }
      default:
        return armv7mCommon(i, () => 1);
    }
  },
};

/** Classes the Cortex-M7 dual-issues (with the pair restrictions below). */
const M7_PAIRABLE: ReadonlySet<InsnClass> = new Set(['alu', 'load', 'store', 'mul', 'mla', 'dsp', 'simd', 'it', 'fpu']);

/**
 * Cortex-M7: Arm publishes no instruction timing for it (its TRM, DDI 0489, describes the six-stage
 * dual-issue pipeline and the branch predictor, not cycle counts). An approximation, assumed: every
 * instruction single-issued costs 1 (loads, multiplies and MACs included); one that follows a
 * pairable one in a straight line dual-issues with it (cost 0) for half its executions, unless the
 * pair is not one the core issues together. Which pairs, and the multiple transfers, follow
 * independent DWT measurements on an STM32H743 (jnk0le/random, "pipeline cycle test/doc/cortex_m7.md"),
 * which agree with those published on mastodawn.com #CortexM7:
 * - two multiplies/MACs never pair, nor a multiply with a store; the DSP multiplies (SMLAD, SMLABB
 *   ...) pair in either slot;
 * - non-multiply DSP/SIMD and bitfield instructions pair only as the first (lower-address) of two,
 *   never two of them;
 * - two stores never pair; a load and a store do; two loads pair only when they hit different
 *   (even/odd word) banks, which the trace does not see: assumed not to;
 * - LDM/STM/PUSH/POP of N registers ceil(N/2) cycles, pairing with nothing (64-bit bus).
 * A taken branch costs 1 more (predicted; the measured 6 to 8 cycles of a misprediction and the
 * pairing of a branch with its neighbours are not modelled); SDIV/UDIV as on the M4.
 */
export const CORTEX_M7: CoreTiming = {
  core: 'cortex-m7',
  source: 'no published table: a dual-issue approximation after STM32H743 DWT measurements (jnk0le/random)',
  fetchBytes: 8,
  cycles(i) {
    const { d, executed: n } = i;
    const taken = takenCount(i);
    switch (d.cls) {
      case 'ldm':
      case 'stm':
        return Math.ceil(d.regs / 2) * n;
      case 'ldmpc':
        return (1 + Math.ceil(d.regs / 2)) * n;
      case 'load2':
      case 'store2':
        return n;
      case 'div':
        return DIVIDE * n;
      case 'fdiv':
        return 14 * n;
      case 'fldst':
        return (1 + Math.ceil(d.regs / 2)) * n;
      case 'table':
        return 3 * n;
      case 'sys':
        return 2 * n;
      case 'branch':
      case 'jump':
      case 'call':
      case 'indirect':
        return n + taken;
      default: {
        const prev = i.previous;
        if (!M7_PAIRABLE.has(d.cls) || !prev || !M7_PAIRABLE.has(prev.cls)) return n;
        // non-multiply DSP/SIMD only as the first (lower-address) of a pair
        if (d.cls === 'simd') return n;
        const bothLoads = d.cls === 'load' && prev.cls === 'load';
        const bothStores = d.cls === 'store' && prev.cls === 'store';
        const bothMultiply = isMultiply(d.cls) && isMultiply(prev.cls);
        const multiplyAndStore = (isMultiply(d.cls) && prev.cls === 'store') || (d.cls === 'store' && isMultiply(prev.cls));
        if (bothLoads || bothStores || bothMultiply || multiplyAndStore) return n;
        // of a run of pairable instructions, every second one pairs: half the executions after a pairable one
        return n - Math.floor(Math.min(i.afterPrevious, n) / 2);
      }
    }
  },
};

function isMultiply(cls: InsnClass): boolean {
  return cls === 'mul' || cls === 'mla' || cls === 'mull' || cls === 'dsp';
}

/**
 * RV32IMC for the ESP32-C3 class: Espressif publishes no per-instruction timing (the ESP32-C3
 * Technical Reference Manual describes a 4-stage in-order RV32IMC core). Assumed, not measured:
 * ALU, MUL, MULH*, loads and stores 1 (load-use stalls not modelled); a taken branch, a jump, a call
 * or a return 3 (a refill of the fetch stages); DIV/REM 33 (an iterative divider: the WLED project's
 * per-operation benchmark on the chip runs integer divides ~27x slower than adds); CSR access 2.
 * Independent cycle measurements on the chip exist (ctrlsrc.io "Counting CPU cycles on ESP32-C3 and
 * ESP32-C6") but were not read into this table.
 */
export const RV32IMC_ESP32C3: CoreTiming = {
  core: 'rv32imc',
  source: 'no published table: ESP32-C3 class assumptions after independent measurements',
  fetchBytes: 4,
  cycles(i) {
    const { d, executed: n } = i;
    switch (d.cls) {
      case 'branch':
        return n + 2 * takenCount(i);
      case 'jump':
      case 'call':
      case 'indirect':
        return 3 * n;
      case 'div':
        return 33 * n;
      case 'sys':
        return 2 * n;
      default:
        return n;
    }
  },
};

/**
 * Xtensa LX6 (ESP32) and LX7 (ESP32-S3). Neither Espressif nor Cadence publishes a per-instruction
 * cycle table for these configurations; what is published:
 * - the pipeline depth, in Espressif's core configurations (espressif/xtensa-overlays, each core's
 *   core-isa.h): XCHAL_DATA_PIPE_DELAY 2 on the ESP32 ("7-stage") and 1 on the ESP32-S3 ("5-stage"),
 *   one load/store unit, a 4-byte instruction fetch, zero-overhead loops, MUL16/MUL32/DIV32, MAC16;
 * - a taken branch on the ESP32: a counted loop closed by a decrement and a conditional branch costs
 *   5 cycles a pass where the zero-overhead loop costs none (pcm1723.hateblo.jp, "ESP32 の命令実行
 *   サイクル数 (1)", CCOUNT-timed), so a taken branch 4 (3 refill cycles); the same C loop takes one
 *   cycle more a pass on the ESP32 than on the ESP8266's 5-stage LX106 (github.com/espressif/esp-idf/issues/85).
 * Assumed, not measured: one cycle for every other instruction (ALU, store, ENTRY, MUL16, the
 * MAC16 products and accumulations, MULL) except a load, which costs 1 plus half the load-use stall
 * (the next instruction uses its result about half the time; registers are not decoded): the stall
 * is the data pipe delay, so 2 on the LX6 and 1.5 on the LX7; a taken transfer of control (branch,
 * J, CALLn, CALLXn, RET/RETW, JX) refills the fetch stages: 3 cycles on the 7-stage LX6 (measured,
 * above), none on the LX7 (measured on the chip, below); MULUH/MULSH 2; QUOS/QUOU/REMS/REMU 33 (an
 * iterative divider, as assumed for the ESP32-C3); special-register and synchronization
 * instructions (RSR, WSR, MEMW, ISYNC) 2. The back edge of a zero-overhead loop costs nothing, and
 * LOOPNEZ/LOOPGTZ skipping their body are priced as a taken branch.
 */
function xtensaCycles(i: TimedInsn, refill: number, load: number): number {
  const { d, executed: n } = i;
  switch (d.cls) {
    case 'load':
    case 'fldst':
      return load * n;
    case 'branch':
    case 'loop':
      return n + refill * takenCount(i);
    case 'jump':
    case 'call':
    case 'indirect':
      return (1 + refill) * n;
    case 'mull':
      return 2 * n;
    case 'div':
      return 33 * n;
    case 'fdiv':
      return 14 * n;
    case 'sys':
      return 2 * n;
    default:
      return n;
  }
}

export const XTENSA_LX6_ESP32: CoreTiming = {
  core: 'xtensa-lx6',
  source: 'no published table: the ESP32 core configuration (7-stage) and a published CCOUNT-timed loop (taken branch 4)',
  fetchBytes: 4,
  cycles: (i) => xtensaCycles(i, 3, 2),
};

/**
 * The LX7 of the ESP32-S3 takes a transfer of control at no cost beyond its own cycle: held to
 * esp-tflite-micro's person_detection measured on the chip (docs/timing.md, "ESP32, ESP32-S3,
 * ESP32-C3 against silicon"), the reference kernels' stream (26 % taken branches) runs at 1.13
 * cycles per instruction on the S3 where the same stream takes 2.01 on the ESP32; a 2-cycle refill
 * (the ESP32's one stage shorter, the earlier assumption) priced it at 1.71, +50.6 %.
 */
export const XTENSA_LX7_ESP32S3: CoreTiming = {
  core: 'xtensa-lx7',
  source: 'no published table: the ESP32-S3 core configuration (5-stage, load-use 0.5), taken branches free as person_detection measured on the chip says',
  fetchBytes: 4,
  cycles: (i) => xtensaCycles(i, 0, 1.5),
};

/** The vector pipe an MVE class runs on, or null where it holds none long enough to stall the next. */
type MvePipes = Partial<Record<InsnClass, string>>;

/**
 * Beat-wise MVE execution on the dual-beat Cortex-M55 and Cortex-M85: a 128-bit instruction is four
 * 32-bit beats, two a cycle, so it holds its vector pipe for two cycles; the next instruction issues
 * the cycle after it, and its first beats overlap the second beats of the one before when it runs on
 * another pipe (`VLDR; VADD; VMUL; VSTR` issue in four consecutive cycles). One on the same pipe
 * waits a cycle (`VLDR; VLDRB` two cycles apart). A scalar load or store right after an MVE load or
 * store waits likewise: both use the load/store unit. Only the instruction before in a straight line
 * is looked at (a stall needs the same pipe on consecutive issue cycles); register dependencies
 * (result latencies of 1 to 3 cycles) are not decoded.
 */
function mveCycles(i: TimedInsn, pipes: MvePipes, scalar: (i: TimedInsn) => number): number {
  const { d, executed: n } = i;
  const prev = i.previous;
  const follows = prev ? Math.min(i.afterPrevious, n) : 0;
  if (MVE_CLASSES.has(d.cls)) {
    const pipe = pipes[d.cls];
    const samePipe = !!pipe && !!prev && pipes[prev.cls] === pipe;
    return n + (samePipe ? follows : 0);
  }
  const memoryAfterVectorMemory = d.memory && !!prev && (prev.cls === 'mveload' || prev.cls === 'mvestore');
  return scalar(i) + (memoryAfterVectorMemory ? follows : 0);
}

/**
 * Low-overhead loops (Armv8.1-M): DLS/WLS/DLSTP/WLSTP/LCTP and the branch-future instructions issue
 * in one cycle, plus a refill when WLS skips its loop. LE/LETP records the loop's start in the
 * LO_BRANCH_INFO cache on its first taken execution; later iterations branch back from the cached
 * entry without the cost of a branch (QEMU, whose trace this prices, never caches it and runs LE on
 * every iteration). Priced per loop entry (the executions that fell through, one per loop run): the
 * first taken LE as a taken branch (1+P), the later taken ones 0, the falling-through one 1. The 0
 * is assumed: no published cycle figure for a cached LE on the Cortex-M55 was found; LLVM's
 * Cortex-M85 model (ARMScheduleM85.td) executes LE at issue with no cost after the first iteration.
 */
function loopCycles(i: TimedInsn, refill: number): number {
  const { d, executed: n } = i;
  const taken = takenCount(i);
  if (d.cls === 'loop') return n + refill * taken;
  const exits = n - taken;
  const firstTaken = Math.min(taken, exits);
  return exits + (1 + refill) * firstTaken;
}

/**
 * Cortex-M55: no cycle table was found in the sources consulted (the Cortex-M55 Software Optimization
 * Guide was not among them). The figures follow LLVM's Cortex-M55 scheduling model
 * (llvm/lib/Target/ARM/ARMScheduleM55.td): "a lot like the M4/M33" for scalar code, with dual issue
 * of pairs of 16-bit instructions, so the scalar classes are priced by the Cortex-M33 table; MVE
 * instructions take two beats on one of four vector pipes (load/store, integer, FP/multiply,
 * control) and overlap across pipes (`mveCycles`). Pipes, from the model: VLDR/VSTR, gathers,
 * scatters, VLD2/VLD4 on load/store; VADD/VSUB, shifts, VMAX/VMIN (VMAXV too), VDUP, VMOVL/VMOVN,
 * VQMOVN, logic, VPSEL on integer; VMUL, VMLA/VMLAS, VQ(R)DMULH, VMULL, VMLADAV/VMLALDAV, VADDV,
 * VCMP/VPT and MVE floating point on FP/multiply; VPST, VPNOT, VCTP on control, one cycle.
 * SLOTHY's Cortex-M55 model (slothy-optimizer/slothy, cortex_m55r1.py, copyright Arm) gives the
 * same inverse throughput of 2 for every vector instruction and puts scalar loads on the vector
 * load/store unit.
 */
export const CORTEX_M55: CoreTiming = {
  core: 'cortex-m55',
  source: 'no published table: LLVM ARMScheduleM55.td (MVE beats and pipes), the Cortex-M33 table for scalar code',
  fetchBytes: 4,
  cycles(i) {
    if (i.d.cls === 'loop' || i.d.cls === 'loopend') return loopCycles(i, P);
    return mveCycles(i, { mveload: 'ls', mvestore: 'ls', mveint: 'int', mvemac: 'mul', mvereduce: 'mul', mvecmp: 'mul' }, (s) => CORTEX_M33.cycles(s));
  },
};

/**
 * Cortex-M85: no published cycle table found either. LLVM's scheduling model for it
 * (llvm/lib/Target/ARM/ARMScheduleM85.td) describes a dual-issue in-order core (two ALUs, two load
 * and two store pipes, a MAC, branch prediction, LE executed at issue), so scalar code is priced by
 * this project's Cortex-M7 dual-issue approximation (assumed: the M85's own pairing rules are not
 * published); MVE instructions hold one of the vector groups for two cycles as on the M55: loads
 * and stores, A (integer: VADD, shifts, VMAX/VMIN, VMOVN, VQMOVN), B (multiplies, MACs,
 * reductions, floating point), C (VCMP, VPT) and D (VPST, VPNOT, VCTP). The model's logic
 * operations, VMOV and VPSEL hold no group; they are priced as integer (A).
 */
export const CORTEX_M85: CoreTiming = {
  core: 'cortex-m85',
  source: 'no published table: LLVM ARMScheduleM85.td (MVE beats and groups), the Cortex-M7 dual-issue approximation for scalar code',
  fetchBytes: 8,
  cycles(i) {
    if (i.d.cls === 'loop' || i.d.cls === 'loopend') return loopCycles(i, 1);
    return mveCycles(i, { mveload: 'ls', mvestore: 'ls', mveint: 'a', mvemac: 'b', mvereduce: 'b', mvecmp: 'c', mvepred: 'd' }, (s) => CORTEX_M7.cycles(s));
  },
};

export const CORE_TIMINGS: Readonly<Record<string, CoreTiming>> = {
  'cortex-m0': CORTEX_M0,
  'cortex-m0plus': CORTEX_M0PLUS,
  'cortex-m3': CORTEX_M3,
  'cortex-m4': CORTEX_M4,
  'cortex-m7': CORTEX_M7,
  'cortex-m33': CORTEX_M33,
  'cortex-m55': CORTEX_M55,
  'cortex-m85': CORTEX_M85,
  esp32c3: RV32IMC_ESP32C3,
  rv32imc: RV32IMC_ESP32C3,
  esp32: XTENSA_LX6_ESP32,
  esp32s3: XTENSA_LX7_ESP32S3,
};

/** The timing model of a target's `cpu`, or null where there is none (host). */
export function coreTiming(cpu: string): CoreTiming | null {
  return CORE_TIMINGS[cpu] ?? null;
}

/** Memory cycles of one instruction address's executions on a board. */
export function memoryCycles(i: TimedInsn, timing: CoreTiming, memory: MemoryCosts): number {
  if (!memory.codeInFlash) return 0;
  const fetchWords = (i.d.size / timing.fetchBytes) * i.executed;
  const literal = i.d.literal ? i.executed * memory.perFlashRead : 0;
  return fetchWords * memory.perFetchWord + takenCount(i) * memory.perTakenBranch + literal;
}
