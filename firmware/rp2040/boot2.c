/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flash second stage ("boot2"). The RP2040's boot ROM copies the first 256 bytes of flash into
 * SRAM (0x20041f00), checks the CRC32 in its last 4 bytes and jumps to it; until this code has set
 * up the SSI, the flash cannot be read through the XIP window at 0x10000000.
 *
 * It configures the SSI for plain 03h serial reads (8 instruction clocks, 24 address clocks, 32 data
 * clocks per access), which every SPI NOR flash answers, then points VTOR at the vector table that
 * follows it (0x10000100) and enters the reset handler with the table's stack pointer. 03h reads are
 * slower than quad-SPI XIP, but the XIP cache hides most of it and nothing depends on the flash chip.
 *
 * It runs from SRAM while linked at 0x10000000, so it uses only PC-relative literals and absolute
 * addresses, and no stack. The linker script pads it to 252 bytes; the build writes the CRC32
 * (src/lab/toolchain/rp2040/boot2.ts) into the last 4 bytes after linking.
 */

/* SSI (DW_apb_ssi) registers at 0x18000000 and the values written to them. */
#define SSI_BASE "0x18000000"
#define SSI_CTRLR0_OFFSET "0x00"
#define SSI_CTRLR1_OFFSET "0x04"
#define SSI_SSIENR_OFFSET "0x08"
#define SSI_BAUDR_OFFSET "0x14"
#define SSI_SPI_CTRLR0_OFFSET "0xf4"
/* CTRLR0: DFS_32 = 31 (32-bit frames, bits 20:16), TMOD = 3 (EEPROM read: send, then receive, bits 9:8) */
#define SSI_CTRLR0_VALUE "0x001f0300"
/* SPI_CTRLR0: XIP_CMD = 0x03 (bits 31:24), INST_L = 2 (8-bit instruction, bits 9:8), ADDR_L = 6 (24-bit address, bits 5:2) */
#define SSI_SPI_CTRLR0_VALUE "0x03000218"
/* SCK = clk_sys / 4: safe for 03h reads (at most ~50 MHz) at any clk_sys up to 200 MHz */
#define SSI_BAUD_DIVISOR "4"

void tf_boot2(void) __attribute__((naked, noreturn, section(".boot2"), used));

void tf_boot2(void) {
  __asm__ volatile("ldr r3, =" SSI_BASE "\n\t"
                   "movs r1, #0\n\t"
                   "str r1, [r3, #" SSI_SSIENR_OFFSET "]\n\t" /* the SSI ignores configuration while enabled */
                   "movs r1, #" SSI_BAUD_DIVISOR "\n\t"
                   "str r1, [r3, #" SSI_BAUDR_OFFSET "]\n\t"
                   "ldr r1, =" SSI_CTRLR0_VALUE "\n\t"
                   "str r1, [r3, #" SSI_CTRLR0_OFFSET "]\n\t"
                   "ldr r1, =" SSI_SPI_CTRLR0_VALUE "\n\t"
                   "movs r2, #" SSI_SPI_CTRLR0_OFFSET "\n\t"
                   "str r1, [r3, r2]\n\t"
                   "movs r1, #0\n\t"
                   "str r1, [r3, #" SSI_CTRLR1_OFFSET "]\n\t" /* NDF = 0: one data frame per XIP access */
                   "movs r1, #1\n\t"
                   "str r1, [r3, #" SSI_SSIENR_OFFSET "]\n\t"
                   /* Into the image: VTOR, then SP and PC from the vector table behind this stage. */
                   "ldr r0, =0x10000100\n\t"
                   "ldr r1, =0xe000ed08\n\t"
                   "str r0, [r1]\n\t"
                   "ldmia r0!, {r1, r2}\n\t"
                   "msr msp, r1\n\t"
                   "bx r2\n\t"
                   ".ltorg\n");
}
