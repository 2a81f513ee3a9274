// SPDX-License-Identifier: Apache-2.0
/**
 * The chips tinyforge flashes over SWD, picked by a real board descriptor's `hardware.chip`: how their
 * flash controller is driven through the AHB-AP (CMSIS-DAP probes), and which OpenOCD configuration
 * names the probe and target (ST-LINK and J-Link boards).
 *
 * Register facts (addresses, bits, keys) are from the chips' reference manuals:
 * - nRF52840 Product Specification v1.x, NVMC (base 0x4001E000: READY 0x400, CONFIG 0x504,
 *   ERASEPAGE 0x508; 4 KiB pages; 32-bit word writes) and FICR INFO.PART (0x10000100).
 * - RM0432 (STM32L4+), FLASH (base 0x40022000: KEYR 0x08, SR 0x10, CR 0x14, OPTR 0x20; 64-bit
 *   double-word programming; 4 KiB pages with DBANK=1, 8 KiB with DBANK=0) and DBGMCU_IDCODE
 *   (0xE0042000, DEV_ID 0x470 for STM32L4R/L4S).
 * - RM0456 (STM32U5), FLASH with TrustZone off (non-secure registers at 0x40022000: NSKEYR 0x08,
 *   NSSR 0x20, NSCR 0x28, OPTR 0x40; 128-bit quad-word programming; 8 KiB pages, two banks of
 *   1 MiB on the 2 MiB U575, PNB 7 bits) and DBGMCU_IDCODE (0xE0044000, DEV_ID 0x482 for U575/U585).
 */

/** The flash controllers the CMSIS-DAP path drives. */
export type SwdFlashFamily = 'nrf52' | 'stm32l4' | 'stm32u5';

export interface SwdChip {
  /** the prefix of a descriptor's `hardware.chip` it covers */
  chipPrefix: string;
  /** the flash controller the CMSIS-DAP path drives, or undefined when only OpenOCD flashes it */
  family?: SwdFlashFamily;
  /** OpenOCD arguments naming the board's probe and target (before `program`) */
  openocd: string[];
}

export const SWD_CHIPS: readonly SwdChip[] = [
  { chipPrefix: 'nRF52840', family: 'nrf52', openocd: ['-f', 'interface/jlink.cfg', '-c', 'transport select swd', '-f', 'target/nrf52.cfg'] },
  {
    chipPrefix: 'STM32L4R5',
    family: 'stm32l4',
    openocd: ['-f', 'interface/stlink.cfg', '-c', 'transport select hla_swd', '-f', 'target/stm32l4x.cfg'],
  },
  { chipPrefix: 'STM32U575', family: 'stm32u5', openocd: ['-f', 'interface/stlink.cfg', '-c', 'transport select hla_swd', '-f', 'target/stm32u5x.cfg'] },
  // the RP2040's flash is written by its boot ROM's functions run on the core (OpenOCD's rp2040 driver
  // does that); a Raspberry Pi Debug Probe is a CMSIS-DAP probe
  { chipPrefix: 'RP2040', openocd: ['-f', 'interface/cmsis-dap.cfg', '-f', 'target/rp2040.cfg', '-c', 'adapter speed 5000'] },
  { chipPrefix: 'STM32H7A3', openocd: ['-f', 'interface/stlink.cfg', '-c', 'transport select hla_swd', '-f', 'target/stm32h7x.cfg'] },
];

export function swdChipOf(chip: string): SwdChip | undefined {
  return SWD_CHIPS.find((c) => chip.startsWith(c.chipPrefix));
}

/** nRF52 NVMC and FICR. */
export const NRF52 = {
  NVMC: 0x4001e000,
  READY: 0x4001e400,
  CONFIG: 0x4001e504,
  ERASEPAGE: 0x4001e508,
  CONFIG_REN: 0,
  CONFIG_WEN: 1,
  CONFIG_EEN: 2,
  PAGE_BYTES: 4096,
  FICR_INFO_PART: 0x10000100,
} as const;

/** STM32L4/L4+ FLASH and DBGMCU. */
export const STM32L4 = {
  KEYR: 0x40022008,
  SR: 0x40022010,
  CR: 0x40022014,
  OPTR: 0x40022020,
  KEY1: 0x45670123,
  KEY2: 0xcdef89ab,
  SR_EOP: 1 << 0,
  SR_OPERR: 1 << 1,
  SR_PROGERR: 1 << 3,
  SR_WRPERR: 1 << 4,
  SR_PGAERR: 1 << 5,
  SR_SIZERR: 1 << 6,
  SR_PGSERR: 1 << 7,
  SR_MISERR: 1 << 8,
  SR_FASTERR: 1 << 9,
  SR_RDERR: 1 << 14,
  SR_OPTVERR: 1 << 15,
  SR_BSY: 1 << 16,
  /** every error flag (write 1 to clear) */
  SR_ERRORS: 0xc3fa,
  CR_PG: 1 << 0,
  CR_PER: 1 << 1,
  CR_PNB_SHIFT: 3,
  CR_BKER: 1 << 11,
  CR_STRT: 1 << 16,
  CR_LOCK: 1 << 31,
  OPTR_DBANK: 1 << 22,
  FLASH_BASE: 0x08000000,
  /** bank 2 starts half-way into the 2 MiB with DBANK=1 */
  BANK_BYTES: 0x100000,
  DBGMCU_IDCODE: 0xe0042000,
  DEV_ID_L4R_L4S: 0x470,
} as const;

/** STM32U5 FLASH, non-secure registers (TrustZone off), and DBGMCU. */
export const STM32U5 = {
  KEYR: 0x40022008,
  SR: 0x40022020,
  CR: 0x40022028,
  OPTR: 0x40022040,
  OPTR_TZEN: 1 << 31,
  /** OPERR, PROGERR, WRPERR, PGAERR, SIZERR, PGSERR, OPTWERR (write 1 to clear) */
  SR_ERRORS: 0x20fa,
  SR_OPTWERR: 1 << 13,
  PAGE_BYTES: 8192,
  BANK_BYTES: 0x100000,
  DBGMCU_IDCODE: 0xe0044000,
  DEV_ID_U575_U585: 0x482,
} as const;

/** Arm v7-M / v8-M debug registers (ARMv7-M ARM, C1.6). */
export const SCS = {
  DHCSR: 0xe000edf0,
  DEMCR: 0xe000edfc,
  AIRCR: 0xe000ed0c,
  DBGKEY: 0xa05f << 16,
  C_DEBUGEN: 1 << 0,
  C_HALT: 1 << 1,
  S_HALT: 1 << 17,
  VC_CORERESET: 1 << 0,
  VECTKEY: 0x05fa << 16,
  SYSRESETREQ: 1 << 2,
} as const;
