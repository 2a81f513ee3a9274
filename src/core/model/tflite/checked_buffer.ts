// SPDX-License-Identifier: Apache-2.0
import * as flatbuffers from 'flatbuffers';

/** Reads allowed per byte of file (a real model needs well under one; see CheckedByteBuffer). */
const READ_BUDGET_PER_BYTE = 16;
const READ_BUDGET_BASE = 100_000;

/** Raised by CheckedByteBuffer; the reader turns it into a one-line TinyforgeError naming the file. */
export class FlatbufferBoundsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlatbufferBoundsError';
  }
}

/**
 * A ByteBuffer that refuses to read outside its bytes. The stock one returns `undefined`-derived
 * zeros past the end, so a truncated or corrupt file would decode into garbage (or a multi-gigabyte
 * vector length that loops for ever). Every read of the generated accessors funnels through
 * readUint8 / readUint16 / readInt32 (the other widths are built on them), and every vector length
 * through __vector_len, so checking those three plus the vector bound is enough.
 */
export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  /** reads done so far; see check() */
  reads = 0;

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  /** A vector's length, checked so that its elements (at least one byte each) fit in the file. */
  override __vector_len(offset: number): number {
    const start = this.__vector(offset);
    const length = super.__vector_len(offset);
    if (length < 0 || start + length > this.capacity()) {
      throw new FlatbufferBoundsError(`vector of ${length >>> 0} elements at offset ${start} runs past the end of the ${this.capacity()}-byte file`);
    }
    return length;
  }

  /** The extent of a vector whose elements are `elementSize` bytes, checked against the file. */
  vectorExtent(offset: number, elementSize: number): { start: number; length: number } {
    const start = this.__vector(offset);
    const length = this.__vector_len(offset);
    this.check(start, length * elementSize);
    return { start, length };
  }

  override __string(offset: number, encoding?: flatbuffers.Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    if (length < 0) throw new FlatbufferBoundsError(`string at offset ${start} has a negative length`);
    this.check(start + 4, length);
    return super.__string(offset, encoding);
  }

  private check(offset: number, size: number): void {
    // Each vector is bounded by the file size, but a crafted file can point many tables at one
    // large vector; a read budget proportional to the size keeps parsing linear in it.
    if (++this.reads > READ_BUDGET_PER_BYTE * this.capacity() + READ_BUDGET_BASE) {
      throw new FlatbufferBoundsError(`its tables refer to far more data than the ${this.capacity()}-byte file holds (overlapping offsets)`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      throw new FlatbufferBoundsError(`read of ${size} bytes at offset ${offset} is outside the ${this.capacity()}-byte file`);
    }
  }
}
