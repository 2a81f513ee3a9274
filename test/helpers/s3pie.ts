// SPDX-License-Identifier: Apache-2.0
/**
 * One table of ESP32-S3 PIE instruction checks, run two ways: as an assembly program on Espressif's
 * QEMU `esp32s3` machine (the S3's binutils assemble it, the machine loads the ELF with `-kernel`
 * and it writes its results over semihosting), and as a C program through xtensa_s3_simd.h's
 * functional model on the host. Both write the same byte stream: every pointer an instruction
 * advanced, every register or memory block the case reads back, in the order of its steps.
 *
 * A case is a list of steps over memory blocks of its own (16-byte aligned, initial bytes given).
 * Pointers stay inside their block, steps included, so the C side never forms an out-of-range
 * pointer. `emulatorOnly` cases use an instruction the model does not have (they show a fault of
 * the emulator, next to what the silicon does).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toolsFolder } from '../../src/lab/toolchain/compilers.ts';
import { compileAndRun } from './op_harness.ts';

export type QacStore = 'l.l.128' | 'l.h.32' | 'h.l.128' | 'h.h.32';

export type Step =
  | { op: 'zeroAccx' }
  | { op: 'zeroQacc' }
  /** EE.VLD.128.IP q, ptr, step: writes the pointer's offset in its block after the step */
  | { op: 'vld'; q: number; block: string; offset: number; step: number }
  /** EE.VMULAS.S8.ACCX qx, qy, `times` times in a loop */
  | { op: 'vmulasAccx'; qx: number; qy: number; times?: number }
  /** EE.VMULAS.S8.ACCX.LD.IP qu, ptr, step, qx, qy: writes the pointer's offset */
  | { op: 'vmulasAccxLd'; qu: number; block: string; offset: number; step: number; qx: number; qy: number }
  /** EE.VMULAS.S8.QACC qx, qy, `times` times */
  | { op: 'vmulasQacc'; qx: number; qy: number; times?: number }
  /** EE.VMULAS.U8.QACC qx, qy, `times` times (emulator only: the model has no unsigned form) */
  | { op: 'vmulasQaccU8'; qx: number; qy: number; times?: number }
  /** RUR.ACCX_0: writes ACCX bits 31..0 */
  | { op: 'rurAccx0' }
  /** ACCX bits 39..32 (RUR.ACCX_1, its low 8 bits): writes them zero-extended */
  | { op: 'accx1' }
  /** q register's 16 bytes (EE.VST.128.IP to an aligned scratch) */
  | { op: 'dumpQ'; q: number }
  /** WUR.QACC_L_0..4, WUR.QACC_H_0..4: the 320 bits of QACC as ten little-endian words, L first */
  | { op: 'setQacc'; words: number[] }
  /** EE.ST.QACC_{L,H}.{L.128,H.32}.IP ptr, step: writes the pointer's offset */
  | { op: 'stQacc'; which: QacStore; block: string; offset: number; step: number }
  /** a block's current bytes */
  | { op: 'dump'; block: string };

export interface PieCase {
  name: string;
  /** blocks: name -> initial bytes (length a multiple of 16) */
  blocks: Record<string, number[]>;
  steps: Step[];
  /** uses an instruction the model has not: run on the emulator only */
  emulatorOnly?: boolean;
}

const isLoop = (s: Step): s is Extract<Step, { times?: number }> => 'times' in s && s.times !== undefined && s.times > 1;

