// SPDX-License-Identifier: Apache-2.0
/** Flashing through ST's USART boot loader protocol (AN3155): real ports and our loader on emulated boards. */
export { AN3155Client, AN3155Error, type BootloaderInfo, type Timeouts } from './an3155.ts';
export { flashImage, type FlashOptions, type FlashReport } from './flash.ts';
export { flashEmulatedBoard, type EmulatedFlash } from './emulated.ts';
export { loadImage, makeImage, type FlashImage, type Segment } from './image.ts';
export { openBootloaderPort } from './port.ts';
