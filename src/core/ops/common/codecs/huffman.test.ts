// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUFFMAN_MAX_BITS, canonicalCode, decodeHuffman, encodeHuffmanStream, huffmanCodeFor, limitedCodeLengths } from './huffman.ts';
import { compileAndRun, rng } from '../../../../../test/helpers/op_harness.ts';

/** Byte streams from several generated distributions: uniform, Laplacian-like, geometric (long tails), one symbol, two. */
function randomStream(rand: () => number, kind: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const spread = 1 + rand() * 30;
  for (let i = 0; i < length; i++) {
    switch (kind) {
      case 0:
        out[i] = Math.floor(rand() * 256);
        break;
      case 1: {
        const v = Math.round(Math.log(rand() + 1e-12) * spread * (rand() < 0.5 ? -1 : 1));
        out[i] = Math.max(-128, Math.min(127, v)) & 255;
        break;
      }
      case 2:
        // geometric with ratio 1/2 over 40 symbols: Huffman lengths up to 39 before the limit
        out[i] = Math.min(39, Math.floor(-Math.log2(rand() + 1e-15)));
        break;
      case 3:
        out[i] = 77;
        break;
      default:
        out[i] = rand() < 0.97 ? 0 : 255;
    }
  }
  return out;
}

function entropyBits(data: Uint8Array): number {
  const freq = new Float64Array(256);
  for (const v of data) freq[v]!++;
  let bits = 0;
  for (const f of freq) if (f > 0) bits -= f * Math.log2(f / data.length);
  return bits;
}

describe('canonical length-limited Huffman coding (common/codecs/huffman.ts)', () => {
  it('round-trips generated streams from every block start, with codes of at most 12 bits obeying Kraft', () => {
    const rand = rng(14);
    for (let trial = 0; trial < 60; trial++) {
      const kind = trial % 5;
      const length = 1 + Math.floor(rand() * 5000);
      const data = randomStream(rand, kind, length);
      const starts = [0];
      while (starts[starts.length - 1]! < length - 1 && rand() < 0.9) starts.push(starts[starts.length - 1]! + 1 + Math.floor(rand() * 400));
      const blockStarts = starts.filter((s) => s < length);
      const s = encodeHuffmanStream(data, blockStarts);
      const lengths = Array.from(s.code.lengths);
      expect(Math.max(...lengths)).to.be.at.most(HUFFMAN_MAX_BITS);
      const kraft = lengths.reduce((a, l) => a + (l > 0 ? 2 ** -l : 0), 0);
      expect(kraft, `trial ${trial}`).to.be.at.most(1);
      blockStarts.forEach((start, k) => {
        const end = blockStarts[k + 1] ?? length;
        const decoded = decodeHuffman(s.bytes, s.blockOffsets[k]!, end - start, s.code.lengthCounts, s.code.symbols);
        expect(Array.from(decoded), `trial ${trial} block ${k}`).to.deep.equal(Array.from(data.subarray(start, end)));
      });
      // near the entropy: within 3% + 1 bit per symbol of the cost of an unlimited optimal code (>= entropy)
      if (kind !== 3 && kind !== 4) expect(s.bitLength).to.be.at.most(entropyBits(data) * 1.03 + length * 0.05 + 64);
    }
  });

  it('limits lengths: a geometric distribution over 40 symbols gets codes of 12 bits at most, still decodable', () => {
    const freq = Array.from({ length: 40 }, (_, i) => 2 ** (39 - i));
    const lengths = limitedCodeLengths(freq);
    expect(Math.max(...lengths)).to.equal(HUFFMAN_MAX_BITS);
    expect(lengths[0]).to.equal(1);
    const code = canonicalCode(lengths);
    expect(Array.from(code.lengthCounts).reduce((a, b) => a + b)).to.equal(40);
  });

  it('never gives one length 256 codes (the counts are stored as bytes): all 256 values equally often still round-trip', () => {
    const data = Uint8Array.from({ length: 256 * 8 }, (_, i) => (i * 37) & 255);
    const code = huffmanCodeFor(data);
    expect(Math.max(...code.lengthCounts)).to.be.at.most(255);
    expect([...code.lengthCounts].reduce((a, b) => a + b, 0)).to.equal(256);
    const stream = encodeHuffmanStream(data, [0]);
    expect(decodeHuffman(stream.bytes, 0, data.length, code.lengthCounts, code.symbols)).to.deep.equal(data);
    expect(() => canonicalCode(new Uint8Array(256).fill(8))).to.throw(/256 codes of one length/);
  });

  it('codes a stream of one symbol with 1 bit per symbol', () => {
    const code = huffmanCodeFor([5, 5, 5]);
    expect(code.lengths[5]).to.equal(1);
    expect(Array.from(code.symbols)).to.deep.equal([5]);
  });
  it('huffman.h decodes what huffman.ts codes, its table built over garbage (only the slots past the short codes are zeroed): host C, ASan + UBSan', () => {
    const rand = rng(1313);
    const arrays: string[] = [];
    const calls: string[] = [];
    const expected: number[] = [];
    for (let trial = 0; trial < 20; trial++) {
      // uniform (8-bit codes, a full table), peaked, geometric (codes past 8 bits: a zeroed tail), one
      // symbol (an incomplete code: most of the table zeroed), two
      const data = randomStream(rand, trial % 5, 1 + Math.floor(rand() * 3000));
      const s = encodeHuffmanStream(data, [0]);
      const bytes = (a: ArrayLike<number>) => `{${Array.from(a).join(',')}}`;
      arrays.push(
        `static const uint8_t counts${trial}[] = ${bytes(s.code.lengthCounts)};`,
        `static const uint8_t symbols${trial}[] = ${bytes(s.code.symbols.length ? s.code.symbols : [0])};`,
        `static const uint8_t bits${trial}[] = ${bytes(s.bytes)};`,
      );
      calls.push(`  run(counts${trial}, symbols${trial}, bits${trial}, ${data.length});`);
      expected.push(...data);
    }
    const program = `#include <stdio.h>
#include <string.h>
#include "huffman.h"
${arrays.join('\n')}
static uint8_t out[4096];
static void run(const uint8_t *counts, const uint8_t *symbols, const uint8_t *bits, int n) {
  tf_huff_table table;
  tf_huff_reader reader;
  memset(&table, 0xA5, sizeof table); /* what a scratch shared with other layers may hold */
  tf_huff_build(&table, counts, symbols);
  tf_huff_seek(&reader, bits, 0);
  tf_huff_decode(&table, &reader, out, n);
  fwrite(out, 1, (size_t)n, stdout);
}
int main(void) {
${calls.join('\n')}
  return 0;
}
`;
    const header = readFileSync(join(import.meta.dirname, 'huffman.h'), 'utf8');
    const decoded = compileAndRun(program, [{ name: 'huffman.h', path: 'common/codecs/huffman.h', text: header }]);
    expect(decoded.length).to.equal(expected.length);
    const first = expected.findIndex((v, i) => decoded[i] !== v);
    expect(first, `first difference at symbol ${first}`).to.equal(-1);
  });
});