/** The case's steps as one block of assembly (a15: the output cursor; a8-a12 scratch). */
function caseAsm(c: PieCase, k: number): { text: string[]; data: string[] } {
  const label = (b: string) => `c${k}_${b}`;
  const text: string[] = [`/* ${c.name} */`];
  const emitOffset = (block: string) => text.push(`movi a9, ${label(block)}`, 'sub a9, a8, a9', 's32i a9, a15, 0', 'addi a15, a15, 4');
  const copyWords = (from: string, bytes: number) => {
    text.push(
      `movi a9, ${from}`,
      `movi a10, ${bytes / 4}`,
      '1: l32i a11, a9, 0',
      's32i a11, a15, 0',
      'addi a9, a9, 4',
      'addi a15, a15, 4',
      'addi a10, a10, -1',
      'bnez a10, 1b',
    );
  };
  const loop = (s: Step, insn: string) => {
    if (!isLoop(s)) return text.push(insn);
    return text.push(`movi a12, ${s.times}`, `1: ${insn}`, 'addi a12, a12, -1', 'bnez a12, 1b');
  };
  for (const s of c.steps) {
    switch (s.op) {
      case 'zeroAccx':
        text.push('ee.zero.accx');
        break;
      case 'zeroQacc':
        text.push('ee.zero.qacc');
        break;
      case 'vld':
        text.push(`movi a8, ${label(s.block)} + ${s.offset}`, `ee.vld.128.ip q${s.q}, a8, ${s.step}`);
        emitOffset(s.block);
        break;
      case 'vmulasAccx':
        loop(s, `ee.vmulas.s8.accx q${s.qx}, q${s.qy}`);
        break;
      case 'vmulasAccxLd':
        text.push(`movi a8, ${label(s.block)} + ${s.offset}`, `ee.vmulas.s8.accx.ld.ip q${s.qu}, a8, ${s.step}, q${s.qx}, q${s.qy}`);
        emitOffset(s.block);
        break;
      case 'vmulasQacc':
        loop(s, `ee.vmulas.s8.qacc q${s.qx}, q${s.qy}`);
        break;
      case 'vmulasQaccU8':
        loop(s, `ee.vmulas.u8.qacc q${s.qx}, q${s.qy}`);
        break;
      case 'rurAccx0':
        text.push('rur.accx_0 a9', 's32i a9, a15, 0', 'addi a15, a15, 4');
        break;
      case 'accx1':
        text.push('rur.accx_1 a9', 'extui a9, a9, 0, 8', 's32i a9, a15, 0', 'addi a15, a15, 4');
        break;
      case 'dumpQ':
        text.push('movi a8, qscratch', `ee.vst.128.ip q${s.q}, a8, 0`);
        copyWords('qscratch', 16);
        break;
      case 'setQacc':
        s.words.forEach((w, i) => text.push(`movi a9, ${w | 0}`, `wur.qacc_${i < 5 ? 'l' : 'h'}_${i % 5} a9`));
        break;
      case 'stQacc':
        text.push(`movi a8, ${label(s.block)} + ${s.offset}`, `ee.st.qacc_${s.which}.ip a8, ${s.step}`);
        emitOffset(s.block);
        break;
      case 'dump':
        copyWords(label(s.block), c.blocks[s.block]!.length);
        break;
    }
  }
  const data = Object.entries(c.blocks).flatMap(([b, bytes]) => ['.align 16', `${label(b)}:`, ...chunks(bytes).map((r) => `.byte ${r.join(', ')}`)]);
  return { text, data };
}

function chunks(bytes: number[]): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < bytes.length; i += 16) rows.push(bytes.slice(i, i + 16).map((b) => b & 0xff));
  return rows;
}

/** the steps that write one 32-bit word */
const WORD_STEPS = new Set<Step['op']>(['vld', 'vmulasAccxLd', 'rurAccx0', 'accx1', 'stQacc']);

/** Bytes each case writes, the same on both sides: what the output buffer must hold. */
function outputBound(cases: PieCase[]): number {
  let n = 0;
  for (const c of cases) for (const s of c.steps) n += s.op === 'dump' ? c.blocks[s.block]!.length : s.op === 'dumpQ' ? 16 : WORD_STEPS.has(s.op) ? 4 : 0;
  return n;
}

/** The whole program: CPENABLE on, every case in turn, one semihosting write of the results, exit 0. */
export function pieAssembly(cases: PieCase[]): string {
  const parts = cases.map((c, k) => caseAsm(c, k));
  return [
    '/* SPDX-License-Identifier: Apache-2.0 */',
    '\t.text',
    '\t.global _start',
    '\t.align 4',
    '_start:',
    ...['movi a9, 0xff', 'wsr a9, cpenable', 'rsync', 'movi a15, outbuf'],
    ...parts.flatMap((p) => p.text),
    ...['movi a2, 4', 'movi a3, 1', 'movi a4, outbuf', 'sub a5, a15, a4', 'simcall', 'movi a2, 1', 'movi a3, 0', 'simcall', '9: j 9b'],
    '\t.data',
    '\t.align 16',
    'qscratch: .space 16',
    ...parts.flatMap((p) => p.data),
    '\t.bss',
    '\t.align 16',
    `outbuf: .space ${outputBound(cases) + 16}`,
    '',
  ]
    .map((l) => (/^[.\t]|^\w+:|^\/\*/.test(l) && !/^\d/.test(l) ? l : `\t${l}`))
    .join('\n');
}

