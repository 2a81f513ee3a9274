// SPDX-License-Identifier: Apache-2.0
/**
 * Canonical, length-limited Huffman coding of byte streams (weight values, sparse column gaps), for
 * layers whose weights are stored entropy-coded in flash and decoded one row at a time into scratch
 * (huffman.h is the C decoder).
 *
 * Canonical codes: a stream's code table is fully given by how many symbols have each code length
 * (`lengthCounts`) and the symbols in code order (`symbols`); codes are assigned by increasing
 * (length, symbol) as in DEFLATE. Codes are at most HUFFMAN_MAX_BITS long so that the decoder's
 * 8-bit first-level table plus a short canonical walk covers every code. Bits are written MSB first.
 */

/** Longest code; huffman.h's TF_HUFF_MAX_BITS. */
export const HUFFMAN_MAX_BITS = 12;
/** Bits the decoder's first-level table resolves at once; huffman.h's TF_HUFF_FAST_BITS. */
export const HUFFMAN_FAST_BITS = 8;
/**
 * Bytes of one decoder table in scratch (huffman.h's tf_huff_table: the 256-entry first-level table
 * of uint16, then per length the first code, symbol index and count); a multiple of 16 so tables
 * and rows placed after each other in the scratch stay aligned.
 */
export const HUFFMAN_TABLE_BYTES = (2 * (1 << HUFFMAN_FAST_BITS) + (4 + 2 + 2) * (HUFFMAN_MAX_BITS + 2) + 8 + 15) & ~15;
/** Zero bytes after each stream: the decoder's refill reads up to four bytes past its bit position. */
export const HUFFMAN_STREAM_PADDING = 4;

export interface HuffmanCode {
  /** code length of each byte value (0: absent) */
  lengths: Uint8Array;
  /** `lengthCounts[l - 1]` = number of symbols with code length l, l = 1..HUFFMAN_MAX_BITS (at most 255: stored as bytes) */
  lengthCounts: Int16Array;
  /** the present symbols in canonical code order (by length, then value) */
  symbols: Uint8Array;
  /** the code of each byte value (MSB-first, `lengths[v]` bits) */
  codes: Uint32Array;
}

/** Code lengths of an optimal prefix code for `freq`, limited to `maxBits` (a near-optimal heuristic fix-up). */
export function limitedCodeLengths(freq: ArrayLike<number>, maxBits = HUFFMAN_MAX_BITS): Uint8Array {
  const n = freq.length;
  const lengths = new Uint8Array(n);
  const present: number[] = [];
  for (let s = 0; s < n; s++) if (freq[s]! > 0) present.push(s);
  if (present.length === 0) return lengths;
  if (present.length === 1) {
    lengths[present[0]!] = 1;
    return lengths;
  }
  // Plain Huffman: merge the two lightest nodes until one is left; a leaf's depth is its length.
  interface Node {
    weight: number;
    leaf: number;
    left?: Node;
    right?: Node;
  }
  let nodes: Node[] = present.map((s) => ({ weight: freq[s]!, leaf: s }));
  // symbols and merged nodes are few (≤ 511): a sort per merge is cheap enough
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.weight - b.weight || a.leaf - b.leaf);
    const [a, b] = nodes as [Node, Node];
    nodes = [{ weight: a.weight + b.weight, leaf: -1, left: a, right: b }, ...nodes.slice(2)];
  }
  const walk = (node: Node, depth: number) => {
    if (node.leaf >= 0) lengths[node.leaf] = depth;
    else {
      walk(node.left!, depth + 1);
      walk(node.right!, depth + 1);
    }
  };
  walk(nodes[0]!, 0);
  // Length limit: clamp, then restore Kraft's inequality (sum 2^-l <= 1) by lengthening the rarest
  // codes that are still short enough, then shorten the commonest where room is left.
  const unit = 1 << maxBits;
  let kraft = 0;
  for (const s of present) {
    if (lengths[s]! > maxBits) lengths[s] = maxBits;
    kraft += unit >> lengths[s]!;
  }
  const byFreq = [...present].sort((a, b) => freq[a]! - freq[b]! || b - a); // rarest first
  while (kraft > unit) {
    // the rarest symbol among the longest codes below the limit
    let best = -1;
    for (const s of byFreq) if (lengths[s]! < maxBits && (best < 0 || lengths[s]! > lengths[best]!)) best = s;
    kraft -= unit >> (lengths[best]! + 1);
    lengths[best]!++;
  }
  for (let k = byFreq.length - 1; k >= 0; k--) {
    const s = byFreq[k]!;
    while (lengths[s]! > 1 && kraft + (unit >> lengths[s]!) <= unit) {
      kraft += unit >> lengths[s]!;
      lengths[s]!--;
    }
  }
  return lengths;
}

