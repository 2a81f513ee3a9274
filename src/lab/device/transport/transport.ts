// SPDX-License-Identifier: Apache-2.0
/**
 * A byte pipe to a device: a serial port (real or QEMU's pseudo-terminal) or an emulator's stdio.
 * The protocol client (src/lab/device/protocol/client.ts) is all that talks through it.
 */
export interface Transport {
  /** how messages name it: the port path, or the emulator and its pipe */
  readonly name: string;
  write(bytes: Uint8Array): Promise<void>;
  /** bytes as they arrive, in arrival order */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** the other end went away (port unplugged, emulator exited); `reason` says how */
  onClose(listener: (reason: string) => void): void;
  /** closes our end; safe to call twice */
  close(): Promise<void>;
}