/** The same cases as a C program on the functional model, writing the same bytes to stdout. */
export function pieModelProgram(cases: PieCase[]): string {
  const lines = [
    '#include <stdint.h>',
    '#include <stdio.h>',
    '#include <string.h>',
    '#include "xtensa_s3_simd.h"',
    'static void put(int32_t v) { fwrite(&v, 4, 1, stdout); }',
    'static void put_bytes(const void *p, size_t n) { fwrite(p, 1, n, stdout); }',
  ];
  const body: string[] = [];
  cases.forEach((c, k) => {
    if (c.emulatorOnly) throw new Error(`${c.name}: emulator only`);
    const label = (b: string) => `c${k}_${b}`;
    for (const [b, bytes] of Object.entries(c.blocks))
      lines.push(`static int8_t ${label(b)}[${bytes.length}] __attribute__((aligned(16))) = {${bytes.map((v) => (v << 24) >> 24).join(', ')}};`);
    body.push(`  { /* ${c.name} */`, '    int8_t *p;');
    const rep = (s: Step, stmt: string) => body.push(isLoop(s) ? `    for (long i = 0; i < ${s.times}; ++i) ${stmt}` : `    ${stmt}`);
    for (const s of c.steps) {
      switch (s.op) {
        case 'zeroAccx':
          body.push('    TF_S3_ZERO_ACCX();');
          break;
        case 'zeroQacc':
          body.push('    TF_S3_ZERO_QACC();');
          break;
        case 'vld':
          body.push(`    p = ${label(s.block)} + ${s.offset};`, `    TF_S3_VLD_128_IP(q${s.q}, p, ${s.step});`, `    put((int32_t)(p - ${label(s.block)}));`);
          break;
        case 'vmulasAccx':
          rep(s, `TF_S3_VMULAS_S8_ACCX(q${s.qx}, q${s.qy});`);
          break;
        case 'vmulasAccxLd':
          body.push(
            `    p = ${label(s.block)} + ${s.offset};`,
            `    TF_S3_VMULAS_S8_ACCX_LD_IP(q${s.qu}, p, ${s.step}, q${s.qx}, q${s.qy});`,
            `    put((int32_t)(p - ${label(s.block)}));`,
          );
          break;
        case 'vmulasQacc':
          rep(s, `TF_S3_VMULAS_S8_QACC(q${s.qx}, q${s.qy});`);
          break;
        case 'vmulasQaccU8':
          throw new Error('no model');
        case 'rurAccx0':
          body.push('    { int32_t low; TF_S3_RUR_ACCX_0(low); put(low); }');
          break;
        case 'accx1':
          body.push('    put((int32_t)((uint64_t)tf_s3_state()->accx >> 32 & 0xFFu));');
          break;
        case 'dumpQ':
          body.push(`    put_bytes(tf_s3_state()->q[${s.q}], 16);`);
          break;
        case 'setQacc': {
          // lane i of a half: bits 20 i .. 20 i + 19 of its 160 bits, sign-extended
          const half = (w: number[]) => {
            let bits = 0n;
            w.forEach((x, i) => (bits |= BigInt(x >>> 0) << BigInt(32 * i)));
            return Array.from({ length: 8 }, (_, i) => {
              const v = Number((bits >> BigInt(20 * i)) & 0xfffffn);
              return v >= 0x80000 ? v - 0x100000 : v;
            });
          };
          const lanes = [...half(s.words.slice(0, 5)), ...half(s.words.slice(5))];
          lanes.forEach((v, i) => body.push(`    tf_s3_state()->qacc[${i}] = ${v};`));
          break;
        }
        case 'stQacc': {
          const macro = `TF_S3_ST_QACC_${s.which.toUpperCase().replace(/\./g, '_')}_IP`;
          body.push(`    p = ${label(s.block)} + ${s.offset};`, `    ${macro}(p, ${s.step});`, `    put((int32_t)(p - ${label(s.block)}));`);
          break;
        }
        case 'dump':
          body.push(`    put_bytes(${label(s.block)}, sizeof ${label(s.block)});`);
          break;
      }
    }
    body.push('  }');
  });
  return [...lines, 'int main(void) {', ...body, '  return 0;', '}', ''].join('\n');
}

/** The functional model's bytes for `cases`. */
export function runOnModel(cases: PieCase[]): Uint8Array {
  const dir = resolve(import.meta.dirname, '../../src/core/ops/common/isa');
  const files = ['xtensa_s3_simd.h'].map((name) => ({ name, path: `common/isa/${name}`, text: readFileSync(join(dir, name), 'utf8') }));
  return compileAndRun(pieModelProgram(cases), files);
}

