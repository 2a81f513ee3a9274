// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MVE_CLASSES, type InsnClass } from '../../src/lab/estimate/timing/classes.ts';
import { decodeThumb, isWide } from '../../src/lab/estimate/timing/thumb.ts';
import { requireTools, scratchDir } from '../build/helpers.ts';

/** Armv8.1-M source lines, one instruction each, with the class each must decode to (null: not checked). */
const CASES: [string, InsnClass | null][] = [
  ['1: vldrb.s8 q0, [r0]', 'mveload'],
  ['vldrb.u8 q1, [r0, #16]!', 'mveload'],
  ['vldrb.s16 q0, [r0]', 'mveload'],
  ['vldrb.s32 q0, [r0], #4', 'mveload'],
  ['vldrh.s16 q0, [r0]', 'mveload'],
  ['vldrw.u32 q0, [r0, #16]', 'mveload'],
  ['vldrb.u32 q0, [r0, q1]', 'mveload'],
  ['vldrw.u32 q0, [q1, #8]', 'mveload'],
  ['vld20.8 {q0, q1}, [r0]', 'mveload'],
  ['vld40.8 {q0, q1, q2, q3}, [r0]', 'mveload'],
  ['vstrb.8 q0, [r0]', 'mvestore'],
  ['vstrb.16 q0, [r0]', 'mvestore'],
  ['vstrh.16 q0, [r0], #16', 'mvestore'],
  ['vstrw.32 q0, [r0]', 'mvestore'],
  ['vstrw.32 q0, [q1, #8]', 'mvestore'],
  ['vst20.8 {q0, q1}, [r0]', 'mvestore'],
  ['vmladav.s8 r0, q0, q1', 'mvereduce'],
  ['vmladava.s8 r0, q0, q1', 'mvereduce'],
  ['vmladava.s16 r0, q0, q1', 'mvereduce'],
  ['vmladavax.s16 r0, q0, q1', 'mvereduce'],
  ['vmlava.u32 r0, q0, q1', 'mvereduce'],
  ['vmlaldava.s16 r0, r1, q0, q1', 'mvereduce'],
  ['vrmlaldavha.s32 r0, r1, q0, q1', 'mvereduce'],
  ['vaddv.s8 r0, q0', 'mvereduce'],
  ['vaddva.s32 r0, q0', 'mvereduce'],
  ['vaddlv.s32 r0, r1, q0', 'mvereduce'],
  ['vmla.s8 q0, q1, r0', 'mvemac'],
  ['vmlas.s32 q0, q1, r0', 'mvemac'],
  ['vmul.i8 q0, q1, q2', 'mvemac'],
  ['vmul.i32 q0, q1, r0', 'mvemac'],
  ['vmullb.s16 q0, q1, q2', 'mvemac'],
  ['vqrdmulh.s32 q0, q1, q2', 'mvemac'],
  ['vqrdmulh.s32 q0, q1, r0', 'mvemac'],
  ['vqdmulh.s32 q0, q1, q2', 'mvemac'],
  ['vqdmulh.s16 q0, q1, r0', 'mvemac'],
  ['vqdmladh.s32 q0, q1, q2', 'mvemac'],
  ['vfma.f32 q0, q1, q2', 'mvemac'],
  ['vadd.f32 q0, q1, q2', 'mvemac'],
  ['vmul.f32 q0, q1, q2', 'mvemac'],
  ['vcvt.f32.s32 q0, q1', 'mvemac'],
  ['vrshl.s32 q0, q1, q2', 'mveint'],
  ['vrshl.s32 q0, r0', 'mveint'],
  ['vshl.s32 q0, q1, q2', 'mveint'],
  ['vshl.s32 q0, r0', 'mveint'],
  ['vshl.i32 q0, q1, #3', 'mveint'],
  ['vqshl.s32 q0, q1, q2', 'mveint'],
  ['vqshl.s32 q0, r0', 'mveint'],
  ['vqrshl.s32 q0, r0', 'mveint'],
  ['vrshr.s32 q0, q1, #3', 'mveint'],
  ['vshr.s32 q0, q1, #3', 'mveint'],
  ['vadd.i32 q0, q1, q2', 'mveint'],
  ['vadd.i32 q0, q1, r0', 'mveint'],
  ['vsub.i8 q0, q1, q2', 'mveint'],
  ['vsub.i32 q0, q1, r0', 'mveint'],
  ['vqadd.s8 q0, q1, q2', 'mveint'],
  ['vhadd.s8 q0, q1, q2', 'mveint'],
  ['vmax.s8 q0, q1, q2', 'mveint'],
  ['vmin.s32 q0, q1, q2', 'mveint'],
  ['vmaxa.s8 q0, q1', 'mveint'],
  ['vmaxv.s8 r0, q0', 'mveint'],
  ['vminv.s32 r0, q0', 'mveint'],
  ['vdup.32 q0, r0', 'mveint'],
  ['vdup.8 q0, r0', 'mveint'],
  ['vmov q0, q1', 'mveint'],
  ['vmov.i32 q0, #0', 'mveint'],
  ['vmov r0, r1, q0[2], q0[0]', 'mveint'],
  ['vmovlb.s8 q0, q1', 'mveint'],
  ['vmovlt.u16 q0, q1', 'mveint'],
  ['vmovnb.i32 q0, q1', 'mveint'],
  ['vmovnt.i16 q0, q1', 'mveint'],
  ['vqmovnb.s32 q0, q1', 'mveint'],
  ['vqmovunt.s16 q0, q1', 'mveint'],
  ['vqrshrnb.s32 q0, q1, #3', 'mveint'],
  ['vshrnb.i32 q0, q1, #3', 'mveint'],
  ['vand q0, q1, q2', 'mveint'],
  ['vorr q0, q1, q2', 'mveint'],
  ['veor q0, q1, q2', 'mveint'],
  ['vneg.s32 q0, q1', 'mveint'],
  ['vabs.s8 q0, q1', 'mveint'],
  ['vrev64.8 q0, q1', 'mveint'],
  ['vadc.i32 q0, q1, q2', 'mveint'],
  ['vbrsr.32 q0, q1, r0', 'mveint'],
  ['vidup.u8 q0, r0, #1', 'mveint'],
  ['vctp.8 r0', 'mvepred'],
  ['vctp.32 r1', 'mvepred'],
  ['vpst', 'mvepred'],
  ['vaddt.i32 q0, q1, q2', 'mveint'],
  ['vpstt', 'mvepred'],
  ['vldrbt.s8 q0, [r0]', 'mveload'],
  ['vmladavat.s8 r0, q0, q1', 'mvereduce'],
  ['vpt.s32 gt, q0, q1', 'mvecmp'],
  ['vstrwt.32 q0, [r0]', 'mvestore'],
  ['vpte.i8 eq, q0, r0', 'mvecmp'],
  ['vmult.i8 q0, q1, q2', 'mvemac'],
  ['vmule.i8 q0, q1, q2', 'mvemac'],
  ['vcmp.s32 gt, q0, q1', null],
  ['vpnot', 'mvepred'],
  ['vmov.32 r0, q0[1]', 'fpu'],
  ['asrl r0, r1, #3', 'alu'],
  ['sqrshr r0, r2', 'alu'],
  ['csel r0, r1, r2, eq', 'alu'],
  ['dls lr, r0', 'loop'],
  ['wls lr, r0, 2f', 'loop'],
  ['dlstp.8 lr, r0', 'loop'],
  ['dlstp.32 lr, r0', 'loop'],
  ['wlstp.16 lr, r0, 2f', 'loop'],
  ['le lr, 1b', 'loopend'],
  ['letp lr, 1b', 'loopend'],
  ['le 1b', 'loopend'],
  ['lctp', 'loop'],
  ['bf 3f, 4f', 'loop'],
  ['nop', null],
  ['3: b 4f', 'jump'],
  ['4: nop', null],
  ['2: bx lr', 'indirect'],
];

