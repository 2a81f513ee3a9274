// SPDX-License-Identifier: Apache-2.0
import * as flatbuffers from 'flatbuffers';

/**
 * A flatbuffers Builder tuned for .tflite files:
 * - it never writes a zero-length vector (or empty string): ending one returns offset 0, which the
 *   generated `add...` helpers then skip, so the field is simply absent. Interpreters treat an
 *   absent vector as empty, while some mishandle an empty one (an empty Buffer.data breaks them).
 * - it writes byte vectors at a chosen alignment (the schema's `force_align: 16` on Buffer.data,
 *   which the TypeScript generator ignores).
 */
export class TfliteBuilder extends flatbuffers.Builder {
  private openVectorIsEmpty = false;

  override startVector(elemSize: number, numElems: number, alignment: number): void {
    this.openVectorIsEmpty = numElems === 0;
    super.startVector(elemSize, numElems, alignment);
  }

  override endVector(): flatbuffers.Offset {
    // the padding startVector may have written stays behind as a few unused zero bytes
    if (this.openVectorIsEmpty) return 0;
    return super.endVector();
  }

  /** A byte vector whose first element sits at a multiple of `alignment` from the file's start. */
  createAlignedByteVector(data: Uint8Array, alignment: number): flatbuffers.Offset {
    if (data.length === 0) return 0;
    // align the end of the data, so that the start (data.length bytes before) lands aligned; the
    // builder then pads the whole file to its largest alignment, which makes this file-relative
    this.prep(alignment, data.length);
    return this.createByteVector(data);
  }
}
