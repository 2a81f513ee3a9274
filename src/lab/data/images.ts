// SPDX-License-Identifier: Apache-2.0
/**
 * PNG and JPEG images as model inputs: decoded (pngjs, jpeg-js), converted to the model's channel
 * count (1: luminance, 3: RGB, 4: RGBA), resized bilinearly to its height and width when they
 * differ, and mapped from [0, 255] to the requested pixel range.
 */
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { TinyforgeError } from '../../core/errors.ts';
import { readUserFile } from '../../core/model/read_file.ts';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());
}

interface Rgba {
  width: number;
  height: number;
  /** 4 bytes per pixel, row-major */
  data: Uint8Array;
}

export function decodeImage(path: string): Rgba {
  const bytes = readUserFile(path, 'image (.png, .jpg)', 64 * 1024 * 1024);
  try {
    if (extname(path).toLowerCase() === '.png') {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
    return { width: image.width, height: image.height, data: image.data };
  } catch (e) {
    throw new TinyforgeError(`${path}: cannot decode the image (${(e as Error).message.split('\n')[0]})`);
  }
}

/**
 * The image as `height x width x channels` float values in [lo, hi] (255 maps to hi), HWC order.
 */
export function imageToInput(image: Rgba, height: number, width: number, channels: number, range: [number, number]): Float32Array {
  if (![1, 3, 4].includes(channels)) throw new TinyforgeError(`images can feed 1, 3 or 4 input channels, not ${channels}`);
  const [lo, hi] = range;
  const out = new Float32Array(height * width * channels);
  const sample = (x: number, y: number, c: number) => image.data[(y * image.width + x) * 4 + c]!;
  for (let y = 0; y < height; y++) {
    // bilinear sampling at pixel centres (an identity when the sizes agree)
    const sy = Math.min(image.height - 1, Math.max(0, ((y + 0.5) * image.height) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, ((x + 0.5) * image.width) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const fx = sx - x0;
      const rgba = [0, 1, 2, 3].map(
        (c) => (sample(x0, y0, c) * (1 - fx) + sample(x1, y0, c) * fx) * (1 - fy) + (sample(x0, y1, c) * (1 - fx) + sample(x1, y1, c) * fx) * fy,
      );
      const values = channels === 1 ? [0.299 * rgba[0]! + 0.587 * rgba[1]! + 0.114 * rgba[2]!] : rgba.slice(0, channels);
      values.forEach((v, c) => {
        out[(y * width + x) * channels + c] = lo + (v / 255) * (hi - lo);
      });
    }
  }
  return out;
}