/** Bytes of the object's .text, split into instructions as the decoder does. */
function instructions(dir: string, source: string, flags: string[]): Uint8Array[] {
  const obj = join(dir, 'a.o');
  const bin = join(dir, 'a.bin');
  writeFileSync(join(dir, 'a.s'), source);
  execFileSync('arm-none-eabi-gcc', [...flags, '-c', join(dir, 'a.s'), '-o', obj]);
  execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', '-j', '.text', obj, bin]);
  const bytes = readFileSync(bin);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = isWide(bytes[at]! | (bytes[at + 1]! << 8)) ? 4 : 2;
    out.push(Uint8Array.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return out;
}

const M55 = ['-mcpu=cortex-m55', '-mfloat-abi=hard', '-mthumb'];

describe('estimate: Armv8.1-M decoding (MVE, low-overhead loops), against arm-none-eabi-as', function () {
  let scratch: ReturnType<typeof scratchDir>;
  before(function () {
    requireTools(this, ['arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'arm-none-eabi-objdump']);
    scratch = scratchDir('decode-mve');
  });
  after(() => scratch?.cleanup());

  it('decodes each assembled instruction to its class', () => {
    const source = ['.syntax unified', '.thumb', '.text', ...CASES.map(([line]) => line), ''].join('\n');
    const insns = instructions(scratch.dir, source, M55);
    expect(insns.length).to.equal(CASES.length);
    const wrong: string[] = [];
    CASES.forEach(([line, cls], k) => {
      const got = decodeThumb(insns[k]!).cls;
      const hex = Buffer.from(insns[k]!).toString('hex');
      if (cls && got !== cls) wrong.push(`${line} (${hex}): ${got}, expected ${cls}`);
    });
    expect(wrong).to.deep.equal([]);
  });

  it('decodes every MVE instruction of an arm_mve.h kernel compiled -O2 as MVE, its loop instructions as loops', () => {
    const c = join(scratch.dir, 'k.c');
    writeFileSync(
      c,
      [
        '#include <arm_mve.h>',
        '#include <stdint.h>',
        'int32_t dot(const int8_t *a, const int8_t *b, int n) {',
        '  int32_t acc = 0;',
        '  while (n > 0) {',
        '    mve_pred16_t p = vctp8q(n);',
        '    acc = vmladavaq_p_s8(acc, vld1q_z_s8(a, p), vld1q_z_s8(b, p), p);',
        '    a += 16; b += 16; n -= 16;',
        '  }',
        '  return acc;',
        '}',
        'void requant(int32_t *x, int n, int32_t m, int32_t s, int8_t *out) {',
        '  for (int i = 0; i < n; i += 4) {',
        '    int32x4_t v = vldrwq_s32(x + i);',
        '    v = vqrdmulhq_n_s32(vshlq_n_s32(v, 1), m);',
        '    v = vrshlq_n_s32(v, s);',
        '    v = vmaxq_s32(vminq_s32(v, vdupq_n_s32(127)), vdupq_n_s32(-128));',
        '    vstrbq_s32(out + i, v);',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const obj = join(scratch.dir, 'k.o');
    execFileSync('arm-none-eabi-gcc', [...M55, '-O2', '-c', c, '-o', obj]);
    const listing = execFileSync('arm-none-eabi-objdump', ['-d', '-m', 'armv8.1-m.main', obj], { encoding: 'utf8' });
    let mve = 0;
    const wrong: string[] = [];
    for (const line of listing.split('\n')) {
      const m = /^\s*[0-9a-f]+:\s+([0-9a-f]{4})(?: ([0-9a-f]{4}))?\s+(\S+)/.exec(line);
      if (!m) continue;
      const halves = [m[1]!, m[2]].filter((h): h is string => !!h).map((h) => parseInt(h, 16));
      const bytes = Uint8Array.from(halves.flatMap((h) => [h & 0xff, h >>> 8]));
      const mnemonic = m[3]!;
      const cls = decodeThumb(bytes).cls;
      const isMve = /^v/.test(mnemonic) && !/^v(push|pop|ldm|stm|mrs|msr)/.test(mnemonic) && !(/^vmov/.test(mnemonic) && /\bs\d+\b/.test(line));
      if (isMve) {
        mve++;
        if (!MVE_CLASSES.has(cls)) wrong.push(`${line.trim()}: ${cls}`);
      }
      if (/^(dls|wls|le|letp|dlstp|wlstp)\b/.test(mnemonic) && cls !== 'loop' && cls !== 'loopend') wrong.push(`${line.trim()}: ${cls}`);
    }
    expect(mve, 'MVE instructions in the listing').to.be.greaterThan(6);
    expect(wrong).to.deep.equal([]);
  });
});
