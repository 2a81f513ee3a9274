// SPDX-License-Identifier: Apache-2.0
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { TinyforgeError } from '../../src/core/errors.ts';
import { fitToInput, loadDataset, splitDataset } from '../../src/lab/data/dataset.ts';
import { npyBytes, parseNpyArray } from '../../src/lab/data/npy.ts';
import { crc32, readZip, writeZip } from '../../src/lab/data/zip.ts';
import { parseCsv } from '../../src/lab/data/csv.ts';

/** A .npy as numpy writes it for dtypes our writer does not make (float64, int64, bool). */
function npyOf(descr: string, shape: number[], data: ArrayBufferView): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const padded = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + padded.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + padded.length);
  return out;
}

/** A zip whose members are deflated (numpy's savez_compressed), built by hand. */
function deflatedZip(members: Map<string, Uint8Array>): Uint8Array {
  const stored = writeZip(members);
  // rebuild with method 8: same layout, compressed bodies
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const body = new Uint8Array(deflateRawSync(data));
    const nameBytes = new TextEncoder().encode(name);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(14, crc32(data), true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const c = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(16, crc32(data), true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    c.set(nameBytes, 46);
    parts.push(local, body);
    central.push(c);
    offset += local.length + body.length;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.size, true);
  ev.setUint16(10, members.size, true);
  ev.setUint32(
    12,
    central.reduce((n, c) => n + c.length, 0),
    true,
  );
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  expect(out.length).to.not.equal(stored.length);
  return out;
}

describe('data: data sets from .npy, .npz, CSV and image folders', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyforge-data-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Uint8Array | string) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  describe('.npy and .npz', () => {
    it('reads every numeric dtype numpy writes, float64 and int64 included', () => {
      const f8 = parseNpyArray(npyOf('<f8', [2, 2], Float64Array.from([1.5, -2, 3.25, 1e-3])), 'a.npy');
      expect(f8.shape).to.deep.equal([2, 2]);
      expect(Array.from(f8.values)).to.deep.equal([1.5, -2, 3.25, 1e-3]);
      expect(f8.integer).to.equal(false);
      const i8 = parseNpyArray(npyOf('<i8', [3], BigInt64Array.from([0n, 7n, -3n])), 'b.npy');
      expect(Array.from(i8.values)).to.deep.equal([0, 7, -3]);
      expect(i8.integer).to.equal(true);
      const b1 = parseNpyArray(npyOf('|b1', [2], Uint8Array.from([1, 0])), 'c.npy');
      expect(Array.from(b1.values)).to.deep.equal([1, 0]);
      const f4 = parseNpyArray(npyBytes(Float32Array.from([0.25, 9]), [1, 2]), 'd.npy');
      expect(Array.from(f4.values)).to.deep.equal([0.25, 9]);
    });

    it('refuses big-endian, Fortran-order and truncated arrays, naming the file', () => {
      const good = npyOf('<f4', [4], Float32Array.from([1, 2, 3, 4]));
      expect(() => parseNpyArray(good.subarray(0, good.length - 3), 'cut.npy')).to.throw(TinyforgeError, /cut.npy: truncated .npy data/);
      expect(() => parseNpyArray(npyOf('>f4', [1], new Uint8Array(4)), 'be.npy')).to.throw(TinyforgeError, /be.npy: big-endian/);
      const fortran = new TextDecoder('latin1').decode(good).replace("'fortran_order': False", "'fortran_order': True ");
      expect(() =>
        parseNpyArray(
          Uint8Array.from(fortran, (ch) => ch.charCodeAt(0)),
          'f.npy',
        ),
      ).to.throw(TinyforgeError, /Fortran-order/);
      expect(() => parseNpyArray(new Uint8Array(20), 'x.npy')).to.throw(TinyforgeError, /not a .npy file/);
    });

    it('reads stored and deflated .npz members alike, inputs under x and labels under y', () => {
      const members = new Map([
        [
          'x.npy',
          npyBytes(
            Float32Array.from({ length: 6 * 4 }, (_, i) => i / 10),
            [6, 2, 2],
          ),
        ],
        ['y.npy', npyOf('<i8', [6], BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 2n]))],
      ]);
      expect([...readZip(deflatedZip(members), 'z.npz').keys()]).to.deep.equal(['x.npy', 'y.npy']);
      for (const [name, bytes] of [
        ['stored.npz', writeZip(members)],
        ['deflated.npz', deflatedZip(members)],
      ] as const) {
        const d = loadDataset(file(name, bytes));
        expect(d.count).to.equal(6);
        expect(d.sampleShape).to.deep.equal([2, 2]);
        expect(d.x[5]).to.be.closeTo(0.5, 1e-7);
        expect(d.labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([0, 1, 2, 0, 1, 2]) });
      }
    });

    it('takes named arrays, one-hot labels as classes, and float labels as regression targets', () => {
      const oneHot = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0]);
      const d = loadDataset(
        file(
          'named.npz',
          writeZip(
            new Map([
              ['images.npy', npyBytes(new Float32Array(3 * 2), [3, 2])],
              ['targets.npy', npyBytes(oneHot, [3, 3])],
              ['other.npy', npyBytes(Float32Array.from([0.5, 1.5, 2.5]), [3])],
            ]),
          ),
        ),
      );
      expect(d.labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([0, 2, 1]) });
      const r = loadDataset(join(dir, 'named.npz'), { labelKey: 'other' });
      expect(r.labels!.kind).to.equal('targets');
      expect(() => loadDataset(join(dir, 'named.npz'), { labelKey: 'nope' })).to.throw(TinyforgeError, /no array "nope" \(has images, targets, other\)/);
    });

    it('pairs a .npy of inputs with a .npy of labels, and checks that the counts agree', () => {
      const x = file('x.npy', npyBytes(new Float32Array(4 * 3), [4, 3]));
      const y = file('y.npy', npyBytes(Int32Array.from([1, 0, 1, 1]), [4]));
      expect(loadDataset(x, { labels: y }).labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([1, 0, 1, 1]) });
      const y3 = file('y3.npy', npyBytes(Int32Array.from([1, 0, 1]), [3]));
      expect(() => loadDataset(x, { labels: y3 })).to.throw(TinyforgeError, /y3.npy: 3 labels for 4 samples/);
    });
  });

  describe('CSV', () => {
    it('detects a header, and takes the label from a label-named column', () => {
      const d = loadDataset(file('t.csv', 'a,b,label,c\n1,2,0,3\n4,5,1,6\n\n7,8,1,9\n'));
      expect(d.count).to.equal(3);
      expect(Array.from(d.x)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(d.labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([0, 1, 1]) });
    });

    it('without a header takes the extra last column as the label when the model says how many inputs there are', () => {
      const path = file('n.csv', '0.5,1,2\n1.5,3,0\n');
      expect(loadDataset(path, { inputShape: [2] }).labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([2, 0]) });
      expect(loadDataset(path, { inputShape: [3] }).labels).to.equal(undefined);
      expect(loadDataset(path, { labelColumn: '0' }).labels).to.deep.equal({ kind: 'targets', values: Float32Array.from([0.5, 1.5]), sampleShape: [] });
    });

    it('reports the line and column of a bad field, and ragged rows', () => {
      expect(() => parseCsv('a,b\n1,2\n3,x\n', 'bad.csv')).to.throw(TinyforgeError, /bad.csv: line 3, column "b": "x" is not a number/);
      expect(() => parseCsv('1,2\n3\n', 'ragged.csv')).to.throw(TinyforgeError, /ragged.csv: line 2 has 1 fields, expected 2/);
      expect(() => parseCsv('"quoted, name",b\n1,2\n', 'q.csv').columns).to.not.throw();
      expect(parseCsv('"quoted, name",b\n1,2\n', 'q.csv').columns).to.deep.equal(['quoted, name', 'b']);
    });
  });

  describe('image folders', () => {
    function png(width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Uint8Array {
      const image = new PNG({ width, height });
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) image.data.set(rgba(x, y), (y * width + x) * 4);
      return new Uint8Array(PNG.sync.write(image));
    }

    it('reads labelled sub-folders (classes in sorted order) of PNG and JPEG, as grayscale in [0, 1]', () => {
      const root = join(dir, 'images');
      mkdirSync(join(root, 'cat'), { recursive: true });
      mkdirSync(join(root, 'dog'), { recursive: true });
      writeFileSync(
        join(root, 'cat', 'a.png'),
        png(4, 4, () => [255, 255, 255, 255]),
      );
      writeFileSync(
        join(root, 'cat', 'b.png'),
        png(4, 4, (x) => (x < 2 ? [0, 0, 0, 255] : [255, 0, 0, 255])),
      );
      const gray = Buffer.alloc(4 * 4 * 4, 128);
      writeFileSync(join(root, 'dog', 'c.jpg'), jpeg.encode({ data: gray, width: 4, height: 4 }, 100).data);
      writeFileSync(join(root, 'dog', 'notes.txt'), 'ignored');
      const d = loadDataset(root, { inputShape: [4, 4, 1] });
      expect(d.classNames).to.deep.equal(['cat', 'dog']);
      expect(d.labels).to.deep.equal({ kind: 'classes', values: Int32Array.from([0, 0, 1]) });
      expect(d.sampleShape).to.deep.equal([4, 4, 1]);
      expect(d.x[0]).to.be.closeTo(1, 1e-6);
      // pure red is 0.299 of white in luminance
      expect(d.x[16 + 3]).to.be.closeTo(0.299, 1e-3);
      expect(d.x[16 + 0]).to.equal(0);
      expect(d.x[32]).to.be.closeTo(128 / 255, 0.02); // JPEG is lossy
    });

    it('resizes to the model input and maps pixels to the requested range, in RGB', () => {
      const root = join(dir, 'flat');
      mkdirSync(root, { recursive: true });
      writeFileSync(
        join(root, 'one.png'),
        png(8, 8, () => [255, 0, 0, 255]),
      );
      const d = loadDataset(root, { inputShape: [2, 2, 3], pixelRange: [-1, 1] });
      expect(d.labels).to.equal(undefined);
      expect(Array.from(d.x.subarray(0, 3))).to.deep.equal([1, -1, -1]);
      expect(d.x.length).to.equal(12);
    });

    it('needs an image-shaped model input and at least one image', () => {
      const empty = join(dir, 'empty');
      mkdirSync(empty, { recursive: true });
      expect(() => loadDataset(empty, { inputShape: [4, 4, 1] })).to.throw(TinyforgeError, /no PNG or JPEG images found/);
      expect(() => loadDataset(join(dir, 'flat'), { inputShape: [10] })).to.throw(TinyforgeError, /needs a model with an image input/);
      writeFileSync(join(empty, 'broken.png'), 'not a png');
      expect(() => loadDataset(empty, { inputShape: [4, 4, 1] })).to.throw(TinyforgeError, /broken.png: cannot decode the image/);
    });
  });

  describe('checks and splits', () => {
    it('refuses a data shape that does not match the model input, naming both', () => {
      const d = loadDataset(file('s.npy', npyBytes(new Float32Array(2 * 10), [2, 10])));
      expect(fitToInput(d, [1, 2, 5], 'in').sampleShape).to.deep.equal([2, 5]);
      expect(() => fitToInput(d, [1, 28, 28, 1], 'image')).to.throw(
        TinyforgeError,
        /s.npy: samples have shape \[10\] \(10 values\) but model input "image" takes \[28,28,1\] \(784 values\)/,
      );
    });

    it('refuses empty data, non-finite inputs and unknown formats', () => {
      expect(() => loadDataset(file('e.npy', npyBytes(new Float32Array(0), [0, 3])))).to.throw(TinyforgeError, /e.npy: the data set is empty/);
      expect(() => loadDataset(file('nan.npy', npyBytes(Float32Array.from([1, NaN]), [1, 2])))).to.throw(
        TinyforgeError,
        /nan.npy: input value 1 \(sample 0\) is not finite/,
      );
      expect(() => loadDataset(file('d.parquet', 'x'))).to.throw(TinyforgeError, /unknown data format ".parquet"/);
      expect(() => loadDataset(join(dir, 'missing.npz'))).to.throw(TinyforgeError, /no such file/);
    });

    it('splits with a seed: disjoint, complete, the same every time', () => {
      const d = loadDataset(
        file(
          'split.npy',
          npyBytes(
            Float32Array.from({ length: 50 }, (_, i) => i),
            [50, 1],
          ),
        ),
      );
      const a = splitDataset(d, 0.2, 7);
      const b = splitDataset(d, 0.2, 7);
      expect(a.test.count).to.equal(10);
      expect(Array.from(a.test.x)).to.deep.equal(Array.from(b.test.x));
      expect([...a.train.x, ...a.test.x].sort((p, q) => p - q)).to.deep.equal(Array.from(d.x));
      expect(Array.from(splitDataset(d, 0.2, 8).test.x)).to.not.deep.equal(Array.from(a.test.x));
    });
  });
});