/** The canonical code of the given code lengths (256 byte values). */
export function canonicalCode(lengths: Uint8Array): HuffmanCode {
  const lengthCounts = new Int16Array(HUFFMAN_MAX_BITS);
  const order: number[] = [];
  for (let l = 1; l <= HUFFMAN_MAX_BITS; l++) {
    for (let s = 0; s < lengths.length; s++) if (lengths[s] === l) order.push(s);
  }
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s]!;
    if (l > HUFFMAN_MAX_BITS) throw new Error(`huffman: code length ${l} over ${HUFFMAN_MAX_BITS}`);
    if (l > 0) lengthCounts[l - 1]!++;
  }
  // stored as uint8_t (huffman.h's tf_huff_build): huffmanCodeFor never gives 256 codes one length
  if (lengthCounts.some((n) => n > 255)) throw new Error('huffman: 256 codes of one length (the counts are stored as bytes)');
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= HUFFMAN_MAX_BITS; l++) {
    for (let j = 0; j < lengthCounts[l - 1]!; j++) codes[order[k++]!] = code++;
    code <<= 1;
  }
  return { lengths, lengthCounts, symbols: Uint8Array.from(order), codes };
}

/** The canonical length-limited code for the byte values of `data`. */
export function huffmanCodeFor(data: ArrayLike<number>): HuffmanCode {
  const freq = new Float64Array(256);
  for (let i = 0; i < data.length; i++) freq[data[i]! & 255]!++;
  const lengths = limitedCodeLengths(freq);
  if (lengths.every((l) => l === 8)) {
    // all 256 byte values at 8 bits: one count of 256 does not fit the stored bytes; the same Kraft sum
    // with the most frequent value at 7 bits and the two rarest at 9 (a code that gains nothing anyway)
    const byFreq = Array.from({ length: 256 }, (_, v) => v).sort((a, b) => freq[b]! - freq[a]! || a - b);
    lengths[byFreq[0]!] = 7;
    lengths[byFreq[254]!] = 9;
    lengths[byFreq[255]!] = 9;
  }
  return canonicalCode(lengths);
}

/** MSB-first bit writer. */
export class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private used = 0;
  /** bits written so far */
  bitLength = 0;

  write(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >>> i) & 1);
      if (++this.used === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.used = 0;
      }
    }
    this.bitLength += length;
  }

  /** the bytes written, the last one zero-filled, then `padding` zero bytes */
  finish(padding = HUFFMAN_STREAM_PADDING): Uint8Array {
    const out = [...this.bytes];
    if (this.used > 0) out.push(this.acc << (8 - this.used));
    for (let i = 0; i < padding; i++) out.push(0);
    return Uint8Array.from(out);
  }
}

export interface HuffmanStream {
  code: HuffmanCode;
  /** the coded bits, MSB first, with HUFFMAN_STREAM_PADDING zero bytes after them */
  bytes: Uint8Array;
  /** bit offset of each block's first symbol */
  blockOffsets: Uint32Array;
  bitLength: number;
}

/**
 * Codes `data` (byte values) with one code for the whole stream; `blockStarts[k]` is the index in
 * `data` where block k starts (its bit offset is recorded so a decoder can start there).
 */
export function encodeHuffmanStream(data: ArrayLike<number>, blockStarts: readonly number[], code = huffmanCodeFor(data)): HuffmanStream {
  const w = new BitWriter();
  const blockOffsets = new Uint32Array(blockStarts.length);
  let next = 0;
  for (let i = 0; i <= data.length; i++) {
    while (next < blockStarts.length && blockStarts[next] === i) blockOffsets[next++] = w.bitLength;
    if (i === data.length) break;
    const s = data[i]! & 255;
    const l = code.lengths[s]!;
    if (l === 0) throw new Error(`huffman: symbol ${s} has no code`);
    w.write(code.codes[s]!, l);
  }
  return { code, bytes: w.finish(), blockOffsets, bitLength: w.bitLength };
}

/** Flash bytes of a stream as stored: bits + padding, length counts (uint8), symbols, block offsets (int32). */
export function huffmanStreamBytes(s: HuffmanStream): number {
  return s.bytes.length + HUFFMAN_MAX_BITS + s.code.symbols.length + 4 * s.blockOffsets.length;
}

/**
 * The reference decoder (the same walk as huffman.h's, for tests): `count` symbols from bit
 * `offset` of a stream coded with the canonical code of `lengthCounts` and `symbols`.
 */
export function decodeHuffman(bytes: Uint8Array, offset: number, count: number, lengthCounts: ArrayLike<number>, symbols: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(count);
  let pos = offset;
  const bit = () => {
    const b = ((bytes[pos >> 3] ?? 0) >> (7 - (pos & 7))) & 1;
    pos++;
    return b;
  };
  for (let i = 0; i < count; i++) {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let l = 1; ; l++) {
      if (l > HUFFMAN_MAX_BITS) throw new Error('huffman: invalid code');
      code = (code << 1) | bit();
      const n = lengthCounts[l - 1]!;
      if (code - first < n) {
        out[i] = symbols[index + code - first]!;
        break;
      }
      index += n;
      first = (first + n) << 1;
    }
  }
  return out;
}