/** Where the emulator and the S3's assembler and linker are expected. */
export function pieTools(env: NodeJS.ProcessEnv = process.env): { qemu: string; as: string; ld: string } {
  const tools = toolsFolder(env);
  return {
    qemu: join(tools, 'esp-qemu', 'bin', 'qemu-system-xtensa'),
    as: join(tools, 'xtensa-esp', 'bin', 'xtensa-esp32s3-elf-as'),
    ld: join(tools, 'xtensa-esp', 'bin', 'xtensa-esp32s3-elf-ld'),
  };
}

/** What is missing to run on the emulator, or null. */
export function pieToolsMissing(): string | null {
  const t = pieTools();
  const absent = Object.values(t).filter((p) => !existsSync(p));
  return absent.length ? `${absent.join(', ')} not found (set TINYFORGE_TFLM_TOOLS, see docs/reference-runtimes.md)` : null;
}

export const PIE_LINKER_SCRIPT = resolve(import.meta.dirname, '../../firmware/xtensa/s3-check/esp32s3-pie-check.ld');

/** The emulator's bytes for `cases`: assembled, linked, run on `qemu-system-xtensa -M esp32s3 -kernel`. */
export function runOnEmulator(cases: PieCase[]): Uint8Array {
  const t = pieTools();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-s3pie-'));
  try {
    writeFileSync(join(dir, 'check.S'), pieAssembly(cases));
    execFileSync(t.as, ['-o', join(dir, 'check.o'), join(dir, 'check.S')], { stdio: 'pipe' });
    execFileSync(t.ld, ['-T', PIE_LINKER_SCRIPT, '-o', join(dir, 'check.elf'), join(dir, 'check.o')], { stdio: 'pipe' });
    const out = execFileSync(t.qemu, ['-M', 'esp32s3', '-nographic', '-monitor', 'none', '-semihosting', '-kernel', join(dir, 'check.elf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 24,
    });
    return new Uint8Array(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bytes` split into each case's share, in order (what `outputBound` counts per case). */
export function splitByCase(cases: PieCase[], bytes: Uint8Array): Uint8Array[] {
  let at = 0;
  return cases.map((c) => {
    const n = outputBound([c]);
    const part = bytes.subarray(at, at + n);
    at += n;
    return part;
  });
}

/** How two runs of one case differ, reading by reading: words as hex, QACC read-back blocks (64 bytes) lane by lane. */
export function pieDifferences(c: PieCase, model: Uint8Array, emulator: Uint8Array): string[] {
  const found: string[] = [];
  let at = 0;
  const word = (b: Uint8Array) => `0x${(new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true) >>> 0).toString(16).padStart(8, '0')}`;
  c.steps.forEach((s, k) => {
    const n = s.op === 'dump' ? c.blocks[s.block]!.length : s.op === 'dumpQ' ? 16 : WORD_STEPS.has(s.op) ? 4 : 0;
    if (n === 4) {
      if (word(model) !== word(emulator)) found.push(`step ${k} ${s.op}: ${word(model)} vs ${word(emulator)}`);
    } else if (n === 64 && s.op === 'dump') {
      const lanes = (b: Uint8Array) => qaccLanesOf(b.subarray(at, at + 64));
      const [m, e] = [lanes(model), lanes(emulator)];
      m.forEach((v, i) => {
        if (v !== e[i]) found.push(`step ${k} lane ${i}: ${v} vs ${e[i]}`);
      });
      if (m.every((v, i) => v === e[i]) && Buffer.compare(model.subarray(at, at + 64), emulator.subarray(at, at + 64)) !== 0)
        found.push(`step ${k} dump bytes`);
    } else if (n > 0 && Buffer.compare(model.subarray(at, at + n), emulator.subarray(at, at + n)) !== 0) found.push(`step ${k} ${s.op} bytes`);
    at += n;
  });
  return found;
}

/** The 16 lanes of a QACC read-back block (QACC_L's 20 bytes at 0, QACC_H's at 32), sign-extended. */
export function qaccLanesOf(block: Uint8Array): number[] {
  const half = (from: number) => {
    let bits = 0n;
    for (let i = 0; i < 20; i++) bits |= BigInt(block[from + i]!) << BigInt(8 * i);
    return Array.from({ length: 8 }, (_, i) => {
      const v = Number((bits >> BigInt(20 * i)) & 0xfffffn);
      return v >= 0x80000 ? v - 0x100000 : v;
    });
  };
  return [...half(0), ...half(32)];
}
